package classifiers

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"pypimal/internal/pool"
)

// SVMParams configures the RBF support vector classifier. Zero fields take
// the scikit-learn SVC default noted on each field.
type SVMParams struct {
	C           float64     // 0: 1
	Gamma       float64     // 0: "scale", 1/(n_features * X.var()) over all entries
	Tol         float64     // 0: 1e-3 (libsvm eps on the maximal violating pair)
	ClassWeight ClassWeight // "" or "balanced": class c gets C*n/(2*n_c)
	MaxIter     int         // 0: libsvm's max(10_000_000, 100*n)
	// MaxKernelRows, when positive, makes training sets of at most that
	// many rows precompute the whole kernel matrix (n*n float32). Otherwise
	// (the default, 0) kernel rows are computed on demand and kept in a
	// cache of CacheMB megabytes, as libsvm does: SMO touches only part of
	// the rows, and on 800x20 to 6300x100 matrices this was 2-4 times
	// faster than precomputing, with identical iterations and support
	// vectors.
	MaxKernelRows int
	CacheMB       int // 0: 512
}

// DefaultSVMParams returns scikit-learn's SVC defaults for the RBF kernel.
func DefaultSVMParams() SVMParams {
	return SVMParams{C: 1, Tol: 1e-3, CacheMB: 512}
}

// SVM is a C-SVC with the RBF kernel trained by libsvm's SMO algorithm
// (second-order working set selection, Fan, Chen and Lin 2005). Predict
// returns the decision value; positive means malicious.
type SVM struct {
	Params         SVMParams
	NFeatures      int
	Gamma          float64     // the gamma actually used
	SupportVectors [][]float64 // training rows with non-zero alpha
	DualCoef       []float64   // alpha_i * y_i for each support vector, y in {-1 benign, +1 malicious}
	Intercept      float64     // -rho
	Iterations     int         // SMO iterations used
	Converged      bool        // false when MaxIter stopped the solver

	svOnce sync.Once
	sv     *mat.Dense
	svSq   []float64
}

// NewSVM returns an unfitted SVM.
func NewSVM(params SVMParams) *SVM {
	return &SVM{Params: params}
}

func (s *SVM) params(n int) SVMParams {
	p := s.Params
	if p.C <= 0 {
		p.C = 1
	}
	if p.Tol <= 0 {
		p.Tol = 1e-3
	}
	if p.MaxIter <= 0 {
		p.MaxIter = max(10_000_000, 100*n)
	}
	if p.CacheMB <= 0 {
		p.CacheMB = 512
	}
	return p
}

// Fit solves the dual problem on x and y.
func (s *SVM) Fit(x *mat.Dense, y []int) error {
	n, p, err := checkFit(x, y)
	if err != nil {
		return fmt.Errorf("svm: fit: %w", err)
	}
	prm := s.params(n)
	cw, err := prm.ClassWeight.weights(y)
	if err != nil {
		return fmt.Errorf("svm: fit: %w", err)
	}
	x = denseCopy(x)
	gamma := prm.Gamma
	if gamma <= 0 {
		gamma = scaleGamma(x)
	}
	var q kernelRows
	if n <= prm.MaxKernelRows {
		q = newFullKernel(x, gamma)
	} else {
		q = newCachedKernel(x, gamma, prm.CacheMB)
	}
	yy := make([]int8, n)
	cs := make([]float64, n)
	for i, v := range y {
		yy[i] = int8(2*v - 1)
		cs[i] = prm.C * cw[v]
	}
	sol := solveSMO(q, yy, cs, prm.Tol, prm.MaxIter)

	s.SupportVectors, s.DualCoef = nil, nil
	for i, a := range sol.alpha {
		if a > 0 {
			s.SupportVectors = append(s.SupportVectors, append([]float64(nil), rowView(x, i)...))
			s.DualCoef = append(s.DualCoef, a*float64(yy[i]))
		}
	}
	s.NFeatures = p
	s.Gamma = gamma
	s.Intercept = -sol.rho
	s.Iterations = sol.iter
	s.Converged = sol.converged
	s.svOnce = sync.Once{}
	return nil
}

