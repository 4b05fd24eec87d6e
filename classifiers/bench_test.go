package classifiers

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func benchFit(b *testing.B, newModel func() Classifier, p int) {
	x, y := synthetic(3600, p, 42)
	s := &StandardScaler{}
	if err := s.Fit(x); err != nil {
		b.Fatal(err)
	}
	xs, err := s.Transform(x)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := newModel().Fit(xs, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForestFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewRandomForest(DefaultForestParams(), 1) }, 200)
}

func BenchmarkTreeFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewDecisionTree(DefaultTreeParams(), 1) }, 200)
}

func BenchmarkSVMFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewSVM(DefaultSVMParams()) }, 200)
}

func BenchmarkMLPFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewMLP(DefaultMLPParams(), 1) }, 200)
}

func BenchmarkLogRegFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewLogisticRegression(DefaultLogRegParams()) }, 200)
}

func BenchmarkNBFit(b *testing.B) {
	benchFit(b, func() Classifier { return NewGaussianNB(DefaultNBParams()) }, 200)
}

// BenchmarkDataDigest: the digest a grid computes for each shared fit, on
// rows shaped like the paper's training side on the `all` set (121
// columns, a few hundred tokens per package).
func BenchmarkDataDigest(b *testing.B) {
	const n, p, toks = 3500, 121, 300
	x := mat.NewDense(n, p, nil)
	docs := make([]map[string]float64, n)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			x.Set(i, j, float64((i*31+j*7)%97))
		}
		m := make(map[string]float64, toks)
		for k := 0; k < toks; k++ {
			m[fmt.Sprintf("tok%d", (i*13+k*101)%20000)] = float64(1 + k%3)
		}
		docs[i] = m
		y[i] = i % 2
	}
	terms, err := InternTokens(docs)
	if err != nil {
		b.Fatal(err)
	}
	d := Data{X: x, Tokens: docs, Terms: terms}
	b.ResetTimer()
	for range b.N {
		DataDigest(d, y)
	}
}
