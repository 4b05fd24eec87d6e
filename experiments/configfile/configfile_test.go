package configfile

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pypimal/experiments"
	"pypimal/featuresets"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the loader")

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func shipped(name string) string { return filepath.Join("..", name) }

// TestLoadGolden pins every shipped config, the defaults, the flags of
// `pypimal train` and the environment to the Config they load, as JSON.
// testdata/*.json was written by the loader that lived in experiments
// (LoadConfig, with viper.SetDefault maps) at commit 90ce5de, so this
// checks that moving it changed no value.
func TestLoadGolden(t *testing.T) {
	tests := []struct {
		name string
		path string
		over map[string]any
		env  map[string]string
	}{
		{name: "paper", path: shipped("paper.yaml")},
		{name: "ablation", path: shipped("ablation.yaml")},
		{name: "temporal", path: shipped("temporal.yaml")},
		{name: "vetting", path: shipped("vetting.yaml")},
		{name: "defaults"},
		{name: "paper-train-flags", path: shipped("paper.yaml"), over: map[string]any{
			"train.model": "lr", "train.set": "metadata+files", "train.leaky": true, "train.target_fpr": 0.01,
			"seed": int64(7), "workers": 2, "data": "", "budget.package": "1m0s", "budget.file": "2s"}},
		{name: "vetting-env", path: shipped("vetting.yaml"), env: map[string]string{
			"PYPIMAL_CV_K": "5", "PYPIMAL_TEXT_MIN_DF": "3", "PYPIMAL_SEED": "9", "PYPIMAL_BUDGET_FILE": "1s",
			"PYPIMAL_TRAIN_TARGET_FPR": "0.01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load(tc.path, tc.over)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("config differs from %s:\n%s", golden, got)
			}
		})
	}
}

