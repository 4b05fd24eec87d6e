package classifiers

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// noPanic runs f and turns a panic into a test failure.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
		}
	}()
	f()
}

func withValue(x *mat.Dense, i, j int, v float64) *mat.Dense {
	c := denseCopy(x)
	c.Set(i, j, v)
	return c
}

// TestDegenerateFit: every model rejects bad training input with a clear,
// wrapped sentinel error and never panics.
func TestDegenerateFit(t *testing.T) {
	x, y := blobs(20, 3, 2, 1)
	ones := make([]int, 20)
	for i := range ones {
		ones[i] = 1
	}
	badLabel := append([]int(nil), y...)
	badLabel[3] = 2
	cases := []struct {
		name string
		x    *mat.Dense
		y    []int
		want error
	}{
		{"one class only", x, ones, ErrSingleClass},
		{"one class only (benign)", x, make([]int, 20), ErrSingleClass},
		{"NaN", withValue(x, 4, 1, math.NaN()), y, ErrNonFinite},
		{"+Inf", withValue(x, 0, 0, math.Inf(1)), y, ErrNonFinite},
		{"-Inf", withValue(x, 19, 2, math.Inf(-1)), y, ErrNonFinite},
		{"nil matrix", nil, nil, ErrNoRows},
		{"zero rows", &mat.Dense{}, []int{}, ErrNoRows},
		{"more labels than rows", x, append(append([]int(nil), y...), 1), ErrShape},
		{"fewer labels than rows", x, y[:19], ErrShape},
		{"label 2", x, badLabel, ErrLabel},
	}
	for _, name := range ModelNames() {
		spec := mustSpec(t, name)
		for _, c := range cases {
			noPanic(t, name+" "+c.name, func() {
				err := spec.New(1).Fit(c.x, c.y)
				if !errors.Is(err, c.want) {
					t.Errorf("%s, %s: error %v, want %v", name, c.name, err, c.want)
				}
			})
			// The same through the pipeline (scaler first for some models).
			noPanic(t, name+" pipeline "+c.name, func() {
				err := spec.Pipeline(VectoriserParams{})(1).Fit(Data{X: c.x}, c.y)
				if !errors.Is(err, c.want) {
					t.Errorf("%s pipeline, %s: error %v, want %v", name, c.name, err, c.want)
				}
			})
		}
	}
}

// TestDegeneratePredict: scoring bad input, or scoring before fitting, is an
// error, not a panic or a silent NaN.
func TestDegeneratePredict(t *testing.T) {
	x, y := blobs(20, 3, 2, 1)
	cases := []struct {
		name string
		x    *mat.Dense
		want error
	}{
		{"NaN", withValue(x, 2, 2, math.NaN()), ErrNonFinite},
		{"Inf", withValue(x, 2, 0, math.Inf(-1)), ErrNonFinite},
		{"wrong column count", mat.NewDense(2, 4, nil), ErrShape},
		{"nil matrix", nil, ErrNoRows},
		{"zero rows", &mat.Dense{}, ErrNoRows},
	}
	for _, name := range ModelNames() {
		spec := mustSpec(t, name)
		noPanic(t, name+" unfitted", func() {
			if _, err := spec.New(1).Predict(x); !errors.Is(err, ErrNotFitted) {
				t.Errorf("%s: predict before fit: %v, want ErrNotFitted", name, err)
			}
			if _, err := spec.Pipeline(VectoriserParams{})(1).Predict(Data{X: x}); !errors.Is(err, ErrNotFitted) {
				t.Errorf("%s pipeline: predict before fit: %v, want ErrNotFitted", name, err)
			}
		})
		m := spec.New(1)
		if err := m.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		p := spec.Pipeline(VectoriserParams{})(1)
		if err := p.Fit(Data{X: x}, y); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			noPanic(t, name+" "+c.name, func() {
				if _, err := m.Predict(c.x); !errors.Is(err, c.want) {
					t.Errorf("%s, %s: %v, want %v", name, c.name, err, c.want)
				}
				if _, err := p.Predict(Data{X: c.x}); !errors.Is(err, c.want) {
					t.Errorf("%s pipeline, %s: %v, want %v", name, c.name, err, c.want)
				}
			})
		}
	}
}

