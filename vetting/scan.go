package vetting

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
	"pypimal/dataset"
	"pypimal/featuresets"
	"pypimal/internal/pool"
)

// Verdicts.
const (
	VerdictMalicious = "malicious"
	VerdictBenign    = "benign"
	VerdictError     = "error" // the package could not be read or scored
)

// TextFeature names the text family in reasons.
const TextFeature = "text"

// DefaultScanWorkers is the number of packages scanned at once by default.
const DefaultScanWorkers = 2

// ScanOptions tune a Scanner.
type ScanOptions struct {
	Workers int            // packages scanned at once, each worker with its own parser; 0: DefaultScanWorkers
	Limits  dataset.Limits // zero: dataset.DefaultLimits
	// Reasons is the number of reasons kept per package; 0: 5; negative:
	// none, and the package is scored without the explanation rows (one
	// model evaluation instead of one per feature away from its median).
	Reasons int
	// Budget bounds each package's analysis (zero: featuresets' defaults);
	// a package over it is an error result, the others go on.
	Budget featuresets.Budget
	// Recursive also scans archives and unpacked packages in subfolders of
	// a folder of archives (see expand).
	Recursive bool
}

// Result is the verdict on one package.
type Result struct {
	Path    string `json:"path"`              // the archive or folder scanned
	Name    string `json:"name,omitempty"`    // from PKG-INFO/METADATA
	Version string `json:"version,omitempty"` // from PKG-INFO/METADATA
	Format  string `json:"format,omitempty"`  // sdist-tar.gz, sdist-zip, wheel, deb, dir
	Verdict string `json:"verdict"`           // malicious, benign or error
	// Score is the model's score (P(malicious) for probability models) and
	// Threshold the model's threshold; malicious when Score > Threshold.
	// Neither is written for errors.
	Score     float64 `json:"score"`
	ScoreKind string  `json:"score_kind,omitempty"`
	Threshold float64 `json:"threshold"`
	// Reasons are the features that pushed the score up most, largest
	// push first; only features with a positive push are listed.
	Reasons []Reason `json:"reasons,omitempty"`
	// Findings are the risky call sites of the package's Python code, most
	// serious family first.
	Findings []Finding `json:"findings,omitempty"`
	// Fallbacks are the Python files analysed by the linear token scan
	// instead of the syntax tree, and why: their facts are approximate.
	Fallbacks []Fallback `json:"fallbacks,omitempty"`
	Error     string     `json:"error,omitempty"`

	// Dir is true when the package was read from a folder, so that a
	// finding's file is Path/File on disk (for an archive it is a member).
	Dir bool `json:"-"`
	// Anchor is a file of the package to point at when there is no
	// finding: the metadata file, setup.py, or the first Python file.
	Anchor string `json:"-"`
}

// MarshalJSON leaves score and threshold out of error results.
func (r Result) MarshalJSON() ([]byte, error) {
	out := struct {
		Path      string     `json:"path"`
		Name      string     `json:"name,omitempty"`
		Version   string     `json:"version,omitempty"`
		Format    string     `json:"format,omitempty"`
		Verdict   string     `json:"verdict"`
		Score     *float64   `json:"score,omitempty"`
		ScoreKind string     `json:"score_kind,omitempty"`
		Threshold *float64   `json:"threshold,omitempty"`
		Reasons   []Reason   `json:"reasons,omitempty"`
		Findings  []Finding  `json:"findings,omitempty"`
		Fallbacks []Fallback `json:"fallbacks,omitempty"`
		Error     string     `json:"error,omitempty"`
	}{Path: r.Path, Name: r.Name, Version: r.Version, Format: r.Format, Verdict: r.Verdict,
		Reasons: r.Reasons, Findings: r.Findings, Fallbacks: r.Fallbacks, Error: r.Error}
	if r.Verdict != VerdictError {
		out.Score, out.Threshold, out.ScoreKind = &r.Score, &r.Threshold, r.ScoreKind
	}
	return json.Marshal(out)
}

// Flagged reports whether the package was found malicious.
func (r *Result) Flagged() bool { return r.Verdict == VerdictMalicious }

