package vetting

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"pypimal/dataset"
	"pypimal/featuresets"
)

// TestRealRowsModel trains a forest on a slice of the real paper training
// rows (the first 100 malicious and 300 benign; features extracted afresh
// into a temporary cache) and scans the hand-made packages with it: the
// malicious one is flagged in every form, the benign one in none.
func TestRealRowsModel(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts features of 400 dataset packages")
	}
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	all, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Skipf("no dataset: %v", err)
	}
	per := map[string]int{}
	limit := map[string]int{dataset.Malicious: 100, dataset.Benign: 300}
	var rows []dataset.Row
	for _, r := range all {
		if r.PaperSplit == "train" && per[r.Label] < limit[r.Label] {
			per[r.Label]++
			rows = append(rows, r)
		}
	}
	cfg := testConfig(t, map[string]any{"train.model": "rf"})
	m, err := Train(context.Background(), cfg, TrainOptions{DataDir: dir, Rows: rows, Cache: &featuresets.Cache{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Training.Rows != 400 || m.Training.Malicious != 100 {
		t.Fatalf("trained on %d rows (%d malicious)", m.Training.Rows, m.Training.Malicious)
	}
	fx := fixtures(t)
	for _, form := range []string{"dir", "tar.gz", "zip"} {
		rs, _ := scanAll(t, m, fx["malicious/"+form], fx["benign/"+form])
		if rs[0].Verdict != VerdictMalicious {
			t.Errorf("%s: malicious package scored %v, threshold %v", form, rs[0].Score, rs[0].Threshold)
		}
		if rs[1].Verdict != VerdictBenign {
			t.Errorf("%s: benign package scored %v, threshold %v", form, rs[1].Score, rs[1].Threshold)
		}
		t.Logf("%s: malicious %.3f, benign %.3f, threshold %.3f; reasons %v", form, rs[0].Score, rs[1].Score, rs[0].Threshold, rs[0].Reasons)
	}
}
