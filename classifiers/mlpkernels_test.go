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
		got, want := nans[float64](c.b*c.h), make([]float64, c.b*c.h)
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
			var dm denseMul[float64]
			dense := nans[float64](c.b * c.h)
			dm.mulTiles(dense, x, c.p, 1, w, c.b, c.p, c.h, fma)
			sameBits(t, fmt.Sprintf("dense (fma tiles %v) vs Go loop", fma), c, dense, want)
			denseT := nans[float64](c.p * c.h)
			dm.mulTiles(denseT, x, 1, c.p, d, c.p, c.b, c.h, fma)
			wantT := make([]float64, c.p*c.h)
			refRows(wantT, xt, d, c.b, c.h)
			sameBits(t, fmt.Sprintf("dense transposed (fma tiles %v) vs Go loop", fma), c, denseT, wantT)
		}
		got, want = nans[float64](c.p*c.h), make([]float64, c.p*c.h)
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

// TestDenseMul32 checks the single-precision tiles: the AVX and the libm
// (fmaf) tiles give the same bits, on the batch and its transpose, and
// both are the product to float32 accuracy (an error bound of n·2⁻²⁴
// times the sum of the absolute terms, against float64 sums).
func TestDenseMul32(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ b, p, h int }{{1, 1, 1}, {3, 5, 7}, {200, 596, 100}, {17, 40, 16}, {7, 9, 23}, {6, 16, 33}} {
		x, w, d := make([]float32, c.b*c.p), make([]float32, c.p*c.h), make([]float32, c.b*c.h)
		for _, v := range [][]float32{x, w, d} {
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
		}
		for _, side := range []struct {
			name     string
			ars, acs int
			b        []float32
			m, k, n  int
		}{{"batch", c.p, 1, w, c.b, c.p, c.h}, {"transposed", 1, c.p, d, c.p, c.b, c.h}} {
			var outs [][]float32
			for _, fma := range []bool{true, false} {
				if fma && !haveAVX2FMA {
					continue
				}
				var dm denseMul[float32]
				got := nans[float32](side.m * side.n)
				dm.mulTiles(got, x, side.ars, side.acs, side.b, side.m, side.k, side.n, fma)
				outs = append(outs, got)
			}
			if len(outs) == 2 {
				sameBits(t, side.name+": AVX tiles vs libm tiles", c, outs[0], outs[1])
			}
			got := outs[0]
			for i := 0; i < side.m; i++ {
				for j := 0; j < side.n; j++ {
					sum, abs := 0.0, 0.0
					for l := 0; l < side.k; l++ {
						term := float64(x[i*side.ars+l*side.acs]) * float64(side.b[l*side.n+j])
						sum += term
						abs += math.Abs(term)
					}
					if e := math.Abs(float64(got[i*side.n+j]) - sum); e > float64(side.k+1)*0x1p-24*abs {
						t.Fatalf("%s %+v: element (%d, %d) = %v, want %v (error %g, bound %g)", side.name, c, i, j,
							got[i*side.n+j], sum, e, float64(side.k+1)*0x1p-24*abs)
					}
				}
			}
		}
	}
}

// nans is an output buffer of NaNs: every element must be written.
func nans[T floating](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(math.NaN())
	}
	return s
}

// gonumMul is a (m×k) · b (k×n) by gonum's Mul on tiles small enough to
// stay serial: the reference the MLP's batch kernels are checked against.
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

func sameBits[T floating](t *testing.T, what string, c any, got, want []T) {
	t.Helper()
	for i := range want {
		if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
			t.Fatalf("%s %+v: element %d = %v, want %v", what, c, i, got[i], want[i])
		}
	}
}

