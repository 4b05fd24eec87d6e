package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"pypimal/baselines"
	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/experiments/runner"
	"pypimal/featuresets"
)

// runBaselines runs bandit and reads packj on the configured rows and
// writes the comparison with pypimal's stacking model (on the importance
// feature set) into <out>/baselines. It returns the report's path relative
// to the results folder.
func runBaselines(ctx context.Context, cfg *experiments.Config, opt runner.Options, out *runner.Outcome) (string, map[string]string, error) {
	bc := cfg.Baselines
	timeout, err := time.ParseDuration(bc.BanditTimeout)
	if err != nil {
		return "", nil, fmt.Errorf("baselines.bandit_timeout %q: %w", bc.BanditTimeout, err)
	}
	split := map[string]string{}
	var rows []dataset.Row
	train, test := out.Train.Rows, out.Test.Rows
	// packj's reports cover both sides, so its best N is tuned on the
	// training rows; bandit runs on the training rows only when asked
	// (hours on the paper split).
	var banditSplits []string
	if bc.Split != "train+test" {
		banditSplits = []string{baselines.SplitTest}
	}
	for _, r := range train {
		split[r.ID] = baselines.SplitTrain
	}
	for _, r := range test {
		split[r.ID] = baselines.SplitTest
	}
	all, err := dataset.ReadManifestFile(filepath.Join(opt.DataDir, "manifest.csv"))
	if err != nil {
		return "", nil, err
	}
	for _, r := range all {
		if _, ok := split[r.ID]; ok {
			rows = append(rows, r)
		}
	}
	packj := bc.Packj
	if packj == "" && bc.PackjReports == "" {
		packj = filepath.Join(opt.DataDir, "..", "baselines", "packj", "packj-static.jsonl")
	}
	dir := filepath.Join(opt.OutDir, "baselines")
	res, err := baselines.Run(ctx, opt.DataDir, rows, baselines.Options{
		NoBandit: !bc.Bandit, Workers: cfg.Workers, Timeout: timeout, PackjFile: packj, PackjDir: bc.PackjReports,
		Split: split, BanditSplits: banditSplits, RawDir: filepath.Join(dir, "bandit"), Progress: opt.Progress,
	})
	if err != nil {
		return "", nil, err
	}
	preds, err := pypimalPredictions(ctx, cfg, opt, out, all)
	if err != nil {
		return "", nil, err
	}
	if err := baselines.WriteReport(dir, res, preds); err != nil {
		return "", nil, err
	}
	tools := map[string]string{}
	if res.Bandit != nil {
		tools["bandit"] = res.Bandit.Version
		tools["python (bandit)"] = res.Bandit.Python
	}
	return filepath.Join("baselines", "baselines.md"), tools, nil
}

// pypimalPredictions are the stacking model's test verdicts (the
// importance set, usually `all` without leaky features), with seconds per
// package measured as a fresh extraction (no cache) plus the share of
// prediction time. all is the manifest.
func pypimalPredictions(ctx context.Context, cfg *experiments.Config, opt runner.Options, out *runner.Outcome, all []dataset.Row) ([]baselines.Prediction, error) {
	model := experiments.ModelStacking
	scores, threshold, ok := out.TestScores(cfg.Importance.Set, cfg.Importance.Leaky, model)
	if !ok {
		return nil, fmt.Errorf("baselines: no %s cell on set %q to compare with", model, cfg.Importance.Set)
	}
	rows := make([]dataset.Row, len(out.Test.Rows))
	byID := map[string]dataset.Row{}
	for _, r := range all {
		byID[r.ID] = r
	}
	for i, r := range out.Test.Rows {
		rows[i] = byID[r.ID]
	}
	_, _, tm, err := featuresets.ExtractAll(ctx, opt.DataDir, rows, featuresets.Options{Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	perPkg := (tm.Load + tm.Extract).Seconds() / float64(len(rows))
	preds := make([]baselines.Prediction, len(scores))
	for i, s := range scores {
		preds[i] = baselines.Prediction{ID: out.Test.Rows[i].ID, Label: out.Test.Labels[i], Score: s, Flag: s > threshold, Seconds: perPkg}
	}
	return preds, nil
}
