package experiments

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrNoPositives is returned by PRCurve when the labels hold no malicious
// row, where recall is undefined (sklearn then sets it to 1 and warns).
var ErrNoPositives = errors.New("no positive (malicious) rows: recall is undefined")

// PRPoint is one point of a precision-recall curve: rows scoring at least
// Threshold are called malicious.
type PRPoint struct {
	Threshold float64 // +Inf for the closing point (recall 0, precision 1)
	Precision float64
	Recall    float64
}

// PRCurve is sklearn's precision_recall_curve (drop_intermediate=False) for
// binary labels, as the ordered points of the curve rather than three
// arrays: one point per distinct score, from the lowest threshold (recall 1,
// precision = prevalence when the lowest score is shared by no one else)
// to the highest, then the point (recall 0, precision 1) that sklearn
// appends without a threshold, here with Threshold +Inf. Recall is therefore
// non-increasing along the slice, as in sklearn.
//
// The curve agrees with AveragePrecision: summing
// (R[i] - R[i+1]) * P[i] over consecutive points gives the same value, so a
// plot drawn as a step that holds P[i] on (R[i+1], R[i]] is the curve whose
// area is the reported PR-AUC.
//
// It fails like Evaluate on bad input and with ErrNoPositives when y has no
// 1, where sklearn would warn and return a meaningless curve.
func PRCurve(y []int, scores []float64) ([]PRPoint, error) {
	pos, _, err := checkScored(y, scores)
	if err != nil {
		return nil, fmt.Errorf("precision-recall curve: %w", err)
	}
	if pos == 0 {
		return nil, fmt.Errorf("precision-recall curve: %w", ErrNoPositives)
	}
	order := make([]int, len(y))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	// Visit distinct scores from the highest down (sklearn's
	// _binary_clf_curve), collecting points in that order, then reverse.
	pts := make([]PRPoint, 0, 16)
	tp, fp := 0, 0
	for i, row := range order {
		if y[row] == 1 {
			tp++
		} else {
			fp++
		}
		if i+1 == len(order) || scores[order[i+1]] != scores[row] {
			pts = append(pts, PRPoint{
				Threshold: scores[row],
				Precision: float64(tp) / float64(tp+fp),
				Recall:    float64(tp) / float64(pos),
			})
		}
	}
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
	return append(pts, PRPoint{Threshold: math.Inf(1), Precision: 1, Recall: 0}), nil
}
