package classifiers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// termDocs returns n token maps drawn from a vocabulary of v tokens with
// skewed frequencies (many document-frequency and count ties), some zero
// and negative counts, and repeated maps.
func termDocs(n, v int, seed uint64) []map[string]float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	docs := make([]map[string]float64, n)
	for i := range docs {
		if i > 0 && rng.IntN(10) == 0 {
			docs[i] = docs[i-1] // shared, as scan passes them
			continue
		}
		m := map[string]float64{}
		for k := rng.IntN(30); k > 0; k-- {
			t := fmt.Sprintf("tok%03d", int(float64(v)*math.Pow(rng.Float64(), 2)))
			switch rng.IntN(20) {
			case 0:
				m[t] = 0
			case 1:
				m[t] = -1
			default:
				m[t] += float64(1 + rng.IntN(4))
			}
		}
		docs[i] = m
	}
	return docs
}

// TestTermsMatchMaps: the interned path gives the map path's vocabulary,
// idf, TF-IDF rows and pipeline scores bit for bit, through fold subsets,
// for both rankings and several vocabulary limits.
func TestTermsMatchMaps(t *testing.T) {
	docs := termDocs(300, 120, 1)
	terms, err := InternTokens(docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, prm := range []VectoriserParams{
		{MinDF: 2, MaxFeatures: 40}, {MinDF: 1, MaxFeatures: 500}, {MinDF: 5, MaxFeatures: 7, RankByCount: true},
		{MinDF: 2, MaxFeatures: 40, RankByCount: true}, {MinDF: 1000, MaxFeatures: 10},
	} {
		byMap, byID := NewTextVectoriser(prm), NewTextVectoriser(prm)
		train := make([]int, 0, 200)
		for i := range 300 {
			if i%3 != 0 {
				train = append(train, i)
			}
		}
		d := SubsetData(Data{Tokens: docs, Terms: terms}, train)
		if err := byMap.Fit(d.Tokens); err != nil {
			t.Fatal(err)
		}
		if err := byID.fitTerms(d.Terms); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(byMap.Vocabulary, byID.Vocabulary) {
			t.Fatalf("%+v: vocabulary %v by id, %v by map", prm, byID.Vocabulary, byMap.Vocabulary)
		}
		sameBits(t, "idf", prm, byID.IDF, byMap.IDF)
		cols := byID.termsFor(terms)
		if cols == nil {
			t.Fatalf("%+v: the vectoriser does not know its own table", prm)
		}
		for i := range docs {
			want, got := make([]float64, byMap.Width()), make([]float64, byID.Width())
			if err := byMap.transformRow(byMap.lookup(), docs[i], want, i); err != nil {
				t.Fatal(err)
			}
			byID.transformTerms(cols, terms.rows[i], got)
			sameBits(t, fmt.Sprintf("row %d", i), prm, got, want)
		}
	}

	// Whole pipelines, stacking included: scores with and without Terms.
	x, y := persistData(300, 3)
	for _, name := range []string{"lr", "nb", "rf", "svm"} {
		spec, _ := ByName(name)
		for _, f := range []PipelineFactory{spec.Pipeline(VectoriserParams{MinDF: 2, MaxFeatures: 30}),
			StackingFactory([]PipelineFactory{spec.Pipeline(VectoriserParams{MinDF: 2, MaxFeatures: 30})})} {
			withTerms := Data{X: x.X, Tokens: docs, Terms: terms}
			without := Data{X: x.X, Tokens: docs}
			tr, te := SubsetData(withTerms, seq(0, 200)), SubsetData(withTerms, seq(200, 300))
			a, b := f(4), f(4)
			if err := a.Fit(tr, y[:200]); err != nil {
				t.Fatal(err)
			}
			if err := b.Fit(SubsetData(without, seq(0, 200)), y[:200]); err != nil {
				t.Fatal(err)
			}
			got, err := a.Predict(te)
			if err != nil {
				t.Fatal(err)
			}
			want, err := b.Predict(SubsetData(without, seq(200, 300)))
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, name+" scores", nil, got, want)
			// Interned rows of another table fall back to the map path.
			other, _ := InternTokens(te.Tokens)
			got2, err := a.Predict(Data{X: te.X, Tokens: te.Tokens, Terms: other})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, name+" scores, other table", nil, got2, want)
		}
	}
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestInternTokensErrors(t *testing.T) {
	if _, err := InternTokens([]map[string]float64{{"a": 1}, {"b": math.Inf(1)}}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("infinite count: got %v, want ErrNonFinite", err)
	}
	terms, err := InternTokens([]map[string]float64{{"a": 1}, {"a": 2}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPipeline(func(int64) Classifier { return NewGaussianNB(NBParams{}) }, false, VectoriserParams{}, 0)
	d := Data{Tokens: []map[string]float64{{"a": 1}}, Terms: terms}
	if err := p.Fit(d, []int{0}); !errors.Is(err, ErrShape) {
		t.Errorf("1 token row with 2 interned rows: got %v, want ErrShape", err)
	}
	if err := p.Fit(Data{Terms: terms}, []int{0, 1}); !errors.Is(err, ErrShape) {
		t.Errorf("interned rows without token rows: got %v, want ErrShape", err)
	}
}
