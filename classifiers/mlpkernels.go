package classifiers

/*
#cgo CFLAGS: -O3 -std=c11
#cgo LDFLAGS: -lm
#include <math.h>
#include <stddef.h>
#include <string.h>

// The MLP's batch products in C. Rows of the output are taken two at a
// time, and a 16-wide block of both rows stays in registers (eight AVX
// accumulators: enough independent chains to keep both FMA units busy)
// across the non-zeros of the two input rows; each weight row is loaded
// once for both. Every product-add is one fused multiply-add (fma), so the
// sums are the same on every x86-64: the x86-64-v3 clone (AVX2+FMA, chosen
// at load time) and the default one, which calls libm's exact fma, differ
// only in speed. Columns where both input rows are zero are skipped, so a
// batch with TF-IDF columns (scaled, not centred) costs about its
// non-zeros, not its width; a zero multiplier on one row of the pair adds
// an exact zero.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PYPIMAL_CLONES __attribute__((target_clones("avx2", "default")))
#define PYPIMAL_FMA_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define PYPIMAL_CLONES
#define PYPIMAL_FMA_CLONES
#endif

// Columns [c, c+W) of d0 and d1: sums over i < n of v0[i] (v1[i]) times
// row idx[i] of w (row stride ws), in order of i. Always inlined with a
// constant W, so the accumulators become registers.
static inline __attribute__((always_inline))
void pypimal_block2(double *restrict d0, double *restrict d1, const double *restrict w, size_t ws,
                    const int *restrict idx, const double *restrict v0, const double *restrict v1,
                    int n, int c, const int W) {
	double a0[16] = {0}, a1[16] = {0};
	for (int i = 0; i < n; i++) {
		const double *wr = w + (size_t)idx[i] * ws + c;
		double x0 = v0[i], x1 = v1[i];
		for (int k = 0; k < W; k++) {
			a0[k] = fma(x0, wr[k], a0[k]);
			a1[k] = fma(x1, wr[k], a1[k]);
		}
	}
	memcpy(d0 + c, a0, (size_t)W * sizeof(double));
	memcpy(d1 + c, a1, (size_t)W * sizeof(double));
}

// d0[0:h] and d1[0:h]: blocks of 16 columns, then of 4, then single ones.
PYPIMAL_FMA_CLONES
static void pypimal_gather2(double *restrict d0, double *restrict d1, const double *restrict w, size_t ws,
                            const int *restrict idx, const double *restrict v0, const double *restrict v1,
                            int n, int h) {
	int c = 0;
	for (; c + 16 <= h; c += 16) pypimal_block2(d0, d1, w, ws, idx, v0, v1, n, c, 16);
	for (; c + 4 <= h; c += 4) pypimal_block2(d0, d1, w, ws, idx, v0, v1, n, c, 4);
	for (; c < h; c++) pypimal_block2(d0, d1, w, ws, idx, v0, v1, n, c, 1);
}

// dst (m×n) = a (m×k) · b (k×n), two rows of a at a time, skipping the
// columns where both are zero. idx, v0 and v1 hold at least k entries;
// spare holds n (the unused second row when m is odd).
static void pypimal_spmm(double *dst, const double *a, const double *b, int m, int k, int n,
                         int *idx, double *v0, double *v1, double *spare) {
	int r = 0;
	for (; r + 1 < m; r += 2) {
		const double *a0 = a + (size_t)r * k, *a1 = a0 + k;
		int nz = 0;
		for (int j = 0; j < k; j++) {
			if (a0[j] != 0 || a1[j] != 0) { idx[nz] = j; v0[nz] = a0[j]; v1[nz] = a1[j]; nz++; }
		}
		pypimal_gather2(dst + (size_t)r * n, dst + (size_t)(r + 1) * n, b, (size_t)n, idx, v0, v1, nz, n);
	}
	if (r < m) {
		const double *a0 = a + (size_t)r * k;
		int nz = 0;
		for (int j = 0; j < k; j++) {
			if (a0[j] != 0) { idx[nz] = j; v0[nz] = a0[j]; v1[nz] = 0; nz++; }
		}
		pypimal_gather2(dst + (size_t)r * n, spare, b, (size_t)n, idx, v0, v1, nz, n);
	}
}

// hid (b×h) = max(hid + b1, 0) row by row: the hidden layer's bias and
// ReLU, branch-free once vectorised (a ReLU branch is a coin flip).
PYPIMAL_CLONES
static void pypimal_bias_relu(double *hid, const double *b1, int b, int h) {
	for (int r = 0; r < b; r++) {
		double *row = hid + (size_t)r * h;
		for (int k = 0; k < h; k++) {
			double v = row[k] + b1[k];
			row[k] = v > 0 ? v : 0.0;
		}
	}
}

// The hidden layer's deltas d (b×h) = out[r]·w2 where hid > 0, else 0,
// and gb1 = their column sums, rows added in order.
// no-trapping-math lets GCC evaluate both arms of the select and vectorise
// the loop (with traps on, the conditional multiply stays a branch); it
// changes no value. (cgo does not accept the flag on the command line.)
PYPIMAL_CLONES __attribute__((optimize("no-trapping-math")))
static void pypimal_relu_back(double *d, double *gb1, const double *hid, const double *out,
                              const double *w2, int b, int h) {
	memset(gb1, 0, (size_t)h * sizeof(double));
	for (int r = 0; r < b; r++) {
		const double *hr = hid + (size_t)r * h;
		double *dr = d + (size_t)r * h;
		double o = out[r];
		for (int k = 0; k < h; k++) {
			double v = hr[k] > 0 ? o * w2[k] : 0.0;
			dr[k] = v;
			gb1[k] += v;
		}
	}
}

// One Adam update of n parameters: the expressions of the Go loop it
// replaced, in the same order, each operation rounded on its own (ISO C
// mode contracts nothing), so the bits are the same. (sqrt's errno keeps
// this loop scalar; it is still faster than Go's bounds-checked one.)
PYPIMAL_CLONES
static void pypimal_adam(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                         int n, double b1, double b2, double lr, double eps) {
	double c1 = 1 - b1, c2 = 1 - b2;
	for (int i = 0; i < n; i++) {
		m[i] = b1 * m[i] + c1 * g[i];
		v[i] = b2 * v[i] + c2 * g[i] * g[i];
		p[i] -= lr * m[i] / (sqrt(v[i]) + eps);
	}
}
*/
import "C"

