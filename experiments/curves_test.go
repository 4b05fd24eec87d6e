package experiments

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestPRCurveSklearnExamples(t *testing.T) {
	tests := []struct {
		name      string
		y         []int
		scores    []float64
		precision []float64
		recall    []float64
		threshold []float64 // without the closing +Inf
	}{
		{
			// sklearn's precision_recall_curve docstring example.
			name:      "docstring",
			y:         []int{0, 0, 1, 1},
			scores:    []float64{0.1, 0.4, 0.35, 0.8},
			precision: []float64{0.5, 2.0 / 3, 0.5, 1, 1},
			recall:    []float64{1, 1, 0.5, 0.5, 0},
			threshold: []float64{0.1, 0.35, 0.4, 0.8},
		},
		{
			// Ties: one point per distinct score, counting every tied row.
			name:      "ties",
			y:         []int{1, 0, 1, 0, 1},
			scores:    []float64{0.9, 0.9, 0.5, 0.5, 0.1},
			precision: []float64{0.6, 0.5, 0.5, 1},
			recall:    []float64{1, 2.0 / 3, 1.0 / 3, 0},
			threshold: []float64{0.1, 0.5, 0.9},
		},
		{
			name:      "all positive",
			y:         []int{1, 1},
			scores:    []float64{0.2, 0.7},
			precision: []float64{1, 1, 1},
			recall:    []float64{1, 0.5, 0},
			threshold: []float64{0.2, 0.7},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := PRCurve(tc.y, tc.scores)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != len(tc.precision) {
				t.Fatalf("%d points, want %d: %+v", len(pts), len(tc.precision), pts)
			}
			for i, p := range pts {
				if math.Abs(p.Precision-tc.precision[i]) > 1e-12 || math.Abs(p.Recall-tc.recall[i]) > 1e-12 {
					t.Errorf("point %d = (P %v, R %v), want (P %v, R %v)", i, p.Precision, p.Recall, tc.precision[i], tc.recall[i])
				}
				want := math.Inf(1)
				if i < len(tc.threshold) {
					want = tc.threshold[i]
				}
				if p.Threshold != want {
					t.Errorf("point %d threshold %v, want %v", i, p.Threshold, want)
				}
			}
		})
	}
}

// The step area under PRCurve is AveragePrecision, on random data with ties.
func TestPRCurveMatchesAveragePrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(60)
		y := make([]int, n)
		s := make([]float64, n)
		for i := range y {
			y[i] = rng.IntN(2)
			s[i] = float64(rng.IntN(8)) / 8 // many ties
		}
		y[rng.IntN(n)] = 1
		pts, err := PRCurve(y, s)
		if err != nil {
			t.Fatal(err)
		}
		area := 0.0
		for i := 0; i+1 < len(pts); i++ {
			if pts[i].Recall < pts[i+1].Recall {
				t.Fatalf("trial %d: recall increases at %d", trial, i)
			}
			area += (pts[i].Recall - pts[i+1].Recall) * pts[i].Precision
		}
		ap, err := AveragePrecision(y, s)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(area-ap) > 1e-12 {
			t.Fatalf("trial %d: step area %v, average precision %v", trial, area, ap)
		}
		if first := pts[0]; first.Recall != 1 {
			t.Fatalf("trial %d: first point recall %v, want 1", trial, first.Recall)
		}
	}
}

func TestPRCurveErrors(t *testing.T) {
	tests := []struct {
		name   string
		y      []int
		scores []float64
		is     error
	}{
		{"no positives", []int{0, 0}, []float64{0.1, 0.2}, ErrNoPositives},
		{"empty", nil, nil, nil},
		{"length", []int{1}, []float64{0.1, 0.2}, nil},
		{"label", []int{2}, []float64{0.1}, nil},
		{"nan", []int{1}, []float64{math.NaN()}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PRCurve(tc.y, tc.scores)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
		})
	}
}
