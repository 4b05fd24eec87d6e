package confusion

import (
	"math"
	"testing"
)

func TestCountsKnownAnswers(t *testing.T) {
	c := At([]int{1, 1, 1, 0, 0, 0, 0}, []float64{0.9, 0.6, 0.2, 0.7, 0.5, 0.1, 0.5}, 0.5)
	if c != (Counts{TP: 2, FN: 1, FP: 1, TN: 3}) {
		t.Fatalf("counts %+v", c)
	}
	for name, got := range map[string][2]float64{
		"precision": {c.Precision(), 2.0 / 3},
		"recall":    {c.Recall(), 2.0 / 3},
		"f1":        {c.F1(), 4.0 / 6},
		"fpr":       {c.FPR(), 1.0 / 4},
	} {
		if got[0] != got[1] {
			t.Errorf("%s = %v, want %v", name, got[0], got[1])
		}
	}
	var none Counts
	if none.Precision() != 0 || none.Recall() != 0 || none.F1() != 0 || none.FPR() != 0 {
		t.Error("undefined ratios are not 0")
	}
}

func TestCuts(t *testing.T) {
	scores := []float64{0.5, 0.2, 0.5, 0.9}
	mal := []bool{true, false, false, true}
	cuts := Cuts(scores, mal)
	want := []Cut{
		{At: math.Nextafter(0.2, math.Inf(-1)), Counts: Counts{TP: 2, FP: 2}},
		{At: 0.2, Counts: Counts{TP: 2, FP: 1, TN: 1}},
		{At: 0.5, Counts: Counts{TP: 1, FN: 1, TN: 2}},
		{At: 0.9, Counts: Counts{FN: 2, TN: 2}},
	}
	if len(cuts) != len(want) {
		t.Fatalf("%d cuts, want %d", len(cuts), len(want))
	}
	for k := range want {
		if cuts[k] != want[k] {
			t.Errorf("cut %d = %+v, want %+v", k, cuts[k], want[k])
		}
		// Each cut's counts are the verdict "score > At".
		y := []int{1, 0, 0, 1}
		if got := At(y, scores, cuts[k].At); got != cuts[k].Counts {
			t.Errorf("cut %d: At gives %+v", k, got)
		}
	}
	if Cuts(nil, nil) != nil {
		t.Error("cuts of no rows")
	}
}
