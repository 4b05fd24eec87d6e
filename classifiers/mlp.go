package classifiers

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// sparseBelow is the share of non-zero inputs under which the MLP uses the
// sparse product kernel (a variable so tests can force either kernel).
var sparseBelow = 0.15

// MLPParams configures the multilayer perceptron. Zero fields take the
// scikit-learn MLPClassifier default noted on each field.
type MLPParams struct {
	Hidden        int     // units in the single ReLU hidden layer; 0: 100
	Alpha         float64 // L2 penalty; 0: 1e-4
	LearningRate  float64 // Adam step size; 0: 1e-3
	Beta1         float64 // 0: 0.9
	Beta2         float64 // 0: 0.999
	Epsilon       float64 // 0: 1e-8
	BatchSize     int     // 0: min(200, n)
	MaxIter       int     // epochs; 0: 200
	Tol           float64 // 0: 1e-4
	NIterNoChange int     // 0: 10
	// Float32 trains and predicts in single precision, as MLPClassifier
	// does on float32 input; false: float64, scikit-learn's default.
	Float32 bool `json:",omitempty"`
}

// DefaultMLPParams returns scikit-learn's MLPClassifier defaults.
func DefaultMLPParams() MLPParams {
	return MLPParams{
		Hidden: 100, Alpha: 1e-4, LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999,
		Epsilon: 1e-8, MaxIter: 200, Tol: 1e-4, NIterNoChange: 10,
	}
}

func (p MLPParams) resolved() MLPParams {
	d := DefaultMLPParams()
	if p.Hidden <= 0 {
		p.Hidden = d.Hidden
	}
	if p.Alpha <= 0 {
		p.Alpha = d.Alpha
	}
	if p.LearningRate <= 0 {
		p.LearningRate = d.LearningRate
	}
	if p.Beta1 <= 0 {
		p.Beta1 = d.Beta1
	}
	if p.Beta2 <= 0 {
		p.Beta2 = d.Beta2
	}
	if p.Epsilon <= 0 {
		p.Epsilon = d.Epsilon
	}
	if p.MaxIter <= 0 {
		p.MaxIter = d.MaxIter
	}
	if p.Tol <= 0 {
		p.Tol = d.Tol
	}
	if p.NIterNoChange <= 0 {
		p.NIterNoChange = d.NIterNoChange
	}
	return p
}

// MLP is a one-hidden-layer ReLU network with a logistic output trained on
// cross-entropy by mini-batch Adam, replicating scikit-learn's
// MLPClassifier(solver="adam") training loop: Glorot-uniform initialisation,
// per-epoch shuffling, and stopping when the epoch loss has not improved by
// Tol for more than NIterNoChange epochs.
type MLP struct {
	Params    MLPParams
	Seed      int64
	NFeatures int
	W1        []float64 // NFeatures x Hidden, row-major
	B1        []float64 // Hidden
	W2        []float64 // Hidden
	B2        float64
	NIter     int       // epochs run
	LossCurve []float64 // mean training loss per epoch
}

// NewMLP returns an unfitted network.
func NewMLP(params MLPParams, seed int64) *MLP {
	return &MLP{Params: params, Seed: seed}
}

// adam holds the first and second moment estimates of one parameter block.
type adam[T floating] struct{ m, v []T }

func newAdam[T floating](n int) adam[T] { return adam[T]{make([]T, n), make([]T, n)} }

// step applies one Adam update with the bias-corrected step size lr.
func (a adam[T]) step(param, grad []T, b1, b2, lr, eps float64) {
	adamUpdate(param, grad, a.m, a.v, b1, b2, lr, eps, false, 0, 0, haveAVX2FMA)
}

// stepL2 is step on the gradient (grad + alpha·param)·inv: the L2 penalty
// and batch mean added on the fly.
func (a adam[T]) stepL2(param, grad []T, b1, b2, lr, eps, alpha, inv float64) {
	adamUpdate(param, grad, a.m, a.v, b1, b2, lr, eps, true, alpha, inv, haveAVX2FMA)
}

// Fit trains the network.
func (m *MLP) Fit(x *mat.Dense, y []int) error {
	n, p, err := checkFit(x, y)
	if err != nil {
		return fmt.Errorf("mlp: fit: %w", err)
	}
	prm := m.Params.resolved()
	if prm.Float32 {
		err = trainMLP[float32](m, x, y, n, p, prm)
	} else {
		err = trainMLP[float64](m, x, y, n, p, prm)
	}
	if err != nil {
		return fmt.Errorf("mlp: fit: %w", err)
	}
	return nil
}