// Reason is one feature's push on a package's score: the score minus the
// score with the feature reset to its benign median (the text family reset
// to no tokens).
type Reason struct {
	Feature      string   `json:"feature"` // catalogue name, or "text"
	Family       string   `json:"family"`
	Value        float64  `json:"value"`         // the package's value (text: distinct tokens in the model's vocabulary)
	BenignMedian float64  `json:"benign_median"` // the value it is reset to (text: 0)
	Delta        float64  `json:"delta"`         // score minus the score with the feature reset
	Tokens       []string `json:"tokens,omitempty"`
	Definition   string   `json:"definition"`
}

// Finding is a risky call site.
type Finding struct {
	File    string `json:"file"` // path within the package
	Line    int    `json:"line"` // 1-based
	Family  string `json:"family"`
	Snippet string `json:"snippet"`
}

// Fallback is a Python file the analyser read token by token rather than
// as a syntax tree: full of lexical errors ("lexical-errors"), nested
// deeper than CPython accepts ("nesting"), over the per-file time budget
// ("timeout") or re-read too often by the parser ("parse-reads").
type Fallback struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Summary counts a scan's results.
type Summary struct {
	Scanned, Malicious, Benign, Errors int
}

func (s *Summary) add(r *Result) {
	s.Scanned++
	switch r.Verdict {
	case VerdictMalicious:
		s.Malicious++
	case VerdictBenign:
		s.Benign++
	default:
		s.Errors++
	}
}

// ExitCode is the scan's exit status: 2 when a package could not be read
// or scored, else 1 when a package was flagged, else 0.
func (s Summary) ExitCode() int {
	switch {
	case s.Errors > 0:
		return 2
	case s.Malicious > 0:
		return 1
	}
	return 0
}

// Scanner scores packages with a model. It is safe for one Scan at a time.
type Scanner struct {
	m        *Model
	opt      ScanOptions
	features []featuresets.Feature // catalogue
	vocab    map[string]float64    // text vocabulary token -> idf, for the text reason
}

// NewScanner returns a scanner for m.
func NewScanner(m *Model, opt ScanOptions) *Scanner {
	if opt.Workers <= 0 {
		opt.Workers = DefaultScanWorkers
	}
	if opt.Reasons == 0 {
		opt.Reasons = 5
	}
	s := &Scanner{m: m, opt: opt, features: featuresets.Catalogue()}
	if v := findVectoriser(m.pipe); v != nil {
		s.vocab = make(map[string]float64, len(v.Vocabulary))
		for i, t := range v.Vocabulary {
			s.vocab[t] = v.IDF[i]
		}
	}
	return s
}

// findVectoriser returns the first text vectoriser of a pipeline (every
// base of a stack is fitted on the same rows, so they agree).
func findVectoriser(p classifiers.Pipeline) *classifiers.TextVectoriser {
	switch p := p.(type) {
	case *classifiers.ModelPipeline:
		return p.Vectoriser
	case *classifiers.Stacking:
		for _, b := range p.Bases {
			if v := findVectoriser(b); v != nil {
				return v
			}
		}
	case *classifiers.Intersection:
		for _, b := range p.Models {
			if v := findVectoriser(b); v != nil {
				return v
			}
		}
	}
	return nil
}

// target is one package to scan, or why a path gave none.
type target struct {
	path string
	err  error
}

// archiveSuffixes are the file names a folder of archives is scanned for.
var archiveSuffixes = []string{".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
	".tar", ".zip", ".whl", ".egg", ".deb"}

// IsArchiveName reports whether a file name looks like a package archive.
func IsArchiveName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// isPackageMarker is a top-level entry that makes a folder an unpacked
// package: Python source, a metadata or setup file, or a .dist-info /
// .egg-info folder.
func isPackageMarker(e os.DirEntry) bool {
	n := e.Name()
	if e.IsDir() {
		return strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".egg-info")
	}
	switch n {
	case "PKG-INFO", "METADATA", "setup.py", "setup.cfg", "pyproject.toml":
		return true
	}
	return strings.HasSuffix(n, ".py")
}

// ErrEmptyFolder is reported for a folder with nothing to scan.
var ErrEmptyFolder = errors.New("empty folder: no package files and no archives to scan")

