package classifiers

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// refRows and refTransposed are the plain Go loops the C kernels replaced
// for sparse batches; gonum's Dense.Mul was used for dense ones. The
// kernels must give the same bits as both.
func refRows(dst, x, w []float64, p, h int) {
	clear(dst)
	for r := 0; r*p < len(x); r++ {
		dr := dst[r*h : (r+1)*h]
		for j, v := range x[r*p : (r+1)*p] {
			if v != 0 {
				floats.AddScaled(dr, v, w[j*h:(j+1)*h])
			}
		}
	}
}

func refTransposed(dst, x, d []float64, p, h int) {
	clear(dst)
	for r := 0; r*p < len(x); r++ {
		dr := d[r*h : (r+1)*h]
		for j, v := range x[r*p : (r+1)*p] {
			if v != 0 {
				floats.AddScaled(dst[j*h:(j+1)*h], v, dr)
			}
		}
	}
}

func TestSparseMulBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		b, p, h int
		density float64
	}{
		{1, 1, 1, 1}, {3, 5, 7, 0.5}, {200, 596, 100, 0.2}, {17, 40, 16, 1}, {64, 33, 49, 0.05}, {5, 8, 3, 0},
	} {
		x := make([]float64, c.b*c.p)
		for i := range x {
			if rng.Float64() < c.density {
				x[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3))
			}
		}
		xt := make([]float64, c.p*c.b)
		for r := 0; r < c.b; r++ {
			for j := 0; j < c.p; j++ {
				xt[j*c.b+r] = x[r*c.p+j]
			}
		}
		w := make([]float64, c.p*c.h)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		d := make([]float64, c.b*c.h)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		var s sparseMul
		got, want := make([]float64, c.b*c.h), make([]float64, c.b*c.h)
		for i := range got {
			got[i] = math.NaN() // every element must be written
		}
		s.rows(got, x, w, c.b, c.p, c.h)
		refRows(want, x, w, c.p, c.h)
		sameBits(t, "rows vs Go loop", c, got, want)
		sameBits(t, "rows vs gonum", c, got, gonumMul(x, w, c.b, c.p, c.h))
		got, want = make([]float64, c.p*c.h), make([]float64, c.p*c.h)
		for i := range got {
			got[i] = math.NaN()
		}
		s.transposed(got, xt, d, c.b, c.p, c.h)
		refTransposed(want, x, d, c.p, c.h)
		sameBits(t, "transposed vs Go loop", c, got, want)
		sameBits(t, "transposed vs gonum", c, got, gonumMul(xt, d, c.p, c.b, c.h))
	}
}

// gonumMul is a (m×k) · b (k×n) the way the MLP used to take dense batch
// products: gonum's Mul on tiles small enough to stay serial.
func gonumMul(a, b []float64, m, k, n int) []float64 {
	dst := mat.NewDense(m, n, nil)
	A, B := mat.NewDense(m, k, a), mat.NewDense(k, n, b)
	const tileRows, tileCols = 64, 192
	for i := 0; i < m; i += tileRows {
		ie := min(i+tileRows, m)
		for j := 0; j < n; j += tileCols {
			je := min(j+tileCols, n)
			dst.Slice(i, ie, j, je).(*mat.Dense).Mul(A.Slice(i, ie, 0, k), B.Slice(0, k, j, je))
		}
	}
	return dst.RawMatrix().Data
}

func sameBits(t *testing.T, what string, c any, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s %+v: element %d = %v, want %v", what, c, i, got[i], want[i])
		}
	}
}

// BenchmarkSparseMul times one MLP batch of the `all` feature set's shape
// (200 rows, 96 dense numeric + 500 TF-IDF columns, about a fifth non-zero,
// 100 hidden units): the C kernels against the Go loops they replace.
func BenchmarkSparseMul(b *testing.B) {
	const bs, p, h = 200, 596, 100
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, bs*p)
	for r := 0; r < bs; r++ {
		for j := 0; j < p; j++ {
			if j < 96 || rng.Float64() < 0.05 {
				x[r*p+j] = rng.NormFloat64()
			}
		}
	}
	xt := make([]float64, p*bs)
	for r := 0; r < bs; r++ {
		for j := 0; j < p; j++ {
			xt[j*bs+r] = x[r*p+j]
		}
	}
	w, d := make([]float64, p*h), make([]float64, bs*h)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	out, outT := make([]float64, bs*h), make([]float64, p*h)
	b.Run("c", func(b *testing.B) {
		var s sparseMul
		for i := 0; i < b.N; i++ {
			s.rows(out, x, w, bs, p, h)
			s.transposed(outT, xt, d, bs, p, h)
		}
	})
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			refRows(out, x, w, p, h)
			refTransposed(outT, x, d, p, h)
		}
	})
}
