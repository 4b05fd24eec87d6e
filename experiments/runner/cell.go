package runner

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"pypimal/classifiers"
	"pypimal/experiments"
	"pypimal/experiments/results"
	"pypimal/featuresets"
	"pypimal/internal/pool"
)

// grid runs cells: one (feature set, leaky, model) each.
type grid struct {
	cfg         *experiments.Config
	train, test *Split
	folds       [][]experiments.Fold
	cellDir     string
	digest      string
	logf        func(string, ...any)
	set         *setState // the current feature set's, nil before the first cell
	// shift are the benign packages of other forms every test fit also
	// scores (formShiftSets); shiftKey digests them for the cell keys.
	shift    []shiftSet
	shiftKey string

	// importanceFit is the test fit of the cell permutation importance
	// scores (importance.model on importance.set with importance.leaky),
	// kept when that cell is computed in this run: importance uses it
	// rather than fitting the same pipeline on the same rows with the same
	// seed again. (A cell reused from disk, or copied from the set without
	// leaky features, leaves it nil: importance fits its own.)
	importanceFit classifiers.Pipeline
}

// setState is what the cells of one feature set (and leaky flag) share:
// their input, built once, and the fits of the single-model cells that
// are also stack bases, by fingerprint (classifiers.Fingerprint: rows and
// labels, model settings, seed). The stack of a fold has the same bases
// with the same seed on the same rows: it takes those fits
// (classifiers.Stacking.Prefitted) instead of fitting them again, a sixth
// of its work, and checks their fingerprints.
type setState struct {
	scope       string
	train, test classifiers.Data
	shift       []classifiers.Data

	mu   sync.Mutex // fits are recorded by the pool's goroutines
	fits map[classifiers.Fingerprint]classifiers.Pipeline
}

// state returns the state of set's cells, starting afresh when the set
// (or leaky flag) changes.
func (g *grid) state(set featuresets.Set, leaky bool, sel featuresets.Selection) *setState {
	scope := fmt.Sprintf("%s/%v", set.Name, leaky)
	if g.set == nil || g.set.scope != scope {
		s := &setState{scope: scope, train: experiments.Data(g.train.Rows, sel)}
		if len(g.test.Rows) > 0 {
			s.test = experiments.Data(g.test.Rows, sel)
			s.shift = shiftData(g.shift, sel)
		}
		g.set = s
	}
	return g.set
}

// record keeps p, fitted on d and y, for the stacks of the set.
func (s *setState) record(p classifiers.Pipeline, d classifiers.Data, y []int) {
	fp, ok := classifiers.FitFingerprint(p, classifiers.DataDigest(d, y))
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fits == nil {
		s.fits = map[classifiers.Fingerprint]classifiers.Pipeline{}
	}
	s.fits[fp] = p
}

// Fitted implements classifiers.FitSource.
func (s *setState) Fitted(want classifiers.Fingerprint) (classifiers.Pipeline, classifiers.Fingerprint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.fits[want]
	return p, want, ok
}

// memoised is a pipeline that records its fit in the set's state.
type memoised struct {
	classifiers.Pipeline
	set *setState
}

func (p memoised) Fit(d classifiers.Data, y []int) error {
	if err := p.Pipeline.Fit(d, y); err != nil {
		return err
	}
	p.set.record(p.Pipeline, d, y)
	return nil
}

// shareFits wraps the factory of a cell so its fits are shared with the
// set's stack: a stack base records its fits, the stack takes them.
func (g *grid) shareFits(st *setState, model string, f classifiers.PipelineFactory) classifiers.PipelineFactory {
	if !slices.Contains(g.cfg.Models, experiments.ModelStacking) {
		return f
	}
	switch {
	case model == experiments.ModelStacking:
		return func(seed int64) classifiers.Pipeline {
			p := f(seed)
			if stack, ok := p.(*classifiers.Stacking); ok {
				stack.Prefitted = st
			}
			return p
		}
	case slices.Contains(g.cfg.Stacking, model):
		return func(seed int64) classifiers.Pipeline { return memoised{Pipeline: f(seed), set: st} }
	}
	return f
}

