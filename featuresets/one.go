package featuresets

import (
	"errors"
	"fmt"
	"time"

	"pypimal/dataset"
)

// ExtractPackage is the per-package step of ExtractAll without the cache:
// load reads the package of row (from the data folder, an object store, a
// user's archive), then ex computes its features. Every failure, a panic
// included, is an *ExtractError carrying row's id, label and reason, never a
// crash: archives are hostile. Pipelines that distribute rows themselves call
// it so that they extract exactly as `pypimal extract` does.
func ExtractPackage(ex *Extractor, row dataset.Row, load func() (*dataset.Package, error)) (*Row, *ExtractError) {
	var tm Timing
	return extractPackage(ex, row, load, &tm)
}

func extractPackage(ex *Extractor, row dataset.Row, load func() (*dataset.Package, error), tm *Timing) (r *Row, ee *ExtractError) {
	defer func() {
		if v := recover(); v != nil {
			r, ee = nil, &ExtractError{ID: row.ID, Label: row.Label, Reason: "extract", Detail: fmt.Sprintf("panic: %v", v)}
		}
	}()
	start := time.Now()
	p, err := load()
	tm.Load += time.Since(start)
	if err != nil {
		return nil, loadError(row, err)
	}
	start = time.Now()
	parse := ex.ParseTime
	r, err = ex.Extract(p)
	tm.Extract += time.Since(start)
	tm.Parse += ex.ParseTime - parse
	if err != nil {
		reason := "extract"
		if errors.Is(err, ErrPackageBudget) {
			reason = ReasonBudget
		}
		return nil, &ExtractError{ID: row.ID, Label: row.Label, Reason: reason, Detail: err.Error()}
	}
	return r, nil
}

// loadError is the ExtractError of a package that could not be read: the
// dataset error's kind is the reason.
func loadError(row dataset.Row, err error) *ExtractError {
	if errors.Is(err, ErrRepack) {
		return &ExtractError{ID: row.ID, Label: row.Label, Reason: ErrRepack.Error(), Detail: err.Error()}
	}
	detail := err.Error()
	var de *dataset.Error
	if errors.As(err, &de) && de.Err != nil {
		detail = de.Err.Error()
	}
	return &ExtractError{ID: row.ID, Label: row.Label, Reason: dataset.Reason(err).Error(), Detail: detail}
}

// NewTableRow is the table row of a manifest row and its features, as
// ExtractAll puts it in the Table.
func NewTableRow(row dataset.Row, r *Row) TableRow { return newTableRow(row, r) }
