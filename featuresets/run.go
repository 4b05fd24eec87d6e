package featuresets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"pypimal/dataset"
)

// Options tune ExtractAll.
type Options struct {
	Workers  int    // default GOMAXPROCS
	Cache    *Cache // nil: no cache
	Limits   dataset.Limits
	Progress io.Writer // progress bar target, nil for none
	Budget   Budget    // per-package and per-file time budgets; zero: defaults
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

	jobs := make(chan int)
	var wg sync.WaitGroup
	var setupErr error
	var once sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ex, err := NewExtractor()
			if err != nil {
				once.Do(func() { setupErr = err })
				for range jobs {
				}
				return
			}
			defer ex.Close()
			ex.Budget = opt.Budget
			for i := range jobs {
				out[i], errs[i] = extractOne(ex, dataDir, rows[i], opt, &timings[w])
				if bar != nil {
					_ = bar.Add(1)
				}
			}
		}(w)
	}
feed:
	for i := range rows {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if setupErr != nil {
		return nil, nil, Timing{}, setupErr
	}
	if err := ctx.Err(); err != nil {
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
	if opt.Cache != nil {
		if r, ok := opt.Cache.Get(row.SHA256); ok {
			tm.CacheHits++
			r.ID = row.ID
			return r, nil
		}
	}
	defer func() {
		// Archives are hostile: a bug must cost one package, not the run.
		if v := recover(); v != nil {
			r, ee = nil, &ExtractError{ID: row.ID, Label: row.Label, Reason: "extract", Detail: fmt.Sprintf("panic: %v", v)}
		}
	}()
	start := time.Now()
	p, err := dataset.LoadRow(dataDir, row, opt.Limits)
	tm.Load += time.Since(start)
	if err != nil {
		detail := err.Error()
		var de *dataset.Error
		if errors.As(err, &de) && de.Err != nil {
			detail = de.Err.Error()
		}
		return nil, &ExtractError{ID: row.ID, Label: row.Label, Reason: dataset.Reason(err).Error(), Detail: detail}
	}
	start = time.Now()
	parse := ex.ParseTime
	r, err = ex.Extract(p)
	tm.Extract += time.Since(start)
	tm.Parse += ex.ParseTime - parse
	if err != nil {
		reason := "extract"
		if errors.Is(err, ErrPackageBudget) {
			reason = ReasonBudget
		}
		return nil, &ExtractError{ID: row.ID, Label: row.Label, Reason: reason, Detail: err.Error()}
	}
	// A row with a file that ran out of time depends on the machine's
	// speed: recompute it next time rather than keep it.
	if opt.Cache != nil && !r.TimedOut() {
		// A cache that cannot be written costs speed next time, not this row.
		if err := opt.Cache.Put(row.SHA256, r); err != nil {
			tm.CacheErrors++
		}
	}
	return r, nil
}
