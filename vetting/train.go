package vetting

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"pypimal/classifiers"
	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/experiments/confusion"
	"pypimal/featuresets"
)

// TrainOptions are run-time settings of Train that are not part of the
// experiment config.
type TrainOptions struct {
	DataDir  string             // dataset folder holding manifest.csv
	Cache    *featuresets.Cache // feature cache; nil: none
	Limits   dataset.Limits
	Progress io.Writer // extraction progress bar; nil: none
	Log      io.Writer // one line per step; nil: discard
	// Rows replaces the manifest (tests train on a slice); nil: read
	// DataDir/manifest.csv.
	Rows []dataset.Row
}

// Train fits cfg.Train's model (model, feature set of the config or a
// default set, leaky features or not) on the training rows of cfg's split
// and returns the model file to save.
//
// The decision threshold is chosen on out-of-fold scores of the training
// rows, from cfg.CV's folds (k, repeats, grouping, seed; every repeat's
// scores pooled): with cfg.Train.TargetFPR 0, the threshold with the
// highest F1 (ties go to the higher threshold), placed halfway between the
// two neighbouring out-of-fold scores; otherwise the lowest threshold whose
// out-of-fold false-positive rate is at most TargetFPR, which is one of
// the scores. The model itself is then fitted on all training rows with the
// seed a run uses for its test fit, so the saved model is the one `pypimal
// run` scores its test rows with in the same cell.
func Train(ctx context.Context, cfg *experiments.Config, opt TrainOptions) (*Model, error) {
	start := time.Now()
	logf := func(format string, a ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", a...)
		}
	}
	if err := cfg.ValidateTrain(); err != nil {
		return nil, fmt.Errorf("train: config %s: %w", cfg.Name, err)
	}
	set, err := cfg.TrainSet()
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	built, err := cfg.Build(cfg.Train.Model)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	factory, defThreshold := built.New, built.Threshold
	rows := opt.Rows
	if rows == nil {
		if rows, err = dataset.ReadManifestFile(filepath.Join(opt.DataDir, "manifest.csv")); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	trainRows, _, err := cfg.Split.Sides(rows)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	tc := cfg.Train
	budget, err := cfg.Budget.Value()
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	table, failed, tm, err := featuresets.ExtractAll(ctx, opt.DataDir, trainRows,
		featuresets.Options{Workers: cfg.Workers, Cache: opt.Cache, Limits: opt.Limits, Progress: opt.Progress, Budget: budget})
	if err != nil {
		return nil, fmt.Errorf("train: features: %w", err)
	}
	logf("features: %d training rows (%d from cache, %d failed)", len(trainRows), tm.CacheHits, len(failed))
	trained := table.Rows
	var y []int
	var nMal int
	for _, r := range trained {
		v := dataset.LabelValue(r.Label)
		nMal += v
		y = append(y, v)
	}
	if nMal == 0 || nMal == len(y) {
		return nil, fmt.Errorf("train: the training rows hold a single class (%d malicious of %d)", nMal, len(y))
	}
	sel, err := set.Resolve(table.Features, tc.Leaky)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	d := experiments.Data(trained, sel)

	// Out-of-fold scores for the threshold.
	folds, err := cfg.Folds(trained, y)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	forms, err := repackedForms(ctx, cfg, opt, trainRows, trained)
	if err != nil {
		return nil, err
	}
	cvData, cvY, cvFolds, formOf := withForms(trained, y, sel, folds, forms)
	if len(forms) > 0 {
		logf("threshold rows: %d benign rows re-packed as %v", len(cvY)-len(y), cfg.Train.Forms)
	}
	t0 := time.Now()
	cv, err := experiments.CrossValidate(ctx, factory, cvData, cvY, cvFolds, defThreshold,
		experiments.CVOptions{Seed: cfg.Seed, Workers: cfg.Workers})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	th, cvs, err := oofThreshold(cfg, cv, cvY, formOf, defThreshold)
	if err != nil {
		return nil, err
	}
	for _, f := range th.Forms {
		logf("out-of-fold false positives at the threshold, %s: %d of %d (%.4f)", f.Form, f.FP, f.Benign, f.FPR)
	}
	logf("cross-validation (%d folds): F1 %.3f ± %.3f at the model's threshold %g (%.0fs)",
		len(cv.Metrics()), cvs.F1Mean, cvs.F1Std, defThreshold, time.Since(t0).Seconds())
	logf("threshold %s: %.6g (out-of-fold precision %.3f, recall %.3f, F1 %.3f, FPR %.4f)",
		th.Method, th.Value, th.OOF.Precision, th.OOF.Recall, th.OOF.F1, th.OOF.FPR)

	// The model on all training rows.
	t0 = time.Now()
	p := factory(cfg.TestFitSeed())
	if err := p.Fit(d, y); err != nil {
		return nil, fmt.Errorf("train: fit on the training rows: %w", err)
	}
	pj, err := classifiers.MarshalPipeline(p)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	logf("fit on %d rows (%.0fs)", len(y), time.Since(t0).Seconds())

	cfgYAML, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: config: %w", err)
	}
	m := newModel(cfg, set, sel, built, th, p, pj, trained, y)
	m.Training = Training{
		Created: start.UTC().Format(time.RFC3339), DatasetDigest: dataset.Digest(trainRows), Config: string(cfgYAML),
		Seed: cfg.Seed, Rows: len(y), Malicious: nMal, Benign: len(y) - nMal, Failed: len(failed), CV: cvs,
		Seconds: math.Round(time.Since(start).Seconds()*10) / 10,
	}
	return m, nil
}

