package dataset

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// limitError is returned by meter and collector when a Limit is broken; it
// survives being wrapped by tar/zip/gzip readers so the loader can name it.
type limitError struct {
	kind   error
	detail string
}

func (e *limitError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *limitError) Unwrap() error { return e.kind }

// meter counts decompressed bytes across a whole archive and stops the
// stream as soon as the total or the compression ratio is out of bounds, so
// a bomb costs at most MaxTotalBytes of work.
type meter struct {
	r          io.Reader
	total      *int64
	lim        Limits
	compressed int64
}

// Read counts the bytes read. A broken limit is returned with no bytes:
// io.ReadFull, which archive/tar reads its headers with, drops an error that
// comes with a full buffer, so a stream of header-only members (folders,
// links) would otherwise run past every limit.
func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	*m.total += int64(n)
	if *m.total > m.lim.MaxTotalBytes {
		return 0, &limitError{ErrTotalTooLarge, fmt.Sprintf("more than %d bytes", m.lim.MaxTotalBytes)}
	}
	if *m.total > m.lim.RatioFloor && m.compressed > 0 {
		if r := float64(*m.total) / float64(m.compressed); r > m.lim.MaxRatio {
			return 0, &limitError{ErrRatioTooHigh, fmt.Sprintf("%.0f:1 after %d bytes, limit %.0f:1", r, *m.total, m.lim.MaxRatio)}
		}
	}
	return n, err
}

type entryType int

const (
	entryFile entryType = iota
	entryDir
	entryLink
	entryDevice
	entryOther
)

// collector builds a package from archive members in order. Every reader
// feeds it, so path safety, duplicates and limits are decided in one place.
type collector struct {
	lim    Limits
	files  []File
	issues []EntryIssue
	seen   map[string]bool
	total  int64 // decompressed bytes, shared with the stream meter
	// scope maps a cleaned member path to its path in the package, or
	// reports false for members outside the package (Debian's own files).
	scope func(clean string) (string, bool)
}

func newCollector(lim Limits) *collector {
	return &collector{lim: lim.withDefaults(), seen: map[string]bool{}}
}

func (c *collector) issue(name string, reason error, kept bool) {
	c.issues = append(c.issues, EntryIssue{Path: printable(name), Reason: reason, Kept: kept})
}

// add takes one archive member. It returns an error only for package-level
// failures (a broken limit or an unreadable stream); unsafe or special
// members are recorded and skipped.
func (c *collector) add(name string, typ entryType, size int64, executable bool, r io.Reader) error {
	clean, ok := c.cleanPath(name)
	if !ok {
		return nil
	}
	if c.scope != nil {
		if clean, ok = c.scope(clean); !ok {
			return nil
		}
	}
	switch typ {
	case entryDir:
		return nil
	case entryLink:
		c.issue(name, ErrLink, false)
		return nil
	case entryDevice:
		c.issue(name, ErrDevice, false)
		return nil
	case entryOther:
		c.issue(name, ErrUnsupported, false)
		return nil
	}
	if clean == "" {
		c.issue(name, ErrUnsafePath, false)
		return nil
	}
	if c.seen[clean] {
		c.issue(name, ErrDuplicate, false)
		return nil
	}
	if len(c.files) >= c.lim.MaxFiles {
		return &limitError{ErrTooManyFiles, fmt.Sprintf("more than %d", c.lim.MaxFiles)}
	}
	if size > c.lim.MaxFileBytes {
		return &limitError{ErrFileTooLarge, fmt.Sprintf("%s declares %d bytes, limit %d", printable(clean), size, c.lim.MaxFileBytes)}
	}
	data, err := io.ReadAll(io.LimitReader(r, c.lim.MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", printable(clean), err)
	}
	if int64(len(data)) > c.lim.MaxFileBytes {
		return &limitError{ErrFileTooLarge, fmt.Sprintf("%s is larger than %d bytes", printable(clean), c.lim.MaxFileBytes)}
	}
	if !utf8.ValidString(name) {
		c.issue(name, ErrInvalidName, true) // kept under a repaired name
	}
	c.seen[clean] = true
	c.files = append(c.files, File{
		Path: clean, Size: int64(len(data)), Kind: Classify(clean, data), Executable: executable, Data: data,
	})
	return nil
}

// cleanPath returns the member's safe relative path, or false (and records
// why) when it is absolute, has a ".." or drive ("C:") element or NUL, or
// escapes the root. Backslashes count as separators because Windows tools extract them so.
func (c *collector) cleanPath(name string) (string, bool) {
	if strings.IndexByte(name, 0) >= 0 {
		c.issue(name, ErrUnsafePath, false)
		return "", false
	}
	p := name
	if !utf8.ValidString(p) {
		// Recorded by add once the file is actually kept.
		p = strings.ToValidUTF8(p, "\uFFFD")
	}
	p = strings.ReplaceAll(p, "\\", "/")
	if strings.HasPrefix(p, "/") || hasDriveLetter(p) {
		c.issue(name, ErrUnsafePath, false)
		return "", false
	}
	var parts []string
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			c.issue(name, ErrUnsafePath, false)
			return "", false
		}
		// A drive ("C:") in any element: removing the sdist's top folder or
		// the .deb's dist-packages prefix can bring it to the front.
		if hasDriveLetter(part) {
			c.issue(name, ErrUnsafePath, false)
			return "", false
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "/"), true
}

func hasDriveLetter(p string) bool {
	return len(p) >= 2 && p[1] == ':' && (p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z')
}

// stripTopFolder removes a leading folder shared by every file, as sdists
// have ("name-version/…"). Archives with files at the root or under several
// folders are left alone.
func (c *collector) stripTopFolder() {
	if len(c.files) == 0 {
		return
	}
	top, _, ok := strings.Cut(c.files[0].Path, "/")
	if !ok {
		return
	}
	for _, f := range c.files {
		t, _, ok := strings.Cut(f.Path, "/")
		if !ok || t != top {
			return
		}
	}
	for i := range c.files {
		c.files[i].Path = c.files[i].Path[len(top)+1:]
	}
}

// findMetadata picks the package's own core metadata: a root PKG-INFO
// (sdist), else the shallowest *.dist-info/METADATA or *.egg-info/PKG-INFO,
// else an old-style *.egg-info file. Ties go to the first in path order.
func findMetadata(files []File) string {
	var cands []string
	for _, f := range files {
		if f.Path == "PKG-INFO" {
			return f.Path
		}
		dir, base := splitDir(f.Path)
		switch {
		case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"),
			base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"),
			strings.HasSuffix(base, ".egg-info"):
			cands = append(cands, f.Path)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.Slice(cands, func(i, j int) bool {
		di, dj := strings.Count(cands[i], "/"), strings.Count(cands[j], "/")
		if di != dj {
			return di < dj
		}
		return cands[i] < cands[j]
	})
	return cands[0]
}

func splitDir(p string) (string, string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// printable quotes names that carry control characters or invalid UTF-8 so
// that reports stay one line per entry.
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	return s
}

// asLimit reports a limitError hidden anywhere in err's chain.
func asLimit(err error) (*limitError, bool) {
	var le *limitError
	ok := errors.As(err, &le)
	return le, ok
}
