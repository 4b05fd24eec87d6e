package dataset

import (
	"context"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"pypimal/internal/pool"
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
// one at a time, in row order, while later rows load. At most 2×Workers
// loaded packages wait for fn at once, so fn should keep only what it needs.
// A per-package failure is a Result with Err set; LoadAll itself fails only
// when fn does or ctx is cancelled.
func LoadAll(ctx context.Context, dataDir string, rows []Row, opt LoadOptions, fn func(Result) error) error {
	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(len(rows), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("loading"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	}
	// Loading never fails the pool: every failure, a decoder panic
	// included, is the row's Result.Err.
	_, err := pool.Stream(ctx, len(rows), opt.Workers, pool.State[struct{}]{},
		func(_ struct{}, i int) (Result, error) {
			r := Result{Index: i, Row: rows[i]}
			if opt.VerifyOnly {
				_, r.Err = ReadVerified(dataDir, rows[i], opt.Limits)
			} else {
				r.Pkg, r.Err = loadSafely(dataDir, rows[i], opt.Limits)
			}
			return r, nil
		},
		func(_ int, r Result) error {
			if bar != nil {
				_ = bar.Add(1)
			}
			return fn(r)
		})
	return err
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
