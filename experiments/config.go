package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"pypimal/classifiers"
	"pypimal/dataset"
	"pypimal/featuresets"
)

// Config is one experiment: DefaultConfig overridden by a YAML file
// (experiments/*.yaml), the PYPIMAL_* environment and flags, in increasing
// priority (package configfile loads it). Every key is documented in the
// README.
type Config struct {
	Name    string `mapstructure:"name" yaml:"name"`       // results go to <output>/<name>
	Data    string `mapstructure:"data" yaml:"data"`       // dataset folder; "" = ../shared/data beside the repository
	Output  string `mapstructure:"output" yaml:"output"`   // results folder; "" = results/ in the repository
	Cache   string `mapstructure:"cache" yaml:"cache"`     // feature cache folder; "" = cache/ in the repository; "off" disables it
	Seed    int64  `mapstructure:"seed" yaml:"seed"`       // every random choice derives from it
	Workers int    `mapstructure:"workers" yaml:"workers"` // parallel workers; 0 = number of CPUs

	Split       Split             `mapstructure:"split" yaml:"split"`
	FeatureSets []featuresets.Set `mapstructure:"feature_sets" yaml:"feature_sets"` // empty = the eight default sets
	// Leaky lists the variants run: false = without leaky features (the
	// headline), true = with them.
	Leaky        []bool   `mapstructure:"leaky" yaml:"leaky"`
	Models       []string `mapstructure:"models" yaml:"models"`             // rf dt svm mlp nb lr stacking intersection
	ClassWeight  string   `mapstructure:"class_weight" yaml:"class_weight"` // "" (none) or balanced
	MLPDtype     string   `mapstructure:"mlp_dtype" yaml:"mlp_dtype"`       // float32 (default: twice as fast) or float64 (scikit-learn's default)
	Stacking     []string `mapstructure:"stacking" yaml:"stacking"`         // base models of the stacking ensemble
	Intersection []string `mapstructure:"intersection" yaml:"intersection"` // the models that must all agree
	Text         Text     `mapstructure:"text" yaml:"text"`
	CV           CV       `mapstructure:"cv" yaml:"cv"`

	Importance ImportanceConfig `mapstructure:"importance" yaml:"importance"`
	FormShift  FormShiftConfig  `mapstructure:"form_shift" yaml:"form_shift"`
	Baselines  BaselinesConfig  `mapstructure:"baselines" yaml:"baselines"`
	Train      TrainConfig      `mapstructure:"train" yaml:"train"` // what `pypimal train` fits; `run` ignores it
	Budget     BudgetConfig     `mapstructure:"budget" yaml:"budget"`
}

// BudgetConfig bounds the time of each package's feature extraction (Go
// durations; 0 means no limit). A package over budget.package is a
// per-package error (reason "budget") and the others go on; a .py file
// over budget.file is analysed by the linear fallback.
type BudgetConfig struct {
	Package string `mapstructure:"package" yaml:"package"` // default 30s
	File    string `mapstructure:"file" yaml:"file"`       // default 5s
}

// Value returns the budgets for featuresets (a 0 duration becomes "none").
func (b BudgetConfig) Value() (featuresets.Budget, error) {
	var out featuresets.Budget
	for _, x := range []struct {
		key string
		s   string
		d   *time.Duration
	}{{"budget.package", b.Package, &out.Package}, {"budget.file", b.File, &out.File}} {
		d, err := featuresets.ParseBudget(x.s)
		if err != nil {
			return featuresets.Budget{}, fmt.Errorf("%s %w", x.key, err)
		}
		*x.d = d
	}
	return out, nil
}

// Split chooses the training and test rows. Each side is a list of
// selectors; a row belongs to the side when any selector matches it.
type Split struct {
	Train []Selector `mapstructure:"train" yaml:"train"`
	Test  []Selector `mapstructure:"test" yaml:"test"` // empty: cross-validation only
}

