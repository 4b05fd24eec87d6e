// Package runner runs one experiment end to end: split the manifest,
// extract (or fetch cached) features, cross-validate every feature set ×
// model, fit on the training rows and score the test rows, rank features by
// permutation importance, and return the results (package results) that
// reports renders.
//
// It sits above experiments (protocol) and featuresets, so that neither
// needs to know about the other; cmd hands its results to reports.
package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/experiments/results"
	"pypimal/featuresets"
	"pypimal/internal/atomicfile"
)

// Options are run-time settings that are not part of the experiment.
type Options struct {
	DataDir  string // resolved dataset folder
	OutDir   string // resolved results folder of this experiment
	CacheDir string // feature cache; "" = none
	Progress io.Writer
	Log      io.Writer // one line per finished step; nil = discard
	// Rows restricts the manifest to these rows (tests use a slice of the
	// data); nil = every row.
	Rows []dataset.Row
}

// Outcome is what Run produced, with timings kept apart from the results
// so that the results files stay byte-identical across runs.
type Outcome struct {
	Results *results.Results
	Timings map[string]float64 // seconds per step
	Train   *Split
	Test    *Split

	preds []prediction
}

// TestScores returns a cell's scores of the test rows (in Test.Rows order)
// and its threshold; ok is false when the cell was not run.
func (o *Outcome) TestScores(set string, leaky bool, model string) (scores []float64, threshold float64, ok bool) {
	for _, p := range o.preds {
		if p.set == set && p.leaky == leaky && p.model == model {
			scores = append(scores, p.score)
			threshold = p.threshold
		}
	}
	return scores, threshold, scores != nil
}

// Split is one side's packages with features.
type Split struct {
	Rows   []featuresets.TableRow
	Labels []int
	Table  *featuresets.Table
}

// Run runs cfg. Finished cells are kept in OutDir/cells and reused when the
// same experiment is started again (an interrupted run resumes).
func Run(ctx context.Context, cfg *experiments.Config, opt Options) (*Outcome, error) {
	logf := func(format string, a ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", a...)
		}
	}
	timings := map[string]float64{}
	start := time.Now()
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	rows := opt.Rows
	if rows == nil {
		var err error
		if rows, err = dataset.ReadManifestFile(filepath.Join(opt.DataDir, "manifest.csv")); err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
	}
	trainRows, testRows, err := cfg.Split.Sides(rows)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	logf("split: %d training rows, %d test rows", len(trainRows), len(testRows))

	// Features, from the cache when possible.
	t0 := time.Now()
	var cache *featuresets.Cache
	if opt.CacheDir != "" {
		cache = &featuresets.Cache{Dir: opt.CacheDir}
	}
	all := append(append([]dataset.Row{}, trainRows...), testRows...)
	budget, err := cfg.Budget.Value()
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	table, extractErrs, tm, err := featuresets.ExtractAll(ctx, opt.DataDir, all,
		featuresets.Options{Workers: cfg.Workers, Cache: cache, Progress: opt.Progress, Budget: budget})
	if err != nil {
		return nil, fmt.Errorf("run: features: %w", err)
	}
	timings["features"] = time.Since(t0).Seconds()
	logf("features: %d packages (%d from cache, %d failed) in %.1fs", len(all), tm.CacheHits, len(extractErrs), timings["features"])
	train, test := splitTable(table, trainRows, testRows)
	if err := checkClasses("training", train.Labels); err != nil {
		return nil, err
	}
	if len(testRows) > 0 {
		if err := checkClasses("test", test.Labels); err != nil {
			return nil, err
		}
	}

	var shift []shiftSet
	if cfg.FormShift.Enabled && len(testRows) > 0 {
		t0 = time.Now()
		var shiftErrs []featuresets.ExtractError
		shift, shiftErrs, err = formShiftSets(ctx, cfg, opt, rows, all, testRows, cache)
		if err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		extractErrs = append(extractErrs, shiftErrs...)
		timings["form_shift_features"] = time.Since(t0).Seconds()
		logf("form shift: %s in %.1fs", shiftSummary(shift), timings["form_shift_features"])
	}

	res := newResults(cfg, train, test, all, extractErrs)
	folds, err := cfg.Folds(train.Rows, train.Labels)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := writeFolds(opt.OutDir, folds, train); err != nil {
		return nil, err
	}

	// The grid.
	t0 = time.Now()
	g := &grid{cfg: cfg, train: train, test: test, folds: folds, cellDir: filepath.Join(opt.OutDir, "cells"),
		digest: res.Dataset.Digest, logf: logf, shift: shift, shiftKey: shiftDigest(shift)}
	preds, cells, err := g.cells(ctx, res)
	if err != nil {
		return nil, err
	}
	timings["grid"] = time.Since(t0).Seconds()
	if len(shift) > 0 {
		if res.FormShift, err = formShift(test, shift, cells); err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		res.FormShift.Set = cfg.Importance.Set
	}
	if err := writeCSV(filepath.Join(opt.OutDir, "predictions.csv"), func(w io.Writer) error { return writePredictions(w, preds) }); err != nil {
		return nil, err
	}

	if g.rulesApply() {
		t0 = time.Now()
		if res.Rules, err = g.rules(ctx, preds); err != nil {
			return nil, fmt.Errorf("run: rules: %w", err)
		}
		timings["rules"] = time.Since(t0).Seconds()
	}

	if cfg.Importance.Enabled {
		t0 = time.Now()
		if err := g.importance(ctx, res); err != nil {
			return nil, fmt.Errorf("run: importance: %w", err)
		}
		timings["importance"] = time.Since(t0).Seconds()
	}
	timings["total"] = time.Since(start).Seconds()
	return &Outcome{Results: res, Timings: timings, Train: train, Test: test, preds: preds}, nil
}