// newModel assembles the model file of pipeline p (stored as pj), fitted on
// the training rows with labels y; Train fills in Training.
func newModel(cfg *experiments.Config, set featuresets.Set, sel featuresets.Selection, built experiments.Built,
	th Threshold, p classifiers.Pipeline, pj []byte, trained []featuresets.TableRow, y []int) *Model {
	names := featuresets.Names()
	m := &Model{
		Kind: fileKind, Format: FormatVersion, PypimalVersion: Version(), ExtractorVersion: featuresets.ExtractorVersion,
		Features: names, Set: set, Leaky: cfg.Train.Leaky, Columns: slices.Clone(sel.Columns), Text: sel.Text,
		Model: cfg.Train.Model, ScoreKind: string(built.Score), Threshold: th, Members: built.Members,
		BenignMedians: benignMedians(trained, y, sel.Columns),
		PipelineJSON:  pj, pipe: p,
	}
	if m.Columns == nil {
		m.Columns = []int{}
	}
	m.ColumnNames = make([]string, len(m.Columns))
	for j, c := range m.Columns {
		m.ColumnNames[j] = names[c]
	}
	return m
}

// oofThreshold chooses the decision threshold on the out-of-fold scores of
// cv (every repeat pooled; rows never scored are skipped), with its rates
// there, overall and per form, and summarises the cross-validation.
func oofThreshold(cfg *experiments.Config, cv experiments.CVResult, y []int, formOf []string, defThreshold float64) (Threshold, CVScores, error) {
	var oofScores []float64
	var oofY []int
	var oofForm []string
	for _, rep := range cv.OOF {
		for i, s := range rep {
			if !math.IsNaN(s) {
				oofScores = append(oofScores, s)
				oofY = append(oofY, y[i])
				oofForm = append(oofForm, formOf[i])
			}
		}
	}
	th, err := ChooseThreshold(oofY, oofScores, cfg.Train.TargetFPR)
	if err != nil {
		return Threshold{}, CVScores{}, fmt.Errorf("train: threshold: %w", err)
	}
	th.ModelDefault = defThreshold
	if th.OOF, err = rates(oofY, oofScores, th.Value); err != nil {
		return Threshold{}, CVScores{}, fmt.Errorf("train: %w", err)
	}
	if th.OOFDefault, err = rates(oofY, oofScores, defThreshold); err != nil {
		return Threshold{}, CVScores{}, fmt.Errorf("train: %w", err)
	}
	if th.Forms, err = formRates(oofY, oofScores, oofForm, th.Value); err != nil {
		return Threshold{}, CVScores{}, fmt.Errorf("train: %w", err)
	}
	sum := experiments.Summarize(cv.Metrics())
	cvs := CVScores{K: cfg.CV.K, Repeats: cfg.CV.Repeats, Group: cfg.CV.Group,
		F1Mean: finite(sum.F1.Mean), F1Std: finite(sum.F1.Std), Precision: finite(sum.Precision.Mean),
		Recall: finite(sum.Recall.Mean), FPR: finite(sum.FPR.Mean)}
	if v, err := experiments.ROCAUC(oofY, oofScores); err == nil {
		cvs.ROCAUC = v
	}
	if v, err := experiments.AveragePrecision(oofY, oofScores); err == nil {
		cvs.PRAUC = v
	}
	return th, cvs, nil
}

