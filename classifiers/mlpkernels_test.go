package classifiers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// refRows is the product in plain Go: each output element is the sum, in
// column order, of fused multiply-adds over the non-zero multipliers. The
// C kernel must give the same bits, for a batch and for its transpose.
func refRows(dst, x, w []float64, p, h int) {
	clear(dst)
	for r := 0; r*p < len(x); r++ {
		dr := dst[r*h : (r+1)*h]
		for j, v := range x[r*p : (r+1)*p] {
			if v != 0 {
				for c, wv := range w[j*h : (j+1)*h] {
					dr[c] = math.FMA(v, wv, dr[c])
				}
			}
		}
	}
}

// TestSparseMul checks the kernel bit for bit against the Go loops
// (dense and sparse batches, odd row counts, widths that are not multiples
// of the kernel's blocks, zeros of both signs and NaN), and against gonum's
// product, which rounds each multiply separately, to 1e-12.
func TestSparseMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		b, p, h int
		density float64
	}{
		{1, 1, 1, 1}, {3, 5, 7, 0.5}, {200, 596, 100, 0.2}, {17, 40, 16, 1}, {64, 33, 49, 0.05}, {5, 8, 3, 0},
		{2, 3, 20, 1}, {7, 9, 23, 0.7},
	} {
		x := make([]float64, c.b*c.p)
		for i := range x {
			if rng.Float64() < c.density {
				x[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3))
			} else if rng.IntN(2) == 0 {
				x[i] = math.Copysign(0, -1)
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
		got, want := nans(c.b*c.h), make([]float64, c.b*c.h)
		s.mul(got, x, w, c.b, c.p, c.h)
		refRows(want, x, w, c.p, c.h)
		sameBits(t, "rows vs Go loop", c, got, want)
		near(t, "rows vs gonum", c, got, gonumMul(x, w, c.b, c.p, c.h))
		// The dense kernel, both tiles, on the batch and on its transpose
		// read in place: the same bits as the sparse one.
		for _, fma := range []bool{true, false} {
			if fma && !haveAVX2FMA {
				continue
			}
			var dm denseMul
			dense := nans(c.b * c.h)
			dm.mulTiles(dense, x, c.p, 1, w, c.b, c.p, c.h, fma)
			sameBits(t, fmt.Sprintf("dense (fma tiles %v) vs Go loop", fma), c, dense, want)
			denseT := nans(c.p * c.h)
			dm.mulTiles(denseT, x, 1, c.p, d, c.p, c.b, c.h, fma)
			wantT := make([]float64, c.p*c.h)
			refRows(wantT, xt, d, c.b, c.h)
			sameBits(t, fmt.Sprintf("dense transposed (fma tiles %v) vs Go loop", fma), c, denseT, wantT)
		}
		got, want = nans(c.p*c.h), make([]float64, c.p*c.h)
		s.mul(got, xt, d, c.p, c.b, c.h)
		refRows(want, xt, d, c.b, c.h)
		sameBits(t, "transposed vs Go loop", c, got, want)
		near(t, "transposed vs gonum", c, got, gonumMul(xt, d, c.p, c.b, c.h))
	}
	// A NaN multiplier poisons its output row, as in any product.
	x, w := []float64{math.NaN(), 0, 1, 2}, []float64{1, 2, 3, 4}
	got := make([]float64, 4)
	var s sparseMul
	s.mul(got, x, w, 2, 2, 2)
	if !math.IsNaN(got[0]) || !math.IsNaN(got[1]) || got[2] != 7 || got[3] != 10 {
		t.Fatalf("NaN row: got %v, want [NaN NaN 7 10]", got)
	}
}

// nans is an output buffer of NaNs: every element must be written.
func nans(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
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

func near(t *testing.T, what string, c any, got, want []float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s %+v: element %d = %v, want %v", what, c, i, got[i], want[i])
		}
	}
}

func sameBits(t *testing.T, what string, c any, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s %+v: element %d = %v, want %v", what, c, i, got[i], want[i])
		}
	}
}

