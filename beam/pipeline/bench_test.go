package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"pypimal/dataset"
	"pypimal/featuresets"
)

// BenchmarkExtractSlice extracts the test slice of the dataset (no broken
// rows) the CLI's way (featuresets.ExtractAll on 2 workers, the three files
// written) and as the Beam pipeline on prism; each reports packages/s.
// The overhead is the ratio of their ns/op:
//
//	cd beam && go test -run '^$' -bench ExtractSlice -benchtime 3x ./pipeline
//
// Each also reports the process's CPU seconds per op (user + system);
// cores, their ratio to the wall time (how much of the machine a side
// got); and demand, the mean number of its threads running or ready to
// run, at most one per processor (sampled every 5 ms from /proc): how many
// cores a side could use on an idle machine. On a shared machine (where a
// session gets its share of the processors however many threads it has)
// the CPU and demand figures are the steady ones, and an idle machine's
// wall time is about CPU / demand.
func BenchmarkExtractSlice(b *testing.B) {
	data := sharedData()
	if data == "" {
		b.Skip("dataset absent")
	}
	rows := slice(b, data)
	dir := b.TempDir()
	writeManifest(b, filepath.Join(dir, "manifest.csv"), rows)
	b.Run("cli", func(b *testing.B) {
		cpu, demand := processCPU(), sampleDemand()
		for b.Loop() {
			tab, errs, _, err := featuresets.ExtractAll(context.Background(), data, rows, featuresets.Options{Workers: 2})
			if err != nil {
				b.Fatal(err)
			}
			for _, w := range []func(io.Writer) error{tab.WriteFeaturesCSV, tab.WriteTokensTSV,
				func(w io.Writer) error { return featuresets.WriteErrorsCSV(w, errs) }} {
				f, err := os.Create(filepath.Join(b.TempDir(), "out"))
				if err != nil {
					b.Fatal(err)
				}
				if err := w(f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
		reportRates(b, len(rows), processCPU()-cpu, demand())
	})
	b.Run("beam-prism", func(b *testing.B) {
		cpu, demand := processCPU(), sampleDemand()
		for b.Loop() {
			p, s := beam.NewPipelineWithRoot()
			if err := Extract(s, ExtractConfig{Input: Input{Manifest: filepath.Join(dir, "manifest.csv"), DataDir: data}, Output: b.TempDir(), Shards: 4}); err != nil {
				b.Fatal(err)
			}
			if err := ptest.Run(p); err != nil {
				b.Fatal(err)
			}
		}
		reportRates(b, len(rows), processCPU()-cpu, demand())
	})
}

// reportRates reports packages/s, CPU seconds per op, cores used and
// demand.
func reportRates(b *testing.B, rows int, cpu time.Duration, demand float64) {
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "packages/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cores")
	b.ReportMetric(demand, "demand")
}

// sampleDemand samples, every 5 ms until the returned function is called,
// how many of the process's threads are running or runnable (state R in
// /proc/self/task/*/stat), not counting the sampler's and at most
// GOMAXPROCS; the function stops it and returns the mean (0 off Linux).
func sampleDemand() func() float64 {
	stop, done := make(chan struct{}), make(chan float64)
	go func() {
		runtime.LockOSThread() // one thread: its own R is discounted
		var sum, n float64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- sum / max(n, 1)
				return
			case <-t.C:
			}
			tasks, _ := filepath.Glob("/proc/self/task/*/stat")
			r := -1
			for _, f := range tasks {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				// pid (comm) S ...: the state follows the last ')'.
				if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'R' {
					r++
				}
			}
			sum += float64(min(max(r, 0), runtime.GOMAXPROCS(0)))
			n++
		}
	}()
	return func() float64 { close(stop); return <-done }
}

