package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"pypimal/experiments"
	"pypimal/experiments/results"
)

// -reports.out=DIR also writes the synthetic report there, to look at.
var outDir = flag.String("reports.out", "", "write the synthetic report into this folder too")

func stat(mean, std float64) experiments.Stat { return experiments.Stat{Mean: mean, Std: std} }

func summary(n int, f1 float64) experiments.Summary {
	return experiments.Summary{
		N:         n,
		Precision: stat(f1+0.02, 0.03),
		Recall:    stat(f1-0.02, 0.04),
		F1:        stat(f1, 0.031),
		Accuracy:  stat(0.97, 0.01),
		MCC:       stat(f1-0.05, 0.05),
		FPR:       stat(0.01, 0.005),
		ROCAUC:    stat(0.98, 0.01),
		PRAUC:     stat(f1+0.01, 0.02),
	}
}

func testMetrics(f1 float64, fp int) *experiments.Metrics {
	return &experiments.Metrics{
		Precision: f1 + 0.01, Recall: f1 - 0.01, F1: f1, Accuracy: 0.95, MCC: f1 - 0.1, FPR: float64(fp) / 397,
		ROCAUC: 0.97, PRAUC: f1, TP: 120, FP: fp, TN: 397 - fp, FN: 23, Threshold: 0.5,
	}
}

// synthetic is a small Results with the awkward cases: names to escape, a
// NaN mean, a missing cell, a cell without a test score, both leaky
// variants, importance of every kind, curves (one without positives) and
// rules.
func synthetic() *results.Results {
	r := &results.Results{
		Name:   "paper_small",
		Config: "experiment: paper_small\nseed: 7\nsets: [metadata, code_text, \"a&b\"]\nnote: \"```\"\n",
		Seed:   7,
		Dataset: results.DatasetSummary{
			Digest: "sha256:0123abcd", TrainMalicious: 138, TrainBenign: 3479, TestMalicious: 143, TestBenign: 397,
			Failed: 3, SplitDescription: "paper_split column",
		},
		Sets:   []string{"metadata", "code_text", "a&b 100%"},
		Models: []string{"rf", "svm", "stacking"},
	}
	f1 := map[string]float64{"metadata": 0.70, "code_text": 0.85, "a&b 100%": 0.60}
	bonus := map[string]float64{"rf": 0.01, "svm": -0.02, "stacking": 0.03}
	for _, leaky := range []bool{false, true} {
		for _, s := range r.Sets {
			for _, m := range r.Models {
				if !leaky && s == "a&b 100%" && m == "svm" {
					continue // missing cell
				}
				v := f1[s] + bonus[m]
				if leaky {
					v += 0.1
				}
				c := results.Cell{Set: s, Leaky: leaky, Model: m, CV: summary(10, v), Test: testMetrics(v-0.05, 3)}
				if s == "metadata" && m == "svm" {
					c.Test = nil // no test score
				}
				if s == "a&b 100%" && m == "rf" {
					c.CV.F1 = stat(math.NaN(), math.NaN())
					c.CV.ROCAUC = stat(math.NaN(), math.NaN())
				}
				r.Cells = append(r.Cells, c)
			}
		}
	}
	r.ImportanceModel, r.ImportanceSet, r.ImportanceF1 = "rf", "code_text", 0.842
	for i := 0; i < 25; i++ {
		r.Importance = append(r.Importance, experiments.Importance{
			Name: fmt.Sprintf("code.feature_%02d", i), Kind: experiments.KindColumn, Columns: []int{i},
			Drops: []float64{0.1, 0.2, 0.3}, Mean: float64(i%7) / 50, Std: 0.01,
		})
	}
	r.Importance = append(r.Importance,
		experiments.Importance{Name: "metadata", Kind: experiments.KindGroup, Columns: []int{0, 1, 2}, Drops: []float64{0.1}, Mean: 0.05, Std: 0.01},
		experiments.Importance{Name: "code", Kind: experiments.KindGroup, Columns: []int{3, 4}, Drops: []float64{0.2}, Mean: 0.2, Std: 0.02},
		experiments.Importance{Name: "text", Kind: experiments.KindText, Drops: []float64{0.1}, Mean: -0.001, Std: 0.003},
	)
	y := []int{1, 1, 0, 0, 1, 0, 0, 0, 1, 0}
	r.Curves = []results.Curve{
		{Label: "stacking (code_text)", Y: y, Scores: []float64{0.9, 0.8, 0.7, 0.1, 0.6, 0.2, 0.2, 0.05, 0.4, 0.3}},
		{Label: "rf (code_text)", Y: y, Scores: []float64{0.7, 0.9, 0.2, 0.2, 0.1, 0.6, 0.3, 0.05, 0.8, 0.3}},
		{Label: "empty", Y: []int{0, 0}, Scores: []float64{0.1, 0.2}},
	}
	r.Rules = []results.RuleScore{
		{Name: "stacking", Metrics: *testMetrics(0.88, 9)},
		{Name: "intersection(rf,svm,mlp)", Metrics: *testMetrics(0.80, 2)},
	}
	for i := 0; i < 60; i++ {
		reason := "parse"
		if i%3 == 0 {
			reason = "limit | size"
		}
		r.Errors = append(r.Errors, results.PackageError{ID: fmt.Sprintf("m%03d", 60-i), Label: "malicious", Reason: reason, Detail: "line1\nline2 *x*"})
	}
	r.BaselinesReport = "baselines/report.md"
	return r
}

