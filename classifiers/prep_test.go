package classifiers

import (
	"fmt"
	"math"
	"sync"
	"testing"
)

// TestSharedPreprocessing: pipelines fitted and scored on a Data with a
// preprocessing cache share one vectoriser, one scaler and their matrices
// (the stack's bases on an inner fold), and score exactly as pipelines that
// each preprocess on their own; concurrent use computes each step once.
func TestSharedPreprocessing(t *testing.T) {
	xtr, ytr := blobs(80, 3, 2, 11)
	xte, _ := blobs(40, 3, 2, 12)
	tokens := func(n, seed int) []map[string]float64 {
		tok := make([]map[string]float64, n)
		for i := range tok {
			tok[i] = map[string]float64{"common": 1, fmt.Sprint("grp", (i+seed)%5): float64(1 + i%3)}
		}
		return tok
	}
	train := Data{X: xtr, Tokens: tokens(80, 0)}
	test := Data{X: xte, Tokens: tokens(40, 2)}
	names := []string{"lr", "nb", "svm", "dt"}
	fit := func(shared bool) []*ModelPipeline {
		tr, te := train, test
		if shared {
			tr, te = withPrep(train), withPrep(test)
		}
		ps := make([]*ModelPipeline, len(names))
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, name := range names {
			ps[i] = mustSpec(t, name).Pipeline(DefaultVectoriserParams())(1).(*ModelPipeline)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = ps[i].Fit(tr, ytr)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
		}
		for i, p := range ps {
			if _, err := p.Predict(te); err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
		}
		return ps
	}
	own, shared := fit(false), fit(true)
	lr, nb, svm, dt := shared[0], shared[1], shared[2], shared[3]
	if lr.Vectoriser != nb.Vectoriser || lr.Vectoriser != svm.Vectoriser || lr.Vectoriser != dt.Vectoriser {
		t.Error("pipelines on a shared Data fitted separate vectorisers")
	}
	if lr.Scaler == nil || lr.Scaler != svm.Scaler {
		t.Error("scaled pipelines on a shared Data fitted separate scalers")
	}
	if nb.Scaler != nil || dt.Scaler != nil {
		t.Error("an unscaled pipeline got a scaler")
	}
	if own[0].Vectoriser == own[1].Vectoriser {
		t.Error("pipelines without a cache share a vectoriser")
	}
	for i := range names {
		a, err := own[i].Predict(test)
		if err != nil {
			t.Fatal(err)
		}
		b, err := shared[i].Predict(withPrep(test))
		if err != nil {
			t.Fatal(err)
		}
		for r := range a {
			if math.Float64bits(a[r]) != math.Float64bits(b[r]) {
				t.Fatalf("%s row %d: shared preprocessing scores %v, own %v", names[i], r, b[r], a[r])
			}
		}
	}
	// One entry per distinct step: fit unscaled, fit scaled, and applying
	// the shared (vectoriser) and (vectoriser, scaler) to the test rows.
	c := withPrep(test)
	for _, p := range shared {
		if _, err := p.Predict(c); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.prep.entries) != 2 {
		t.Errorf("test rows preprocessed %d ways, want 2 (unscaled, scaled)", len(c.prep.entries))
	}
}