// cellResult is a finished cell, as stored in cells/<key>.json.
type cellResult struct {
	Key        string
	Set        string
	Leaky      bool
	Model      string
	Threshold  float64
	Folds      []experiments.Metrics
	Test       *experiments.Metrics `json:",omitempty"`
	TestScores []float64            `json:",omitempty"`
	// ShiftScores are the test fit's scores of each form-shift set.
	ShiftScores [][]float64 `json:",omitempty"`
}

func (c *cellResult) reportCell() results.Cell {
	return results.Cell{Set: c.Set, Leaky: c.Leaky, Model: c.Model, CV: experiments.Summarize(c.Folds), Test: c.Test}
}

// CellVersion changes whenever the models or the protocol change in a way
// that changes results, so cells stored by an older pypimal are recomputed.
const CellVersion = 3

// cellKey identifies a cell's inputs: anything that changes its numbers
// changes the key, so a reused cell is always the cell that would be
// computed.
func (g *grid) cellKey(set featuresets.Set, leaky bool, model string) string {
	sum := sha256.Sum256(g.cellKeyJSON(set, leaky, model))
	return hex.EncodeToString(sum[:12])
}

// cellKeyJSON is what cellKey hashes.
func (g *grid) cellKeyJSON(set featuresets.Set, leaky bool, model string) []byte {
	k := struct {
		Cells       int
		Version     int
		Features    []string
		Digest      string
		Seed        int64
		CV          experiments.CV
		Text        experiments.Text
		ClassWeight string
		Set         featuresets.Set
		Columns     []string // the resolved columns: a feature's leaky flag can change
		Leaky       bool
		Model       string
		Members     []string
		Train, Test int
		MLPDtype    string `json:",omitempty"` // "" for float64: older keys stay valid
		Shift       string `json:",omitempty"`
	}{CellVersion, featuresets.ExtractorVersion, featuresets.Names(), g.digest, g.cfg.Seed, g.cfg.CV, g.cfg.Text, g.cfg.ClassWeight,
		set, g.columns(set, leaky), leaky, model, nil, len(g.train.Rows), len(g.test.Rows), "", g.shiftKey}
	// An unknown model has no members: cell reports the error.
	if b, err := g.cfg.Build(model); err == nil {
		k.Members = b.Members
		if b.Float32 {
			k.MLPDtype = g.cfg.MLPDtype
		}
	}
	b, _ := json.Marshal(k)
	return b
}

// columns names the numeric columns a set resolves to ("" on error, which
// the cell then reports).
func (g *grid) columns(set featuresets.Set, leaky bool) []string {
	sel, err := set.Resolve(featuresets.Catalogue(), leaky)
	if err != nil {
		return nil
	}
	return columnNames(featuresets.Catalogue(), sel)
}