var shared struct {
	once  sync.Once
	dir   string
	files ReportFiles
	err   error
}

// TestMain removes the folder that sharedOutput writes.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedOutput is WriteAll(synthetic()) once for all the tests that only
// read its files (rendering the plots is the slow part).
func sharedOutput(t *testing.T) (string, ReportFiles) {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "reports-test-"); shared.err != nil {
			return
		}
		shared.files, shared.err = WriteAll(shared.dir, synthetic())
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir, shared.files
}

func writeAll(t *testing.T, r *results.Results) (string, ReportFiles) {
	t.Helper()
	dir := t.TempDir()
	files, err := WriteAll(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteAllFiles(t *testing.T) {
	r := synthetic()
	dir, files := writeAll(t, r)
	if *outDir != "" {
		if _, err := WriteAll(*outDir, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"report.md", "summary.csv", "errors.csv", "importance.csv", "rules.csv"}
	for _, m := range []string{"f1", "precision", "recall"} {
		for _, ext := range []string{".md", ".csv", ".tex"} {
			want = append(want, m+ext, m+"-leaky"+ext)
		}
	}
	for _, p := range []string{"f1_by_set", "f1_by_set-leaky", "importance_top20", "importance_families", "pr_curves", "rules"} {
		want = append(want, p+".png", p+".svg")
	}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("wrote %d files %v, want %d", len(got), got, len(want))
	}
	for _, name := range files.Tables {
		if !slices.Contains(want, name) {
			t.Errorf("ReportFiles.Tables lists %s", name)
		}
	}
	if len(files.Plots) != 6 {
		t.Errorf("%d plots, want 6", len(files.Plots))
	}
}

func TestMetricCSV(t *testing.T) {
	dir, _ := sharedOutput(t)
	tests := []struct {
		file  string
		leaky string
		rows  int // data rows: cells run
	}{
		{"f1.csv", "false", 8}, // 9 minus the missing cell
		{"f1-leaky.csv", "true", 9},
		{"precision.csv", "false", 8},
		{"recall-leaky.csv", "true", 9},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rows := readCSV(t, filepath.Join(dir, tc.file))
			if got, want := rows[0], []string{"set", "leaky", "model", "cv_mean", "cv_std", "test"}; !slices.Equal(got, want) {
				t.Fatalf("header %v, want %v", got, want)
			}
			if len(rows)-1 != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows)-1, tc.rows)
			}
			for _, row := range rows[1:] {
				if row[1] != tc.leaky {
					t.Errorf("row %v: leaky %s, want %s", row, row[1], tc.leaky)
				}
			}
			// Table order: sets in Sets order, then models in Models order.
			if rows[1][0] != "metadata" || rows[1][2] != "rf" || rows[len(rows)-1][0] != "a&b 100%" || rows[len(rows)-1][2] != "stacking" {
				t.Errorf("order: first %v, last %v", rows[1], rows[len(rows)-1])
			}
		})
	}
	rows := readCSV(t, filepath.Join(dir, "f1.csv"))
	find := func(set, model string) []string {
		for _, row := range rows[1:] {
			if row[0] == set && row[2] == model {
				return row
			}
		}
		return nil
	}
	if row := find("code_text", "stacking"); !slices.Equal(row, []string{"code_text", "false", "stacking", "0.880", "0.031", "0.830"}) {
		t.Errorf("code_text/stacking row %v", row)
	}
	if row := find("metadata", "svm"); row == nil || row[5] != "" {
		t.Errorf("cell without test score: %v, want empty test", row)
	}
	if row := find("a&b 100%", "rf"); row == nil || row[3] != "NaN" || row[4] != "NaN" {
		t.Errorf("NaN cell: %v, want NaN", row)
	}
	if row := find("a&b 100%", "svm"); row != nil {
		t.Errorf("missing cell has a row: %v", row)
	}
}

