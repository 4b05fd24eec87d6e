package classifiers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestVectoriserKnownValues checks df ranking, min_df, the top-K cut with
// its tie-break, smooth idf, sublinear tf and the L2 norm by hand.
func TestVectoriserKnownValues(t *testing.T) {
	docs := []map[string]float64{
		{"exec": 3, "b64": 1, "rare": 1},
		{"exec": 1, "net": 2},
		{"b64": 1, "net": 1, "zzz": 5},
		{"exec": 1, "zzz": 1, "gone": 0},
	}
	cases := []struct {
		name   string
		params VectoriserParams
		want   []string
	}{
		{"min_df 2 keeps df >= 2, columns sorted", VectoriserParams{MinDF: 2}, []string{"b64", "exec", "net", "zzz"}},
		{"min_df 3", VectoriserParams{MinDF: 3}, []string{"exec"}},
		{"top 2 by df, ties by token", VectoriserParams{MinDF: 1, MaxFeatures: 2}, []string{"b64", "exec"}},
		{"top 2 by total count", VectoriserParams{MinDF: 1, MaxFeatures: 2, RankByCount: true}, []string{"exec", "zzz"}},
		{"zero counts are absent", VectoriserParams{MinDF: 1}, []string{"b64", "exec", "net", "rare", "zzz"}},
	}
	for _, c := range cases {
		v := NewTextVectoriser(c.params)
		if err := v.Fit(docs); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Vocabulary, c.want) {
			t.Errorf("%s: vocabulary %v, want %v", c.name, v.Vocabulary, c.want)
		}
	}
	v := NewTextVectoriser(VectoriserParams{MinDF: 2})
	if err := v.Fit(docs); err != nil {
		t.Fatal(err)
	}
	rows, err := v.Transform(docs[:1])
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: b64 (df 2) count 1, exec (df 3) count 3; "rare" is not a column.
	idf := func(df float64) float64 { return math.Log(5/(1+df)) + 1 }
	b, e := idf(2), (1+math.Log(3))*idf(3)
	norm := math.Hypot(b, e)
	want := []float64{b / norm, e / norm, 0, 0}
	for j := range want {
		if math.Abs(rows[0][j]-want[j]) > 1e-15 {
			t.Errorf("tf-idf row %v, want %v", rows[0], want)
			break
		}
	}
}

// TestVectoriserTrainingRowsOnly: the vocabulary and idf come from the rows
// passed to Fit; tokens first seen when scoring are ignored, and scoring
// changes nothing the pipeline learned.
func TestVectoriserTrainingRowsOnly(t *testing.T) {
	xtr, ytr := blobs(60, 2, 2, 5)
	xte, _ := blobs(30, 2, 2, 6)
	tokTr := make([]map[string]float64, 60)
	for i := range tokTr {
		tokTr[i] = map[string]float64{"common": 1, fmt.Sprint("grp", i%4): float64(1 + ytr[i])}
	}
	tokTe := make([]map[string]float64, 30)
	tokTeKnown := make([]map[string]float64, 30)
	for i := range tokTe {
		tokTeKnown[i] = map[string]float64{"common": 2, fmt.Sprint("grp", i%5): 1} // grp4 is unknown
		tokTe[i] = map[string]float64{"test-only": 9, fmt.Sprint("new", i): 3}
		for k, v := range tokTeKnown[i] {
			tokTe[i][k] = v
		}
	}
	for _, name := range []string{"lr", "rf", "nb"} {
		t.Run(name, func(t *testing.T) {
			f := mustSpec(t, name).Pipeline(DefaultVectoriserParams())
			p := f(3).(*ModelPipeline)
			if err := p.Fit(Data{X: xtr, Tokens: tokTr}, ytr); err != nil {
				t.Fatal(err)
			}
			if want := []string{"common", "grp0", "grp1", "grp2", "grp3"}; !slices.Equal(p.Vectoriser.Vocabulary, want) {
				t.Fatalf("vocabulary %v, want %v", p.Vectoriser.Vocabulary, want)
			}
			before, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			withUnknown, err := p.Predict(Data{X: xte, Tokens: tokTe})
			if err != nil {
				t.Fatal(err)
			}
			known, err := p.Predict(Data{X: xte, Tokens: tokTeKnown})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(withUnknown, known) {
				t.Errorf("tokens unseen at fit changed the scores")
			}
			after, _ := json.Marshal(p)
			if !bytes.Equal(before, after) {
				t.Errorf("Predict changed the fitted pipeline")
			}
			// Refitting on the training rows plus the test rows would change
			// the idf; the fitted one must equal a fit on the training rows.
			v := NewTextVectoriser(DefaultVectoriserParams())
			if err := v.Fit(tokTr); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.IDF, p.Vectoriser.IDF) {
				t.Errorf("pipeline idf %v, training-rows-only idf %v", p.Vectoriser.IDF, v.IDF)
			}
		})
	}
	// A row made only of unknown tokens becomes an all-zero text vector.
	v := NewTextVectoriser(VectoriserParams{MinDF: 1})
	if err := v.Fit(tokTr); err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Transform([]map[string]float64{{"never": 4}})
	for _, x := range rows[0] {
		if x != 0 {
			t.Fatalf("unknown-only row %v, want zeros", rows[0])
		}
	}
}