import "unsafe"

// sparseMul holds the scratch lists of the C product.
type sparseMul struct {
	idx          []C.int
	v0, v1, tail []float64
}

// mul sets dst (m×n) = a (m×k) · b (k×n), skipping the zeros of a. The
// MLP's forward pass is mul(hidden, batch, w1) and its weight gradient
// mul(gw1, batchᵀ, deltas).
func (s *sparseMul) mul(dst, a, b []float64, m, k, n int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(dst[:m*n])
		return
	}
	_ = dst[m*n-1]
	_ = a[m*k-1]
	_ = b[k*n-1]
	if cap(s.idx) < k {
		s.idx = make([]C.int, k)
		s.v0, s.v1 = make([]float64, k), make([]float64, k)
	}
	if cap(s.tail) < n {
		s.tail = make([]float64, n)
	}
	C.pypimal_spmm(cptr(dst), cptr(a), cptr(b), C.int(m), C.int(k), C.int(n),
		&s.idx[0], cptr(s.v0), cptr(s.v1), cptr(s.tail))
}

// cptr is the C view of a non-empty slice.
func cptr(s []float64) *C.double { return (*C.double)(unsafe.Pointer(&s[0])) }

// biasReLU sets hid (b×h) = max(hid + b1, 0), row by row.
func biasReLU(hid, b1 []float64, b, h int) {
	if b == 0 || h == 0 {
		return
	}
	_ = hid[b*h-1]
	_ = b1[h-1]
	C.pypimal_bias_relu(cptr(hid), cptr(b1), C.int(b), C.int(h))
}

// reluBack sets d (b×h) to out[r]·w2 where hid > 0 and 0 elsewhere, and gb1
// to the column sums of d.
func reluBack(d, gb1, hid, out, w2 []float64, b, h int) {
	if h == 0 {
		return
	}
	if b == 0 {
		clear(gb1[:h])
		return
	}
	_ = d[b*h-1]
	_ = hid[b*h-1]
	_ = out[b-1]
	_ = w2[h-1]
	_ = gb1[h-1]
	C.pypimal_relu_back(cptr(d), cptr(gb1), cptr(hid), cptr(out), cptr(w2), C.int(b), C.int(h))
}

// adamStep applies one Adam update with the bias-corrected step size lr to
// param, with moment estimates m and v.
func adamStep(param, grad, m, v []float64, b1, b2, lr, eps float64) {
	n := len(param)
	if n == 0 {
		return
	}
	_ = grad[n-1]
	_ = m[n-1]
	_ = v[n-1]
	C.pypimal_adam(cptr(param), cptr(grad), cptr(m), cptr(v), C.int(n), C.double(b1), C.double(b2), C.double(lr), C.double(eps))
}
