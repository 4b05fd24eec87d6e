package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"pypimal/experiments/results"
	"strconv"
	"strings"
)

// formShiftCSV is form_shift.csv, in long form: one row per cell and form.
func formShiftCSV(fs *results.FormShift) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"set", "leaky", "model", "threshold", "form", "packages", "false_positives", "fpr"})
	for _, c := range fs.Cells {
		for i, form := range fs.Forms {
			_ = w.Write([]string{c.Set, strconv.FormatBool(c.Leaky), c.Model, csvNum(c.Threshold), form,
				strconv.Itoa(fs.Counts[i]), strconv.Itoa(c.FP[i]), csvNum(c.FPR[i])})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("reports: form_shift.csv: %w", err)
	}
	return buf.Bytes(), nil
}

// formShift writes the report section: every model on the importance set
// without leaky features (the headline's variant), then the install family
// on every form.
func (rw *reportWriter) formShift() {
	fs := rw.r.FormShift
	if fs == nil || len(fs.Cells) == 0 {
		return
	}
	rw.p("## Form shift: false positives by packaging form\n\n")
	rw.p("The benign test rows are Debian's installed trees. Each was also re-packed, in memory, as an sdist " +
		"(PKG-INFO, a `setup.py`/`setup.cfg`/`pyproject.toml` from hand-written templates of real projects' " +
		"patterns, README, LICENSE, tests, docs, egg-info; flat or `src/` layout) and as a wheel (dist-info with " +
		"METADATA, WHEEL, RECORD), and every test-fitted model scored them at its own threshold. The last columns " +
		"are real files as published on PyPI (the `realform` rows, 45 well-known projects). A model that judges " +
		"the code, not the packaging, has the same false-positive rate in every column.\n\n")
	set := fs.Set
	rw.p("False-positive rate on `%s` without leaky features (false positives / packages):\n\n", mdEscape(set))
	rw.formHeader("model", true)
	for _, c := range fs.Cells {
		if c.Set != set || c.Leaky {
			continue
		}
		rw.p("| %s |", mdEscape(c.Model))
		for i := range fs.Forms {
			rw.p(" %s (%s) |", num(c.FPR[i]), count(c.FP[i]))
		}
		rw.p("\n")
	}
	rw.p("\nEvery cell's rates, with and without leaky features: `form_shift.csv`.\n\n")
	if len(fs.Install) > 0 {
		rw.p("Install-time behaviour (non-leaky `install_*` features): benign packages with a non-zero value, per form. " +
			"Ordinary benign install code sets none of them; the real files show what real projects' setup code does.\n\n")
		rw.formHeader("feature", false)
		for _, is := range fs.Install {
			rw.p("| `%s` |", is.Feature)
			for i := range fs.Forms {
				rw.p(" %s / %s |", count(is.NonZero[i]), count(fs.Counts[i]))
			}
			rw.p("\n")
		}
		rw.p("\n")
	}
}

// formHeader writes the head of a table with one column per form, with
// the package counts when counts is set.
func (rw *reportWriter) formHeader(first string, counts bool) {
	fs := rw.r.FormShift
	rw.p("| %s |", first)
	for i, f := range fs.Forms {
		if counts {
			rw.p(" %s (%s) |", mdEscape(f), count(fs.Counts[i]))
		} else {
			rw.p(" %s |", mdEscape(f))
		}
	}
	rw.p("\n|---|%s\n", strings.Repeat("---:|", len(fs.Forms)))
}
