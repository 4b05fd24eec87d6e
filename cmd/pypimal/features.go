package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/featuresets"
)

func newFeaturesCmd(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{Use: "features", Short: "The feature catalogue and its audit on the dataset"}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "Print the feature catalogue as a Markdown table (docs/features.md)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return featuresets.WriteMarkdown(cmd.OutOrStdout())
			},
		},
		&cobra.Command{
			Use:   "audit",
			Short: "Per feature: mean per class and single-feature ROC-AUC over the dataset",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runAudit(cmd.Context(), cmd.OutOrStdout(), v)
			},
		},
	)
	return cmd
}

func newExtractCmd(v *viper.Viper) *cobra.Command {
	var out, config string
	cmd := &cobra.Command{
		Use:   "extract -o DIR",
		Short: "Write features.csv, tokens.tsv and errors.csv for every dataset row",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("extract: -o DIR is required")
			}
			return runExtract(cmd.Context(), cmd.OutOrStdout(), v, out, config)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output folder")
	cmd.Flags().StringVar(&config, "config", "", "experiment config: extract only its training and test rows, from its data folder")
	return cmd
}

// extractOptions builds extraction options: the cache lives in
// cache/features beside the repository unless --cache-dir or --no-cache.
func extractOptions(v *viper.Viper) featuresets.Options {
	opt := featuresets.Options{Workers: v.GetInt("workers"), Progress: progressWriter(), Budget: budget(v)}
	if !v.GetBool("no-cache") {
		dir := v.GetString("cache-dir")
		if dir == "" {
			dir = "cache"
			if root, ok := repoRoot(); ok {
				dir = filepath.Join(root, "cache")
			}
		}
		opt.Cache = &featuresets.Cache{Dir: dir}
	}
	return opt
}

func extractTable(ctx context.Context, w io.Writer, v *viper.Viper, config string) (*featuresets.Table, []featuresets.ExtractError, error) {
	dir, rows, err := loadManifest(v)
	if err != nil {
		return nil, nil, err
	}
	if config != "" {
		if dir, rows, err = configRows(v, config); err != nil {
			return nil, nil, err
		}
	}
	start := time.Now()
	t, errs, tm, err := featuresets.ExtractAll(ctx, dir, rows, extractOptions(v))
	if err != nil {
		return nil, nil, err
	}
	busy := (tm.Load + tm.Extract).Seconds()
	parseShare := 0.0
	if busy > 0 {
		parseShare = 100 * tm.Parse.Seconds() / busy
	}
	fmt.Fprintf(os.Stderr, "extracted %d packages (%d failed, %d from cache) in %.1fs; worker time: load %.1fs, features %.1fs (Python parsing %.1fs, %.0f%% of worker time)\n",
		len(rows), len(errs), tm.CacheHits, time.Since(start).Seconds(), tm.Load.Seconds(), tm.Extract.Seconds(), tm.Parse.Seconds(), parseShare)
	return t, errs, nil
}

// configRows returns the data folder and the training + test rows of an
// experiment config, in manifest order.
func configRows(v *viper.Viper, path string) (string, []dataset.Row, error) {
	overrides := map[string]any{}
	if d := v.GetString("data"); d != "" {
		overrides["data"] = d
	}
	cfg, err := experiments.LoadConfig(path, overrides)
	if err != nil {
		return "", nil, err
	}
	dir := cfg.Data
	if dir == "" {
		dir = dataDir(v)
	}
	all, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		return "", nil, fmt.Errorf("dataset folder %s: %w", dir, err)
	}
	train, test, err := cfg.Split.Sides(all)
	if err != nil {
		return "", nil, err
	}
	inSplit := map[string]bool{}
	for _, r := range append(train, test...) {
		inSplit[r.ID] = true
	}
	var rows []dataset.Row
	for _, r := range all {
		if inSplit[r.ID] {
			rows = append(rows, r)
		}
	}
	return dir, rows, nil
}

func runExtract(ctx context.Context, w io.Writer, v *viper.Viper, out, config string) error {
	t, errs, err := extractTable(ctx, w, v, config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"features.csv", t.WriteFeaturesCSV},
		{"tokens.tsv", t.WriteTokensTSV},
		{"errors.csv", func(w io.Writer) error { return featuresets.WriteErrorsCSV(w, errs) }},
	} {
		if err := writeFile(filepath.Join(out, f.name), f.write); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "wrote %s: %d rows × %d features, tokens, %d errors\n", out, len(t.Rows), len(t.Features), len(errs))
	return nil
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	return f.Close()
}

func runAudit(ctx context.Context, w io.Writer, v *viper.Viper) error {
	t, errs, err := extractTable(ctx, w, v, "")
	if err != nil {
		return err
	}
	y := make([]int, len(t.Rows))
	for i, r := range t.Rows {
		y[i] = dataset.LabelValue(r.Label)
	}
	type line struct {
		f              featuresets.Feature
		mal, ben, auc  float64
		nonzeroM, nonZ float64
	}
	var lines []line
	for j, f := range t.Features {
		col := make([]float64, len(t.Rows))
		var sm, sb, nm, nb, zm, zb float64
		for i, r := range t.Rows {
			col[i] = r.Values[j]
			if y[i] == 1 {
				sm += r.Values[j]
				nm++
				if r.Values[j] != 0 {
					zm++
				}
			} else {
				sb += r.Values[j]
				nb++
				if r.Values[j] != 0 {
					zb++
				}
			}
		}
		auc, err := experiments.ROCAUC(y, col)
		if err != nil {
			return fmt.Errorf("audit %s: %w", f.Name, err)
		}
		lines = append(lines, line{f, sm / nm, sb / nb, auc, zm / nm, zb / nb})
	}
	// Most separating first: |AUC − 0.5| descending.
	sort.SliceStable(lines, func(a, b int) bool { return abs(lines[a].auc-0.5) > abs(lines[b].auc-0.5) })
	fmt.Fprintf(w, "%d packages (%d failed); ROC-AUC of each feature alone (1 = higher in malware, 0 = higher in benign)\n\n", len(t.Rows), len(errs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "feature\tfamily\tleaky\tmean malicious\tmean benign\tnon-zero mal\tnon-zero ben\tROC-AUC")
	for _, l := range lines {
		leaky := ""
		if l.f.Leaky {
			leaky = "leaky"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t%.4g\t%.0f%%\t%.0f%%\t%.3f\n", l.f.Name, l.f.Family, leaky, l.mal, l.ben, 100*l.nonzeroM, 100*l.nonZ, l.auc)
	}
	return tw.Flush()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
