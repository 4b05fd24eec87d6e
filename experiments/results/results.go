// Package results holds the plain results of an experiment run: what the
// runner returns and reports renders. It computes nothing.
package results

import "pypimal/experiments"

// Results is everything one experiment run produced.
type Results struct {
	Name   string // experiment name, e.g. "paper"
	Config string // the resolved config as YAML, quoted in report.md
	Seed   int64

	Dataset DatasetSummary
	Sets    []string // feature set names, in config order (table rows)
	Models  []string // model names, in config order (table columns)
	Cells   []Cell   // one per (set, leaky, model) that was run

	// Importance is the permutation importance of ImportanceModel on
	// ImportanceSet (test split when there is one, else training rows).
	ImportanceModel string
	ImportanceSet   string
	ImportanceLeaky bool
	Importance      []experiments.Importance // columns, then groups (families), then text
	ImportanceF1    float64                  // baseline F1 of the unpermuted data

	// Curves are the test-split scores of selected cells, for
	// precision-recall curves.
	Curves []Curve

	// Rules compares stacking with the intersection rule on the test
	// split (empty when either was not run).
	Rules []RuleScore

	// FormShift, when measured, gives every test-fitted model's
	// false-positive rate per packaging form.
	FormShift *FormShift

	Errors []PackageError // packages that produced no features, and why

	// Baselines, when run (nil otherwise), are written by the baselines
	// code; reports only links to them.
	BaselinesReport string // relative path of the baselines Markdown, "" when none
}

// DatasetSummary counts rows used by the run.
type DatasetSummary struct {
	Digest           string // sha256 over the manifest rows used (id + archive sha256)
	TrainMalicious   int
	TrainBenign      int
	TestMalicious    int
	TestBenign       int
	Failed           int // packages without features (see Errors)
	SplitDescription string
}

// Cell is one (feature set, leaky, model) result.
type Cell struct {
	Set   string
	Leaky bool // leaky features included
	Model string
	CV    experiments.Summary
	// Test is the model fitted on all training rows, scored on the test
	// split; nil when the experiment has no test split.
	Test *experiments.Metrics
}

// Curve is one model's test scores, for a precision-recall curve.
type Curve struct {
	Label  string // legend text, e.g. "stacking (all)"
	Y      []int  // 1 = malicious
	Scores []float64
}

// RuleScore is one detector's confusion on the test split.
type RuleScore struct {
	Name    string // "stacking", "intersection(rf,svm,mlp)"
	Metrics experiments.Metrics
}

// PackageError is a package that produced no feature row.
type PackageError struct {
	ID, Label, Reason, Detail string
}

// FormShift measures how much the packaging form moves the models' false
// positives: benign packages as installed trees (the test rows), the same
// packages re-packed as sdists and as wheels, and real files as published
// on PyPI.
type FormShift struct {
	Set     string   // the feature set report.md shows (all cells are in the CSV)
	Forms   []string // column names, the installed form first
	Counts  []int    // benign packages of each form
	Cells   []FormShiftCell
	Install []InstallShift
}

// FormShiftCell is one test-fitted model's false positives on each form,
// at its own threshold.
type FormShiftCell struct {
	Set       string
	Leaky     bool
	Model     string
	Threshold float64
	FP        []int     // per form
	FPR       []float64 // per form
}

// InstallShift counts, per form, the benign packages with a non-zero value
// of one install-family feature.
type InstallShift struct {
	Feature string
	NonZero []int
}
