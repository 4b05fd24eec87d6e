package experiments

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
)

func fitted(t *testing.T, p classifiers.Pipeline, d classifiers.Data, y []int) classifiers.Pipeline {
	t.Helper()
	if err := p.Fit(d, y); err != nil {
		t.Fatal(err)
	}
	return p
}

func byName(res ImportanceResult) map[string]Importance {
	m := map[string]Importance{}
	for _, f := range res.Features {
		m[f.Kind+":"+f.Name] = f
	}
	return m
}

func TestPermutationImportanceColumnsAndGroups(t *testing.T) {
	full, y := toyData(300, 100, 0.3, 6)
	d := columns(full, 1, 2) // informative, noise; tokens present but unused
	p := fitted(t, &centroidPipe{}, d, y)
	res, err := PermutationImportance(context.Background(), p, d, y, ProbaThreshold, ImportanceOptions{
		Repeats: 10, Seed: 1, Workers: 4,
		ColumnNames: []string{"signal", "noise"},
		Groups:      map[string][]int{"family": {0, 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Evaluate(y, mustPredict(t, p, d), ProbaThreshold)
	if res.Baseline != base.F1 || res.Baseline < 0.8 {
		t.Errorf("baseline F1 %v, Evaluate gives %v (want > 0.8)", res.Baseline, base.F1)
	}
	var names []string
	for _, f := range res.Features {
		names = append(names, f.Kind+":"+f.Name)
		if len(f.Drops) != 10 {
			t.Errorf("%s: %d drops, want 10", f.Name, len(f.Drops))
		}
		if m, s := MeanStd(f.Drops); m != f.Mean || s != f.Std {
			t.Errorf("%s: mean/std %v/%v do not match drops", f.Name, f.Mean, f.Std)
		}
	}
	if want := []string{"column:signal", "column:noise", "group:family", "text:text"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("features %v, want %v", names, want)
	}
	got := byName(res)
	if s := got["column:signal"]; s.Mean < 0.3 {
		t.Errorf("informative column: mean drop %v, want > 0.3", s.Mean)
	}
	if n := got["column:noise"]; math.Abs(n.Mean) > 0.05 {
		t.Errorf("noise column: mean drop %v, want ~0", n.Mean)
	}
	if g := got["group:family"]; g.Mean < 0.3 || !reflect.DeepEqual(g.Columns, []int{0, 1}) {
		t.Errorf("family group: %+v, want mean drop > 0.3", g)
	}
	if txt := got["text:text"]; txt.Mean != 0 || txt.Std != 0 {
		t.Errorf("text is unused by the model, yet its drop is %v ± %v", txt.Mean, txt.Std)
	}
}

func mustPredict(t *testing.T, p classifiers.Pipeline, d classifiers.Data) []float64 {
	t.Helper()
	s, err := p.Predict(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPermutationImportanceTextGroup(t *testing.T) {
	full, y := toyData(150, 50, 0.3, 7)
	tests := []struct {
		name string
		data classifiers.Data
	}{
		{"tokens only", classifiers.Data{Tokens: full.Tokens}},
		{"tokens and a noise column", columns(full, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fitted(t, &centroidPipe{token: "exec"}, tc.data, y)
			res, err := PermutationImportance(context.Background(), p, tc.data, y, ProbaThreshold, ImportanceOptions{Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			txt := byName(res)["text:text"]
			if res.Baseline != 1 || txt.Mean < 0.5 || txt.Columns != nil || len(txt.Drops) != DefaultImportanceRepeats {
				t.Errorf("baseline %v, text importance %+v; want baseline 1 and mean drop > 0.5", res.Baseline, txt)
			}
			if tc.data.X != nil {
				if c := byName(res)["column:col0"]; math.Abs(c.Mean) > 0.1 {
					t.Errorf("noise column: mean drop %v", c.Mean)
				}
			}
		})
	}
	// The permuted Data must not alter the caller's tokens.
	before := fmt.Sprint(full.Tokens[:5])
	p := fitted(t, &centroidPipe{token: "exec"}, full, y)
	if _, err := PermutationImportance(context.Background(), p, full, y, ProbaThreshold, ImportanceOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(full.Tokens[:5]); after != before {
		t.Errorf("tokens changed: %s -> %s", before, after)
	}
}

func TestPermutationImportanceDeterminism(t *testing.T) {
	full, y := toyData(200, 60, 0.6, 8)
	d := columns(full, 1, 2)
	p := fitted(t, &centroidPipe{token: "exec"}, d, y)
	run := func(opts ImportanceOptions) ImportanceResult {
		res, err := PermutationImportance(context.Background(), p, d, y, ProbaThreshold, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref := run(ImportanceOptions{Seed: 5, Workers: 1, Repeats: 4})
	for _, w := range []int{2, 4, 0} {
		if got := run(ImportanceOptions{Seed: 5, Workers: w, Repeats: 4}); !reflect.DeepEqual(got, ref) {
			t.Errorf("Workers=%d differs from Workers=1", w)
		}
	}
	// Each feature's permutations depend on the feature, not on what else is
	// scored or in which order.
	more := run(ImportanceOptions{Seed: 5, Workers: 3, Repeats: 4, Groups: map[string][]int{"a": {1}, "b": {0, 1}}})
	refByName, moreByName := byName(ref), byName(more)
	for name, f := range refByName {
		if !reflect.DeepEqual(moreByName[name].Drops, f.Drops) {
			t.Errorf("%s changed when groups were added: %v -> %v", name, f.Drops, moreByName[name].Drops)
		}
	}
	textOnly := run(ImportanceOptions{Seed: 5, Repeats: 4, SkipColumns: true})
	if len(textOnly.Features) != 1 || !reflect.DeepEqual(textOnly.Features[0], refByName["text:text"]) {
		t.Errorf("text scored alone differs: %+v", textOnly.Features)
	}
	if other := run(ImportanceOptions{Seed: 6, Repeats: 4}); reflect.DeepEqual(other, ref) {
		t.Error("a different seed gave the same permutations")
	}
}

type failPredict struct {
	calls int
	after int // fail once this many Predict calls succeeded; use with Workers=1
}

func (f *failPredict) Fit(classifiers.Data, []int) error { return nil }
func (f *failPredict) Predict(d classifiers.Data) ([]float64, error) {
	f.calls++
	if f.calls > f.after {
		return nil, fmt.Errorf("boom")
	}
	n, _ := NumRows(d)
	return make([]float64, n), nil
}

func TestPermutationImportanceErrors(t *testing.T) {
	d, y := toyData(20, 10, 0.5, 9)
	p := &centroidPipe{}
	if err := p.Fit(d, y); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    classifiers.Pipeline
		data classifiers.Data
		y    []int
		opts ImportanceOptions
		want string
	}{
		{"nil pipeline", nil, d, y, ImportanceOptions{}, "nil pipeline"},
		{"labels", p, d, y[:3], ImportanceOptions{}, "3 labels for 30 rows"},
		{"names", p, d, y, ImportanceOptions{ColumnNames: []string{"a"}}, "1 column names for 3 columns"},
		{"group range", p, d, y, ImportanceOptions{Groups: map[string][]int{"g": {3}}}, `group "g": column 3 out of range [0,3)`},
		{"group dup", p, d, y, ImportanceOptions{Groups: map[string][]int{"g": {1, 1}}}, `group "g" lists column 1 twice`},
		{"group empty", p, d, y, ImportanceOptions{Groups: map[string][]int{"g": nil}}, `group "g" has no columns`},
		{"nothing to score", p, classifiers.Data{X: d.X}, y, ImportanceOptions{SkipColumns: true}, "no features to score"},
		{"group on text-only data", p, classifiers.Data{X: &mat.Dense{}, Tokens: d.Tokens}, y, ImportanceOptions{Groups: map[string][]int{"g": {0}}}, "out of range [0,0)"},
		{"baseline predict", &failPredict{}, d, y, ImportanceOptions{}, "baseline predict: boom"},
		{"feature predict", &failPredict{after: 2}, d, y, ImportanceOptions{Workers: 1, Repeats: 2}, `column "col0" repeat 1: predict: boom`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PermutationImportance(context.Background(), tc.p, tc.data, tc.y, ProbaThreshold, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
