package baselines

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/dataset"
)

func TestBestThreshold(t *testing.T) {
	// Malicious 3,5,2,1; benign 0,1,1,1.
	// N=1: TP 4, FP 3 → F1 8/11; N=2: TP 3, FN 1, FP 0 → 6/7; N=3: TP 2, FN 2 → 4/6; N=5: 2/5.
	alerts := []int{3, 5, 2, 1, 0, 1, 1, 1}
	mal := []bool{true, true, true, true, false, false, false, false}
	n, f1 := BestThreshold(alerts, mal)
	if n != 2 || math.Abs(f1-6.0/7) > 1e-12 {
		t.Errorf("BestThreshold = %d, %v; want 2, 6/7", n, f1)
	}
	// Ties go to the smaller N: {2,2} malicious, {0} benign: N=1 and N=2 both F1 1.
	if n, f1 := BestThreshold([]int{2, 2, 0}, []bool{true, true, false}); n != 1 || f1 != 1 {
		t.Errorf("tie: %d, %v", n, f1)
	}
	// Nothing has an alert.
	if n, f1 := BestThreshold([]int{0, 0}, []bool{true, false}); n != 1 || f1 != 0 {
		t.Errorf("no alerts: %d, %v", n, f1)
	}
	if n, f1 := BestThreshold(nil, nil); n != 1 || f1 != 0 {
		t.Errorf("empty: %d, %v", n, f1)
	}
}

// handResult is a small hand-made result: train rows fix bandit's N at 2;
// test rows are scored with it.
func handResult() *Result {
	mk := func(id, label, split string, hasSetup bool, bandit, banditSetup, packj int, st Status) PackageResult {
		p := PackageResult{ID: id, Label: label, Split: split, HasSetup: hasSetup}
		setupSt := StatusOK
		if !hasSetup {
			setupSt, banditSetup = StatusNoSetup, 0
		}
		p.Outcomes = []Outcome{
			{Tool: ToolBandit, Scope: ScopePackage, Status: st, Alerts: bandit, ByTest: map[string]int{"B102": bandit}, Seconds: 1, Timed: true},
			{Tool: ToolBandit, Scope: ScopeSetup, Status: setupSt, Alerts: banditSetup, ByTest: map[string]int{"B605": banditSetup}, Seconds: 0.5, Timed: hasSetup},
			{Tool: ToolPackj, Scope: ScopePackage, Status: StatusOK, Alerts: packj,
				Permissions: map[string]int{"performs a process operation": packj, "generates new code at runtime": 1}, Seconds: 0.1, Timed: true},
			{Tool: ToolPackj, Scope: ScopeSetup, Status: setupSt, Alerts: 0},
		}
		if st != StatusOK {
			p.Outcomes[0].Alerts, p.Outcomes[0].ByTest, p.Outcomes[0].Err = 0, nil, "boom"
		}
		return p
	}
	M, B := dataset.Malicious, dataset.Benign
	return &Result{
		Bandit:  &BanditInfo{Binary: "/usr/bin/bandit", Version: "1.6.2", Python: "3.11.2", Note: "a note"},
		Packj:   &PackjInfo{Source: "packj.jsonl", Kind: "jsonl", Reports: 20},
		Workers: 2, TimeoutSeconds: 600, BanditWallSeconds: 12.5,
		Packages: []PackageResult{
			// train: as in TestBestThreshold.
			mk("m1", M, "train", true, 3, 1, 1, StatusOK),
			mk("m2", M, "train", true, 5, 1, 1, StatusOK),
			mk("m3", M, "train", true, 2, 1, 1, StatusOK),
			mk("m4", M, "train", true, 1, 1, 1, StatusOK),
			mk("b1", B, "train", false, 0, 0, 0, StatusOK),
			mk("b2", B, "train", false, 1, 0, 0, StatusOK),
			mk("b3", B, "train", false, 1, 0, 0, StatusOK),
			mk("b4", B, "train", false, 1, 0, 0, StatusOK),
			// test: malicious 4, 1, failed; benign 2, 1, 0.
			mk("m5", M, "test", true, 4, 2, 2, StatusOK),
			mk("m6", M, "test", false, 1, 0, 0, StatusOK),
			mk("m7", M, "test", true, 0, 3, 1, StatusTimeout),
			mk("b5", B, "test", false, 2, 0, 1, StatusOK),
			mk("b6", B, "test", false, 1, 0, 0, StatusOK),
			mk("b7", B, "test", false, 0, 0, 0, StatusOK),
			// neither split.
			mk("m8", M, "pool", true, 9, 9, 9, StatusOK),
		},
	}
}

