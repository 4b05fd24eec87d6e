package classifiers

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// ScoreKind says what a pipeline's score is, and so where its default
// decision threshold lies.
type ScoreKind string

const (
	ScoreProbability ScoreKind = "probability" // P(malicious) in [0, 1]
	ScoreDecision    ScoreKind = "decision"    // a decision value (SVM); larger is more malicious
	ScoreVote        ScoreKind = "vote"        // 1 when every intersection member flags the row, else 0
)

// Threshold is the score a row must strictly exceed to be malicious, as
// scikit-learn's predict: 0.5 for probabilities (a 0.5/0.5 tie goes to
// the benign class) and votes, 0 for decision values.
func (k ScoreKind) Threshold() float64 {
	if k == ScoreDecision {
		return 0
	}
	return 0.5
}

// Options are the settings a model may be built with; each is allowed only
// when the model declares the capability.
type Options struct {
	ClassWeight ClassWeight // Model.ClassWeights
	Float32     bool        // Model.Float32
}

// Model registers one classifier: its name, what it can do, what its score
// is and how to build it. Its stored form is the classifier's exported
// fields as JSON, tagged with Name; the classifier type implements Stored.
type Model struct {
	Name         string    // the name in configs, and the type tag of stored models
	Score        ScoreKind // ScoreProbability or ScoreDecision
	Scale        bool      // its pipeline standardises columns first
	ClassWeights bool      // it accepts Options.ClassWeight
	Float32      bool      // it accepts Options.Float32 (computing in single precision)
	// New builds an unfitted classifier; seed drives every random choice.
	New func(opt Options, seed int64) Stored
}

// Stored is a classifier that can be saved and restored: its fitted state
// is its exported fields, written as JSON.
type Stored interface {
	Classifier
	// Columns is the number of columns the fitted classifier takes; 0
	// before Fit.
	Columns() int
	// Validate checks restored fitted state (Columns() > 0), so that a
	// damaged or hand-edited file fails on load rather than panicking,
	// or never returning, in Predict.
	Validate() error
}

// registered is a Model with the pointer type its New returns, which
// stored models decode into.
type registered struct {
	Model
	typ reflect.Type
}

var models = struct {
	sync.RWMutex
	byName map[string]registered
	byType map[reflect.Type]string
}{byName: map[string]registered{}, byType: map[reflect.Type]string{}}

// Register adds a model. Each model file registers its model in an init
// function; tests may register toy models. It panics on an empty or
// repeated name, a repeated classifier type, or a missing constructor:
// those are programming errors, found when the program starts.
func Register(m Model) {
	if m.Name == "" || m.New == nil {
		panic("classifiers: Register: a model needs a name and a constructor")
	}
	switch m.Score {
	case ScoreProbability, ScoreDecision:
	default:
		panic(fmt.Sprintf("classifiers: Register %s: score kind %q (want probability or decision)", m.Name, m.Score))
	}
	typ := reflect.TypeOf(m.New(Options{}, 0))
	if typ == nil || typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("classifiers: Register %s: New must return a pointer to a struct", m.Name))
	}
	models.Lock()
	defer models.Unlock()
	if _, dup := models.byName[m.Name]; dup {
		panic(fmt.Sprintf("classifiers: Register: model %q registered twice", m.Name))
	}
	if other, dup := models.byType[typ]; dup {
		panic(fmt.Sprintf("classifiers: Register %s: type %v is already model %q", m.Name, typ, other))
	}
	models.byName[m.Name] = registered{m, typ}
	models.byType[typ] = m.Name
}

// ModelNames lists the registered models, sorted.
func ModelNames() []string {
	models.RLock()
	defer models.RUnlock()
	return slices.Sorted(maps.Keys(models.byName))
}

// Lookup returns the registered model of that name.
func Lookup(name string) (Model, error) {
	r, err := lookup(name)
	return r.Model, err
}

func lookup(name string) (registered, error) {
	models.RLock()
	r, ok := models.byName[name]
	models.RUnlock()
	if !ok {
		return registered{}, fmt.Errorf("classifiers: unknown model %q (known: %s)", name, strings.Join(ModelNames(), ", "))
	}
	return r, nil
}

// encodeClassifier stores a fitted classifier under its model's name.
func encodeClassifier(c Classifier) (tagged, error) {
	models.RLock()
	name, ok := models.byType[reflect.TypeOf(c)]
	models.RUnlock()
	s, stored := c.(Stored)
	if !ok || !stored {
		return tagged{}, fmt.Errorf("unsupported classifier type %T", c)
	}
	if s.Columns() == 0 {
		return tagged{}, fmt.Errorf("%s: %w", name, ErrNotFitted)
	}
	return tag(name, c)
}

