package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// memStore is a Store over a map, the way a pipeline's object store looks
// to the dataset layer. grow makes a file longer when read than its Size
// said (an object replaced between the two calls).
type memStore struct {
	files map[string][]byte
	grow  int
}

func (m memStore) Size(_ context.Context, name string) (int64, error) {
	b, ok := m.files[name]
	if !ok {
		return 0, os.ErrNotExist
	}
	return int64(len(b)), nil
}

func (m memStore) Open(_ context.Context, name string) (io.ReadCloser, error) {
	b, ok := m.files[name]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(io.MultiReader(bytes.NewReader(b), bytes.NewReader(make([]byte, m.grow)))), nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestLoadRowFrom(t *testing.T) {
	good := sdistTar(t)
	big := bytes.Repeat([]byte{1}, 5<<20) // over testLimits' archive cap
	st := memStore{files: map[string][]byte{"gs://b/good.tar.gz": good, "gs://b/big.tar.gz": big, "gs://b/junk": []byte("not an archive")}}
	row := func(id, path string, b []byte) Row {
		return Row{ID: id, Path: path, Bytes: int64(len(b)), SHA256: sum(b)}
	}
	tests := []struct {
		name string
		st   Store
		file string
		row  Row
		kind error // nil: loads
	}{
		{"good", st, "gs://b/good.tar.gz", row("r1", "good.tar.gz", good), nil},
		{"missing", st, "gs://b/none.tar.gz", row("r2", "none.tar.gz", good), ErrMissingArchive},
		{"size", st, "gs://b/good.tar.gz", Row{ID: "r3", Path: "good.tar.gz", Bytes: 1, SHA256: sum(good)}, ErrSizeMismatch},
		{"hash", st, "gs://b/good.tar.gz", Row{ID: "r4", Path: "good.tar.gz", Bytes: int64(len(good)), SHA256: sum(nil)}, ErrHashMismatch},
		{"cap", st, "gs://b/big.tar.gz", row("r5", "big.tar.gz", big), ErrFileTooLarge},
		{"grew past the cap", memStore{files: st.files, grow: 5 << 20}, "gs://b/good.tar.gz", row("r6", "good.tar.gz", good), ErrFileTooLarge},
		{"path leaves the folder", st, "gs://b/good.tar.gz", row("r7", "../good.tar.gz", good), ErrManifest},
		{"not an archive", st, "gs://b/junk", row("r8", "junk", []byte("not an archive")), ErrUnknownFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := LoadRowFrom(context.Background(), tc.st, tc.file, tc.row, testLimits())
			if tc.kind != nil {
				wantPkgErr(t, err, tc.row.ID, tc.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPackage(t, p)
			if p.ID() != tc.row.ID || p.Format != "sdist-tar.gz" {
				t.Errorf("package %q format %q", p.ID(), p.Format)
			}
		})
	}
}

// TestReadVerifiedIsLocalStore: the data-folder reader is the Store reader
// over the local disk, so both report the same errors.
func TestReadVerifiedIsLocalStore(t *testing.T) {
	dir := t.TempDir()
	good := sdistTar(t)
	if err := os.WriteFile(filepath.Join(dir, "a.tar.gz"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Row{
		{ID: "ok", Path: "a.tar.gz", Bytes: int64(len(good)), SHA256: sum(good)},
		{ID: "hash", Path: "a.tar.gz", Bytes: int64(len(good)), SHA256: sum(nil)},
		{ID: "missing", Path: "b.tar.gz", Bytes: 1},
	} {
		b1, err1 := ReadVerified(dir, r, Limits{})
		b2, err2 := ReadVerifiedFrom(context.Background(), LocalStore, filepath.Join(dir, r.Path), r, Limits{})
		if !bytes.Equal(b1, b2) || (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Errorf("%s: ReadVerified (%d bytes, %v) and ReadVerifiedFrom (%d bytes, %v) differ", r.ID, len(b1), err1, len(b2), err2)
		}
	}
}

func TestOpenArchiveFrom(t *testing.T) {
	st := memStore{files: map[string][]byte{"s3://b/pkg-1.0-py3-none-any.whl": wheelZip(t), "s3://b/empty.tar.gz": nil}}
	p, err := OpenArchiveFrom(context.Background(), st, "s3://b/pkg-1.0-py3-none-any.whl", testLimits())
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "s3://b/pkg-1.0-py3-none-any.whl" || p.Format != "wheel" {
		t.Errorf("package %q format %q, want the URL as id and a wheel (from the URL's base name)", p.ID(), p.Format)
	}
	_, err = OpenArchiveFrom(context.Background(), st, "s3://b/empty.tar.gz", testLimits())
	wantPkgErr(t, err, "s3://b/empty.tar.gz", ErrEmpty)
	_, err = OpenArchiveFrom(context.Background(), st, "s3://b/none", testLimits())
	wantPkgErr(t, err, "s3://b/none", ErrMissingArchive)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err %v does not wrap the store's error", err)
	}
}
