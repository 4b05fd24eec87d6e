package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"golang.org/x/term"

	"pypimal/featuresets"
)

// newRootCmd builds the command tree. Settings come from flags, then
// PYPIMAL_* environment variables, then defaults (viper).
func newRootCmd() *cobra.Command {
	v := viper.New()
	v.SetEnvPrefix("PYPIMAL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()

	root := &cobra.Command{
		Use:           "pypimal",
		Short:         "Detect malicious PyPI packages from static features (Samaana et al., SAC 2025, reproduced)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("data", "", "dataset folder with manifest.csv (env PYPIMAL_DATA; default ../shared/data beside the repository)")
	root.PersistentFlags().Int("workers", 0, "parallel workers (env PYPIMAL_WORKERS; default: number of CPUs)")
	_ = v.BindPFlag("data", root.PersistentFlags().Lookup("data"))
	root.PersistentFlags().String("cache-dir", "", "feature cache folder (env PYPIMAL_CACHE_DIR; default cache/ in the repository)")
	root.PersistentFlags().Bool("no-cache", false, "compute every feature row afresh, neither reading nor writing the cache")
	for _, f := range []string{"workers", "cache-dir", "no-cache"} {
		_ = v.BindPFlag(f, root.PersistentFlags().Lookup(f))
	}
	root.PersistentFlags().Duration("package-budget", featuresets.DefaultPackageBudget,
		"time budget of one package's analysis; over it the package is an error and the others go on (config budget.package, env PYPIMAL_BUDGET_PACKAGE; 0: none)")
	root.PersistentFlags().Duration("file-budget", featuresets.DefaultFileBudget,
		"time budget of one .py file; over it the file is analysed by the linear fallback (config budget.file, env PYPIMAL_BUDGET_FILE; 0: none)")
	_ = v.BindPFlag("budget.package", root.PersistentFlags().Lookup("package-budget"))
	_ = v.BindPFlag("budget.file", root.PersistentFlags().Lookup("file-budget"))

	root.PersistentFlags().String("cpuprofile", "", "write a Go CPU profile of the command to this file (go tool pprof reads it)")
	prof := &cpuProfile{}
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		path, _ := cmd.Flags().GetString("cpuprofile")
		return prof.start(path)
	}
	// A failing command skips this hook, so main calls it again after
	// Execute (stop is idempotent): the profile of a failed run is kept.
	root.PersistentPostRunE = func(*cobra.Command, []string) error { return prof.stop() }

	root.AddCommand(newDatasetCmd(v), newFeaturesCmd(v), newExtractCmd(v), newRunCmd(v), newBaselinesCmd(v), newTrainCmd(v), newScanCmd(v))
	return root
}

// cpuProfile is the --cpuprofile of one command tree.
type cpuProfile struct{ f *os.File }

// start starts Go's CPU profiler writing to path ("" does nothing).
func (p *cpuProfile) start(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile %s: %w", path, err)
	}
	p.f = f
	return nil
}

// stop ends the profile, if one runs, and closes its file.
func (p *cpuProfile) stop() error {
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	f := p.f
	p.f = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("cpu profile %s: %w", f.Name(), err)
	}
	return nil
}

// dataDir resolves the dataset folder: --data, PYPIMAL_DATA, or
// ../shared/data relative to the repository root (found by walking up from
// the working directory to this module's go.mod).
func dataDir(v *viper.Viper) string {
	if d := v.GetString("data"); d != "" {
		return d
	}
	if root, ok := repoRoot(); ok {
		return filepath.Join(root, "..", "shared", "data")
	}
	return filepath.Join("..", "shared", "data")
}

func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module pypimal\n") {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// budget reads the budgets of extract and scan (flags or PYPIMAL_BUDGET_*);
// a zero or negative duration means no limit.
func budget(v *viper.Viper) featuresets.Budget {
	b := featuresets.Budget{Package: v.GetDuration("budget.package"), File: v.GetDuration("budget.file")}
	if b.Package <= 0 {
		b.Package = -1
	}
	if b.File <= 0 {
		b.File = -1
	}
	return b
}

// progressWriter is stderr when it is a terminal outside CI, else nil: bars
// in logs are noise.
func progressWriter() io.Writer {
	if os.Getenv("CI") != "" || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return os.Stderr
}
