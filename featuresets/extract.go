package featuresets

import (
	"fmt"
	"math"
	"sort"
	"time"

	"pypimal/dataset"
	"pypimal/featuresets/pyast"
)

// ExtractorVersion changes whenever a feature's definition or computation
// changes; cached rows of another version are recomputed.
const ExtractorVersion = 9

// MaxPythonBytes bounds the bytes of one .py file that are parsed; longer
// files (generated tables, vendored bundles) are cut at a line end and
// counted in the text-level features as a whole.
const MaxPythonBytes = 1 << 20

// Row is one package's features: numeric values in catalogue order and the
// token counts of the text family.
type Row struct {
	ID     string
	Values []float64
	Tokens map[string]int
	// PythonErrors counts .py files the analyser could not read (they are
	// left out of the code features).
	PythonErrors int
	Findings     []Finding
	// Fallbacks lists the Python files analysed by pyast's linear fallback
	// (not cached: `scan` reports them, extraction only counts them).
	Fallbacks []FileFallback
}

// TimedOut reports whether a file fell back for lack of time, the one
// fallback that depends on the machine: such rows are not cached.
func (r *Row) TimedOut() bool {
	for _, fb := range r.Fallbacks {
		if fb.Reason == pyast.FallbackTimeout {
			return true
		}
	}
	return false
}

// facts are computed once per package; every feature reads them.
type facts struct {
	pkg   *dataset.Package
	meta  metaFacts
	files fileFacts
	code  codeFacts
	inst  installFacts
}

// Extractor computes feature rows. It owns a Python parser and is not safe
// for concurrent use: give each worker its own.
type Extractor struct {
	parser *pyast.Parser
	// ParseTime accumulates the time spent in the Python parser and
	// analyser, to report the share of extraction spent parsing.
	ParseTime time.Duration
	// Budget bounds each package's extraction; the zero value is the
	// default budget.
	Budget Budget
}

// NewExtractor returns an extractor; Close it to free the parser.
func NewExtractor() (*Extractor, error) {
	p, err := pyast.NewParser()
	if err != nil {
		return nil, fmt.Errorf("featuresets: %w", err)
	}
	return &Extractor{parser: p}, nil
}

// Close frees the parser.
func (e *Extractor) Close() { e.parser.Close() }

// Extract computes the features of one package. A Python file the parser
// cannot analyse is counted in Row.PythonErrors, not returned as an error:
// unparsable code is itself a signal. A package over its time budget
// (e.Budget) fails with ErrPackageBudget.
func (e *Extractor) Extract(p *dataset.Package) (*Row, error) {
	clock := newPackageClock(e.Budget)
	f := &facts{pkg: p}
	f.meta = newMetaFacts(f)
	f.files = newFileFacts(p)
	row := &Row{ID: p.ID()}
	// Only module and install code is analysed: tests, docs and examples
	// are what one form ships and another does not.
	analysed := func(fl *dataset.File) bool {
		return fl.Kind == dataset.KindPython && (fl.Role == dataset.RoleModule || fl.Role == dataset.RoleInstall)
	}
	total := 0
	for i := range p.Files {
		if analysed(&p.Files[i]) {
			total++
		}
	}
	done := 0
	for i := range p.Files {
		fl := &p.Files[i]
		if !analysed(fl) {
			continue
		}
		if err := clock.check(p.ID(), done, total); err != nil {
			return nil, err
		}
		done++
		start := time.Now()
		pf, err := e.parser.Analyze(fl.Data, pyast.Options{MaxBytes: MaxPythonBytes, Timeout: clock.fileTimeout()})
		e.ParseTime += time.Since(start)
		if err != nil {
			row.PythonErrors++
			if fl.Role == dataset.RoleModule {
				f.code.pyFiles++
			}
			continue
		}
		if fl.Role == dataset.RoleInstall {
			if f.inst.metaText == "" { // only packages with install code need it
				f.inst.metaText = installMetaText(f)
			}
			f.inst.addFile(fl.Path, pf)
			if pf.Fallback != "" {
				f.code.fallbacks = append(f.code.fallbacks, FileFallback{Path: fl.Path, Reason: pf.Fallback})
			}
		} else {
			f.code.addFile(fl.ModPath, pf)
		}
	}
	if err := clock.check(p.ID(), done, total); err != nil {
		return nil, err
	}
	row.Fallbacks = f.code.fallbacks
	row.Values = make([]float64, len(catalogue))
	for i, d := range catalogue {
		v := d.value(f)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("featuresets: %s: feature %s is %v", p.ID(), d.Name, v)
		}
		row.Values[i] = v
	}
	row.Tokens = topTokens(f.code.tokens, MaxDistinctTokens)
	row.Findings = append(f.inst.findings, f.code.findings...)
	return row, nil
}

// MaxDistinctTokens bounds the distinct tokens kept per package: the most
// frequent ones, ties broken lexically. A large benign package has tens of
// thousands of distinct words, almost all too rare to enter a top-K
// vocabulary; keeping them would make tokens.tsv and memory grow with the
// biggest packages rather than with the dataset.
const MaxDistinctTokens = 500

// topTokens returns the n most frequent tokens of counts (all when there are
// no more than n), deterministically.
func topTokens(counts map[string]int, n int) map[string]int {
	if len(counts) <= n {
		return counts
	}
	keys := make([]string, 0, len(counts))
	for t := range counts {
		keys = append(keys, t)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ci, cj := counts[keys[i]], counts[keys[j]]; ci != cj {
			return ci > cj
		}
		return keys[i] < keys[j]
	})
	out := make(map[string]int, n)
	for _, t := range keys[:n] {
		out[t] = counts[t]
	}
	return out
}

// SortedTokens returns the row's tokens in lexical order, for stable output.
func (r *Row) SortedTokens() []string {
	out := make([]string, 0, len(r.Tokens))
	for t := range r.Tokens {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
