// Package experiments holds the evaluation protocol of pypimal: seeded
// stratified (and group-aware) k-fold splits, the metrics for the malicious
// class, a parallel cross-validation runner and permutation importance.
//
// Everything random is driven by DeriveSeed, so a result depends only on the
// base seed and on the indices that name a piece of work (repeat, fold,
// feature), never on the number of workers or the order work finishes in.
// Semantics follow scikit-learn 1.2 wherever it defines them; the points
// where this package has to choose are written on the function concerned.
package experiments