// processCPU is the CPU time of the whole process, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCostByFormat measures the work of one package on one core, by
// archive format, over every PYPIMAL_SCALE_EVERY-th dataset row (default
// 10): archive and Python bytes, and the thread CPU time of loading and
// extracting, the figures docs/SCALE.md extrapolates from. Run it with
//
//	cd beam && go test -run '^$' -bench CostByFormat -benchtime 1x -v ./pipeline
func BenchmarkCostByFormat(b *testing.B) {
	data := sharedData()
	if data == "" {
		b.Skip("dataset absent")
	}
	all, err := dataset.ReadManifestFile(filepath.Join(data, "manifest.csv"))
	if err != nil {
		b.Fatal(err)
	}
	every := 10
	if v, err := strconv.Atoi(os.Getenv("PYPIMAL_SCALE_EVERY")); err == nil && v > 0 {
		every = v
	}
	// The sample, plus every realform row: real PyPI releases, the best
	// proxy for a registry run, get a group of their own.
	var rows []dataset.Row
	var inSample []bool
	for i, r := range all {
		if i%every == 0 || r.PaperSplit == "realform" {
			rows = append(rows, r)
			inSample = append(inSample, i%every == 0)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ex, err := featuresets.NewExtractor()
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	type cost struct {
		format            string
		archive, python   int64
		cpu               time.Duration
		id                string
		failed, realform  bool
		pythonFiles, objs int
	}
	var costs []cost
	for b.Loop() {
		costs = costs[:0]
		for _, r := range rows {
			c := cost{format: r.Format, archive: r.Bytes, id: r.ID, realform: r.PaperSplit == "realform"}
			start := threadCPU()
			_, ee := featuresets.ExtractPackage(ex, r, func() (*dataset.Package, error) {
				p, err := dataset.LoadRow(data, r, dataset.Limits{})
				if p != nil {
					for _, f := range p.Files {
						if f.Kind == dataset.KindPython {
							c.python += int64(len(f.Data))
							c.pythonFiles++
						}
					}
					c.objs = len(p.Files)
				}
				return p, err
			})
			c.cpu = threadCPU() - start
			c.failed = ee != nil
			costs = append(costs, c)
		}
	}
	byFormat := map[string][]cost{}
	var sampled int
	for i, c := range costs {
		if c.realform {
			byFormat["realform "+c.format] = append(byFormat["realform "+c.format], c)
			byFormat["realform all"] = append(byFormat["realform all"], c)
		}
		if !inSample[i] {
			continue
		}
		sampled++
		byFormat[c.format] = append(byFormat[c.format], c)
		byFormat["all"] = append(byFormat["all"], c)
	}
	formats := make([]string, 0, len(byFormat))
	for f := range byFormat {
		formats = append(formats, f)
	}
	slices.Sort(formats)
	b.Logf("%d packages (every %d-th row) and the realform rows, one core; CPU = thread CPU time of load + extract", sampled, every)
	b.Logf("| format | packages | archive MB | Python MB | CPU s | CPU ms/package p50 / mean / p99 / max | CPU s per MB Python | CPU s per MB archive |")
	b.Logf("|---|---|---|---|---|---|---|---|")
	for _, f := range formats {
		cs := byFormat[f]
		var arch, py int64
		var cpu time.Duration
		ms := make([]float64, len(cs))
		for i, c := range cs {
			arch += c.archive
			py += c.python
			cpu += c.cpu
			ms[i] = float64(c.cpu) / 1e6
		}
		slices.Sort(ms)
		q := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))))] }
		b.Logf("| %s | %d | %.1f | %.1f | %.1f | %.0f / %.0f / %.0f / %.0f | %.2f | %.2f |", f, len(cs), float64(arch)/1e6, float64(py)/1e6,
			cpu.Seconds(), q(0.5), cpu.Seconds()*1000/float64(len(cs)), q(0.99), ms[len(ms)-1],
			cpu.Seconds()/(float64(py)/1e6), cpu.Seconds()/(float64(arch)/1e6))
		if f == "all" {
			b.ReportMetric(cpu.Seconds()*1000/float64(len(cs)), "cpu-ms/package")
			b.ReportMetric(cpu.Seconds()/(float64(py)/1e6), "cpu-s/MB-python")
		}
	}
	slices.SortFunc(costs, func(a, b cost) int { return cmp.Compare(b.cpu, a.cpu) })
	for _, c := range costs[:min(5, len(costs))] {
		b.Logf("heaviest: %s %s: %.2f s CPU, archive %.1f MB, Python %.1f MB in %d files (%d files in all)", c.id, c.format,
			c.cpu.Seconds(), float64(c.archive)/1e6, float64(c.python)/1e6, c.pythonFiles, c.objs)
	}
}