// TestScalerFittedOnTrainingRows: the pipeline's scaler holds the training
// rows' statistics, in the scikit-learn sense (population std, constant
// columns scale 1), and the model sees standardised columns.
func TestScalerFittedOnTrainingRows(t *testing.T) {
	x := mat.NewDense(4, 3, []float64{
		1, 10, 5,
		2, 20, 5,
		3, 30, 5,
		4, 40, 5,
	})
	y := []int{0, 0, 1, 1}
	p := mustSpec(t, "lr").Pipeline(VectoriserParams{})(1).(*ModelPipeline)
	if err := p.Fit(Data{X: x}, y); err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(1.25)
	if !slices.Equal(p.Scaler.Mean, []float64{2.5, 25, 5}) || math.Abs(p.Scaler.Scale[0]-sd) > 1e-15 ||
		math.Abs(p.Scaler.Scale[1]-10*sd) > 1e-13 || p.Scaler.Scale[2] != 1 {
		t.Errorf("scaler mean %v scale %v", p.Scaler.Mean, p.Scaler.Scale)
	}
	// Columns 0 and 1 are identical after scaling, so the model must weigh
	// them equally; the constant column gets weight 0.
	c := p.Model.(*LogisticRegression).Coef
	if math.Abs(c[0]-c[1]) > 1e-9 || c[2] != 0 {
		t.Errorf("coefficients %v, want c0 == c1 and c2 == 0", c)
	}
	// Unscaled models get no scaler.
	q := mustSpec(t, "rf").Pipeline(VectoriserParams{})(1).(*ModelPipeline)
	if err := q.Fit(Data{X: x}, y); err != nil {
		t.Fatal(err)
	}
	if q.Scaler != nil {
		t.Error("rf pipeline has a scaler")
	}
}

// TestTextOnlyPipeline: a feature set made of the text family alone works
// with a nil or empty X.
func TestTextOnlyPipeline(t *testing.T) {
	y := make([]int, 40)
	tok := make([]map[string]float64, 40)
	for i := range tok {
		y[i] = i % 2
		tok[i] = map[string]float64{"common": 1}
		if y[i] == 1 {
			tok[i]["eval"] = 2
		} else {
			tok[i]["print"] = 1
		}
	}
	for _, name := range ModelNames() {
		for _, d := range []Data{{Tokens: tok}, {X: &mat.Dense{}, Tokens: tok}} {
			p := mustSpec(t, name).Pipeline(DefaultVectoriserParams())(1)
			if err := p.Fit(d, y); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			s, err := p.Predict(d)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if acc := accuracy(s, y, mustSpec(t, name).Threshold); acc != 1 {
				t.Errorf("%s: text-only accuracy %.3f, want 1", name, acc)
			}
		}
	}
}
