package classifiers

/*
#cgo CFLAGS: -O3 -std=c11
#include <stddef.h>
#include <string.h>

// The MLP's batch products in C: GCC vectorises the inner loops (AVX2 where
// the CPU has it, chosen at load time on x86-64) and keeps a 16-wide block
// of the output row in registers across all non-zeros of an input row,
// where Go streamed the whole output row through memory once per non-zero.
// Each output element is still the same sum, taken in the same order and
// skipping the same zero multipliers as gonum's serial dgemm, with a
// separate multiply and add (ISO C mode contracts nothing, and neither
// clone targets FMA): the bits are those of gonum's product and of the Go
// loops in sparsemul_test.go. Zeros cost nothing, so a batch with TF-IDF
// columns (scaled, not centred) costs its non-zeros, not its width.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PYPIMAL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PYPIMAL_CLONES
#endif

#define BLOCK 16

// dst[0:h] = sum over n of val[i] * rows[idx[i]*stride : +h], in order of i.
PYPIMAL_CLONES
static void pypimal_gather_axpy(double *dst, const double *rows, size_t stride,
                                const int *idx, const double *val, int n, int h) {
	int c = 0;
	for (; c + BLOCK <= h; c += BLOCK) {
		double acc[BLOCK] = {0};
		for (int i = 0; i < n; i++) {
			const double *w = rows + (size_t)idx[i] * stride + c;
			double v = val[i];
			for (int k = 0; k < BLOCK; k++) acc[k] += v * w[k];
		}
		memcpy(dst + c, acc, sizeof acc);
	}
	if (c < h) {
		double acc[BLOCK] = {0};
		int rem = h - c;
		for (int i = 0; i < n; i++) {
			const double *w = rows + (size_t)idx[i] * stride + c;
			double v = val[i];
			for (int k = 0; k < rem; k++) acc[k] += v * w[k];
		}
		memcpy(dst + c, acc, (size_t)rem * sizeof(double));
	}
}

// dst (m×n) = a (m×k) · b (k×n), skipping the zeros of each row of a.
// idx and val hold at least k entries.
static void pypimal_spmm(double *dst, const double *a, const double *b, int m, int k, int n,
                         int *idx, double *val) {
	for (int r = 0; r < m; r++) {
		const double *ar = a + (size_t)r * k;
		int nz = 0;
		for (int j = 0; j < k; j++) {
			if (ar[j] != 0) { idx[nz] = j; val[nz] = ar[j]; nz++; }
		}
		pypimal_gather_axpy(dst + (size_t)r * n, b, (size_t)n, idx, val, nz, n);
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
*/
import "C"

import "unsafe"

// sparseMul holds the scratch index lists of the C kernels.
type sparseMul struct {
	idx []C.int
	val []float64
}

func (s *sparseMul) scratch(n int) {
	if cap(s.idx) < n {
		s.idx = make([]C.int, n)
		s.val = make([]float64, n)
	}
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
	s.scratch(k)
	C.pypimal_spmm(cptr(dst), cptr(a), cptr(b), C.int(m), C.int(k), C.int(n),
		&s.idx[0], cptr(s.val))
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
