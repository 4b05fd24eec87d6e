package classifiers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// persistData is a small mixed dataset: a few informative numeric columns,
// counts, a constant column, and per-row tokens whose use depends on the
// label, so that every pipeline step (vectoriser, scaler, model) has fitted
// state worth storing.
func persistData(n int, seed uint64) (Data, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	const p = 6
	x := mat.NewDense(n, p, nil)
	y := make([]int, n)
	toks := make([]map[string]float64, n)
	words := []string{"exec", "base64", "webhook", "socket", "parser", "config", "tests", "readme", "setup", "logger"}
	for i := 0; i < n; i++ {
		if rng.Float64() < 0.4 {
			y[i] = 1
		}
		s := float64(2*y[i] - 1)
		x.Set(i, 0, rng.NormFloat64()+0.8*s)
		x.Set(i, 1, rng.NormFloat64()-0.5*s)
		x.Set(i, 2, math.Floor(rng.ExpFloat64()*(2+float64(y[i]))))
		x.Set(i, 3, float64(rng.IntN(2)))
		x.Set(i, 4, 7) // constant
		x.Set(i, 5, rng.NormFloat64()*100)
		m := map[string]float64{}
		for k := 0; k < 4; k++ {
			w := rng.IntN(len(words))
			if y[i] == 1 && w > 5 {
				w -= 5
			}
			m[words[w]] += float64(1 + rng.IntN(3))
		}
		toks[i] = m
	}
	return Data{X: x, Tokens: toks}, y
}

func persistRoundTrip(t *testing.T, p Pipeline, test Data) {
	t.Helper()
	want, err := p.Predict(test)
	if err != nil {
		t.Fatalf("predict before save: %v", err)
	}
	b, err := MarshalPipeline(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	q, err := UnmarshalPipeline(b)
	if err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	got, err := q.Predict(test)
	if err != nil {
		t.Fatalf("predict after load: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d scores after load, %d before", len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("row %d: score %v after load, %v before (not bit-identical)", i, got[i], want[i])
		}
	}
	// Saving the loaded pipeline again gives the same bytes.
	b2, err := MarshalPipeline(q)
	if err != nil {
		t.Fatalf("marshal loaded: %v", err)
	}
	if string(b2) != string(b) {
		t.Fatalf("re-marshalled pipeline differs (%d vs %d bytes)", len(b2), len(b))
	}
	// Scores vary, so the comparison above means something.
	distinct := map[float64]bool{}
	for _, v := range want {
		distinct[v] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("pipeline gives a single score %v for every test row", want[0])
	}
}

func TestPersistRoundTripModels(t *testing.T) {
	train, y := persistData(160, 1)
	test, _ := persistData(60, 2)
	text := VectoriserParams{MinDF: 2, MaxFeatures: 8}
	for _, name := range ModelNames() {
		for _, withText := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/text=%v", name, withText), func(t *testing.T) {
				spec, err := ByName(name)
				if err != nil {
					t.Fatal(err)
				}
				tr, te := train, test
				if !withText {
					tr.Tokens, te.Tokens = nil, nil
				}
				p := spec.Pipeline(text)(7)
				if err := p.Fit(tr, y); err != nil {
					t.Fatal(err)
				}
				if withText && p.(*ModelPipeline).Vectoriser.Width() == 0 {
					t.Fatal("empty vocabulary: the test would not cover the vectoriser")
				}
				persistRoundTrip(t, p, te)
			})
		}
	}
}

