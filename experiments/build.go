package experiments

import (
	"fmt"
	"slices"

	"pypimal/classifiers"
	"pypimal/featuresets"

	"gonum.org/v1/gonum/mat"
)

// Built is a model of a config ready to fit: a registered model, or a
// stacking or intersection of registered models, with the config's class
// weight, mlp dtype and text settings.
type Built struct {
	Name      string
	New       classifiers.PipelineFactory
	Score     classifiers.ScoreKind
	Threshold float64  // malicious when score > Threshold
	Members   []string // the bases of a stack or the members of an intersection; nil otherwise
	Float32   bool     // the model or a member computes in single precision
}

// Build turns a model name of the config (a registered model, stacking or
// intersection) into a pipeline factory. It is the one place a config's
// model becomes a pipeline: `run` and `train` both build through it.
func (c *Config) Build(name string) (Built, error) {
	text := c.VectoriserParams()
	switch name {
	case ModelStacking, ModelIntersection:
		members := c.Stacking
		if name == ModelIntersection {
			members = c.Intersection
		}
		if len(members) < 2 {
			return Built{}, fmt.Errorf("%s: list at least two models", name)
		}
		b := Built{Name: name, Members: slices.Clone(members)}
		specs := make([]classifiers.ModelSpec, len(members))
		for i, m := range members {
			s, err := c.Spec(m)
			if err != nil {
				return Built{}, fmt.Errorf("%s: %w", name, err)
			}
			specs[i] = s
			b.Float32 = b.Float32 || s.Options.Float32
		}
		if name == ModelStacking {
			bases := make([]classifiers.PipelineFactory, len(specs))
			for i, s := range specs {
				bases[i] = s.Pipeline(text)
			}
			// The meta-learner's P(malicious).
			b.New, b.Score = classifiers.StackingFactory(bases), classifiers.ScoreProbability
		} else {
			voters := make([]classifiers.IntersectionMember, len(specs))
			for i, s := range specs {
				voters[i] = classifiers.IntersectionMember{New: s.Pipeline(text), Threshold: s.Threshold}
			}
			b.New = func(seed int64) classifiers.Pipeline { return classifiers.NewIntersection(voters, seed) }
			b.Score = classifiers.ScoreVote
		}
		b.Threshold = b.Score.Threshold()
		return b, nil
	}
	s, err := c.Spec(name)
	if err != nil {
		return Built{}, err
	}
	return Built{Name: name, New: s.Pipeline(text), Score: s.Score, Threshold: s.Threshold, Float32: s.Options.Float32}, nil
}

// TestFitSeed is the seed of the model fitted on all training rows: the
// test fit of `run`, and the model `train` saves.
func (c *Config) TestFitSeed() int64 { return DeriveSeed(c.Seed, -1) }

// Folds returns the cross-validation folds of training rows with labels y
// (the config's k, repeats, grouping and seed). Grouped folds keep each
// cluster on one side; a row without a cluster is its own group.
func (c *Config) Folds(rows []featuresets.TableRow, y []int) ([][]Fold, error) {
	if !c.CV.Group {
		f, err := RepeatedStratifiedKFold(y, c.CV.K, c.CV.Repeats, c.Seed)
		if err != nil {
			return nil, fmt.Errorf("folds: %w", err)
		}
		return f, nil
	}
	groups := make([]string, len(rows))
	for i, r := range rows {
		groups[i] = r.Cluster
		if groups[i] == "" {
			groups[i] = "id:" + r.ID
		}
	}
	f, err := RepeatedStratifiedGroupKFold(y, groups, c.CV.K, c.CV.Repeats, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("group folds: %w", err)
	}
	return f, nil
}

// Data builds the classifier input of a feature selection from table rows:
// the selected numeric columns, and the token counts when the selection
// has the text family. Its digest (fit fingerprints) is computed once and
// handed down to its subsets.
func Data(rows []featuresets.TableRow, sel featuresets.Selection) classifiers.Data {
	var d classifiers.Data
	if len(sel.Columns) > 0 && len(rows) > 0 {
		x := mat.NewDense(len(rows), len(sel.Columns), nil)
		for i, r := range rows {
			for j, c := range sel.Columns {
				x.Set(i, j, r.Values[c])
			}
		}
		d.X = x
	}
	if sel.Text {
		d.Tokens = make([]map[string]float64, len(rows))
		for i, r := range rows {
			m := make(map[string]float64, len(r.Tokens))
			for t, n := range r.Tokens {
				m[t] = float64(n)
			}
			d.Tokens[i] = m
		}
		// Integer counts: interning cannot fail.
		if t, err := classifiers.InternTokens(d.Tokens); err == nil {
			d.Terms = t
		}
	}
	return classifiers.Digested(d)
}
