package classifiers

import (
	"fmt"

	"pypimal/internal/folds"
)

// IntersectionMember is one voter of an Intersection: a pipeline and the
// threshold its score must strictly exceed for it to call a row malicious,
// as scikit-learn's predict does.
type IntersectionMember struct {
	New       PipelineFactory
	Threshold float64 // malicious when score > Threshold: 0.5 for probabilities, 0 for SVM decision values
}

// Intersection is the rule of Ohm et al. (2022): a row is malicious (1) only
// when every member pipeline scores it strictly above its threshold, else 0.
// Its output is itself a score for the strict 0.5 threshold: 1 > 0.5, 0 is not.
// The paper intersects three models; any number of members works.
type Intersection struct {
	Members []IntersectionMember `json:"-"`
	Seed    int64

	// Fitted state.
	Models     []Pipeline
	Thresholds []float64
}

// NewIntersection returns an unfitted intersection rule.
func NewIntersection(members []IntersectionMember, seed int64) *Intersection {
	return &Intersection{Members: members, Seed: seed}
}

// IntersectionByNames builds an intersection factory over registered models,
// each with its ModelSpec threshold.
func IntersectionByNames(names []string, text VectoriserParams) (PipelineFactory, error) {
	members := make([]IntersectionMember, len(names))
	for i, n := range names {
		s, err := ByName(n)
		if err != nil {
			return nil, fmt.Errorf("intersection: %w", err)
		}
		members[i] = IntersectionMember{New: s.Pipeline(text), Threshold: s.Threshold}
	}
	return func(seed int64) Pipeline { return NewIntersection(members, seed) }, nil
}

// Fit fits every member on d.
func (r *Intersection) Fit(d Data, y []int) error {
	if len(r.Members) == 0 {
		return fmt.Errorf("intersection: fit: no member models")
	}
	models := make([]Pipeline, len(r.Members))
	th := make([]float64, len(r.Members))
	d = withPrep(d) // the members share their preprocessing
	for i, m := range r.Members {
		models[i] = m.New(folds.ChildSeed(r.Seed, i))
		if err := models[i].Fit(d, y); err != nil {
			return fmt.Errorf("intersection: fit member %d: %w", i, err)
		}
		th[i] = m.Threshold
	}
	r.Models, r.Thresholds = models, th
	return nil
}

// Predict returns 1 for rows every member flags and 0 otherwise.
func (r *Intersection) Predict(d Data) ([]float64, error) {
	if r.Models == nil {
		return nil, fmt.Errorf("intersection: predict: %w", ErrNotFitted)
	}
	var out []float64
	d = withPrep(d)
	for i, m := range r.Models {
		s, err := m.Predict(d)
		if err != nil {
			return nil, fmt.Errorf("intersection: predict member %d: %w", i, err)
		}
		if out == nil {
			out = make([]float64, len(s))
			for k := range out {
				out[k] = 1
			}
		} else if len(s) != len(out) {
			return nil, fmt.Errorf("intersection: predict member %d: %w: %d scores, member 0 gave %d", i, ErrShape, len(s), len(out))
		}
		for k, v := range s {
			if !(v > r.Thresholds[i]) {
				out[k] = 0
			}
		}
	}
	return out, nil
}
