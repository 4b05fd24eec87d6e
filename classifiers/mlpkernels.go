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
// cut into 6×8 tiles (6×16 in single precision) held in twelve AVX
// registers across the whole inner dimension, as in BLIS's Haswell kernel.
// Each output element is still one chain of fused multiply-adds in
// inner-dimension order from +0, so the sums are those of the sparse
// kernel above (a zero multiplier adds an exact zero): for finite weights
// the choice between them changes no bit, except the sign of a sum that
// underflowed to zero (-0 here, +0 there). The single-precision kernels
// are the same code over float (scikit-learn's MLPClassifier computes in
// float32 when its input is float32).
#define PYPIMAL_MR 6
#define PYPIMAL_NR 8
#define PYPIMAL_NR32 16

// The twelve accumulators of a tile: rows r of c0 and c1, the two halves.
#define PYPIMAL_TILE_ROW(r, BCAST, FMADD) \
	a = BCAST(ap + r); c##r##0 = FMADD(a, b0, c##r##0); c##r##1 = FMADD(a, b1, c##r##1)

#if defined(__x86_64__) && defined(__GNUC__)
// One tile of either precision: VEC is the register type, L the lanes.
#define PYPIMAL_TILE_FMA(NAME, T, NR, VEC, ZERO, LOADU, STOREU, BCAST, FMADD) \
__attribute__((target("avx2,fma"))) \
static void NAME(T *dst, size_t ds, const T *ap, const T *bp, int k, int rows, int cols) { \
	VEC c00 = ZERO(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, \
		c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00; \
	for (int kk = 0; kk < k; kk++, ap += PYPIMAL_MR, bp += NR) { \
		VEC b0 = LOADU(bp), b1 = LOADU(bp + NR / 2), a; \
		PYPIMAL_TILE_ROW(0, BCAST, FMADD); PYPIMAL_TILE_ROW(1, BCAST, FMADD); \
		PYPIMAL_TILE_ROW(2, BCAST, FMADD); PYPIMAL_TILE_ROW(3, BCAST, FMADD); \
		PYPIMAL_TILE_ROW(4, BCAST, FMADD); PYPIMAL_TILE_ROW(5, BCAST, FMADD); \
	} \
	T t[PYPIMAL_MR][NR]; \
	STOREU(t[0], c00); STOREU(t[0] + NR / 2, c01); \
	STOREU(t[1], c10); STOREU(t[1] + NR / 2, c11); \
	STOREU(t[2], c20); STOREU(t[2] + NR / 2, c21); \
	STOREU(t[3], c30); STOREU(t[3] + NR / 2, c31); \
	STOREU(t[4], c40); STOREU(t[4] + NR / 2, c41); \
	STOREU(t[5], c50); STOREU(t[5] + NR / 2, c51); \
	for (int r = 0; r < rows; r++) memcpy(dst + (size_t)r * ds, t[r], (size_t)cols * sizeof(T)); \
}
PYPIMAL_TILE_FMA(pypimal_tile_fma, double, PYPIMAL_NR, __m256d, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd,
                 _mm256_broadcast_sd, _mm256_fmadd_pd)
PYPIMAL_TILE_FMA(pypimal_tile_fma32, float, PYPIMAL_NR32, __m256, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps,
                 _mm256_broadcast_ss, _mm256_fmadd_ps)
static int pypimal_have_fma(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static void pypimal_tile_fma(double *dst, size_t ds, const double *ap, const double *bp, int k, int rows, int cols) {}
static void pypimal_tile_fma32(float *dst, size_t ds, const float *ap, const float *bp, int k, int rows, int cols) {}
static int pypimal_have_fma(void) { return 0; }
#endif

// The same tile with libm's fma (fmaf): same bits, any CPU.
#define PYPIMAL_TILE_GENERIC(NAME, T, NR, FMA) \
static void NAME(T *dst, size_t ds, const T *ap, const T *bp, int k, int rows, int cols) { \
	T t[PYPIMAL_MR][NR] = {{0}}; \
	for (int kk = 0; kk < k; kk++, ap += PYPIMAL_MR, bp += NR) \
		for (int r = 0; r < PYPIMAL_MR; r++) \
			for (int c = 0; c < NR; c++) t[r][c] = FMA(ap[r], bp[c], t[r][c]); \
	for (int r = 0; r < rows; r++) memcpy(dst + (size_t)r * ds, t[r], (size_t)cols * sizeof(T)); \
}
PYPIMAL_TILE_GENERIC(pypimal_tile_generic, double, PYPIMAL_NR, fma)
PYPIMAL_TILE_GENERIC(pypimal_tile_generic32, float, PYPIMAL_NR32, fmaf)

// dst (m×n) = A (m×k) · b (k×n), where A's element (i, j) is a[i*ars +
// j*acs]: the batch (ars = k, acs = 1) or its transpose read in place (ars
// = 1, acs = the batch's width). b is packed into zero-padded panels of NR
// columns (bpack: ceil(n/NR)·k·NR elements), and each PYPIMAL_MR rows of A
// into a k-major panel (apack: k·MR elements).
#define PYPIMAL_GEMM(NAME, T, NR, TILE_FMA, TILE_GENERIC) \
static void NAME(T *dst, const T *a, size_t ars, size_t acs, const T *b, \
                 int m, int k, int n, T *apack, T *bpack, int fma_tiles) { \
	int panels = (n + NR - 1) / NR; \
	for (int p = 0; p < panels; p++) { \
		int c0 = p * NR, w = n - c0 < NR ? n - c0 : NR; \
		T *bp = bpack + (size_t)p * k * NR; \
		for (int kk = 0; kk < k; kk++) { \
			const T *br = b + (size_t)kk * n + c0; \
			T *o = bp + (size_t)kk * NR; \
			int c = 0; \
			for (; c < w; c++) o[c] = br[c]; \
			for (; c < NR; c++) o[c] = 0; \
		} \
	} \
	for (int i0 = 0; i0 < m; i0 += PYPIMAL_MR) { \
		int rows = m - i0 < PYPIMAL_MR ? m - i0 : PYPIMAL_MR; \
		for (int kk = 0; kk < k; kk++) { \
			T *o = apack + (size_t)kk * PYPIMAL_MR; \
			int r = 0; \
			for (; r < rows; r++) o[r] = a[(size_t)(i0 + r) * ars + (size_t)kk * acs]; \
			for (; r < PYPIMAL_MR; r++) o[r] = 0; \
		} \
		for (int p = 0; p < panels; p++) { \
			int c0 = p * NR, w = n - c0 < NR ? n - c0 : NR; \
			T *d = dst + (size_t)i0 * n + c0; \
			const T *bp = bpack + (size_t)p * k * NR; \
			if (fma_tiles) TILE_FMA(d, (size_t)n, apack, bp, k, rows, w); \
			else TILE_GENERIC(d, (size_t)n, apack, bp, k, rows, w); \
		} \
	} \
}
PYPIMAL_GEMM(pypimal_gemm, double, PYPIMAL_NR, pypimal_tile_fma, pypimal_tile_generic)
PYPIMAL_GEMM(pypimal_gemm32, float, PYPIMAL_NR32, pypimal_tile_fma32, pypimal_tile_generic32)

// hid (b×h) = max(hid + b1, 0) row by row: the hidden layer's bias and
// ReLU, branch-free once vectorised (a ReLU branch is a coin flip).
#define PYPIMAL_BIAS_RELU(NAME, T) \
PYPIMAL_CLONES \
static void NAME(T *hid, const T *b1, int b, int h) { \
	for (int r = 0; r < b; r++) { \
		T *row = hid + (size_t)r * h; \
		for (int k = 0; k < h; k++) { \
			T v = row[k] + b1[k]; \
			row[k] = v > 0 ? v : (T)0; \
		} \
	} \
}
PYPIMAL_BIAS_RELU(pypimal_bias_relu, double)
PYPIMAL_BIAS_RELU(pypimal_bias_relu32, float)

// The hidden layer's deltas d (b×h) = out[r]·w2 where hid > 0, else 0,
// and gb1 = their column sums, rows added in order.
// no-trapping-math lets GCC evaluate both arms of the select and vectorise
// the loop (with traps on, the conditional multiply stays a branch); it
// changes no value. (cgo does not accept the flag on the command line.)
#define PYPIMAL_RELU_BACK(NAME, T) \
PYPIMAL_CLONES __attribute__((optimize("no-trapping-math"))) \
static void NAME(T *d, T *gb1, const T *hid, const T *out, const T *w2, int b, int h) { \
	memset(gb1, 0, (size_t)h * sizeof(T)); \
	for (int r = 0; r < b; r++) { \
		const T *hr = hid + (size_t)r * h; \
		T *dr = d + (size_t)r * h; \
		T o = out[r]; \
		for (int k = 0; k < h; k++) { \
			T v = hr[k] > 0 ? o * w2[k] : (T)0; \
			dr[k] = v; \
			gb1[k] += v; \
		} \
	} \
}
PYPIMAL_RELU_BACK(pypimal_relu_back, double)
PYPIMAL_RELU_BACK(pypimal_relu_back32, float)

// One Adam update of n parameters: the expressions of the Go reference
// loop (TestAdamBitIdentical), in the same order, each operation rounded on
// its own (ISO C mode contracts nothing), so the bits are the same. c1 and c2 are 1-b1
// and 1-b2, computed by the caller in float64 (for float32, as numpy
// does: the Python float 1-beta is rounded, not 1-float32(beta)). With l2 the gradient
// is first (g + alpha·p)·inv, the weight penalty and batch mean, fused
// into the update (g itself is left unchanged).
#define PYPIMAL_ADAM_ELEM(i, T, SQRT) do { \
	T gi = l2 ? (g[i] + alpha * p[i]) * inv : g[i]; \
	m[i] = b1 * m[i] + c1 * gi; \
	v[i] = b2 * v[i] + c2 * gi * gi; \
	p[i] -= lr * m[i] / (SQRT(v[i]) + eps); \
} while (0)

// The same with AVX: vsqrtp[sd] and vdivp[sd] round exactly as their
// scalar forms, so the bits do not change. (GCC keeps the plain loop
// scalar because of sqrt's errno.)
#if defined(__x86_64__) && defined(__GNUC__)
#define PYPIMAL_ADAM_AVX(NAME, T, L, VEC, SET1, LOADU, STOREU, ADD, SUB, MUL, DIV, SQRTV, SQRT) \
__attribute__((target("avx2"))) \
static void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, \
                 int n, T b1, T b2, T c1, T c2, T lr, T eps, int l2, T alpha, T inv) { \
	VEC B1 = SET1(b1), B2 = SET1(b2), C1 = SET1(c1), C2 = SET1(c2), \
		LR = SET1(lr), EPS = SET1(eps), A = SET1(alpha), INV = SET1(inv); \
	int i = 0; \
	for (; i + L <= n; i += L) { \
		VEC gi = LOADU(g + i), pi = LOADU(p + i); \
		if (l2) gi = MUL(ADD(gi, MUL(A, pi)), INV); \
		VEC mi = ADD(MUL(B1, LOADU(m + i)), MUL(C1, gi)); \
		VEC vi = ADD(MUL(B2, LOADU(v + i)), MUL(MUL(C2, gi), gi)); \
		STOREU(m + i, mi); \
		STOREU(v + i, vi); \
		pi = SUB(pi, DIV(MUL(LR, mi), ADD(SQRTV(vi), EPS))); \
		STOREU(p + i, pi); \
	} \
	for (; i < n; i++) PYPIMAL_ADAM_ELEM(i, T, SQRT); \
}
PYPIMAL_ADAM_AVX(pypimal_adam_avx, double, 4, __m256d, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd,
                 _mm256_add_pd, _mm256_sub_pd, _mm256_mul_pd, _mm256_div_pd, _mm256_sqrt_pd, sqrt)
