package classifiers

import (
	"fmt"
	"sync"
	"testing"
)

// TestSharedPreprocessing: pipelines fitted and scored on a Data with a
// preprocessing cache share one vectoriser, one scaler and their matrices
// (the stack's bases on an inner fold), and score exactly as pipelines that
// each preprocess on their own, with token maps and with interned tokens;
// concurrent use computes each step once.
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
	trTok, teTok := tokens(80, 0), tokens(40, 2)
	terms, err := InternTokens(append(append([]map[string]float64(nil), trTok...), teTok...))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"lr", "nb", "svm", "dt"}
	for _, interned := range []bool{false, true} {
		t.Run(fmt.Sprintf("interned=%v", interned), func(t *testing.T) {
			train := Data{X: xtr, Tokens: trTok}
			test := Data{X: xte, Tokens: teTok}
			if interned {
				train.Terms, test.Terms = terms.Subset(seq(0, 80)), terms.Subset(seq(80, 120))
			}
			// fit fits the four pipelines at once on tr and scores te.
			fit := func(tr, te Data) ([]*ModelPipeline, [][]float64) {
				ps := make([]*ModelPipeline, len(names))
				scores := make([][]float64, len(names))
				errs := make([]error, len(names))
				var wg sync.WaitGroup
				for i, name := range names {
					ps[i] = mustSpec(t, name).Pipeline(DefaultVectoriserParams())(1).(*ModelPipeline)
					wg.Add(1)
					go func() {
						defer wg.Done()
						if errs[i] = ps[i].Fit(tr, ytr); errs[i] == nil {
							scores[i], errs[i] = ps[i].Predict(te)
						}
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("%s: %v", names[i], err)
					}
				}
				return ps, scores
			}
			own, ownScores := fit(train, test)
			tr, te := withPrep(train), withPrep(test)
			shared, sharedScores := fit(tr, te)
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
			for i, name := range names {
				sameBits(t, "shared preprocessing vs own, scores of", name, sharedScores[i], ownScores[i])
			}
			// One entry per distinct step on each side: fitted unscaled and
			// scaled on the training rows, and those two applied to the
			// scored rows.
			if n, m := len(tr.prep.entries), len(te.prep.entries); n != 2 || m != 2 {
				t.Errorf("training rows preprocessed %d ways, scored rows %d; want 2 and 2", n, m)
			}
		})
	}
}

// TestStackSharesPreprocessing: a stack's bases, refitted on all rows,
// share one vectoriser (and the scaled ones one scaler), as its inner fits
// do on each fold.
func TestStackSharesPreprocessing(t *testing.T) {
	x, y := blobs(60, 2, 2, 21)
	tok := make([]map[string]float64, 60)
	for i := range tok {
		tok[i] = map[string]float64{"common": 1, fmt.Sprint("grp", i%4): float64(1 + y[i])}
	}
	names := []string{"lr", "nb", "svm"}
	bases := make([]PipelineFactory, len(names))
	for i, n := range names {
		bases[i] = mustSpec(t, n).Pipeline(DefaultVectoriserParams())
	}
	s := NewStacking(bases, 3)
	if err := s.Fit(Data{X: x, Tokens: tok}, y); err != nil {
		t.Fatal(err)
	}
	lr, nb, svm := s.Bases[0].(*ModelPipeline), s.Bases[1].(*ModelPipeline), s.Bases[2].(*ModelPipeline)
	if lr.Vectoriser == nil || lr.Vectoriser != nb.Vectoriser || lr.Vectoriser != svm.Vectoriser {
		t.Error("the stack's refitted bases fitted separate vectorisers")
	}
	if lr.Scaler == nil || lr.Scaler != svm.Scaler {
		t.Error("the stack's scaled bases fitted separate scalers")
	}
}
