package reports

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pypimal/experiments"
	"pypimal/experiments/results"
)

// The paper's split (Samaana et al., SAC 2025), for the dataset table and
// the known biases.
const (
	PaperTrainMalicious = 138
	PaperTrainBenign    = 5193
	PaperTestMalicious  = 143
	PaperTestBenign     = 397
)

// MaxErrorRows is the number of packages listed in report.md's errors
// table; errors.csv has them all.
const MaxErrorRows = 50

// ReportFiles are the files report.md links to, relative to its folder.
type ReportFiles struct {
	Tables []string   // file names written by WriteTables (links are made only to these)
	Plots  []PlotFile // plots written by WritePlots, embedded where they belong
}

func (f ReportFiles) has(name string) bool { return slices.Contains(f.Tables, name) }

func (f ReportFiles) plot(name string) (PlotFile, bool) {
	for _, p := range f.Plots {
		if p.Name == name {
			return p, true
		}
	}
	return PlotFile{}, false
}

// WriteAll writes the tables, the plots and report.md of r into dir and
// returns the files that report.md links to.
func WriteAll(dir string, r *results.Results) (ReportFiles, error) {
	var files ReportFiles
	var err error
	if files.Tables, err = writeTables(dir, r); err != nil {
		return files, err
	}
	if files.Plots, err = WritePlots(dir, r); err != nil {
		return files, err
	}
	f, err := os.Create(filepath.Join(dir, "report.md"))
	if err != nil {
		return files, fmt.Errorf("reports: %w", err)
	}
	if err := WriteReport(f, r, files); err != nil {
		f.Close()
		return files, err
	}
	if err := f.Close(); err != nil {
		return files, fmt.Errorf("reports: %w", err)
	}
	return files, nil
}

// WriteReport writes report.md: what was run (name, seed, config), the
// dataset counts, the headline beside the paper's, the F1 tables without
// and with leaky features, permutation importance, the precision-recall
// curves, stacking vs the intersection rule, a link to the baselines, the
// known biases and the errors. Plots in files are embedded (PNG, with a
// link to the SVG); tables in files are linked. The text depends only on r
// and files.
func WriteReport(w io.Writer, r *results.Results, files ReportFiles) error {
	ix, err := newIndex(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	rep := &reportWriter{w: bw, ix: ix, r: r, files: files}
	rep.header()
	rep.dataset()
	rep.headline()
	rep.results()
	rep.importance()
	rep.curves()
	rep.rules()
	rep.formShift()
	rep.baselines()
	rep.biases()
	rep.errors()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: report.md: %w", err)
	}
	return nil
}

type reportWriter struct {
	w     *bufio.Writer
	ix    *index
	r     *results.Results
	files ReportFiles
}

func (rw *reportWriter) p(format string, args ...any) { fmt.Fprintf(rw.w, format, args...) }

// embed writes a plot's image and SVG link, if the plot was written.
func (rw *reportWriter) embed(name string) {
	pf, ok := rw.files.plot(name)
	if !ok {
		return
	}
	rw.p("![%s](%s)\n\n", mdEscape(pf.Title), pf.PNG)
	rw.p("Also as %s; the PNG is %d × %d px.\n\n", mdLink("SVG", pf.SVG), pf.WidthPx, pf.HeightPx)
}

// links writes links to a table's Markdown, CSV and LaTeX files that exist.
func (rw *reportWriter) links(base string) string {
	var parts []string
	for _, ext := range []string{".md", ".csv", ".tex"} {
		if rw.files.has(base + ext) {
			parts = append(parts, mdLink(base+ext, base+ext))
		}
	}
	return strings.Join(parts, ", ")
}

