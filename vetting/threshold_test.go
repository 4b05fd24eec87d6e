package vetting

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// chooseThresholdSorted is ChooseThreshold as it was written before it used
// confusion.Cuts, kept as the reference the cuts must agree with.
func chooseThresholdSorted(y []int, scores []float64, targetFPR float64) (Threshold, error) {
	if len(y) != len(scores) || len(y) == 0 {
		return Threshold{}, fmt.Errorf("%d labels for %d scores", len(y), len(scores))
	}
	if !(targetFPR >= 0 && targetFPR < 1) {
		return Threshold{}, fmt.Errorf("target false-positive rate %v: want 0 (maximise F1) or a rate in (0, 1)", targetFPR)
	}
	type pt struct {
		s float64
		y int
	}
	pts := make([]pt, len(y))
	var P, N int
	for i := range y {
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) {
			return Threshold{}, fmt.Errorf("row %d has score %v", i, scores[i])
		}
		pts[i] = pt{scores[i], y[i]}
		if y[i] == 1 {
			P++
		} else {
			N++
		}
	}
	if P == 0 || N == 0 {
		return Threshold{}, fmt.Errorf("out-of-fold scores of a single class (%d malicious, %d benign)", P, N)
	}
	slices.SortFunc(pts, func(a, b pt) int { return cmp.Compare(a.s, b.s) })
	// Walk the distinct scores upwards. At threshold u (a distinct score),
	// the rows called malicious are those scoring above u.
	type cand struct {
		t      float64 // the distinct score
		next   float64 // the next higher distinct score (NaN for the highest)
		tp, fp int
	}
	var cands []cand
	// Below every score: every row is called malicious.
	cands = append(cands, cand{t: math.Nextafter(pts[0].s, math.Inf(-1)), next: pts[0].s, tp: P, fp: N})
	var cumP, cumN int
	for i := 0; i < len(pts); {
		u := pts[i].s
		for ; i < len(pts) && pts[i].s == u; i++ {
			if pts[i].y == 1 {
				cumP++
			} else {
				cumN++
			}
		}
		next := math.NaN()
		if i < len(pts) {
			next = pts[i].s
		}
		cands = append(cands, cand{t: u, next: next, tp: P - cumP, fp: N - cumN})
	}
	if targetFPR > 0 {
		for _, c := range cands {
			if float64(c.fp)/float64(N) <= targetFPR {
				return Threshold{Value: c.t, Method: MethodTargetFPR, TargetFPR: targetFPR}, nil
			}
		}
		// Unreachable: the highest score flags nothing.
		return Threshold{}, fmt.Errorf("no threshold reaches false-positive rate %v", targetFPR)
	}
	best, bestF1 := -1, -1.0
	for k, c := range cands {
		f1 := 0.0
		if c.tp > 0 {
			f1 = 2 * float64(c.tp) / float64(2*c.tp+c.fp+(P-c.tp))
		}
		if f1 >= bestF1 {
			best, bestF1 = k, f1
		}
	}
	c := cands[best]
	t := c.t
	if !math.IsNaN(c.next) {
		// Halfway to the next score: the same out-of-fold counts with a
		// margin on both sides (c.t itself when the two are adjacent floats).
		if mid := c.t/2 + c.next/2; mid > c.t && mid < c.next {
			t = mid
		}
	}
	return Threshold{Value: t, Method: MethodMaxF1}, nil
}

// TestChooseThresholdMatchesSorted: on random scores with ties, for the
// F1 rule and a target FPR, the cuts choose what the sorted walk chose.
func TestChooseThresholdMatchesSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 2000 {
		n := 2 + rng.IntN(40)
		y := make([]int, n)
		scores := make([]float64, n)
		for i := range y {
			y[i] = i % 2
			if rng.IntN(3) == 0 {
				scores[i] = float64(rng.IntN(5)) / 4 // ties
			} else {
				scores[i] = rng.Float64()
			}
		}
		rng.Shuffle(n, func(i, j int) { y[i], y[j] = y[j], y[i] })
		for _, target := range []float64{0, 0.05, 0.3} {
			got, err := ChooseThreshold(y, scores, target)
			want, werr := chooseThresholdSorted(y, scores, target)
			if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("trial %d, target %v: got %+v (%v), want %+v (%v)", trial, target, got, err, want, werr)
			}
		}
	}
}
