package dataset

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// Result is the outcome of loading one manifest row.
type Result struct {
	Index int // position of the row in the slice given to LoadAll
	Row   Row
	Pkg   *Package // nil when Err is set
	Err   error    // an *Error
}

// LoadOptions tune LoadAll.
type LoadOptions struct {
	Limits   Limits
	Workers  int       // default: GOMAXPROCS
	Progress io.Writer // where to draw a progress bar; nil for none
	// VerifyOnly checks size and hash without decoding the archive.
	VerifyOnly bool
}

// LoadAll loads rows on a bounded worker pool and hands each result to fn,
// one at a time, in completion order (use Result.Index to place it). At most
// Workers packages plus one in fn are in memory at once, so fn should keep
// only what it needs. A per-package failure is a Result with Err set; LoadAll
// itself fails only when fn does or ctx is cancelled.
func LoadAll(ctx context.Context, dataDir string, rows []Row, opt LoadOptions, fn func(Result) error) error {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(len(rows), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("loading"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	}

	jobs := make(chan int)
	results := make(chan Result)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := Result{Index: i, Row: rows[i]}
				if opt.VerifyOnly {
					_, r.Err = ReadVerified(dataDir, rows[i], opt.Limits)
				} else {
					r.Pkg, r.Err = loadSafely(dataDir, rows[i], opt.Limits)
				}
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range rows {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue // drain so workers can exit
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		if err := fn(r); err != nil {
			firstErr = err
			cancel()
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// loadSafely turns a panic in a decoder (a bug, but archives are hostile)
// into a per-package error so one package cannot stop a run.
func loadSafely(dataDir string, row Row, lim Limits) (p *Package, err error) {
	defer func() {
		if v := recover(); v != nil {
			p, err = nil, pkgErr(row.ID, ErrCorrupt, fmt.Errorf("decoder panic: %v", v))
		}
	}()
	return LoadRow(dataDir, row, lim)
}