// expand turns the command-line paths into packages. A file is an archive.
// A folder is a folder of archives when its top level holds at least one
// regular file named like an archive (.tar.gz, .tgz, .tar.bz2, .tar.xz,
// .tar.zst, .tar, .zip, .whl, .egg, .deb) and no package marker (a .py
// file, PKG-INFO, METADATA, setup.py, setup.cfg, pyproject.toml, a
// .dist-info or .egg-info folder): each such archive is scanned, in name
// order, and everything else there is ignored (subfolders are not
// searched). Any other folder is one unpacked package.
//
// With recursive, a folder without package marker is searched in depth
// (see walkTree) instead of only at its top level.
func expand(paths []string, recursive bool) []target {
	var out []target
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			out = append(out, target{path: p, err: err})
			continue
		}
		if !st.IsDir() {
			out = append(out, target{path: p})
			continue
		}
		if recursive {
			out = append(out, walkTree(p)...)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			out = append(out, target{path: p, err: err})
			continue
		}
		if len(entries) == 0 {
			out = append(out, target{path: p, err: ErrEmptyFolder})
			continue
		}
		var archives []string
		marker := false
		for _, e := range entries {
			if isPackageMarker(e) {
				marker = true
				break
			}
			if e.Type().IsRegular() && IsArchiveName(e.Name()) {
				archives = append(archives, filepath.Join(p, e.Name()))
			}
		}
		if marker || len(archives) == 0 {
			out = append(out, target{path: p})
			continue
		}
		for _, a := range archives {
			out = append(out, target{path: a})
		}
	}
	return out
}

// Bounds of a recursive scan: packages taken from one folder tree and
// folder levels searched below it.
const (
	MaxTreeTargets = 100_000
	MaxTreeDepth   = 32
)

// ErrTooManyTargets is reported when a folder tree holds more packages
// than MaxTreeTargets; the first ones are still scanned.
var ErrTooManyTargets = errors.New("too many packages in the folder tree")

// walkTree lists the packages under root, in path order: a folder holding
// a package marker is one unpacked package (not searched further), other
// folders contribute their archives and are searched down to
// MaxTreeDepth levels. Links are never followed (os.ReadDir reports them
// as links, not folders or files), so the walk stays inside root; archive
// sizes are checked when each is opened (dataset.Limits).
func walkTree(root string) []target {
	var out []target
	full := false
	var walk func(dir string, depth int) // recursion bounded by MaxTreeDepth
	walk = func(dir string, depth int) {
		if full {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			out = append(out, target{path: dir, err: err})
			return
		}
		if slices.ContainsFunc(entries, isPackageMarker) {
			out = append(out, target{path: dir})
			return
		}
		for _, e := range entries {
			if len(out) >= MaxTreeTargets {
				full = true
				return
			}
			p := filepath.Join(dir, e.Name())
			switch {
			case e.Type().IsRegular() && IsArchiveName(e.Name()):
				out = append(out, target{path: p})
			case e.IsDir() && depth < MaxTreeDepth:
				walk(p, depth+1)
			}
		}
	}
	walk(root, 0)
	switch {
	case full:
		out = append(out, target{path: root, err: fmt.Errorf("%w: the first %d are scanned", ErrTooManyTargets, MaxTreeTargets)})
	case len(out) == 0:
		out = append(out, target{path: root, err: ErrEmptyFolder})
	}
	return out
}

// Scan scores every package named by paths (archives, unpacked folders,
// folders of archives) on a bounded pool of workers and calls emit with
// each result in path order. A package that cannot be read is an error
// result; the others are still scanned. Scan returns early only when emit
// fails, ctx is cancelled, or no parser can be created.
func (s *Scanner) Scan(ctx context.Context, paths []string, emit func(Result) error) (Summary, error) {
	var sum Summary
	targets := expand(paths, s.opt.Recursive)
	if len(targets) == 0 {
		return sum, nil
	}
	// Each worker has its own parser; scanTarget turns every failure of a
	// package, a panic included, into its result, so only a parser that
	// cannot be made, emit or ctx stop the scan.
	st := pool.State[*featuresets.Extractor]{
		New: func(int) (*featuresets.Extractor, error) {
			ex, err := featuresets.NewExtractor()
			if err != nil {
				return nil, fmt.Errorf("scan: %w", err)
			}
			ex.Budget = s.opt.Budget
			return ex, nil
		},
		Close: func(ex *featuresets.Extractor) { ex.Close() },
	}
	_, err := pool.Stream(ctx, len(targets), s.opt.Workers, st,
		func(ex *featuresets.Extractor, i int) (Result, error) { return s.scanTarget(ex, targets[i]), nil },
		func(_ int, r Result) error {
			sum.add(&r)
			return emit(r)
		})
	return sum, err
}

