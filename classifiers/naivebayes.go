package classifiers

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// NBParams configures Gaussian naive Bayes.
type NBParams struct {
	// VarSmoothing times the largest feature variance is added to every
	// per-class variance; 0: 1e-9 (scikit-learn's default).
	VarSmoothing float64
}

// DefaultNBParams returns scikit-learn's GaussianNB defaults.
func DefaultNBParams() NBParams { return NBParams{VarSmoothing: 1e-9} }

// GaussianNB is scikit-learn's GaussianNB: per-class feature means and
// (population) variances, class priors from class frequencies.
type GaussianNB struct {
	Params    NBParams
	NFeatures int
	LogPrior  [2]float64
	Mean      [2][]float64
	Var       [2][]float64 // smoothed variances
	Epsilon   float64      // the smoothing actually added
}

// NewGaussianNB returns an unfitted model.
func NewGaussianNB(params NBParams) *GaussianNB { return &GaussianNB{Params: params} }

// Fit estimates the class-conditional Gaussians.
func (g *GaussianNB) Fit(x *mat.Dense, y []int) error {
	n, p, err := checkFit(x, y)
	if err != nil {
		return fmt.Errorf("naive bayes: fit: %w", err)
	}
	vs := g.Params.VarSmoothing
	if vs <= 0 {
		vs = 1e-9
	}
	var cnt [2]float64
	for _, v := range y {
		cnt[v]++
	}
	allMean := make([]float64, p)
	for c := 0; c < 2; c++ {
		g.Mean[c] = make([]float64, p)
		g.Var[c] = make([]float64, p)
	}
	for i := 0; i < n; i++ {
		row := rowView(x, i)
		mc := g.Mean[y[i]]
		for j, v := range row {
			mc[j] += v
			allMean[j] += v
		}
	}
	for j := 0; j < p; j++ {
		allMean[j] /= float64(n)
		g.Mean[0][j] /= cnt[0]
		g.Mean[1][j] /= cnt[1]
	}
	maxVar := 0.0
	allVar := make([]float64, p)
	for i := 0; i < n; i++ {
		row := rowView(x, i)
		mc, vc := g.Mean[y[i]], g.Var[y[i]]
		for j, v := range row {
			d := v - mc[j]
			vc[j] += d * d
			d = v - allMean[j]
			allVar[j] += d * d
		}
	}
	for j := 0; j < p; j++ {
		maxVar = max(maxVar, allVar[j]/float64(n))
	}
	eps := vs * maxVar
	if eps == 0 {
		// Every column is constant. scikit-learn would divide by zero; a
		// tiny variance keeps the posterior equal to the prior instead.
		eps = vs
	}
	for c := 0; c < 2; c++ {
		for j := 0; j < p; j++ {
			g.Var[c][j] = g.Var[c][j]/cnt[c] + eps
		}
		g.LogPrior[c] = math.Log(cnt[c] / float64(n))
	}
	g.Epsilon = eps
	g.NFeatures = p
	return nil
}

// Predict returns the posterior P(malicious) for each row, normalised in log
// space so tiny likelihoods do not underflow.
func (g *GaussianNB) Predict(x *mat.Dense) ([]float64, error) {
	n, err := checkPredict(x, g.NFeatures)
	if err != nil {
		return nil, fmt.Errorf("naive bayes: predict: %w", err)
	}
	var norm [2]float64
	for c := 0; c < 2; c++ {
		s := 0.0
		for _, v := range g.Var[c] {
			s += math.Log(2 * math.Pi * v)
		}
		norm[c] = g.LogPrior[c] - 0.5*s
	}
	out := make([]float64, n)
	for i := range out {
		row := rowView(x, i)
		var jll [2]float64
		for c := 0; c < 2; c++ {
			s := 0.0
			mc, vc := g.Mean[c], g.Var[c]
			for j, v := range row {
				d := v - mc[j]
				s += d * d / vc[j]
			}
			jll[c] = norm[c] - 0.5*s
		}
		// P1 = exp(jll1 - logsumexp(jll0, jll1)) = sigmoid(jll1 - jll0).
		out[i] = sigmoid(jll[1] - jll[0])
	}
	return out, nil
}

func init() {
	Register(Model{Name: "nb", Score: ScoreProbability, New: func(Options, int64) Stored {
		return NewGaussianNB(DefaultNBParams())
	}})
}

// Columns is the number of columns the fitted model takes.
func (nb *GaussianNB) Columns() int { return nb.NFeatures }

// Validate checks a restored model's per-class means, variances and priors.
func (nb *GaussianNB) Validate() error {
	p := nb.NFeatures
	for k := 0; k < 2; k++ {
		if len(nb.Mean[k]) != p || len(nb.Var[k]) != p {
			return fmt.Errorf("class %d has %d means and %d variances, want %d", k, len(nb.Mean[k]), len(nb.Var[k]), p)
		}
		for _, v := range nb.Var[k] {
			if !(v > 0) {
				return fmt.Errorf("class %d has a variance ≤ 0", k)
			}
		}
		if err := allFinite(nb.Mean[k], nb.Var[k]); err != nil {
			return err
		}
	}
	return allFinite(nb.LogPrior[:])
}
