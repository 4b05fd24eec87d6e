package experiments

import (
	"slices"
	"strings"
	"testing"
)

func TestTrainConfig(t *testing.T) {
	c, err := LoadConfig("paper.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Model != ModelStacking || c.Train.Set != "all" || c.Train.Leaky || c.Train.TargetFPR != 0 || len(c.Train.Forms) != 0 {
		t.Errorf("default train section %+v", c.Train)
	}
	if err := c.ValidateTrain(); err != nil {
		t.Errorf("default train section: %v", err)
	}
	c, err = LoadConfig(writeConfig(t, "name: x\ntrain:\n  model: rf\n  set: code\n  leaky: true\n  target_fpr: 0.001\n  forms: [sdist, wheel]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc := c.Train; tc.Model != "rf" || tc.Set != "code" || !tc.Leaky || tc.TargetFPR != 0.001 || !slices.Equal(tc.Forms, []string{"sdist", "wheel"}) {
		t.Errorf("train section %+v", c.Train)
	}
	c, err = LoadConfig("", map[string]any{"train.model": "svm", "train.set": "text"})
	if err != nil || c.Train.Model != "svm" || c.Train.Set != "text" {
		t.Errorf("overrides: %+v, %v", c.Train, err)
	}
	// A config without an `all` set still runs, and trains on the default
	// `all` set.
	c, err = LoadConfig(writeConfig(t, "name: x\nfeature_sets:\n  - name: meta\n    families: [metadata]\nimportance:\n  set: meta\n"), nil)
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
		if _, err := LoadConfig(writeConfig(t, bad.body), nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error about %s", bad.body, err, bad.want)
		}
	}
	for _, bad := range []struct{ body, want string }{
		{"name: x\ntrain:\n  set: nope\n", `train.set "nope"`},
		{"name: x\ntrain:\n  model: intersection\nintersection: [rf]\n", "at least two models under intersection"},
		{"name: x\nmodels: [rf]\nimportance:\n  model: rf\ntrain:\n  set: text\n  model: stacking\nstacking: [rf, gbm]\n", "gbm"},
	} {
		c, err := LoadConfig(writeConfig(t, bad.body), nil)
		if err != nil {
			t.Fatalf("%q: %v", bad.body, err)
		}
		if err := c.ValidateTrain(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error about %s", bad.body, err, bad.want)
		}
	}
}
