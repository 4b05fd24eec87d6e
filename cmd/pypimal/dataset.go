package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	reg := f.malregistry
	if isGitURL(reg) {
		dir, err := cloneMalRegistry(ctx, reg, f.out, log)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		reg = dir
	}
	repos := f.repos
	if isGitURL(repos) {
		dir, err := cloneRepos(ctx, repos, f.manifest, f.out, log)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		repos = dir
	}
	start := time.Now()
	rep, err := dataset.Fetch(ctx, dataset.FetchOptions{
		Manifest: f.manifest, MalRegistry: reg, Repos: repos, Out: f.out, Workers: v.GetInt("workers"), Log: log,
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

// isGitURL tells a remote ("https://…", "ssh://…", "file://…",
// "git@host:path") from a local path.
func isGitURL(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	user, rest, ok := strings.Cut(s, "@")
	host, _, ok2 := strings.Cut(rest, ":")
	return ok && ok2 && user != "" && host != "" && !strings.ContainsAny(user+host, "/\\")
}

// cloneMalRegistry makes a bare, blobless clone of url in a scratch folder
// inside out (so nothing is written elsewhere); git show fetches the blobs
// it needs. Nothing is checked out.
func cloneMalRegistry(ctx context.Context, url, out string, log io.Writer) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	dir, err := os.MkdirTemp(out, ".malregistry-")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if err := cloneBare(ctx, url, dir, log); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// cloneRepos clones, bare and blobless, every repository that the
// manifest's pypi-published rows name, from prefix/OWNER/REPO into a scratch
// folder inside out laid out as Fetch's Repos folder. A repository that
// cannot be cloned is left out: its rows fail in Fetch, the others go on.
func cloneRepos(ctx context.Context, prefix, manifest, out string, log io.Writer) (string, error) {
	rows, err := dataset.ReadManifestFile(manifest)
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	dir, err := os.MkdirTemp(out, ".repos-")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Source != dataset.SourcePyPIPublished {
			continue
		}
		repo, _, _, err := dataset.ParseRepoRef(r.SourceRef)
		if err != nil || seen[repo] {
			continue // a bad ref fails its row in Fetch
		}
		seen[repo] = true
		dst := filepath.Join(dir, filepath.FromSlash(repo))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("fetch: %w", err)
		}
		if err := cloneBare(ctx, strings.TrimSuffix(prefix, "/")+"/"+repo, dst, log); err != nil {
			fmt.Fprintf(log, "%v\n", err)
			os.RemoveAll(dst)
		}
	}
	return dir, nil
}

// cloneBare clones url into dir without a work tree; git show fetches the
// blobs it needs later.
func cloneBare(ctx context.Context, url, dir string, log io.Writer) error {
	fmt.Fprintf(log, "cloning %s (bare, blobs on demand)\n", url)
	cmd := exec.CommandContext(ctx, "git", "clone", "--quiet", "--bare", "--filter=blob:none", "--", url, dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("fetch: git clone %s: %w: %s", url, err, strings.TrimSpace(string(msg)))
	}
	return nil
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