// Threshold.Forms names the training rows as they are: Debian's installed
// trees and the real published PyPI files (realform rows).
const (
	formInstalled = "installed"
	formPyPI      = "pypi"
)

// repackedForm is the training rows' benign installed trees re-packed into
// one form: table rows, and the index in the training rows of each.
type repackedForm struct {
	name string
	rows []featuresets.TableRow
	of   []int
}

// repackedForms extracts cfg.Train.Forms' re-packed copies of the benign
// Debian training rows (train.forms), from the cache when possible.
func repackedForms(ctx context.Context, cfg *experiments.Config, opt TrainOptions, trainRows []dataset.Row, trained []featuresets.TableRow) ([]repackedForm, error) {
	if len(cfg.Train.Forms) == 0 {
		return nil, nil
	}
	index := map[string]int{}
	for i, r := range trained {
		index[r.ID] = i
	}
	var benign []dataset.Row
	for _, r := range trainRows {
		if _, ok := index[r.ID]; ok && r.Label == dataset.Benign && r.Format == "deb" {
			benign = append(benign, r)
		}
	}
	var out []repackedForm
	for _, form := range cfg.Train.Forms {
		rp, err := featuresets.NewRepacking(form, cfg.RepackSeed())
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		t, failed, _, err := featuresets.ExtractAll(ctx, opt.DataDir, benign,
			featuresets.Options{Workers: cfg.Workers, Cache: opt.Cache, Limits: opt.Limits, Repack: rp})
		if err != nil {
			return nil, fmt.Errorf("train: re-packed %s features: %w", form, err)
		}
		if len(failed) > 0 {
			return nil, fmt.Errorf("train: %d benign rows could not be re-packed as %s (first: %s: %s)", len(failed), form, failed[0].ID, failed[0].Detail)
		}
		f := repackedForm{name: form, rows: t.Rows}
		for _, r := range t.Rows {
			f.of = append(f.of, index[r.ID])
		}
		out = append(out, f)
	}
	return out, nil
}

// withForms appends the re-packed rows to the cross-validation input as
// rows that are never trained on: each is scored in the fold that holds
// out its original, by the models that never saw the original either.
func withForms(rows []featuresets.TableRow, y []int, sel featuresets.Selection, folds [][]experiments.Fold, forms []repackedForm) (classifiers.Data, []int, [][]experiments.Fold, []string) {
	formOf := make([]string, len(rows))
	for i, r := range rows {
		formOf[i] = formInstalled
		if r.PaperSplit == "realform" {
			formOf[i] = formPyPI
		}
	}
	if len(forms) == 0 {
		return experiments.Data(rows, sel), y, folds, formOf
	}
	all := slices.Clone(rows)
	allY := slices.Clone(y)
	copies := make([][]int, len(rows)) // original row -> its re-packed rows
	for _, f := range forms {
		for j, r := range f.rows {
			copies[f.of[j]] = append(copies[f.of[j]], len(all))
			all = append(all, r)
			allY = append(allY, 0)
			formOf = append(formOf, f.name)
		}
	}
	out := make([][]experiments.Fold, len(folds))
	for r, rep := range folds {
		out[r] = make([]experiments.Fold, len(rep))
		for k, fold := range rep {
			test := slices.Clone(fold.Test)
			for _, i := range fold.Test {
				test = append(test, copies[i]...)
			}
			out[r][k] = experiments.Fold{Train: fold.Train, Test: test}
		}
	}
	return experiments.Data(all, sel), allY, out, formOf
}

