// Package confusion counts a binary detector's verdicts, malicious being
// the positive class, and walks the thresholds of a score. It is the one
// implementation behind experiments' metrics, vetting's threshold choice
// and the baselines' detectors, and imports nothing of pypimal.
package confusion

import (
	"cmp"
	"math"
	"slices"
)

// Counts is a confusion matrix.
type Counts struct{ TP, FP, FN, TN int }

// Add counts one verdict.
func (c *Counts) Add(malicious, flagged bool) {
	switch {
	case malicious && flagged:
		c.TP++
	case malicious:
		c.FN++
	case flagged:
		c.FP++
	default:
		c.TN++
	}
}

// At counts the verdicts "malicious when score > threshold" on rows with
// labels y (1 malicious, 0 benign).
func At(y []int, scores []float64, threshold float64) Counts {
	var c Counts
	for i, v := range y {
		c.Add(v == 1, scores[i] > threshold)
	}
	return c
}

// Ratio is a/b, or 0 when b is 0: scikit-learn's zero_division default
// (without its warning).
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Precision, Recall, F1 and FPR are 0 when undefined (nothing flagged, no
// positives, no negatives).
func (c Counts) Precision() float64 { return Ratio(float64(c.TP), float64(c.TP+c.FP)) }
func (c Counts) Recall() float64    { return Ratio(float64(c.TP), float64(c.TP+c.FN)) }
func (c Counts) F1() float64        { return Ratio(float64(2*c.TP), float64(2*c.TP+c.FP+c.FN)) }
func (c Counts) FPR() float64       { return Ratio(float64(c.FP), float64(c.FP+c.TN)) }

// Cut is the verdict "malicious when score > At" with its counts.
type Cut struct {
	At float64
	Counts
}

// Cuts returns every distinct verdict a threshold can give on scores with
// labels malicious, by increasing threshold: first everything flagged (At
// just below the lowest score), then one cut at each distinct score,
// flagging the rows above it; the last flags nothing. Scores must be
// finite.
func Cuts(scores []float64, malicious []bool) []Cut {
	idx := make([]int, len(scores))
	var P, N int
	for i := range idx {
		idx[i] = i
		if malicious[i] {
			P++
		} else {
			N++
		}
	}
	if len(idx) == 0 {
		return nil
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	cuts := []Cut{{At: math.Nextafter(scores[idx[0]], math.Inf(-1)), Counts: Counts{TP: P, FP: N}}}
	var cumP, cumN int
	for i := 0; i < len(idx); {
		u := scores[idx[i]]
		for ; i < len(idx) && scores[idx[i]] == u; i++ {
			if malicious[idx[i]] {
				cumP++
			} else {
				cumN++
			}
		}
		cuts = append(cuts, Cut{At: u, Counts: Counts{TP: P - cumP, FP: N - cumN, FN: cumP, TN: cumN}})
	}
	return cuts
}