// scanTarget reads and scores one package; every failure, a panic
// included, becomes an error result.
func (s *Scanner) scanTarget(ex *featuresets.Extractor, t target) (r Result) {
	r = Result{Path: t.path, Verdict: VerdictError}
	if t.err != nil {
		r.Error = describeErr(t.path, t.err)
		return r
	}
	return s.ScanPackage(ex, t.path, func() (*dataset.Package, error) { return dataset.Open(t.path, s.opt.Limits) })
}

// ScanPackage is the per-package step of Scan: load reads the package
// reported as path (dataset.Open for a local path, dataset.OpenArchiveFrom
// for another store), ex extracts its features and the model scores them.
// Every failure, a panic included, is an error result. Pipelines that
// distribute packages themselves call it so that they score exactly as
// `pypimal scan` does.
func (s *Scanner) ScanPackage(ex *featuresets.Extractor, path string, load func() (*dataset.Package, error)) (r Result) {
	defer func() {
		// Packages are hostile input: a bug must cost this package only.
		if v := recover(); v != nil {
			r = Result{Path: path, Verdict: VerdictError, Error: fmt.Sprintf("internal error: %v", v)}
		}
	}()
	p, err := load()
	if err != nil {
		return Result{Path: path, Verdict: VerdictError, Error: describeErr(path, err)}
	}
	return s.scanPackage(ex, path, p)
}

