package pool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errJob = errors.New("job failed")

// TestRun checks the outcome of Run for jobs that succeed, fail or panic:
// which index and error come back and which jobs ran.
func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		n, workers int
		fail       map[int]bool // jobs that return errJob
		panics     map[int]bool // jobs that panic
		wantIdx    int
		wantErr    string // substring; "" for nil
		mustRun    int    // jobs 0..mustRun-1 must all have run
	}{
		{name: "all succeed", n: 50, workers: 4, wantIdx: -1, mustRun: 50},
		{name: "one worker", n: 7, workers: 1, wantIdx: -1, mustRun: 7},
		{name: "more workers than jobs", n: 3, workers: 16, wantIdx: -1, mustRun: 3},
		{name: "default workers", n: 9, workers: 0, wantIdx: -1, mustRun: 9},
		{name: "no jobs", n: 0, workers: 4, wantIdx: -1},
		{name: "lowest failure wins", n: 40, workers: 4, fail: map[int]bool{30: true, 12: true}, wantIdx: 12, wantErr: errJob.Error(), mustRun: 12},
		{name: "failure of job 0", n: 40, workers: 1, fail: map[int]bool{0: true}, wantIdx: 0, wantErr: errJob.Error()},
		{name: "panic is an error", n: 10, workers: 3, panics: map[int]bool{4: true}, wantIdx: 4, wantErr: "panic: boom 4", mustRun: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran := make([]atomic.Bool, tc.n)
			idx, err := Run(context.Background(), tc.n, tc.workers, func(i int) error {
				ran[i].Store(true)
				if tc.panics[i] {
					panic(fmt.Sprintf("boom %d", i))
				}
				if tc.fail[i] {
					return errJob
				}
				return nil
			})
			if idx != tc.wantIdx || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run = %d, %v; want %d, %q", idx, err, tc.wantIdx, tc.wantErr)
			}
			for i := range tc.mustRun {
				if !ran[i].Load() {
					t.Errorf("job %d before the first failure did not run", i)
				}
			}
		})
	}
}

// TestRunSkipsAfterFailure: with one worker, jobs are handed out in order,
// so nothing after the failing job runs.
func TestRunSkipsAfterFailure(t *testing.T) {
	var ran []int
	idx, err := Run(context.Background(), 10, 1, func(i int) error {
		ran = append(ran, i)
		if i == 3 {
			return errJob
		}
		return nil
	})
	if idx != 3 || !errors.Is(err, errJob) || !slices.Equal(ran, []int{0, 1, 2, 3}) {
		t.Errorf("Run = %d, %v, ran %v; want 3, errJob, [0 1 2 3]", idx, err, ran)
	}
}

// TestRunConcurrency checks that no more than min(workers, n) jobs ever run
// at once, and that that many do run at once.
func TestRunConcurrency(t *testing.T) {
	tests := []struct{ n, workers, want int }{
		{n: 20, workers: 3, want: 3},
		{n: 2, workers: 8, want: 2},
		{n: 5, workers: 1, want: 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("n=%d,workers=%d", tc.n, tc.workers), func(t *testing.T) {
			var cur, peak atomic.Int32
			var arrived sync.WaitGroup
			arrived.Add(tc.want)
			gate := make(chan struct{})
			go func() { arrived.Wait(); close(gate) }()
			_, err := Run(context.Background(), tc.n, tc.workers, func(i int) error {
				c := cur.Add(1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				if i < tc.want {
					arrived.Done() // the first want jobs wait for each other
					<-gate
				}
				cur.Add(-1)
				return nil
			})
			if err != nil || int(peak.Load()) != tc.want {
				t.Errorf("Run: err %v, peak concurrency %d; want nil, %d", err, peak.Load(), tc.want)
			}
		})
	}
}

// TestRunCancel: cancelling ctx stops handing out jobs and Run returns its
// error with index -1; an error of a job that ran still wins.
func TestRunCancel(t *testing.T) {
	tests := []struct {
		name    string
		failAt  int // -1: none
		wantIdx int
		wantErr error
	}{
		{name: "cancelled", failAt: -1, wantIdx: -1, wantErr: context.Canceled},
		{name: "failure before cancel", failAt: 2, wantIdx: 2, wantErr: errJob},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ran atomic.Int32
			idx, err := Run(ctx, 1000, 2, func(i int) error {
				ran.Add(1)
				if i == 5 {
					cancel()
				}
				if i == tc.failAt {
					return errJob
				}
				return nil
			})
			if idx != tc.wantIdx || !errors.Is(err, tc.wantErr) {
				t.Errorf("Run = %d, %v; want %d, %v", idx, err, tc.wantIdx, tc.wantErr)
			}
			if ran.Load() > 10 {
				t.Errorf("%d jobs ran after the cancel at job 5", ran.Load())
			}
		})
	}
}

