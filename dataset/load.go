package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// LoadRow reads, verifies and decodes the archive of one manifest row.
// Every failure is an *Error carrying the row id.
func LoadRow(dataDir string, row Row, lim Limits) (*Package, error) {
	data, err := ReadVerified(dataDir, row, lim)
	if err != nil {
		return nil, err
	}
	return decodeRow(row, data, lim)
}

// ReadVerified reads a row's archive and checks its size and sha256.
func ReadVerified(dataDir string, row Row, lim Limits) ([]byte, error) {
	name := filepath.Join(dataDir, filepath.FromSlash(row.Path))
	return ReadVerifiedFrom(context.Background(), LocalStore, name, row, lim)
}

func decodeRow(row Row, data []byte, lim Limits) (*Package, error) {
	p, err := Decode(row.ID, path.Base(row.Path), data, lim)
	if err != nil {
		return nil, err
	}
	p.Row = row
	if p.Format == "deb" && row.MetadataPath != "" {
		rel, ok := strings.CutPrefix(row.MetadataPath, debPackageRoot)
		if !ok || p.File(rel) == nil {
			return nil, pkgErr(row.ID, ErrNoMetadata, fmt.Errorf("%s not in the package", row.MetadataPath))
		}
		p.setMetadata(rel)
	}
	return p, nil
}

// Decode reads an archive held in memory. The container and compression are
// found by magic number; name only tells a wheel from a zip sdist. id labels
// errors. The returned package has no manifest row beyond its id.
func Decode(id, name string, data []byte, lim Limits) (*Package, error) {
	c := newCollector(lim)
	if int64(len(data)) > c.lim.MaxArchive {
		return nil, pkgErr(id, ErrFileTooLarge, fmt.Errorf("archive is %d bytes, limit %d", len(data), c.lim.MaxArchive))
	}
	container, comp := sniff(data)
	var format string
	var err error
	switch container {
	case containerZip:
		format = "sdist-zip"
		if strings.HasSuffix(strings.ToLower(name), ".whl") {
			format = "wheel"
		}
		err = readZip(c, data)
	case containerTar:
		format = "sdist-tar.gz"
		err = readTar(c, data, comp)
	case containerAr:
		format = "deb"
		err = readDeb(c, data)
	default:
		if len(data) == 0 {
			return nil, pkgErr(id, ErrEmpty, errors.New("zero-byte file"))
		}
		return nil, pkgErr(id, ErrUnknownFormat, fmt.Errorf("magic % x", head(data, 8)))
	}
	if err != nil {
		return nil, wrapLoad(id, err)
	}
	if format == "wheel" && !hasDistInfo(c.files) {
		format = "sdist-zip"
	}
	if format == "sdist-zip" && hasDistInfo(c.files) && !hasRootFolder(c.files) {
		format = "wheel"
	}
	if format != "wheel" && format != "deb" {
		c.stripTopFolder()
	}
	return c.finish(id, format)
}

// ReadDir loads a package that a user unpacked into a folder. Links and
// special files are recorded, never followed; the same limits apply.
func ReadDir(dir string, lim Limits) (*Package, error) {
	c := newCollector(lim)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, pkgErr(dir, ErrMissingArchive, err)
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return c.add(p, entryLink, 0, false, nil)
		case !d.Type().IsRegular():
			return c.add(p, entryDevice, 0, false, nil)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f, err := root.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		// No compression: count the bytes read against the total directly.
		m := &meter{r: f, total: &c.total, lim: c.lim}
		return c.add(p, entryFile, info.Size(), info.Mode()&0o111 != 0, m)
	})
	if err != nil {
		return nil, wrapLoad(dir, err)
	}
	return c.finish(dir, "dir")
}

// Open loads a user-supplied package: a directory or an archive file.
func Open(name string, lim Limits) (*Package, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, pkgErr(name, ErrMissingArchive, err)
	}
	if st.IsDir() {
		return ReadDir(name, lim)
	}
	return OpenArchiveFrom(context.Background(), LocalStore, name, lim)
}

func (c *collector) finish(id, format string) (*Package, error) {
	if len(c.files) == 0 {
		return nil, pkgErr(id, ErrEmpty, nil)
	}
	p := &Package{Row: Row{ID: id}, Format: format, Files: c.files, Issues: c.issues, UncompressedBytes: c.total}
	p.AssignRoles()
	if mp := findMetadata(c.files); mp != "" {
		p.setMetadata(mp)
	}
	return p, nil
}

func (p *Package) setMetadata(rel string) {
	f := p.File(rel)
	p.MetaPath, p.Meta, p.MetaErr = rel, nil, nil
	if f == nil {
		return
	}
	p.Meta, p.MetaErr = ParseMetadata(f.Data)
}

func hasDistInfo(files []File) bool {
	for _, f := range files {
		dir, base := splitDir(f.Path)
		if base == "WHEEL" && strings.HasSuffix(dir, ".dist-info") && !strings.Contains(dir, "/") {
			return true
		}
	}
	return false
}

// hasRootFolder is true when every file sits under one shared folder, the
// sdist layout.
func hasRootFolder(files []File) bool {
	top, _, ok := strings.Cut(files[0].Path, "/")
	if !ok {
		return false
	}
	for _, f := range files {
		if t, _, ok := strings.Cut(f.Path, "/"); !ok || t != top {
			return false
		}
	}
	return true
}

func wrapLoad(id string, err error) error {
	if le, ok := asLimit(err); ok {
		return pkgErr(id, le.kind, errors.New(le.detail))
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	for _, k := range []error{ErrCorrupt, ErrUnknownCompression, ErrUnknownFormat, ErrEmpty} {
		if errors.Is(err, k) {
			return pkgErr(id, k, errors.New(strings.TrimPrefix(err.Error(), k.Error()+": ")))
		}
	}
	return pkgErr(id, ErrCorrupt, err)
}

func head(b []byte, n int) []byte {
	if len(b) < n {
		return b
	}
	return b[:n]
}