// BenchmarkSparseMul times one MLP batch (forward product and weight
// gradient; 200 rows, 100 hidden units) of two shapes: `all` (96 dense
// numeric + 500 TF-IDF columns, 36% non-zero as on the real data) and `metadata`
// (40 dense columns): the C kernel against plain Go loops.
func BenchmarkSparseMul(b *testing.B) {
	for _, shape := range []struct {
		name     string
		p, dense int
		density  float64
	}{{"all", 596, 96, 0.36}, {"metadata", 40, 40, 0}} {
		const bs, h = 200, 100
		p := shape.p
		rng := rand.New(rand.NewPCG(3, 4))
		x := make([]float64, bs*p)
		for r := 0; r < bs; r++ {
			for j := 0; j < p; j++ {
				if j < shape.dense || rng.Float64() < shape.density {
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
		b.Run(shape.name+"/c", func(b *testing.B) {
			var s sparseMul
			for i := 0; i < b.N; i++ {
				s.mul(out, x, w, bs, p, h)
				s.mul(outT, xt, d, p, bs, h)
			}
		})
		b.Run(shape.name+"/dense", func(b *testing.B) {
			var s denseMul
			for i := 0; i < b.N; i++ {
				s.mul(out, x, p, 1, w, bs, p, h)
				s.mul(outT, x, 1, p, d, p, bs, h)
			}
		})
		b.Run(shape.name+"/go", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				refRows(out, x, w, p, h)
				refRows(outT, xt, d, bs, h)
			}
		})
	}
}

// TestReLUKernelsBitIdentical checks the bias+ReLU and its backward pass
// against the Go loops they replaced, zeros of both signs and NaN included.
func TestReLUKernelsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ b, h int }{{1, 1}, {3, 7}, {200, 100}, {13, 33}} {
		hid := make([]float64, c.b*c.h)
		for i := range hid {
			switch rng.IntN(10) {
			case 0:
				hid[i] = 0
			case 1:
				hid[i] = math.Copysign(0, -1)
			case 2:
				hid[i] = math.NaN()
			default:
				hid[i] = rng.NormFloat64()
			}
		}
		b1 := make([]float64, c.h)
		for i := range b1 {
			b1[i] = rng.NormFloat64() * 0.1
		}
		b1[0] = 0
		want := append([]float64(nil), hid...)
		for r := 0; r < c.b; r++ {
			row := want[r*c.h : (r+1)*c.h]
			for k := range row {
				if v := row[k] + b1[k]; v > 0 {
					row[k] = v
				} else {
					row[k] = 0
				}
			}
		}
		got := append([]float64(nil), hid...)
		biasReLU(got, b1, c.b, c.h)
		sameBits(t, "biasReLU", c, got, want)

		out, w2 := make([]float64, c.b), make([]float64, c.h)
		for i := range out {
			out[i] = rng.NormFloat64()
		}
		for i := range w2 {
			w2[i] = rng.NormFloat64()
		}
		wantD, wantG := make([]float64, c.b*c.h), make([]float64, c.h)
		for r := 0; r < c.b; r++ {
			hr, dr := hid[r*c.h:(r+1)*c.h], wantD[r*c.h:(r+1)*c.h]
			for k := range dr {
				if hr[k] > 0 {
					dr[k] = out[r] * w2[k]
				} else {
					dr[k] = 0
				}
				wantG[k] += dr[k]
			}
		}
		gotD, gotG := make([]float64, c.b*c.h), make([]float64, c.h)
		for i := range gotG {
			gotG[i] = math.NaN() // must be reset
		}
		reluBack(gotD, gotG, hid, out, w2, c.b, c.h)
		sameBits(t, "reluBack d", c, gotD, wantD)
		sameBits(t, "reluBack gb1", c, gotG, wantG)
	}
}

// TestAdamBitIdentical checks the C Adam update (AVX and scalar, with and
// without the fused penalty and batch mean) against the Go loops it
// replaced, over many steps.
func TestAdamBitIdentical(t *testing.T) {
	for _, avx := range []bool{true, false} {
		for _, l2 := range []bool{false, true} {
			if avx && !haveAVX2FMA {
				continue
			}
			t.Run(fmt.Sprintf("avx=%v,l2=%v", avx, l2), func(t *testing.T) { testAdam(t, avx, l2) })
		}
	}
}

func testAdam(t *testing.T, avx, l2 bool) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 17, 4100} {
		p, g := make([]float64, n), make([]float64, n)
		for i := range p {
			p[i] = rng.NormFloat64()
		}
		want := append([]float64(nil), p...)
		m, v := make([]float64, n), make([]float64, n)
		wm, wv := make([]float64, n), make([]float64, n)
		// Variables, as in MLP.Fit: with constants Go would fold 1-b1
		// exactly at compile time.
		b1, b2, eps := 0.9, 0.999, 1e-8
		for step := 1; step <= 20; step++ {
			for i := range g {
				g[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-6))
			}
			lr := 1e-3 * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
			alpha, inv := 1e-4, 1/float64(1+rng.IntN(200))
			if l2 {
				adamUpdate(p, g, m, v, b1, b2, lr, eps, true, alpha, inv, avx)
			} else {
				adamUpdate(p, g, m, v, b1, b2, lr, eps, false, 0, 0, avx)
			}
			for i, gi := range g {
				// The float64 conversions keep Go from fusing a
				// multiply-add (it may on arm64 or GOAMD64=v3); C does not.
				if l2 {
					gi = (gi + float64(alpha*want[i])) * inv
				}
				wm[i] = float64(b1*wm[i]) + float64((1-b1)*gi)
				wv[i] = float64(b2*wv[i]) + float64((1-b2)*gi*gi)
				want[i] -= lr * wm[i] / (math.Sqrt(wv[i]) + eps)
			}
			sameBits(t, "adam params", n, p, want)
			sameBits(t, "adam m", n, m, wm)
			sameBits(t, "adam v", n, v, wv)
		}
	}
}