// Selector matches manifest rows: every given condition must hold.
type Selector struct {
	Label       string   `mapstructure:"label" yaml:"label,omitempty"`               // malicious or benign; "" = both
	PaperSplit  []string `mapstructure:"paper_split" yaml:"paper_split,omitempty"`   // train, test, pool, realform; empty = any
	AddedBefore string   `mapstructure:"added_before" yaml:"added_before,omitempty"` // YYYY-MM-DD, exclusive; rows without a date do not match
	AddedFrom   string   `mapstructure:"added_from" yaml:"added_from,omitempty"`     // YYYY-MM-DD, inclusive; rows without a date do not match
}

// Text tunes the vectoriser of the text family, fitted per training fold.
type Text struct {
	MinDF       int  `mapstructure:"min_df" yaml:"min_df"`
	MaxFeatures int  `mapstructure:"max_features" yaml:"max_features"`
	RankByCount bool `mapstructure:"rank_by_count" yaml:"rank_by_count"`
}

// CV is the cross-validation protocol on the training rows.
type CV struct {
	K       int  `mapstructure:"k" yaml:"k"`
	Repeats int  `mapstructure:"repeats" yaml:"repeats"`
	Group   bool `mapstructure:"group" yaml:"group"` // never split a malware cluster across folds
}

// ImportanceConfig tunes permutation importance.
type ImportanceConfig struct {
	Enabled bool   `mapstructure:"enabled" yaml:"enabled"`
	Model   string `mapstructure:"model" yaml:"model"`
	Set     string `mapstructure:"set" yaml:"set"`
	Leaky   bool   `mapstructure:"leaky" yaml:"leaky"`
	Repeats int    `mapstructure:"repeats" yaml:"repeats"`
}

// FormShiftConfig turns on the form-shift measurement: every test-fitted
// model also scores the benign test rows re-packed as sdists and as wheels
// (dataset/repack), and the real published PyPI files (realform rows
// outside the split), and the report gives its false-positive rate on
// each form.
type FormShiftConfig struct {
	Enabled bool `mapstructure:"enabled" yaml:"enabled"`
}

// BaselinesConfig turns on the bandit/packj comparison.
type BaselinesConfig struct {
	Enabled       bool   `mapstructure:"enabled" yaml:"enabled"`
	Bandit        bool   `mapstructure:"bandit" yaml:"bandit"`
	BanditTimeout string `mapstructure:"bandit_timeout" yaml:"bandit_timeout"` // Go duration, e.g. 60s
	Packj         string `mapstructure:"packj" yaml:"packj"`                   // packj-static.jsonl; "" = ../shared/baselines/packj/packj-static.jsonl
	PackjReports  string `mapstructure:"packj_reports" yaml:"packj_reports"`   // folder of live packj JSON reports (optional)
	Split         string `mapstructure:"split" yaml:"split"`                   // rows to run on: test (default) or train+test
}

// TrainConfig is the model `pypimal train` fits on the training rows and
// saves for `pypimal scan`; its flags override these keys.
type TrainConfig struct {
	Model string `mapstructure:"model" yaml:"model"` // rf dt svm mlp nb lr stacking intersection
	Set   string `mapstructure:"set" yaml:"set"`     // a feature set of this config
	Leaky bool   `mapstructure:"leaky" yaml:"leaky"` // include leaky features
	// TargetFPR, when > 0, sets the decision threshold to the lowest one
	// whose out-of-fold false-positive rate is at most this; 0 maximises
	// the out-of-fold F1 instead.
	TargetFPR float64 `mapstructure:"target_fpr" yaml:"target_fpr"`
	// Forms lists packaging forms (sdist, wheel) into which the benign
	// installed-form training rows are re-packed for the threshold: their
	// out-of-fold scores join the benign ones, so the threshold holds
	// whichever form a package arrives in. Empty: the rows as they are.
	Forms []string `mapstructure:"forms" yaml:"forms"`
}

// RepackSeed seeds the re-packed forms of the form-shift measurement and of
// train.forms, so `run` and `train` re-pack a package alike.
func (c *Config) RepackSeed() int64 { return DeriveSeed(c.Seed, 1) }