// The typed defaults are the config an empty file loads.
func TestDefaultConfigIsEmptyFile(t *testing.T) {
	c, err := Load(writeConfig(t, "{}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := experiments.DefaultConfig()
	got, _ := json.Marshal(c)
	wantJSON, _ := json.Marshal(&want)
	// Train.Forms decodes as [] where the Go default leaves it nil.
	got = bytes.Replace(got, []byte(`"Forms":[]`), []byte(`"Forms":null`), 1)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("empty file loads\n%s\nwant DefaultConfig\n%s", got, wantJSON)
	}
	if err := want.Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, name := range []string{"paper.yaml", "ablation.yaml", "temporal.yaml", "vetting.yaml"} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(shipped(name), nil)
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
	c, err := Load(shipped("paper.yaml"), nil)
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
		{"bad repeats", "name: x\ncv:\n  repeats: 0\n", "cv.repeats"},
		{"bad min_df", "name: x\ntext:\n  min_df: 0\n", "text: min_df"},
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
			_, err := Load(writeConfig(t, tt.body), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := Load("/nonexistent/config.yaml", nil); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestConfigOverrides(t *testing.T) {
	t.Setenv("PYPIMAL_SEED", "7")
	t.Setenv("PYPIMAL_CV_K", "5")
	c, err := Load(shipped("paper.yaml"), map[string]any{"workers": 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 7 || c.CV.K != 5 || c.Workers != 1 {
		t.Errorf("seed %d, k %d, workers %d; want env and flag overrides 7, 5, 1", c.Seed, c.CV.K, c.Workers)
	}
	c, err = Load(shipped("paper.yaml"), map[string]any{"seed": 9})
	if err != nil || c.Seed != 9 {
		t.Errorf("flag should beat env: seed %d, err %v", c.Seed, err)
	}
}

// A file that sets one key of a section keeps the defaults of the others.
func TestSectionKeysMerge(t *testing.T) {
	c, err := Load(writeConfig(t, "name: x\ntext:\n  min_df: 3\nbaselines:\n  split: train+test\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != (experiments.Text{MinDF: 3, MaxFeatures: 500}) {
		t.Errorf("text %+v", c.Text)
	}
	if b := c.Baselines; b.Split != "train+test" || !b.Bandit || b.BanditTimeout != "120s" {
		t.Errorf("baselines %+v", b)
	}
}

func TestTrainConfig(t *testing.T) {
	c, err := Load(shipped("paper.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Model != experiments.ModelStacking || c.Train.Set != "all" || c.Train.Leaky || c.Train.TargetFPR != 0 || len(c.Train.Forms) != 0 {
		t.Errorf("default train section %+v", c.Train)
	}
	if err := c.ValidateTrain(); err != nil {
		t.Errorf("default train section: %v", err)
	}
	c, err = Load(writeConfig(t, "name: x\ntrain:\n  model: rf\n  set: code\n  leaky: true\n  target_fpr: 0.001\n  forms: [sdist, wheel]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc := c.Train; tc.Model != "rf" || tc.Set != "code" || !tc.Leaky || tc.TargetFPR != 0.001 || !slices.Equal(tc.Forms, []string{"sdist", "wheel"}) {
		t.Errorf("train section %+v", c.Train)
	}
	c, err = Load("", map[string]any{"train.model": "svm", "train.set": "text"})
	if err != nil || c.Train.Model != "svm" || c.Train.Set != "text" {
		t.Errorf("overrides: %+v, %v", c.Train, err)
	}
	// A config without an `all` set still runs, and trains on the default
	// `all` set.
	c, err = Load(writeConfig(t, "name: x\nfeature_sets:\n  - name: meta\n    families: [metadata]\nimportance:\n  set: meta\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.TrainSet(); err != nil || s.Name != "all" || len(s.Families) != 5 {
		t.Errorf("train set %+v, %v", s, err)
	}

	for _, bad := range []struct{ body, want string }{
		{"name: x\ntrain:\n  model: xgb\n", "train.model"},
		{"name: x\ntrain:\n  target_fpr: 1\n", "train.target_fpr"},
		{"name: x\ntrain:\n  target_fpr: -0.1\n", "train.target_fpr"},
		{"name: x\ntrain:\n  modle: rf\n", "modle"},
		{"name: x\ntrain:\n  forms: [egg]\n", "train.forms"},
	} {
		if _, err := Load(writeConfig(t, bad.body), nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error about %s", bad.body, err, bad.want)
		}
	}
	for _, bad := range []struct{ body, want string }{
		{"name: x\ntrain:\n  set: nope\n", `train.set "nope"`},
		{"name: x\ntrain:\n  model: intersection\nintersection: [rf]\n", "at least two models under intersection"},
		{"name: x\nmodels: [rf]\nimportance:\n  model: rf\ntrain:\n  set: text\n  model: stacking\nstacking: [rf, gbm]\n", "gbm"},
	} {
		c, err := Load(writeConfig(t, bad.body), nil)
		if err != nil {
			t.Fatalf("%q: %v", bad.body, err)
		}
		if err := c.ValidateTrain(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error about %s", bad.body, err, bad.want)
		}
	}
}

func TestBudgetConfig(t *testing.T) {
	tests := []struct {
		name string
		over map[string]any
		want featuresets.Budget
		err  string
	}{
		{"defaults", nil, featuresets.Budget{Package: featuresets.DefaultPackageBudget, File: featuresets.DefaultFileBudget}, ""},
		{"set", map[string]any{"budget.package": "2m", "budget.file": "500ms"}, featuresets.Budget{Package: 2 * time.Minute, File: 500 * time.Millisecond}, ""},
		{"zero is none", map[string]any{"budget.package": "0s", "budget.file": "0"}, featuresets.Budget{Package: -1, File: -1}, ""},
		{"bad", map[string]any{"budget.file": "soon"}, featuresets.Budget{}, `budget.file "soon": want a duration`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load("", tc.over)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Budget.Value()
			if err != nil || got != tc.want {
				t.Errorf("budget %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
