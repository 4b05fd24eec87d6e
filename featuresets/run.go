package featuresets

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"

	"pypimal/dataset"
	"pypimal/internal/pool"
)

// Options tune ExtractAll.
type Options struct {
	Workers  int    // default GOMAXPROCS
	Cache    *Cache // nil: no cache
	Limits   dataset.Limits
	Progress io.Writer // progress bar target, nil for none
	// Repack, when set, turns each loaded package into another form before
	// its features are computed (the form-shift instrument).
	Repack *Repacking
	Budget Budget // per-package and per-file time budgets; zero: defaults
}

// Timing splits extraction time, summed over workers.
type Timing struct {
	Load, Extract time.Duration
	Parse         time.Duration // part of Extract spent parsing and analysing Python
	CacheHits     int
	CacheErrors   int // rows computed but not stored
}

// ExtractAll computes (or fetches from the cache) the feature row of every
// manifest row on a bounded worker pool; each worker has its own parser.
// Rows come back in manifest order; packages that fail to load or extract
// are listed in the errors, in manifest order, and the rest goes on.
func ExtractAll(ctx context.Context, dataDir string, rows []dataset.Row, opt Options) (*Table, []ExtractError, Timing, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(len(rows), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("extracting"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	}
	out := make([]*Row, len(rows))
	errs := make([]*ExtractError, len(rows))
	timings := make([]Timing, workers)

	// Each worker has its own parser and its own timings.
	type worker struct {
		ex *Extractor
		tm *Timing
	}
	st := pool.State[worker]{
		New: func(w int) (worker, error) {
			ex, err := NewExtractor()
			if err != nil {
				return worker{}, err
			}
			ex.Budget = opt.Budget
			return worker{ex, &timings[w]}, nil
		},
		Close: func(w worker) { w.ex.Close() },
	}
	if i, err := pool.RunWith(ctx, len(rows), workers, st, func(w worker, i int) error {
		out[i], errs[i] = extractOne(w.ex, dataDir, rows[i], opt, w.tm)
		if bar != nil {
			_ = bar.Add(1)
		}
		return nil
	}); err != nil {
		if i >= 0 { // a panic: extractOne reports every other failure per row
			err = fmt.Errorf("extract %s: %w", rows[i].ID, err)
		}
		return nil, nil, Timing{}, err
	}
	t := &Table{Features: Catalogue()}
	var failed []ExtractError
	var total Timing
	for _, tm := range timings {
		total.Load += tm.Load
		total.Extract += tm.Extract
		total.Parse += tm.Parse
		total.CacheHits += tm.CacheHits
		total.CacheErrors += tm.CacheErrors
	}
	for i, r := range out {
		if errs[i] != nil {
			failed = append(failed, *errs[i])
			continue
		}
		t.Rows = append(t.Rows, newTableRow(rows[i], r))
	}
	return t, failed, total, nil
}

// ReasonBudget is the ExtractError reason of a package over its budget.
const ReasonBudget = "budget"

func extractOne(ex *Extractor, dataDir string, row dataset.Row, opt Options, tm *Timing) (r *Row, ee *ExtractError) {
	key := row.SHA256
	load := func() (*dataset.Package, error) { return dataset.LoadRow(dataDir, row, opt.Limits) }
	if opt.Repack != nil {
		key = opt.Repack.key(row)
		read := load
		load = func() (*dataset.Package, error) {
			p, err := read()
			if err != nil {
				return nil, err
			}
			return opt.Repack.apply(row, p)
		}
	}
	if opt.Cache != nil {
		if r, ok := opt.Cache.Get(key); ok {
			tm.CacheHits++
			r.ID = row.ID
			return r, nil
		}
	}
	r, ee = extractPackage(ex, row, load, tm)
	if ee != nil {
		return nil, ee
	}
	// A row with a file that ran out of time depends on the machine's
	// speed: recompute it next time rather than keep it.
	if opt.Cache != nil && !r.TimedOut() {
		// A cache that cannot be written costs speed next time, not this row.
		if err := opt.Cache.Put(key, r); err != nil {
			tm.CacheErrors++
		}
	}
	return r, nil
}
