package classifiers

import (
	"errors"
	"math"
)

// errNoDescent means the line search found no lower value along a steepest
// descent direction while the gradient was still large.
var errNoDescent = errors.New("line search made no progress")

// lbfgs minimises a smooth convex function in place starting from x.
// fg returns f(x) and writes its gradient into grad. It stops when the
// largest gradient entry is below gtol, after maxIter iterations, or when
// floating point allows no further progress. It returns the iterations used.
//
// Near the optimum the decrease of f along a step falls below the rounding
// error of f itself, so a line search on f alone stalls with the gradient
// still around sqrt(eps) of its scale. Like Hager and Zhang's approximate
// Wolfe conditions, a step whose f is within rounding of the current value
// is therefore also accepted when the directional derivative shows it
// moved towards the minimum along the line; this lets the solver reach
// gradients several orders of magnitude smaller. When even that fails, or
// the largest gradient entry stops improving, the solver returns the point
// it has (no error unless the gradient is still large).
func lbfgs(fg func(x, grad []float64) float64, x []float64, maxIter int, gtol float64) (int, error) {
	const (
		memory   = 10
		c1       = 1e-4  // Armijo sufficient-decrease constant
		sigma    = 0.9   // curvature bound of the approximate Wolfe test
		delta    = 0.1   // decrease bound of the approximate Wolfe test
		epsF     = 1e-10 // relative slack on f that counts as "within rounding"
		maxStall = 10    // iterations without a smaller gradient before giving up
	)
	n := len(x)
	g := make([]float64, n)
	f := fg(x, g)
	s := make([][]float64, 0, memory)
	yv := make([][]float64, 0, memory)
	rho := make([]float64, 0, memory)
	alpha := make([]float64, memory)
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	maxAbs := func(v []float64) float64 {
		m := 0.0
		for _, e := range v {
			m = max(m, math.Abs(e))
		}
		return m
	}
	// stuck reports the outcome when no further progress is possible.
	stuck := func(k int, gmax float64) (int, error) {
		if gmax < 1e3*gtol || gmax < 1e-6 {
			return k, nil // converged as far as floating point allows
		}
		return k, errNoDescent
	}
	bestG := maxAbs(g)
	stall := 0
	for k := 0; k < maxIter; k++ {
		gmax := maxAbs(g)
		if gmax < gtol {
			return k, nil
		}
		// Two-loop recursion: d = -H g.
		copy(d, g)
		for i := len(s) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(s[i], d)
			for j := range d {
				d[j] -= alpha[i] * yv[i][j]
			}
		}
		scale := 1 / math.Sqrt(dot(g, g)) // first step has unit length
		if last := len(s) - 1; last >= 0 {
			scale = dot(s[last], yv[last]) / dot(yv[last], yv[last])
		}
		for j := range d {
			d[j] *= scale
		}
		for i := range s {
			b := rho[i] * dot(yv[i], d)
			for j := range d {
				d[j] += s[i][j] * (alpha[i] - b)
			}
		}
		for j := range d {
			d[j] = -d[j]
		}
		gd := dot(g, d)
		if gd >= 0 {
			// Not a descent direction (lost curvature information): restart.
			s, yv, rho = s[:0], yv[:0], rho[:0]
			scale = 1 / math.Sqrt(dot(g, g))
			for j := range d {
				d[j] = -g[j] * scale
			}
			gd = dot(g, d)
		}
		// Backtracking line search with safeguarded quadratic interpolation.
		t := 1.0
		var fn float64
		ok := false
		for ls := 0; ls < 60; ls++ {
			for j := range xn {
				xn[j] = x[j] + t*d[j]
			}
			fn = fg(xn, gn)
			if fn <= f+c1*t*gd {
				ok = true
				break
			}
			if fn <= f+epsF*math.Abs(f) {
				// Within rounding of f: decide by the slope at the new point.
				if gdn := dot(gn, d); gdn >= sigma*gd && gdn <= (2*delta-1)*gd {
					ok = true
					break
				}
			}
			tq := -gd * t * t / (2 * (fn - f - gd*t))
			if math.IsNaN(tq) || tq < 0.1*t || tq > 0.5*t {
				tq = 0.5 * t
			}
			t = tq
		}
		if !ok {
			if len(s) > 0 {
				s, yv, rho = s[:0], yv[:0], rho[:0]
				continue
			}
			return stuck(k, gmax)
		}
		var sk, yk []float64
		if len(s) == memory {
			sk, yk = s[0], yv[0]
			s, yv, rho = s[1:], yv[1:], rho[1:]
		} else {
			sk, yk = make([]float64, n), make([]float64, n)
		}
		for j := range sk {
			sk[j] = xn[j] - x[j]
			yk[j] = gn[j] - g[j]
		}
		if sy := dot(sk, yk); sy > 1e-12*math.Sqrt(dot(sk, sk)*dot(yk, yk)) && sy > 0 {
			s, yv, rho = append(s, sk), append(yv, yk), append(rho, 1/sy)
		}
		// Progress is a decrease of f beyond rounding or a new smallest
		// gradient; without either for maxStall steps the point is final.
		if gmaxN := maxAbs(gn); fn < f-epsF*math.Abs(f) || gmaxN < bestG {
			bestG, stall = min(bestG, gmaxN), 0
		} else {
			stall++
		}
		copy(x, xn)
		copy(g, gn)
		f = fn
		if stall >= maxStall {
			return stuck(k+1, maxAbs(g))
		}
	}
	return maxIter, nil
}
