package classifiers

import (
	"errors"
	"fmt"
	"math"
	"reflect"
)

// VectoriserParams configures the TF-IDF text vectoriser. Zero fields take
// the default noted on each field.
type VectoriserParams struct {
	MinDF       int // keep tokens found in at least this many training rows; 0: 2
	MaxFeatures int // keep at most this many tokens; 0: 500
	// RankByCount ranks tokens by their total count over the training rows,
	// as scikit-learn's max_features does. The default (false) ranks by
	// document frequency. Ties are broken by the token string either way.
	RankByCount bool
}

// DefaultVectoriserParams returns MinDF 2 and MaxFeatures 500.
func DefaultVectoriserParams() VectoriserParams {
	return VectoriserParams{MinDF: 2, MaxFeatures: 500}
}

// Validate checks params stated in full, as a config states them: MinDF
// and MaxFeatures must be at least 1 (the zero default is for Go callers).
func (p VectoriserParams) Validate() error {
	if p.MinDF < 1 || p.MaxFeatures < 1 {
		return errors.New("min_df and max_features must be ≥ 1")
	}
	return nil
}

// TextVectoriser turns per-row token counts into TF-IDF columns like
// scikit-learn's TfidfVectorizer(sublinear_tf=True, min_df=MinDF,
// max_features=MaxFeatures) applied to counts: tf = 1+ln(count), smooth
// idf = ln((1+n)/(1+df))+1, then each row scaled to unit L2 norm. Only the
// rows passed to Fit decide the vocabulary and the idf.
type TextVectoriser struct {
	Params     VectoriserParams
	Vocabulary []string  // column order: tokens sorted by string
	IDF        []float64 // idf of each vocabulary token

	index map[string]int
	terms *termCols // set when fitted on interned rows (Data.Terms)
}

// NewTextVectoriser returns an unfitted vectoriser.
func NewTextVectoriser(params VectoriserParams) *TextVectoriser {
	return &TextVectoriser{Params: params}
}

func finite(c float64) bool { return !math.IsNaN(c) && !math.IsInf(c, 0) }

func badCount(tok string, row int, c float64) error {
	return fmt.Errorf("%w: token %q in row %d has count %v", ErrNonFinite, tok, row, c)
}

// sameDoc reports whether a and b are the same map (not merely equal).
func sameDoc(a, b map[string]float64) bool {
	return a != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// Fit learns the vocabulary and idf from the training rows. A vocabulary
// may come out empty when no token reaches MinDF.
func (v *TextVectoriser) Fit(docs []map[string]float64) error {
	if len(docs) == 0 {
		return fmt.Errorf("text vectoriser: fit: %w", ErrNoRows)
	}
	terms, err := InternTokens(docs)
	if err != nil {
		return fmt.Errorf("text vectoriser: fit: %w", err)
	}
	if err := v.fitTerms(terms); err != nil {
		return err
	}
	v.terms = nil // the table was this call's own: no later rows carry it
	return nil
}

// limits resolves MinDF and MaxFeatures.
func (v *TextVectoriser) limits() (minDF, maxF int) {
	minDF, maxF = v.Params.MinDF, v.Params.MaxFeatures
	if minDF <= 0 {
		minDF = 2
	}
	if maxF <= 0 {
		maxF = 500
	}
	return minDF, maxF
}

func (v *TextVectoriser) buildIndex() map[string]int {
	idx := make(map[string]int, len(v.Vocabulary))
	for i, t := range v.Vocabulary {
		idx[t] = i
	}
	return idx
}

// lookup returns the token index. A vectoriser restored from JSON has none
// stored and gets a fresh one, so concurrent use never writes shared state.
func (v *TextVectoriser) lookup() map[string]int {
	if v.index != nil {
		return v.index
	}
	return v.buildIndex()
}

// Width is the number of columns Transform produces.
func (v *TextVectoriser) Width() int { return len(v.Vocabulary) }

// transformRow writes the TF-IDF vector of one row into dst (len Width()).
// Tokens outside the vocabulary are ignored; a count that is NaN or
// infinite is an error (row numbers it).
func (v *TextVectoriser) transformRow(index map[string]int, doc map[string]float64, dst []float64, row int) error {
	clear(dst)
	for tok, c := range doc {
		if !finite(c) {
			return badCount(tok, row, c)
		}
		j, ok := index[tok]
		if !ok || c <= 0 {
			continue
		}
		dst[j] = (1 + math.Log(c)) * v.IDF[j]
	}
	normalise(dst)
	return nil
}

// normalise scales a TF-IDF row to unit L2 norm. The squares are summed in
// column order, not map order, so the norm (and every score downstream) is
// bit-for-bit the same on every run.
func normalise(dst []float64) {
	ss := 0.0
	for _, val := range dst {
		ss += val * val
	}
	if ss > 0 {
		inv := 1 / math.Sqrt(ss)
		for j := range dst {
			dst[j] *= inv
		}
	}
}

// Transform returns the TF-IDF rows of docs, one slice per row.
func (v *TextVectoriser) Transform(docs []map[string]float64) ([][]float64, error) {
	if v.Vocabulary == nil {
		return nil, fmt.Errorf("text vectoriser: transform: %w", ErrNotFitted)
	}
	index := v.lookup()
	out := make([][]float64, len(docs))
	for i, d := range docs {
		out[i] = make([]float64, v.Width())
		if err := v.transformRow(index, d, out[i], i); err != nil {
			return nil, fmt.Errorf("text vectoriser: transform: %w", err)
		}
	}
	return out, nil
}
