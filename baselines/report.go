package baselines

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Report file names, relative to the folder given to WriteReport.
const (
	ReportMarkdown     = "baselines.md"
	ReportAlerts       = "alerts.csv"          // per package × tool × scope
	ReportAlertsClass  = "alerts_by_class.csv" // mean/median/zero share by split × series × scope × class
	ReportDetectors    = "detectors.csv"       // tools (and pypimal) as detectors
	ReportBanditTests  = "bandit_tests.csv"    // top bandit test ids per class and scope
	ReportPackjAPI     = "packj_api.csv"       // packj API-usage categories by class and scope
	ReportTimings      = "timings.csv"         // seconds per package (varies between runs)
	ReportPlotStem     = "alerts_by_class"     // .png and .svg
	topBanditTestsKept = 10
)

// WriteReport writes the baseline report into dir (created if needed):
// baselines.md, alerts.csv, alerts_by_class.csv, detectors.csv,
// bandit_tests.csv, packj_api.csv, alerts_by_class.png/.svg (the paper's
// Fig. 3) and timings.csv. pypimal holds the stacking model's predictions on
// the same rows (may be nil). Everything but timings.csv and the last
// section of baselines.md ("Timings") is a function of res without its
// timings, so the same run gives byte-identical files.
func WriteReport(dir string, res *Result, pypimal []Prediction) error {
	if res == nil {
		return fmt.Errorf("baselines report: no result")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("baselines report: %w", err)
	}
	stats := AlertStats(res)
	dets, err := Detectors(res, pypimal)
	if err != nil {
		return err
	}
	tests := TopBanditTests(res, topBanditTestsKept)
	api := PackjAPIUsage(res)
	times := Timings(res, pypimal)
	split := EvalSplit(res)

	files := map[string][][]string{
		ReportAlerts:      alertsCSV(res),
		ReportAlertsClass: statsCSV(stats),
		ReportDetectors:   detectorsCSV(dets),
		ReportBanditTests: testsCSV(tests),
		ReportPackjAPI:    apiCSV(api),
		ReportTimings:     timingsCSV(res, pypimal),
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeCSV(filepath.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	if err := writeAlertsPlot(dir, ReportPlotStem, stats, split); err != nil {
		return err
	}
	md := markdown(res, stats, dets, tests, api, times, split)
	if err := os.WriteFile(filepath.Join(dir, ReportMarkdown), md, 0o644); err != nil {
		return fmt.Errorf("baselines report: %w", err)
	}
	return nil
}

func writeCSV(name string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("baselines report %s: %w", filepath.Base(name), err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("baselines report: %w", err)
	}
	return nil
}

func ff(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
func itoa(n int) string             { return strconv.Itoa(n) }

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+":"+itoa(m[k]))
	}
	return strings.Join(parts, ";")
}

func alertsCSV(res *Result) [][]string {
	rows := [][]string{{"id", "label", "split", "has_setup", "tool", "scope", "status", "alerts",
		"api_categories", "severity_high", "severity_medium", "severity_low",
		"confidence_high", "confidence_medium", "confidence_low", "bandit_errors", "tests", "error"}}
	for i := range res.Packages {
		p := &res.Packages[i]
		for _, t := range []Tool{ToolBandit, ToolPackj} {
			for _, sc := range Scopes {
				o := p.Outcome(t, sc)
				if o == nil {
					continue
				}
				row := []string{p.ID, p.Label, p.Split, strconv.FormatBool(p.HasSetup), string(t), string(sc),
					string(o.Status), itoa(o.Alerts)}
				if t == ToolBandit {
					row = append(row, "",
						itoa(o.BySeverity["HIGH"]), itoa(o.BySeverity["MEDIUM"]), itoa(o.BySeverity["LOW"]),
						itoa(o.ByConfidence["HIGH"]), itoa(o.ByConfidence["MEDIUM"]), itoa(o.ByConfidence["LOW"]),
						itoa(len(o.ToolErrors)), counts(o.ByTest))
				} else {
					row = append(row, itoa(o.APICategories()), "", "", "", "", "", "", "", counts(o.Permissions))
				}
				rows = append(rows, append(row, o.Err))
			}
		}
	}
	return rows
}

func statsCSV(stats []ClassStat) [][]string {
	rows := [][]string{{"split", "series", "scope", "class", "packages", "counted", "no_setup", "failed",
		"total", "mean", "median", "zero_share"}}
	for _, s := range stats {
		rows = append(rows, []string{s.Split, s.Series, string(s.Scope), s.Class, itoa(s.Packages), itoa(s.Counted),
			itoa(s.NoSetup), itoa(s.Failed), itoa(s.Total), ff(s.Mean, 4), ff(s.Median, 1), ff(s.ZeroShare, 4)})
	}
	return rows
}

