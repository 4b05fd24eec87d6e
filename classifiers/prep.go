package classifiers

import (
	"errors"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// prepCache shares the preprocessing of one set of rows between the
// pipelines fitted or scored on it. A stack's bases are all fitted on the
// same inner training folds and score the same held-out rows; without it
// each would fit the same text vectoriser and scaler and build the same
// matrices (six times per inner fold). Entries are computed once, by
// whichever pipeline asks first, and are never modified afterwards: the
// models only read their matrices.
type prepCache struct {
	mu      sync.Mutex
	entries map[prepKey]*prepEntry
}

// prepKey names one preprocessing of the rows: fitted (vectoriser
// parameters, with or without the scaler) or applying fitted steps.
type prepKey struct {
	fit    bool
	text   VectoriserParams
	scale  bool
	vec    *TextVectoriser
	scaler *StandardScaler
}

// prepared is the outcome of a preprocessing: the fitted steps (for a fit)
// and the model matrix.
type prepared struct {
	vec    *TextVectoriser
	scaler *StandardScaler
	x      *mat.Dense
}

type prepEntry struct {
	once sync.Once
	p    prepared
	err  error
}

// withPrep returns d with a fresh preprocessing cache, unless it has one.
func withPrep(d Data) Data {
	if d.prep == nil {
		d.prep = &prepCache{entries: map[prepKey]*prepEntry{}}
	}
	return d
}

// get returns the preprocessing of the rows that key names, computing it
// with compute on first use. Without a cache it just computes.
func (c *prepCache) get(key prepKey, compute func() (prepared, error)) (prepared, error) {
	if c == nil {
		return compute()
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &prepEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		// A panic in compute ends the Once too; the pipelines waiting on
		// it must then see an error, not an empty result.
		e.err = errPrepPanicked
		e.p, e.err = compute()
	})
	return e.p, e.err
}

var errPrepPanicked = errors.New("preprocessing failed in another pipeline (panic)")
