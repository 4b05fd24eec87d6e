package classifiers

import (
	"context"
	"fmt"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"pypimal/internal/folds"
	"pypimal/internal/pool"
)

// SubsetData returns the rows idx of d, in that order (repeats allowed). X
// rows are copied; the token maps and interned rows are shared, not copied;
// pipelines only read them. A nil X stays nil, an empty one (no numeric
// columns) stays empty, and so does the result when no rows are selected
// (pipelines reject it with ErrNoRows). Indices must be in range.
func SubsetData(d Data, idx []int) Data {
	var out Data
	if d.X != nil && (d.X.IsEmpty() || len(idx) == 0) {
		out.X = &mat.Dense{}
	} else if d.X != nil {
		_, c := d.X.Dims()
		x := mat.NewDense(len(idx), c, nil)
		for i, r := range idx {
			copy(rowView(x, i), rowView(d.X, r))
		}
		out.X = x
	}
	if d.Tokens != nil {
		out.Tokens = make([]map[string]float64, len(idx))
		for i, r := range idx {
			out.Tokens[i] = d.Tokens[r]
		}
	}
	out.Terms = d.Terms.Subset(idx)
	out.digest = d.digest.subset(idx)
	return out
}

// complement returns the indices in [0,n) that are not in fold (sorted).
func complement(n int, fold []int) []int {
	in := make([]bool, n)
	for _, r := range fold {
		in[r] = true
	}
	out := make([]int, 0, n-len(fold))
	for i := 0; i < n; i++ {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}

// OutOfFold returns the n x len(bases) matrix of out-of-fold scores: for
// each fold, base j built with seeds[j] is fitted on the other folds and
// scores the fold's rows, so no row is scored by a model that saw it.
func OutOfFold(bases []PipelineFactory, seeds []int64, d Data, y []int, folds [][]int) (*mat.Dense, error) {
	n, err := dataRows(d)
	if err != nil {
		return nil, fmt.Errorf("out-of-fold: %w", err)
	}
	if len(y) != n {
		return nil, fmt.Errorf("out-of-fold: %w: %d labels for %d rows", ErrShape, len(y), n)
	}
	if len(bases) == 0 || len(seeds) != len(bases) {
		return nil, fmt.Errorf("out-of-fold: need one seed per base model, got %d bases and %d seeds", len(bases), len(seeds))
	}
	covered := make([]bool, n)
	for fi, f := range folds {
		if len(f) == 0 || len(f) == n {
			return nil, fmt.Errorf("out-of-fold: fold %d has %d of %d rows; every fold needs test and training rows", fi, len(f), n)
		}
		for _, r := range f {
			if r < 0 || r >= n || covered[r] {
				return nil, fmt.Errorf("out-of-fold: folds must partition the %d rows (row %d repeated or out of range)", n, r)
			}
			covered[r] = true
		}
	}
	for r, c := range covered {
		if !c {
			return nil, fmt.Errorf("out-of-fold: folds must partition the %d rows (row %d missing)", n, r)
		}
	}
	oof := mat.NewDense(n, len(bases), nil)
	if err := fillOutOfFold(oof, bases, seeds, d, y, folds, nil); err != nil {
		return nil, err
	}
	return oof, nil
}

// fillOutOfFold fits every (fold, base) pair, and every extra job after
// them, on a pool of GOMAXPROCS goroutines: a stack's 30 inner fits keep
// both cores busy even when it is the only work left. Each job writes its
// own cells of oof, so the result does not depend on the scheduling; the
// error returned is that of the first failing job (pool.Run).
func fillOutOfFold(oof *mat.Dense, bases []PipelineFactory, seeds []int64, d Data, y []int, folds [][]int, extra []func() error) error {
	type side struct {
		train, test Data
		trainY      []int
	}
	sides := make([]side, len(folds))
	for fi, test := range folds {
		train := complement(len(y), test)
		// The bases share each side's preprocessing (vectoriser, scaler,
		// matrices) instead of each building it again.
		sides[fi] = side{train: withPrep(SubsetData(d, train)), test: withPrep(SubsetData(d, test)), trainY: make([]int, len(train))}
		for i, r := range train {
			sides[fi].trainY[i] = y[r]
		}
	}
	// A fold's side (and its cached matrices) is dropped once its last
	// base is done; jobs start in fold order, so few are held at once.
	pending := make([]atomic.Int32, len(folds))
	for fi := range pending {
		pending[fi].Store(int32(len(bases)))
	}
	nOOF := len(folds) * len(bases)
	_, err := pool.Run(context.Background(), nOOF+len(extra), 0, func(i int) error {
		if i >= nOOF {
			return extra[i-nOOF]()
		}
		fi, j := i/len(bases), i%len(bases)
		sd := sides[fi]
		defer func() {
			if pending[fi].Add(-1) == 0 {
				sides[fi] = side{}
			}
		}()
		m := bases[j](seeds[j])
		if err := m.Fit(sd.train, sd.trainY); err != nil {
			return fmt.Errorf("out-of-fold: fold %d, base %d: %w", fi, j, err)
		}
		s, err := m.Predict(sd.test)
		if err != nil {
			return fmt.Errorf("out-of-fold: fold %d, base %d: %w", fi, j, err)
		}
		test := folds[fi]
		if len(s) != len(test) {
			return fmt.Errorf("out-of-fold: fold %d, base %d: %w: %d scores for %d rows", fi, j, ErrShape, len(s), len(test))
		}
		for k, r := range test {
			oof.Set(r, j, s[k])
		}
		return nil
	})
	return err
}

// Stacking is scikit-learn's StackingClassifier with its defaults (cv=5,
// stack_method="auto", passthrough=False) and the default LogisticRegression
// meta-learner: the base pipelines are refitted on all training rows, and the
// meta-learner is fitted on their out-of-fold scores (one column per base:
// P(malicious), or the SVM decision value) from StratifiedKFoldNoShuffle of
// the training rows. Predict returns the meta-learner's P(malicious); call a
// row malicious when it is strictly greater than 0.5.
type Stacking struct {
	Folds int   // inner folds; 0: 5
	Seed  int64 // every base model's seed (the unshuffled split takes none)
	Meta  LogRegParams

	// Prefitted optionally supplies bases fitted beforehand: the runner's
	// single-model cells fit exactly these bases on the same rows with the
	// same seed, so a grid need not fit them twice. Fit asks it for each
	// base by the fingerprint the base's refit would have, uses what it
	// returns only when the recorded fingerprint is that one (else fails
	// with ErrPrefitMismatch), and fits the others as usual. Fit clears it.
	Prefitted FitSource

	// Fitted state.
	Bases     []Pipeline
	MetaModel *LogisticRegression

	newBases []PipelineFactory
}

// NewStacking returns an unfitted stack over the given base pipelines.
func NewStacking(bases []PipelineFactory, seed int64) *Stacking {
	return &Stacking{Folds: 5, Seed: seed, Meta: DefaultLogRegParams(), newBases: bases}
}

// StackingFactory returns a PipelineFactory for stacks over bases.
func StackingFactory(bases []PipelineFactory) PipelineFactory {
	return func(seed int64) Pipeline { return NewStacking(bases, seed) }
}

// StackingByNames builds a stacking factory over registered models.
func StackingByNames(names []string, text VectoriserParams) (PipelineFactory, error) {
	bases := make([]PipelineFactory, len(names))
	for i, n := range names {
		f, err := PipelineByName(n, text)
		if err != nil {
			return nil, fmt.Errorf("stacking: %w", err)
		}
		bases[i] = f
	}
	return StackingFactory(bases), nil
}

func (s *Stacking) baseSeeds() []int64 {
	seeds := make([]int64, len(s.newBases))
	for i := range seeds {
		// Like scikit-learn's clones, a base keeps the same seed in every
		// fold and in the final refit; and all bases share the stack's
		// seed, as random_state=seed on every estimator would, so the
		// refitted base is the single model fitted with that seed.
		seeds[i] = s.Seed
	}
	return seeds
}

// MetaFeatures returns the out-of-fold score matrix Fit trains the
// meta-learner on. It is exported so the wiring can be inspected and tested.
func (s *Stacking) MetaFeatures(d Data, y []int) (*mat.Dense, error) {
	folds, err := s.innerFolds(y)
	if err != nil {
		return nil, err
	}
	oof, err := OutOfFold(s.newBases, s.baseSeeds(), d, y, folds)
	if err != nil {
		return nil, fmt.Errorf("stacking: %w", err)
	}
	return oof, nil
}

// innerFolds checks the stack can be fitted on labels y and returns its
// inner split.
func (s *Stacking) innerFolds(y []int) ([][]int, error) {
	if len(s.newBases) == 0 {
		return nil, fmt.Errorf("stacking: no base models")
	}
	k := s.Folds
	if k == 0 {
		k = 5
	}
	if len(y) > 0 {
		// A class with a single row would leave one inner training fold
		// without it; say so rather than fail inside a base model.
		var cnt [2]int
		for _, v := range y {
			if v == 0 || v == 1 {
				cnt[v]++
			}
		}
		if cnt[0] < 2 || cnt[1] < 2 {
			return nil, fmt.Errorf("stacking: the inner %d-fold split needs at least 2 rows of each class, got %d benign and %d malicious", k, cnt[0], cnt[1])
		}
	}
	split, err := folds.StratifiedKFoldNoShuffle(y, k)
	if err != nil {
		return nil, fmt.Errorf("stacking: %w", err)
	}
	return split, nil
}

// Fit fits the meta-learner on out-of-fold scores and refits every base on
// all rows of d.
func (s *Stacking) Fit(d Data, y []int) error {
	n, err := dataRows(d)
	if err != nil {
		return fmt.Errorf("stacking: fit: %w", err)
	}
	if len(y) != n {
		return fmt.Errorf("stacking: fit: %w: %d labels for %d rows", ErrShape, len(y), n)
	}
	if err := checkLabels(y); err != nil {
		return fmt.Errorf("stacking: fit: %w", err)
	}
	folds, err := s.innerFolds(y)
	if err != nil {
		return err
	}
	// The refits on all rows run in the same pool as the inner fits, and
	// share their preprocessing.
	d = withPrep(d)
	seeds := s.baseSeeds()
	bases := make([]Pipeline, len(s.newBases))
	var refits []func() error
	var data string // DataDigest of d and y, computed once when needed
	src := s.Prefitted
	s.Prefitted = nil // a fitted stack holds no other fits
	for j, nb := range s.newBases {
		if src != nil {
			if data == "" {
				data = DataDigest(d, y)
			}
			p, err := prefitted(src, nb(seeds[j]), data)
			if err != nil {
				return fmt.Errorf("stacking: fit base %d: %w", j, err)
			}
			if p != nil {
				bases[j] = p
				continue
			}
		}
		refits = append(refits, func() error {
			b := nb(seeds[j])
			if err := b.Fit(d, y); err != nil {
				return fmt.Errorf("stacking: fit base %d: %w", j, err)
			}
			bases[j] = b
			return nil
		})
	}
	oof := mat.NewDense(n, len(s.newBases), nil)
	if err := fillOutOfFold(oof, s.newBases, seeds, d, y, folds, refits); err != nil {
		return fmt.Errorf("stacking: %w", err)
	}
	meta := NewLogisticRegression(s.Meta)
	if err := meta.Fit(oof, y); err != nil {
		return fmt.Errorf("stacking: fit meta-learner: %w", err)
	}
	s.Bases, s.MetaModel = bases, meta
	return nil
}

// prefitted returns src's fit of the unfitted base on rows and labels with
// DataDigest data, nil when src has none or the base has no fingerprint.
func prefitted(src FitSource, base Pipeline, data string) (Pipeline, error) {
	want, ok := FitFingerprint(base, data)
	if !ok {
		return nil, nil
	}
	p, got, ok := src.Fitted(want)
	if !ok {
		return nil, nil
	}
	if got != want {
		return nil, fmt.Errorf("%w: it was fitted on %v, the stack needs %v", ErrPrefitMismatch, got, want)
	}
	return p, nil
}

// Predict returns the meta-learner's P(malicious) from the bases' scores.
func (s *Stacking) Predict(d Data) ([]float64, error) {
	if s.MetaModel == nil {
		return nil, fmt.Errorf("stacking: predict: %w", ErrNotFitted)
	}
	n, err := dataRows(d)
	if err != nil {
		return nil, fmt.Errorf("stacking: predict: %w", err)
	}
	z := mat.NewDense(n, len(s.Bases), nil)
	d = withPrep(d)
	for j, b := range s.Bases {
		sc, err := b.Predict(d)
		if err != nil {
			return nil, fmt.Errorf("stacking: predict: base %d: %w", j, err)
		}
		if len(sc) != n {
			return nil, fmt.Errorf("stacking: predict: base %d: %w: %d scores for %d rows", j, ErrShape, len(sc), n)
		}
		z.SetCol(j, sc)
	}
	out, err := s.MetaModel.Predict(z)
	if err != nil {
		return nil, fmt.Errorf("stacking: predict: %w", err)
	}
	return out, nil
}
