package dataset

import (
	"bytes"
	"context"
	"sort"
)

// Tally counts rows by a key, with how many of them failed.
type Tally struct {
	Key    string
	Rows   int
	Failed int
}

// VerifyReport is what `pypimal dataset verify` prints.
type VerifyReport struct {
	Rows     int
	Failed   int
	Bytes    int64 // archive bytes read
	WithMeta int   // packages whose metadata file was found and parsed
	ByLabel  []Tally
	ByFormat []Tally
	BySplit  []Tally
	Issues   map[string]int // entry issues (links, unsafe paths…) by reason
	Errors   []*Error       // in row order
}

// Verify loads every row (hash, archive, metadata) and tallies the outcome.
func Verify(ctx context.Context, dataDir string, rows []Row, opt LoadOptions) (*VerifyReport, error) {
	rep := &VerifyReport{Rows: len(rows), Issues: map[string]int{}}
	errs := make([]*Error, len(rows))
	failed := make([]bool, len(rows))
	err := LoadAll(ctx, dataDir, rows, opt, func(r Result) error {
		rep.Bytes += r.Row.Bytes
		if r.Err != nil {
			failed[r.Index] = true
			errs[r.Index] = asPkgErr(r.Row.ID, r.Err)
			return nil
		}
		if r.Pkg.Meta != nil {
			rep.WithMeta++
		}
		for _, is := range r.Pkg.Issues {
			rep.Issues[is.Reason.Error()]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range errs {
		if e != nil {
			rep.Errors = append(rep.Errors, e)
		}
	}
	rep.Failed = len(rep.Errors)
	rep.ByLabel = tally(rows, failed, func(r Row) string { return r.Label })
	rep.ByFormat = tally(rows, failed, func(r Row) string { return r.Format })
	rep.BySplit = tally(rows, failed, func(r Row) string { return r.PaperSplit })
	return rep, nil
}

func asPkgErr(id string, err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return pkgErr(id, Reason(err), err)
}

func tally(rows []Row, failed []bool, key func(Row) string) []Tally {
	idx := map[string]int{}
	var out []Tally
	for i, r := range rows {
		k := key(r)
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Tally{Key: k})
		}
		out[j].Rows++
		if failed[i] {
			out[j].Failed++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// LabelStats describes the packages of one label.
type LabelStats struct {
	Label       string
	Packages    int
	Files       int
	Bytes       int64 // uncompressed bytes of package files
	PythonFiles int
	PythonLines int
	WithMeta    int // PKG-INFO/METADATA found and parsed
	WithSetupPy int // a setup.py at the package root
	Failed      int
}

// Stats loads every row and describes each label.
func Stats(ctx context.Context, dataDir string, rows []Row, opt LoadOptions) ([]LabelStats, error) {
	by := map[string]*LabelStats{}
	err := LoadAll(ctx, dataDir, rows, opt, func(r Result) error {
		s := by[r.Row.Label]
		if s == nil {
			s = &LabelStats{Label: r.Row.Label}
			by[r.Row.Label] = s
		}
		if r.Err != nil {
			s.Failed++
			return nil
		}
		s.Packages++
		if r.Pkg.Meta != nil {
			s.WithMeta++
		}
		if r.Pkg.File("setup.py") != nil {
			s.WithSetupPy++
		}
		for _, f := range r.Pkg.Files {
			s.Files++
			s.Bytes += f.Size
			if f.Kind == KindPython {
				s.PythonFiles++
				s.PythonLines += countLines(f.Data)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []LabelStats
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out, nil
}

// countLines counts lines, including a last line without a newline.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}