func handPreds() []Prediction {
	return []Prediction{
		{ID: "m5", Label: 1, Score: 0.9, Flag: true, Seconds: 0.02},
		{ID: "m6", Label: 1, Score: 0.4, Flag: false, Seconds: 0.02},
		{ID: "m7", Label: 1, Score: 0.8, Flag: true, Seconds: 0.02},
		{ID: "b5", Label: 0, Score: 0.6, Flag: true, Seconds: 0.01},
		{ID: "b6", Label: 0, Score: 0.1, Flag: false, Seconds: 0.01},
		// b7 has no prediction: failed, not flagged.
	}
}

func TestAlertStats(t *testing.T) {
	stats := AlertStats(handResult())
	get := func(split, series string, sc Scope, cl string) ClassStat {
		for _, s := range stats {
			if s.Split == split && s.Series == series && s.Scope == sc && s.Class == cl {
				return s
			}
		}
		t.Fatalf("no stat %s %s %s %s", split, series, sc, cl)
		return ClassStat{}
	}
	// test, bandit, package, malicious: 4 and 1 counted, m7 failed.
	s := get("test", "bandit", ScopePackage, dataset.Malicious)
	if s.Packages != 3 || s.Counted != 2 || s.Failed != 1 || s.Mean != 2.5 || s.Median != 2.5 || s.ZeroShare != 0 || s.Total != 5 {
		t.Errorf("bandit/package/malicious %+v", s)
	}
	// test, bandit, package, benign: 2, 1, 0.
	s = get("test", "bandit", ScopePackage, dataset.Benign)
	if s.Counted != 3 || s.Mean != 1 || s.Median != 1 || math.Abs(s.ZeroShare-1.0/3) > 1e-12 {
		t.Errorf("bandit/package/benign %+v", s)
	}
	// setup.py scope, malicious: m5 2, m6 no setup.py (0), m7 3.
	s = get("test", "bandit", ScopeSetup, dataset.Malicious)
	if s.Counted != 3 || s.NoSetup != 1 || s.Total != 5 || s.Median != 2 {
		t.Errorf("bandit/setup.py/malicious %+v", s)
	}
	// packj-api: categories with a call: m5 2 (process + codegen), m6 1, m7 2.
	s = get("test", "packj-api", ScopePackage, dataset.Malicious)
	if s.Total != 5 {
		t.Errorf("packj-api %+v", s)
	}
	// all includes the pool row.
	if s := get("all", "bandit", ScopePackage, dataset.Malicious); s.Packages != 8 {
		t.Errorf("all: %+v", s)
	}
}

func TestDetectors(t *testing.T) {
	dets, err := Detectors(handResult(), handPreds())
	if err != nil {
		t.Fatal(err)
	}
	find := func(det string, sc Scope, rule string) DetectorScore {
		for _, d := range dets {
			if d.Detector == det && d.Scope == sc && d.Rule == rule {
				return d
			}
		}
		t.Fatalf("no detector %s %s %s", det, sc, rule)
		return DetectorScore{}
	}
	// ≥1 on test: m5 4 TP, m6 1 TP, m7 failed FN; b5 2 FP, b6 1 FP, b7 0 TN.
	d := find("bandit", ScopePackage, RuleAtLeast1)
	if d.Confusion != (Confusion{TP: 2, FP: 2, FN: 1, TN: 1}) || d.Failed != 1 || d.Rows != 6 || d.Split != "test" {
		t.Errorf("≥1: %+v", d)
	}
	if math.Abs(d.F1-4.0/7) > 1e-12 || d.Precision != 0.5 || math.Abs(d.Recall-2.0/3) > 1e-12 || math.Abs(d.FPR-2.0/3) > 1e-12 {
		t.Errorf("≥1 metrics: %+v", d)
	}
	// N from train = 2: m5 TP, m6 FN, m7 FN; b5 FP, b6 TN, b7 TN.
	d = find("bandit", ScopePackage, RuleTrainBest)
	if d.N != 2 || d.TrainRows != 8 || math.Abs(d.TrainF1-6.0/7) > 1e-12 || d.Confusion != (Confusion{TP: 1, FP: 1, FN: 2, TN: 2}) {
		t.Errorf("train-best: %+v", d)
	}
	// pypimal: m5 TP, m6 FN, m7 TP, b5 FP, b6 TN, b7 missing → TN, failed.
	d = find("pypimal", ScopePackage, RuleModel)
	if d.Confusion != (Confusion{TP: 2, FP: 1, FN: 1, TN: 2}) || d.Failed != 1 {
		t.Errorf("pypimal: %+v", d)
	}
	// Wrong label in the predictions is an error.
	bad := handPreds()
	bad[0].Label = 0
	if _, err := Detectors(handResult(), bad); err == nil {
		t.Error("label mismatch accepted")
	}
	// bandit did not run on the training rows: its tuned detector is not
	// available, packj's still is; stats leave those rows out.
	res := handResult()
	for i := range res.Packages {
		if p := &res.Packages[i]; p.Split == "train" {
			p.Outcomes = p.Outcomes[2:]
		}
	}
	dets, _ = Detectors(res, nil)
	for _, d := range dets {
		if d.Rule == RuleTrainBest && d.Available != (d.Detector != "bandit") {
			t.Errorf("%s %s: available %v", d.Detector, d.Scope, d.Available)
		}
	}
	for _, s := range AlertStats(res) {
		if s.Split == "train" && s.Series == "bandit" && (s.Packages != 0 || s.Failed != 0) {
			t.Errorf("bandit on train rows it did not run on: %+v", s)
		}
	}
	// No training rows: the tuned detector is not available.
	res = handResult()
	for i := range res.Packages {
		if res.Packages[i].Split == "train" {
			res.Packages[i].Split = "pool"
		}
	}
	dets, _ = Detectors(res, nil)
	for _, d := range dets {
		if d.Rule == RuleTrainBest && d.Available {
			t.Errorf("tuned detector available without training rows: %+v", d)
		}
		if d.Detector == "pypimal" {
			t.Error("pypimal row without predictions")
		}
	}
}