// Models the runner knows besides the classifiers registry.
const (
	ModelStacking     = "stacking"
	ModelIntersection = "intersection"
)

// DefaultConfig returns the paper experiment's settings: what a config
// file, the environment and flags override key by key.
func DefaultConfig() Config {
	return Config{
		Name: "paper",
		Seed: 42,
		Split: Split{
			Train: []Selector{{PaperSplit: []string{"train"}}},
			Test:  []Selector{{PaperSplit: []string{"test"}}},
		},
		FeatureSets:  featuresets.DefaultSets(),
		Leaky:        []bool{false, true},
		Models:       []string{"rf", "dt", "svm", "mlp", "nb", "lr", ModelStacking},
		MLPDtype:     MLPFloat32,
		Stacking:     []string{"rf", "dt", "svm", "mlp", "nb", "lr"},
		Intersection: []string{"rf", "svm", "mlp"},
		Text:         Text{MinDF: 2, MaxFeatures: 500},
		CV:           CV{K: 10, Repeats: 1},
		Importance:   ImportanceConfig{Enabled: true, Model: ModelStacking, Set: "all", Repeats: 5},
		FormShift:    FormShiftConfig{Enabled: true},
		Baselines:    BaselinesConfig{Bandit: true, BanditTimeout: "120s", Split: "test"},
		Train:        TrainConfig{Model: ModelStacking, Set: "all"},
		Budget:       BudgetConfig{Package: featuresets.DefaultPackageBudget.String(), File: featuresets.DefaultFileBudget.String()},
	}
}

// Validate checks the config before any work starts.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if strings.TrimSpace(c.Name) == "" || strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		bad("name %q: want a plain folder name", c.Name)
	}
	if c.Data != "" {
		if st, err := os.Stat(filepath.Join(c.Data, "manifest.csv")); err != nil || st.IsDir() {
			bad("data %q: no manifest.csv there", c.Data)
		}
	}
	if c.Workers < 0 {
		bad("workers %d: must be ≥ 0", c.Workers)
	}
	if _, err := c.Budget.Value(); err != nil {
		bad("%v", err)
	}
	if err := c.Split.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Leaky) == 0 {
		bad("leaky: list at least one variant (false, true)")
	}
	seenSet := map[string]bool{}
	for _, s := range c.FeatureSets {
		if seenSet[s.Name] {
			bad("feature set %q defined twice", s.Name)
		}
		seenSet[s.Name] = true
		for _, leaky := range []bool{false, true} {
			if _, err := s.Resolve(featuresets.Catalogue(), leaky); err != nil {
				bad("%v", err)
				break
			}
		}
	}
	if len(c.Models) == 0 {
		bad("models: none listed")
	}
	switch cw := classifiers.ClassWeight(c.ClassWeight); cw {
	case classifiers.ClassWeightNone, classifiers.ClassWeightBalanced:
	default:
		bad("class_weight %q: want \"\" (none) or balanced", c.ClassWeight)
	}
	switch c.MLPDtype {
	case MLPFloat64, MLPFloat32:
	default:
		bad("mlp_dtype %q: want %s or %s", c.MLPDtype, MLPFloat64, MLPFloat32)
	}
	for _, m := range c.Models {
		switch m {
		case ModelStacking, ModelIntersection:
			continue
		}
		if _, err := c.Spec(m); err != nil {
			bad("models: %v", err)
		}
	}
	if slices.Contains(c.Models, ModelStacking) {
		if len(c.Stacking) < 2 {
			bad("stacking: list at least two base models")
		}
		for _, m := range c.Stacking {
			if _, err := c.Spec(m); err != nil {
				bad("stacking: %v", err)
			}
		}
	}
	if slices.Contains(c.Models, ModelIntersection) {
		if len(c.Intersection) < 2 {
			bad("intersection: list at least two models")
		}
		for _, m := range c.Intersection {
			if _, err := c.Spec(m); err != nil {
				bad("intersection: %v", err)
			}
		}
	}
	if err := c.VectoriserParams().Validate(); err != nil {
		bad("text: %v", err)
	}
	if err := c.CV.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Importance.Enabled {
		if !slices.Contains(c.Models, c.Importance.Model) {
			bad("importance.model %q is not among models %v", c.Importance.Model, c.Models)
		}
		if !seenSet[c.Importance.Set] {
			bad("importance.set %q is not a feature set of this config", c.Importance.Set)
		}
		if !slices.Contains(c.Leaky, c.Importance.Leaky) {
			bad("importance.leaky %v is not among the leaky variants run %v", c.Importance.Leaky, c.Leaky)
		}
		if c.Importance.Repeats < 1 {
			bad("importance.repeats %d: must be ≥ 1", c.Importance.Repeats)
		}
	}
	// Only what `run` could trip over is checked here; ValidateTrain
	// checks the rest when a model is trained.
	switch m := c.Train.Model; m {
	case ModelStacking, ModelIntersection:
	default:
		if _, err := classifiers.ByName(m); err != nil {
			bad("train.model: %v", err)
		}
	}
	if !(c.Train.TargetFPR >= 0 && c.Train.TargetFPR < 1) {
		bad("train.target_fpr %v: want 0 (maximise F1) or a rate in (0, 1)", c.Train.TargetFPR)
	}
	for _, f := range c.Train.Forms {
		if f != featuresets.FormSdist && f != featuresets.FormWheel {
			bad("train.forms: unknown form %q (want %s or %s)", f, featuresets.FormSdist, featuresets.FormWheel)
		}
	}
	if c.Baselines.Enabled {
		switch c.Baselines.Split {
		case "test", "train+test":
		default:
			bad("baselines.split %q: want test or train+test", c.Baselines.Split)
		}
	}
	return errors.Join(errs...)
}

