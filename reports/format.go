package reports

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"pypimal/experiments"
	"pypimal/experiments/results"
)

// Text shown in the human-readable tables (Markdown, LaTeX, report.md) for
// a value that is undefined (NaN) and for a cell that was not run.
const (
	NotAvailable = "n/a"
	Missing      = "—"
)

// Decimals is the number of decimals of every score in every table and
// CSV. Fixed decimals keep the files byte-identical across machines even
// when the last bits of a float differ (fused multiply-add on arm64, say).
const Decimals = 3

// metric is one of the figures kept for a cell.
type metric struct {
	key   string // file and column name: "f1", "roc_auc"
	title string // "F1", "ROC-AUC"
	cv    func(experiments.Summary) experiments.Stat
	test  func(experiments.Metrics) float64
}

// metrics lists every metric of summary.csv, in column order.
var metrics = []metric{
	{"precision", "Precision", func(s experiments.Summary) experiments.Stat { return s.Precision }, func(m experiments.Metrics) float64 { return m.Precision }},
	{"recall", "Recall", func(s experiments.Summary) experiments.Stat { return s.Recall }, func(m experiments.Metrics) float64 { return m.Recall }},
	{"f1", "F1", func(s experiments.Summary) experiments.Stat { return s.F1 }, func(m experiments.Metrics) float64 { return m.F1 }},
	{"accuracy", "Accuracy", func(s experiments.Summary) experiments.Stat { return s.Accuracy }, func(m experiments.Metrics) float64 { return m.Accuracy }},
	{"mcc", "MCC", func(s experiments.Summary) experiments.Stat { return s.MCC }, func(m experiments.Metrics) float64 { return m.MCC }},
	{"fpr", "False-positive rate", func(s experiments.Summary) experiments.Stat { return s.FPR }, func(m experiments.Metrics) float64 { return m.FPR }},
	{"roc_auc", "ROC-AUC", func(s experiments.Summary) experiments.Stat { return s.ROCAUC }, func(m experiments.Metrics) float64 { return m.ROCAUC }},
	{"pr_auc", "PR-AUC", func(s experiments.Summary) experiments.Stat { return s.PRAUC }, func(m experiments.Metrics) float64 { return m.PRAUC }},
}

func metricByKey(key string) metric {
	for _, m := range metrics {
		if m.key == key {
			return m
		}
	}
	panic("reports: unknown metric " + key)
}

// tableMetrics are the metrics that get their own Markdown/CSV/LaTeX table,
// in the order the report shows them.
var tableMetrics = []string{"f1", "precision", "recall"}

