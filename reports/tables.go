package reports

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pypimal/experiments"
	"pypimal/experiments/results"
)

// WriteTables writes the tables of r into dir (created if needed):
//
//   - For each of F1, precision and recall, and for each leaky variant that
//     has cells, <metric>.md, <metric>.csv and <metric>.tex (cells with
//     Leaky=false) or <metric>-leaky.{md,csv,tex} (Leaky=true): rows are
//     the feature sets in Sets order, columns the models in Models order;
//     a cell reads "0.912 ± 0.031 | 0.880", the CV mean ± std then the
//     test score (the "| test" part is left out when no cell of the table
//     has one). The best CV mean is bold (ties all bold); "—" marks a cell
//     or a score that was not run, "n/a" an undefined value (NaN).
//   - summary.csv: every cell with every metric (columns: SummaryColumns).
//   - errors.csv: the packages without features (header only when none).
//   - importance.csv, when r has permutation importance.
//   - rules.csv, when r compares stacking with the intersection rule.
//   - form_shift.csv, when r measured the form shift: each cell's false
//     positives and rate on each form.
//
// The per-metric CSVs are in long form, one row per cell that was run
// (cells not run have no row), with the columns
//
//	set,leaky,model,cv_mean,cv_std,test
//
// leaky is "true" or "false", so pandas.read_csv gives a bool column and
// df.pivot(index="set", columns="model", values="cv_mean") rebuilds the
// table. Scores have Decimals decimals; an undefined score is "NaN"; test
// is empty when the cell has no test score. Rows follow the table: sets in
// Sets order, then models in Models order.
//
// The LaTeX tables are a table float with a booktabs tabular (\toprule,
// \midrule, \bottomrule; needs \usepackage{booktabs}), one row per feature
// set, names escaped, the best CV cell in \textbf.
//
// Output depends only on r: the same Results give byte-identical files.
func WriteTables(dir string, r *results.Results) error {
	_, err := writeTables(dir, r)
	return err
}