// scaleGamma is gamma="scale": 1/(n_features*var(X)) with the variance over
// every entry, or 1 when X is constant.
func scaleGamma(x *mat.Dense) float64 {
	n, p := x.Dims()
	data := x.RawMatrix().Data[:n*p]
	mean := 0.0
	for _, v := range data {
		mean += v
	}
	mean /= float64(len(data))
	ss := 0.0
	for _, v := range data {
		ss += (v - mean) * (v - mean)
	}
	v := ss / float64(len(data))
	if v == 0 {
		return 1
	}
	return 1 / (float64(p) * v)
}

// Predict returns the decision value sum_i DualCoef_i K(sv_i, x) + Intercept.
func (s *SVM) Predict(x *mat.Dense) ([]float64, error) {
	m, err := checkPredict(x, s.NFeatures)
	if err != nil {
		return nil, fmt.Errorf("svm: predict: %w", err)
	}
	out := make([]float64, m)
	if len(s.SupportVectors) == 0 {
		for i := range out {
			out[i] = s.Intercept
		}
		return out, nil
	}
	s.svOnce.Do(func() {
		p := s.NFeatures
		s.sv = mat.NewDense(len(s.SupportVectors), p, nil)
		for i, r := range s.SupportVectors {
			s.sv.SetRow(i, r)
		}
		s.svSq = rowSquares(s.sv)
	})
	nsv := len(s.SupportVectors)
	const block = 512
	var k mat.Dense
	for start := 0; start < m; start += block {
		end := min(start+block, m)
		xb := x.Slice(start, end, 0, s.NFeatures)
		k.Reset()
		k.Mul(xb, s.sv.T())
		for i := start; i < end; i++ {
			row := rowView(x, i)
			sq := dot(row, row)
			kr := k.RawRowView(i - start)
			sum := 0.0
			for j := 0; j < nsv; j++ {
				d := sq + s.svSq[j] - 2*kr[j]
				if d < 0 {
					d = 0
				}
				sum += s.DualCoef[j] * math.Exp(-s.Gamma*d)
			}
			out[i] = sum + s.Intercept
		}
	}
	return out, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func rowSquares(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	sq := make([]float64, n)
	for i := range sq {
		r := rowView(x, i)
		sq[i] = dot(r, r)
	}
	return sq
}

// kernelRows gives row i of the RBF kernel matrix of the training rows.
// Values are float32, like libsvm's Qfloat cache.
type kernelRows interface {
	row(i int) []float32
}

type fullKernel struct {
	n int
	k []float32
}

// newFullKernel computes the whole kernel matrix with blocked matrix products
// over the upper triangle, then mirrors it.
func newFullKernel(x *mat.Dense, gamma float64) *fullKernel {
	n, p := x.Dims()
	sq := rowSquares(x)
	k := make([]float32, n*n)
	const block = 256
	buf := make([]float64, block*n)
	workers := runtime.GOMAXPROCS(0)
	for bi := 0; bi < n; bi += block {
		be := min(bi+block, n)
		c := mat.NewDense(be-bi, n-bi, buf[:(be-bi)*(n-bi)])
		c.Mul(x.Slice(bi, be, 0, p), x.Slice(bi, n, 0, p).T())
		// Each kernel row is written by one job; nothing fails or is cancelled.
		if _, err := pool.Run(context.Background(), be-bi, workers, func(r int) error {
			i := bi + r
			cr := c.RawRowView(r)
			kr := k[i*n : (i+1)*n]
			for j := i; j < n; j++ {
				d := sq[i] + sq[j] - 2*cr[j-bi]
				if d < 0 {
					d = 0
				}
				kr[j] = float32(math.Exp(-gamma * d))
			}
			return nil
		}); err != nil {
			panic(fmt.Sprintf("svm kernel: %v", err))
		}
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			k[j*n+i] = k[i*n+j]
		}
	}
	return &fullKernel{n: n, k: k}
}

func (f *fullKernel) row(i int) []float32 { return f.k[i*f.n : (i+1)*f.n] }

