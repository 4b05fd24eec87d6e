package classifiers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// PipelineFormat is the version of the JSON that MarshalPipeline writes.
// UnmarshalPipeline reads this version only; bump it whenever a stored
// field changes meaning.
const PipelineFormat = 1

// ErrPipelineFormat is wrapped by UnmarshalPipeline when the data is not a
// stored pipeline of this format: another version, an unknown type tag, or
// fitted state that does not fit together.
var ErrPipelineFormat = errors.New("not a stored pipeline of this format")

// Type tags of stored pipelines; a classifier's tag is its registered
// model name (Register).
const (
	tagPipeline     = "pipeline" // *ModelPipeline
	tagStacking     = "stacking"
	tagIntersection = "intersection"
)

// storedPipeline is the top level of MarshalPipeline's output.
type storedPipeline struct {
	Format   int    `json:"format"`
	Pipeline tagged `json:"pipeline"`
}

// tagged is one pipeline or classifier with its type.
type tagged struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type storedModelPipeline struct {
	Scale       bool
	Text        VectoriserParams
	Seed        int64
	NumericCols int
	Vectoriser  *TextVectoriser `json:",omitempty"`
	Scaler      *StandardScaler `json:",omitempty"`
	Model       tagged
}

type storedStacking struct {
	Folds     int
	Seed      int64
	Meta      LogRegParams
	Bases     []tagged
	MetaModel *LogisticRegression
}

type storedIntersection struct {
	Seed       int64
	Models     []tagged
	Thresholds []float64
}

// MarshalPipeline stores a fitted pipeline as versioned JSON: a
// ModelPipeline (text vectoriser vocabulary and idf, scaler, classifier), a
// Stacking (its fitted bases and meta-learner) or an Intersection (its
// fitted members and thresholds), with a type tag on every pipeline and
// classifier. Floats are written in their shortest exact form, so a loaded
// pipeline predicts bit-for-bit what the stored one did.
func MarshalPipeline(p Pipeline) ([]byte, error) {
	t, err := marshalPipeline(p)
	if err != nil {
		return nil, fmt.Errorf("classifiers: marshal pipeline: %w", err)
	}
	return json.Marshal(storedPipeline{Format: PipelineFormat, Pipeline: t})
}

