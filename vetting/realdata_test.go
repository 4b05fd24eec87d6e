package vetting

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"pypimal/dataset"
	"pypimal/dataset/repack"
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
	// Re-packed forms join the threshold's out-of-fold scores.
	cfg := testConfig(t, map[string]any{"train.model": "rf", "train.forms": []any{"sdist", "wheel"}})
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
	if len(m.Threshold.Forms) != 3 || m.Threshold.Forms[0].Form != "installed" {
		t.Errorf("threshold forms %+v, want installed, sdist and wheel", m.Threshold.Forms)
	}
	for _, f := range m.Threshold.Forms {
		if f.Benign != 300 {
			t.Errorf("form %s: %d benign out-of-fold scores, want 300", f.Form, f.Benign)
		}
	}

	// Form invariance of the score: benign test rows scanned as their
	// .deb, and re-packed as an sdist and a wheel (written to a temporary
	// folder), score within 0.02 of each other.
	tmp := t.TempDir()
	n := 0
	for _, r := range all {
		if r.PaperSplit != "test" || r.Format != "deb" || n == 20 {
			continue
		}
		n++
		p, err := dataset.LoadRow(dir, r, dataset.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		paths := []string{filepath.Join(dir, r.Path)}
		for i, f := range []func(*dataset.Package, int64) ([]byte, error){repack.Sdist, repack.Wheel} {
			data, err := f(p, int64(n))
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(tmp, fmt.Sprintf("%s-%d.%s", r.ID, i, []string{"tar.gz", "whl"}[i]))
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, name)
		}
		rs, _ := scanAll(t, m, paths...)
		for _, x := range rs[1:] {
			if x.Verdict == VerdictError || math.Abs(x.Score-rs[0].Score) >= 0.02 {
				t.Errorf("%s as %s: score %v (%s), installed %v", r.ID, x.Format, x.Score, x.Verdict, rs[0].Score)
			}
		}
	}
}