func TestPersistRoundTripMLPFloat32(t *testing.T) {
	train, y := persistData(120, 9)
	test, _ := persistData(40, 10)
	spec, err := mustSpec(t, "mlp").WithFloat32()
	if err != nil {
		t.Fatal(err)
	}
	p := NewPipeline(spec.New, true, VectoriserParams{MinDF: 2, MaxFeatures: 10}, 1)
	if err := p.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	if !p.Model.(*MLP).Params.Float32 {
		t.Fatal("the float32 spec built a float64 MLP")
	}
	persistRoundTrip(t, p, test)

	// A float32 network's weights go back to float32 in Predict: a stored
	// one that is not a float32 is refused.
	good, err := MarshalPipeline(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	mlp := m["pipeline"].(map[string]any)["value"].(map[string]any)["Model"].(map[string]any)["value"].(map[string]any)
	mlp["B2"] = 0.1 // not a float32
	bad, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalPipeline(bad); err == nil || !strings.Contains(err.Error(), "not a float32") {
		t.Errorf("loading a float32 network with a float64 weight: err = %v", err)
	}
}

func TestPersistRoundTripTextOnly(t *testing.T) {
	train, y := persistData(120, 3)
	test, _ := persistData(40, 4)
	train.X, test.X = nil, nil
	p := NewPipeline(mustSpec(t, "lr").New, true, VectoriserParams{MinDF: 2, MaxFeatures: 10}, 1)
	if err := p.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	persistRoundTrip(t, p, test)
}

func TestPersistRoundTripStackingAndIntersection(t *testing.T) {
	train, y := persistData(150, 5)
	test, _ := persistData(50, 6)
	text := VectoriserParams{MinDF: 2, MaxFeatures: 8}
	st, err := StackingByNames([]string{"rf", "dt", "svm", "mlp", "nb", "lr"}, text)
	if err != nil {
		t.Fatal(err)
	}
	p := st(11)
	if err := p.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	t.Run("stacking", func(t *testing.T) { persistRoundTrip(t, p, test) })

	in, err := IntersectionByNames([]string{"rf", "svm", "lr"}, text)
	if err != nil {
		t.Fatal(err)
	}
	q := in(12)
	if err := q.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	t.Run("intersection", func(t *testing.T) { persistRoundTrip(t, q, test) })
}

func TestPersistConcurrentPredict(t *testing.T) {
	train, y := persistData(120, 7)
	test, _ := persistData(30, 8)
	st, _ := StackingByNames([]string{"rf", "svm", "lr"}, VectoriserParams{MinDF: 2, MaxFeatures: 8})
	p := st(3)
	if err := p.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	b, err := MarshalPipeline(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalPipeline(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := p.Predict(test)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := q.Predict(test)
			if err == nil {
				for i := range want {
					if got[i] != want[i] {
						err = fmt.Errorf("row %d: %v, want %v", i, got[i], want[i])
						break
					}
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestPersistErrors(t *testing.T) {
	train, y := persistData(100, 9)
	p := NewPipeline(mustSpec(t, "dt").New, false, VectoriserParams{MinDF: 2, MaxFeatures: 8}, 1)
	if _, err := MarshalPipeline(p); !errors.Is(err, ErrNotFitted) {
		t.Fatalf("marshal unfitted: %v, want ErrNotFitted", err)
	}
	if _, err := MarshalPipeline(nil); err == nil {
		t.Fatal("marshal nil: no error")
	}
	if err := p.Fit(train, y); err != nil {
		t.Fatal(err)
	}
	good, err := MarshalPipeline(p)
	if err != nil {
		t.Fatal(err)
	}
	// edit decodes good, lets f change it, and re-encodes it.
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	inner := func(m map[string]any) map[string]any {
		return m["pipeline"].(map[string]any)["value"].(map[string]any)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("\x00\x01 not json"), "not a stored pipeline"},
		{"empty object", []byte("{}"), "no format version"},
		{"other version", edit(func(m map[string]any) { m["format"] = 99 }), "format version 99, this build reads version 1"},
		{"unknown pipeline type", edit(func(m map[string]any) { m["pipeline"].(map[string]any)["type"] = "boosting" }), `unknown pipeline type "boosting"`},
		{"unknown model type", edit(func(m map[string]any) {
			inner(m)["Model"].(map[string]any)["type"] = "xgb"
		}), `unknown classifier type "xgb"`},
		{"unknown field", edit(func(m map[string]any) { inner(m)["Extra"] = 1 }), "unknown field"},
		{"looping tree", edit(func(m map[string]any) {
			nodes := inner(m)["Model"].(map[string]any)["value"].(map[string]any)["Nodes"].([]any)
			nodes[0].(map[string]any)["l"] = 0
		}), "node 0 links to nodes 0"},
		{"column count", edit(func(m map[string]any) { inner(m)["NumericCols"] = 3 }), "classifier takes 14 columns, the pipeline gives 11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := UnmarshalPipeline(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrPipelineFormat) {
				t.Errorf("error %v does not wrap ErrPipelineFormat", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}
