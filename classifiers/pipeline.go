package classifiers

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// ModelPipeline is the standard Pipeline: a text vectoriser (when the data
// has tokens) whose TF-IDF columns are appended to the numeric columns, an
// optional StandardScaler over all columns, then a classifier. Everything is
// fitted on the rows passed to Fit only.
type ModelPipeline struct {
	Scale bool
	Text  VectoriserParams
	Seed  int64

	// Fitted state.
	NumericCols int             // columns of Data.X seen at Fit
	Vectoriser  *TextVectoriser `json:",omitempty"` // nil when fitted without tokens
	Scaler      *StandardScaler `json:",omitempty"` // nil when Scale is false
	Model       Classifier

	newModel Factory
	spec     string // the model, options and text settings (ModelSpec.Pipeline); "" when unknown
}

// NewPipeline returns an unfitted pipeline around the classifier that
// model(seed) builds.
func NewPipeline(model Factory, scale bool, text VectoriserParams, seed int64) *ModelPipeline {
	return &ModelPipeline{Scale: scale, Text: text, Seed: seed, newModel: model}
}

// dataRows returns the row count of d, checking X and Tokens agree.
func dataRows(d Data) (int, error) {
	hasX := d.X != nil && !d.X.IsEmpty()
	n := 0
	if hasX {
		n, _ = d.X.Dims()
	}
	if d.Tokens != nil {
		if hasX && len(d.Tokens) != n {
			return 0, fmt.Errorf("%w: %d token rows for %d numeric rows", ErrShape, len(d.Tokens), n)
		}
		n = len(d.Tokens)
		if d.Terms != nil && d.Terms.Len() != n {
			return 0, fmt.Errorf("%w: %d interned token rows for %d token rows", ErrShape, d.Terms.Len(), n)
		}
	} else if d.Terms != nil {
		return 0, fmt.Errorf("%w: interned tokens without token rows", ErrShape)
	}
	if n == 0 {
		return 0, ErrNoRows
	}
	return n, nil
}

func numericCols(d Data) int {
	if d.X == nil || d.X.IsEmpty() {
		return 0
	}
	_, c := d.X.Dims()
	return c
}