// cachedKernel computes kernel rows on demand and keeps the most recently
// used ones (libsvm's scheme). It holds at least two rows, so the row of
// the first working-set index survives fetching the second.
type cachedKernel struct {
	x     *mat.Dense
	sq    []float64
	gamma float64
	cap   int
	rows  map[int][]float32
	used  map[int]int64
	clock int64
	dots  []float64
}

func newCachedKernel(x *mat.Dense, gamma float64, cacheMB int) *cachedKernel {
	n, _ := x.Dims()
	return &cachedKernel{
		x: x, sq: rowSquares(x), gamma: gamma,
		cap:  max(2, cacheMB<<20/(4*n)),
		rows: map[int][]float32{}, used: map[int]int64{},
		dots: make([]float64, n),
	}
}

func (c *cachedKernel) row(i int) []float32 {
	c.clock++
	if r, ok := c.rows[i]; ok {
		c.used[i] = c.clock
		return r
	}
	var r []float32
	if len(c.rows) >= c.cap {
		// Evict the least recently used row; a linear scan is cheap next to
		// computing a row.
		old, oldT := -1, int64(math.MaxInt64)
		for k, t := range c.used {
			if t < oldT {
				old, oldT = k, t
			}
		}
		r = c.rows[old]
		delete(c.rows, old)
		delete(c.used, old)
	} else {
		r = make([]float32, len(c.sq))
	}
	n, p := c.x.Dims()
	dv := mat.NewVecDense(n, c.dots)
	dv.MulVec(c.x, mat.NewVecDense(p, rowView(c.x, i)))
	for j := range r {
		d := c.sq[i] + c.sq[j] - 2*c.dots[j]
		if d < 0 {
			d = 0
		}
		r[j] = float32(math.Exp(-c.gamma * d))
	}
	c.rows[i] = r
	c.used[i] = c.clock
	return r
}

type smoSolution struct {
	alpha     []float64
	rho       float64
	iter      int
	converged bool
}