// TestRunWithState checks that each worker makes its state once, that jobs
// see their worker's state, that Close releases every state made, and that
// a failing New stops the run with its error.
func TestRunWithState(t *testing.T) {
	errNew := errors.New("no parser")
	tests := []struct {
		name      string
		n         int
		workers   int
		failNew   int // worker whose New fails; -1 none
		panicNew  bool
		wantIdx   int
		wantErr   string
		wantState int // states made
	}{
		{name: "one state per worker", n: 30, workers: 3, failNew: -1, wantIdx: -1, wantState: 3},
		{name: "states capped by n", n: 2, workers: 5, failNew: -1, wantIdx: -1, wantState: 2},
		{name: "new fails", n: 30, workers: 1, failNew: 0, wantIdx: -1, wantErr: errNew.Error()},
		{name: "new panics", n: 30, workers: 1, failNew: 0, panicNew: true, wantIdx: -1, wantErr: "worker 0: panic"},
	}
	type state struct {
		worker int
		closed bool
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var made []*state
			var jobs atomic.Int32
			st := State[*state]{
				New: func(w int) (*state, error) {
					if w == tc.failNew {
						if tc.panicNew {
							panic("no parser")
						}
						return nil, errNew
					}
					s := &state{worker: w}
					mu.Lock()
					made = append(made, s)
					mu.Unlock()
					return s, nil
				},
				Close: func(s *state) { s.closed = true },
			}
			idx, err := RunWith(context.Background(), tc.n, tc.workers, st, func(s *state, i int) error {
				if s == nil || s.closed || s.worker < 0 || s.worker >= tc.workers {
					return fmt.Errorf("job %d: bad state %+v", i, s)
				}
				jobs.Add(1)
				return nil
			})
			if idx != tc.wantIdx || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("RunWith = %d, %v; want %d, %q", idx, err, tc.wantIdx, tc.wantErr)
			}
			if len(made) != tc.wantState {
				t.Errorf("%d states made, want %d", len(made), tc.wantState)
			}
			for _, s := range made {
				if !s.closed {
					t.Errorf("state of worker %d not closed", s.worker)
				}
			}
			if tc.wantErr == "" && int(jobs.Load()) != tc.n {
				t.Errorf("%d jobs ran, want %d", jobs.Load(), tc.n)
			}
		})
	}
}

// TestStream checks that values are consumed in job order even when later
// jobs finish first, and how failures of jobs and of consume end the run.
func TestStream(t *testing.T) {
	errConsume := errors.New("consume failed")
	tests := []struct {
		name        string
		n, workers  int
		failJob     int // -1: none
		failConsume int // -1: none
		wantIdx     int
		wantErr     error
		wantSeen    int // values consumed: 0..wantSeen-1
	}{
		{name: "all", n: 40, workers: 4, failJob: -1, failConsume: -1, wantIdx: -1, wantSeen: 40},
		{name: "one worker", n: 5, workers: 1, failJob: -1, failConsume: -1, wantIdx: -1, wantSeen: 5},
		{name: "job fails", n: 40, workers: 3, failJob: 17, failConsume: -1, wantIdx: 17, wantErr: errJob, wantSeen: 17},
		{name: "consume fails", n: 40, workers: 3, failJob: -1, failConsume: 9, wantIdx: 9, wantErr: errConsume, wantSeen: 9},
		{name: "consume fails before a job does", n: 40, workers: 3, failJob: 20, failConsume: 4, wantIdx: 4, wantErr: errConsume, wantSeen: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen []int
			idx, err := Stream(context.Background(), tc.n, tc.workers, State[struct{}]{},
				func(_ struct{}, i int) (int, error) {
					// Later jobs finish first within each group of workers.
					time.Sleep(time.Duration((tc.workers-i%tc.workers)*200) * time.Microsecond)
					if i == tc.failJob {
						return 0, errJob
					}
					return i * i, nil
				},
				func(i, v int) error {
					if i == tc.failConsume {
						return errConsume
					}
					if v != i*i {
						t.Errorf("consume(%d, %d): value of another job", i, v)
					}
					seen = append(seen, i)
					return nil
				})
			if idx != tc.wantIdx || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Stream = %d, %v; want %d, %v", idx, err, tc.wantIdx, tc.wantErr)
			}
			want := make([]int, tc.wantSeen)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(seen, want) {
				t.Errorf("consumed %v, want %v", seen, want)
			}
		})
	}
}

// TestStreamWindow: a job starts only when fewer than 2×workers values wait
// for the consumer, so a slow consumer bounds the values in memory.
func TestStreamWindow(t *testing.T) {
	const n, workers = 30, 2
	var started, consumed atomic.Int32
	var maxAhead int32
	_, err := Stream(context.Background(), n, workers, State[struct{}]{},
		func(_ struct{}, i int) (int, error) {
			started.Add(1)
			if ahead := int32(i) - consumed.Load(); ahead > atomic.LoadInt32(&maxAhead) {
				atomic.StoreInt32(&maxAhead, ahead)
			}
			return i, nil
		},
		func(i, v int) error {
			time.Sleep(200 * time.Microsecond)
			consumed.Add(1)
			return nil
		})
	if err != nil || started.Load() != n {
		t.Fatalf("Stream: %v, %d jobs started", err, started.Load())
	}
	if maxAhead >= 2*workers {
		t.Errorf("a job started %d ahead of the consumer, want < %d", maxAhead, 2*workers)
	}
}

// TestStreamCancel: cancelling ctx while the consumer is slow ends the run
// with ctx's error, without waiting for the remaining jobs.
func TestStreamCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started atomic.Int32
	idx, err := Stream(ctx, 1000, 2, State[struct{}]{},
		func(_ struct{}, i int) (int, error) { started.Add(1); return i, nil },
		func(i, _ int) error {
			if i == 3 {
				cancel()
			}
			return nil
		})
	if idx != -1 || !errors.Is(err, context.Canceled) {
		t.Errorf("Stream = %d, %v; want -1, context.Canceled", idx, err)
	}
	if started.Load() > 20 {
		t.Errorf("%d jobs started after a cancel at value 3", started.Load())
	}
}
