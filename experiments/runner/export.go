package runner

import (
	"pypimal/classifiers"
	"pypimal/experiments"
	"pypimal/featuresets"
)

// Data builds the classifier input of a feature selection from table rows,
// exactly as a run does (for `pypimal train` and `scan`).
func Data(rows []featuresets.TableRow, sel featuresets.Selection) classifiers.Data {
	return data(rows, sel)
}

// Factory returns the pipeline factory of a model named as in a config
// (rf, dt, svm, mlp, nb, lr, stacking, intersection) with the config's
// class weight, text settings and member lists, and the score a row must
// strictly exceed to be called malicious.
func Factory(cfg *experiments.Config, model string) (classifiers.PipelineFactory, float64, error) {
	return (&grid{cfg: cfg}).factory(model)
}

// Folds returns the cross-validation folds of a run's training side (the
// config's k, repeats, grouping and seed).
func Folds(cfg *experiments.Config, train *Split) ([][]experiments.Fold, error) {
	return makeFolds(cfg, train)
}

// FitSeed is the seed of the model a run fits on all training rows.
func FitSeed(cfg *experiments.Config) int64 {
	return (&grid{cfg: cfg}).testSeed()
}
