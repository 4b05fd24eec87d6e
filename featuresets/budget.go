package featuresets

import (
	"errors"
	"fmt"
	"time"

	"pypimal/featuresets/pyast"
)

// Default budgets. A package of the dataset takes 50 ms of extraction on
// average and its slowest well under a second, so 30 s only stops a
// package built to stall the run (or thousands of files each just under
// the file budget); the file budget is pyast.DefaultTimeout.
const (
	DefaultPackageBudget = 30 * time.Second
	DefaultFileBudget    = pyast.DefaultTimeout
)

// ErrPackageBudget is returned (wrapped) by Extract for a package whose
// Python analysis took longer than Budget.Package.
var ErrPackageBudget = errors.New("package over its time budget")

// Budget bounds the time of one package's feature extraction.
type Budget struct {
	// Package bounds the whole package (0: DefaultPackageBudget; negative:
	// none). Over it, Extract fails with ErrPackageBudget.
	Package time.Duration
	// File bounds the parse and analysis of one .py file (0:
	// DefaultFileBudget; negative: none). A file over it is analysed by
	// pyast's linear fallback and counted in code_fallback_files.
	File time.Duration
}

// ParseBudget reads a budget as a config or flag writes it: a Go duration,
// where 0 or less means no limit (returned as -1, since a zero Budget
// field means the default).
func ParseBudget(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 30s", s)
	}
	if d <= 0 {
		return -1, nil
	}
	return d, nil
}

func (b Budget) withDefaults() Budget {
	if b.Package == 0 {
		b.Package = DefaultPackageBudget
	}
	if b.File == 0 {
		b.File = DefaultFileBudget
	}
	return b
}

// FileFallback is a Python file analysed by the linear fallback, and why.
type FileFallback struct {
	Path   string
	Reason pyast.FallbackReason
}

// packageClock tracks one package's budget.
type packageClock struct {
	b        Budget
	deadline time.Time // zero: none
}

func newPackageClock(b Budget) packageClock {
	b = b.withDefaults()
	c := packageClock{b: b}
	if b.Package > 0 {
		c.deadline = time.Now().Add(b.Package)
	}
	return c
}

// fileTimeout is the budget of the next file: the file budget, cut to what
// is left of the package's (at least 1ns, so an exhausted package sends
// the file to the fallback rather than meaning "no limit").
func (c packageClock) fileTimeout() time.Duration {
	t := c.b.File
	if c.deadline.IsZero() {
		return t
	}
	left := max(time.Until(c.deadline), time.Nanosecond)
	if t < 0 || left < t {
		return left
	}
	return t
}

// check fails once the package is over its budget.
func (c packageClock) check(id string, done, total int) error {
	if c.deadline.IsZero() || time.Now().Before(c.deadline) {
		return nil
	}
	return fmt.Errorf("featuresets: %s: %w (%v) after %d of %d Python files", id, ErrPackageBudget, c.b.Package, done, total)
}

// fallbackFilesDef is the code feature counting fallback files.
func fallbackFilesDef() def {
	return def{Feature{Name: "code_fallback_files", Family: Code, Type: Count,
		Definition: "Module or install Python files analysed by the linear token scan instead of the syntax tree: full of lexical errors " +
			"(characters invalid outside strings, unmatched closing brackets), nested deeper than CPython accepts, or " +
			"over the per-file time budget."},
		func(f *facts) float64 { return float64(len(f.code.fallbacks)) }}
}