// cell cross-validates one model on one feature set, then fits it on all
// training rows and scores the test rows; a stored result with the same
// key is reused.
func (g *grid) cell(ctx context.Context, set featuresets.Set, leaky bool, model string) (*cellResult, error) {
	key := g.cellKey(set, leaky, model)
	path := filepath.Join(g.cellDir, key+".json")
	if c, ok := g.stored(key); ok {
		g.logf("cell %-22s %-12s leaky=%-5v reused", set.Name, model, leaky)
		return c, nil
	}
	// A set without leaky features (metadata, text) resolves to the same
	// columns either way: the variant with them is the one without.
	if leaky && slices.Equal(g.columns(set, true), g.columns(set, false)) {
		if c, ok := g.stored(g.cellKey(set, false, model)); ok {
			c.Key, c.Leaky = key, true
			_ = writeJSONAtomic(path, c)
			g.logf("cell %-22s %-12s leaky=%-5v same columns as without leaky features", set.Name, model, leaky)
			return c, nil
		}
	}
	sel, err := set.Resolve(g.train.Table.Features, leaky)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	b, err := g.cfg.Build(model)
	if err != nil {
		return nil, err
	}
	f, threshold := b.New, b.Threshold
	st := g.state(set, leaky, sel)
	f = g.shareFits(st, model, f)
	d, testData := st.train, st.test
	// The fit on all training rows runs beside the folds rather than after
	// them, so no core idles while the last fold or the test fit finishes
	// alone.
	type testFit struct {
		scores []float64
		shift  [][]float64
		fitted classifiers.Pipeline
		err    error
	}
	testDone := make(chan testFit, 1)
	go func() {
		scores, shift, fitted, err := g.testFit(f, d, testData, st.shift)
		testDone <- testFit{scores, shift, fitted, err}
	}()
	cv, cvErr := experiments.CrossValidate(ctx, f, d, g.train.Labels, g.folds, threshold,
		experiments.CVOptions{Seed: g.cfg.Seed, Workers: g.cfg.Workers})
	if cvErr != nil {
		// Not waiting for the test fit: on cancellation that could take
		// a while; it ends on its own into the buffered channel.
		return nil, cvErr
	}
	tf := <-testDone
	if tf.err != nil {
		return nil, tf.err
	}
	if ic := g.cfg.Importance; ic.Enabled && set.Name == ic.Set && leaky == ic.Leaky && model == ic.Model {
		fitted := tf.fitted
		if m, ok := fitted.(memoised); ok {
			fitted = m.Pipeline // the wrapper holds the whole set's fits
		}
		g.importanceFit = fitted
	}
	c := &cellResult{Key: key, Set: set.Name, Leaky: leaky, Model: model, Threshold: threshold, Folds: cv.Metrics()}
	if tf.scores != nil {
		m, err := experiments.Evaluate(g.test.Labels, tf.scores, threshold)
		if err != nil {
			return nil, fmt.Errorf("score test rows: %w", err)
		}
		c.Test, c.TestScores, c.ShiftScores = &m, tf.scores, tf.shift
	}
	s := experiments.Summarize(c.Folds)
	test := math.NaN()
	if c.Test != nil {
		test = c.Test.F1
	}
	g.logf("cell %-22s %-12s leaky=%-5v CV F1 %.3f ± %.3f, test F1 %.3f (%.1fs)", set.Name, model, leaky, s.F1.Mean, s.F1.Std, test, time.Since(start).Seconds())
	// A cell that cannot be stored (NaN metrics have no JSON form) is
	// simply recomputed next time.
	_ = writeJSONAtomic(path, c)
	return c, nil
}

// testFit fits a pipeline of f on all training rows d and scores the test
// rows (no scores without test rows) and each form-shift set; it returns
// the fitted pipeline too. A panic is an error, as in a fold.
func (g *grid) testFit(f classifiers.PipelineFactory, d, test classifiers.Data, shift []classifiers.Data) ([]float64, [][]float64, classifiers.Pipeline, error) {
	if len(g.test.Rows) == 0 {
		return nil, nil, nil, nil
	}
	var scores []float64
	var shiftScores [][]float64
	var fitted classifiers.Pipeline
	_, err := pool.Run(context.Background(), 1, 1, func(int) error {
		p := f(g.cfg.TestFitSeed())
		if err := p.Fit(d, g.train.Labels); err != nil {
			return fmt.Errorf("fit on training rows: %w", err)
		}
		s, err := p.Predict(test)
		if err != nil {
			return fmt.Errorf("score test rows: %w", err)
		}
		for i, sd := range shift {
			ss, err := p.Predict(sd)
			if err != nil {
				return fmt.Errorf("score %s: %w", g.shift[i].Name, err)
			}
			shiftScores = append(shiftScores, ss)
		}
		scores, fitted = s, p
		return nil
	})
	return scores, shiftScores, fitted, err
}

// stored returns the finished cell with this key, if any.
func (g *grid) stored(key string) (*cellResult, bool) {
	b, err := os.ReadFile(filepath.Join(g.cellDir, key+".json"))
	if err != nil {
		return nil, false
	}
	var c cellResult
	if json.Unmarshal(b, &c) != nil || c.Key != key {
		return nil, false
	}
	return &c, true
}

// prediction is one test package's score from one cell.
type prediction struct {
	id        string
	label     int
	set       string
	leaky     bool
	model     string
	score     float64
	threshold float64
}