func (rw *reportWriter) header() {
	r := rw.r
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	rw.p("# pypimal experiment %s\n\n", mdCode(name))
	rw.p("Reproduction of *A Machine Learning-Based Approach For Detecting Malicious PyPI Packages* " +
		"(Samaana et al., SAC 2025). Timings, tool and module versions are in `run.json`; " +
		"everything here is determined by the configuration and the seed.\n\n")
	rw.p("## What was run\n\n")
	rw.p("| | |\n|---|---|\n")
	rw.p("| experiment | %s |\n", mdEscape(name))
	rw.p("| seed | %d |\n", r.Seed)
	rw.p("| feature sets | %d: %s |\n", len(r.Sets), mdEscape(strings.Join(r.Sets, ", ")))
	rw.p("| models | %d: %s |\n", len(r.Models), mdEscape(strings.Join(r.Models, ", ")))
	for _, leaky := range rw.ix.variants {
		cells := rw.ix.ordered(leaky)
		desc := fmt.Sprintf("%d cells", len(cells))
		if f := rw.ix.folds(leaky); f != "" {
			desc += ", cross-validation " + f
		}
		if rw.ix.hasTest(leaky) {
			desc += ", then fitted on train and scored on test"
		}
		rw.p("| %s | %s |\n", variantName(leaky), desc)
	}
	if d := r.Dataset.SplitDescription; d != "" {
		rw.p("| split | %s |\n", mdEscape(d))
	}
	if d := r.Dataset.Digest; d != "" {
		rw.p("| dataset digest | %s |\n", mdCode(d))
	}
	rw.p("\n")
	if strings.TrimSpace(r.Config) == "" {
		rw.p("No configuration was recorded.\n\n")
		return
	}
	fence := strings.Repeat("`", max(3, longestRun(r.Config, '`')+1))
	rw.p("Configuration (resolved):\n\n%syaml\n%s", fence, r.Config)
	if !strings.HasSuffix(r.Config, "\n") {
		rw.p("\n")
	}
	rw.p("%s\n\n", fence)
}

func (rw *reportWriter) dataset() {
	d := rw.r.Dataset
	rw.p("## Dataset\n\n")
	rw.p("| split | malicious | benign | total | paper (malicious + benign) |\n|---|---:|---:|---:|---|\n")
	rw.p("| train | %s | %s | %s | %s + %s |\n", count(d.TrainMalicious), count(d.TrainBenign), count(d.TrainMalicious+d.TrainBenign),
		count(PaperTrainMalicious), count(PaperTrainBenign))
	rw.p("| test | %s | %s | %s | %s + %s |\n", count(d.TestMalicious), count(d.TestBenign), count(d.TestMalicious+d.TestBenign),
		count(PaperTestMalicious), count(PaperTestBenign))
	rw.p("| total | %s | %s | %s | |\n\n", count(d.TrainMalicious+d.TestMalicious), count(d.TrainBenign+d.TestBenign),
		count(d.TrainMalicious+d.TrainBenign+d.TestMalicious+d.TestBenign))
	switch d.Failed {
	case 0:
		rw.p("Every package produced features.\n\n")
	case 1:
		rw.p("1 package produced no features and is left out (see [Errors](#errors)).\n\n")
	default:
		rw.p("%s packages produced no features and are left out (see [Errors](#errors)).\n\n", count(d.Failed))
	}
}

// bestBy returns the cells of a variant with the highest value of get
// (NaN ignored), first in table order on ties.
func (rw *reportWriter) bestBy(leaky bool, get func(*results.Cell) float64) *results.Cell {
	var best *results.Cell
	for _, c := range rw.ix.ordered(leaky) {
		v := get(c)
		if math.IsNaN(v) {
			continue
		}
		if best == nil || v > get(best) {
			best = c
		}
	}
	return best
}

func cvF1(c *results.Cell) float64 {
	if c.CV.N == 0 {
		return math.NaN()
	}
	return c.CV.F1.Mean
}

func testF1(c *results.Cell) float64 {
	if c.Test == nil {
		return math.NaN()
	}
	return c.Test.F1
}

func cvF1Text(c *results.Cell) string {
	if c.CV.N == 0 {
		return Missing
	}
	return num(c.CV.F1.Mean) + " ± " + num(c.CV.F1.Std)
}

func testF1Text(c *results.Cell) string {
	if c.Test == nil {
		return Missing
	}
	return num(c.Test.F1)
}