// Validate checks that the split has training selectors and that every
// selector is well formed.
func (sp Split) Validate() error {
	var errs []error
	if len(sp.Train) == 0 {
		errs = append(errs, errors.New("split.train: no selector"))
	}
	for side, sels := range map[string][]Selector{"train": sp.Train, "test": sp.Test} {
		for i, s := range sels {
			if err := s.validate(); err != nil {
				errs = append(errs, fmt.Errorf("split.%s[%d]: %w", side, i, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks the cross-validation protocol.
func (cv CV) Validate() error {
	var errs []error
	if cv.K < 2 {
		errs = append(errs, fmt.Errorf("cv.k %d: must be ≥ 2", cv.K))
	}
	if cv.Repeats < 1 {
		errs = append(errs, fmt.Errorf("cv.repeats %d: must be ≥ 1", cv.Repeats))
	}
	return errors.Join(errs...)
}

func (s Selector) validate() error {
	switch s.Label {
	case "", dataset.Malicious, dataset.Benign:
	default:
		return fmt.Errorf("label %q: want malicious or benign", s.Label)
	}
	for _, p := range s.PaperSplit {
		switch p {
		case "train", "test", "pool", "realform":
		default:
			return fmt.Errorf("paper_split %q: want train, test, pool or realform", p)
		}
	}
	for _, d := range []string{s.AddedBefore, s.AddedFrom} {
		if d != "" && !isDate(d) {
			return fmt.Errorf("date %q: want YYYY-MM-DD", d)
		}
	}
	return nil
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, r := range s {
		if i != 4 && i != 7 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Match reports whether row r is selected.
func (s Selector) Match(r dataset.Row) bool {
	if s.Label != "" && r.Label != s.Label {
		return false
	}
	if len(s.PaperSplit) > 0 && !slices.Contains(s.PaperSplit, r.PaperSplit) {
		return false
	}
	// Dates are YYYY-MM-DD, so string order is date order.
	if s.AddedBefore != "" && (r.Added == "" || r.Added >= s.AddedBefore) {
		return false
	}
	if s.AddedFrom != "" && (r.Added == "" || r.Added < s.AddedFrom) {
		return false
	}
	return true
}

func matchAny(sels []Selector, r dataset.Row) bool {
	for _, s := range sels {
		if s.Match(r) {
			return true
		}
	}
	return false
}

// Sides splits manifest rows into training and test rows, in manifest
// order. A row selected by both sides is an error: it would be tested on
// a model that saw it.
func (sp Split) Sides(rows []dataset.Row) (train, test []dataset.Row, err error) {
	for _, r := range rows {
		inTrain, inTest := matchAny(sp.Train, r), matchAny(sp.Test, r)
		switch {
		case inTrain && inTest:
			return nil, nil, fmt.Errorf("split: row %s is selected for both train and test", r.ID)
		case inTrain:
			train = append(train, r)
		case inTest:
			test = append(test, r)
		}
	}
	if len(train) == 0 {
		return nil, nil, fmt.Errorf("split: no training rows selected")
	}
	return train, test, nil
}

// FeatureSet returns the config's feature set with this name.
func (c *Config) FeatureSet(name string) (featuresets.Set, bool) {
	for _, s := range c.FeatureSets {
		if s.Name == name {
			return s, true
		}
	}
	return featuresets.Set{}, false
}

// TrainSet returns the feature set named by train.set: one of the
// config's feature sets, or else one of the default sets.
func (c *Config) TrainSet() (featuresets.Set, error) {
	if s, ok := c.FeatureSet(c.Train.Set); ok {
		return s, nil
	}
	for _, s := range featuresets.DefaultSets() {
		if s.Name == c.Train.Set {
			return s, nil
		}
	}
	return featuresets.Set{}, fmt.Errorf("train.set %q is neither a feature set of this config nor a default set", c.Train.Set)
}

// ValidateTrain checks the train section against the rest of the config:
// the feature set exists and selects something, and a stacking or
// intersection model has at least two valid members.
func (c *Config) ValidateTrain() error {
	var errs []error
	set, err := c.TrainSet()
	if err != nil {
		errs = append(errs, err)
	} else if _, err := set.Resolve(featuresets.Catalogue(), c.Train.Leaky); err != nil {
		errs = append(errs, fmt.Errorf("train.set: %w", err))
	}
	switch m := c.Train.Model; m {
	case ModelStacking, ModelIntersection:
		members := c.Stacking
		if m == ModelIntersection {
			members = c.Intersection
		}
		if len(members) < 2 {
			errs = append(errs, fmt.Errorf("train.model %s: list at least two models under %s", m, m))
		}
		for _, b := range members {
			if _, err := c.Spec(b); err != nil {
				errs = append(errs, fmt.Errorf("train.model %s: %w", m, err))
			}
		}
	default:
		if _, err := c.Spec(m); err != nil {
			errs = append(errs, fmt.Errorf("train.model: %w", err))
		}
	}
	return errors.Join(errs...)
}

// The values of mlp_dtype.
const (
	MLPFloat64 = "float64"
	MLPFloat32 = "float32"
)

// Spec returns a registered model with the config's class weight and, for
// the mlp, its dtype; models without class weights (mlp, nb) keep their
// default.
func (c *Config) Spec(name string) (classifiers.ModelSpec, error) {
	s, err := classifiers.ByName(name)
	if err != nil {
		return s, err
	}
	if c.MLPDtype == MLPFloat32 && s.SupportsFloat32() {
		if s, err = s.WithFloat32(); err != nil {
			return s, err
		}
	}
	cw := classifiers.ClassWeight(c.ClassWeight)
	if cw == classifiers.ClassWeightNone || !s.SupportsClassWeight() {
		return s, nil
	}
	return s.WithClassWeight(cw)
}

// VectoriserParams returns the text settings for classifiers.
func (c *Config) VectoriserParams() classifiers.VectoriserParams {
	return classifiers.VectoriserParams{MinDF: c.Text.MinDF, MaxFeatures: c.Text.MaxFeatures, RankByCount: c.Text.RankByCount}
}
