package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Store reads archive files by name. LocalStore reads the local disk; a
// pipeline passes an adapter over its own filesystem layer (object stores),
// so that every reader shares the checks below.
type Store interface {
	Size(ctx context.Context, name string) (int64, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

type localStore struct{}

func (localStore) Size(_ context.Context, name string) (int64, error) {
	st, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (localStore) Open(_ context.Context, name string) (io.ReadCloser, error) { return os.Open(name) }

// LocalStore reads local files by path.
var LocalStore Store = localStore{}

// ReadVerifiedFrom reads the archive of a manifest row, stored in st as
// name, and checks it against the row: path, size, archive cap and sha256,
// in that order. Every failure is an *Error carrying the row id.
func ReadVerifiedFrom(ctx context.Context, st Store, name string, row Row, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	if !filepath.IsLocal(filepath.FromSlash(row.Path)) {
		return nil, pkgErr(row.ID, ErrManifest, fmt.Errorf("path %q leaves the data folder", row.Path))
	}
	size, err := st.Size(ctx, name)
	if err != nil {
		return nil, pkgErr(row.ID, ErrMissingArchive, err)
	}
	if size != row.Bytes {
		return nil, pkgErr(row.ID, ErrSizeMismatch, fmt.Errorf("%d bytes on disk, manifest says %d", size, row.Bytes))
	}
	data, err := readCapped(ctx, st, row.ID, name, size, lim)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, row.SHA256) {
		return nil, pkgErr(row.ID, ErrHashMismatch, fmt.Errorf("got %s", got))
	}
	return data, nil
}

// LoadRowFrom is LoadRow for an archive stored in st as name.
func LoadRowFrom(ctx context.Context, st Store, name string, row Row, lim Limits) (*Package, error) {
	data, err := ReadVerifiedFrom(ctx, st, name, row, lim)
	if err != nil {
		return nil, err
	}
	return decodeRow(row, data, lim)
}

// OpenArchiveFrom loads a user-supplied archive (no manifest row) stored in
// st as name: the archive cap, then Decode. The package id is name.
func OpenArchiveFrom(ctx context.Context, st Store, name string, lim Limits) (*Package, error) {
	lim = lim.withDefaults()
	size, err := st.Size(ctx, name)
	if err != nil {
		return nil, pkgErr(name, ErrMissingArchive, err)
	}
	data, err := readCapped(ctx, st, name, name, size, lim)
	if err != nil {
		return nil, err
	}
	// path.Base also takes the last element of a URL such as gs://b/x.whl.
	return Decode(name, path.Base(filepath.ToSlash(name)), data, lim)
}

// readCapped reads an archive whose size was just found, refusing one over
// lim.MaxArchive before reading and, should it have grown, while reading.
func readCapped(ctx context.Context, st Store, id, name string, size int64, lim Limits) ([]byte, error) {
	if size > lim.MaxArchive {
		return nil, pkgErr(id, ErrFileTooLarge, fmt.Errorf("archive is %d bytes, limit %d", size, lim.MaxArchive))
	}
	rc, err := st.Open(ctx, name)
	if err != nil {
		return nil, pkgErr(id, ErrMissingArchive, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(size) + 1)
	n, err := buf.ReadFrom(io.LimitReader(rc, lim.MaxArchive+1))
	if err != nil {
		return nil, pkgErr(id, ErrMissingArchive, fmt.Errorf("read %s: %w", name, err))
	}
	if n > lim.MaxArchive {
		return nil, pkgErr(id, ErrFileTooLarge, fmt.Errorf("archive is over %d bytes, limit %d", lim.MaxArchive, lim.MaxArchive))
	}
	return buf.Bytes(), nil
}