func TestSummaryCSV(t *testing.T) {
	dir, _ := sharedOutput(t)
	rows := readCSV(t, filepath.Join(dir, "summary.csv"))
	header := rows[0]
	if len(header) != 4+8*3+4 {
		t.Fatalf("%d columns: %v", len(header), header)
	}
	for _, m := range []string{"precision", "recall", "f1", "accuracy", "mcc", "fpr", "roc_auc", "pr_auc"} {
		for _, suffix := range []string{"_cv_mean", "_cv_std", "_test"} {
			if !slices.Contains(header, m+suffix) {
				t.Errorf("no column %s%s", m, suffix)
			}
		}
	}
	if len(rows)-1 != 17 {
		t.Fatalf("%d rows, want 17 cells", len(rows)-1)
	}
	col := func(name string) int { return slices.Index(header, name) }
	for i, row := range rows[1:] {
		if len(row) != len(header) {
			t.Fatalf("row %d has %d fields", i, len(row))
		}
		if want := boolText(i >= 8); row[col("leaky")] != want {
			t.Errorf("row %d leaky %s, want %s (without leaky first)", i, row[col("leaky")], want)
		}
		if row[col("cv_folds")] != "10" {
			t.Errorf("row %d folds %s", i, row[col("cv_folds")])
		}
	}
	first := rows[1]
	if first[col("accuracy_cv_mean")] != "0.970" || first[col("test_fp")] != "3" || first[col("fpr_test")] != "0.008" {
		t.Errorf("first row %v", first)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestOtherCSVs(t *testing.T) {
	r := synthetic()
	dir, _ := sharedOutput(t)
	errs := readCSV(t, filepath.Join(dir, "errors.csv"))
	if len(errs) != 61 || !slices.Equal(errs[0], []string{"id", "label", "reason", "detail"}) {
		t.Fatalf("errors.csv: %d rows, header %v", len(errs), errs[0])
	}
	if errs[1][2] != "limit | size" || errs[1][0] != "m003" || errs[1][3] != "line1\nline2 *x*" {
		t.Errorf("errors.csv first row %v (want reason then id order, detail kept)", errs[1])
	}
	imp := readCSV(t, filepath.Join(dir, "importance.csv"))
	if len(imp) != 1+len(r.Importance) || imp[1][3] != "code.feature_00" || imp[len(imp)-1][4] != "text" {
		t.Errorf("importance.csv: %d rows, %v ... %v", len(imp), imp[1], imp[len(imp)-1])
	}
	if imp[len(imp)-1][7] != "-0.001" {
		t.Errorf("negative mean written as %q", imp[len(imp)-1][7])
	}
	rules := readCSV(t, filepath.Join(dir, "rules.csv"))
	if len(rules) != 3 || rules[2][0] != "intersection(rf,svm,mlp)" || rules[2][8] != "2" {
		t.Errorf("rules.csv %v", rules)
	}
}

func TestLaTeX(t *testing.T) {
	r := synthetic()
	dir, _ := sharedOutput(t)
	for _, name := range []string{"f1.tex", "f1-leaky.tex", "precision.tex", "recall-leaky.tex"} {
		t.Run(name, func(t *testing.T) {
			tex := readFile(t, filepath.Join(dir, name))
			for _, env := range []string{`\begin{table}`, `\end{table}`, `\begin{tabular}{lccc}`, `\end{tabular}`, `\toprule`} {
				if strings.Count(tex, env) != 1 {
					t.Errorf("%s appears %d times", env, strings.Count(tex, env))
				}
			}
			mid := strings.Index(tex, `\midrule`)
			bottom := strings.Index(tex, `\bottomrule`)
			if mid < 0 || bottom < mid {
				t.Fatalf("no \\midrule ... \\bottomrule")
			}
			body := strings.Split(strings.TrimSpace(tex[mid+len(`\midrule`):bottom]), "\n")
			if len(body) != len(r.Sets) {
				t.Fatalf("%d body rows, want %d: %q", len(body), len(r.Sets), body)
			}
			wantStart := []string{"metadata &", `code\_text &`, `a\&b 100\% &`}
			for i, row := range body {
				if !strings.HasPrefix(row, wantStart[i]) || !strings.HasSuffix(row, `\\`) {
					t.Errorf("row %d = %q, want prefix %q and \\\\ at the end", i, row, wantStart[i])
				}
				// one & per model, none unescaped elsewhere
				if got := strings.Count(row, "&") - strings.Count(row, `\&`); got != len(r.Models) {
					t.Errorf("row %d has %d column separators, want %d", i, got, len(r.Models))
				}
			}
			if strings.Contains(tex, "code_text") || strings.Contains(tex, "paper_small") {
				t.Error("unescaped underscore")
			}
			if strings.Count(tex, `\textbf{`) < 1 {
				t.Error("no best cell in bold")
			}
			if strings.Contains(tex, "—") || strings.Contains(tex, "±") {
				t.Error("raw Unicode dash or ± in LaTeX")
			}
		})
	}
	tex := readFile(t, filepath.Join(dir, "f1.tex"))
	// Best CV F1 without leaky: code_text / stacking (0.880).
	if !strings.Contains(tex, `\textbf{0.880 $\pm$ 0.031} $\mid$ 0.830`) {
		t.Errorf("best cell not marked:\n%s", tex)
	}
	if strings.Count(tex, `\textbf{`) != 1 {
		t.Errorf("%d bold cells, want 1", strings.Count(tex, `\textbf{`))
	}
	if !strings.Contains(tex, `a\&b 100\% & n/a $\pm$ n/a $\mid$ 0.560 & --- & `) {
		t.Errorf("NaN or missing cell wrong:\n%s", tex)
	}
	if !strings.Contains(tex, `0.680 $\pm$ 0.031 $\mid$ ---`) {
		t.Errorf("missing test score not shown as ---:\n%s", tex)
	}
}

func TestMarkdownTable(t *testing.T) {
	r := synthetic()
	dir, _ := sharedOutput(t)
	md := readFile(t, filepath.Join(dir, "f1.md"))
	var rows []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 2+len(r.Sets) {
		t.Fatalf("%d table lines, want %d:\n%s", len(rows), 2+len(r.Sets), md)
	}
	if rows[0] != "| Feature set | rf | svm | stacking |" {
		t.Errorf("header %q", rows[0])
	}
	tests := []struct {
		row  int
		want string
	}{
		{2, `| metadata | 0.710 ± 0.031 \| 0.660 | 0.680 ± 0.031 \| — | 0.730 ± 0.031 \| 0.680 |`},
		{3, `| code\_text | 0.860 ± 0.031 \| 0.810 | 0.830 ± 0.031 \| 0.780 | **0.880 ± 0.031** \| 0.830 |`},
		{4, `| a&b 100% | n/a ± n/a \| 0.560 | — | 0.630 ± 0.031 \| 0.580 |`},
	}
	for _, tc := range tests {
		if rows[tc.row] != tc.want {
			t.Errorf("row %d\n got %s\nwant %s", tc.row, rows[tc.row], tc.want)
		}
	}
	// Unescaped pipes per row: one per column boundary.
	for i, row := range rows {
		if n := strings.Count(row, "|") - strings.Count(row, `\|`); n != len(r.Models)+2 {
			t.Errorf("row %d has %d cell boundaries", i, n)
		}
	}
	if strings.Count(md, "**") != 2 {
		t.Errorf("want exactly one bold cell:\n%s", md)
	}
}

func TestBestTies(t *testing.T) {
	r := &results.Results{Name: "t", Sets: []string{"a", "b"}, Models: []string{"x"}}
	r.Cells = []results.Cell{
		{Set: "a", Model: "x", CV: summary(5, 0.9)},
		{Set: "b", Model: "x", CV: summary(5, 0.9)},
	}
	dir := t.TempDir()
	if err := WriteTables(dir, r); err != nil {
		t.Fatal(err)
	}
	md := readFile(t, filepath.Join(dir, "f1.md"))
	if strings.Count(md, "**0.900 ± 0.031**") != 2 {
		t.Errorf("tied best cells not both bold:\n%s", md)
	}
	if strings.Contains(md, `\|`) {
		t.Errorf("test part shown without any test score:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, "f1-leaky.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("f1-leaky.md written without leaky cells: %v", err)
	}
	for _, name := range []string{"importance.csv", "rules.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s written without data", name)
		}
	}
}

func TestPlots(t *testing.T) {
	dir, files := sharedOutput(t)
	sizes := map[string][2]int{
		"f1_by_set": {768, 432}, "f1_by_set-leaky": {768, 432}, "importance_top20": {768, 576},
		"importance_families": {768, 432}, "pr_curves": {768, 432}, "rules": {768, 432},
	}
	for _, pf := range files.Plots {
		t.Run(pf.Name, func(t *testing.T) {
			want, ok := sizes[pf.Name]
			if !ok {
				t.Fatalf("unexpected plot %s", pf.Name)
			}
			f, err := os.Open(filepath.Join(dir, pf.PNG))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if b.Dx() != want[0] || b.Dy() != want[1] || pf.WidthPx != want[0] || pf.HeightPx != want[1] {
				t.Errorf("PNG %d×%d (PlotFile %d×%d), want %d×%d", b.Dx(), b.Dy(), pf.WidthPx, pf.HeightPx, want[0], want[1])
			}
			// Not blank: a plot has many colours.
			colours := map[uint32]bool{}
			for y := b.Min.Y; y < b.Max.Y; y += 3 {
				for x := b.Min.X; x < b.Max.X; x += 3 {
					r, g, bl, _ := img.At(x, y).RGBA()
					colours[r>>8<<16|g>>8<<8|bl>>8] = true
				}
			}
			if len(colours) < 4 {
				t.Errorf("PNG looks blank: %d colours", len(colours))
			}
			checkSVG(t, filepath.Join(dir, pf.SVG), float64(want[0])*72/PlotDPI, float64(want[1])*72/PlotDPI)
		})
	}
}

// checkSVG parses an SVG to the end and checks its root element and size.
func checkSVG(t *testing.T, path string, wPt, hPt float64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root *xml.StartElement
	depth, texts := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == nil {
				e := el.Copy()
				root = &e
			}
			if el.Name.Local == "text" {
				texts++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if root == nil || root.Name.Local != "svg" || depth != 0 {
		t.Fatalf("%s: root %v, depth %d", path, root, depth)
	}
	attr := map[string]string{}
	for _, a := range root.Attr {
		attr[a.Name.Local] = a.Value
	}
	if attr["width"] != fmt.Sprintf("%gpt", wPt) || attr["height"] != fmt.Sprintf("%gpt", hPt) {
		t.Errorf("%s: size %s × %s, want %gpt × %gpt", path, attr["width"], attr["height"], wPt, hPt)
	}
	if texts < 5 {
		t.Errorf("%s: %d text elements", path, texts)
	}
}

func TestPlotsSkippedWithoutData(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*results.Results)
		absent []string
	}{
		{"no importance", func(r *results.Results) { r.Importance = nil }, []string{"importance_top20", "importance_families"}},
		{"families only", func(r *results.Results) {
			r.Importance = slices.DeleteFunc(r.Importance, func(f experiments.Importance) bool { return f.Kind == experiments.KindColumn })
		}, []string{"importance_top20"}},
		{"no curves", func(r *results.Results) { r.Curves = nil }, []string{"pr_curves"}},
		{"no rules", func(r *results.Results) { r.Rules = nil }, []string{"rules"}},
		{"no leaky", func(r *results.Results) {
			r.Cells = slices.DeleteFunc(r.Cells, func(c results.Cell) bool { return c.Leaky })
		}, []string{"f1_by_set-leaky"}},
		{"no cells", func(r *results.Results) { r.Cells = nil }, []string{"f1_by_set", "f1_by_set-leaky"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := synthetic()
			tc.edit(r)
			dir, files := writeAll(t, r)
			for _, name := range tc.absent {
				if _, ok := files.plot(name); ok {
					t.Errorf("%s returned", name)
				}
				for _, ext := range []string{".png", ".svg"} {
					if _, err := os.Stat(filepath.Join(dir, name+ext)); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s%s written", name, ext)
					}
				}
			}
			report := readFile(t, filepath.Join(dir, "report.md"))
			for _, name := range tc.absent {
				if strings.Contains(report, name+".png") {
					t.Errorf("report embeds absent %s", name)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	dir1, _ := sharedOutput(t)
	dir2, _ := writeAll(t, synthetic())
	entries, err := os.ReadDir(dir1)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		a := readFile(t, filepath.Join(dir1, e.Name()))
		b := readFile(t, filepath.Join(dir2, e.Name()))
		if a != b {
			t.Errorf("%s differs between runs", e.Name())
		}
		kinds[filepath.Ext(e.Name())]++
	}
	for _, ext := range []string{".md", ".csv", ".tex", ".png", ".svg"} {
		if kinds[ext] == 0 {
			t.Errorf("no %s file compared", ext)
		}
	}
}

func TestReport(t *testing.T) {
	dir, _ := sharedOutput(t)
	report := readFile(t, filepath.Join(dir, "report.md"))
	mustContain := []string{
		"# pypimal experiment `paper_small`",
		"| seed | 7 |",
		"````yaml\nexperiment: paper_small\n", // fence longer than the ``` inside the config
		"\n````\n",
		"| train | 138 | 3,479 | 3,617 | 138 + 5,193 |",
		"| test | 143 | 397 | 540 | 143 + 397 |",
		"3 packages produced no features",
		"| paper (Samaana et al., SAC 2025) | 0.942 | 0.90 | | |",
		"| ours, best CV F1, without leaky features | **0.880 ± 0.031** | 0.830 | code\\_text | stacking |",
		"| ours, best test F1, without leaky features | 0.880 ± 0.031 | **0.830** | code\\_text | stacking |",
		"| ours, best CV F1, with leaky features | **0.980 ± 0.031** | 0.930 | code\\_text | stacking |",
		"### Without leaky features",
		"### With leaky features",
		"`setup.py`, `setup.cfg` or `pyproject.toml`",
		"### Without vs with leaky features",
		"| code\\_text | 0.880 (stacking) | 0.980 (stacking) | +0.100 |",
		"| a&b 100% | 0.630 (stacking) | 0.730 (stacking) | +0.100 |",
		"![CV F1 by feature set and model, without leaky features](f1_by_set.png)",
		"[SVG](f1_by_set.svg)",
		"![Permutation importance: top 20 features](importance_top20.png)",
		"| 1 | `code.feature_06` | 0.120 | 0.010 |",
		"| `code` | group | 2 | 0.200 | 0.020 |",
		"| `text` | text | — | -0.001 | 0.003 |",
		"| empty | 2 | 0 | n/a |",
		"![Precision-recall curves on the test split](pr_curves.png)",
		"| intersection(rf,svm,mlp) | 0.810 | 0.790 | 0.800 | 0.005 | 120 | 2 | 395 | 23 |",
		"![Stacking vs the intersection rule on the test split](rules.png)",
		"[baselines/report.md](baselines/report.md)",
		"## Known biases",
		"Debian's installed form",
		"pypi_malregistry",
		"3,479 benign in training against the paper's 5,193",
		"138 malicious against 3,479 benign in training (1 : 25.2)",
		"| parse | 40 |\n| limit \\| size | 20 |",
		"| m003 | malicious | limit \\| size | line1 line2 \\*x\\* |",
		"… and 10 more: see [errors.csv](errors.csv).",
		"[precision.md](precision.md), [precision.csv](precision.csv), [precision.tex](precision.tex)",
		"[summary.csv](summary.csv)",
	}
	for _, s := range mustContain {
		if !strings.Contains(report, s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	// Best-test row picks the highest test F1: equal to best CV here, so
	// check the order of sections too.
	order := []string{"## What was run", "## Dataset", "## Headline", "## F1 by feature set", "## Permutation importance",
		"## Precision-recall curves", "## Stacking vs the intersection rule", "## Baselines", "## Known biases", "## Errors"}
	last := -1
	for _, h := range order {
		i := strings.Index(report, h)
		if i <= last {
			t.Errorf("section %q missing or out of order", h)
		}
		last = i
	}
	if n := strings.Count(report, "\n| m0"); n != MaxErrorRows {
		t.Errorf("%d error rows, want %d", n, MaxErrorRows)
	}
	// Every linked or embedded local file exists.
	for _, line := range strings.Split(report, "\n") {
		for _, part := range strings.Split(line, "](")[1:] {
			end := strings.IndexByte(part, ')')
			target := part[:end]
			if strings.HasPrefix(target, "#") || strings.HasPrefix(target, "baselines/") {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, target)); err != nil {
				t.Errorf("report links to missing %s", target)
			}
		}
	}
}

func TestReportMinimal(t *testing.T) {
	// Only leaky cells, no test split, no extras: the report still reads.
	r := &results.Results{Name: "tiny", Sets: []string{"all"}, Models: []string{"rf"},
		Cells: []results.Cell{{Set: "all", Leaky: true, Model: "rf", CV: summary(3, 0.5)}}}
	var b bytes.Buffer
	if err := WriteReport(&b, r, ReportFiles{}); err != nil {
		t.Fatal(err)
	}
	report := b.String()
	for _, s := range []string{"No configuration was recorded.", "Only cells with leaky features were run",
		"| ours, best CV F1, with leaky features | **0.500 ± 0.031** | — | all | rf |", "No package failed."} {
		if !strings.Contains(report, s) {
			t.Errorf("report lacks %q:\n%s", s, report)
		}
	}
	for _, s := range []string{"best test F1", "## Permutation importance", "## Baselines", "![", "](summary.csv)"} {
		if strings.Contains(report, s) {
			t.Errorf("report has %q without the data or file", s)
		}
	}
}

func TestInvalidResults(t *testing.T) {
	tests := []struct {
		name string
		edit func(*results.Results)
		want string
	}{
		{"unknown set", func(r *results.Results) { r.Cells[0].Set = "nope" }, "not in Sets"},
		{"unknown model", func(r *results.Results) { r.Cells[0].Model = "nope" }, "not in Models"},
		{"duplicate cell", func(r *results.Results) { r.Cells = append(r.Cells, r.Cells[0]) }, "given twice"},
		{"duplicate set", func(r *results.Results) { r.Sets = append(r.Sets, "metadata") }, "listed twice"},
		{"curve lengths", func(r *results.Results) { r.Curves[0].Scores = r.Curves[0].Scores[1:] }, "labels but"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := synthetic()
			tc.edit(r)
			_, err := WriteAll(t.TempDir(), r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := WritePlots(t.TempDir(), nil); err == nil {
		t.Error("nil results.Results accepted")
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"fixed", num(0.91249), "0.912"},
		{"nan", num(math.NaN()), "n/a"},
		{"csv nan", csvNum(math.NaN()), "NaN"},
		{"negative zero", num(-0.0001), "0.000"},
		{"negative", num(-0.0011), "-0.001"},
		{"count", count(1234567), "1,234,567"},
		{"count small", count(397), "397"},
		{"count negative", count(-5193), "-5,193"},
		{"paper cv", paperNum(PaperCVF1), "0.942"},
		{"paper test", paperNum(PaperTestF1), "0.90"},
		{"md escape", mdEscape("a_b|c*d\ne"), `a\_b\|c\*d e`},
		{"tex escape", texEscape(`a_b&c%d$e#f{g}h~i^j\k<l>`), `a\_b\&c\%d\$e\#f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k\textless{}l\textgreater{}`},
		{"tex label", texLabel("tab:paper small:f1-leaky"), "tab:paper-small:f1-leaky"},
		{"md code", mdCode("a`b"), "``a`b``"},
		{"md link", mdLink("x", "a b.md"), "[x](<a b.md>)"},
		{"truncate", truncate("abcdef", 4), "abc…"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if got := num(0.9995); got != "0.999" && got != "1.000" {
		t.Errorf("num(0.9995) = %q", got)
	}
}

func TestPRCurvesNoSkillLine(t *testing.T) {
	tests := []struct {
		name   string
		curves func([]results.Curve) []results.Curve
		want   bool
	}{
		{"same prevalence", func(c []results.Curve) []results.Curve { return c[:2] }, true},
		{"a curve without positives", func(c []results.Curve) []results.Curve { return c }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := synthetic()
			r.Curves = tc.curves(r.Curves)
			r.Importance, r.Rules, r.Cells = nil, nil, nil
			dir := t.TempDir()
			if _, err := WritePlots(dir, r); err != nil {
				t.Fatal(err)
			}
			svg := readFile(t, filepath.Join(dir, "pr_curves.svg"))
			if got := strings.Contains(svg, "no skill (prevalence 0.400)"); got != tc.want {
				t.Errorf("no-skill line shown: %t, want %t", got, tc.want)
			}
			if !strings.Contains(svg, "stacking (code_text) (AP 0.887)") {
				t.Error("legend lacks the AP")
			}
			if *outDir != "" && tc.want {
				b, _ := os.ReadFile(filepath.Join(dir, "pr_curves.png"))
				os.WriteFile(filepath.Join(*outDir, "pr_curves_noskill.png"), b, 0o644)
			}
		})
	}
}

func TestFormShift(t *testing.T) {
	r := synthetic()
	r.FormShift = &results.FormShift{
		Set:    "all",
		Forms:  []string{"installed", "sdist (re-packed)", "PyPI sdist (real)"},
		Counts: []int{397, 396, 56},
		Cells: []results.FormShiftCell{
			{Set: "all", Model: "rf", Threshold: 0.5, FP: []int{2, 2, 5}, FPR: []float64{2.0 / 397, 2.0 / 396, 5.0 / 56}},
			{Set: "all", Leaky: true, Model: "rf", Threshold: 0.5, FP: []int{1, 300, 40}, FPR: []float64{1.0 / 397, 300.0 / 396, 40.0 / 56}},
		},
		Install: []results.InstallShift{{Feature: "install_network", NonZero: []int{0, 0, 3}}},
	}
	dir, _ := writeAll(t, r)
	rows := readCSV(t, filepath.Join(dir, "form_shift.csv"))
	if len(rows) != 1+2*3 || rows[0][4] != "form" || rows[3][4] != "PyPI sdist (real)" || rows[3][6] != "5" || rows[3][1] != "false" {
		t.Errorf("form_shift.csv %v", rows)
	}
	md := readFile(t, filepath.Join(dir, "report.md"))
	for _, want := range []string{"## Form shift", "| rf | 0.005 (2) | 0.005 (2) | 0.089 (5) |", "| `install_network` | 0 / 397 | 0 / 396 | 3 / 56 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// The leaky cell is in the CSV only.
	if strings.Contains(md, "0.758 (300)") {
		t.Error("report.md shows the leaky cell")
	}
}