// writeTables is WriteTables, also returning the names of the files written
// in the order written.
func writeTables(dir string, r *results.Results) ([]string, error) {
	ix, err := newIndex(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	var names []string
	put := func(name string, data []byte) error {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
		names = append(names, name)
		return nil
	}
	for _, key := range tableMetrics {
		m := metricByKey(key)
		for _, leaky := range ix.variants {
			base := tableBase(key, leaky)
			var md bytes.Buffer
			fmt.Fprintf(&md, "# %s — %s, %s\n\n", m.title, mdEscape(r.Name), variantName(leaky))
			md.WriteString(mdTableNote(ix, leaky))
			md.WriteString("\n\n")
			md.WriteString(mdTable(ix, m, leaky))
			if err := put(base+".md", md.Bytes()); err != nil {
				return nil, err
			}
			data, err := metricCSV(ix, m, leaky)
			if err != nil {
				return nil, err
			}
			if err := put(base+".csv", data); err != nil {
				return nil, err
			}
			if err := put(base+".tex", []byte(texTable(ix, m, leaky))); err != nil {
				return nil, err
			}
		}
	}
	data, err := summaryCSV(ix)
	if err != nil {
		return nil, err
	}
	if err := put("summary.csv", data); err != nil {
		return nil, err
	}
	if data, err = errorsCSV(r); err != nil {
		return nil, err
	}
	if err := put("errors.csv", data); err != nil {
		return nil, err
	}
	if len(r.Importance) > 0 {
		if data, err = importanceCSV(r); err != nil {
			return nil, err
		}
		if err := put("importance.csv", data); err != nil {
			return nil, err
		}
	}
	if r.FormShift != nil && len(r.FormShift.Cells) > 0 {
		if data, err = formShiftCSV(r.FormShift); err != nil {
			return nil, err
		}
		if err := put("form_shift.csv", data); err != nil {
			return nil, err
		}
	}
	if len(r.Rules) > 0 {
		if data, err = rulesCSV(r); err != nil {
			return nil, err
		}
		if err := put("rules.csv", data); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// mdTableNote is the sentence that explains a table's cells.
func mdTableNote(ix *index, leaky bool) string {
	var b strings.Builder
	b.WriteString("Rows: feature sets; columns: models. Each cell: cross-validation mean ± std")
	if f := ix.folds(leaky); f != "" {
		b.WriteString(" over " + f)
	}
	if ix.hasTest(leaky) {
		b.WriteString(" | score on the test split")
	}
	b.WriteString(". Bold: the best CV mean. " + Missing + ": not run; " + NotAvailable + ": undefined.")
	return b.String()
}

// mdTable is a metric's Markdown table for one variant.
func mdTable(ix *index, m metric, leaky bool) string {
	var b strings.Builder
	withTest := ix.hasTest(leaky)
	b.WriteString("| Feature set |")
	for _, model := range ix.r.Models {
		b.WriteString(" " + mdEscape(model) + " |")
	}
	b.WriteString("\n|---|")
	for range ix.r.Models {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, set := range ix.r.Sets {
		b.WriteString("| " + mdEscape(set) + " |")
		for _, model := range ix.r.Models {
			c := ix.cell(set, leaky, model)
			if c == nil {
				b.WriteString(" " + Missing + " |")
				continue
			}
			cv, test := cellText(c, m)
			if ix.isBest(c, m) {
				cv = "**" + cv + "**"
			}
			if withTest {
				cv += ` \| ` + test
			}
			b.WriteString(" " + cv + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// texTable is a metric's LaTeX (booktabs) table for one variant.
func texTable(ix *index, m metric, leaky bool) string {
	r := ix.r
	withTest := ix.hasTest(leaky)
	var b strings.Builder
	b.WriteString("% Generated by pypimal (reports); needs \\usepackage{booktabs}.\n")
	b.WriteString("\\begin{table}[htbp]\n\\centering\n")
	caption := m.title + " " + variantName(leaky) + " (" + texEscape(r.Name) + "): cross-validation mean $\\pm$ std"
	if f := ix.folds(leaky); f != "" {
		caption += " over " + strings.ReplaceAll(f, "–", "--")
	}
	if withTest {
		caption += " $\\mid$ test split"
	}
	caption += ". Best CV mean in bold; --- not run; n/a undefined."
	b.WriteString("\\caption{" + caption + "}\n")
	b.WriteString("\\label{" + texLabel("tab:"+r.Name+":"+tableBase(m.key, leaky)) + "}\n")
	b.WriteString("\\begin{tabular}{l" + strings.Repeat("c", len(r.Models)) + "}\n\\toprule\n")
	b.WriteString("Feature set")
	for _, model := range r.Models {
		b.WriteString(" & " + texEscape(model))
	}
	b.WriteString(" \\\\\n\\midrule\n")
	for _, set := range r.Sets {
		b.WriteString(texEscape(set))
		for _, model := range r.Models {
			c := ix.cell(set, leaky, model)
			if c == nil {
				b.WriteString(" & ---")
				continue
			}
			cv, test := cellText(c, m)
			cv = texCell(cv)
			if ix.isBest(c, m) {
				cv = "\\textbf{" + cv + "}"
			}
			if withTest {
				cv += " $\\mid$ " + texCell(test)
			}
			b.WriteString(" & " + cv)
		}
		b.WriteString(" \\\\\n")
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
	return b.String()
}

// texCell turns a cell's plain text (numbers, ±, —, n/a) into LaTeX.
func texCell(s string) string {
	return strings.NewReplacer(" ± ", " $\\pm$ ", Missing, "---").Replace(s)
}

func writeCSV(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("reports: csv: %w", err)
	}
	return b.Bytes(), nil
}

// metricCSV is a metric's long-form CSV for one variant.
func metricCSV(ix *index, m metric, leaky bool) ([]byte, error) {
	rows := [][]string{{"set", "leaky", "model", "cv_mean", "cv_std", "test"}}
	for _, c := range ix.ordered(leaky) {
		s := m.cv(c.CV)
		test := ""
		if c.Test != nil {
			test = csvNum(m.test(*c.Test))
		}
		rows = append(rows, []string{c.Set, strconv.FormatBool(c.Leaky), c.Model, cvNum(c, s.Mean), cvNum(c, s.Std), test})
	}
	return writeCSV(rows)
}

// cvNum is a CV statistic for a CSV: empty when the cell has no CV.
func cvNum(c *results.Cell, v float64) string {
	if c.CV.N == 0 {
		return ""
	}
	return csvNum(v)
}

// SummaryColumns are the columns of summary.csv: the cell, its number of
// CV folds, then for each metric (precision, recall, f1, accuracy, mcc,
// fpr, roc_auc, pr_auc) <metric>_cv_mean, <metric>_cv_std and
// <metric>_test, then the test confusion counts.
func SummaryColumns() []string {
	cols := []string{"set", "leaky", "model", "cv_folds"}
	for _, m := range metrics {
		cols = append(cols, m.key+"_cv_mean", m.key+"_cv_std", m.key+"_test")
	}
	return append(cols, "test_tp", "test_fp", "test_tn", "test_fn")
}

// summaryCSV is summary.csv: one row per cell, cells without leaky features
// first, then in table order. CV columns are empty for a cell without CV
// (cv_folds 0), test columns for a cell without a test score.
func summaryCSV(ix *index) ([]byte, error) {
	rows := [][]string{SummaryColumns()}
	for _, leaky := range ix.variants {
		for _, c := range ix.ordered(leaky) {
			row := []string{c.Set, strconv.FormatBool(c.Leaky), c.Model, strconv.Itoa(c.CV.N)}
			for _, m := range metrics {
				s := m.cv(c.CV)
				test := ""
				if c.Test != nil {
					test = csvNum(m.test(*c.Test))
				}
				row = append(row, cvNum(c, s.Mean), cvNum(c, s.Std), test)
			}
			if t := c.Test; t != nil {
				row = append(row, strconv.Itoa(t.TP), strconv.Itoa(t.FP), strconv.Itoa(t.TN), strconv.Itoa(t.FN))
			} else {
				row = append(row, "", "", "", "")
			}
			rows = append(rows, row)
		}
	}
	return writeCSV(rows)
}

// sortedErrors returns r's errors ordered by reason, then id.
func sortedErrors(r *results.Results) []results.PackageError {
	errs := slices.Clone(r.Errors)
	slices.SortStableFunc(errs, func(a, b results.PackageError) int {
		return cmp.Or(cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.ID, b.ID))
	})
	return errs
}

// errorsCSV is errors.csv: id,label,reason,detail, ordered by reason then id.
func errorsCSV(r *results.Results) ([]byte, error) {
	rows := [][]string{{"id", "label", "reason", "detail"}}
	for _, e := range sortedErrors(r) {
		rows = append(rows, []string{e.ID, e.Label, e.Reason, e.Detail})
	}
	return writeCSV(rows)
}

// importanceCSV is importance.csv: one row per feature scored, in Results
// order (columns, then groups, then text), with the model and set it was
// computed for.
func importanceCSV(r *results.Results) ([]byte, error) {
	rows := [][]string{{"model", "set", "leaky", "name", "kind", "n_columns", "repeats", "mean_drop", "std_drop"}}
	for _, f := range r.Importance {
		rows = append(rows, []string{r.ImportanceModel, r.ImportanceSet, strconv.FormatBool(r.ImportanceLeaky),
			f.Name, f.Kind, strconv.Itoa(len(f.Columns)), strconv.Itoa(len(f.Drops)), csvNum(f.Mean), csvNum(f.Std)})
	}
	return writeCSV(rows)
}

// rulesCSV is rules.csv: each detector's scores on the test split.
func rulesCSV(r *results.Results) ([]byte, error) {
	rows := [][]string{{"detector", "precision", "recall", "f1", "fpr", "accuracy", "mcc", "tp", "fp", "tn", "fn"}}
	for _, rs := range r.Rules {
		m := rs.Metrics
		rows = append(rows, []string{rs.Name, csvNum(m.Precision), csvNum(m.Recall), csvNum(m.F1), csvNum(m.FPR),
			csvNum(m.Accuracy), csvNum(m.MCC), strconv.Itoa(m.TP), strconv.Itoa(m.FP), strconv.Itoa(m.TN), strconv.Itoa(m.FN)})
	}
	return writeCSV(rows)
}

// importanceOf returns the features of the given kinds, sorted by mean drop
// (highest first; NaN last), then name.
func importanceOf(r *results.Results, kinds ...string) []experiments.Importance {
	var out []experiments.Importance
	for _, f := range r.Importance {
		if slices.Contains(kinds, f.Kind) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b experiments.Importance) int {
		an, bn := math.IsNaN(a.Mean), math.IsNaN(b.Mean)
		switch {
		case an != bn:
			if an {
				return 1
			}
			return -1
		case !an && a.Mean != b.Mean:
			return cmp.Compare(b.Mean, a.Mean)
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}
