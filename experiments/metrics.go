package experiments

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"pypimal/experiments/confusion"
	"pypimal/internal/folds"
)

// Thresholds on Pipeline.Predict output above which a row is called
// malicious. Use ProbaThreshold for probabilities and DecisionThreshold for
// SVM decision values.
const (
	ProbaThreshold    = 0.5
	DecisionThreshold = 0.0
)

// ErrOneClass is returned by ROCAUC when the labels hold a single class, where
// ROC-AUC is undefined (sklearn raises ValueError).
var ErrOneClass = errors.New("only one class present in labels: ROC-AUC is undefined")

// Metrics are computed for the malicious class (label 1).
//
// A row is predicted malicious when its score is strictly greater than
// Threshold: sklearn's predict takes the argmax of predict_proba, which sends
// a 0.5/0.5 tie to class 0, and LinearSVC predicts decision > 0.
//
// Ratios whose denominator is zero (precision with no predicted positives,
// recall with no positives, F1 with neither, FPR with no negatives, MCC with
// a constant row or column in the confusion matrix) are 0, as sklearn returns
// under its default zero_division="warn" (without the warning).
//
// ROCAUC is NaN when the labels hold one class, and OneClass is then set;
// averaging then gives NaN too, so the problem cannot go unnoticed. PRAUC is
// sklearn's average_precision_score, which is defined there: 0 without
// positives, 1 without negatives.
type Metrics struct {
	Precision float64
	Recall    float64
	F1        float64
	Accuracy  float64
	MCC       float64
	FPR       float64 // false-positive rate FP / (FP + TN)
	ROCAUC    float64 // trapezoid over distinct thresholds, as roc_auc_score
	PRAUC     float64 // step-wise average precision, as average_precision_score

	TP, FP, TN, FN int
	Threshold      float64
	OneClass       bool // labels hold a single class, so ROCAUC is NaN
}

func checkScored(y []int, scores []float64) (pos, neg int, err error) {
	if len(y) != len(scores) {
		return 0, 0, fmt.Errorf("%d labels but %d scores", len(y), len(scores))
	}
	if len(y) == 0 {
		return 0, 0, fmt.Errorf("no rows to score")
	}
	for i, v := range y {
		switch v {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return 0, 0, fmt.Errorf("row %d: label %d, want 0 (benign) or 1 (malicious)", i, v)
		}
		if s := scores[i]; math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, 0, fmt.Errorf("row %d: score %v is not finite", i, s)
		}
	}
	return pos, neg, nil
}

// Evaluate computes Metrics from labels (0/1) and scores. It fails on length
// mismatch, empty input, labels other than 0/1, non-finite scores and a NaN
// threshold; a single class is not an error (see Metrics).
func Evaluate(y []int, scores []float64, threshold float64) (Metrics, error) {
	if math.IsNaN(threshold) {
		return Metrics{}, fmt.Errorf("evaluate: threshold is NaN")
	}
	pos, neg, err := checkScored(y, scores)
	if err != nil {
		return Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	c := confusion.At(y, scores, threshold)
	m := Metrics{Threshold: threshold, TP: c.TP, FP: c.FP, TN: c.TN, FN: c.FN,
		Precision: c.Precision(), Recall: c.Recall(), F1: c.F1(), FPR: c.FPR()}
	tp, fp, tn, fn := float64(m.TP), float64(m.FP), float64(m.TN), float64(m.FN)
	m.Accuracy = (tp + tn) / float64(len(y))
	// Products in float64: with int counts they overflow beyond ~55k rows.
	if den := math.Sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)); den > 0 {
		m.MCC = (tp*tn - fp*fn) / den
	}
	if pos == 0 || neg == 0 {
		m.OneClass = true
		m.ROCAUC = math.NaN()
	} else {
		m.ROCAUC = rocAUC(y, scores, pos, neg)
	}
	m.PRAUC = averagePrecision(y, scores, pos)
	return m, nil
}

// f1At is Evaluate(...).F1 without the ranking metrics, for the hot loop of
// permutation importance. Inputs must have passed checkScored.
func f1At(y []int, scores []float64, threshold float64) float64 {
	return confusion.At(y, scores, threshold).F1()
}

