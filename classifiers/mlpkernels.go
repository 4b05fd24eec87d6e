package classifiers

/*
#cgo CFLAGS: -O3 -std=c11
#cgo LDFLAGS: -lm
#include <math.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

// The dense product, for batches with few zeros (numeric columns, or
// TF-IDF columns at the density of the paper's vocabulary): the output is
// cut into 6×8 tiles held in twelve AVX registers across the whole inner
// dimension, as in BLIS's Haswell kernel. Each output element is still one
// chain of fused multiply-adds in inner-dimension order from +0, so the
// sums are those of the sparse kernel above (a zero multiplier adds an
// exact zero): for finite weights the choice between them changes no bit,
// except the sign of a sum that underflowed to zero (-0 here, +0 there).
#define PYPIMAL_MR 6
#define PYPIMAL_NR 8

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma")))
static void pypimal_tile_fma(double *dst, size_t ds, const double *ap, const double *bp, int k, int rows, int cols) {
	__m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
		c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	for (int kk = 0; kk < k; kk++, ap += PYPIMAL_MR, bp += PYPIMAL_NR) {
		__m256d b0 = _mm256_loadu_pd(bp), b1 = _mm256_loadu_pd(bp + 4), a;
		a = _mm256_broadcast_sd(ap + 0); c00 = _mm256_fmadd_pd(a, b0, c00); c01 = _mm256_fmadd_pd(a, b1, c01);
		a = _mm256_broadcast_sd(ap + 1); c10 = _mm256_fmadd_pd(a, b0, c10); c11 = _mm256_fmadd_pd(a, b1, c11);
		a = _mm256_broadcast_sd(ap + 2); c20 = _mm256_fmadd_pd(a, b0, c20); c21 = _mm256_fmadd_pd(a, b1, c21);
		a = _mm256_broadcast_sd(ap + 3); c30 = _mm256_fmadd_pd(a, b0, c30); c31 = _mm256_fmadd_pd(a, b1, c31);
		a = _mm256_broadcast_sd(ap + 4); c40 = _mm256_fmadd_pd(a, b0, c40); c41 = _mm256_fmadd_pd(a, b1, c41);
		a = _mm256_broadcast_sd(ap + 5); c50 = _mm256_fmadd_pd(a, b0, c50); c51 = _mm256_fmadd_pd(a, b1, c51);
	}
	double t[PYPIMAL_MR][PYPIMAL_NR];
	_mm256_storeu_pd(t[0], c00); _mm256_storeu_pd(t[0] + 4, c01);
	_mm256_storeu_pd(t[1], c10); _mm256_storeu_pd(t[1] + 4, c11);
	_mm256_storeu_pd(t[2], c20); _mm256_storeu_pd(t[2] + 4, c21);
	_mm256_storeu_pd(t[3], c30); _mm256_storeu_pd(t[3] + 4, c31);
	_mm256_storeu_pd(t[4], c40); _mm256_storeu_pd(t[4] + 4, c41);
	_mm256_storeu_pd(t[5], c50); _mm256_storeu_pd(t[5] + 4, c51);
	for (int r = 0; r < rows; r++) memcpy(dst + (size_t)r * ds, t[r], (size_t)cols * sizeof(double));
}
static int pypimal_have_fma(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static void pypimal_tile_fma(double *dst, size_t ds, const double *ap, const double *bp, int k, int rows, int cols) {}
static int pypimal_have_fma(void) { return 0; }
#endif

// The same tile with libm's fma: same bits, any CPU.
static void pypimal_tile_generic(double *dst, size_t ds, const double *ap, const double *bp, int k, int rows, int cols) {
	double t[PYPIMAL_MR][PYPIMAL_NR] = {{0}};
	for (int kk = 0; kk < k; kk++, ap += PYPIMAL_MR, bp += PYPIMAL_NR)
		for (int r = 0; r < PYPIMAL_MR; r++)
			for (int c = 0; c < PYPIMAL_NR; c++) t[r][c] = fma(ap[r], bp[c], t[r][c]);
	for (int r = 0; r < rows; r++) memcpy(dst + (size_t)r * ds, t[r], (size_t)cols * sizeof(double));
}

// dst (m×n) = A (m×k) · b (k×n), where A's element (i, j) is a[i*ars +
// j*acs]: the batch (ars = k, acs = 1) or its transpose read in place (ars
// = 1, acs = the batch's width). b is packed into zero-padded panels of
// PYPIMAL_NR columns (bpack: ceil(n/NR)·k·NR doubles), and each PYPIMAL_MR
// rows of A into a k-major panel (apack: k·MR doubles).
static void pypimal_gemm(double *dst, const double *a, size_t ars, size_t acs, const double *b,
                         int m, int k, int n, double *apack, double *bpack, int fma_tiles) {
	int panels = (n + PYPIMAL_NR - 1) / PYPIMAL_NR;
	for (int p = 0; p < panels; p++) {
		int c0 = p * PYPIMAL_NR, w = n - c0 < PYPIMAL_NR ? n - c0 : PYPIMAL_NR;
		double *bp = bpack + (size_t)p * k * PYPIMAL_NR;
		for (int kk = 0; kk < k; kk++) {
			const double *br = b + (size_t)kk * n + c0;
			double *o = bp + (size_t)kk * PYPIMAL_NR;
			int c = 0;
			for (; c < w; c++) o[c] = br[c];
			for (; c < PYPIMAL_NR; c++) o[c] = 0;
		}
	}
	for (int i0 = 0; i0 < m; i0 += PYPIMAL_MR) {
		int rows = m - i0 < PYPIMAL_MR ? m - i0 : PYPIMAL_MR;
		for (int kk = 0; kk < k; kk++) {
			double *o = apack + (size_t)kk * PYPIMAL_MR;
			int r = 0;
			for (; r < rows; r++) o[r] = a[(size_t)(i0 + r) * ars + (size_t)kk * acs];
			for (; r < PYPIMAL_MR; r++) o[r] = 0;
		}
		for (int p = 0; p < panels; p++) {
			int c0 = p * PYPIMAL_NR, w = n - c0 < PYPIMAL_NR ? n - c0 : PYPIMAL_NR;
			double *d = dst + (size_t)i0 * n + c0;
			const double *bp = bpack + (size_t)p * k * PYPIMAL_NR;
			if (fma_tiles) pypimal_tile_fma(d, (size_t)n, apack, bp, k, rows, w);
			else pypimal_tile_generic(d, (size_t)n, apack, bp, k, rows, w);
		}
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
// mode contracts nothing), so the bits are the same. With l2 the gradient
// is first (g + alpha·p)·inv, the weight penalty and batch mean of the Go
// loop that used to precede the update (g itself is left as it was).
#define PYPIMAL_ADAM_ELEM(i) do { \
	double gi = l2 ? (g[i] + alpha * p[i]) * inv : g[i]; \
	m[i] = b1 * m[i] + c1 * gi; \
	v[i] = b2 * v[i] + c2 * gi * gi; \
	p[i] -= lr * m[i] / (sqrt(v[i]) + eps); \
} while (0)

// The same with AVX: vsqrtpd and vdivpd round exactly as their scalar
// forms, so the bits do not change. (GCC keeps the plain loop scalar
// because of sqrt's errno.)
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2")))
static void pypimal_adam_avx(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                             int n, double b1, double b2, double lr, double eps, int l2, double alpha, double inv) {
	double c1 = 1 - b1, c2 = 1 - b2;
	__m256d B1 = _mm256_set1_pd(b1), B2 = _mm256_set1_pd(b2), C1 = _mm256_set1_pd(c1), C2 = _mm256_set1_pd(c2),
		LR = _mm256_set1_pd(lr), EPS = _mm256_set1_pd(eps), A = _mm256_set1_pd(alpha), INV = _mm256_set1_pd(inv);
	int i = 0;
	for (; i + 4 <= n; i += 4) {
		__m256d gi = _mm256_loadu_pd(g + i), pi = _mm256_loadu_pd(p + i);
		if (l2) gi = _mm256_mul_pd(_mm256_add_pd(gi, _mm256_mul_pd(A, pi)), INV);
		__m256d mi = _mm256_add_pd(_mm256_mul_pd(B1, _mm256_loadu_pd(m + i)), _mm256_mul_pd(C1, gi));
		__m256d vi = _mm256_add_pd(_mm256_mul_pd(B2, _mm256_loadu_pd(v + i)), _mm256_mul_pd(_mm256_mul_pd(C2, gi), gi));
		_mm256_storeu_pd(m + i, mi);
		_mm256_storeu_pd(v + i, vi);
		pi = _mm256_sub_pd(pi, _mm256_div_pd(_mm256_mul_pd(LR, mi), _mm256_add_pd(_mm256_sqrt_pd(vi), EPS)));
		_mm256_storeu_pd(p + i, pi);
	}
	for (; i < n; i++) PYPIMAL_ADAM_ELEM(i);
}
#else
static void pypimal_adam_avx(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                             int n, double b1, double b2, double lr, double eps, int l2, double alpha, double inv) {}
#endif

static void pypimal_adam(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                         int n, double b1, double b2, double lr, double eps, int l2, double alpha, double inv, int avx) {
	if (avx) {
		pypimal_adam_avx(p, g, m, v, n, b1, b2, lr, eps, l2, alpha, inv);
		return;
	}
	double c1 = 1 - b1, c2 = 1 - b2;
	for (int i = 0; i < n; i++) PYPIMAL_ADAM_ELEM(i);
}
*/
import "C"

