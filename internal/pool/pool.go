// Package pool runs numbered jobs on a bounded number of goroutines with a
// result that does not depend on the scheduling. Cross-validation,
// permutation importance and the stacking ensemble's inner fits share it.
package pool

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Run runs job(0..n-1) on at most workers goroutines (<= 0 means
// runtime.GOMAXPROCS(0)) and returns the lowest-numbered job that failed and
// its error, so the outcome does not depend on scheduling: jobs are handed out
// in increasing order and only jobs after a known failure are skipped, so
// every job before the first failure has run. A panicking job becomes an
// error. Cancelling ctx stops handing out jobs; its error is returned, with
// index -1, when no job failed. Callers add the job's name to the error.
func Run(ctx context.Context, n, workers int, job func(i int) error) (int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if ctx == nil {
		ctx = context.Background()
	}
	var (
		mu      sync.Mutex
		next    int
		failIdx = n // lowest failed job so far; n means none
		failErr error
		wg      sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || next > failIdx || ctx.Err() != nil {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := safeRun(job, i); err != nil {
					mu.Lock()
					if i < failIdx {
						failIdx, failErr = i, err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failErr != nil {
		return failIdx, failErr
	}
	return -1, ctx.Err()
}

func safeRun(job func(int) error, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return job(i)
}