// decodeClassifier restores a classifier stored by encodeClassifier,
// strictly (unknown fields are errors) and validated.
func decodeClassifier(t tagged) (Classifier, error) {
	if t.Type == "" {
		return nil, fmt.Errorf("%w: classifier without a type tag", ErrPipelineFormat)
	}
	r, err := lookup(t.Type)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown classifier type %q (known: %s)", ErrPipelineFormat, t.Type, strings.Join(ModelNames(), ", "))
	}
	// A zero value of the model's type, as the file holds all fitted state.
	c := reflect.New(r.typ.Elem()).Interface().(Stored)
	if err := decode(t.Value, c); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrPipelineFormat, t.Type, err)
	}
	if c.Columns() <= 0 {
		return nil, fmt.Errorf("%w: %s: %v", ErrPipelineFormat, t.Type, ErrNotFitted)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrPipelineFormat, t.Type, err)
	}
	return c, nil
}

// ModelSpec is a registered model with the options it is built with.
type ModelSpec struct {
	Name      string
	Scale     bool      // whether the pipeline standardises columns first
	Score     ScoreKind // what New's classifiers score
	Threshold float64   // malicious when score > Threshold: Score.Threshold()
	Options   Options
	New       Factory // builds the model with Options

	model Model
}

// ByName returns the spec of a registered model with default options.
func ByName(name string) (ModelSpec, error) {
	m, err := Lookup(name)
	if err != nil {
		return ModelSpec{}, err
	}
	return specOf(m, Options{}), nil
}

func specOf(m Model, opt Options) ModelSpec {
	return ModelSpec{Name: m.Name, Scale: m.Scale, Score: m.Score, Threshold: m.Score.Threshold(), Options: opt,
		New: func(seed int64) Classifier { return m.New(opt, seed) }, model: m}
}

// Malicious reports whether score means malicious under this model's
// threshold: score > Threshold.
func (s ModelSpec) Malicious(score float64) bool { return score > s.Threshold }

// SupportsClassWeight reports whether WithClassWeight accepts this model.
func (s ModelSpec) SupportsClassWeight() bool { return s.model.ClassWeights }

// WithClassWeight returns the spec with the model built with class weighting
// cw (ClassWeightBalanced, or ClassWeightNone for the default). It fails for
// models that have no class weights (mlp, nb) unless cw is ClassWeightNone.
func (s ModelSpec) WithClassWeight(cw ClassWeight) (ModelSpec, error) {
	if err := cw.check(); err != nil {
		return ModelSpec{}, fmt.Errorf("classifiers: %s: %w", s.Name, err)
	}
	if !s.model.ClassWeights {
		if cw == ClassWeightNone {
			return s, nil
		}
		return ModelSpec{}, fmt.Errorf("classifiers: %s has no class_weight option", s.Name)
	}
	opt := s.Options
	opt.ClassWeight = cw
	return specOf(s.model, opt), nil
}

// SupportsFloat32 reports whether WithFloat32 accepts this model.
func (s ModelSpec) SupportsFloat32() bool { return s.model.Float32 }

// WithFloat32 returns the spec with its model trained and applied in
// single precision (as scikit-learn's MLPClassifier on float32 input).
func (s ModelSpec) WithFloat32() (ModelSpec, error) {
	if !s.model.Float32 {
		return ModelSpec{}, fmt.Errorf("classifiers: %s has no float32 option", s.Name)
	}
	opt := s.Options
	opt.Float32 = true
	return specOf(s.model, opt), nil
}

// Pipeline returns a factory for pipelines around this model.
func (s ModelSpec) Pipeline(text VectoriserParams) PipelineFactory {
	// What the pipelines' fit fingerprints name besides data and seed:
	// the model, its options and the text settings.
	b, _ := json.Marshal(struct {
		Name    string
		Scale   bool
		Options Options
		Text    VectoriserParams
	}{s.Name, s.Scale, s.Options, text})
	key := string(b)
	return func(seed int64) Pipeline {
		p := NewPipeline(s.New, s.Scale, text, seed)
		p.spec = key
		return p
	}
}

// PipelineByName is ByName(name).Pipeline(text).
func PipelineByName(name string, text VectoriserParams) (PipelineFactory, error) {
	s, err := ByName(name)
	if err != nil {
		return nil, err
	}
	return s.Pipeline(text), nil
}