PYPIMAL_ADAM_AVX(pypimal_adam_avx32, float, 8, __m256, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps,
                 _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps, sqrtf)
#else
static void pypimal_adam_avx(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                             int n, double b1, double b2, double c1, double c2, double lr, double eps, int l2, double alpha, double inv) {}
static void pypimal_adam_avx32(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                               int n, float b1, float b2, float c1, float c2, float lr, float eps, int l2, float alpha, float inv) {}
#endif

#define PYPIMAL_ADAM(NAME, T, AVX, SQRT) \
static void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, \
                 int n, T b1, T b2, T c1, T c2, T lr, T eps, int l2, T alpha, T inv, int avx) { \
	if (avx) { \
		AVX(p, g, m, v, n, b1, b2, c1, c2, lr, eps, l2, alpha, inv); \
		return; \
	} \
	for (int i = 0; i < n; i++) PYPIMAL_ADAM_ELEM(i, T, SQRT); \
}
PYPIMAL_ADAM(pypimal_adam, double, pypimal_adam_avx, sqrt)
PYPIMAL_ADAM(pypimal_adam32, float, pypimal_adam_avx32, sqrtf)

// The sum of squares of n floats in double precision (the L2 term of the
// single-precision MLP's loss): sixteen lanes of fused multiply-adds,
// lane l taking elements l, l+16, ..., then combined as
// ((l0+l4)+(l8+l12)) per l < 4 and those four pairwise, then the tail.
// The scalar loop keeps that order, so the sum (which the loss, and so
// early stopping, sees) is the same on every CPU. Only the float32 path
// uses it; the float64 one keeps its Go loop, in whose order its results
// were computed.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma")))
static double pypimal_sumsq32_fma(const float *x, int n) {
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
	int i = 0;
	for (; i + 16 <= n; i += 16) {
		__m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), b = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
		__m256d c = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)), d = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
		s0 = _mm256_fmadd_pd(a, a, s0); s1 = _mm256_fmadd_pd(b, b, s1);
		s2 = _mm256_fmadd_pd(c, c, s2); s3 = _mm256_fmadd_pd(d, d, s3);
	}
	double t[4];
	_mm256_storeu_pd(t, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
	double s = (t[0] + t[1]) + (t[2] + t[3]);
	for (; i < n; i++) s = fma((double)x[i], (double)x[i], s);
	return s;
}
#else
static double pypimal_sumsq32_fma(const float *x, int n) { return 0; }
#endif