import "unsafe"

// sparseMul holds the scratch lists of the C product.
type sparseMul struct {
	idx          []C.int
	v0, v1, tail []float64
}

// mul sets dst (m×n) = a (m×k) · b (k×n), skipping the zeros of a. On a
// sparse input the MLP's forward pass is mul(hidden, batch, w1) and its
// weight gradient mul(gw1, batchᵀ, deltas); denseMul does both otherwise.
func (s *sparseMul) mul(dst, a, b []float64, m, k, n int) {
	if !productToDo(dst, b, m, k, n) {
		return
	}
	_ = a[m*k-1]
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

// productToDo settles the products dst (m×n) = a (m×k) · b (k×n) with an
// empty side (an empty k sums nothing: dst is zeroed), checks the bounds of
// dst and b (the caller checks a, whose layout it knows) and reports
// whether the C kernel has work to do.
func productToDo(dst, b []float64, m, k, n int) bool {
	if m == 0 || n == 0 {
		return false
	}
	if k == 0 {
		clear(dst[:m*n])
		return false
	}
	_ = dst[m*n-1]
	_ = b[k*n-1]
	return true
}

// haveAVX2FMA: the CPU runs the AVX2/FMA tiles and the AVX Adam update
// (else the libm tiles and the scalar loop: same bits, slower).
var haveAVX2FMA = C.pypimal_have_fma() != 0

// denseMul holds the packing buffers of the C dense product.
type denseMul struct{ apack, bpack []float64 }

const mr, nr = 6, 8 // PYPIMAL_MR, PYPIMAL_NR

// mul sets dst (m×n) = A (m×k) · b (k×n); A's element (i, j) is
// a[i*ars+j*acs], so the batch and its transpose are read in place.
func (s *denseMul) mul(dst, a []float64, ars, acs int, b []float64, m, k, n int) {
	s.mulTiles(dst, a, ars, acs, b, m, k, n, haveAVX2FMA)
}

func (s *denseMul) mulTiles(dst, a []float64, ars, acs int, b []float64, m, k, n int, fmaTiles bool) {
	if !productToDo(dst, b, m, k, n) {
		return
	}
	_ = a[(m-1)*ars+(k-1)*acs]
	if need := k * mr; cap(s.apack) < need {
		s.apack = make([]float64, need)
	}
	if need := (n + nr - 1) / nr * k * nr; cap(s.bpack) < need {
		s.bpack = make([]float64, need)
	}
	C.pypimal_gemm(cptr(dst), cptr(a), C.size_t(ars), C.size_t(acs), cptr(b), C.int(m), C.int(k), C.int(n),
		cptr(s.apack[:cap(s.apack)]), cptr(s.bpack[:cap(s.bpack)]), cbool(fmaTiles))
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

// adamUpdate applies one Adam update with the bias-corrected step size lr
// to param, with moment estimates m and v; with l2 the gradient is
// (grad + alpha·param)·inv, computed on the fly (grad is not changed).
// avx picks the AVX loop (haveAVX2FMA) or the scalar one: same bits.
func adamUpdate(param, grad, m, v []float64, b1, b2, lr, eps float64, l2 bool, alpha, inv float64, avx bool) {
	n := len(param)
	if n == 0 {
		return
	}
	_ = grad[n-1]
	_ = m[n-1]
	_ = v[n-1]
	C.pypimal_adam(cptr(param), cptr(grad), cptr(m), cptr(v), C.int(n), C.double(b1), C.double(b2), C.double(lr), C.double(eps),
		cbool(l2), C.double(alpha), C.double(inv), cbool(avx))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
