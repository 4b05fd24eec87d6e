package classifiers

import (
	"runtime"
	"slices"
	"testing"
)

// allFactories returns every registered pipeline plus a stack and an
// intersection, by name.
func allFactories(t *testing.T) map[string]PipelineFactory {
	t.Helper()
	out := map[string]PipelineFactory{}
	for _, name := range ModelNames() {
		out[name] = mustSpec(t, name).Pipeline(VectoriserParams{})
	}
	st, err := StackingByNames([]string{"dt", "nb", "rf"}, VectoriserParams{})
	if err != nil {
		t.Fatal(err)
	}
	out["stack"] = st
	in, err := IntersectionByNames([]string{"rf", "svm", "lr"}, VectoriserParams{})
	if err != nil {
		t.Fatal(err)
	}
	out["intersection"] = in
	return out
}

// TestSameSeedSameScores: two fits with the same seed give bit-identical
// scores for every model; for the randomised ones a different seed does not.
func TestSameSeedSameScores(t *testing.T) {
	x, y := synthetic(150, 8, 21)
	xte, _ := synthetic(60, 8, 22)
	randomised := map[string]bool{"rf": true, "mlp": true, "stack": true}
	for name, f := range allFactories(t) {
		t.Run(name, func(t *testing.T) {
			a := fitPredict(t, f, x, y, xte, 5)
			b := fitPredict(t, f, x, y, xte, 5)
			if !slices.Equal(a, b) {
				t.Errorf("same seed, different scores")
			}
			if randomised[name] {
				if c := fitPredict(t, f, x, y, xte, 6); slices.Equal(a, c) {
					t.Errorf("seeds 5 and 6 give identical scores; the seed is not used")
				}
			}
		})
	}
}

// TestForestIndependentOfWorkers: the trees, and so the scores, do not
// depend on the worker count or on GOMAXPROCS.
func TestForestIndependentOfWorkers(t *testing.T) {
	x, y := synthetic(300, 12, 8)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref []float64
	var refTrees [][]TreeNode
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{0, 1, 3, 8, 200} {
			prm := DefaultForestParams()
			prm.NTrees = 40
			prm.Workers = workers
			f := NewRandomForest(prm, 77)
			if err := f.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			s, err := f.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refTrees = s, f.Trees
				continue
			}
			if !slices.Equal(s, ref) {
				t.Fatalf("GOMAXPROCS %d, %d workers: scores differ from the first fit", procs, workers)
			}
			for i := range f.Trees {
				if !slices.Equal(f.Trees[i], refTrees[i]) {
					t.Fatalf("GOMAXPROCS %d, %d workers: tree %d differs", procs, workers, i)
				}
			}
		}
	}
}

// TestParallelModelsIndependentOfProcs: the tree presort and the SVM kernel
// run on GOMAXPROCS goroutines; the result must not depend on it.
func TestParallelModelsIndependentOfProcs(t *testing.T) {
	x, y := synthetic(250, 8, 12)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range []string{"dt", "svm", "mlp"} {
		f := mustSpec(t, name).Pipeline(VectoriserParams{})
		var ref []float64
		for _, procs := range []int{1, 3} {
			runtime.GOMAXPROCS(procs)
			s := fitPredict(t, f, x, y, x, 1)
			if ref == nil {
				ref = s
			} else if !slices.Equal(s, ref) {
				t.Errorf("%s: scores with GOMAXPROCS %d differ from GOMAXPROCS 1", name, procs)
			}
		}
	}
}
