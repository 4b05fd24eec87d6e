package dataset

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// testDataDir finds the embedded dataset: $PYPIMAL_DATA, else ../shared/data
// beside the repository root.
func testDataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.csv")); err != nil {
		t.Skipf("embedded dataset not found at %s (set PYPIMAL_DATA): %v", dir, err)
	}
	return dir
}

// TestLoadWholeDataset opens every row of the embedded dataset and expects
// no error: the readers must handle everything the registry and Debian ship.
func TestLoadWholeDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("loads all 7,213 archives")
	}
	dir := testDataDir(t)
	rows, err := ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7213 {
		t.Errorf("manifest rows = %d, want 7213", len(rows))
	}
	var failed, noMeta, files int
	var maxRatio float64
	err = LoadAll(context.Background(), dir, rows, LoadOptions{}, func(r Result) error {
		if r.Err != nil {
			failed++
			if failed <= 20 {
				t.Errorf("%v", r.Err)
			}
			return nil
		}
		if r.Pkg.Meta == nil {
			noMeta++
			if r.Row.Label == Benign {
				t.Errorf("%s: benign package without metadata (%v)", r.Row.ID, r.Pkg.MetaErr)
			}
		}
		files += len(r.Pkg.Files)
		if ratio := float64(r.Pkg.UncompressedBytes) / float64(r.Row.Bytes); ratio > maxRatio {
			maxRatio = ratio
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, %d failed, %d without metadata, %d files, max ratio %.1f", len(rows), failed, noMeta, files, maxRatio)
}