// solveSMO minimises 1/2 a'Qa - e'a subject to 0 <= a_i <= c_i and y'a = 0,
// with Q_ij = y_i y_j K_ij, following libsvm's Solver without shrinking
// (shrinking only saves time; the stopping rule is the same).
func solveSMO(q kernelRows, y []int8, c []float64, eps float64, maxIter int) smoSolution {
	const tau = 1e-12
	n := len(y)
	alpha := make([]float64, n)
	g := make([]float64, n) // gradient Qa - e
	for i := range g {
		g[i] = -1
	}
	// For the RBF kernel K_ii = 1.
	upper := func(i int) bool { return alpha[i] >= c[i] }
	lower := func(i int) bool { return alpha[i] <= 0 }
	iter := 0
	converged := false
	for iter < maxIter {
		// Working set selection 2: i maximises -y_t G_t over I_up; j gives
		// the largest second-order decrease of the objective among I_low.
		gmax, gmax2 := math.Inf(-1), math.Inf(-1)
		iSel, jSel := -1, -1
		for t := 0; t < n; t++ {
			if y[t] == 1 {
				if !upper(t) && -g[t] >= gmax {
					gmax, iSel = -g[t], t
				}
			} else if !lower(t) && g[t] >= gmax {
				gmax, iSel = g[t], t
			}
		}
		if iSel < 0 {
			converged = true
			break
		}
		qi := q.row(iSel)
		yi := float64(y[iSel])
		objMin := math.Inf(1)
		for t := 0; t < n; t++ {
			if y[t] == 1 {
				if lower(t) {
					continue
				}
				gd := gmax + g[t]
				if g[t] >= gmax2 {
					gmax2 = g[t]
				}
				if gd > 0 {
					quad := 2 - 2*float64(qi[t]) // ||phi_i - phi_t||^2
					if quad <= 0 {
						quad = tau
					}
					if obj := -gd * gd / quad; obj <= objMin {
						jSel, objMin = t, obj
					}
				}
			} else {
				if upper(t) {
					continue
				}
				gd := gmax - g[t]
				if -g[t] >= gmax2 {
					gmax2 = -g[t]
				}
				if gd > 0 {
					quad := 2 - 2*float64(qi[t])
					if quad <= 0 {
						quad = tau
					}
					if obj := -gd * gd / quad; obj <= objMin {
						jSel, objMin = t, obj
					}
				}
			}
		}
		if gmax+gmax2 < eps || jSel < 0 {
			converged = true
			break
		}
		iter++
		i, j := iSel, jSel
		qj := q.row(j)
		kij := float64(qi[j])
		ci, cj := c[i], c[j]
		oldI, oldJ := alpha[i], alpha[j]
		if y[i] != y[j] {
			quad := 2 - 2*kij // Q_ii + Q_jj + 2 Q_ij with Q_ij = -K_ij
			if quad <= 0 {
				quad = tau
			}
			delta := (-g[i] - g[j]) / quad
			diff := alpha[i] - alpha[j]
			alpha[i] += delta
			alpha[j] += delta
			if diff > 0 {
				if alpha[j] < 0 {
					alpha[j], alpha[i] = 0, diff
				}
			} else if alpha[i] < 0 {
				alpha[i], alpha[j] = 0, -diff
			}
			if diff > ci-cj {
				if alpha[i] > ci {
					alpha[i], alpha[j] = ci, ci-diff
				}
			} else if alpha[j] > cj {
				alpha[j], alpha[i] = cj, cj+diff
			}
		} else {
			quad := 2 - 2*kij
			if quad <= 0 {
				quad = tau
			}
			delta := (g[i] - g[j]) / quad
			sum := alpha[i] + alpha[j]
			alpha[i] -= delta
			alpha[j] += delta
			if sum > ci {
				if alpha[i] > ci {
					alpha[i], alpha[j] = ci, sum-ci
				}
			} else if alpha[j] < 0 {
				alpha[j], alpha[i] = 0, sum
			}
			if sum > cj {
				if alpha[j] > cj {
					alpha[j], alpha[i] = cj, sum-cj
				}
			} else if alpha[i] < 0 {
				alpha[i], alpha[j] = 0, sum
			}
		}
		// G_t += Q_ti dA_i + Q_tj dA_j, with Q_ti = y_t y_i K_ti.
		di := (alpha[i] - oldI) * yi
		dj := (alpha[j] - oldJ) * float64(y[j])
		for t := 0; t < n; t++ {
			g[t] += float64(y[t]) * (float64(qi[t])*di + float64(qj[t])*dj)
		}
	}
	// rho: mean of y_i G_i over free vectors, else the middle of the
	// feasible interval.
	ub, lb := math.Inf(1), math.Inf(-1)
	nFree, sumFree := 0, 0.0
	for i := 0; i < n; i++ {
		yg := float64(y[i]) * g[i]
		switch {
		case upper(i):
			if y[i] == -1 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		case lower(i):
			if y[i] == 1 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		default:
			nFree++
			sumFree += yg
		}
	}
	rho := (ub + lb) / 2
	if nFree > 0 {
		rho = sumFree / float64(nFree)
	}
	return smoSolution{alpha: alpha, rho: rho, iter: iter, converged: converged}
}

func init() {
	Register(Model{Name: "svm", Score: ScoreDecision, Scale: true, ClassWeights: true, New: func(opt Options, _ int64) Stored {
		prm := DefaultSVMParams()
		prm.ClassWeight = opt.ClassWeight
		return NewSVM(prm)
	}})
}

// Columns is the number of columns the fitted SVM takes.
func (s *SVM) Columns() int { return s.NFeatures }

// Validate checks a restored SVM's support vectors and coefficients.
func (s *SVM) Validate() error {
	if len(s.SupportVectors) != len(s.DualCoef) {
		return fmt.Errorf("%d support vectors with %d dual coefficients", len(s.SupportVectors), len(s.DualCoef))
	}
	for i, sv := range s.SupportVectors {
		if len(sv) != s.NFeatures {
			return fmt.Errorf("support vector %d has %d values, want %d", i, len(sv), s.NFeatures)
		}
		if err := allFinite(sv); err != nil {
			return err
		}
	}
	return allFinite(s.DualCoef, []float64{s.Gamma, s.Intercept})
}
