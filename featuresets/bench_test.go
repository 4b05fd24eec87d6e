package featuresets

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"pypimal/dataset"
)

// benchRows returns the manifest rows, or the first PYPIMAL_BENCH_ROWS of
// each label when that is set (for profiling a slice).
func benchRows(b *testing.B) (string, []dataset.Row) {
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		b.Skipf("no dataset: %v", err)
	}
	if n, err := strconv.Atoi(os.Getenv("PYPIMAL_BENCH_ROWS")); err == nil && n > 0 {
		per := map[string]int{}
		var out []dataset.Row
		for _, r := range rows {
			if per[r.Label] < n {
				per[r.Label]++
				out = append(out, r)
			}
		}
		rows = out
	}
	return dir, rows
}

func reportTiming(b *testing.B, rows int, tm Timing) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "packages/s")
	if tm.Load+tm.Extract > 0 {
		b.ReportMetric(100*tm.Parse.Seconds()/(tm.Load+tm.Extract).Seconds(), "%parse")
		b.ReportMetric(100*tm.Load.Seconds()/(tm.Load+tm.Extract).Seconds(), "%load")
	}
}

// BenchmarkExtractCold extracts every package without a cache: reading,
// decompressing, parsing and computing features on GOMAXPROCS workers.
// %parse and %load are shares of the summed worker time.
func BenchmarkExtractCold(b *testing.B) {
	dir, rows := benchRows(b)
	var tm Timing
	for i := 0; i < b.N; i++ {
		t, errs, timing, err := ExtractAll(context.Background(), dir, rows, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(errs) > 0 || len(t.Rows) != len(rows) {
			b.Fatalf("%d errors, %d of %d rows", len(errs), len(t.Rows), len(rows))
		}
		tm = timing
	}
	reportTiming(b, len(rows), tm)
}

// BenchmarkExtractWarm reads every row from a filled cache.
func BenchmarkExtractWarm(b *testing.B) {
	dir, rows := benchRows(b)
	cache := &Cache{Dir: b.TempDir()}
	if _, _, _, err := ExtractAll(context.Background(), dir, rows, Options{Cache: cache}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, tm, err := ExtractAll(context.Background(), dir, rows, Options{Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		if tm.CacheHits != len(rows) {
			b.Fatalf("%d cache hits of %d", tm.CacheHits, len(rows))
		}
	}
	reportTiming(b, len(rows), Timing{})
}
