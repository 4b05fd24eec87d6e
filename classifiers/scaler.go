package classifiers

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// StandardScaler centres each column on its training mean and divides by its
// population standard deviation. Columns scikit-learn would call constant
// (variance within rounding error of zero) keep scale 1.
type StandardScaler struct {
	Mean  []float64
	Scale []float64
}

// Fit learns the column means and scales of x.
func (s *StandardScaler) Fit(x *mat.Dense) error {
	if x == nil || x.IsEmpty() {
		return fmt.Errorf("standard scaler: fit: %w", ErrNoRows)
	}
	if err := checkFinite(x); err != nil {
		return fmt.Errorf("standard scaler: fit: %w", err)
	}
	n, p := x.Dims()
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range rowView(x, i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	vars := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range rowView(x, i) {
			d := v - mean[j]
			vars[j] += d * d
		}
	}
	scale := make([]float64, p)
	const eps = 0x1p-52
	fn := float64(n)
	for j := range vars {
		v := vars[j] / fn
		// scikit-learn's _is_constant_feature bound for the two-pass variance.
		bound := fn*eps*v + (fn*mean[j]*eps)*(fn*mean[j]*eps)
		if v <= bound {
			scale[j] = 1
		} else {
			scale[j] = math.Sqrt(v)
		}
	}
	s.Mean, s.Scale = mean, scale
	return nil
}

// Transform returns a scaled copy of x.
func (s *StandardScaler) Transform(x *mat.Dense) (*mat.Dense, error) {
	if s.Mean == nil {
		return nil, fmt.Errorf("standard scaler: transform: %w", ErrNotFitted)
	}
	if x == nil || x.IsEmpty() {
		return nil, fmt.Errorf("standard scaler: transform: %w", ErrNoRows)
	}
	n, p := x.Dims()
	if p != len(s.Mean) {
		return nil, fmt.Errorf("standard scaler: transform: %w: got %d columns, fitted on %d", ErrShape, p, len(s.Mean))
	}
	out := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		dst := rowView(out, i)
		for j, v := range rowView(x, i) {
			dst[j] = (v - s.Mean[j]) / s.Scale[j]
		}
	}
	return out, nil
}
