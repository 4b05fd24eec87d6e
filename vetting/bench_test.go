package vetting

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"pypimal/dataset"
	"pypimal/experiments/configfile"
	"pypimal/featuresets"
)

// benchDataDir returns the embedded dataset folder, or skips.
func benchDataDir(tb testing.TB) (string, []dataset.Row) {
	tb.Helper()
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		tb.Skipf("no dataset: %v", err)
	}
	return dir, rows
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScanTestSplit scans the paper split's test packages (540
// archives: 143 malicious sdists and wheels, 397 Debian packages) from
// disk with a trained model on 2 workers: reading, decompressing, parsing,
// extracting features, scoring and explaining every package. It reports
// packages/s. The model is PYPIMAL_SCAN_MODEL when set (e.g. the default
// stacking model from `pypimal train`), otherwise a random forest on the
// `all` set trained here on the paper training rows (features from the
// repository's cache when present; training is not timed).
func BenchmarkScanTestSplit(b *testing.B) {
	dir, rows := benchDataDir(b)
	var m *Model
	if p := os.Getenv("PYPIMAL_SCAN_MODEL"); p != "" {
		var err error
		if m, err = Load(p); err != nil {
			b.Fatal(err)
		}
	} else {
		cfg, err := configfile.Load("", map[string]any{"train.model": "rf", "workers": runtime.GOMAXPROCS(0)})
		if err != nil {
			b.Fatal(err)
		}
		opt := TrainOptions{DataDir: dir, Cache: &featuresets.Cache{Dir: filepath.Join("..", "cache")}}
		if m, err = Train(context.Background(), cfg, opt); err != nil {
			b.Fatal(err)
		}
	}
	all := map[string][]string{}
	for _, r := range rows {
		if r.PaperSplit == "test" {
			p := filepath.Join(dir, filepath.FromSlash(r.Path))
			all["test-split"] = append(all["test-split"], p)
			if r.Format != "deb" {
				all["test-sdists"] = append(all["test-sdists"], p)
			}
		}
	}
	// test-split: all 540 packages; test-sdists: its 143 malicious sdists
	// and wheels (the benign side is whole Debian libraries, much larger
	// than a typical sdist).
	// test-sdists-no-reasons: the same without explanations (--reasons 0).
	for _, name := range []string{"test-split", "test-sdists", "test-sdists-no-reasons"} {
		paths := all[strings.TrimSuffix(name, "-no-reasons")]
		reasons := 0
		if strings.HasSuffix(name, "-no-reasons") {
			reasons = -1
		}
		b.Run(name, func(b *testing.B) {
			s := NewScanner(m, ScanOptions{Workers: 2, Reasons: reasons})
			var sum Summary
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				sum, err = s.Scan(context.Background(), paths, func(Result) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(paths)*b.N)/b.Elapsed().Seconds(), "packages/s")
			// CPU time per package (user + system, all threads): on a
			// shared machine the wall-clock rate understates what two
			// free cores give, about 2000 / cpu-ms/package.
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(len(paths)*b.N), "cpu-ms/package")
			b.ReportMetric(float64(sum.Malicious), "flagged")
			b.ReportMetric(float64(sum.Errors), "errors")
		})
	}
}
