package baselines

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// bestThresholdLoop is BestThreshold as it was written before it used
// confusion.Cuts: every candidate N counted afresh. It is the reference
// the cuts must agree with.
func bestThresholdLoop(alerts []int, malicious []bool) (int, float64) {
	cands := map[int]bool{1: true}
	for _, a := range alerts {
		if a >= 1 {
			cands[a] = true
		}
	}
	ns := make([]int, 0, len(cands))
	for n := range cands {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	bestN, bestF1 := 1, -1.0
	for _, n := range ns {
		var c Confusion
		for i, a := range alerts {
			c.Add(malicious[i], a >= n)
		}
		if f := c.F1(); f > bestF1+1e-12 {
			bestN, bestF1 = n, f
		}
	}
	return bestN, math.Max(bestF1, 0)
}

// TestBestThresholdMatchesLoop: on random alert counts (with zeros, ties,
// no alerts at all, counts all ≥ 1) the cuts pick the N and F1 the
// candidate loop picks.
func TestBestThresholdMatchesLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		n := rng.IntN(12)
		alerts := make([]int, n)
		mal := make([]bool, n)
		lo, hi := rng.IntN(3), 1+rng.IntN(6)
		for i := range alerts {
			alerts[i] = lo + rng.IntN(hi)
			mal[i] = rng.IntN(2) == 1
		}
		if trial%7 == 0 {
			clear(alerts)
		}
		gotN, gotF1 := BestThreshold(alerts, mal)
		wantN, wantF1 := bestThresholdLoop(alerts, mal)
		if gotN != wantN || gotF1 != wantF1 {
			t.Fatalf("alerts %v malicious %v: BestThreshold = %d, %v; the loop gives %d, %v", alerts, mal, gotN, gotF1, wantN, wantF1)
		}
	}
}
