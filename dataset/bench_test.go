package dataset

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkLoadDataset loads every row of the embedded dataset (hash check,
// decompression, metadata) on GOMAXPROCS workers.
func BenchmarkLoadDataset(b *testing.B) {
	dir := testDataDir(b)
	rows, err := ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for _, r := range rows {
		bytes += r.Bytes
	}
	b.SetBytes(bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := LoadAll(context.Background(), dir, rows, LoadOptions{}, func(r Result) error {
			if r.Err != nil {
				b.Error(r.Err)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "packages/s")
}
