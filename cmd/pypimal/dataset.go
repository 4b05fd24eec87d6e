package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"pypimal/dataset"
)

func newDatasetCmd(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{Use: "dataset", Short: "Check, describe and rebuild the dataset"}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "verify",
			Short: "Check every row: hash, archive, metadata; exit 1 if any row failed",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runVerify(cmd.Context(), cmd.OutOrStdout(), v)
			},
		},
		&cobra.Command{
			Use:   "stats",
			Short: "Describe the packages of each label",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runStats(cmd.Context(), cmd.OutOrStdout(), v)
			},
		},
		newFetchCmd(v),
	)
	return cmd
}

func newFetchCmd(v *viper.Viper) *cobra.Command {
	var f fetchFlags
	cmd := &cobra.Command{
		Use:   "fetch --out DIR [--manifest FILE] [--malregistry CLONE|URL] [--repos DIR|URL]",
		Short: "Rebuild the dataset into --out: malware from pypi_malregistry, real PyPI files from their repositories, Debian rows with apt-get; exit 1 if any row failed",
		Long: `Rebuilds a dataset folder from a manifest: pypi_malregistry rows are read
with "git show" from a clone at the manifest's commit (nothing is checked
out), Debian rows are downloaded with "apt-get download NAME=VERSION". Every
archive is checked against the manifest's size and sha256; rows already in
--out are left alone. --malregistry is a local clone, or a URL that is
cloned bare (blobs fetched on demand) into a scratch folder inside --out and
removed afterwards. Real published files (source pypi-published, source_ref
OWNER/REPO@COMMIT:PATH) are read the same way from --repos: a folder of
clones as DIR/OWNER/REPO, or a URL prefix such as https://github.com under
which each named repository is cloned bare (into a scratch folder inside
--out, removed afterwards).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFetch(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), v, f)
		},
	}
	cmd.Flags().StringVar(&f.manifest, "manifest", "", "manifest to rebuild (default: manifest.csv of the data folder)")
	cmd.Flags().StringVar(&f.malregistry, "malregistry", "", "pypi_malregistry: a local clone, or a URL to clone")
	cmd.Flags().StringVar(&f.repos, "repos", "", "repositories of pypi-published rows: a folder of clones as DIR/OWNER/REPO, or a URL prefix to clone them from")
	cmd.Flags().StringVar(&f.out, "out", "", "data folder to fill, created if missing (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

type fetchFlags struct {
	manifest, malregistry, repos, out string
}

func runFetch(ctx context.Context, w, log io.Writer, v *viper.Viper, f fetchFlags) error {
	if f.out == "" {
		return errors.New("fetch: --out DIR is required")
	}
	if f.manifest == "" {
		f.manifest = filepath.Join(dataDir(v), "manifest.csv")
	}
	start := time.Now()
	rep, err := dataset.Fetch(ctx, dataset.FetchOptions{
		Manifest: f.manifest, MalRegistry: f.malregistry, Repos: f.repos, Out: f.out, Workers: v.GetInt("workers"), Log: log,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "fetch %s into %s: %d rows, %d fetched, %d present, %d failed (%.1fs)\n",
		f.manifest, f.out, rep.Fetched+rep.Present+rep.Failed, rep.Fetched, rep.Present, rep.Failed, time.Since(start).Seconds())
	if rep.Failed == 0 {
		fmt.Fprintln(w, "errors: none")
		return nil
	}
	fmt.Fprintln(w, "\nerrors:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\treason\tdetail")
	for _, e := range rep.Errors {
		detail := ""
		if e.Err != nil {
			detail = e.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\n", e.ID, e.Kind, oneLine(detail))
	}
	tw.Flush()
	return &exitError{code: 1, err: errors.New("")}
}

// oneLine keeps a table cell on one line (git and apt-get errors carry
// their output).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func loadManifest(v *viper.Viper) (string, []dataset.Row, error) {
	dir := dataDir(v)
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		return "", nil, fmt.Errorf("dataset folder %s: %w", dir, err)
	}
	return dir, rows, nil
}

func loadOptions(v *viper.Viper) dataset.LoadOptions {
	return dataset.LoadOptions{Workers: v.GetInt("workers"), Progress: progressWriter()}
}

func runVerify(ctx context.Context, w io.Writer, v *viper.Viper) error {
	dir, rows, err := loadManifest(v)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := dataset.Verify(ctx, dir, rows, loadOptions(v))
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(w, "dataset %s: %d rows, %d ok, %d failed, metadata found in %d (%.1fs, %.0f packages/s, %.1f MB/s)\n\n",
		dir, rep.Rows, rep.Rows-rep.Failed, rep.Failed, rep.WithMeta, secs, float64(rep.Rows)/secs, float64(rep.Bytes)/1e6/secs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, group := range []struct {
		name string
		t    []dataset.Tally
	}{{"label", rep.ByLabel}, {"format", rep.ByFormat}, {"paper_split", rep.BySplit}} {
		fmt.Fprintf(tw, "%s\trows\tfailed\n", group.name)
		for _, t := range group.t {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", t.Key, t.Rows, t.Failed)
		}
		fmt.Fprintln(tw, "\t\t")
	}
	tw.Flush()
	if len(rep.Issues) > 0 {
		fmt.Fprintln(w, "archive members skipped or repaired (recorded, not errors):")
		for _, k := range sortedKeys(rep.Issues) {
			fmt.Fprintf(w, "  %-28s %d\n", k, rep.Issues[k])
		}
		fmt.Fprintln(w)
	}
	if rep.Failed == 0 {
		fmt.Fprintln(w, "errors: none")
		return nil
	}
	fmt.Fprintln(w, "errors:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\treason\tdetail")
	for _, e := range rep.Errors {
		detail := ""
		if e.Err != nil {
			detail = e.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\n", e.ID, e.Kind, detail)
	}
	tw.Flush()
	return &exitError{code: 1, err: errors.New("")}
}

func runStats(ctx context.Context, w io.Writer, v *viper.Viper) error {
	dir, rows, err := loadManifest(v)
	if err != nil {
		return err
	}
	stats, err := dataset.Stats(ctx, dir, rows, loadOptions(v))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\tpackages\tfiles\tMB\tpython files\tpython lines\twith PKG-INFO/METADATA\twith setup.py\tfailed\t")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%d\t%d\t%.1f%%\t%.1f%%\t%d\t\n", s.Label, s.Packages, s.Files,
			float64(s.Bytes)/1e6, s.PythonFiles, s.PythonLines, pct(s.WithMeta, s.Packages), pct(s.WithSetupPy, s.Packages), s.Failed)
	}
	return tw.Flush()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
