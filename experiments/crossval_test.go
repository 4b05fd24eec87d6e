package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
	kfold "pypimal/internal/folds"
)

func centroidFactory(token string, jitter float64) classifiers.PipelineFactory {
	return func(seed int64) classifiers.Pipeline {
		return &centroidPipe{token: token, jitter: jitter, seed: seed}
	}
}

func TestCrossValidatePerfectSeparation(t *testing.T) {
	d, y := toyData(120, 40, 0, 1) // noise 0: column 1 is the label
	folds, err := RepeatedStratifiedKFold(y, 10, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data classifiers.Data
		pipe classifiers.PipelineFactory
	}{
		{"numeric column", columns(d, 1), centroidFactory("", 0)},
		{"tokens only, nil X", classifiers.Data{Tokens: d.Tokens}, centroidFactory("exec", 0)},
		{"tokens only, empty X", classifiers.Data{X: &mat.Dense{}, Tokens: d.Tokens}, centroidFactory("exec", 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := CrossValidate(context.Background(), tc.pipe, tc.data, y, folds, ProbaThreshold, CVOptions{Seed: 3, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			ms := res.Metrics()
			if len(ms) != 20 {
				t.Fatalf("%d fold metrics, want 20", len(ms))
			}
			for i, m := range ms {
				if m.F1 != 1 || m.ROCAUC != 1 || m.MCC != 1 {
					t.Errorf("fold %d: F1=%v ROCAUC=%v MCC=%v, want 1", i, m.F1, m.ROCAUC, m.MCC)
				}
			}
			if s := Summarize(ms); s.F1 != (Stat{1, 0}) {
				t.Errorf("summary F1 = %+v", s.F1)
			}
			for r, oof := range res.OOF {
				for row, s := range oof {
					if (s > 0.5) != (y[row] == 1) {
						t.Fatalf("repeat %d row %d: OOF score %v for label %d", r, row, s, y[row])
					}
				}
			}
		})
	}
}

func TestCrossValidateDeterministicAcrossWorkers(t *testing.T) {
	d, y := toyData(150, 50, 0.8, 2)
	folds, err := RepeatedStratifiedKFold(y, 5, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	run := func(workers int) CVResult {
		res, err := CrossValidate(context.Background(), centroidFactory("", 0.05), columns(d, 1, 2), y, folds, ProbaThreshold, CVOptions{Seed: 11, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref := run(1)
	for _, w := range []int{2, 4, 16, 0} {
		if got := run(w); !reflect.DeepEqual(got, ref) {
			t.Errorf("Workers=%d differs from Workers=1", w)
		}
	}
	for r, rep := range ref.Folds {
		for f, fr := range rep {
			if fr.Repeat != r || fr.Fold != f || fr.Seed != FitSeed(11, r, f) {
				t.Errorf("fold result (%d,%d) = %+v", r, f, fr)
			}
		}
	}
	for r, oof := range ref.OOF {
		for row, s := range oof {
			if math.IsNaN(s) {
				t.Fatalf("repeat %d row %d has no OOF score", r, row)
			}
		}
	}
	other, err := CrossValidate(context.Background(), centroidFactory("", 0.05), columns(d, 1, 2), y, folds, ProbaThreshold, CVOptions{Seed: 12, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(other.OOF, ref.OOF) {
		t.Error("a different base seed gave the same scores; the seed does not reach the models")
	}
}

func TestCrossValidateFoldErrors(t *testing.T) {
	d, y := toyData(60, 20, 0.5, 3)
	folds, err := RepeatedStratifiedKFold(y, 4, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := kfold.TestFoldIndex(folds, len(y))
	// rowIn returns a row tested by fold f of repeat r.
	rowIn := func(r, f int) float64 { return float64(folds[r][f].Test[0]) }
	tests := []struct {
		name   string
		poison []float64
		panics bool
	}{
		{"single failing fold", []float64{rowIn(1, 2)}, false},
		{"earliest of several", []float64{rowIn(1, 3), rowIn(0, 2), rowIn(1, 0)}, false},
		{"panic becomes error", []float64{rowIn(0, 3), rowIn(1, 1)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The first failing fold in (repeat, fold) order is reported.
			wantR, wantF := len(folds), 0
			poison := map[float64]bool{}
			for _, p := range tc.poison {
				poison[p] = true
				for r := range folds {
					f := idx[r][int(p)]
					if r < wantR || (r == wantR && f < wantF) {
						wantR, wantF = r, f
					}
				}
			}
			want := fmt.Sprintf("repeat %d fold %d: predict: poisoned row", wantR, wantF)
			if tc.panics {
				want = fmt.Sprintf("repeat %d fold %d: panic: poisoned row", wantR, wantF)
			}
			factory := func(int64) classifiers.Pipeline { return &poisonPipe{poison: poison, panics: tc.panics} }
			for trial := 0; trial < 20; trial++ {
				for _, w := range []int{1, 4} {
					_, err := CrossValidate(context.Background(), factory, d, y, folds, ProbaThreshold, CVOptions{Workers: w})
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("Workers=%d: error %v, want one containing %q", w, err, want)
					}
				}
			}
		})
	}
}

func TestCrossValidateBadInput(t *testing.T) {
	d, y := toyData(20, 10, 0.5, 4)
	good := [][]Fold{{{Train: []int{0, 1, 2, 3, 4}, Test: []int{5, 6}}}}
	f := centroidFactory("", 0)
	tests := []struct {
		name    string
		factory classifiers.PipelineFactory
		data    classifiers.Data
		y       []int
		folds   [][]Fold
		want    string
	}{
		{"nil factory", nil, d, y, good, "nil pipeline factory"},
		{"factory returns nil", func(int64) classifiers.Pipeline { return nil }, d, y, good, "repeat 0 fold 0: factory returned a nil pipeline"},
		{"label count", f, d, y[:5], good, "5 labels for 30 rows"},
		{"no data", f, classifiers.Data{}, y, good, "neither numeric columns nor tokens"},
		{"tokens length", f, classifiers.Data{X: d.X, Tokens: d.Tokens[:3]}, y, good, "X has 30 rows but Tokens has 3"},
		{"no folds", f, d, y, nil, "no folds"},
		{"row out of range", f, d, y, [][]Fold{{{Train: []int{0, 1}, Test: []int{30}}}}, "test row 30 out of range"},
		{"train and test overlap", f, d, y, [][]Fold{{{Train: []int{0, 1}, Test: []int{1}}}}, "row 1 is in both train and test"},
		{"row tested twice", f, d, y, [][]Fold{{{Train: []int{0}, Test: []int{1}}, {Train: []int{0}, Test: []int{1}}}}, "row 1 is in the test sets of folds 0 and 1"},
		{"empty test", f, d, y, [][]Fold{{{Train: []int{0}}}}, "need both non-empty"},
		{"fit error", f, d, y, [][]Fold{{{Train: []int{0, 1}, Test: []int{2}}}}, "repeat 0 fold 0: fit: centroid: need both classes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CrossValidate(context.Background(), tc.factory, tc.data, tc.y, tc.folds, ProbaThreshold, CVOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCrossValidatePartialFoldsAndCancel(t *testing.T) {
	d, y := toyData(20, 10, 0, 5)
	var train []int
	var test []int
	for i := range y {
		if i < 20 {
			train = append(train, i)
		} else if i < 25 {
			test = append(test, i)
		}
	}
	res, err := CrossValidate(context.Background(), centroidFactory("", 0), columns(d, 1), y, [][]Fold{{{Train: train, Test: test}}}, ProbaThreshold, CVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for row, s := range res.OOF[0] {
		if tested := row >= 20 && row < 25; tested == math.IsNaN(s) {
			t.Errorf("row %d: OOF %v (tested=%v)", row, s, tested)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sf, _ := kfold.StratifiedKFold(y, 5, 1)
	_, err = CrossValidate(ctx, centroidFactory("", 0), d, y, [][]Fold{sf}, ProbaThreshold, CVOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
}

func TestSubset(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{0, 1, 10, 11, 20, 21})
	tok := []map[string]float64{{"a": 1}, {"b": 2}, {"c": 3}}
	got, err := Subset(classifiers.Data{X: x, Tokens: tok}, []int{2, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := mat.NewDense(3, 2, []float64{20, 21, 0, 1, 20, 21}); !mat.Equal(got.X, want) {
		t.Errorf("X = %v, want %v", mat.Formatted(got.X), mat.Formatted(want))
	}
	if !reflect.DeepEqual(got.Tokens, []map[string]float64{{"c": 3}, {"a": 1}, {"c": 3}}) {
		t.Errorf("Tokens = %v", got.Tokens)
	}
	got.X.Set(0, 0, -1)
	if x.At(2, 0) != 20 {
		t.Error("Subset shares X storage with its input")
	}

	if got, err := Subset(classifiers.Data{Tokens: tok}, []int{1}); err != nil || got.X != nil || len(got.Tokens) != 1 {
		t.Errorf("text-only subset = %+v, %v", got, err)
	}
	if got, err := Subset(classifiers.Data{X: &mat.Dense{}, Tokens: tok}, []int{1}); err != nil || got.X == nil || !got.X.IsEmpty() {
		t.Errorf("empty-X subset = %+v, %v", got, err)
	}
	if got, err := Subset(classifiers.Data{X: x}, []int{1}); err != nil || got.Tokens != nil {
		t.Errorf("numeric-only subset = %+v, %v", got, err)
	}
	for _, rows := range [][]int{nil, {3}, {-1}} {
		if _, err := Subset(classifiers.Data{X: x, Tokens: tok}, rows); err == nil {
			t.Errorf("Subset(rows=%v) accepted", rows)
		}
	}
}