// cells runs every cell of the grid (leaky variant × feature set × model),
// adding them to res, and returns the test predictions and the cells.
func (g *grid) cells(ctx context.Context, res *results.Results) ([]prediction, []*cellResult, error) {
	var preds []prediction
	var cells []*cellResult
	for _, leaky := range g.cfg.Leaky {
		for _, set := range g.cfg.FeatureSets {
			for _, model := range g.cfg.Models {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
				c, err := g.cell(ctx, set, leaky, model)
				if err != nil {
					return nil, nil, fmt.Errorf("run: %s/%s (leaky %v): %w", set.Name, model, leaky, err)
				}
				res.Cells = append(res.Cells, c.reportCell())
				cells = append(cells, c)
				for i, s := range c.TestScores {
					preds = append(preds, prediction{id: g.test.Rows[i].ID, label: g.test.Labels[i], set: set.Name, leaky: leaky,
						model: model, score: s, threshold: c.Threshold})
				}
				if len(c.TestScores) > 0 && set.Name == g.cfg.Importance.Set && leaky == g.cfg.Importance.Leaky {
					res.Curves = append(res.Curves, results.Curve{Label: fmt.Sprintf("%s (%s)", model, set.Name),
						Y: g.test.Labels, Scores: c.TestScores})
				}
			}
		}
	}
	return preds, cells, nil
}

// newResults starts the results of cfg's run: config, dataset summary,
// extraction errors and set names.
func newResults(cfg *experiments.Config, train, test *Split, used []dataset.Row, extractErrs []featuresets.ExtractError) *results.Results {
	res := &results.Results{Name: cfg.Name, Seed: cfg.Seed, Models: cfg.Models}
	if y, err := configYAML(cfg); err == nil {
		res.Config = y
	}
	res.Dataset = datasetSummary(train, test, used, len(extractErrs))
	for _, e := range extractErrs {
		res.Errors = append(res.Errors, results.PackageError{ID: e.ID, Label: e.Label, Reason: e.Reason, Detail: e.Detail})
	}
	for _, s := range cfg.FeatureSets {
		res.Sets = append(res.Sets, s.Name)
	}
	return res
}

// writeFolds writes folds.csv: each training row's fold in each repeat.
func writeFolds(dir string, folds [][]experiments.Fold, train *Split) error {
	ids := make([]string, len(train.Rows))
	for i, r := range train.Rows {
		ids[i] = r.ID
	}
	return writeCSV(filepath.Join(dir, "folds.csv"), func(w io.Writer) error {
		return experiments.WriteFoldsCSV(w, folds, len(train.Rows), ids)
	})
}

// rulesApply reports whether the run compares stacking with the
// intersection rule: on the importance set, when there are test rows and
// intersection members (an ablation without that set or variant has no
// rules table, and says so).
func (g *grid) rulesApply() bool {
	if len(g.test.Rows) == 0 || len(g.cfg.Intersection) == 0 {
		return false
	}
	_, ok := g.cfg.FeatureSet(g.cfg.Importance.Set)
	if !ok || !slices.Contains(g.cfg.Leaky, g.cfg.Importance.Leaky) {
		g.logf("rules: skipped, importance.set %s (leaky=%v) is not among this run's cells", g.cfg.Importance.Set, g.cfg.Importance.Leaky)
		return false
	}
	return true
}

func checkClasses(side string, y []int) error {
	pos := 0
	for _, v := range y {
		pos += v
	}
	if pos == 0 || pos == len(y) {
		return fmt.Errorf("run: the %s rows hold a single class (%d malicious of %d)", side, pos, len(y))
	}
	return nil
}

// splitTable separates extracted rows into the two sides, in manifest order.
func splitTable(t *featuresets.Table, trainRows, testRows []dataset.Row) (*Split, *Split) {
	byID := make(map[string]int, len(t.Rows))
	for i, r := range t.Rows {
		byID[r.ID] = i
	}
	side := func(rows []dataset.Row) *Split {
		s := &Split{Table: &featuresets.Table{Features: t.Features}}
		for _, r := range rows {
			i, ok := byID[r.ID]
			if !ok {
				continue // failed extraction: listed in the errors
			}
			tr := t.Rows[i]
			s.Rows = append(s.Rows, tr)
			s.Labels = append(s.Labels, dataset.LabelValue(tr.Label))
		}
		s.Table.Rows = s.Rows
		return s
	}
	return side(trainRows), side(testRows)
}

func datasetSummary(train, test *Split, used []dataset.Row, failed int) results.DatasetSummary {
	s := results.DatasetSummary{Digest: dataset.Digest(used), Failed: failed}
	for _, y := range train.Labels {
		if y == 1 {
			s.TrainMalicious++
		} else {
			s.TrainBenign++
		}
	}
	for _, y := range test.Labels {
		if y == 1 {
			s.TestMalicious++
		} else {
			s.TestBenign++
		}
	}
	return s
}

func writeCSV(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("run: %s: %w", filepath.Base(name), err)
	}
	return f.Close()
}

// writeJSONAtomic writes v as indented JSON via a temp file and rename.
func writeJSONAtomic(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(name, append(b, '\n'))
}

// familyGroups maps each family to the selection's columns (indices into
// the selection, i.e. the design matrix), for family-level importance.
func familyGroups(features []featuresets.Feature, sel featuresets.Selection) map[string][]int {
	g := map[string][]int{}
	for j, c := range sel.Columns {
		fam := "family:" + string(features[c].Family)
		g[fam] = append(g[fam], j)
	}
	return g
}

func columnNames(features []featuresets.Feature, sel featuresets.Selection) []string {
	out := make([]string, len(sel.Columns))
	for j, c := range sel.Columns {
		out[j] = features[c].Name
	}
	return out
}
