package baselines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"pypimal/dataset"
	"pypimal/internal/pool"
)

// Tool is an external analyser.
type Tool string

// Tools, in report order.
const (
	ToolBandit Tool = "bandit"
	ToolPackj  Tool = "packj"
)

// Scope is what part of a package a tool looked at.
type Scope string

// Scopes.
const (
	ScopePackage Scope = "package"  // the whole normalised package
	ScopeSetup   Scope = "setup.py" // the root setup.py alone
)

// Scopes lists every scope in report order.
var Scopes = []Scope{ScopePackage, ScopeSetup}

// ParseScope accepts "package" and "setup.py".
func ParseScope(s string) (Scope, error) {
	for _, sc := range Scopes {
		if s == string(sc) {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scope %q", s)
}

// Status is how one tool run on one scope of one package ended.
type Status string

// Statuses. OK and NoSetup are counted (NoSetup as 0 alerts: the tool had
// nothing to look at); the others are failures, left out of alert means and
// counted as "not flagged" when a tool is used as a detector.
const (
	StatusOK      Status = "ok"
	StatusNoSetup Status = "no setup.py"
	StatusError   Status = "error"   // crash, bad output, package not loadable
	StatusTimeout Status = "timeout" // killed after Options.Timeout
	StatusMissing Status = "missing" // no packj report for the row
)

// Counted is true for statuses whose alert count is meaningful.
func (s Status) Counted() bool { return s == StatusOK || s == StatusNoSetup }

// Outcome is one tool on one scope of one package.
type Outcome struct {
	Tool   Tool
	Scope  Scope
	Status Status
	Err    string // why, for failures
	Alerts int    // bandit: findings; packj: distinct risk strings

	// bandit only
	BySeverity   map[string]int `json:",omitempty"`
	ByConfidence map[string]int `json:",omitempty"`
	ByTest       map[string]int `json:",omitempty"` // test_id → findings
	ToolErrors   []string       `json:",omitempty"` // bandit's "errors" (files it could not parse)
	LOC          int            `json:",omitempty"`

	// packj only
	Risks       []string       `json:",omitempty"` // "<category>: <alert type>: <reason>"
	Permissions map[string]int `json:",omitempty"` // API-usage category → call sites

	Seconds float64 // the tool's own run time (bandit: the process; packj: from its report)
	Timed   bool    // Seconds is known
	Raw     []byte  `json:"-"` // bandit's JSON output, verbatim
}

// APICategories is the number of packj API-usage categories with at least
// one call site, the dropped ones included.
func (o *Outcome) APICategories() int {
	n := 0
	for _, v := range o.Permissions {
		if v > 0 {
			n++
		}
	}
	return n
}

// Split values (anything else is kept but belongs to neither).
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// PackageResult is every outcome for one manifest row.
type PackageResult struct {
	ID      string
	Name    string
	Version string
	Label   string // dataset.Malicious or dataset.Benign
	Split   string // SplitTrain, SplitTest or other
	// HasSetup: the package has a root setup.py (from the loaded package, or
	// from packj's reports when bandit did not run).
	HasSetup bool
	// ShipsBanditIni: the package contains a `.bandit` file, which bandit
	// would read as its config; we point bandit at our own (empty) one.
	ShipsBanditIni bool `json:",omitempty"`
	Err            string
	PrepSeconds    float64   // loading the archive and writing the tree
	Outcomes       []Outcome // in tool, then scope order; only tools that ran
}

// Malicious is true for malware rows.
func (p *PackageResult) Malicious() bool { return p.Label == dataset.Malicious }

// Outcome returns the outcome of a tool on a scope, or nil.
func (p *PackageResult) Outcome(t Tool, s Scope) *Outcome {
	for i := range p.Outcomes {
		if p.Outcomes[i].Tool == t && p.Outcomes[i].Scope == s {
			return &p.Outcomes[i]
		}
	}
	return nil
}

// PackjInfo describes where packj's reports came from.
type PackjInfo struct {
	Source  string // the file or folder
	Kind    string // "jsonl" (precomputed, packj-static.jsonl) or "dir" (live reports)
	Reports int    // reports read
}

// Result is a baseline run: one PackageResult per row, in the order given.
type Result struct {
	Bandit            *BanditInfo `json:",omitempty"` // nil when bandit did not run
	Packj             *PackjInfo  `json:",omitempty"` // nil when no packj reports were given
	Workers           int
	TimeoutSeconds    float64 // per bandit run (one scope of one package)
	BanditWallSeconds float64 // wall time of the whole bandit pass
	BanditPackages    int     // rows bandit ran on (see Options.BanditSplits)
	Packages          []PackageResult
}

// Options tune Run.
type Options struct {
	Bandit   string        // bandit executable; "" for "bandit" on PATH
	NoBandit bool          // skip bandit (packj only)
	Workers  int           // concurrent packages for bandit; default 2
	Timeout  time.Duration // per bandit run (one scope of one package); default 10 minutes
	// MaxOutput caps one bandit JSON output; larger is a failure. Default 256 MiB.
	MaxOutput int64
	Limits    dataset.Limits // for loading archives
	Tree      TreeLimits     // for writing them out
	TempDir   string         // where package trees go; "" for the system temp folder
	// RawDir, when set, receives bandit's raw JSON as each run finishes
	// (<id>-package.json, <id>-setup.py.json, as Result.WriteRaw names them),
	// and Outcome.Raw stays nil, which keeps large runs small in memory.
	RawDir string

	// packj: at most one of the two.
	PackjFile string // packj-static.jsonl (see its README)
	PackjDir  string // live packj reports, named as PackjFileName says

	// Split maps row id → SplitTrain / SplitTest. Nil: each row's paper_split.
	// Rows missing from a non-nil map belong to neither split.
	Split map[string]string
	// BanditSplits limits bandit to rows of these splits (e.g. only
	// SplitTest, while packj's reports cover train and test); nil runs it on
	// every row. Rows it skips have no bandit outcome at all.
	BanditSplits []string

	Progress io.Writer // progress bar for the bandit pass; nil for none
}

// Defaults.
const (
	DefaultWorkers   = 2
	DefaultTimeout   = 10 * time.Minute
	DefaultMaxOutput = 256 << 20
)

// Run runs bandit on every row (Workers at a time, each package written to a
// fresh temp folder and removed afterwards) and attaches packj's reports.
// Per-package problems (unloadable archive, bandit crash, timeout, bad JSON,
// missing packj report) are recorded in the result, never fatal. Run fails
// for configuration problems (bandit cannot run at all, unreadable packj
// file, duplicate row ids) and when ctx is cancelled.
func Run(ctx context.Context, dataDir string, rows []dataset.Row, opts Options) (*Result, error) {
	if opts.PackjFile != "" && opts.PackjDir != "" {
		return nil, errors.New("baselines: give a packj file or a packj folder, not both")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	res := &Result{Workers: opts.Workers, TimeoutSeconds: opts.Timeout.Seconds(), Packages: make([]PackageResult, len(rows))}
	seen := map[string]bool{}
	for i, row := range rows {
		if seen[row.ID] {
			return nil, fmt.Errorf("baselines: row id %q repeated", row.ID)
		}
		seen[row.ID] = true
		split := row.PaperSplit
		if opts.Split != nil {
			split = opts.Split[row.ID]
		}
		res.Packages[i] = PackageResult{ID: row.ID, Name: row.Name, Version: row.Version, Label: row.Label, Split: split}
	}

	var packj *PackjSet
	var err error
	switch {
	case opts.PackjFile != "":
		packj, err = ReadPackjFile(opts.PackjFile)
	case opts.PackjDir != "":
		packj, err = ReadPackjDir(opts.PackjDir)
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: %w", err)
	}

	if !opts.NoBandit && opts.RawDir != "" {
		if err := os.MkdirAll(opts.RawDir, 0o755); err != nil {
			return nil, fmt.Errorf("baselines: %w", err)
		}
	}
	if !opts.NoBandit {
		info, err := DetectBandit(ctx, opts.Bandit, min(opts.Timeout, 2*time.Minute))
		if err != nil {
			return nil, fmt.Errorf("baselines: %w", err)
		}
		res.Bandit = &info
		start := time.Now()
		if err := runBanditAll(ctx, dataDir, rows, opts, info.Binary, res); err != nil {
			return nil, err
		}
		res.BanditWallSeconds = time.Since(start).Seconds()
	}
	if packj != nil {
		res.Packj = &PackjInfo{Source: packj.Source, Kind: packj.Kind, Reports: packj.Len()}
		attachPackj(res, packj)
	}
	return res, nil
}

func runBanditAll(ctx context.Context, dataDir string, rows []dataset.Row, opts Options, bin string, res *Result) error {
	var todo []int
	for i := range rows {
		if opts.BanditSplits == nil || slices.Contains(opts.BanditSplits, res.Packages[i].Split) {
			todo = append(todo, i)
		}
	}
	res.BanditPackages = len(todo)
	runDir, err := os.MkdirTemp(opts.TempDir, "pypimal-baselines-*")
	if err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	defer os.RemoveAll(runDir)
	ini := filepath.Join(runDir, "bandit.ini")
	if err := os.WriteFile(ini, []byte("[bandit]\n"), 0o644); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}

	var bar *progressbar.ProgressBar
	if opts.Progress != nil {
		bar = progressbar.NewOptions(len(todo), progressbar.OptionSetWriter(opts.Progress),
			progressbar.OptionSetDescription("bandit"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	}
	var mu sync.Mutex
	// banditPackage records every failure, a panic included, in the row, so
	// the pool fails only when ctx is cancelled.
	if _, err := pool.Run(ctx, len(todo), opts.Workers, func(k int) error {
		i := todo[k]
		banditPackage(ctx, dataDir, rows[i], opts, bin, runDir, ini, &res.Packages[i])
		if bar != nil {
			mu.Lock()
			_ = bar.Add(1)
			mu.Unlock()
		}
		return nil
	}); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	return nil
}

// banditPackage loads one row, writes it out and runs both scopes. Every
// problem, a panic included, ends up in pr.
func banditPackage(ctx context.Context, dataDir string, row dataset.Row, opts Options, bin, runDir, ini string, pr *PackageResult) {
	outs := []Outcome{{Tool: ToolBandit, Scope: ScopePackage}, {Tool: ToolBandit, Scope: ScopeSetup}}
	fail := func(msg string) {
		for i := range outs {
			if outs[i].Status == "" {
				outs[i].Status, outs[i].Err = StatusError, msg
			}
		}
	}
	defer func() {
		if v := recover(); v != nil {
			pr.Err = fmt.Sprintf("panic: %v", v)
			fail(pr.Err)
		}
		pr.Outcomes = outs
	}()
	start := time.Now()
	pkg, err := dataset.LoadRow(dataDir, row, opts.Limits)
	if err != nil {
		pr.Err = "load: " + err.Error()
		fail(pr.Err)
		return
	}
	pr.HasSetup = pkg.File("setup.py") != nil
	for i := range pkg.Files {
		if path.Base(pkg.Files[i].Path) == ".bandit" {
			pr.ShipsBanditIni = true
		}
	}
	err = WithTree(runDir, pkg, opts.Tree, func(dir string) error {
		pr.PrepSeconds = time.Since(start).Seconds()
		runBanditScope(ctx, bin, dir, ini, ScopePackage, opts.Timeout, opts.MaxOutput, &outs[0])
		if pr.HasSetup {
			runBanditScope(ctx, bin, dir, ini, ScopeSetup, opts.Timeout, opts.MaxOutput, &outs[1])
		} else {
			outs[1].Status = StatusNoSetup
		}
		return nil
	})
	if err != nil {
		pr.Err = "tree: " + err.Error()
		fail(pr.Err)
	}
	if opts.RawDir != "" {
		for i := range outs {
			if outs[i].Raw == nil {
				continue
			}
			name := filepath.Join(opts.RawDir, rawName(row.ID, outs[i].Scope))
			if err := os.WriteFile(name, outs[i].Raw, 0o644); err != nil {
				outs[i].Err = strings.TrimPrefix(outs[i].Err+"; raw JSON not saved: "+err.Error(), "; ")
			}
			outs[i].Raw = nil
		}
	}
}

func rawName(id string, scope Scope) string { return FileStem(id) + "-" + string(scope) + ".json" }

// attachPackj adds packj's outcomes to every package. Where bandit loaded
// the package, HasSetup is known from the package itself; elsewhere it comes
// from packj's setup.py report.
func attachPackj(res *Result, set *PackjSet) {
	for i := range res.Packages {
		pr := &res.Packages[i]
		loaded := pr.Outcome(ToolBandit, ScopePackage) != nil && pr.Err == ""
		if !loaded {
			if r, ok := set.Get(pr.ID, ScopeSetup); ok && !r.NoSetup {
				pr.HasSetup = true
			}
		}
		for _, sc := range Scopes {
			o := Outcome{Tool: ToolPackj, Scope: sc}
			r, ok := set.Get(pr.ID, sc)
			switch {
			case !ok && sc == ScopeSetup && loaded && !pr.HasSetup:
				o.Status = StatusNoSetup
			case !ok:
				o.Status, o.Err = StatusMissing, "no packj report"
			case r.NoSetup:
				o.Status = StatusNoSetup
			case r.Error != "":
				o.Status, o.Err = StatusError, r.Error
			default:
				o.Status = StatusOK
				o.Alerts = r.Alerts
				o.Risks = r.Risks
				o.Permissions = r.Permissions
			}
			o.Seconds, o.Timed = r.Seconds, r.Timed
			pr.Outcomes = append(pr.Outcomes, o)
		}
	}
}

// FileStem turns a row id into a safe file-name stem: manifest ids are kept
// as they are; any other byte than letters, digits, '.', '_' and '-' becomes
// '_' (user-supplied packages have paths as ids).
func FileStem(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "_"
	}
	return s
}

// WriteRaw saves bandit's raw JSON outputs under dir as
// "<id>-package.json" and "<id>-setup.py.json" (id through FileStem).
func (r *Result) WriteRaw(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		for j := range p.Outcomes {
			o := &p.Outcomes[j]
			if o.Tool != ToolBandit || o.Raw == nil {
				continue
			}
			name := filepath.Join(dir, rawName(p.ID, o.Scope))
			if err := os.WriteFile(name, o.Raw, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
