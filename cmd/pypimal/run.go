package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"pypimal/experiments"
	"pypimal/experiments/configfile"
	"pypimal/experiments/results"
	"pypimal/experiments/runner"
	"pypimal/harness"
	"pypimal/reports"
)

func newRunCmd(v *viper.Viper) *cobra.Command {
	var seed int64
	var output string
	cmd := &cobra.Command{
		Use:   "run [CONFIG]",
		Short: "Run an experiment (default experiments/paper.yaml) and write results/<name>/",
		Long: "Runs the experiment a config describes: features for the chosen rows (cached), cross-validation of\n" +
			"every feature set × model on the training rows, the fit on all training rows scored on the test rows,\n" +
			"permutation importance, and the report (tables, plots, report.md, run.json, predictions.csv).\n" +
			"A run that is interrupted and started again reuses cached features and finished cells.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			overrides := map[string]any{}
			if cmd.Flags().Changed("seed") {
				overrides["seed"] = seed
			}
			if cmd.Flags().Changed("output") {
				overrides["output"] = output
			}
			cfg, err := loadExperiment(cmd, v, args, overrides)
			if err != nil {
				return err
			}
			return runExperiment(cmd, v, cfg)
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 0, "override the config's seed")
	cmd.Flags().StringVarP(&output, "output", "o", "", "results folder (default results/ in the repository); the run writes <output>/<name>/")
	return cmd
}

// runOptions resolves the folders a config leaves empty.
func runOptions(v *viper.Viper, cfg *experiments.Config, w io.Writer) runner.Options {
	opt := runner.Options{DataDir: cfg.Data, Progress: progressWriter(), Log: w}
	if opt.DataDir == "" {
		opt.DataDir = dataDir(v)
	}
	out := cfg.Output
	if out == "" {
		out = "results"
		if root, ok := repoRoot(); ok {
			out = filepath.Join(root, "results")
		}
	}
	opt.OutDir = filepath.Join(out, cfg.Name)
	switch {
	case cfg.Cache == "off" || v.GetBool("no-cache"):
	case cfg.Cache != "":
		opt.CacheDir = cfg.Cache
	default:
		if c := extractOptions(v).Cache; c != nil {
			opt.CacheDir = c.Dir
		}
	}
	return opt
}

func runExperiment(cmd *cobra.Command, v *viper.Viper, cfg *experiments.Config) error {
	out, err := harness.Run(cmd.Context(), cfg, runOptions(v, cfg, cmd.ErrOrStderr()))
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s: %d tables, %d plots, report %s (%.0fs)\n", cfg.Name, len(out.Files.Tables), len(out.Files.Plots),
		out.Report, out.Timings["total"])
	printHeadline(w, out.Results)
	return nil
}

// printHeadline prints the best cells without leaky features.
func printHeadline(w io.Writer, r *results.Results) {
	var bestCV, bestTest *results.Cell
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Leaky {
			continue
		}
		if bestCV == nil || c.CV.F1.Mean > bestCV.CV.F1.Mean {
			bestCV = c
		}
		if c.Test != nil && (bestTest == nil || c.Test.F1 > bestTest.Test.F1) {
			bestTest = c
		}
	}
	if bestCV != nil {
		fmt.Fprintf(w, "best CV F1 (no leaky features): %.3f ± %.3f, %s on %s (paper: %.3f)\n",
			bestCV.CV.F1.Mean, bestCV.CV.F1.Std, bestCV.Model, bestCV.Set, reports.PaperCVF1)
	}
	if bestTest != nil {
		fmt.Fprintf(w, "best test F1 (no leaky features): %.3f, %s on %s (paper: %.2f)\n",
			bestTest.Test.F1, bestTest.Model, bestTest.Set, reports.PaperTestF1)
	}
}

// loadExperiment reads the config named by args (default
// experiments/paper.yaml in the repository) with overrides, adding the
// global --workers and --data flags when given: flags beat the file.
func loadExperiment(cmd *cobra.Command, v *viper.Viper, args []string, overrides map[string]any) (*experiments.Config, error) {
	path := ""
	if len(args) == 1 {
		path = args[0]
	} else if root, ok := repoRoot(); ok {
		path = filepath.Join(root, "experiments", "paper.yaml")
	}
	if f := cmd.Flags().Lookup("workers"); f != nil && f.Changed {
		overrides["workers"] = v.GetInt("workers")
	}
	if f := cmd.Flags().Lookup("data"); f != nil && f.Changed {
		overrides["data"] = v.GetString("data")
	}
	for flag, key := range map[string]string{"package-budget": "budget.package", "file-budget": "budget.file"} {
		if f := cmd.Flags().Lookup(flag); f != nil && f.Changed {
			overrides[key] = v.GetDuration(key).String()
		}
	}
	return configfile.Load(path, overrides)
}
