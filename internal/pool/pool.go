// Package pool runs numbered jobs on a bounded number of goroutines with an
// outcome that does not depend on the scheduling. Every parallel loop of the
// project goes through it: cross-validation, permutation importance, the
// ensembles' fits, kernel rows, feature extraction, scanning, loading.
//
// Run is the plain shape; RunWith gives each worker its own state (a parser,
// scratch buffers) made once per worker; Stream also hands each job's result,
// in job order, to a consumer on the calling goroutine while later jobs run.
package pool

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// State makes and releases the per-worker state of RunWith and Stream.
// New is called once on each worker's goroutine before its first job
// (nil: the zero S); Close, when set, once when the worker stops, after
// New succeeded.
type State[S any] struct {
	New   func(worker int) (S, error)
	Close func(S)
}

// Run runs job(0..n-1) on at most workers goroutines (<= 0 means
// runtime.GOMAXPROCS(0)) and returns the lowest-numbered job that failed and
// its error, so the outcome does not depend on scheduling: jobs are handed out
// in increasing order and only jobs after a known failure are skipped, so
// every job before the first failure has run. A panicking job becomes an
// error. Cancelling ctx stops handing out jobs; its error is returned, with
// index -1, when no job failed. Callers add the job's name to the error.
func Run(ctx context.Context, n, workers int, job func(i int) error) (int, error) {
	return RunWith(ctx, n, workers, State[struct{}]{}, func(_ struct{}, i int) error { return job(i) })
}

// RunWith is Run with per-worker state: each worker makes its S with
// st.New(worker), worker in [0, workers), and passes it to every job it runs.
// When st.New fails (or panics) no further job is handed out and RunWith
// returns index -1 and that error, before any job's error.
func RunWith[S any](ctx context.Context, n, workers int, st State[S], job func(s S, i int) error) (int, error) {
	return run(ctx, n, workers, st, func(s S, i int) (struct{}, error) { return struct{}{}, job(s, i) }, nil)
}

// Stream is RunWith whose jobs produce a value: consume is called with each
// job's value in job order (0, 1, …), on the calling goroutine, as soon as
// that job and all before it are done. A job starts only when it is fewer
// than 2×workers ahead of the next value to consume, so at most that many
// values wait in memory. When job i fails, consume has seen every value
// before i and Stream returns (i, err); when consume fails at i, no further
// job starts and Stream returns (i, err) unchanged. Errors of st.New and ctx
// are as in RunWith.
func Stream[S, T any](ctx context.Context, n, workers int, st State[S], job func(s S, i int) (T, error), consume func(i int, v T) error) (int, error) {
	if consume == nil {
		consume = func(int, T) error { return nil }
	}
	return run(ctx, n, workers, st, job, consume)
}

// run is the one implementation. With consume nil, values are dropped and
// jobs are not held back by a window.
func run[S, T any](ctx context.Context, n, workers int, st State[S], job func(S, int) (T, error), consume func(int, T) error) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	window := n // jobs may run this far ahead of the consumer
	if consume != nil {
		window = 2 * workers
	}
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		next     int   // next job to hand out
		consumed int   // next value to consume
		failIdx  = n   // lowest failed job so far; n means none
		failErr  error // its error
		setupErr error // first failure of st.New
		stopped  bool  // setup or consume failed: hand out nothing more
		live     = workers
		done     = make([]bool, n) // values ready for the consumer
		vals     []T
		wg       sync.WaitGroup
	)
	if consume != nil {
		vals = make([]T, n)
	}
	// Workers waiting for the window must wake when ctx is cancelled.
	stopWake := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stopWake()

	// take hands out the next job, waiting while it is too far ahead.
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		for {
			if stopped || next >= n || next > failIdx || ctx.Err() != nil {
				return 0, false
			}
			if next < consumed+window {
				next++
				return next - 1, true
			}
			cond.Wait()
		}
	}
	for w := range workers {
		wg.Go(func() {
			defer func() {
				mu.Lock()
				live--
				cond.Broadcast()
				mu.Unlock()
			}()
			s, err := newState(st, w)
			if err != nil {
				mu.Lock()
				if setupErr == nil {
					setupErr = err
				}
				stopped = true
				mu.Unlock()
				return
			}
			if st.Close != nil {
				defer st.Close(s)
			}
			for {
				i, ok := take()
				if !ok {
					return
				}
				v, err := safeRun(job, s, i)
				mu.Lock()
				if err != nil {
					if i < failIdx {
						failIdx, failErr = i, err
					}
				} else if consume != nil {
					vals[i], done[i] = v, true
				}
				cond.Broadcast()
				mu.Unlock()
			}
		})
	}

	consumeIdx, consumeErr := -1, error(nil)
	if consume != nil {
		for consumed < n {
			mu.Lock()
			for !done[consumed] && consumed < failIdx && live > 0 {
				cond.Wait()
			}
			if !done[consumed] { // failed, or every worker has stopped
				mu.Unlock()
				break
			}
			v := vals[consumed]
			var zero T
			vals[consumed] = zero // let the consumer's value go
			mu.Unlock()
			err := consume(consumed, v)
			mu.Lock()
			if err != nil {
				consumeIdx, consumeErr, stopped = consumed, err, true
			} else {
				consumed++
			}
			cond.Broadcast()
			mu.Unlock()
			if err != nil {
				break
			}
		}
	}
	wg.Wait()
	switch {
	case setupErr != nil:
		return -1, setupErr
	case consumeErr != nil:
		return consumeIdx, consumeErr
	case failErr != nil:
		return failIdx, failErr
	}
	return -1, ctx.Err()
}

func newState[S any](st State[S], w int) (s S, err error) {
	if st.New == nil {
		return s, nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("worker %d: panic: %v", w, r)
		}
	}()
	return st.New(w)
}

func safeRun[S, T any](job func(S, int) (T, error), s S, i int) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return job(s, i)
}