// fixed formats v with Decimals decimals; undefined gives nan. A value that
// rounds to zero is written without a minus sign.
func fixed(v float64, nan string) string {
	switch {
	case math.IsNaN(v):
		return nan
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(v, 'f', Decimals, 64)
	if strings.TrimLeft(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// num is a score for the human-readable tables ("n/a" when undefined).
func num(v float64) string { return fixed(v, NotAvailable) }

// csvNum is a score for a CSV. Undefined is "NaN", which pandas
// (read_csv's default na_values) and R (read.csv) both read as a missing
// number, where "n/a" would turn an R column into text.
func csvNum(v float64) string { return fixed(v, "NaN") }

// count formats an integer with thousands separators: 3,479.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// paperNum formats one of the paper's figures with the precision the paper
// gives, at least two decimals: 0.942, 0.90.
func paperNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i < 0 {
		s += ".00"
	} else if len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return s
}

// mdEscape makes text safe inside Markdown prose and table cells: the
// characters that start emphasis, code, links, HTML or a cell boundary are
// backslash-escaped, and line breaks become spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// mdCode quotes s as inline code, with a backtick fence longer than any run
// of backticks inside it.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdLink is a link whose destination may hold spaces or parentheses.
func mdLink(text, dest string) string {
	if strings.ContainsAny(dest, " ()<>") {
		dest = "<" + strings.NewReplacer("<", "%3C", ">", "%3E").Replace(dest) + ">"
	}
	return "[" + mdEscape(text) + "](" + dest + ")"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// texEscape makes text safe in LaTeX text mode (OT1 or T1 encoding): the
// ten special characters, plus < and > which OT1 would print as ¡ and ¿.
func texEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\':
			b.WriteString(`\textbackslash{}`)
		case '&', '%', '$', '#', '_', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '~':
			b.WriteString(`\textasciitilde{}`)
		case '^':
			b.WriteString(`\textasciicircum{}`)
		case '<':
			b.WriteString(`\textless{}`)
		case '>':
			b.WriteString(`\textgreater{}`)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// texLabel keeps the characters of s that are safe in a \label key.
func texLabel(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == ':', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// cellKey identifies a cell.
type cellKey struct {
	set   string
	leaky bool
	model string
}

// index is a validated view of Results.
type index struct {
	r        *results.Results
	cells    map[cellKey]*results.Cell
	variants []bool // leaky variants with at least one cell: false first
	sets     map[string]bool
	models   map[string]bool
}

// newIndex checks r and indexes its cells: every cell's set and model must
// be listed in Sets and Models, no cell may appear twice, and names must be
// unique and non-empty.
func newIndex(r *results.Results) (*index, error) {
	if r == nil {
		return nil, errors.New("reports: nil Results")
	}
	ix := &index{r: r, cells: make(map[cellKey]*results.Cell), sets: make(map[string]bool), models: make(map[string]bool)}
	for _, s := range r.Sets {
		if s == "" || ix.sets[s] {
			return nil, fmt.Errorf("reports: feature set %q is empty or listed twice", s)
		}
		ix.sets[s] = true
	}
	for _, m := range r.Models {
		if m == "" || ix.models[m] {
			return nil, fmt.Errorf("reports: model %q is empty or listed twice", m)
		}
		ix.models[m] = true
	}
	var seen [2]bool
	for i := range r.Cells {
		c := &r.Cells[i]
		if !ix.sets[c.Set] {
			return nil, fmt.Errorf("reports: cell %d: feature set %q is not in Sets", i, c.Set)
		}
		if !ix.models[c.Model] {
			return nil, fmt.Errorf("reports: cell %d: model %q is not in Models", i, c.Model)
		}
		k := cellKey{c.Set, c.Leaky, c.Model}
		if ix.cells[k] != nil {
			return nil, fmt.Errorf("reports: cell (%s, leaky=%t, %s) given twice", c.Set, c.Leaky, c.Model)
		}
		ix.cells[k] = c
		if c.Leaky {
			seen[1] = true
		} else {
			seen[0] = true
		}
	}
	for v, ok := range seen {
		if ok {
			ix.variants = append(ix.variants, v == 1)
		}
	}
	for i, c := range r.Curves {
		if len(c.Y) != len(c.Scores) {
			return nil, fmt.Errorf("reports: curve %d (%s): %d labels but %d scores", i, c.Label, len(c.Y), len(c.Scores))
		}
	}
	return ix, nil
}

func (ix *index) cell(set string, leaky bool, model string) *results.Cell {
	return ix.cells[cellKey{set, leaky, model}]
}

// ordered returns the cells of one variant in table order: sets, then
// models, in the order of Sets and Models.
func (ix *index) ordered(leaky bool) []*results.Cell {
	var out []*results.Cell
	for _, s := range ix.r.Sets {
		for _, m := range ix.r.Models {
			if c := ix.cell(s, leaky, m); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// hasVariant reports whether any cell has the given leaky flag.
func (ix *index) hasVariant(leaky bool) bool {
	for _, v := range ix.variants {
		if v == leaky {
			return true
		}
	}
	return false
}

// hasTest reports whether any cell of the variant has a test score.
func (ix *index) hasTest(leaky bool) bool {
	for _, c := range ix.ordered(leaky) {
		if c.Test != nil {
			return true
		}
	}
	return false
}

// folds describes the CV folds of a variant's cells: "10 folds" when all
// agree, "3–10 folds" otherwise, "" without CV.
func (ix *index) folds(leaky bool) string {
	lo, hi := math.MaxInt, 0
	for _, c := range ix.ordered(leaky) {
		if c.CV.N > 0 {
			lo, hi = min(lo, c.CV.N), max(hi, c.CV.N)
		}
	}
	switch {
	case hi == 0:
		return ""
	case lo == hi:
		return fmt.Sprintf("%d folds", hi)
	default:
		return fmt.Sprintf("%d–%d folds", lo, hi)
	}
}

// best returns the highest CV mean of a metric among a variant's cells, and
// whether there is one. NaN means and cells without CV do not count.
func (ix *index) best(m metric, leaky bool) (float64, bool) {
	best, ok := math.Inf(-1), false
	for _, c := range ix.ordered(leaky) {
		if v := m.cv(c.CV).Mean; c.CV.N > 0 && !math.IsNaN(v) && v >= best {
			best, ok = v, true
		}
	}
	return best, ok
}

// isBest reports whether c holds the best CV mean of m in its variant. Ties
// are all best.
func (ix *index) isBest(c *results.Cell, m metric) bool {
	b, ok := ix.best(m, c.Leaky)
	return ok && c.CV.N > 0 && m.cv(c.CV).Mean == b
}

// cellText is the parts of a table cell: "0.912 ± 0.031" and "0.880".
// The CV part is Missing without CV; the test part is Missing without a
// test score.
func cellText(c *results.Cell, m metric) (cv, test string) {
	cv, test = Missing, Missing
	if c.CV.N > 0 {
		s := m.cv(c.CV)
		cv = num(s.Mean) + " ± " + num(s.Std)
	}
	if c.Test != nil {
		test = num(m.test(*c.Test))
	}
	return cv, test
}

// variantName is how a leaky variant is named in titles.
func variantName(leaky bool) string {
	if leaky {
		return "with leaky features"
	}
	return "without leaky features"
}

// tableBase is the file name, without extension, of a metric's table.
func tableBase(key string, leaky bool) string {
	if leaky {
		return key + "-leaky"
	}
	return key
}
