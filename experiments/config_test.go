package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/dataset"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, name := range []string{"paper.yaml", "ablation.yaml", "temporal.yaml", "vetting.yaml"} {
		t.Run(name, func(t *testing.T) {
			c, err := LoadConfig(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.ValidateTrain(); err != nil {
				t.Error(err)
			}
			if c.Name+".yaml" != name {
				t.Errorf("name %q", c.Name)
			}
			if len(c.FeatureSets) == 0 || len(c.Models) == 0 || c.CV.K != 10 {
				t.Errorf("incomplete config: %+v", c)
			}
		})
	}
	c, err := LoadConfig("paper.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.FeatureSets) != 8 || len(c.Models) != 7 || len(c.Leaky) != 2 || c.Seed != 42 {
		t.Errorf("paper config: %d sets, %d models, leaky %v, seed %d", len(c.FeatureSets), len(c.Models), c.Leaky, c.Seed)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"unknown key", "name: x\nmodles: [rf]\n", "modles"},
		{"unknown nested key", "name: x\ncv:\n  kk: 3\n", "kk"},
		{"unknown model", "name: x\nmodels: [rf, xgboost]\n", "xgboost"},
		{"unknown stacking base", "name: x\nstacking: [rf, catboost]\n", "catboost"},
		{"empty feature set", "name: x\nfeature_sets:\n  - name: nothing\n", "selects no feature"},
		{"unknown family", "name: x\nfeature_sets:\n  - name: s\n    families: [vibes]\n", "vibes"},
		{"unknown feature", "name: x\nfeature_sets:\n  - name: s\n    features: [meta_nope]\n", "meta_nope"},
		{"missing dataset folder", "name: x\ndata: /nonexistent/pypimal-data\n", "no manifest.csv"},
		{"bad k", "name: x\ncv:\n  k: 1\n", "cv.k"},
		{"bad class weight", "name: x\nclass_weight: heavy\n", "class_weight"},
		{"bad mlp dtype", "name: x\nmlp_dtype: float16\n", "mlp_dtype"},
		{"bad date", "name: x\nsplit:\n  train:\n    - added_before: 2024\n", "YYYY-MM-DD"},
		{"bad label", "name: x\nsplit:\n  train:\n    - label: evil\n", "label"},
		{"no training selector", "name: x\nsplit:\n  train: []\n", "split.train"},
		{"importance model not run", "name: x\nmodels: [rf]\nimportance:\n  model: svm\n", "importance.model"},
		{"bad name", "name: ../x\n", "name"},
		{"not yaml", "name: [x\n", "c.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.body), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := LoadConfig("/nonexistent/config.yaml", nil); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestConfigOverrides(t *testing.T) {
	t.Setenv("PYPIMAL_SEED", "7")
	t.Setenv("PYPIMAL_CV_K", "5")
	c, err := LoadConfig("paper.yaml", map[string]any{"workers": 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 7 || c.CV.K != 5 || c.Workers != 1 {
		t.Errorf("seed %d, k %d, workers %d; want env and flag overrides 7, 5, 1", c.Seed, c.CV.K, c.Workers)
	}
	c, err = LoadConfig("paper.yaml", map[string]any{"seed": 9})
	if err != nil || c.Seed != 9 {
		t.Errorf("flag should beat env: seed %d, err %v", c.Seed, err)
	}
}

func TestSplitSides(t *testing.T) {
	rows := []dataset.Row{
		{ID: "m1", Label: dataset.Malicious, PaperSplit: "train", Added: "2023-03-01"},
		{ID: "m2", Label: dataset.Malicious, PaperSplit: "pool", Added: "2023-12-31"},
		{ID: "m3", Label: dataset.Malicious, PaperSplit: "test", Added: "2024-05-02"},
		{ID: "m4", Label: dataset.Malicious, PaperSplit: "pool", Added: "2025-01-01"},
		{ID: "m5", Label: dataset.Malicious, PaperSplit: "pool"},
		{ID: "b1", Label: dataset.Benign, PaperSplit: "train"},
		{ID: "b2", Label: dataset.Benign, PaperSplit: "test"},
	}
	ids := func(rs []dataset.Row) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}
	temporal, err := LoadConfig("temporal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := temporal.Split.Sides(rows)
	if err != nil {
		t.Fatal(err)
	}
	if ids(train) != "m1,m2,b1" || ids(test) != "m3,m4,b2" {
		t.Errorf("temporal: train %s, test %s", ids(train), ids(test))
	}
	paper, _ := LoadConfig("paper.yaml", nil)
	train, test, _ = paper.Split.Sides(rows)
	if ids(train) != "m1,b1" || ids(test) != "m3,b2" {
		t.Errorf("paper: train %s, test %s", ids(train), ids(test))
	}
	overlap := Split{Train: []Selector{{Label: dataset.Malicious}}, Test: []Selector{{PaperSplit: []string{"test"}}}}
	if _, _, err := overlap.Sides(rows); err == nil || !strings.Contains(err.Error(), "m3") {
		t.Errorf("overlapping split: err = %v", err)
	}
}