func detectorsCSV(dets []DetectorScore) [][]string {
	rows := [][]string{{"detector", "scope", "rule", "n", "available", "train_rows", "train_f1", "split", "rows",
		"failed", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "fpr"}}
	for _, d := range dets {
		rows = append(rows, []string{d.Detector, string(d.Scope), d.Rule, itoa(d.N), strconv.FormatBool(d.Available),
			itoa(d.TrainRows), ff(d.TrainF1, 4), d.Split, itoa(d.Rows), itoa(d.Failed),
			itoa(d.TP), itoa(d.FP), itoa(d.FN), itoa(d.TN),
			ff(d.Precision, 4), ff(d.Recall, 4), ff(d.F1, 4), ff(d.FPR, 4)})
	}
	return rows
}

func testsCSV(tests []TestCount) [][]string {
	rows := [][]string{{"scope", "class", "rank", "test_id", "name", "alerts", "packages", "share"}}
	for _, t := range tests {
		rows = append(rows, []string{string(t.Scope), t.Class, itoa(t.Rank), t.TestID, t.Name,
			itoa(t.Alerts), itoa(t.Packages), ff(t.Share, 4)})
	}
	return rows
}

func apiCSV(api []APIStat) [][]string {
	rows := [][]string{{"scope", "category", "dropped_by_default", "class", "counted", "using", "share", "mean_calls"}}
	for _, a := range api {
		rows = append(rows, []string{string(a.Scope), a.Category, strconv.FormatBool(a.Dropped), a.Class,
			itoa(a.Counted), itoa(a.Using), ff(a.Share, 4), ff(a.MeanCalls, 4)})
	}
	return rows
}

func timingsCSV(res *Result, preds []Prediction) [][]string {
	byID := map[string]Prediction{}
	for _, p := range preds {
		byID[p.ID] = p
	}
	rows := [][]string{{"id", "label", "split", "tool", "scope", "status", "seconds"}}
	for i := range res.Packages {
		p := &res.Packages[i]
		if res.Bandit != nil {
			rows = append(rows, []string{p.ID, p.Label, p.Split, "bandit prep", "package", "", ff(p.PrepSeconds, 4)})
		}
		for _, t := range []Tool{ToolBandit, ToolPackj} {
			for _, sc := range Scopes {
				if o := p.Outcome(t, sc); o != nil && o.Timed {
					rows = append(rows, []string{p.ID, p.Label, p.Split, string(t), string(sc), string(o.Status), ff(o.Seconds, 4)})
				}
			}
		}
		if pr, ok := byID[p.ID]; ok {
			rows = append(rows, []string{p.ID, p.Label, p.Split, "pypimal", "package", "", ff(pr.Seconds, 4)})
		}
	}
	return rows
}

