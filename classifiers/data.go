package classifiers

import "gonum.org/v1/gonum/mat"

// Data is a set of packages as a pipeline sees them before preprocessing:
// numeric feature columns and, when the feature set includes the text family,
// per-package token counts that a vectoriser fitted on the training rows turns
// into columns.
type Data struct {
	X      *mat.Dense           // rows = packages, columns = numeric features; may have 0 columns when only text is used
	Tokens []map[string]float64 // per-row token counts; nil when the feature set has no text family
	// Terms optionally carries Tokens interned (InternTokens), row for row:
	// a vectoriser fitted on it works by token id, much faster, with the
	// same results. Row selections must subset both (SubsetData does).
	Terms *TermRows

	// prep, when set, shares the preprocessing of these rows between the
	// pipelines fitted or scored on them (withPrep). It is set only on
	// Data the package builds and keeps: a copy with other rows or values
	// (a permuted column, say) must not carry it.
	prep *prepCache
	// digest, when set (Digested), remembers the digest of the values;
	// the same rule as prep holds.
	digest *digestMemo
}

// Pipeline is preprocessing fitted on the training rows (scaler, text
// vectoriser) followed by a classifier. Nothing about the rows passed to
// Predict may influence what Fit learned.
type Pipeline interface {
	Fit(d Data, y []int) error
	Predict(d Data) ([]float64, error)
}

// PipelineFactory builds a fresh, unfitted pipeline from a seed.
type PipelineFactory func(seed int64) Pipeline