func (rw *reportWriter) headline() {
	rw.p("## Headline\n\n")
	if len(rw.ix.variants) == 0 {
		rw.p("No cell was run.\n\n")
		return
	}
	onlyLeaky := !rw.ix.hasVariant(false)
	rw.p("| | CV F1 | test F1 | feature set | model |\n|---|---:|---:|---|---|\n")
	rw.p("| paper (Samaana et al., SAC 2025) | %s | %s | | |\n", paperNum(PaperCVF1), paperNum(PaperTestF1))
	row := func(what string, c *results.Cell, boldCV bool) {
		if c == nil {
			rw.p("| %s | %s | %s | | |\n", what, Missing, Missing)
			return
		}
		cv, test := cvF1Text(c), testF1Text(c)
		if boldCV {
			cv = "**" + cv + "**"
		} else {
			test = "**" + test + "**"
		}
		rw.p("| %s | %s | %s | %s | %s |\n", what, cv, test, mdEscape(c.Set), mdEscape(c.Model))
	}
	variants := []bool{onlyLeaky}
	if !onlyLeaky && rw.ix.hasVariant(true) {
		variants = append(variants, true)
	}
	for _, leaky := range variants {
		row("ours, best CV F1, "+variantName(leaky), rw.bestBy(leaky, cvF1), true)
		if rw.ix.hasTest(leaky) {
			row("ours, best test F1, "+variantName(leaky), rw.bestBy(leaky, testF1), false)
		}
	}
	rw.p("\n")
	if onlyLeaky {
		rw.p("Only cells with leaky features were run, so the headline includes them; read it with the bias below in mind.\n\n")
	} else {
		rw.p("The headline is the run without leaky features: those read `setup.py`, `setup.cfg` or `pyproject.toml`, " +
			"which only the malicious side has here (see [Known biases](#known-biases)). " +
			"The paper's CV figure is a 10-fold mean on its training split; its test figure is on 143 newer malicious and 397 benign packages.\n\n")
	}
}

func (rw *reportWriter) results() {
	rw.p("## F1 by feature set and model\n\n")
	if len(rw.ix.variants) == 0 {
		rw.p("No cell was run.\n\n")
		return
	}
	f1 := metricByKey("f1")
	for _, leaky := range rw.ix.variants {
		if leaky {
			rw.p("### With leaky features\n\n")
			rw.p("The same cells with the leaky features added: features that read `setup.py`, `setup.cfg` or `pyproject.toml` " +
				"(their presence, their code on its own, an incomplete `setup()` call) or the README/LICENSE files at an sdist's root. " +
				"Only the malicious side has these files, " +
				"because the benign packages are Debian's installed form, so these features separate the classes for a reason " +
				"that does not hold on PyPI. Compare with the table above to see how much of a score they explain.\n\n")
		} else {
			rw.p("### Without leaky features\n\n")
		}
		rw.p("%s\n\n", mdTableNote(rw.ix, leaky))
		rw.p("%s\n", mdTable(rw.ix, f1, leaky))
		if l := rw.links(tableBase("f1", leaky)); l != "" {
			rw.p("Files: %s.\n\n", l)
		}
		name := "f1_by_set"
		if leaky {
			name += "-leaky"
		}
		rw.embed(name)
	}
	if rw.ix.hasVariant(false) && rw.ix.hasVariant(true) {
		rw.sideBySide()
	}
	var more []string
	for _, key := range []string{"precision", "recall"} {
		for _, leaky := range rw.ix.variants {
			if l := rw.links(tableBase(key, leaky)); l != "" {
				more = append(more, fmt.Sprintf("%s %s: %s", metricByKey(key).title, variantName(leaky), l))
			}
		}
	}
	if len(more) > 0 {
		rw.p("### Precision and recall\n\nSame layout as the F1 tables:\n\n")
		for _, m := range more {
			rw.p("- %s\n", m)
		}
		rw.p("\n")
	}
	if rw.files.has("summary.csv") {
		rw.p("Every metric (precision, recall, F1, accuracy, MCC, false-positive rate, ROC-AUC, PR-AUC; CV mean, std and test) "+
			"of every cell: %s.\n\n", mdLink("summary.csv", "summary.csv"))
	}
}