// TestConstantColumns: constant columns are not an error. With only
// constant columns every model must return the same finite score for every
// row; next to an informative column they must not hurt.
func TestConstantColumns(t *testing.T) {
	const n = 40
	allConst := mat.NewDense(n, 3, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		allConst.SetRow(i, []float64{7, 0, -3})
		if i%4 == 0 {
			y[i] = 1
		}
	}
	xb, yb := blobs(n, 1, 10, 3)
	mixed := mat.NewDense(n, 3, nil)
	for i := 0; i < n; i++ {
		mixed.SetRow(i, []float64{5, xb.At(i, 0), 1e6})
	}
	for _, name := range ModelNames() {
		spec := mustSpec(t, name)
		noPanic(t, name, func() {
			s := fitPredict(t, spec.Pipeline(VectoriserParams{}), allConst, y, allConst, 1)
			for i, v := range s {
				if math.IsNaN(v) || math.IsInf(v, 0) || v != s[0] {
					t.Fatalf("%s: constant input, row %d scored %v (row 0: %v)", name, i, v, s[0])
				}
			}
			// No information: every row gets the majority class (benign).
			if spec.Malicious(s[0]) {
				t.Errorf("%s: constant input scored %v, i.e. malicious, with 25%% malicious rows", name, s[0])
			}
			s = fitPredict(t, spec.Pipeline(VectoriserParams{}), mixed, yb, mixed, 1)
			if acc := accuracy(s, yb, spec.Threshold); acc != 1 {
				t.Errorf("%s: accuracy %.3f with constant columns around a separating one, want 1", name, acc)
			}
		})
	}
}