// design builds the model matrix [X | tf-idf] of d, with vec nil when
// there is no text.
func design(vec *TextVectoriser, d Data, n int) (*mat.Dense, error) {
	nc := numericCols(d)
	tw := 0
	if vec != nil {
		tw = vec.Width()
	}
	cols := nc + tw
	if cols == 0 {
		return nil, fmt.Errorf("%w: no feature columns (no numeric columns and an empty text vocabulary)", ErrShape)
	}
	if nc > 0 && tw == 0 {
		return d.X, nil
	}
	out := mat.NewDense(n, cols, nil)
	var index map[string]int
	var termCols []int32
	if tw > 0 {
		if termCols = vec.termsFor(d.Terms); termCols == nil {
			index = vec.lookup()
		}
	}
	for i := 0; i < n; i++ {
		row := rowView(out, i)
		if nc > 0 {
			copy(row[:nc], rowView(d.X, i))
		}
		if tw > 0 {
			if i > 0 && sameDoc(d.Tokens[i], d.Tokens[i-1]) {
				// The same token map as the row above (scan's
				// explanations repeat a package's tokens on every row).
				copy(row[nc:], rowView(out, i-1)[nc:])
			} else if termCols != nil {
				vec.transformTerms(termCols, d.Terms.rows[i], row[nc:])
			} else {
				if err := vec.transformRow(index, d.Tokens[i], row[nc:], i); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// Fit fits the vectoriser, the scaler and the classifier on d.
func (p *ModelPipeline) Fit(d Data, y []int) error {
	if p.newModel == nil {
		return fmt.Errorf("pipeline: fit: no model factory (build pipelines with NewPipeline)")
	}
	n, err := dataRows(d)
	if err != nil {
		return fmt.Errorf("pipeline: fit: %w", err)
	}
	if len(y) != n {
		return fmt.Errorf("pipeline: fit: %w: %d labels for %d rows", ErrShape, len(y), n)
	}
	p.Vectoriser, p.Scaler, p.Model = nil, nil, nil
	p.NumericCols = numericCols(d)
	pr, err := p.fitSteps(d, n, p.Scale)
	if err != nil {
		return fmt.Errorf("pipeline: fit: %w", err)
	}
	p.Vectoriser, p.Scaler = pr.vec, pr.scaler
	m := p.newModel(p.Seed)
	if err := m.Fit(pr.x, y); err != nil {
		return fmt.Errorf("pipeline: fit: %w", err)
	}
	p.Model = m
	return nil
}

// fitSteps fits the vectoriser (when d has tokens) and, with scale, the
// scaler on d, and returns them with d's model matrix. Pipelines with the
// same text parameters share the result on a Data with a cache, and the
// scaled matrix starts from the shared unscaled one.
func (p *ModelPipeline) fitSteps(d Data, n int, scale bool) (prepared, error) {
	return d.prep.get(prepKey{fit: true, text: p.Text, scale: scale}, func() (prepared, error) {
		if scale {
			pr, err := p.fitSteps(d, n, false)
			if err != nil {
				return prepared{}, err
			}
			s := &StandardScaler{}
			if err := s.Fit(pr.x); err != nil {
				return prepared{}, err
			}
			// TF-IDF columns are scaled but not centred, as scikit-learn's
			// StandardScaler(with_mean=False) on a sparse matrix: they stay
			// mostly zero (the MLP skips zeros) and the RBF kernel, logistic
			// regression and MLP lose nothing, centring being a shift.
			for j := numericCols(d); j < len(s.Mean); j++ {
				s.Mean[j] = 0
			}
			x, err := s.Transform(pr.x)
			if err != nil {
				return prepared{}, err
			}
			return prepared{vec: pr.vec, scaler: s, x: x}, nil
		}
		var pr prepared
		if d.Tokens != nil {
			v := NewTextVectoriser(p.Text)
			var err error
			if d.Terms != nil {
				err = v.fitTerms(d.Terms)
			} else {
				err = v.Fit(d.Tokens)
			}
			if err != nil {
				return prepared{}, err
			}
			pr.vec = v
		}
		x, err := design(pr.vec, d, n)
		if err != nil {
			return prepared{}, err
		}
		pr.x = x
		return pr, nil
	})
}

// applySteps is d's model matrix through the fitted vectoriser and scaler
// (either may be nil), shared on a Data with a cache by the pipelines that
// share those steps.
func applySteps(vec *TextVectoriser, scaler *StandardScaler, d Data, n int) (*mat.Dense, error) {
	pr, err := d.prep.get(prepKey{vec: vec, scaler: scaler}, func() (prepared, error) {
		var x *mat.Dense
		var err error
		if scaler != nil {
			x, err = applySteps(vec, nil, d, n)
			if err == nil {
				x, err = scaler.Transform(x)
			}
		} else {
			x, err = design(vec, d, n)
		}
		return prepared{x: x}, err
	})
	return pr.x, err
}

// Predict scores d with the fitted steps.
func (p *ModelPipeline) Predict(d Data) ([]float64, error) {
	if p.Model == nil {
		return nil, fmt.Errorf("pipeline: predict: %w", ErrNotFitted)
	}
	n, err := dataRows(d)
	if err != nil {
		return nil, fmt.Errorf("pipeline: predict: %w", err)
	}
	if nc := numericCols(d); nc != p.NumericCols {
		return nil, fmt.Errorf("pipeline: predict: %w: %d numeric columns, fitted on %d", ErrShape, nc, p.NumericCols)
	}
	if (p.Vectoriser != nil) != (d.Tokens != nil) {
		return nil, fmt.Errorf("pipeline: predict: %w: tokens present at fit %v, at predict %v", ErrShape, p.Vectoriser != nil, d.Tokens != nil)
	}
	x, err := applySteps(p.Vectoriser, p.Scaler, d, n)
	if err != nil {
		return nil, fmt.Errorf("pipeline: predict: %w", err)
	}
	out, err := p.Model.Predict(x)
	if err != nil {
		return nil, fmt.Errorf("pipeline: predict: %w", err)
	}
	return out, nil
}
