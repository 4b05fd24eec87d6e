// Package harness runs an experiment config end to end and writes
// everything it produces under results/<name>/: the runner's results, the
// bandit/packj comparison when the config enables it, the reports
// (tables, plots, report.md) and run.json.
package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"pypimal/experiments"
	"pypimal/experiments/results"
	"pypimal/experiments/runner"
	"pypimal/reports"
)

// Outcome is what Run wrote.
type Outcome struct {
	Results *results.Results
	Files   reports.ReportFiles
	Timings map[string]float64 // seconds per step
	Report  string             // path of report.md
}

// Run runs cfg with the runner, then the baselines when enabled, and
// writes the reports and run.json into opt.OutDir.
func Run(ctx context.Context, cfg *experiments.Config, opt runner.Options) (*Outcome, error) {
	started := time.Now()
	if _, err := os.Stat(filepath.Join(opt.DataDir, "manifest.csv")); err != nil {
		return nil, fmt.Errorf("dataset folder %s: %w", opt.DataDir, err)
	}
	out, err := runner.Run(ctx, cfg, opt)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var tools map[string]string
	if cfg.Baselines.Enabled {
		rel, t, err := runBaselines(ctx, cfg, opt, out)
		if err != nil {
			return nil, err
		}
		tools = t
		out.Results.BaselinesReport = rel
		out.Timings["baselines"] = time.Since(t0).Seconds()
		t0 = time.Now()
	}
	files, err := reports.WriteAll(opt.OutDir, out.Results)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	out.Timings["reports"] = time.Since(t0).Seconds()
	out.Timings["total"] = time.Since(started).Seconds()
	info := runner.NewRunInfo(cfg, opt, out, started)
	for k, val := range tools {
		info.Tools[k] = val
	}
	if err := info.Write(opt.OutDir); err != nil {
		return nil, fmt.Errorf("run.json: %w", err)
	}
	return &Outcome{Results: out.Results, Files: files, Timings: out.Timings, Report: filepath.Join(opt.OutDir, "report.md")}, nil
}