// sideBySide compares, per feature set, the best CV F1 without and with
// leaky features.
func (rw *reportWriter) sideBySide() {
	rw.p("### Without vs with leaky features\n\n")
	rw.p("Best CV F1 per feature set (model in parentheses) and the difference leaky features make.\n\n")
	rw.p("| Feature set | without leaky | with leaky | difference |\n|---|---:|---:|---:|\n")
	for _, set := range rw.r.Sets {
		best := func(leaky bool) *results.Cell {
			var b *results.Cell
			for _, m := range rw.r.Models {
				c := rw.ix.cell(set, leaky, m)
				if c == nil || math.IsNaN(cvF1(c)) {
					continue
				}
				if b == nil || cvF1(c) > cvF1(b) {
					b = c
				}
			}
			return b
		}
		without, with := best(false), best(true)
		text := func(c *results.Cell) string {
			if c == nil {
				return Missing
			}
			return num(cvF1(c)) + " (" + mdEscape(c.Model) + ")"
		}
		diff := Missing
		if without != nil && with != nil {
			d := cvF1(with) - cvF1(without)
			diff = num(d)
			if !strings.HasPrefix(diff, "-") {
				diff = "+" + diff
			}
		}
		rw.p("| %s | %s | %s | %s |\n", mdEscape(set), text(without), text(with), diff)
	}
	rw.p("\n")
}

func (rw *reportWriter) importance() {
	r := rw.r
	if len(r.Importance) == 0 {
		return
	}
	rw.p("## Permutation importance\n\n")
	repeats := 0
	for _, f := range r.Importance {
		repeats = max(repeats, len(f.Drops))
	}
	rw.p("Drop in F1 when one feature (or one family, or the whole text vocabulary) is shuffled across packages")
	if repeats > 0 {
		rw.p(", mean ± std%s", overRepeats(repeats))
	}
	on := "the test split"
	if r.Dataset.TestMalicious+r.Dataset.TestBenign == 0 {
		on = "the training rows (the experiment has no test split)"
	}
	rw.p(". Model %s on feature set %s, %s, scored on %s; F1 of the unshuffled data: %s.\n\n",
		mdCode(r.ImportanceModel), mdCode(r.ImportanceSet), variantName(r.ImportanceLeaky), on, num(r.ImportanceF1))
	if cols := importanceOf(r, experiments.KindColumn); len(cols) > 0 {
		n := min(20, len(cols))
		rw.p("### Top %d features\n\n| rank | feature | mean F1 drop | std |\n|---:|---|---:|---:|\n", n)
		for i, f := range cols[:n] {
			rw.p("| %d | %s | %s | %s |\n", i+1, mdCode(f.Name), num(f.Mean), num(f.Std))
		}
		rw.p("\n")
		rw.embed("importance_top20")
	}
	if fams := importanceOf(r, experiments.KindGroup, experiments.KindText); len(fams) > 0 {
		rw.p("### By family\n\n| family | kind | columns | mean F1 drop | std |\n|---|---|---:|---:|---:|\n")
		for _, f := range fams {
			cols := Missing
			if f.Kind != experiments.KindText {
				cols = count(len(f.Columns))
			}
			rw.p("| %s | %s | %s | %s | %s |\n", mdCode(f.Name), mdEscape(f.Kind), cols, num(f.Mean), num(f.Std))
		}
		rw.p("\n")
		rw.embed("importance_families")
	}
	if rw.files.has("importance.csv") {
		rw.p("All features: %s.\n\n", mdLink("importance.csv", "importance.csv"))
	}
}

func (rw *reportWriter) curves() {
	if len(rw.r.Curves) == 0 {
		return
	}
	rw.p("## Precision-recall curves (test split)\n\n")
	rw.p("| curve | packages | malicious | average precision (PR-AUC) |\n|---|---:|---:|---:|\n")
	for _, c := range rw.r.Curves {
		pos := 0
		for _, y := range c.Y {
			if y == 1 {
				pos++
			}
		}
		ap := NotAvailable
		if v, err := experiments.AveragePrecision(c.Y, c.Scores); err == nil && pos > 0 {
			ap = num(v)
		}
		rw.p("| %s | %s | %s | %s |\n", mdEscape(c.Label), count(len(c.Y)), count(pos), ap)
	}
	rw.p("\n")
	rw.embed("pr_curves")
}

func (rw *reportWriter) rules() {
	if len(rw.r.Rules) == 0 {
		return
	}
	rw.p("## Stacking vs the intersection rule (test split)\n\n")
	rw.p("The intersection rule (Ohm et al. 2022) calls a package malicious only when all three of its models do; " +
		"it trades recall for fewer false positives.\n\n")
	rw.p("| detector | precision | recall | F1 | false-positive rate | TP | FP | TN | FN |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rs := range rw.r.Rules {
		m := rs.Metrics
		rw.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(rs.Name), num(m.Precision), num(m.Recall), num(m.F1), num(m.FPR),
			count(m.TP), count(m.FP), count(m.TN), count(m.FN))
	}
	rw.p("\n")
	rw.embed("rules")
}