// trainMLP is Fit in precision T. The result is kept in float64 (exact for
// float32 values), with Params.Float32 telling Predict to go back to T.
func trainMLP[T floating](m *MLP, x *mat.Dense, y []int, n, p int, prm MLPParams) error {
	h := prm.Hidden
	bs := prm.BatchSize
	if bs <= 0 {
		bs = 200
	}
	bs = min(bs, n)
	rng := newRNG(m.Seed)

	// Glorot-uniform as scikit-learn's _init_coef: factor 6 because the
	// hidden activation is ReLU (2 only for a logistic hidden layer), for
	// both layers, weights first then intercepts; drawn in float64 and
	// rounded to T, as scikit-learn's astype(dtype).
	uniform := func(dst []T, bound float64) {
		for i := range dst {
			dst[i] = T((2*rng.Float64() - 1) * bound)
		}
	}
	w1 := make([]T, p*h)
	b1 := make([]T, h)
	w2 := make([]T, h)
	b2 := []T{0}
	bound1 := math.Sqrt(6 / float64(p+h))
	uniform(w1, bound1)
	uniform(b1, bound1)
	bound2 := math.Sqrt(6 / float64(h+1))
	uniform(w2, bound2)
	uniform(b2, bound2)

	gw1 := make([]T, p*h)
	gb1 := make([]T, h)
	gw2 := make([]T, h)
	gb2 := []T{0}
	aw1, ab1, aw2, ab2 := newAdam[T](p*h), newAdam[T](h), newAdam[T](h), newAdam[T](1)

	xs, stride, err := matrixAs[T](x)
	if err != nil {
		return err
	}
	xbBuf := make([]T, bs*p)
	// The two product kernels give the same bits; the sparse one is faster
	// below about 15% non-zeros (BenchmarkSparseMul), and the share in the
	// whole matrix decides. On the sparse path the batch is also gathered
	// transposed, as that kernel walks rows and the weight gradient is
	// Xb'*delta; the dense kernel reads the transpose in place. In single
	// precision the dense kernel is always used (with AVX2/FMA twice as
	// fast again; without, its libm tiles are slow, but there is no
	// single-precision sparse kernel).
	// Without hardware FMA the dense tiles call libm's fma on every zero
	// too: the sparse kernel is the faster one there.
	sparse := !isFloat32[T]() && (!haveAVX2FMA || nonZeros(xs, stride, n, p) < sparseBelow*float64(n*p))
	var xtBuf []T
	if sparse {
		xtBuf = make([]T, p*bs)
	}
	var dm denseMul[T]
	hBuf := make([]T, bs*h)
	dBuf := make([]T, bs*h)
	outBuf := make([]T, bs)
	var spm sparseMul
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	// scikit-learn clips probabilities to [eps, 1-eps] of their dtype in
	// the loss.
	probEps := T(0x1p-52)
	if isFloat32[T]() {
		probEps = T(0x1p-23)
	}
	alpha, alphaT := prm.Alpha, T(prm.Alpha)

	best := math.Inf(1)
	noImprove := 0
	t := 0
	m.LossCurve = m.LossCurve[:0]
	epoch := 0
	for epoch < prm.MaxIter {
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		accLoss := 0.0
		for start := 0; start < n; start += bs {
			end := min(start+bs, n)
			b := end - start
			for r := 0; r < b; r++ {
				row := idx[start+r] * stride
				copy(xbBuf[r*p:(r+1)*p], xs[row:row+p])
			}
			if sparse {
				for r := 0; r < b; r++ {
					for j, v := range xbBuf[r*p : (r+1)*p] {
						xtBuf[j*b+r] = v
					}
				}
			}
			// Forward pass.
			if sparse {
				sparseProduct(&spm, hBuf[:b*h], xbBuf[:b*p], w1, b, p, h)
			} else {
				dm.mul(hBuf[:b*h], xbBuf[:b*p], p, 1, w1, b, p, h)
			}
			biasReLU(hBuf[:b*h], b1, b, h)
			gemv(false, hBuf[:b*h], b, h, w2, outBuf[:b])
			loss := 0.0
			for r := 0; r < b; r++ {
				pr := T(sigmoid(float64(outBuf[r] + b2[0])))
				pc := float64(min(max(pr, probEps), 1-probEps))
				if y[idx[start+r]] == 1 {
					loss -= math.Log(pc)
					outBuf[r] = pr - 1 // delta at the output
				} else {
					loss -= math.Log(1 - pc)
					outBuf[r] = pr
				}
			}
			loss /= float64(b)
			loss += 0.5 * alpha * (sumSquares(w1) + sumSquares(w2)) / float64(b)
			accLoss += loss * float64(b)

			// Backward pass: gradients of the batch-mean loss plus the
			// penalty, as scikit-learn's _backprop computes them.
			inv := 1 / float64(b)
			invT := T(inv)
			gemv(true, hBuf[:b*h], b, h, outBuf[:b], gw2)
			gb2[0] = 0
			for r := 0; r < b; r++ {
				gb2[0] += outBuf[r]
			}
			gb2[0] *= invT
			for k := range gw2 {
				gw2[k] = (gw2[k] + alphaT*w2[k]) * invT
			}
			reluBack(dBuf[:b*h], gb1, hBuf[:b*h], outBuf[:b], w2, b, h)
			for k := range gb1 {
				gb1[k] *= invT
			}
			if sparse {
				sparseProduct(&spm, gw1, xtBuf[:p*b], dBuf[:b*h], p, b, h)
			} else {
				dm.mul(gw1, xbBuf[:b*p], 1, p, dBuf[:b*h], p, b, h)
			}

			t++
			lr := prm.LearningRate * math.Sqrt(1-math.Pow(prm.Beta2, float64(t))) / (1 - math.Pow(prm.Beta1, float64(t)))
			// gw1 is the raw product: the update adds the penalty and
			// takes the batch mean, (gw1 + alpha·w1)·inv, on the fly.
			aw1.stepL2(w1, gw1, prm.Beta1, prm.Beta2, lr, prm.Epsilon, alpha, inv)
			aw2.step(w2, gw2, prm.Beta1, prm.Beta2, lr, prm.Epsilon)
			ab1.step(b1, gb1, prm.Beta1, prm.Beta2, lr, prm.Epsilon)
			ab2.step(b2, gb2, prm.Beta1, prm.Beta2, lr, prm.Epsilon)
		}
		epoch++
		loss := accLoss / float64(n)
		m.LossCurve = append(m.LossCurve, loss)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("training loss diverged at epoch %d", epoch)
		}
		if loss > best-prm.Tol {
			noImprove++
		} else {
			noImprove = 0
		}
		best = min(best, loss)
		if noImprove > prm.NIterNoChange {
			break
		}
	}
	m.W1, m.B1, m.W2, m.B2 = convert[float64](w1), convert[float64](b1), convert[float64](w2), float64(b2[0])
	m.NFeatures = p
	m.NIter = epoch
	return nil
}