// describeErr says what went wrong without repeating the path.
func describeErr(path string, err error) string {
	var de *dataset.Error
	if errors.As(err, &de) {
		if errors.Is(de.Kind, dataset.ErrEmpty) {
			if st, serr := os.Stat(path); serr == nil && st.IsDir() {
				return ErrEmptyFolder.Error()
			}
		}
		if de.Err != nil {
			return de.Kind.Error() + ": " + de.Err.Error()
		}
		return de.Kind.Error()
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// scanPackage extracts, scores and explains one loaded package.
func (s *Scanner) scanPackage(ex *featuresets.Extractor, path string, p *dataset.Package) Result {
	r := Result{Path: path, Format: p.Format, Dir: p.Format == "dir", Verdict: VerdictError,
		ScoreKind: s.m.ScoreKind, Threshold: s.m.Threshold.Value}
	if p.Meta != nil {
		r.Name, r.Version = p.Meta.Get("Name"), p.Meta.Get("Version")
	}
	r.Anchor = anchor(p)
	row, err := ex.Extract(p)
	if err != nil {
		r.Error = "features: " + err.Error()
		return r
	}
	score, reasons, err := s.explain(row)
	if err != nil {
		r.Error = "score: " + err.Error()
		return r
	}
	r.Score, r.Reasons = score, reasons
	r.Verdict = VerdictBenign
	if s.m.Malicious(score) {
		r.Verdict = VerdictMalicious
	}
	r.Findings = findings(row.Findings)
	for _, fb := range row.Fallbacks {
		r.Fallbacks = append(r.Fallbacks, Fallback{File: fb.Path, Reason: string(fb.Reason)})
	}
	return r
}

// anchor picks a file to point at when a package has no finding.
func anchor(p *dataset.Package) string {
	if p.MetaPath != "" {
		return p.MetaPath
	}
	if p.File("setup.py") != nil {
		return "setup.py"
	}
	for _, f := range p.Files {
		if f.Kind == dataset.KindPython {
			return f.Path
		}
	}
	if len(p.Files) > 0 {
		return p.Files[0].Path
	}
	return ""
}

// familyRank orders finding families from most to least serious.
var familyRank = map[string]int{"exec": 0, "process": 1, "network": 2, "decode": 3, "native": 4, "envinfo": 5, "file": 6}

func rankOf(fam string) int {
	if r, ok := familyRank[fam]; ok {
		return r
	}
	return len(familyRank)
}

func findings(fs []featuresets.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		line := f.Line
		if line < 1 {
			line = 1
		}
		out = append(out, Finding{File: f.File, Line: line, Family: f.Family, Snippet: f.Snippet})
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := cmp.Compare(rankOf(a.Family), rankOf(b.Family)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return out
}

// explain scores a package and measures each feature's push: the package's
// row, plus one row per selected feature whose value differs from its
// benign median with that feature reset to the median, plus (for the text
// family) one row with no tokens, all scored in one Predict call. A
// feature already at its median has no push and costs nothing.
func (s *Scanner) explain(row *featuresets.Row) (float64, []Reason, error) {
	m := s.m
	x0 := make([]float64, len(m.Columns))
	for j, c := range m.Columns {
		x0[j] = row.Values[c]
	}
	explain := s.opt.Reasons > 0
	var changed []int
	for j := range x0 {
		if explain && x0[j] != m.BenignMedians[j] {
			changed = append(changed, j)
		}
	}
	var toks map[string]float64
	textRow := -1
	n := 1 + len(changed)
	if m.Text {
		toks = make(map[string]float64, len(row.Tokens))
		for t, c := range row.Tokens {
			toks[t] = float64(c)
		}
		if explain && len(toks) > 0 {
			textRow = n
			n++
		}
	}
	var d classifiers.Data
	if len(x0) > 0 {
		x := mat.NewDense(n, len(x0), nil)
		for i := 0; i < n; i++ {
			x.SetRow(i, x0)
		}
		for k, j := range changed {
			x.Set(1+k, j, m.BenignMedians[j])
		}
		d.X = x
	}
	if m.Text {
		d.Tokens = make([]map[string]float64, n)
		for i := range d.Tokens {
			d.Tokens[i] = toks
		}
		if textRow >= 0 {
			d.Tokens[textRow] = map[string]float64{}
		}
	}
	scores, err := m.pipe.Predict(d)
	if err != nil {
		return 0, nil, err
	}
	if len(scores) != n {
		return 0, nil, fmt.Errorf("%d scores for %d rows", len(scores), n)
	}
	s0 := scores[0]
	if math.IsNaN(s0) {
		return 0, nil, fmt.Errorf("score is NaN")
	}
	var reasons []Reason
	for k, j := range changed {
		delta := s0 - scores[1+k]
		if !(delta > 0) {
			continue
		}
		f := s.features[m.Columns[j]]
		reasons = append(reasons, Reason{Feature: f.Name, Family: string(f.Family), Value: x0[j],
			BenignMedian: m.BenignMedians[j], Delta: delta, Definition: f.Definition})
	}
	if textRow >= 0 {
		if delta := s0 - scores[textRow]; delta > 0 {
			inVocab, top := s.topTokens(toks, 5)
			reasons = append(reasons, Reason{Feature: TextFeature, Family: TextFeature, Value: float64(inVocab),
				Delta: delta, Tokens: top,
				Definition: "The package's vocabulary (identifiers, strings, comments) weighed by TF-IDF; reset to no tokens."})
		}
	}
	slices.SortStableFunc(reasons, func(a, b Reason) int { return cmp.Compare(b.Delta, a.Delta) })
	if len(reasons) > max(s.opt.Reasons, 0) {
		reasons = reasons[:max(s.opt.Reasons, 0)]
	}
	return s0, reasons, nil
}

// topTokens returns how many of the package's tokens are in the model's
// vocabulary and the k with the highest TF-IDF weight.
func (s *Scanner) topTokens(toks map[string]float64, k int) (int, []string) {
	type tw struct {
		t string
		w float64
	}
	var ws []tw
	for t, c := range toks {
		if idf, ok := s.vocab[t]; ok && c > 0 {
			ws = append(ws, tw{t, (1 + math.Log(c)) * idf})
		}
	}
	slices.SortFunc(ws, func(a, b tw) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.t, b.t)
	})
	var out []string
	for i := 0; i < len(ws) && i < k; i++ {
		out = append(out, ws[i].t)
	}
	return len(ws), out
}
