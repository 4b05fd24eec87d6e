package baselines

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"pypimal/dataset"
)

// Tree errors. WriteTree wraps exactly one of them.
var (
	// ErrTreePath: a file path is not a clean relative path (absolute, "..",
	// NUL, backslash, invalid UTF-8, empty), or two files collide (a file
	// where another needs a folder, or a duplicate). dataset never produces
	// such paths, so the whole package is refused rather than partly written.
	ErrTreePath = errors.New("unsafe package path")
	// ErrTreeLimit: the package is larger or deeper than TreeLimits allow.
	ErrTreeLimit = errors.New("package tree exceeds limits")
)

// TreeLimits bound what WriteTree puts on disk for one package.
type TreeLimits struct {
	MaxFiles      int   // regular files
	MaxFileBytes  int64 // bytes of one file
	MaxTotalBytes int64 // bytes of all files
	MaxDepth      int   // path elements of one file (folders + the name)
	MaxPathBytes  int   // bytes of one relative path
}

// DefaultTreeLimits match dataset.DefaultLimits for files and bytes, so a
// package the dataset loaded is never refused for its size; depth and path
// length stay well inside what Linux accepts.
func DefaultTreeLimits() TreeLimits {
	d := dataset.DefaultLimits()
	return TreeLimits{
		MaxFiles:      d.MaxFiles,
		MaxFileBytes:  d.MaxFileBytes,
		MaxTotalBytes: d.MaxTotalBytes,
		MaxDepth:      64,
		MaxPathBytes:  2048,
	}
}

func (l TreeLimits) withDefaults() TreeLimits {
	d := DefaultTreeLimits()
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPathBytes <= 0 {
		l.MaxPathBytes = d.MaxPathBytes
	}
	return l
}

// WriteTree writes the package's files under dir with DefaultTreeLimits.
// See WriteTreeLimits.
func WriteTree(dir string, p *dataset.Package) error {
	return WriteTreeLimits(dir, p, DefaultTreeLimits())
}

// WriteTreeLimits writes the package's regular files under dir, which must
// exist (and should be empty). Every path is checked before anything is
// written: it must be relative, clean, free of "..", NUL and backslashes,
// valid UTF-8, and within lim; otherwise nothing is written and the error
// wraps ErrTreePath or ErrTreeLimit. Files are created through an os.Root
// opened on dir, so no path can resolve outside it, with O_EXCL (never
// overwriting or following anything already there) and mode 0644: nothing
// is executable, and no links are made. Folders are 0755.
func WriteTreeLimits(dir string, p *dataset.Package, lim TreeLimits) error {
	if p == nil {
		return errors.New("write tree: nil package")
	}
	lim = lim.withDefaults()
	if err := checkTree(p.Files, lim); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write tree: %w", err)
	}
	defer root.Close()
	for i := range p.Files {
		f := &p.Files[i]
		if d := path.Dir(f.Path); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("write tree: %s: %w", printable(f.Path), err)
			}
		}
		out, err := root.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write tree: %s: %w", printable(f.Path), err)
		}
		_, werr := out.Write(f.Data)
		cerr := out.Close()
		if werr != nil || cerr != nil {
			return fmt.Errorf("write tree: %s: %w", printable(f.Path), errors.Join(werr, cerr))
		}
	}
	return nil
}

// checkTree validates every path and the limits before anything is written.
func checkTree(files []dataset.File, lim TreeLimits) error {
	if len(files) > lim.MaxFiles {
		return fmt.Errorf("%w: %d files, limit %d", ErrTreeLimit, len(files), lim.MaxFiles)
	}
	var total int64
	kind := map[string]byte{} // 'f' file, 'd' folder
	for i := range files {
		f := &files[i]
		if err := checkPath(f.Path); err != nil {
			return err
		}
		if len(f.Path) > lim.MaxPathBytes {
			return fmt.Errorf("%w: path of %d bytes, limit %d", ErrTreeLimit, len(f.Path), lim.MaxPathBytes)
		}
		if depth := strings.Count(f.Path, "/") + 1; depth > lim.MaxDepth {
			return fmt.Errorf("%w: %s is %d levels deep, limit %d", ErrTreeLimit, printable(f.Path), depth, lim.MaxDepth)
		}
		n := int64(len(f.Data))
		if n > lim.MaxFileBytes {
			return fmt.Errorf("%w: %s has %d bytes, limit %d", ErrTreeLimit, printable(f.Path), n, lim.MaxFileBytes)
		}
		total += n
		if total > lim.MaxTotalBytes {
			return fmt.Errorf("%w: more than %d bytes in total", ErrTreeLimit, lim.MaxTotalBytes)
		}
		if _, seen := kind[f.Path]; seen {
			return fmt.Errorf("%w: %s collides with another entry", ErrTreePath, printable(f.Path))
		}
		kind[f.Path] = 'f'
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			if k, seen := kind[d]; seen {
				if k == 'f' {
					return fmt.Errorf("%w: %s needs folder %s, which is a file", ErrTreePath, printable(f.Path), printable(d))
				}
				break // this folder and its parents are known folders
			}
			kind[d] = 'd'
		}
	}
	return nil
}

// checkPath accepts only what dataset produces: a clean, relative,
// slash-separated path without "..", NUL or backslash, in valid UTF-8.
func checkPath(p string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q: %s", ErrTreePath, printable(p), why) }
	switch {
	case p == "" || p == ".":
		return bad("empty")
	case strings.IndexByte(p, 0) >= 0:
		return bad("NUL byte")
	case !utf8.ValidString(p):
		return bad("invalid UTF-8")
	case strings.ContainsRune(p, '\\'):
		return bad("backslash")
	case strings.HasPrefix(p, "/"):
		return bad("absolute")
	case path.Clean(p) != p:
		return bad("not clean")
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." || part == "." || part == "" {
			return bad("dot or empty element")
		}
	}
	return nil
}

// WithTree makes a fresh folder under parent ("" for the system temp
// folder), writes the package there (WriteTreeLimits), calls fn with the
// folder, and removes the folder afterwards: on success, on any error and
// when fn panics (the panic goes on after the removal).
func WithTree(parent string, p *dataset.Package, lim TreeLimits, fn func(dir string) error) (err error) {
	dir, err := os.MkdirTemp(parent, "pypimal-pkg-*")
	if err != nil {
		return fmt.Errorf("write tree: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("remove tree: %w", rerr)
		}
	}()
	if err := WriteTreeLimits(dir, p, lim); err != nil {
		return err
	}
	return fn(dir)
}

// printable quotes control characters and cuts long names for messages.
func printable(s string) string {
	q := fmt.Sprintf("%q", s)
	q = q[1 : len(q)-1]
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return q
}