// formRates is the false-positive rate at threshold of the benign
// out-of-fold scores of each form, installed first.
func formRates(y []int, scores []float64, form []string, threshold float64) ([]FormRate, error) {
	var order []string
	by := map[string][]float64{}
	for i, s := range scores {
		if y[i] != 0 {
			continue
		}
		if _, ok := by[form[i]]; !ok {
			order = append(order, form[i])
		}
		by[form[i]] = append(by[form[i]], s)
	}
	if len(order) < 2 {
		return nil, nil // one form: Threshold.OOF says it all
	}
	out := make([]FormRate, len(order))
	for i, f := range order {
		r, err := rates(make([]int, len(by[f])), by[f], threshold)
		if err != nil {
			return nil, fmt.Errorf("form %s: %w", f, err)
		}
		out[i] = FormRate{Form: f, Benign: len(by[f]), FP: r.FP, FPR: r.FPR}
	}
	return out, nil
}

// benignMedians returns, per column, the lower median over benign rows:
// a value that some benign package actually has (a count stays a whole
// number, a flag stays 0 or 1).
func benignMedians(rows []featuresets.TableRow, y []int, cols []int) []float64 {
	out := make([]float64, len(cols))
	var vals []float64
	for j, c := range cols {
		vals = vals[:0]
		for i, r := range rows {
			if y[i] == 0 {
				vals = append(vals, r.Values[c])
			}
		}
		slices.Sort(vals)
		if len(vals) > 0 {
			out[j] = vals[(len(vals)-1)/2]
		}
	}
	return out
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func rates(y []int, scores []float64, t float64) (Rates, error) {
	m, err := experiments.Evaluate(y, scores, t)
	if err != nil {
		return Rates{}, err
	}
	return Rates{Precision: m.Precision, Recall: m.Recall, F1: m.F1, FPR: m.FPR, TP: m.TP, FP: m.FP, TN: m.TN, FN: m.FN}, nil
}

// ChooseThreshold picks a decision threshold (malicious when score > t)
// from out-of-fold scores. With targetFPR 0 it maximises F1: among the
// intervals between consecutive distinct scores it takes the one with the
// highest F1 (the higher one on ties, for fewer false positives) and
// returns its midpoint. With targetFPR in (0, 1) it returns the lowest
// threshold whose false-positive rate is at most targetFPR: the smallest
// score s such that the benign rows scoring above s are few enough.
func ChooseThreshold(y []int, scores []float64, targetFPR float64) (Threshold, error) {
	if len(y) != len(scores) || len(y) == 0 {
		return Threshold{}, fmt.Errorf("%d labels for %d scores", len(y), len(scores))
	}
	if !(targetFPR >= 0 && targetFPR < 1) {
		return Threshold{}, fmt.Errorf("target false-positive rate %v: want 0 (maximise F1) or a rate in (0, 1)", targetFPR)
	}
	malicious := make([]bool, len(y))
	var P, N int
	for i := range y {
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) {
			return Threshold{}, fmt.Errorf("row %d has score %v", i, scores[i])
		}
		malicious[i] = y[i] == 1
		if malicious[i] {
			P++
		} else {
			N++
		}
	}
	if P == 0 || N == 0 {
		return Threshold{}, fmt.Errorf("out-of-fold scores of a single class (%d malicious, %d benign)", P, N)
	}
	// At each cut (a threshold just below every score, then each distinct
	// score) the rows scoring above it are called malicious.
	cands := confusion.Cuts(scores, malicious)
	if targetFPR > 0 {
		for _, c := range cands {
			if float64(c.FP)/float64(N) <= targetFPR {
				return Threshold{Value: c.At, Method: MethodTargetFPR, TargetFPR: targetFPR}, nil
			}
		}
		// Unreachable: the highest score flags nothing.
		return Threshold{}, fmt.Errorf("no threshold reaches false-positive rate %v", targetFPR)
	}
	best, bestF1 := -1, -1.0
	for k, c := range cands {
		if f1 := c.F1(); f1 >= bestF1 {
			best, bestF1 = k, f1
		}
	}
	t := cands[best].At
	if best+1 < len(cands) {
		// Halfway to the next score: the same out-of-fold counts with a
		// margin on both sides (the cut itself when the two are adjacent
		// floats).
		if next := cands[best+1].At; t/2+next/2 > t && t/2+next/2 < next {
			t = t/2 + next/2
		}
	}
	return Threshold{Value: t, Method: MethodMaxF1}, nil
}