// UnmarshalPipeline restores a pipeline stored by MarshalPipeline. The
// result predicts like the stored pipeline; it cannot be refitted (its
// model factories are not stored). Data of another format version, with an
// unknown type tag, or whose fitted parts do not fit together is an error
// wrapping ErrPipelineFormat.
func UnmarshalPipeline(b []byte) (Pipeline, error) {
	var head struct {
		Format   *int            `json:"format"`
		Pipeline json.RawMessage `json:"pipeline"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("classifiers: unmarshal pipeline: %w: %v", ErrPipelineFormat, err)
	}
	if head.Format == nil || head.Pipeline == nil {
		return nil, fmt.Errorf("classifiers: unmarshal pipeline: %w: no format version or no pipeline", ErrPipelineFormat)
	}
	if *head.Format != PipelineFormat {
		return nil, fmt.Errorf("classifiers: unmarshal pipeline: %w: format version %d, this build reads version %d",
			ErrPipelineFormat, *head.Format, PipelineFormat)
	}
	var t tagged
	if err := json.Unmarshal(head.Pipeline, &t); err != nil {
		return nil, fmt.Errorf("classifiers: unmarshal pipeline: %w: %v", ErrPipelineFormat, err)
	}
	p, err := unmarshalPipeline(t)
	if err != nil {
		return nil, fmt.Errorf("classifiers: unmarshal pipeline: %w", err)
	}
	return p, nil
}

func tag(typ string, v any) (tagged, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return tagged{}, err
	}
	return tagged{Type: typ, Value: b}, nil
}

func marshalPipeline(p Pipeline) (tagged, error) {
	switch p := p.(type) {
	case *ModelPipeline:
		if p.Model == nil {
			return tagged{}, fmt.Errorf("pipeline: %w", ErrNotFitted)
		}
		m, err := encodeClassifier(p.Model)
		if err != nil {
			return tagged{}, err
		}
		return tag(tagPipeline, storedModelPipeline{Scale: p.Scale, Text: p.Text, Seed: p.Seed, NumericCols: p.NumericCols,
			Vectoriser: p.Vectoriser, Scaler: p.Scaler, Model: m})
	case *Stacking:
		if p.MetaModel == nil {
			return tagged{}, fmt.Errorf("stacking: %w", ErrNotFitted)
		}
		s := storedStacking{Folds: p.Folds, Seed: p.Seed, Meta: p.Meta, MetaModel: p.MetaModel}
		for j, b := range p.Bases {
			t, err := marshalPipeline(b)
			if err != nil {
				return tagged{}, fmt.Errorf("stacking base %d: %w", j, err)
			}
			s.Bases = append(s.Bases, t)
		}
		return tag(tagStacking, s)
	case *Intersection:
		if p.Models == nil {
			return tagged{}, fmt.Errorf("intersection: %w", ErrNotFitted)
		}
		s := storedIntersection{Seed: p.Seed, Thresholds: p.Thresholds}
		for j, m := range p.Models {
			t, err := marshalPipeline(m)
			if err != nil {
				return tagged{}, fmt.Errorf("intersection member %d: %w", j, err)
			}
			s.Models = append(s.Models, t)
		}
		return tag(tagIntersection, s)
	case nil:
		return tagged{}, fmt.Errorf("nil pipeline")
	}
	return tagged{}, fmt.Errorf("unsupported pipeline type %T", p)
}

// decode unmarshals a tagged value strictly: unknown fields are errors, so
// a file written by another layout is not half-read.
func decode(raw json.RawMessage, v any) error {
	if raw == nil {
		return fmt.Errorf("missing value")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func unmarshalPipeline(t tagged) (Pipeline, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrPipelineFormat, t.Type, fmt.Sprintf(format, a...))
	}
	switch t.Type {
	case tagPipeline:
		var s storedModelPipeline
		if err := decode(t.Value, &s); err != nil {
			return nil, bad("%v", err)
		}
		m, err := decodeClassifier(s.Model)
		if err != nil {
			return nil, err
		}
		p := &ModelPipeline{Scale: s.Scale, Text: s.Text, Seed: s.Seed, NumericCols: s.NumericCols,
			Vectoriser: s.Vectoriser, Scaler: s.Scaler, Model: m}
		width := s.NumericCols
		if s.NumericCols < 0 {
			return nil, bad("negative numeric column count")
		}
		if v := p.Vectoriser; v != nil {
			if len(v.Vocabulary) != len(v.IDF) {
				return nil, bad("text vocabulary has %d tokens but %d idf weights", len(v.Vocabulary), len(v.IDF))
			}
			if err := allFinite(v.IDF); err != nil {
				return nil, bad("idf: %v", err)
			}
			if v.Vocabulary == nil {
				v.Vocabulary = []string{}
			}
			// Built once here so that concurrent Predict calls only read it.
			v.index = v.buildIndex()
			if len(v.index) != len(v.Vocabulary) {
				return nil, bad("text vocabulary repeats a token")
			}
			width += v.Width()
		}
		if sc := p.Scaler; sc != nil {
			if len(sc.Mean) != width || len(sc.Scale) != width {
				return nil, bad("scaler has %d means and %d scales for %d columns", len(sc.Mean), len(sc.Scale), width)
			}
			for j, v := range sc.Scale {
				if v == 0 {
					return nil, bad("scaler column %d has scale 0", j)
				}
			}
			if err := allFinite(sc.Mean, sc.Scale); err != nil {
				return nil, bad("scaler: %v", err)
			}
		} else if s.Scale {
			return nil, bad("scaling is on but no scaler is stored")
		}
		if nf := m.(Stored).Columns(); nf != width {
			return nil, bad("classifier takes %d columns, the pipeline gives %d", nf, width)
		}
		return p, nil
	case tagStacking:
		var s storedStacking
		if err := decode(t.Value, &s); err != nil {
			return nil, bad("%v", err)
		}
		if len(s.Bases) == 0 || s.MetaModel == nil {
			return nil, bad("no base pipelines or no meta-learner")
		}
		if err := checkLogReg(s.MetaModel); err != nil {
			return nil, bad("meta-learner: %v", err)
		}
		if s.MetaModel.NFeatures != len(s.Bases) {
			return nil, bad("meta-learner takes %d columns for %d bases", s.MetaModel.NFeatures, len(s.Bases))
		}
		st := &Stacking{Folds: s.Folds, Seed: s.Seed, Meta: s.Meta, MetaModel: s.MetaModel}
		for j, bt := range s.Bases {
			b, err := unmarshalPipeline(bt)
			if err != nil {
				return nil, fmt.Errorf("stacking base %d: %w", j, err)
			}
			st.Bases = append(st.Bases, b)
		}
		return st, nil
	case tagIntersection:
		var s storedIntersection
		if err := decode(t.Value, &s); err != nil {
			return nil, bad("%v", err)
		}
		if len(s.Models) == 0 || len(s.Models) != len(s.Thresholds) {
			return nil, bad("%d members with %d thresholds", len(s.Models), len(s.Thresholds))
		}
		if err := allFinite(s.Thresholds); err != nil {
			return nil, bad("thresholds: %v", err)
		}
		r := &Intersection{Seed: s.Seed, Thresholds: s.Thresholds}
		for j, mt := range s.Models {
			m, err := unmarshalPipeline(mt)
			if err != nil {
				return nil, fmt.Errorf("intersection member %d: %w", j, err)
			}
			r.Models = append(r.Models, m)
		}
		return r, nil
	case "":
		return nil, fmt.Errorf("%w: pipeline without a type tag", ErrPipelineFormat)
	}
	return nil, fmt.Errorf("%w: unknown pipeline type %q (known: %s, %s, %s)", ErrPipelineFormat, t.Type,
		tagPipeline, tagStacking, tagIntersection)
}

func checkLogReg(l *LogisticRegression) error {
	if l.NFeatures <= 0 || len(l.Coef) != l.NFeatures {
		return fmt.Errorf("%d coefficients for %d columns", len(l.Coef), l.NFeatures)
	}
	return allFinite(l.Coef, []float64{l.Intercept})
}

// checkNodes requires a non-empty tree whose children come after their
// parent (the depth-first order Fit writes), so prediction always reaches
// a leaf.
func checkNodes(nodes []TreeNode, p int) error {
	if len(nodes) == 0 {
		return fmt.Errorf("no nodes")
	}
	n := int32(len(nodes))
	for k, nd := range nodes {
		if nd.Left < 0 {
			if nd.Right >= 0 {
				return fmt.Errorf("node %d has a right child only", k)
			}
			continue
		}
		if nd.Left <= int32(k) || nd.Right <= int32(k) || nd.Left >= n || nd.Right >= n {
			return fmt.Errorf("node %d links to nodes %d and %d", k, nd.Left, nd.Right)
		}
		if nd.Feature < 0 || int(nd.Feature) >= p {
			return fmt.Errorf("node %d splits on column %d of %d", k, nd.Feature, p)
		}
		if math.IsNaN(nd.Threshold) {
			return fmt.Errorf("node %d has a NaN threshold", k)
		}
	}
	return nil
}

// allFloat32 checks that every value is a float32 (converts to float32
// and back unchanged).
func allFloat32(xs ...[]float64) error {
	for _, s := range xs {
		for _, v := range s {
			if float64(float32(v)) != v {
				return fmt.Errorf("float32 network has weight %v, not a float32", v)
			}
		}
	}
	return nil
}

func allFinite(xs ...[]float64) error {
	for _, s := range xs {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return ErrNonFinite
			}
		}
	}
	return nil
}
