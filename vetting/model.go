// Package vetting turns pypimal into a package-vetting tool: Train fits one
// model on the training rows of an experiment config and chooses its
// decision threshold on out-of-fold scores; the Model is saved as one JSON
// file; a Scanner loads packages (sdists, wheels, .debs, unpacked folders,
// folders of archives), scores them with the model and explains each
// verdict with the features that pushed the score most and the risky call
// sites found in the code.
package vetting

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"

	"pypimal/classifiers"
	"pypimal/featuresets"
)

// FormatVersion is the version of the model file. Load reads this version
// only; change it whenever a field changes meaning.
const FormatVersion = 1

// fileKind marks a pypimal model file, so that other JSON is told apart
// from a model of another version.
const fileKind = "pypimal-model"

// ErrModelFile is wrapped by every error Load and Decode return for a file
// that is not a usable model for this binary.
var ErrModelFile = errors.New("unusable model file")

// Threshold choice methods.
const (
	MethodMaxF1     = "max-f1"     // the threshold with the highest out-of-fold F1
	MethodTargetFPR = "target-fpr" // the lowest threshold whose out-of-fold FPR is at most the target
)

// Score kinds of Model.ScoreKind: what a model's score means (the
// classifiers registry's kinds).
const (
	ScoreProbability = string(classifiers.ScoreProbability)
	ScoreDecision    = string(classifiers.ScoreDecision)
	ScoreVote        = string(classifiers.ScoreVote)
)

// Model is a saved model file: everything needed to score a new package
// and explain the score, and where the model came from.
type Model struct {
	Kind             string `json:"kind"`              // "pypimal-model"
	Format           int    `json:"format"`            // FormatVersion
	PypimalVersion   string `json:"pypimal_version"`   // build that trained it
	ExtractorVersion int    `json:"extractor_version"` // featuresets.ExtractorVersion at training
	// Features are the catalogue's numeric feature names in column order
	// at training; a binary whose catalogue differs cannot use the model.
	Features []string        `json:"features"`
	Set      featuresets.Set `json:"set"`     // the feature set, as defined in the config
	Leaky    bool            `json:"leaky"`   // leaky features were included
	Columns  []int           `json:"columns"` // selected catalogue columns, in design-matrix order
	// ColumnNames repeats Features[Columns[j]] for readers of the file.
	ColumnNames []string `json:"column_names"`
	Text        bool     `json:"text"` // the text family (token counts) is part of the set
	// Model names the pipeline: rf, dt, svm, mlp, nb, lr, stacking or
	// intersection; Members are the stacking bases or intersection voters.
	Model     string    `json:"model"`
	Members   []string  `json:"members,omitempty"`
	ScoreKind string    `json:"score_kind"`
	Threshold Threshold `json:"threshold"`
	// BenignMedians are, per selected column, the lower median of the
	// benign training rows: the value a feature is reset to when measuring
	// how much it pushed a package's score.
	BenignMedians []float64 `json:"benign_medians"`
	Training      Training  `json:"training"`
	// PipelineJSON is the fitted pipeline (classifiers.MarshalPipeline).
	PipelineJSON json.RawMessage `json:"pipeline"`

	pipe classifiers.Pipeline
}

// Threshold is the decision threshold and how it was chosen: a package is
// malicious when its score is strictly greater than Value.
type Threshold struct {
	Value     float64 `json:"value"`
	Method    string  `json:"method"`               // max-f1 or target-fpr
	TargetFPR float64 `json:"target_fpr,omitempty"` // for target-fpr
	// ModelDefault is the model's own cut (0.5 for probabilities, 0 for
	// SVM decision values), for comparison.
	ModelDefault float64 `json:"model_default"`
	// OOF are the out-of-fold metrics of the training rows at Value, and
	// OOFDefault at ModelDefault.
	OOF        Rates `json:"oof"`
	OOFDefault Rates `json:"oof_at_model_default"`
	// Forms gives the out-of-fold false-positive rate at Value of the
	// benign rows in each form they were scored in: "installed" (Debian's
	// trees), "pypi" (real published files, the realform rows) and each
	// re-packed form of train.forms.
	Forms []FormRate `json:"forms,omitempty"`
}

// FormRate is the out-of-fold false-positive rate of one packaging form.
type FormRate struct {
	Form   string  `json:"form"`
	Benign int     `json:"benign"`
	FP     int     `json:"fp"`
	FPR    float64 `json:"fpr"`
}

