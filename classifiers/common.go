package classifiers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"pypimal/internal/folds"
)

// Sentinel errors; every model wraps them with its own prefix so callers can
// test with errors.Is and still read which step failed.
var (
	ErrNoRows      = errors.New("no rows")
	ErrSingleClass = errors.New("training labels contain a single class")
	ErrLabel       = folds.ErrLabel // the same sentinel from the inner k-fold split
	ErrShape       = errors.New("shape mismatch")
	ErrNonFinite   = errors.New("non-finite value (NaN or Inf)")
	ErrNotFitted   = errors.New("model is not fitted")
)

// ClassWeight selects how training rows are weighted by class.
type ClassWeight string

const (
	// ClassWeightNone gives every row weight 1 (scikit-learn class_weight=None).
	ClassWeightNone ClassWeight = ""
	// ClassWeightBalanced gives class c the weight n/(2*n_c), as scikit-learn's
	// class_weight="balanced" does for two classes.
	ClassWeightBalanced ClassWeight = "balanced"
)

// check reports an unknown class weighting.
func (cw ClassWeight) check() error {
	switch cw {
	case ClassWeightNone, ClassWeightBalanced:
		return nil
	}
	return fmt.Errorf("unknown class weight %q (want \"\" or \"balanced\")", string(cw))
}

// weights returns the per-class weights for labels y (already validated).
func (cw ClassWeight) weights(y []int) ([2]float64, error) {
	switch cw {
	case ClassWeightNone:
		return [2]float64{1, 1}, nil
	case ClassWeightBalanced:
		var cnt [2]int
		for _, v := range y {
			cnt[v]++
		}
		n := float64(len(y))
		return [2]float64{n / (2 * float64(cnt[0])), n / (2 * float64(cnt[1]))}, nil
	default:
		return [2]float64{}, cw.check()
	}
}

// checkFit validates a training matrix and its labels and returns its shape.
func checkFit(x *mat.Dense, y []int) (n, p int, err error) {
	if x == nil || x.IsEmpty() {
		return 0, 0, ErrNoRows
	}
	n, p = x.Dims()
	if len(y) != n {
		return 0, 0, fmt.Errorf("%w: %d labels for %d rows", ErrShape, len(y), n)
	}
	if err := checkLabels(y); err != nil {
		return 0, 0, err
	}
	if err := checkFinite(x); err != nil {
		return 0, 0, err
	}
	return n, p, nil
}

// checkLabels requires labels in {0, 1} with both classes present.
func checkLabels(y []int) error {
	var cnt [2]int
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("%w: row %d has label %d", ErrLabel, i, v)
		}
		cnt[v]++
	}
	if cnt[0] == 0 || cnt[1] == 0 {
		return fmt.Errorf("%w (%d benign, %d malicious)", ErrSingleClass, cnt[0], cnt[1])
	}
	return nil
}

// checkPredict validates a matrix to score against the fitted column count.
func checkPredict(x *mat.Dense, p int) (int, error) {
	if p == 0 {
		return 0, ErrNotFitted
	}
	if x == nil || x.IsEmpty() {
		return 0, ErrNoRows
	}
	n, c := x.Dims()
	if c != p {
		return 0, fmt.Errorf("%w: got %d columns, model was fitted on %d", ErrShape, c, p)
	}
	return n, checkFinite(x)
}

func checkFinite(x *mat.Dense) error {
	n, p := x.Dims()
	raw := x.RawMatrix()
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w at row %d, column %d", ErrNonFinite, i, j)
			}
		}
	}
	return nil
}

// rowView returns row i of x without copying.
func rowView(x *mat.Dense, i int) []float64 {
	raw := x.RawMatrix()
	return raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
}

// denseCopy returns a contiguous copy of x (Stride == Cols), which the
// kernels below rely on.
func denseCopy(x *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.CloneFrom(x)
	return &c
}

// newRNG returns the package's seeded generator. PCG is cheap to create, so
// every tree, fold and model gets its own instead of sharing one under a lock.
func newRNG(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
}

// sigmoid is the logistic function, written to avoid overflow for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+exp(z)) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
