package runner

import (
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"pypimal/experiments"
	"pypimal/featuresets"
)

// RunInfo is run.json: what was run, with which tools, on which data, and
// how long it took. It is the one output that differs between two runs of
// the same config (timings, start time).
type RunInfo struct {
	Experiment       string              `json:"experiment"`
	Started          string              `json:"started"`
	Config           *experiments.Config `json:"config"`
	Seed             int64               `json:"seed"`
	DatasetDir       string              `json:"dataset_dir"`
	DatasetDigest    string              `json:"dataset_digest"`
	ExtractorVersion int                 `json:"extractor_version"`
	Features         int                 `json:"numeric_features"`
	GoVersion        string              `json:"go_version"`
	Platform         string              `json:"platform"`
	CPUs             int                 `json:"cpus"`
	Modules          map[string]string   `json:"modules"`
	Tools            map[string]string   `json:"tools,omitempty"` // external tools (bandit, python)
	Timings          map[string]float64  `json:"timings_seconds"`
}

// NewRunInfo fills the facts known from the build and the outcome.
func NewRunInfo(cfg *experiments.Config, opt Options, out *Outcome, started time.Time) *RunInfo {
	ri := &RunInfo{
		Experiment: cfg.Name, Started: started.UTC().Format(time.RFC3339), Config: cfg, Seed: cfg.Seed,
		DatasetDir: opt.DataDir, ExtractorVersion: featuresets.ExtractorVersion, Features: len(featuresets.Names()),
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Modules: map[string]string{}, Tools: map[string]string{}, Timings: out.Timings,
	}
	if abs, err := filepath.Abs(opt.DataDir); err == nil {
		ri.DatasetDir = abs
	}
	if out.Results != nil {
		ri.DatasetDigest = out.Results.Dataset.Digest
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			v := m.Version
			if m.Replace != nil {
				v += " => " + m.Replace.Path + " " + m.Replace.Version
			}
			ri.Modules[m.Path] = v
		}
	}
	return ri
}

// Write stores run.json in dir.
func (ri *RunInfo) Write(dir string) error {
	return writeJSONAtomic(filepath.Join(dir, "run.json"), ri)
}