// markdown renders baselines.md.
func markdown(res *Result, stats []ClassStat, dets []DetectorScore, tests []TestCount, api []APIStat, times []TimingStat, split string) []byte {
	var b bytes.Buffer
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	eval := rowsOf(res, split)
	nClass := map[string]int{}
	nSetup := map[string]int{}
	nIni := 0
	for _, p := range eval {
		nClass[p.Label]++
		if p.HasSetup {
			nSetup[p.Label]++
		}
		if p.ShipsBanditIni {
			nIni++
		}
	}
	rowsName := "the **test** split"
	if split == "all" {
		rowsName = "**all** rows given (no test split)"
	}

	pf("# Baselines: bandit and packj\n\n")
	pf("Alert counts of two external tools on %s: %d packages, %d malicious and %d benign. ",
		rowsName, len(eval), nClass[Classes[0]], nClass[Classes[1]])
	pf("Each tool looks at a package twice: the whole normalised package (scope `package`) and its root `setup.py` alone (scope `setup.py`).\n\n")

	pf("## Tools\n\n")
	if bi := res.Bandit; bi != nil {
		pf("- **bandit %s** on Python %s (`%s`). In a fresh temporary folder holding the package's files "+
			"(regular files only, mode 0644, nothing executed): `bandit -r . -f json -q` for the package and, "+
			"when there is a root `setup.py`, `bandit -f json -q setup.py`. Both get `--ini` pointing at our own empty "+
			"config, so a `.bandit` file shipped inside a package cannot skip tests or exclude files", bi.Version, orDash(bi.Python), bi.Binary)
		if nIni > 0 {
			pf(" (%d package(s) here ship one)", nIni)
		}
		pf(". Timeout %s per run; %d workers. An alert is one entry of `results` (exit status 1, \"issues found\", is not an error).\n", fmtDuration(res.TimeoutSeconds), res.Workers)
		if bi.Note != "" {
			pf("  - **Note:** %s\n", bi.Note)
		} else {
			pf("  - Bandit's string-literal tests fire on this Python (probe raised B105).\n")
		}
	}
	if pj := res.Packj; pj != nil {
		if pj.Kind == "jsonl" {
			pf("- **packj**: precomputed reports (`%s`, %d reports): packj's offline static code analysis only "+
				"(`analyze_apis`); its metadata checks and dynamic analysis need the network and did not run, so these are code alerts only. ", pj.Source, pj.Reports)
		} else {
			pf("- **packj**: live reports from `%s` (%d reports, named `<id>-<scope>.json`). These count every risk packj listed, metadata alerts included when packj ran its metadata checks. ", pj.Source, pj.Reports)
		}
		pf("An alert is one distinct risk string of the report (`<alert type>: <reason>`), as packj counts them.\n")
		pf("- **packj-api**: not a packj output; packj's API-usage categories with at least one call site, "+
			"including the two its default config drops (%s). It shows what packj would raise if those were alerts.\n",
			quoteList(PackjDroppedCategories))
	}
	pf("\nA package without a root `setup.py` has nothing to analyse in the `setup.py` scope and counts as 0 alerts there. "+
		"Root `setup.py`: %d of %d malicious and %d of %d benign packages. ",
		nSetup[Classes[0]], nClass[Classes[0]], nSetup[Classes[1]], nClass[Classes[1]])
	pf("The benign packages are Debian's installed form and ship none, so `setup.py`-scope numbers separate the classes for a reason that does not hold on PyPI (a leaky comparison).\n\n")

	// Failures.
	type fkey struct {
		tool  Tool
		scope Scope
		st    Status
	}
	fails := map[fkey]int{}
	var fkeys []fkey
	for _, p := range eval {
		for i := range p.Outcomes {
			o := &p.Outcomes[i]
			if o.Status.Counted() {
				continue
			}
			k := fkey{o.Tool, o.Scope, o.Status}
			if fails[k] == 0 {
				fkeys = append(fkeys, k)
			}
			fails[k]++
		}
	}
	if len(fkeys) == 0 {
		pf("Every tool ran on every package: no errors, timeouts or missing reports.\n\n")
	} else {
		sort.Slice(fkeys, func(i, j int) bool {
			a, c := fkeys[i], fkeys[j]
			if a.tool != c.tool {
				return a.tool < c.tool
			}
			if a.scope != c.scope {
				return scopeIndex(a.scope) < scopeIndex(c.scope)
			}
			return a.st < c.st
		})
		pf("Failures (left out of the means below, counted as \"not flagged\" by the detectors; reasons per package in `%s`):\n\n", ReportAlerts)
		pf("| tool | scope | status | packages |\n|---|---|---|---:|\n")
		for _, k := range fkeys {
			pf("| %s | %s | %s | %d |\n", k.tool, k.scope, k.st, fails[k])
		}
		pf("\n")
	}

	mdAlerts(pf, stats, split)
	mdDetectors(pf, dets, split)
	mdAPI(pf, api)
	mdBanditTests(pf, res, tests)
	mdTimings(pf, res, times, split)
	return b.Bytes()
}

// mdAlerts writes the paper's Fig. 3 table: alerts per package by tool, scope and class.
func mdAlerts(pf func(string, ...any), stats []ClassStat, split string) {
	pf("## Alerts per package (the paper's Fig. 3)\n\n")
	pf("![Mean alerts per package by class and scope](%s.png)\n\n", ReportPlotStem)
	pf("| tool | scope | class | packages | mean | median | zero alerts | failed |\n|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, s := range stats {
		if s.Split != split {
			continue
		}
		pf("| %s | %s | %s | %d | %s | %s | %s | %d |\n", s.Series, s.Scope, s.Class, s.Counted,
			ff(s.Mean, 2), ff(s.Median, 1), pct(s.ZeroShare), s.Failed)
	}
	pf("\nMean and median over packages with a result; \"zero alerts\" is the share of them without any. ")
	pf("Other splits: `%s`.\n\n", ReportAlertsClass)
}

// mdDetectors writes the tools (and pypimal) as detectors.
func mdDetectors(pf func(string, ...any), dets []DetectorScore, split string) {
	pf("## Tools as detectors\n\n")
	pf("A tool flags a package when it raises at least N alerts: N = 1, and the N that maximises F1 on the training rows "+
		"(ties to the smaller N), applied to the %s rows. pypimal is the stacking model on the same packages. "+
		"Malicious is the positive class.\n\n", splitWord(split))
	pf("| detector | scope | rule | N | precision | recall | F1 | FPR | TP | FP | FN | TN | failed |\n")
	pf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, d := range dets {
		rule := "≥ 1"
		switch d.Rule {
		case RuleTrainBest:
			rule = fmt.Sprintf("≥ N (train F1 %s)", ff(d.TrainF1, 3))
		case RuleModel:
			rule = "stacking"
		}
		if !d.Available {
			pf("| %s | %s | ≥ N | n/a | n/a (not run on training rows) | | | | | | | | |\n", d.Detector, d.Scope)
			continue
		}
		n := itoa(d.N)
		if d.Rule == RuleModel {
			n = "–"
		}
		pf("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d |\n", d.Detector, d.Scope, rule, n,
			ff(d.Precision, 3), ff(d.Recall, 3), ff(d.F1, 3), ff(d.FPR, 3), d.TP, d.FP, d.FN, d.TN, d.Failed)
	}
	pf("\n")
}