// BenchmarkSparseMul times one MLP batch (forward product and weight
// gradient; 200 rows, 100 hidden units) of two shapes: `all` (96 dense
// numeric + 500 TF-IDF columns, 36% non-zero as on the real data) and `metadata`
// (40 dense columns): the C kernels (sparse, dense, dense in single
// precision) against plain Go loops.
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
			var s denseMul[float64]
			for i := 0; i < b.N; i++ {
				s.mul(out, x, p, 1, w, bs, p, h)
				s.mul(outT, x, 1, p, d, p, bs, h)
			}
		})
		b.Run(shape.name+"/dense32", func(b *testing.B) {
			x32, w32, d32 := convert[float32](x), convert[float32](w), convert[float32](d)
			out32, outT32 := make([]float32, bs*h), make([]float32, p*h)
			var s denseMul[float32]
			for i := 0; i < b.N; i++ {
				s.mul(out32, x32, p, 1, w32, bs, p, h)
				s.mul(outT32, x32, 1, p, d32, p, bs, h)
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
	t.Run("float64", testReLUKernels[float64])
	t.Run("float32", testReLUKernels[float32])
}

func testReLUKernels[T floating](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ b, h int }{{1, 1}, {3, 7}, {200, 100}, {13, 33}} {
		hid := make([]T, c.b*c.h)
		for i := range hid {
			switch rng.IntN(10) {
			case 0:
				hid[i] = 0
			case 1:
				hid[i] = T(math.Copysign(0, -1))
			case 2:
				hid[i] = T(math.NaN())
			default:
				hid[i] = T(rng.NormFloat64())
			}
		}
		b1 := make([]T, c.h)
		for i := range b1 {
			b1[i] = T(rng.NormFloat64() * 0.1)
		}
		b1[0] = 0
		want := append([]T(nil), hid...)
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
		got := append([]T(nil), hid...)
		biasReLU(got, b1, c.b, c.h)
		sameBits(t, "biasReLU", c, got, want)

		out, w2 := make([]T, c.b), make([]T, c.h)
		for i := range out {
			out[i] = T(rng.NormFloat64())
		}
		for i := range w2 {
			w2[i] = T(rng.NormFloat64())
		}
		wantD, wantG := make([]T, c.b*c.h), make([]T, c.h)
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
		gotD, gotG := make([]T, c.b*c.h), make([]T, c.h)
		for i := range gotG {
			gotG[i] = T(math.NaN()) // must be reset
		}
		reluBack(gotD, gotG, hid, out, w2, c.b, c.h)
		sameBits(t, "reluBack d", c, gotD, wantD)
		sameBits(t, "reluBack gb1", c, gotG, wantG)
	}
}

// TestAdamBitIdentical checks the C Adam update (AVX and scalar, with and
// without the fused penalty and batch mean, in both precisions) against
// plain Go loops of the same expressions, over many steps.
func TestAdamBitIdentical(t *testing.T) {
	for _, avx := range []bool{true, false} {
		for _, l2 := range []bool{false, true} {
			if avx && !haveAVX2FMA {
				continue
			}
			name := fmt.Sprintf("avx=%v,l2=%v", avx, l2)
			t.Run(name+",float64", func(t *testing.T) { testAdam[float64](t, avx, l2) })
			t.Run(name+",float32", func(t *testing.T) { testAdam[float32](t, avx, l2) })
		}
	}
}

func testAdam[T floating](t *testing.T, avx, l2 bool) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 17, 4100} {
		p, g := make([]T, n), make([]T, n)
		for i := range p {
			p[i] = T(rng.NormFloat64())
		}
		want := append([]T(nil), p...)
		m, v := make([]T, n), make([]T, n)
		wm, wv := make([]T, n), make([]T, n)
		// Variables, as in MLP.Fit: with constants Go would fold 1-b1
		// exactly at compile time.
		b1, b2, eps := 0.9, 0.999, 1e-8
		// The kernel takes its scalars rounded to T, 1-b1 and 1-b2
		// computed in float64 first (numpy's rounding of Python floats).
		b1T, b2T, epsT, c1T, c2T := T(b1), T(b2), T(eps), T(1-b1), T(1-b2)
		for step := 1; step <= 20; step++ {
			for i := range g {
				g[i] = T(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-6)))
			}
			lr := 1e-3 * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
			alpha, inv := 1e-4, 1/float64(1+rng.IntN(200))
			if l2 {
				adamUpdate(p, g, m, v, b1, b2, lr, eps, true, alpha, inv, avx)
			} else {
				adamUpdate(p, g, m, v, b1, b2, lr, eps, false, 0, 0, avx)
			}
			lrT, alphaT, invT := T(lr), T(alpha), T(inv)
			for i, gi := range g {
				// The T conversions keep Go from fusing a multiply-add
				// (it may on arm64 or GOAMD64=v3); C does not.
				if l2 {
					gi = (gi + T(alphaT*want[i])) * invT
				}
				wm[i] = T(b1T*wm[i]) + T(c1T*gi)
				wv[i] = T(b2T*wv[i]) + T(c2T*gi*gi)
				// A square root taken in float64 and rounded to float32
				// is the correctly rounded float32 one.
				want[i] -= lrT * wm[i] / (T(math.Sqrt(float64(wv[i]))) + epsT)
			}
			sameBits(t, "adam params", n, p, want)
			sameBits(t, "adam m", n, m, wm)
			sameBits(t, "adam v", n, v, wv)
		}
	}
}