// TestDegeneratePipelineData covers the Data-level checks: tokens and X
// disagreeing, tokens present at one step only, bad counts, no columns.
func TestDegeneratePipelineData(t *testing.T) {
	x, y := blobs(12, 2, 3, 1)
	tok := make([]map[string]float64, 12)
	for i := range tok {
		tok[i] = map[string]float64{"a": 1, fmt.Sprint("t", i%3): 2}
	}
	nanTok := append([]map[string]float64(nil), tok...)
	nanTok[5] = map[string]float64{"a": math.NaN()}
	rare := make([]map[string]float64, 12)
	for i := range rare {
		rare[i] = map[string]float64{fmt.Sprint("only", i): 1}
	}
	fit := func(d Data, yy []int) error {
		return mustSpec(t, "lr").Pipeline(VectoriserParams{})(1).Fit(d, yy)
	}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"empty data", fit(Data{}, nil), ErrNoRows},
		{"tokens and X row counts differ", fit(Data{X: x, Tokens: tok[:5]}, y), ErrShape},
		{"labels and tokens differ", fit(Data{Tokens: tok}, y[:3]), ErrShape},
		{"NaN token count", fit(Data{X: x, Tokens: nanTok}, y), ErrNonFinite},
		{"no column: no X and no token reaches min_df", fit(Data{Tokens: rare}, y), ErrShape},
		{"zero token rows", fit(Data{Tokens: []map[string]float64{}}, []int{}), ErrNoRows},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	p := mustSpec(t, "lr").Pipeline(VectoriserParams{})(1)
	if err := p.Fit(Data{X: x, Tokens: tok}, y); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    Data
		want error
	}{
		{"tokens missing at predict", Data{X: x}, ErrShape},
		{"numeric columns missing at predict", Data{Tokens: tok}, ErrShape},
		{"NaN token count at predict", Data{X: x, Tokens: nanTok}, ErrNonFinite},
		{"token rows differ at predict", Data{X: x, Tokens: tok[:2]}, ErrShape},
	} {
		if _, err := p.Predict(c.d); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestDegenerateEnsembles: stacking and the intersection rule pass the same
// errors up, and stacking explains a class too small for its inner split.
func TestDegenerateEnsembles(t *testing.T) {
	x, y := blobs(20, 2, 3, 1)
	ones := make([]int, 20)
	for i := range ones {
		ones[i] = 1
	}
	oneMalicious := make([]int, 20)
	oneMalicious[7] = 1
	st, _ := StackingByNames([]string{"nb", "lr"}, VectoriserParams{})
	in, _ := IntersectionByNames([]string{"nb", "lr", "dt"}, VectoriserParams{})
	for name, f := range map[string]PipelineFactory{"stack": st, "intersection": in} {
		noPanic(t, name, func() {
			if err := f(1).Fit(Data{X: x}, ones); !errors.Is(err, ErrSingleClass) {
				t.Errorf("%s, one class: %v, want ErrSingleClass", name, err)
			}
			if err := f(1).Fit(Data{X: withValue(x, 1, 1, math.NaN())}, y); !errors.Is(err, ErrNonFinite) {
				t.Errorf("%s, NaN: %v, want ErrNonFinite", name, err)
			}
			if err := f(1).Fit(Data{}, nil); !errors.Is(err, ErrNoRows) {
				t.Errorf("%s, no rows: %v, want ErrNoRows", name, err)
			}
			if err := f(1).Fit(Data{X: x}, y[:4]); !errors.Is(err, ErrShape) {
				t.Errorf("%s, short labels: %v, want ErrShape", name, err)
			}
			if _, err := f(1).Predict(Data{X: x}); !errors.Is(err, ErrNotFitted) {
				t.Errorf("%s, unfitted: %v, want ErrNotFitted", name, err)
			}
		})
	}
	err := st(1).Fit(Data{X: x}, oneMalicious)
	if err == nil || !strings.Contains(err.Error(), "at least 2 rows of each class") {
		t.Errorf("stack with one malicious row: %v, want an explanation of the inner split", err)
	}
	if err := NewStacking(nil, 1).Fit(Data{X: x}, y); err == nil {
		t.Error("stack without bases fitted")
	}
	if err := NewIntersection(nil, 1).Fit(Data{X: x}, y); err == nil {
		t.Error("intersection without members fitted")
	}
}

// TestDegeneratePreprocessing: the scaler and the vectoriser on their own.
func TestDegeneratePreprocessing(t *testing.T) {
	x, _ := blobs(5, 2, 1, 1)
	s := &StandardScaler{}
	if _, err := s.Transform(x); !errors.Is(err, ErrNotFitted) {
		t.Errorf("transform before fit: %v", err)
	}
	if err := s.Fit(withValue(x, 0, 0, math.NaN())); !errors.Is(err, ErrNonFinite) {
		t.Errorf("scaler fit on NaN: %v", err)
	}
	if err := s.Fit(&mat.Dense{}); !errors.Is(err, ErrNoRows) {
		t.Errorf("scaler fit on no rows: %v", err)
	}
	if err := s.Fit(x); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transform(mat.NewDense(1, 3, nil)); !errors.Is(err, ErrShape) {
		t.Errorf("scaler transform with 3 columns: %v", err)
	}
	v := NewTextVectoriser(VectoriserParams{})
	if _, err := v.Transform([]map[string]float64{{"a": 1}}); !errors.Is(err, ErrNotFitted) {
		t.Errorf("vectoriser transform before fit: %v", err)
	}
	if err := v.Fit(nil); !errors.Is(err, ErrNoRows) {
		t.Errorf("vectoriser fit on no rows: %v", err)
	}
	if err := v.Fit([]map[string]float64{{"a": math.Inf(1)}}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("vectoriser fit on Inf: %v", err)
	}
	if _, err := (ClassWeight("auto")).weights([]int{0, 1}); err == nil {
		t.Error("unknown class weight accepted")
	}
	if err := NewLogisticRegression(LogRegParams{ClassWeight: "auto"}).Fit(x, []int{0, 1, 0, 1, 0}); err == nil {
		t.Error("logistic regression accepted class weight auto")
	}
}

// shortPipeline returns one score too few.
type shortPipeline struct{}

func (shortPipeline) Fit(Data, []int) error { return nil }
func (shortPipeline) Predict(d Data) ([]float64, error) {
	n, err := dataRows(d)
	if err != nil {
		return nil, err
	}
	return make([]float64, n-1), nil
}

// TestMisbehavingMember: a base or member that returns the wrong number of
// scores is reported, not a panic.
func TestMisbehavingMember(t *testing.T) {
	x, y := blobs(20, 2, 3, 1)
	short := func(int64) Pipeline { return shortPipeline{} }
	good := mustSpec(t, "nb").Pipeline(VectoriserParams{})
	noPanic(t, "stacking", func() {
		if err := NewStacking([]PipelineFactory{good, short}, 1).Fit(Data{X: x}, y); !errors.Is(err, ErrShape) {
			t.Errorf("stacking with a short base: %v, want ErrShape", err)
		}
	})
	noPanic(t, "intersection", func() {
		in := NewIntersection([]IntersectionMember{{New: good, Threshold: 0.5}, {New: short, Threshold: 0.5}}, 1)
		if err := in.Fit(Data{X: x}, y); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Predict(Data{X: x}); !errors.Is(err, ErrShape) {
			t.Errorf("intersection with a short member: %v, want ErrShape", err)
		}
	})
}
