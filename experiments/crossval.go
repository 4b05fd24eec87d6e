package experiments

import (
	"context"
	"fmt"
	"math"

	"pypimal/classifiers"
	"pypimal/internal/pool"
)

// hasColumns reports whether d carries numeric columns; a nil or empty X
// (gonum cannot build a matrix with zero columns) means text only.
func hasColumns(d classifiers.Data) bool {
	return d.X != nil && !d.X.IsEmpty()
}

// NumRows returns the number of packages in d, checking that X and Tokens
// agree when both are present.
func NumRows(d classifiers.Data) (int, error) {
	if hasColumns(d) {
		r, _ := d.X.Dims()
		if d.Tokens != nil && len(d.Tokens) != r {
			return 0, fmt.Errorf("data: X has %d rows but Tokens has %d", r, len(d.Tokens))
		}
		return r, nil
	}
	if d.Tokens == nil {
		return 0, fmt.Errorf("data: neither numeric columns nor tokens")
	}
	return len(d.Tokens), nil
}

// Subset is classifiers.SubsetData with the rows checked: at least one,
// each in range.
func Subset(d classifiers.Data, rows []int) (classifiers.Data, error) {
	n, err := NumRows(d)
	if err != nil {
		return classifiers.Data{}, fmt.Errorf("subset: %w", err)
	}
	if len(rows) == 0 {
		return classifiers.Data{}, fmt.Errorf("subset: no rows selected")
	}
	for _, r := range rows {
		if r < 0 || r >= n {
			return classifiers.Data{}, fmt.Errorf("subset: row %d out of range [0,%d)", r, n)
		}
	}
	return classifiers.SubsetData(d, rows), nil
}

func subsetLabels(y []int, rows []int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}

// CVOptions tune CrossValidate.
type CVOptions struct {
	Seed    int64 // base seed; fold f of repeat r fits with FitSeed(Seed, r, f)
	Workers int   // folds fitted at once; <= 0 means runtime.GOMAXPROCS(0)
}

// FoldResult is the outcome of one fold.
type FoldResult struct {
	Repeat, Fold int
	Seed         int64 // seed passed to the PipelineFactory
	Metrics      Metrics
}

// CVResult holds per-fold metrics and out-of-fold scores.
type CVResult struct {
	Folds [][]FoldResult // [repeat][fold]
	// OOF[r][row] is row's score from the fold of repeat r that tested it;
	// NaN if no fold of that repeat tested it.
	OOF [][]float64
}

// Metrics lists every fold's metrics in (repeat, fold) order, ready for
// Summarize.
func (r CVResult) Metrics() []Metrics {
	var out []Metrics
	for _, rep := range r.Folds {
		for _, f := range rep {
			out = append(out, f.Metrics)
		}
	}
	return out
}

// checkCVFolds checks indices are in range, that train and test of a fold are
// disjoint and non-empty, and that the test sets of a repeat are disjoint (so
// each row has at most one out-of-fold score). Folds need not cover all rows.
func checkCVFolds(folds [][]Fold, n int) error {
	if len(folds) == 0 {
		return fmt.Errorf("no folds")
	}
	for r, rep := range folds {
		if len(rep) == 0 {
			return fmt.Errorf("repeat %d: no folds", r)
		}
		tested := make([]int, n)
		for f, fold := range rep {
			if len(fold.Train) == 0 || len(fold.Test) == 0 {
				return fmt.Errorf("repeat %d fold %d: %d train and %d test rows, need both non-empty", r, f, len(fold.Train), len(fold.Test))
			}
			inTrain := make([]bool, n)
			for _, row := range fold.Train {
				if row < 0 || row >= n {
					return fmt.Errorf("repeat %d fold %d: train row %d out of range [0,%d)", r, f, row, n)
				}
				inTrain[row] = true
			}
			for _, row := range fold.Test {
				if row < 0 || row >= n {
					return fmt.Errorf("repeat %d fold %d: test row %d out of range [0,%d)", r, f, row, n)
				}
				if inTrain[row] {
					return fmt.Errorf("repeat %d fold %d: row %d is in both train and test", r, f, row)
				}
				if tested[row] > 0 {
					return fmt.Errorf("repeat %d: row %d is in the test sets of folds %d and %d", r, row, tested[row]-1, f)
				}
				tested[row] = f + 1
			}
		}
	}
	return nil
}

