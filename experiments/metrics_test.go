package experiments

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestEvaluateHandComputed(t *testing.T) {
	// Worked by hand: at 0.5 (strict >) TP=2 FP=1 TN=3 FN=2; ROC-AUC counts
	// 11.5 of 16 pos/neg pairs ordered (the 0.5/0.5 tie counts half); AP =
	// 1/4*1 + 1/4*2/3 + 1/4*3/5 + 1/4*4/6.
	y := []int{1, 1, 1, 0, 0, 0, 0, 1}
	s := []float64{0.9, 0.6, 0.4, 0.7, 0.2, 0.5, 0.1, 0.5}
	tests := []struct {
		name      string
		threshold float64
		want      Metrics
	}{
		{"proba threshold", ProbaThreshold, Metrics{
			Precision: 2.0 / 3, Recall: 0.5, F1: 4.0 / 7, Accuracy: 5.0 / 8, FPR: 0.25,
			MCC: 4 / math.Sqrt(240), ROCAUC: 11.5 / 16, PRAUC: 0.25 + 0.25*2/3 + 0.25*3/5 + 0.25*4/6,
			TP: 2, FP: 1, TN: 3, FN: 2, Threshold: 0.5,
		}},
		{"threshold 0.45 takes the ties", 0.45, Metrics{
			Precision: 3.0 / 5, Recall: 0.75, F1: 6.0 / 9, Accuracy: 5.0 / 8, FPR: 0.5,
			MCC: (3*2 - 2*1) / math.Sqrt(5*4*4*3), ROCAUC: 11.5 / 16, PRAUC: 0.25 + 0.25*2/3 + 0.25*3/5 + 0.25*4/6,
			TP: 3, FP: 2, TN: 2, FN: 1, Threshold: 0.45,
		}},
		{"decision threshold 0: all positive", DecisionThreshold, Metrics{
			Precision: 0.5, Recall: 1, F1: 2.0 / 3, Accuracy: 0.5, FPR: 1,
			MCC: 0, ROCAUC: 11.5 / 16, PRAUC: 0.25 + 0.25*2/3 + 0.25*3/5 + 0.25*4/6,
			TP: 4, FP: 4, Threshold: 0,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate(y, s, tc.threshold)
			if err != nil {
				t.Fatal(err)
			}
			checkMetrics(t, got, tc.want)
		})
	}
}

func checkMetrics(t *testing.T, got, want Metrics) {
	t.Helper()
	pairs := []struct {
		name   string
		g, w   float64
		gi, wi int
	}{
		{name: "precision", g: got.Precision, w: want.Precision},
		{name: "recall", g: got.Recall, w: want.Recall},
		{name: "f1", g: got.F1, w: want.F1},
		{name: "accuracy", g: got.Accuracy, w: want.Accuracy},
		{name: "mcc", g: got.MCC, w: want.MCC},
		{name: "fpr", g: got.FPR, w: want.FPR},
		{name: "roc auc", g: got.ROCAUC, w: want.ROCAUC},
		{name: "pr auc", g: got.PRAUC, w: want.PRAUC},
	}
	for _, p := range pairs {
		if !near(p.g, p.w, 1e-12) {
			t.Errorf("%s = %v, want %v", p.name, p.g, p.w)
		}
	}
	if got.TP != want.TP || got.FP != want.FP || got.TN != want.TN || got.FN != want.FN {
		t.Errorf("confusion TP/FP/TN/FN = %d/%d/%d/%d, want %d/%d/%d/%d",
			got.TP, got.FP, got.TN, got.FN, want.TP, want.FP, want.TN, want.FN)
	}
	if got.OneClass != want.OneClass || got.Threshold != want.Threshold {
		t.Errorf("OneClass/Threshold = %v/%v, want %v/%v", got.OneClass, got.Threshold, want.OneClass, want.Threshold)
	}
}