// Rates are confusion counts and rates for the malicious class.
type Rates struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	FPR       float64 `json:"fpr"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	TN        int     `json:"tn"`
	FN        int     `json:"fn"`
}

// Training records where a model came from.
type Training struct {
	Created string `json:"created"` // RFC 3339, UTC
	// DatasetDigest is the sha256 of the training rows' "id sha256" lines
	// in manifest order (the construction of run.json's dataset_digest).
	DatasetDigest string   `json:"dataset_digest"`
	Config        string   `json:"config"` // the resolved experiment config, YAML
	Seed          int64    `json:"seed"`
	Rows          int      `json:"rows"` // training rows with features
	Malicious     int      `json:"malicious"`
	Benign        int      `json:"benign"`
	Failed        int      `json:"failed"` // training rows whose package could not be read
	CV            CVScores `json:"cv"`
	Seconds       float64  `json:"seconds"` // wall time of Train
}

// CVScores summarise the cross-validation that chose the threshold, at
// the model's default threshold (mean and standard deviation over folds).
// ROC-AUC and PR-AUC of the pooled out-of-fold scores do not depend on a
// threshold.
type CVScores struct {
	K         int     `json:"k"`
	Repeats   int     `json:"repeats"`
	Group     bool    `json:"group"`
	F1Mean    float64 `json:"f1_mean"`
	F1Std     float64 `json:"f1_std"`
	Precision float64 `json:"precision_mean"`
	Recall    float64 `json:"recall_mean"`
	FPR       float64 `json:"fpr_mean"`
	ROCAUC    float64 `json:"oof_roc_auc"`
	PRAUC     float64 `json:"oof_pr_auc"`
}

// Malicious reports whether score is over the model's threshold.
func (m *Model) Malicious(score float64) bool { return score > m.Threshold.Value }

// Pipeline returns the fitted pipeline.
func (m *Model) Pipeline() classifiers.Pipeline { return m.pipe }

// Marshal encodes the model file (indented JSON, except the pipeline,
// which stays on one line).
func (m *Model) Marshal() ([]byte, error) {
	// Indenting the pipeline would triple the file (a forest has tens of
	// thousands of nodes), so it is spliced in compact.
	cp := *m
	cp.PipelineJSON = json.RawMessage("0")
	b, err := json.MarshalIndent(&cp, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var pj bytes.Buffer
	if err := json.Compact(&pj, m.PipelineJSON); err != nil {
		return nil, fmt.Errorf("model: pipeline: %w", err)
	}
	// JSON strings hold no raw newline, so this key is the field's.
	const key = "\n  \"pipeline\": 0"
	i := bytes.LastIndex(b, []byte(key))
	if i < 0 {
		return nil, fmt.Errorf("model: pipeline field not found")
	}
	out := slices.Concat(b[:i+len(key)-1], pj.Bytes(), b[i+len(key):], []byte("\n"))
	return out, nil
}

// Save writes the model file atomically (temporary file and rename).
func (m *Model) Save(name string) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, ".model-*.json")
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("model: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// Load reads and checks a model file (see Decode).
func Load(name string) (*Model, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return m, nil
}

// Decode parses a model file and checks that this binary can use it: the
// same file format version, the same extractor version and the same
// feature catalogue (names and order), and a pipeline that fits the
// selected columns. Anything else is an error wrapping ErrModelFile that
// says what differs.
func Decode(b []byte) (*Model, error) {
	var head struct {
		Kind   string `json:"kind"`
		Format *int   `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Kind != fileKind {
		detail := "no \"kind\": \"" + fileKind + "\""
		if err != nil {
			detail = "not JSON: " + err.Error()
		}
		return nil, fmt.Errorf("%w: not a pypimal model file (%s); make one with `pypimal train`", ErrModelFile, detail)
	}
	if head.Format == nil || *head.Format != FormatVersion {
		v := "none"
		if head.Format != nil {
			v = fmt.Sprint(*head.Format)
		}
		return nil, fmt.Errorf("%w: model format version %s, this pypimal reads version %d; retrain with `pypimal train`",
			ErrModelFile, v, FormatVersion)
	}
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	p, err := classifiers.UnmarshalPipeline(m.PipelineJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	m.pipe = p
	return &m, nil
}

// check compares the model with the running binary's catalogue and checks
// that its parts fit together.
func (m *Model) check() error {
	names := featuresets.Names()
	if m.ExtractorVersion != featuresets.ExtractorVersion || !slices.Equal(m.Features, names) {
		diff := ""
		for i := 0; i < max(len(names), len(m.Features)); i++ {
			a, b := "(none)", "(none)"
			if i < len(m.Features) {
				a = m.Features[i]
			}
			if i < len(names) {
				b = names[i]
			}
			if a != b {
				diff = fmt.Sprintf("; first difference at column %d: model %s, binary %s", i, a, b)
				break
			}
		}
		return fmt.Errorf("feature catalogue differs: the model was trained with extractor version %d and %d features, "+
			"this pypimal has extractor version %d and %d features%s; retrain with `pypimal train`",
			m.ExtractorVersion, len(m.Features), featuresets.ExtractorVersion, len(names), diff)
	}
	if len(m.Columns) == 0 && !m.Text {
		return fmt.Errorf("no feature columns and no text family")
	}
	if len(m.BenignMedians) != len(m.Columns) || len(m.ColumnNames) != len(m.Columns) {
		return fmt.Errorf("%d columns, %d column names and %d benign medians", len(m.Columns), len(m.ColumnNames), len(m.BenignMedians))
	}
	for j, c := range m.Columns {
		if c < 0 || c >= len(names) {
			return fmt.Errorf("column %d is outside the catalogue of %d features", c, len(names))
		}
		if names[c] != m.ColumnNames[j] {
			return fmt.Errorf("column %d is %s in the catalogue but %s in the model", c, names[c], m.ColumnNames[j])
		}
		if j > 0 && c <= m.Columns[j-1] {
			return fmt.Errorf("columns are not in catalogue order")
		}
	}
	switch m.ScoreKind {
	case ScoreProbability, ScoreDecision, ScoreVote:
	default:
		return fmt.Errorf("unknown score kind %q", m.ScoreKind)
	}
	switch m.Threshold.Method {
	case MethodMaxF1, MethodTargetFPR:
	default:
		return fmt.Errorf("unknown threshold method %q", m.Threshold.Method)
	}
	if len(m.PipelineJSON) == 0 {
		return fmt.Errorf("no pipeline")
	}
	return nil
}

// Version is the pypimal build: the module version, or the VCS revision
// for a build from a checkout ("+dirty" when it had uncommitted changes).
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "devel-" + rev + dirty
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
