package classifiers

import (
	"maps"
	"math"
	"testing"
)

// TestSharedTokenMaps: rows that share one token map (as scan's
// explanations pass them) score exactly as rows with copies of it.
func TestSharedTokenMaps(t *testing.T) {
	train, y := persistData(120, 21)
	test, _ := persistData(5, 22)
	for _, name := range []string{"lr", "svm", "rf"} {
		spec, _ := ByName(name)
		p := spec.Pipeline(VectoriserParams{MinDF: 2, MaxFeatures: 8})(3)
		if err := p.Fit(train, y); err != nil {
			t.Fatal(err)
		}
		a, b := test.Tokens[0], test.Tokens[1]
		shared := Data{X: test.X, Tokens: []map[string]float64{a, a, b, a, {}}}
		copied := Data{X: test.X, Tokens: []map[string]float64{maps.Clone(a), maps.Clone(a), maps.Clone(b), maps.Clone(a), {}}}
		got, err := p.Predict(shared)
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.Predict(copied)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s row %d: %v with a shared map, %v with a copy", name, i, got[i], want[i])
			}
		}
		bad := map[string]float64{"exec": math.NaN()}
		if _, err := p.Predict(Data{X: test.X, Tokens: []map[string]float64{a, bad, bad, a, a}}); err == nil {
			t.Errorf("%s: a NaN count in a repeated map is not reported", name)
		}
	}
}
