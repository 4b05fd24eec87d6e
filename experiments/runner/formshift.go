package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"pypimal/classifiers"
	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/experiments/results"
	"pypimal/featuresets"
)

// shiftSet is one form of benign packages that every test fit also scores.
type shiftSet struct {
	Name string
	Rows []featuresets.TableRow
}

// Form-shift columns, in report order. The installed form is the benign
// test rows themselves.
const (
	shiftInstalled = "installed"
	shiftSdist     = "sdist (re-packed)"
	shiftWheel     = "wheel (re-packed)"
	shiftPyPISdist = "PyPI sdist (real)"
	shiftPyPIWheel = "PyPI wheel (real)"
)

// formShiftSets extracts the benign test rows of installed form re-packed
// as sdists and as wheels, and the real published PyPI files (realform
// rows on neither side of the split), split by form.
func formShiftSets(ctx context.Context, cfg *experiments.Config, opt Options, all, used, testRows []dataset.Row, cache *featuresets.Cache) ([]shiftSet, []featuresets.ExtractError, error) {
	inSplit := map[string]bool{}
	for _, r := range used {
		inSplit[r.ID] = true
	}
	var installed, real []dataset.Row
	for _, r := range testRows {
		if r.Label == dataset.Benign && r.Format == "deb" {
			installed = append(installed, r)
		}
	}
	for _, r := range all {
		if r.Label == dataset.Benign && r.PaperSplit == "realform" && !inSplit[r.ID] {
			real = append(real, r)
		}
	}
	var sets []shiftSet
	var errs []featuresets.ExtractError
	for _, f := range []struct{ name, form string }{{shiftSdist, featuresets.FormSdist}, {shiftWheel, featuresets.FormWheel}} {
		rp, err := featuresets.NewRepacking(f.form, cfg.RepackSeed())
		if err != nil {
			return nil, nil, err
		}
		t, e, _, err := featuresets.ExtractAll(ctx, opt.DataDir, installed, featuresets.Options{Workers: cfg.Workers, Cache: cache, Repack: rp})
		if err != nil {
			return nil, nil, fmt.Errorf("form shift %s: %w", f.name, err)
		}
		if len(t.Rows) > 0 {
			sets = append(sets, shiftSet{Name: f.name, Rows: t.Rows})
		}
		errs = append(errs, e...)
	}
	if len(real) > 0 {
		t, e, _, err := featuresets.ExtractAll(ctx, opt.DataDir, real, featuresets.Options{Workers: cfg.Workers, Cache: cache})
		if err != nil {
			return nil, nil, fmt.Errorf("form shift real PyPI files: %w", err)
		}
		errs = append(errs, e...)
		format := map[string]string{}
		for _, r := range real {
			format[r.ID] = r.Format
		}
		sdists, wheels := shiftSet{Name: shiftPyPISdist}, shiftSet{Name: shiftPyPIWheel}
		for _, r := range t.Rows {
			if format[r.ID] == "wheel" {
				wheels.Rows = append(wheels.Rows, r)
			} else {
				sdists.Rows = append(sdists.Rows, r)
			}
		}
		for _, s := range []shiftSet{sdists, wheels} {
			if len(s.Rows) > 0 {
				sets = append(sets, s)
			}
		}
	}
	return sets, errs, nil
}

// formShift turns the cells' scores of every form into the report's table:
// the false-positive rate of each test-fitted model at its threshold.
func formShift(test *Split, shift []shiftSet, cells []*cellResult) (*results.FormShift, error) {
	fs := &results.FormShift{Forms: []string{shiftInstalled}}
	var benign []int
	for i, y := range test.Labels {
		if y == 0 {
			benign = append(benign, i)
		}
	}
	fs.Counts = []int{len(benign)}
	for _, s := range shift {
		fs.Forms = append(fs.Forms, s.Name)
		fs.Counts = append(fs.Counts, len(s.Rows))
	}
	for _, c := range cells {
		if c.TestScores == nil || len(c.ShiftScores) != len(shift) {
			continue
		}
		row := results.FormShiftCell{Set: c.Set, Leaky: c.Leaky, Model: c.Model, Threshold: c.Threshold}
		scores := make([]float64, len(benign))
		for j, i := range benign {
			scores[j] = c.TestScores[i]
		}
		for _, s := range append([][]float64{scores}, c.ShiftScores...) {
			m, err := experiments.Evaluate(make([]int, len(s)), s, c.Threshold)
			if err != nil {
				return nil, fmt.Errorf("form shift %s/%s: %w", c.Set, c.Model, err)
			}
			row.FP = append(row.FP, m.FP)
			row.FPR = append(row.FPR, m.FPR)
		}
		fs.Cells = append(fs.Cells, row)
	}
	// The install family on every form: ordinary benign install code sets
	// none of it (the re-packed forms), real files show what real setup
	// code does.
	forms := append([][]featuresets.TableRow{benignRows(test)}, rowsOf(shift)...)
	for j, f := range test.Table.Features {
		if f.Family != featuresets.Install || f.Leaky {
			continue
		}
		is := results.InstallShift{Feature: f.Name}
		for _, rows := range forms {
			n := 0
			for _, r := range rows {
				if r.Values[j] != 0 {
					n++
				}
			}
			is.NonZero = append(is.NonZero, n)
		}
		fs.Install = append(fs.Install, is)
	}
	return fs, nil
}

func benignRows(s *Split) []featuresets.TableRow {
	var out []featuresets.TableRow
	for i, y := range s.Labels {
		if y == 0 {
			out = append(out, s.Rows[i])
		}
	}
	return out
}

func rowsOf(shift []shiftSet) [][]featuresets.TableRow {
	out := make([][]featuresets.TableRow, len(shift))
	for i, s := range shift {
		out[i] = s.Rows
	}
	return out
}

// shiftDigest keys the cells: their scores depend on the forms scored,
// down to every re-packed package's features.
func shiftDigest(shift []shiftSet) string {
	h := sha256.New()
	for _, s := range shift {
		fmt.Fprintf(h, "%s %d\n", s.Name, len(s.Rows))
		for _, r := range s.Rows {
			fmt.Fprintf(h, "%s %v", r.ID, r.Values)
			toks := make([]string, 0, len(r.Tokens))
			for t := range r.Tokens {
				toks = append(toks, t)
			}
			sort.Strings(toks)
			for _, t := range toks {
				fmt.Fprintf(h, " %s=%d", t, r.Tokens[t])
			}
			h.Write([]byte{'\n'})
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func shiftData(shift []shiftSet, sel featuresets.Selection) []classifiers.Data {
	out := make([]classifiers.Data, len(shift))
	for i, s := range shift {
		out[i] = experiments.Data(s.Rows, sel)
	}
	return out
}

func shiftSummary(shift []shiftSet) string {
	parts := make([]string, len(shift))
	for i, s := range shift {
		parts[i] = fmt.Sprintf("%d %s", len(s.Rows), s.Name)
	}
	return strings.Join(parts, ", ")
}