// mdAPI writes packj's API usage by category.
func mdAPI(pf func(string, ...any), api []APIStat) {
	if len(api) > 0 {
		pf("## packj API usage by category\n\n")
		pf("packj maps each called API to a permission category; these are its call-site counts. " +
			"Categories marked *dropped* never become alerts under packj's default config.\n\n")
		pf("| scope | category | malicious: using | malicious: calls/pkg | benign: using | benign: calls/pkg |\n|---|---|---:|---:|---:|---:|\n")
		for i := 0; i+1 < len(api); i += 2 {
			m, bn := api[i], api[i+1]
			cat := m.Category
			if m.Dropped {
				cat += " (*dropped*)"
			}
			pf("| %s | %s | %s | %s | %s | %s |\n", m.Scope, cat, pct(m.Share), ff(m.MeanCalls, 2), pct(bn.Share), ff(bn.MeanCalls, 2))
		}
		pf("\n")
	}
}

// mdBanditTests writes bandit's most frequent tests per class.
func mdBanditTests(pf func(string, ...any), res *Result, tests []TestCount) {
	if res.Bandit != nil {
		pf("## What bandit reacts to\n\n")
		pf("bandit's %d most frequent tests per class in the `package` scope (findings; packages with at least one; "+
			"the `setup.py` scope is in `%s`). Blacklist tests are named after their id, not \"blacklist\".\n\n", topBanditTestsKept, ReportBanditTests)
		for _, cl := range Classes {
			pf("**%s**\n\n| # | test | name | findings | packages |\n|---:|---|---|---:|---:|\n", cl)
			found := false
			for _, t := range tests {
				if t.Scope == ScopePackage && t.Class == cl {
					found = true
					pf("| %d | %s | %s | %d | %d (%s) |\n", t.Rank, t.TestID, orDash(t.Name), t.Alerts, t.Packages, pct(t.Share))
				}
			}
			if !found {
				pf("| | (none) | | | |\n")
			}
			pf("\n")
		}
	}
}

// mdTimings writes the timings, the one section that varies between runs.
func mdTimings(pf func(string, ...any), res *Result, times []TimingStat, split string) {
	pf("## Timings\n\n")
	pf("*These vary from run to run; everything above this section is deterministic. Per package: `%s`.*\n\n", ReportTimings)
	if res.Bandit != nil {
		n := res.BanditPackages
		pf("bandit pass: %s s wall time for %d packages on %d workers (%s s per package, wall time / packages).\n\n",
			ff(res.BanditWallSeconds, 1), n, res.Workers, ff(ratioF(res.BanditWallSeconds, n), 3))
	}
	if len(times) > 0 {
		pf("Seconds per package on the %s rows (tool time per package, not wall time):\n\n", splitWord(split))
		pf("| tool | scope | class | packages | mean s | median s | total s |\n|---|---|---|---:|---:|---:|---:|\n")
		for _, t := range times {
			pf("| %s | %s | %s | %d | %s | %s | %s |\n", t.Tool, t.Scope, t.Class, t.Packages, ff(t.Mean, 3), ff(t.Median, 3), ff(t.Total, 1))
		}
		pf("\nbandit \"both\" adds a package's two scope runs; \"bandit prep\" is loading the archive and writing the tree; " +
			"packj's times are its own analysis times from the reports (2-core machine, unpacking excluded); " +
			"pypimal's are feature extraction plus prediction.\n")
	}
}

func scopeIndex(s Scope) int {
	for i, sc := range Scopes {
		if sc == s {
			return i
		}
	}
	return len(Scopes)
}

func pct(x float64) string { return ff(100*x, 1) + "%" }

func ratioF(x float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return x / float64(n)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func splitWord(split string) string {
	if split == "all" {
		return "evaluation"
	}
	return split
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "\"" + x + "\""
	}
	return strings.Join(q, " and ")
}

func fmtDuration(seconds float64) string {
	if seconds >= 60 && seconds == float64(int(seconds)) && int(seconds)%60 == 0 {
		return fmt.Sprintf("%d min", int(seconds)/60)
	}
	return ff(seconds, 1) + " s"
}