func writePredictions(w io.Writer, preds []prediction) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "label", "feature_set", "leaky", "model", "score", "threshold", "predicted"})
	for _, p := range preds {
		pred := "0"
		if p.score > p.threshold {
			pred = "1"
		}
		cw.Write([]string{p.id, strconv.Itoa(p.label), p.set, strconv.FormatBool(p.leaky), p.model,
			strconv.FormatFloat(p.score, 'g', -1, 64), strconv.FormatFloat(p.threshold, 'g', -1, 64), pred})
	}
	cw.Flush()
	return cw.Error()
}

// rules compares, on the importance feature set, the stacking ensemble,
// the intersection rule and the intersection's members on the test rows.
func (g *grid) rules(ctx context.Context, preds []prediction) ([]results.RuleScore, error) {
	set, leaky := g.cfg.Importance.Set, g.cfg.Importance.Leaky
	scoresOf := func(model string) ([]float64, float64) {
		var s []float64
		th := 0.0
		for _, p := range preds {
			if p.set == set && p.leaky == leaky && p.model == model {
				s = append(s, p.score)
				th = p.threshold
			}
		}
		return s, th
	}
	var out []results.RuleScore
	add := func(name, model string) error {
		s, th := scoresOf(model)
		if s == nil {
			fs, _ := g.cfg.FeatureSet(set) // there: Run checks before calling rules
			c, err := g.cell(ctx, fs, leaky, model)
			if err != nil {
				return err
			}
			s, th = c.TestScores, c.Threshold
		}
		m, err := experiments.Evaluate(g.test.Labels, s, th)
		if err != nil {
			return err
		}
		out = append(out, results.RuleScore{Name: name, Metrics: m})
		return nil
	}
	if slices.Contains(g.cfg.Models, experiments.ModelStacking) {
		if err := add("stacking", experiments.ModelStacking); err != nil {
			return nil, err
		}
	}
	name := "intersection("
	for i, m := range g.cfg.Intersection {
		if i > 0 {
			name += ","
		}
		name += m
	}
	if err := add(name+")", experiments.ModelIntersection); err != nil {
		return nil, err
	}
	for _, m := range g.cfg.Intersection {
		if err := add(m, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// importance fits the configured model on the training rows and measures
// the F1 drop on the test rows (training rows when there is no test split)
// when each feature, each family, and the text vocabulary is shuffled.
func (g *grid) importance(ctx context.Context, res *results.Results) error {
	ic := g.cfg.Importance
	set, _ := g.cfg.FeatureSet(ic.Set) // there: the config is validated
	sel, err := set.Resolve(g.train.Table.Features, ic.Leaky)
	if err != nil {
		return err
	}
	b, err := g.cfg.Build(ic.Model)
	if err != nil {
		return err
	}
	f, threshold := b.New, b.Threshold
	p := g.importanceFit
	if p != nil {
		g.logf("importance: %s on %s: the grid's fit on the training rows", ic.Model, ic.Set)
	} else {
		p = f(g.cfg.TestFitSeed())
		if err := p.Fit(experiments.Data(g.train.Rows, sel), g.train.Labels); err != nil {
			return err
		}
	}
	scored, y := g.test, g.test.Labels
	if len(scored.Rows) == 0 {
		scored, y = g.train, g.train.Labels
	}
	// Predict of the stacking ensemble and the pipelines is read-only once
	// fitted, so workers may share p.
	r, err := experiments.PermutationImportance(ctx, p, experiments.Data(scored.Rows, sel), y, threshold, experiments.ImportanceOptions{
		Repeats: ic.Repeats, Seed: g.cfg.Seed, Workers: g.cfg.Workers,
		ColumnNames: columnNames(g.train.Table.Features, sel), Groups: familyGroups(g.train.Table.Features, sel),
	})
	if err != nil {
		return err
	}
	res.ImportanceModel, res.ImportanceSet, res.ImportanceLeaky = ic.Model, ic.Set, ic.Leaky
	res.Importance, res.ImportanceF1 = r.Features, r.Baseline
	g.logf("importance: %s on %s, baseline F1 %.3f, %d features scored", ic.Model, ic.Set, r.Baseline, len(r.Features))
	return nil
}

// configYAML renders the resolved config for the report.
func configYAML(cfg *experiments.Config) (string, error) {
	b, err := yaml.Marshal(cfg)
	return string(b), err
}