static double pypimal_sumsq32(const float *x, int n, int avx) {
	if (avx) return pypimal_sumsq32_fma(x, n);
	double acc[16] = {0}, t[4];
	int i = 0;
	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++) acc[l] = fma((double)x[i + l], (double)x[i + l], acc[l]);
	for (int l = 0; l < 4; l++) t[l] = (acc[l] + acc[4 + l]) + (acc[8 + l] + acc[12 + l]);
	double s = (t[0] + t[1]) + (t[2] + t[3]);
	for (; i < n; i++) s = fma((double)x[i], (double)x[i], s);
	return s;
}
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

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
func productToDo[T floating](dst, b []T, m, k, n int) bool {
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

// floating is the element type of the MLP's arithmetic: float64, as
// scikit-learn by default, or float32, as scikit-learn on float32 input.
type floating interface{ float32 | float64 }

// isFloat32 reports whether T is float32.
func isFloat32[T floating]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// denseMul holds the packing buffers of the C dense product.
type denseMul[T floating] struct{ apack, bpack []T }

// mr rows by nr (nr32 in single precision) columns: the C tile,
// PYPIMAL_MR × PYPIMAL_NR (PYPIMAL_NR32).
const mr, nr, nr32 = 6, 8, 16

// mul sets dst (m×n) = A (m×k) · b (k×n); A's element (i, j) is
// a[i*ars+j*acs], so the batch and its transpose are read in place.
func (s *denseMul[T]) mul(dst, a []T, ars, acs int, b []T, m, k, n int) {
	s.mulTiles(dst, a, ars, acs, b, m, k, n, haveAVX2FMA)
}

func (s *denseMul[T]) mulTiles(dst, a []T, ars, acs int, b []T, m, k, n int, fmaTiles bool) {
	if !productToDo(dst, b, m, k, n) {
		return
	}
	_ = a[(m-1)*ars+(k-1)*acs]
	cols := nr
	if isFloat32[T]() {
		cols = nr32
	}
	if need := k * mr; cap(s.apack) < need {
		s.apack = make([]T, need)
	}
	if need := (n + cols - 1) / cols * k * cols; cap(s.bpack) < need {
		s.bpack = make([]T, need)
	}
	ap, bp := s.apack[:cap(s.apack)], s.bpack[:cap(s.bpack)]
	switch d := any(dst).(type) {
	case []float64:
		C.pypimal_gemm(cptr(d), cptr(any(a).([]float64)), C.size_t(ars), C.size_t(acs), cptr(any(b).([]float64)),
			C.int(m), C.int(k), C.int(n), cptr(any(ap).([]float64)), cptr(any(bp).([]float64)), cbool(fmaTiles))
	case []float32:
		C.pypimal_gemm32(cptr32(d), cptr32(any(a).([]float32)), C.size_t(ars), C.size_t(acs), cptr32(any(b).([]float32)),
			C.int(m), C.int(k), C.int(n), cptr32(any(ap).([]float32)), cptr32(any(bp).([]float32)), cbool(fmaTiles))
	}
}

// cptr is the C view of a non-empty slice.
func cptr(s []float64) *C.double { return (*C.double)(unsafe.Pointer(&s[0])) }

// cptr32 is cptr in single precision.
func cptr32(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

// biasReLU sets hid (b×h) = max(hid + b1, 0), row by row.
func biasReLU[T floating](hid, b1 []T, b, h int) {
	if b == 0 || h == 0 {
		return
	}
	_ = hid[b*h-1]
	_ = b1[h-1]
	switch hv := any(hid).(type) {
	case []float64:
		C.pypimal_bias_relu(cptr(hv), cptr(any(b1).([]float64)), C.int(b), C.int(h))
	case []float32:
		C.pypimal_bias_relu32(cptr32(hv), cptr32(any(b1).([]float32)), C.int(b), C.int(h))
	}
}

// reluBack sets d (b×h) to out[r]·w2 where hid > 0 and 0 elsewhere, and gb1
// to the column sums of d.
func reluBack[T floating](d, gb1, hid, out, w2 []T, b, h int) {
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
	switch dv := any(d).(type) {
	case []float64:
		C.pypimal_relu_back(cptr(dv), cptr(any(gb1).([]float64)), cptr(any(hid).([]float64)),
			cptr(any(out).([]float64)), cptr(any(w2).([]float64)), C.int(b), C.int(h))
	case []float32:
		C.pypimal_relu_back32(cptr32(dv), cptr32(any(gb1).([]float32)), cptr32(any(hid).([]float32)),
			cptr32(any(out).([]float32)), cptr32(any(w2).([]float32)), C.int(b), C.int(h))
	}
}

// adamUpdate applies one Adam update with the bias-corrected step size lr
// to param, with moment estimates m and v; with l2 the gradient is
// (grad + alpha·param)·inv, computed on the fly (grad is not changed).
// avx picks the AVX loop (haveAVX2FMA) or the scalar one: same bits. In
// single precision every scalar, 1-b1 and 1-b2 included, is computed in
// float64 and rounded to float32, as numpy does with Python floats against
// a float32 array. (scikit-learn squares the gradient before scaling it
// by 1-b2; both precisions here scale first, as the float64 loop always
// did.)
func adamUpdate[T floating](param, grad, m, v []T, b1, b2, lr, eps float64, l2 bool, alpha, inv float64, avx bool) {
	n := len(param)
	if n == 0 {
		return
	}
	_ = grad[n-1]
	_ = m[n-1]
	_ = v[n-1]
	switch p := any(param).(type) {
	case []float64:
		C.pypimal_adam(cptr(p), cptr(any(grad).([]float64)), cptr(any(m).([]float64)), cptr(any(v).([]float64)), C.int(n),
			C.double(b1), C.double(b2), C.double(1-b1), C.double(1-b2), C.double(lr), C.double(eps), cbool(l2), C.double(alpha), C.double(inv), cbool(avx))
	case []float32:
		C.pypimal_adam32(cptr32(p), cptr32(any(grad).([]float32)), cptr32(any(m).([]float32)), cptr32(any(v).([]float32)), C.int(n),
			C.float(b1), C.float(b2), C.float(1-b1), C.float(1-b2), C.float(lr), C.float(eps), cbool(l2), C.float(alpha), C.float(inv), cbool(avx))
	}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// sparseProduct is sparseMul.mul for the float64 path; callers check
// !isFloat32[T]() first. (The sparse kernel has no single-precision form:
// on AVX2/FMA CPUs the float32 dense tiles beat it at the data's density;
// without FMA the float32 MLP takes the slow libm tiles.)
func sparseProduct[T floating](s *sparseMul, dst, a, b []T, m, k, n int) {
	s.mul(any(dst).([]float64), any(a).([]float64), any(b).([]float64), m, k, n)
}

// gemv sets y = A·x, or Aᵀ·x with trans, for A (r×c, row-major): gonum's
// Gemv in T's precision, as mat's MulVec calls it.
func gemv[T floating](trans bool, a []T, r, c int, x, y []T) {
	t := blas.NoTrans
	if trans {
		t = blas.Trans
	}
	switch av := any(a).(type) {
	case []float64:
		blas64.Gemv(t, 1, blas64.General{Rows: r, Cols: c, Stride: c, Data: av},
			blas64.Vector{N: len(x), Inc: 1, Data: any(x).([]float64)}, 0, blas64.Vector{N: len(y), Inc: 1, Data: any(y).([]float64)})
	case []float32:
		blas32.Gemv(t, 1, blas32.General{Rows: r, Cols: c, Stride: c, Data: av},
			blas32.Vector{N: len(x), Inc: 1, Data: any(x).([]float32)}, 0, blas32.Vector{N: len(y), Inc: 1, Data: any(y).([]float32)})
	}
}

// sumSquares is the sum of the squared values, in float64: for float64
// values the svm's dot, as before; for float32 ones a C loop (the L2 term
// of the loss was 5% of the single-precision MLP's time as a Go loop).
func sumSquares[T floating](v []T) float64 {
	switch f := any(v).(type) {
	case []float64:
		return dot(f, f)
	case []float32:
		return sumSquares32(f, haveAVX2FMA)
	}
	return 0
}

// sumSquares32 is the float32 sum of squares, with the AVX loop or the
// scalar one (same bits).
func sumSquares32(v []float32, avx bool) float64 {
	if len(v) == 0 {
		return 0
	}
	return float64(C.pypimal_sumsq32(cptr32(v), C.int(len(v)), cbool(avx)))
}

// matrixAs returns x's elements in T and the row stride: x's own storage
// for float64, a contiguous rounded copy for float32, which fails on a
// finite value float32 cannot hold (it would become infinite).
func matrixAs[T floating](x *mat.Dense) ([]T, int, error) {
	raw := x.RawMatrix()
	if d, ok := any(raw.Data).([]T); ok {
		return d, raw.Stride, nil
	}
	out := make([]T, raw.Rows*raw.Cols)
	for i := 0; i < raw.Rows; i++ {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			if math.Abs(v) > math.MaxFloat32 {
				return nil, 0, fmt.Errorf("%w in float32: %g at row %d, column %d", ErrNonFinite, v, i, j)
			}
			out[i*raw.Cols+j] = T(v)
		}
	}
	return out, raw.Cols, nil
}

// convert returns v in To: v itself when From is To.
func convert[To, From floating](v []From) []To {
	if d, ok := any(v).([]To); ok {
		return d
	}
	out := make([]To, len(v))
	for i, x := range v {
		out[i] = To(x)
	}
	return out
}
