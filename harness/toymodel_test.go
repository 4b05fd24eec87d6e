package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
	"pypimal/experiments"
	"pypimal/experiments/configfile"
	"pypimal/experiments/runner"
	"pypimal/vetting"
	"pypimal/vetting/vettingtest"
)

// centroid is a toy model that this test adds through the registry alone:
// its score is the logistic of how much nearer a row is to the malicious
// mean than to the benign one.
type centroid struct {
	Mean      [2][]float64
	NFeatures int
}

const toyName = "toy-centroid"

func init() {
	classifiers.Register(classifiers.Model{Name: toyName, Score: classifiers.ScoreProbability, Scale: true,
		New: func(classifiers.Options, int64) classifiers.Stored { return &centroid{} }})
}

func (c *centroid) Fit(x *mat.Dense, y []int) error {
	n, p := x.Dims()
	if n == 0 || n != len(y) {
		return fmt.Errorf("centroid: %d rows, %d labels", n, len(y))
	}
	var cnt [2]float64
	c.Mean = [2][]float64{make([]float64, p), make([]float64, p)}
	for i := range n {
		cnt[y[i]]++
		for j := range p {
			c.Mean[y[i]][j] += x.At(i, j)
		}
	}
	if cnt[0] == 0 || cnt[1] == 0 {
		return classifiers.ErrSingleClass
	}
	for k := range 2 {
		for j := range p {
			c.Mean[k][j] /= cnt[k]
		}
	}
	c.NFeatures = p
	return nil
}

func (c *centroid) Predict(x *mat.Dense) ([]float64, error) {
	n, p := x.Dims()
	if p != c.NFeatures {
		return nil, classifiers.ErrShape
	}
	out := make([]float64, n)
	for i := range n {
		var d0, d1 float64
		for j := range p {
			d0 += math.Pow(x.At(i, j)-c.Mean[0][j], 2)
			d1 += math.Pow(x.At(i, j)-c.Mean[1][j], 2)
		}
		out[i] = 1 / (1 + math.Exp(-(d0-d1)/float64(p)))
	}
	return out, nil
}

func (c *centroid) Columns() int { return c.NFeatures }

func (c *centroid) Validate() error {
	if len(c.Mean[0]) != c.NFeatures || len(c.Mean[1]) != c.NFeatures {
		return errors.New("means do not fit the columns")
	}
	return nil
}

// TestToyModelThroughRegistry: a model registered in one place (above) runs
// as a grid cell and as a stack base, and a vetting model stacking it is
// saved, loaded and scores as before saving.
func TestToyModelThroughRegistry(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := vettingtest.WriteDataset(data, 30, 30, 3); err != nil {
		t.Fatal(err)
	}
	cfg, err := configfile.Load("", map[string]any{
		"name": "toy", "seed": 5, "workers": 2, "data": data,
		"split":        map[string]any{"train": []any{map[string]any{"paper_split": []any{"train"}}}, "test": []any{}},
		"feature_sets": []any{map[string]any{"name": "all", "families": []any{"metadata", "files", "code", "install", "text"}}},
		"leaky":        []any{false},
		"models":       []any{toyName, "lr", experiments.ModelStacking},
		"stacking":     []any{toyName, "lr"},
		"intersection": []any{toyName, "lr"},
		"cv.k":         3,
		"importance":   map[string]any{"enabled": true, "model": experiments.ModelStacking, "set": "all", "leaky": false, "repeats": 1},
		"train":        map[string]any{"model": experiments.ModelStacking, "set": "all", "leaky": false, "target_fpr": 0.0, "forms": []any{}},
	})
	if err != nil {
		t.Fatal(err)
	}

	// The grid.
	out, err := Run(context.Background(), cfg, runner.Options{DataDir: data, OutDir: filepath.Join(dir, "results")})
	if err != nil {
		t.Fatal(err)
	}
	var models []string
	for _, c := range out.Results.Cells {
		models = append(models, c.Model)
		if c.CV.F1.Mean < 0.8 {
			t.Errorf("%s: CV F1 %.3f on separable hand-made packages", c.Model, c.CV.F1.Mean)
		}
	}
	if want := []string{toyName, "lr", experiments.ModelStacking}; !slices.Equal(models, want) {
		t.Fatalf("cells %v, want %v", models, want)
	}

	// A vetting model stacking it, saved and loaded.
	m, err := vetting.Train(context.Background(), cfg, vetting.TrainOptions{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Members, []string{toyName, "lr"}) || m.ScoreKind != vetting.ScoreProbability {
		t.Fatalf("model members %v, score kind %s", m.Members, m.ScoreKind)
	}
	path := filepath.Join(dir, "model.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := vetting.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(m *vetting.Model) []float64 {
		var scores []float64
		_, err := vetting.NewScanner(m, vetting.ScanOptions{}).Scan(context.Background(), []string{filepath.Join(data, "malicious"), filepath.Join(data, "benign")},
			func(r vetting.Result) error {
				scores = append(scores, r.Score)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return scores
	}
	before, after := scan(m), scan(loaded)
	if len(before) != 60 || !slices.Equal(before, after) {
		t.Errorf("scores of the loaded model differ (%d and %d packages)", len(before), len(after))
	}
}
