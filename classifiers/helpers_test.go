package classifiers

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// blobs returns two Gaussian clusters in p dimensions whose centres are sep
// apart along every axis, alternating labels.
func blobs(n, p int, sep float64, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := mat.NewDense(n, p, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = i % 2
		for j := 0; j < p; j++ {
			x.Set(i, j, rng.NormFloat64()+float64(y[i])*sep)
		}
	}
	return x, y
}

// xorData returns points around the four corners (+-1, +-1) with label 1
// when the signs differ.
func xorData(n int, noise float64, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		a, b := float64(2*(i%2)-1), float64(2*((i/2)%2)-1)
		x.Set(i, 0, a+noise*rng.NormFloat64())
		x.Set(i, 1, b+noise*rng.NormFloat64())
		if a != b {
			y[i] = 1
		}
	}
	return x, y
}

// synthetic is a harder, mixed dataset in the spirit of the real features:
// informative Gaussian columns, noisy linear combinations, skewed counts,
// binary flags, pure noise and one constant column. About a third of the
// rows are malicious and the classes overlap, so no model is perfect.
func synthetic(n, p int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := mat.NewDense(n, p, nil)
	y := make([]int, n)
	const inf = 5
	for i := 0; i < n; i++ {
		if rng.Float64() < 0.35 {
			y[i] = 1
		}
		sign := float64(2*y[i] - 1)
		var z [inf]float64
		for j := 0; j < inf; j++ {
			z[j] = rng.NormFloat64() + 0.6*sign*float64(1+j%2)
			if j == 3 { // a non-linear interaction
				z[j] = rng.NormFloat64()
				if y[i] == 1 && rng.Float64() < 0.5 {
					z[j] += 3 * math.Copysign(1, rng.NormFloat64())
				}
			}
		}
		for j := 0; j < p; j++ {
			var v float64
			switch {
			case j < inf:
				v = z[j]
			case j < 2*inf:
				v = z[j-inf] - 0.5*z[(j+1)%inf] + 0.3*rng.NormFloat64()
			case j%4 == 0:
				lam := 2.0
				if y[i] == 1 && j%8 == 0 {
					lam = 3
				}
				v = math.Floor(rng.ExpFloat64() * lam) // counts
			case j%4 == 1:
				pr := 0.3
				if y[i] == 1 && j%3 == 0 {
					pr = 0.45
				}
				if rng.Float64() < pr {
					v = 1
				}
			case j == p-1:
				v = 7 // constant
			default:
				v = rng.NormFloat64()
			}
			x.Set(i, j, v)
		}
	}
	return x, y
}

// accuracy and f1 call a row malicious when its score is strictly greater
// than threshold, as scikit-learn's predict does.
func accuracy(score []float64, y []int, threshold float64) float64 {
	ok := 0
	for i, s := range score {
		pred := 0
		if s > threshold {
			pred = 1
		}
		if pred == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func f1(score []float64, y []int, threshold float64) float64 {
	tp, fp, fn := 0, 0, 0
	for i, s := range score {
		pred := s > threshold
		switch {
		case pred && y[i] == 1:
			tp++
		case pred:
			fp++
		case y[i] == 1:
			fn++
		}
	}
	if tp == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}
