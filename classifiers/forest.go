package classifiers

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"gonum.org/v1/gonum/mat"

	"pypimal/internal/folds"
	"pypimal/internal/pool"
)

// ForestParams configures a random forest. Zero fields take the
// scikit-learn RandomForestClassifier default noted on each field.
type ForestParams struct {
	NTrees          int         // 0: 100
	MaxFeatures     int         // features examined per split; 0: floor(sqrt(n_features)) ("sqrt")
	MaxDepth        int         // 0: unlimited
	MinSamplesSplit int         // 0: 2
	MinSamplesLeaf  int         // 0: 1
	NoBootstrap     bool        // false: each tree sees a bootstrap sample (the default)
	ClassWeight     ClassWeight // "" or "balanced" (weights from the full training labels)
	Workers         int         // trees fitted at once; 0: runtime.GOMAXPROCS(0). Does not change the result.
}

// DefaultForestParams returns scikit-learn's RandomForestClassifier defaults.
func DefaultForestParams() ForestParams {
	return ForestParams{NTrees: 100, MinSamplesSplit: 2, MinSamplesLeaf: 1}
}

// RandomForest averages the leaf probabilities of bootstrapped CART trees
// that each draw MaxFeatures candidate features at every split.
type RandomForest struct {
	Params    ForestParams
	Seed      int64
	NFeatures int
	Trees     [][]TreeNode
}

// NewRandomForest returns an unfitted forest.
func NewRandomForest(params ForestParams, seed int64) *RandomForest {
	return &RandomForest{Params: params, Seed: seed}
}

// Fit grows the trees on a bounded pool of workers. Tree i uses its own seed
// derived from the forest seed and i, so the result does not depend on the
// number of workers or their scheduling.
func (f *RandomForest) Fit(x *mat.Dense, y []int) error {
	n, p, err := checkFit(x, y)
	if err != nil {
		return fmt.Errorf("random forest: fit: %w", err)
	}
	cw, err := f.Params.ClassWeight.weights(y)
	if err != nil {
		return fmt.Errorf("random forest: fit: %w", err)
	}
	nTrees := f.Params.NTrees
	if nTrees <= 0 {
		nTrees = 100
	}
	tp := TreeParams{
		MaxDepth:        f.Params.MaxDepth,
		MinSamplesSplit: f.Params.MinSamplesSplit,
		MinSamplesLeaf:  f.Params.MinSamplesLeaf,
		MaxFeatures:     f.Params.MaxFeatures,
	}
	if tp.MaxFeatures <= 0 {
		tp.MaxFeatures = max(1, int(math.Sqrt(float64(p))))
	}
	tp = tp.resolved(p)
	workers := f.Params.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nTrees)

	ps := presort(x, workers)
	trees := make([][]TreeNode, nTrees)
	// Each worker reuses one tree builder and weight buffer; a tree's
	// bootstrap and splits come from its own seed, whichever worker builds it.
	type worker struct {
		b *treeBuilder
		w []float64
	}
	st := pool.State[worker]{New: func(int) (worker, error) {
		return worker{newTreeBuilder(ps, y, tp), make([]float64, n)}, nil
	}}
	if _, err := pool.RunWith(context.Background(), nTrees, workers, st, func(wk worker, t int) error {
		w := wk.w
		rng := newRNG(folds.ChildSeed(f.Seed, t))
		if f.Params.NoBootstrap {
			for i, v := range y {
				w[i] = cw[v]
			}
		} else {
			// scikit-learn turns the bootstrap draw into per-row
			// counts and multiplies them into the sample weights.
			clear(w)
			for range n {
				w[rng.IntN(n)]++
			}
			for i, v := range y {
				w[i] *= cw[v]
			}
		}
		trees[t] = wk.b.build(w, rng)
		return nil
	}); err != nil {
		return fmt.Errorf("random forest: fit: %w", err)
	}
	f.Trees = trees
	f.NFeatures = p
	return nil
}

// Predict returns the mean over trees of the leaf probability of class 1.
func (f *RandomForest) Predict(x *mat.Dense) ([]float64, error) {
	n, err := checkPredict(x, f.NFeatures)
	if err != nil {
		return nil, fmt.Errorf("random forest: predict: %w", err)
	}
	out := make([]float64, n)
	for i := range out {
		row := rowView(x, i)
		s := 0.0
		for _, t := range f.Trees {
			s += predictNodes(t, row)
		}
		out[i] = s / float64(len(f.Trees))
	}
	return out, nil
}

func init() {
	Register(Model{Name: "rf", Score: ScoreProbability, ClassWeights: true, New: func(opt Options, seed int64) Stored {
		prm := DefaultForestParams()
		prm.ClassWeight = opt.ClassWeight
		return NewRandomForest(prm, seed)
	}})
}

// Columns is the number of columns the fitted forest takes.
func (f *RandomForest) Columns() int { return f.NFeatures }

// Validate checks a restored forest: every tree reaches a leaf.
func (f *RandomForest) Validate() error {
	if len(f.Trees) == 0 {
		return fmt.Errorf("no trees")
	}
	for i, t := range f.Trees {
		if err := checkNodes(t, f.NFeatures); err != nil {
			return fmt.Errorf("tree %d: %w", i, err)
		}
	}
	return nil
}