// ROCAUC is sklearn's roc_auc_score for binary labels: the trapezoidal area
// under the ROC curve with one point per distinct score, so tied scores count
// as half-ordered. It returns ErrOneClass when only one class is present.
func ROCAUC(y []int, scores []float64) (float64, error) {
	pos, neg, err := checkScored(y, scores)
	if err != nil {
		return math.NaN(), fmt.Errorf("roc auc: %w", err)
	}
	if pos == 0 || neg == 0 {
		return math.NaN(), fmt.Errorf("roc auc: %w", ErrOneClass)
	}
	return rocAUC(y, scores, pos, neg), nil
}

// AveragePrecision is sklearn's average_precision_score for binary labels:
// sum over distinct thresholds of (R_n - R_{n-1}) * P_n, a step function, not
// a trapezoid. Without positives it is 0 (sklearn sets recall to 1 and warns).
func AveragePrecision(y []int, scores []float64) (float64, error) {
	pos, _, err := checkScored(y, scores)
	if err != nil {
		return math.NaN(), fmt.Errorf("average precision: %w", err)
	}
	return averagePrecision(y, scores, pos), nil
}

// curve visits the points of sklearn's _binary_clf_curve: for each distinct
// score, from the highest down, the true and false positives among rows
// scoring at least that much.
func curve(y []int, scores []float64, visit func(tp, fp int)) {
	order := make([]int, len(y))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	tp, fp := 0, 0
	for i, row := range order {
		if y[row] == 1 {
			tp++
		} else {
			fp++
		}
		if i+1 == len(order) || scores[order[i+1]] != scores[row] {
			visit(tp, fp)
		}
	}
}

func rocAUC(y []int, scores []float64, pos, neg int) float64 {
	area, prevTP, prevFP := 0.0, 0, 0
	curve(y, scores, func(tp, fp int) {
		area += float64(fp-prevFP) * float64(tp+prevTP)
		prevTP, prevFP = tp, fp
	})
	return area / (2 * float64(pos) * float64(neg))
}

func averagePrecision(y []int, scores []float64, pos int) float64 {
	if pos == 0 {
		return 0
	}
	ap, prevTP := 0.0, 0
	curve(y, scores, func(tp, fp int) {
		ap += float64(tp-prevTP) / float64(pos) * float64(tp) / float64(tp+fp)
		prevTP = tp
	})
	return ap
}

// MeanStd returns the mean and the population standard deviation (ddof=0,
// numpy.std's default, which sklearn-based papers report) of xs; NaN for an
// empty slice. A NaN element makes both NaN. (The group k-fold's balance
// uses the same function.)
func MeanStd(xs []float64) (mean, std float64) { return folds.MeanStd(xs) }

// Stat is a mean and a ddof=0 standard deviation over folds.
type Stat struct {
	Mean, Std float64
}

// Summary is the mean and std of each metric over a set of folds.
type Summary struct {
	N         int // number of folds summarised
	Precision Stat
	Recall    Stat
	F1        Stat
	Accuracy  Stat
	MCC       Stat
	FPR       Stat
	ROCAUC    Stat // NaN when any fold had a single class
	PRAUC     Stat
}

// Summarize averages metrics over folds (all repeats pooled, as
// cross_validate with RepeatedStratifiedKFold followed by numpy mean/std).
// An empty input gives N=0 and NaN statistics.
func Summarize(folds []Metrics) Summary {
	stat := func(get func(Metrics) float64) Stat {
		xs := make([]float64, len(folds))
		for i, m := range folds {
			xs[i] = get(m)
		}
		mean, std := MeanStd(xs)
		return Stat{Mean: mean, Std: std}
	}
	return Summary{
		N:         len(folds),
		Precision: stat(func(m Metrics) float64 { return m.Precision }),
		Recall:    stat(func(m Metrics) float64 { return m.Recall }),
		F1:        stat(func(m Metrics) float64 { return m.F1 }),
		Accuracy:  stat(func(m Metrics) float64 { return m.Accuracy }),
		MCC:       stat(func(m Metrics) float64 { return m.MCC }),
		FPR:       stat(func(m Metrics) float64 { return m.FPR }),
		ROCAUC:    stat(func(m Metrics) float64 { return m.ROCAUC }),
		PRAUC:     stat(func(m Metrics) float64 { return m.PRAUC }),
	}
}
