package classifiers

import "testing"

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
