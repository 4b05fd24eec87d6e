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

// dst (b×h) = x (b×p) · w (p×h), skipping the zeros of each row of x.
// idx and val hold at least p entries.
static void pypimal_spmm(double *dst, const double *x, const double *w, int b, int p, int h,
                         int *idx, double *val) {
	for (int r = 0; r < b; r++) {
		const double *xr = x + (size_t)r * p;
		int n = 0;
		for (int j = 0; j < p; j++) {
			if (xr[j] != 0) { idx[n] = j; val[n] = xr[j]; n++; }
		}
		pypimal_gather_axpy(dst + (size_t)r * h, w, (size_t)h, idx, val, n, h);
	}
}

// dst (p×h) = xᵀ · d for xt = xᵀ (p×b) and d (b×h), skipping the zeros of
// each row of xt. idx and val hold at least b entries.
static void pypimal_spmm_t(double *dst, const double *xt, const double *d, int b, int p, int h,
                           int *idx, double *val) {
	for (int j = 0; j < p; j++) {
		const double *xj = xt + (size_t)j * b;
		int n = 0;
		for (int r = 0; r < b; r++) {
			if (xj[r] != 0) { idx[n] = r; val[n] = xj[r]; n++; }
		}
		pypimal_gather_axpy(dst + (size_t)j * h, d, (size_t)h, idx, val, n, h);
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
PYPIMAL_CLONES
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

// rows sets dst (b×h) = x (b×p) · w (p×h), skipping the zeros of x.
func (s *sparseMul) rows(dst, x, w []float64, b, p, h int) {
	if b == 0 || h == 0 {
		return
	}
	if p == 0 {
		clear(dst[:b*h])
		return
	}
	_ = dst[b*h-1]
	_ = x[b*p-1]
	_ = w[p*h-1]
	s.scratch(p)
	C.pypimal_spmm((*C.double)(unsafe.Pointer(&dst[0])), (*C.double)(unsafe.Pointer(&x[0])),
		(*C.double)(unsafe.Pointer(&w[0])), C.int(b), C.int(p), C.int(h),
		&s.idx[0], (*C.double)(unsafe.Pointer(&s.val[0])))
}

// transposed sets dst (p×h) = xᵀ · d, given xt = xᵀ (p×b) and d (b×h),
// skipping the zeros of x.
func (s *sparseMul) transposed(dst, xt, d []float64, b, p, h int) {
	if p == 0 || h == 0 {
		return
	}
	if b == 0 {
		clear(dst[:p*h])
		return
	}
	_ = dst[p*h-1]
	_ = xt[p*b-1]
	_ = d[b*h-1]
	s.scratch(b)
	C.pypimal_spmm_t((*C.double)(unsafe.Pointer(&dst[0])), (*C.double)(unsafe.Pointer(&xt[0])),
		(*C.double)(unsafe.Pointer(&d[0])), C.int(b), C.int(p), C.int(h),
		&s.idx[0], (*C.double)(unsafe.Pointer(&s.val[0])))
}

// biasReLU sets hid (b×h) = max(hid + b1, 0), row by row.
func biasReLU(hid, b1 []float64, b, h int) {
	if b == 0 || h == 0 {
		return
	}
	_ = hid[b*h-1]
	_ = b1[h-1]
	C.pypimal_bias_relu((*C.double)(unsafe.Pointer(&hid[0])), (*C.double)(unsafe.Pointer(&b1[0])), C.int(b), C.int(h))
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
	C.pypimal_relu_back((*C.double)(unsafe.Pointer(&d[0])), (*C.double)(unsafe.Pointer(&gb1[0])),
		(*C.double)(unsafe.Pointer(&hid[0])), (*C.double)(unsafe.Pointer(&out[0])),
		(*C.double)(unsafe.Pointer(&w2[0])), C.int(b), C.int(h))
}