func TestEvaluateDegenerate(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		y    []int
		s    []float64
		want Metrics
	}{
		{"nothing predicted positive", []int{0, 1, 0, 1}, []float64{0.1, 0.2, 0.3, 0.4}, Metrics{
			Accuracy: 0.5, ROCAUC: 0.75, PRAUC: 0.5 + 0.5*2/3, TN: 2, FN: 2, Threshold: 0.5,
		}},
		{"all scores tied", []int{0, 1, 1, 0}, []float64{0.5, 0.5, 0.5, 0.5}, Metrics{
			Accuracy: 0.5, ROCAUC: 0.5, PRAUC: 0.5, TN: 2, FN: 2, Threshold: 0.5,
		}},
		{"only benign", []int{0, 0, 0}, []float64{0.1, 0.9, 0.3}, Metrics{
			Accuracy: 2.0 / 3, FPR: 1.0 / 3, ROCAUC: nan, PRAUC: 0, TN: 2, FP: 1, Threshold: 0.5, OneClass: true,
		}},
		{"only malicious", []int{1, 1}, []float64{0.9, 0.3}, Metrics{
			Precision: 1, Recall: 0.5, F1: 2.0 / 3, Accuracy: 0.5, ROCAUC: nan, PRAUC: 1, TP: 1, FN: 1, Threshold: 0.5, OneClass: true,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate(tc.y, tc.s, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			checkMetrics(t, got, tc.want)
		})
	}
	if _, err := ROCAUC([]int{1, 1}, []float64{0.2, 0.3}); !errors.Is(err, ErrOneClass) {
		t.Errorf("ROCAUC with one class: error %v, want ErrOneClass", err)
	}
}

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		name string
		y    []int
		s    []float64
		thr  float64
		want string
	}{
		{"length mismatch", []int{0, 1}, []float64{0.1}, 0.5, "2 labels but 1 scores"},
		{"empty", nil, nil, 0.5, "no rows"},
		{"bad label", []int{0, 2}, []float64{0.1, 0.2}, 0.5, "row 1: label 2"},
		{"NaN score", []int{0, 1}, []float64{0.1, math.NaN()}, 0.5, "row 1: score NaN is not finite"},
		{"Inf score", []int{0, 1}, []float64{math.Inf(1), 0.3}, 0.5, "row 0: score +Inf"},
		{"NaN threshold", []int{0, 1}, []float64{0.1, 0.2}, math.NaN(), "threshold is NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.y, tc.s, tc.thr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMeanStdAndSummarize(t *testing.T) {
	m, s := MeanStd([]float64{1, 2, 3, 4})
	if m != 2.5 || !near(s, math.Sqrt(1.25), 1e-15) { // ddof=0
		t.Errorf("MeanStd = %v, %v; want 2.5, sqrt(1.25)", m, s)
	}
	if m, s := MeanStd(nil); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("MeanStd(nil) = %v, %v; want NaN", m, s)
	}
	sum := Summarize([]Metrics{{F1: 0.5, ROCAUC: 0.8}, {F1: 1, ROCAUC: 0.9}})
	if sum.N != 2 || sum.F1 != (Stat{0.75, 0.25}) || !near(sum.ROCAUC.Mean, 0.85, 1e-15) || !near(sum.ROCAUC.Std, 0.05, 1e-15) {
		t.Errorf("Summarize = %+v", sum)
	}
	if sum := Summarize([]Metrics{{ROCAUC: 0.8}, {ROCAUC: math.NaN(), OneClass: true}}); !math.IsNaN(sum.ROCAUC.Mean) {
		t.Errorf("a one-class fold must make the mean ROC-AUC NaN, got %v", sum.ROCAUC.Mean)
	}
}

// sklearnPython is the interpreter with Debian's python3-sklearn.
const sklearnPython = "/usr/bin/python3"

func requireSklearn(t *testing.T) {
	t.Helper()
	if err := exec.Command(sklearnPython, "-c", "import sklearn").Run(); err != nil {
		t.Skipf("skipping the scikit-learn cross-check: %s -c 'import sklearn' failed (%v); apt-get install python3-sklearn to run it", sklearnPython, err)
	}
}

const sklearnMetricsScript = `
import json, sys, warnings
import numpy as np
from sklearn.metrics import (roc_auc_score, average_precision_score, matthews_corrcoef,
    f1_score, precision_score, recall_score, accuracy_score, confusion_matrix)
warnings.simplefilter("ignore")
out = []
for case in json.load(open(sys.argv[1])):
    y = np.array(case["y"]); s = np.array(case["s"]); p = (s > case["thr"]).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()
    out.append(dict(
        roc=roc_auc_score(y, s), ap=average_precision_score(y, s),
        mcc=matthews_corrcoef(y, p), f1=f1_score(y, p), precision=precision_score(y, p),
        recall=recall_score(y, p), accuracy=accuracy_score(y, p),
        fpr=float(fp) / (fp + tn) if fp + tn else 0.0))
json.dump(out, sys.stdout)
`

func TestMetricsMatchSklearn(t *testing.T) {
	requireSklearn(t)
	type testCase struct {
		Y   []int     `json:"y"`
		S   []float64 `json:"s"`
		Thr float64   `json:"thr"`
	}
	r := rand.New(rand.NewPCG(12, 34))
	var cases []testCase
	for i := 0; i < 60; i++ {
		n := 4 + r.IntN(300)
		c := testCase{Thr: 0.5}
		decimals := []float64{1, 10, 100, 1e6}[r.IntN(4)] // coarse rounding gives many ties
		decision := i%5 == 0                              // SVM-like decision values around 0
		if decision {
			c.Thr = 0
		}
		for j := 0; j < n; j++ {
			yv := 0
			if r.Float64() < 0.3 {
				yv = 1
			}
			if j < 2 {
				yv = j // both classes present
			}
			s := r.Float64()*0.7 + 0.3*float64(yv)
			if decision {
				s = 4*s - 2
			}
			c.Y = append(c.Y, yv)
			c.S = append(c.S, math.Round(s*decimals)/decimals)
		}
		if i == 7 { // nothing predicted positive: zero-division paths
			for j := range c.S {
				c.S[j] = c.S[j] * 0.4
			}
		}
		cases = append(cases, c)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "cases.json")
	buf, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "check.py")
	if err := os.WriteFile(script, []byte(sklearnMetricsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sklearnPython, script, in)
	outBytes, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("python: %v", err)
	}
	var want []map[string]float64
	if err := json.Unmarshal(outBytes, &want); err != nil {
		t.Fatalf("decode python output: %v", err)
	}
	for i, c := range cases {
		got, err := Evaluate(c.Y, c.S, c.Thr)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		w := want[i]
		for name, g := range map[string]float64{
			"roc": got.ROCAUC, "ap": got.PRAUC, "mcc": got.MCC, "f1": got.F1, "precision": got.Precision,
			"recall": got.Recall, "accuracy": got.Accuracy, "fpr": got.FPR,
		} {
			if !near(g, w[name], 1e-12) {
				t.Errorf("case %d (n=%d, thr=%v): %s = %.17g, sklearn %.17g", i, len(c.Y), c.Thr, name, g, w[name])
			}
		}
	}
}