// CrossValidate fits a fresh pipeline from factory on each fold's training
// rows and scores its test rows with Evaluate at threshold (ProbaThreshold
// for probabilities, DecisionThreshold for SVM decision values). folds is
// indexed [repeat][fold], as RepeatedStratifiedKFold returns.
//
// Folds run in parallel on opts.Workers goroutines; the result is identical
// for every worker count because each model's seed is FitSeed(opts.Seed,
// repeat, fold) and results are assembled in fold order. A failing (or
// panicking) fold makes CrossValidate return the error of the first failing
// fold in (repeat, fold) order, naming it. Cancelling ctx stops fitting new
// folds and returns ctx's error.
func CrossValidate(ctx context.Context, factory classifiers.PipelineFactory, d classifiers.Data, y []int, folds [][]Fold, threshold float64, opts CVOptions) (CVResult, error) {
	if factory == nil {
		return CVResult{}, fmt.Errorf("cross-validate: nil pipeline factory")
	}
	n, err := NumRows(d)
	if err != nil {
		return CVResult{}, fmt.Errorf("cross-validate: %w", err)
	}
	if len(y) != n {
		return CVResult{}, fmt.Errorf("cross-validate: %d labels for %d rows", len(y), n)
	}
	if err := checkCVFolds(folds, n); err != nil {
		return CVResult{}, fmt.Errorf("cross-validate: %w", err)
	}

	type job struct{ r, f int }
	var jobs []job
	res := CVResult{Folds: make([][]FoldResult, len(folds)), OOF: make([][]float64, len(folds))}
	for r, rep := range folds {
		res.Folds[r] = make([]FoldResult, len(rep))
		for f := range rep {
			jobs = append(jobs, job{r, f})
		}
	}
	scores := make([][]float64, len(jobs)) // each job writes only its own slot

	idx, err := pool.Run(ctx, len(jobs), opts.Workers, func(i int) error {
		r, f := jobs[i].r, jobs[i].f
		fold := folds[r][f]
		seed := FitSeed(opts.Seed, r, f)
		train, err := Subset(d, fold.Train)
		if err != nil {
			return fmt.Errorf("train rows: %w", err)
		}
		test, err := Subset(d, fold.Test)
		if err != nil {
			return fmt.Errorf("test rows: %w", err)
		}
		p := factory(seed)
		if p == nil {
			return fmt.Errorf("factory returned a nil pipeline")
		}
		if err := p.Fit(train, subsetLabels(y, fold.Train)); err != nil {
			return fmt.Errorf("fit: %w", err)
		}
		s, err := p.Predict(test)
		if err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		m, err := Evaluate(subsetLabels(y, fold.Test), s, threshold)
		if err != nil {
			return err
		}
		scores[i] = s
		res.Folds[r][f] = FoldResult{Repeat: r, Fold: f, Seed: seed, Metrics: m}
		return nil
	})
	if err != nil {
		if idx >= 0 {
			return CVResult{}, fmt.Errorf("cross-validate: repeat %d fold %d: %w", jobs[idx].r, jobs[idx].f, err)
		}
		return CVResult{}, fmt.Errorf("cross-validate: %w", err)
	}

	for r := range folds {
		res.OOF[r] = make([]float64, n)
		for i := range res.OOF[r] {
			res.OOF[r][i] = math.NaN()
		}
	}
	for i, j := range jobs {
		for t, row := range folds[j.r][j.f].Test {
			res.OOF[j.r][row] = scores[i][t]
		}
	}
	return res, nil
}