// Predict returns P(malicious) for each row.
func (m *MLP) Predict(x *mat.Dense) ([]float64, error) {
	n, err := checkPredict(x, m.NFeatures)
	if err != nil {
		return nil, fmt.Errorf("mlp: predict: %w", err)
	}
	var out []float64
	if m.Params.Float32 {
		out, err = predictMLP[float32](m, x, n)
	} else {
		out, err = predictMLP[float64](m, x, n)
	}
	if err != nil {
		return nil, fmt.Errorf("mlp: predict: %w", err)
	}
	return out, nil
}

// predictMLP is Predict in the precision the network was trained in.
func predictMLP[T floating](m *MLP, x *mat.Dense, n int) ([]float64, error) {
	h, p := len(m.B1), m.NFeatures
	// The same product as the training's forward pass.
	hid := make([]T, n*h)
	w1 := convert[T](m.W1)
	if isFloat32[T]() {
		xs, stride, err := matrixAs[T](x)
		if err != nil {
			return nil, err
		}
		var dm denseMul[T]
		dm.mul(hid, xs, stride, 1, w1, n, p, h)
	} else {
		var spm sparseMul
		sparseProduct(&spm, hid, convert[T](denseCopy(x).RawMatrix().Data), w1, n, p, h)
	}
	b1, w2, b2 := convert[T](m.B1), convert[T](m.W2), T(m.B2)
	out := make([]float64, n)
	for r := 0; r < n; r++ {
		row := hid[r*h : (r+1)*h]
		s := b2
		for k, v := range row {
			if v += b1[k]; v > 0 {
				s += v * w2[k]
			}
		}
		out[r] = sigmoid(float64(s))
	}
	return out, nil
}

// nonZeros counts the non-zero values of the n×p matrix xs (row stride
// stride).
func nonZeros[T floating](xs []T, stride, n, p int) float64 {
	nz := 0
	for i := 0; i < n; i++ {
		for _, v := range xs[i*stride : i*stride+p] {
			if v != 0 {
				nz++
			}
		}
	}
	return float64(nz)
}

func init() {
	Register(Model{Name: "mlp", Score: ScoreProbability, Scale: true, Float32: true, New: func(opt Options, seed int64) Stored {
		prm := DefaultMLPParams()
		prm.Float32 = opt.Float32
		return NewMLP(prm, seed)
	}})
}

// Columns is the number of columns the fitted network takes.
func (m *MLP) Columns() int { return m.NFeatures }

// Validate checks a restored network's layer sizes and weights.
func (m *MLP) Validate() error {
	p, h := m.NFeatures, len(m.B1)
	if h == 0 || len(m.W1) != p*h || len(m.W2) != h {
		return fmt.Errorf("layer sizes do not fit %d inputs and %d hidden units", p, h)
	}
	if err := allFinite(m.W1, m.B1, m.W2, []float64{m.B2}); err != nil {
		return err
	}
	if m.Params.Float32 {
		// Predict narrows them back to float32: they must be float32s.
		return allFloat32(m.W1, m.B1, m.W2, []float64{m.B2})
	}
	return nil
}