func (rw *reportWriter) baselines() {
	if rw.r.BaselinesReport == "" {
		return
	}
	rw.p("## Baselines\n\nbandit and packj, alert counts and each used as a detector: %s.\n\n",
		mdLink(rw.r.BaselinesReport, rw.r.BaselinesReport))
}

func (rw *reportWriter) biases() {
	d := rw.r.Dataset
	rw.p("## Known biases\n\n")
	rw.p("- **Benign packages are Debian's installed form, not PyPI sdists.** They are read as their " +
		"`dist-packages` tree with a `*.dist-info`/`*.egg-info` metadata file, so they have no `setup.py`, " +
		"`setup.cfg` or `pyproject.toml`, no README, LICENSE or tests (Debian moves or drops them), while most of the " +
		"malware is an original sdist. Every file gets a role by one rule for every form (module, install, metadata, " +
		"test, doc, example, other); code statistics, file sizes and the vocabulary come from module files only, " +
		"install code feeds only the install family of behaviours that ordinary setup code never shows, and " +
		"features that depend on what one form has are *leaky* and kept out of the headline. The form-shift " +
		"section measures what is left.\n")
	rw.p("- **Benign packages are mature, well-kept projects.** Their metadata is nearly always complete " +
		"(author e-mail, homepage), unlike much of the malware; the paper's benign set (popular packages) has the same kind of bias.\n")
	rw.p("- **Malware comes from pypi_malregistry** (Guo et al., ASE 2023), one package per content cluster " +
		"so that one campaign's copies do not fill the data; copies that differ a little remain. The test malware " +
		"was first seen later (2024–2025) than the training malware, as in the paper, so the test split measures " +
		"a shift in time that cross-validation on the training split does not see.\n")
	rw.p("- **Fewer benign packages than the paper:** %s benign in training against the paper's %s.\n",
		count(d.TrainBenign), count(PaperTrainBenign))
	ratio := ""
	if d.TrainMalicious > 0 {
		ratio = fmt.Sprintf(" (1 : %.1f)", float64(d.TrainBenign)/float64(d.TrainMalicious))
	}
	rw.p("- **Class imbalance:** %s malicious against %s benign in training%s; the paper's split had %s against %s. "+
		"Precision depends on the ratio, and the test split has a different one (%s : %s), so test precision "+
		"is not comparable one-to-one with CV precision.\n\n",
		count(d.TrainMalicious), count(d.TrainBenign), ratio, count(PaperTrainMalicious), count(PaperTrainBenign),
		count(d.TestMalicious), count(d.TestBenign))
}

func (rw *reportWriter) errors() {
	errs := sortedErrors(rw.r)
	rw.p("## Errors\n\n")
	if len(errs) == 0 {
		rw.p("No package failed.\n")
		return
	}
	rw.p("%s packages produced no feature row.\n\n", count(len(errs)))
	counts := map[string]int{}
	for _, e := range errs {
		counts[e.Reason]++
	}
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	rw.p("| reason | packages |\n|---|---:|\n")
	for _, r := range reasons {
		rw.p("| %s | %s |\n", mdEscape(orDash(r)), count(counts[r]))
	}
	rw.p("\n| id | label | reason | detail |\n|---|---|---|---|\n")
	for _, e := range errs[:min(MaxErrorRows, len(errs))] {
		rw.p("| %s | %s | %s | %s |\n", mdEscape(e.ID), mdEscape(e.Label), mdEscape(orDash(e.Reason)), mdEscape(truncate(e.Detail, 200)))
	}
	rw.p("\n")
	if len(errs) > MaxErrorRows {
		rw.p("… and %s more", count(len(errs)-MaxErrorRows))
		if rw.files.has("errors.csv") {
			rw.p(": see %s", mdLink("errors.csv", "errors.csv"))
		}
		rw.p(".\n")
	} else if rw.files.has("errors.csv") {
		rw.p("Also in %s.\n", mdLink("errors.csv", "errors.csv"))
	}
}

func orDash(s string) string {
	if s == "" {
		return Missing
	}
	return s
}

// truncate cuts s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}