func TestTopBanditTests(t *testing.T) {
	tests := TopBanditTests(handResult(), 10)
	var got []string
	for _, tc := range tests {
		got = append(got, string(tc.Scope)+"/"+tc.Class+"/"+tc.TestID+"="+itoa(tc.Alerts)+"/"+itoa(tc.Packages))
	}
	// m7 (timed out) is left out of the package scope, not of setup.py;
	// test ids with no finding are not listed.
	want := "package/malicious/B102=5/2,package/benign/B102=3/2,setup.py/malicious/B605=5/2"
	if strings.Join(got, ",") != want {
		t.Errorf("top tests %v, want %s", got, want)
	}
	if tests[0].Name != "exec_used" {
		t.Errorf("name %q", tests[0].Name)
	}
}

// TestWriteReport writes the report twice from the same result: every file
// exists, CSVs parse, the plot decodes, and the files are byte-identical.
func TestWriteReport(t *testing.T) {
	res, preds := handResult(), handPreds()
	a, b := t.TempDir(), t.TempDir()
	if err := WriteReport(a, res, preds); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(b, res, preds); err != nil {
		t.Fatal(err)
	}
	names := []string{ReportMarkdown, ReportAlerts, ReportAlertsClass, ReportDetectors, ReportBanditTests,
		ReportPackjAPI, ReportTimings, ReportPlotStem + ".png", ReportPlotStem + ".svg"}
	if got := listTree(t, a); len(got) != len(names) {
		t.Errorf("files %v, want %v", got, names)
	}
	for _, n := range names {
		x, y := mustRead(t, filepath.Join(a, n)), mustRead(t, filepath.Join(b, n))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two writes", n)
		}
		if len(x) == 0 {
			t.Errorf("%s is empty", n)
		}
		if strings.HasSuffix(n, ".csv") {
			recs, err := csv.NewReader(bytes.NewReader(x)).ReadAll()
			if err != nil {
				t.Errorf("%s: %v", n, err)
			} else if len(recs) < 2 {
				t.Errorf("%s: %d records", n, len(recs))
			}
		}
	}
	if _, err := png.Decode(bytes.NewReader(mustRead(t, filepath.Join(a, ReportPlotStem+".png")))); err != nil {
		t.Errorf("png: %v", err)
	}
	if svg := string(mustRead(t, filepath.Join(a, ReportPlotStem+".svg"))); !strings.Contains(svg, "<svg") {
		t.Error("svg has no <svg")
	}
	md := string(mustRead(t, filepath.Join(a, ReportMarkdown)))
	for _, want := range []string{
		"bandit 1.6.2", "a note", "## Alerts per package", "| bandit | package | malicious | 2 | 2.50 | 2.5 | 0.0% | 1 |",
		"## Tools as detectors", "| pypimal | package | stacking |", "| bandit | package | ≥ N (train F1 0.857) | 2 |",
		"(*dropped*)", "B102", "## Timings", "alerts_by_class.png",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("baselines.md lacks %q", want)
		}
	}
	// Timings live only after the "## Timings" heading.
	head := md[:strings.Index(md, "## Timings")]
	if strings.Contains(head, "12.5") || strings.Contains(head, "wall time") {
		t.Error("timings above the Timings section")
	}
	det := string(mustRead(t, filepath.Join(a, ReportDetectors)))
	if !strings.Contains(det, "bandit,package,train-best-N,2,true,8,0.8571,test,6,1,1,1,2,2,") {
		t.Errorf("detectors.csv:\n%s", det)
	}
	// A result with nothing in it still makes a report.
	if err := WriteReport(t.TempDir(), &Result{}, nil); err != nil {
		t.Errorf("empty result: %v", err)
	}
}
