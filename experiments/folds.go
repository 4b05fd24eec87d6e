package experiments

import (
	"io"

	"pypimal/internal/folds"
)

// The splits and seeds live in internal/folds, a leaf package, so that the
// classifiers below this package share them (the stacking ensemble's inner
// split, the forest's per-tree seeds). These are the protocol's names for
// the ones its callers use; internal/folds documents them.

// Fold is one train/test split: row indices into the data, ascending.
type Fold = folds.Fold

// RepeatedStratifiedKFold is folds.RepeatedStratifiedKFold.
func RepeatedStratifiedKFold(y []int, k, repeats int, seed int64) ([][]Fold, error) {
	return folds.RepeatedStratifiedKFold(y, k, repeats, seed)
}

// RepeatedStratifiedGroupKFold is folds.RepeatedStratifiedGroupKFold.
func RepeatedStratifiedGroupKFold(y []int, groups []string, k, repeats int, seed int64) ([][]Fold, error) {
	return folds.RepeatedStratifiedGroupKFold(y, groups, k, repeats, seed)
}

// WriteFoldsCSV is folds.WriteFoldsCSV.
func WriteFoldsCSV(w io.Writer, f [][]Fold, n int, ids []string) error {
	return folds.WriteFoldsCSV(w, f, n, ids)
}

// DeriveSeed is folds.DeriveSeed: the seed of the piece of work named by
// path under base.
func DeriveSeed(base int64, path ...int64) int64 { return folds.DeriveSeed(base, path...) }

// FitSeed is folds.FitSeed: the seed handed to the PipelineFactory for fold
// `fold` of repeat `repeat`.
func FitSeed(base int64, repeat, fold int) int64 { return folds.FitSeed(base, repeat, fold) }
