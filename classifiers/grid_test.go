package classifiers

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	kfold "pypimal/internal/folds"
)

// The CV grid timed against scikit-learn: 10 folds x the 6 models on a
// synthetic matrix of gridRows x gridCols (PYPIMAL_GRID_ROWS and
// PYPIMAL_GRID_COLS override the size).
const (
	gridRows  = 7000
	gridCols  = 100
	gridFolds = 10
)

func gridSize() (rows, cols int) {
	rows, cols = gridRows, gridCols
	if v, err := strconv.Atoi(os.Getenv("PYPIMAL_GRID_ROWS")); err == nil && v > 0 {
		rows = v
	}
	if v, err := strconv.Atoi(os.Getenv("PYPIMAL_GRID_COLS")); err == nil && v > 0 {
		cols = v
	}
	return rows, cols
}

type gridModel struct {
	name     string
	seconds  float64   // wall time
	cpu      float64   // user+system CPU seconds of the process
	f1, acc  []float64 // per fold
	failures []error
}

// runGrid fits every model on every fold's training rows and scores its test
// rows, with the folds of one model running on `workers` goroutines at once
// (as the experiments package's pool does), and times each model.
func runGrid(x *mat.Dense, y []int, folds [][]int, names []string, workers int) ([]gridModel, error) {
	n := len(y)
	d := Data{X: x}
	out := make([]gridModel, 0, len(names))
	for _, name := range names {
		spec, err := ByName(name)
		if err != nil {
			return nil, err
		}
		factory := spec.Pipeline(VectoriserParams{})
		gm := gridModel{name: name, f1: make([]float64, len(folds)), acc: make([]float64, len(folds)), failures: make([]error, len(folds))}
		jobs := make(chan int)
		var wg sync.WaitGroup
		start, cpu0 := time.Now(), cpuSeconds()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for fi := range jobs {
					test := folds[fi]
					train := complement(n, test)
					ytr := make([]int, len(train))
					for i, r := range train {
						ytr[i] = y[r]
					}
					yte := make([]int, len(test))
					for i, r := range test {
						yte[i] = y[r]
					}
					p := factory(0)
					if err := p.Fit(SubsetData(d, train), ytr); err != nil {
						gm.failures[fi] = err
						continue
					}
					s, err := p.Predict(SubsetData(d, test))
					if err != nil {
						gm.failures[fi] = err
						continue
					}
					gm.f1[fi] = f1(s, yte, spec.Threshold)
					gm.acc[fi] = accuracy(s, yte, spec.Threshold)
				}
			}()
		}
		for fi := range folds {
			jobs <- fi
		}
		close(jobs)
		wg.Wait()
		gm.seconds = time.Since(start).Seconds()
		gm.cpu = cpuSeconds() - cpu0
		for fi, err := range gm.failures {
			if err != nil {
				return nil, fmt.Errorf("%s fold %d: %w", name, fi, err)
			}
		}
		out = append(out, gm)
	}
	return out, nil
}

// cpuSeconds is the CPU time used by this process so far. Wall time on a
// shared machine depends on the other load; CPU time much less.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func meanStd(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)))
}

func gridData(tb testing.TB) (*mat.Dense, []int, [][]int) {
	rows, cols := gridSize()
	x, y := synthetic(rows, cols, 2024)
	folds, err := kfold.StratifiedKFoldNoShuffle(y, gridFolds)
	if err != nil {
		tb.Fatal(err)
	}
	return x, y, folds
}

// BenchmarkCVGrid times the grid in Go only (one iteration takes tens of
// seconds at the default size; PYPIMAL_GRID_ROWS=2000 for a quick run).
func BenchmarkCVGrid(b *testing.B) {
	x, y, folds := gridData(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := runGrid(x, y, folds, ModelNames(), runtime.GOMAXPROCS(0))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			for _, m := range res {
				b.ReportMetric(m.seconds, m.name+"-s")
			}
		}
	}
}

// TestCVGridVsSklearn runs the same grid (same matrix, same folds) in Go and
// in scikit-learn with n_jobs=2 and reports F1 and wall time per model and
// the time ratio. It takes minutes, so it only runs when asked:
//
//	PYPIMAL_GRID=1 go test -run TestCVGridVsSklearn -v -timeout 30m ./classifiers/
//
// The Go side runs first and scikit-learn second, so they do not compete
// for the cores; on a shared machine repeat it and compare like with like.
func TestCVGridVsSklearn(t *testing.T) {
	if os.Getenv("PYPIMAL_GRID") == "" {
		t.Skip("skipping the timed CV grid against scikit-learn (takes minutes): set PYPIMAL_GRID=1 to run it")
	}
	requireSklearn(t)
	x, y, folds := gridData(t)
	n, p := x.Dims()
	workers := runtime.GOMAXPROCS(0)
	ours, err := runGrid(x, y, folds, ModelNames(), workers)
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "x.f64")
	buf := make([]byte, 0, 8*n*p)
	for i := 0; i < n; i++ {
		for _, v := range rowView(x, i) {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	req := map[string]any{"x_path": path, "n": n, "p": p, "y": y, "folds": folds,
		"models": ModelNames(), "n_jobs": 2, "seed": 0}
	var ans struct {
		Version string `json:"version"`
		NJobs   int    `json:"n_jobs"`
		Models  map[string]struct {
			Seconds  float64   `json:"seconds"`
			CPU      float64   `json:"cpu"`
			F1       []float64 `json:"f1"`
			Accuracy []float64 `json:"accuracy"`
		} `json:"models"`
		Seconds float64 `json:"seconds"`
		CPU     float64 `json:"cpu"`
	}
	runSklearnScript(t, "testdata/sklearn_grid.py", req, &ans)

	t.Logf("grid: %d folds x %d models on %dx%d; Go GOMAXPROCS=%d, scikit-learn %s n_jobs=%d", len(folds), len(ours), n, p, workers, ans.Version, ans.NJobs)
	t.Logf("%-5s %-15s  %-15s  %7s  %7s %7s %6s  %7s %7s %6s", "model", "F1 ours", "F1 sklearn", "ΔF1",
		"wall Go", "wall py", "ratio", "cpu Go", "cpu py", "ratio")
	total, totalCPU := 0.0, 0.0
	for _, m := range ours {
		ref := ans.Models[m.name]
		f, fs := meanStd(m.f1)
		r, rs := meanStd(ref.F1)
		total += m.seconds
		totalCPU += m.cpu
		t.Logf("%-5s %.4f ± %.4f  %.4f ± %.4f  %+7.4f  %7.2f %7.2f %6.2f  %7.2f %7.2f %6.2f", m.name, f, fs, r, rs, f-r,
			m.seconds, ref.Seconds, m.seconds/ref.Seconds, m.cpu, ref.CPU, m.cpu/ref.CPU)
		if math.Abs(f-r) > 0.02 {
			t.Errorf("%s: mean CV F1 %.4f, scikit-learn %.4f: differ by more than 0.02", m.name, f, r)
		}
	}
	t.Logf("total wall: ours %.1f s, scikit-learn %.1f s, ratio ours/sklearn %.2f", total, ans.Seconds, total/ans.Seconds)
	t.Logf("total CPU:  ours %.1f s, scikit-learn %.1f s, ratio ours/sklearn %.2f", totalCPU, ans.CPU, totalCPU/ans.CPU)
}
