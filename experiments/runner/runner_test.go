package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
	"pypimal/dataset"
	"pypimal/experiments"
	"pypimal/experiments/configfile"
	"pypimal/featuresets"
	"pypimal/reports"
)

func dataDir(t *testing.T) string {
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.csv")); err != nil {
		t.Skipf("no dataset at %s", dir)
	}
	return dir
}

// slice takes the first n rows of each (label, paper_split) among train
// and test, so the slice has both classes on both sides.
func slice(t *testing.T, dir string, n int) []dataset.Row {
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	var out []dataset.Row
	for _, r := range rows {
		k := r.Label + "/" + r.PaperSplit
		if r.PaperSplit != "pool" && per[k] < n {
			per[k]++
			out = append(out, r)
		}
	}
	return out
}

const sliceConfig = `name: e2e
seed: 7
feature_sets:
  - name: metadata
    families: [metadata]
  - name: code+text
    families: [code, text]
  - name: all
    families: [metadata, files, code, text]
leaky: [false, true]
models: [rf, lr, nb, stacking]
stacking: [rf, lr, nb]
intersection: [rf, lr, nb]
cv:
  k: 3
importance:
  enabled: true
  model: rf
  set: all
  repeats: 2
`

// TestEndToEnd runs a small experiment on real packages twice and checks
// every output exists, parses, and is identical the second time.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an experiment on a slice of the dataset")
	}
	dir := dataDir(t)
	rows := slice(t, dir, 60)
	cfgPath := filepath.Join(t.TempDir(), "e2e.yaml")
	if err := os.WriteFile(cfgPath, []byte(sliceConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configfile.Load(cfgPath, map[string]any{"workers": 2})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	var log bytes.Buffer
	run := func(out string) *Outcome {
		log.Reset()
		opt := Options{DataDir: dir, OutDir: out, CacheDir: cache, Rows: rows, Log: &log}
		o, err := Run(context.Background(), cfg, opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reports.WriteAll(out, o.Results); err != nil {
			t.Fatal(err)
		}
		return o
	}
	out1 := filepath.Join(t.TempDir(), "e2e")
	o := run(out1)
	// Importance scores the pipeline the grid fitted on the training rows.
	if !strings.Contains(log.String(), "the grid's fit") {
		t.Errorf("importance refitted the grid's pipeline:\n%s", log.String())
	}

	r := o.Results
	if got, want := len(r.Cells), 3*2*4; got != want {
		t.Fatalf("%d cells, want %d", got, want)
	}
	if r.Dataset.TrainMalicious != 60 || r.Dataset.TestBenign != 60 {
		t.Errorf("dataset counts %+v", r.Dataset)
	}
	for _, c := range r.Cells {
		if c.CV.N != 3 || c.Test == nil {
			t.Errorf("cell %s/%s: %d folds, test %v", c.Set, c.Model, c.CV.N, c.Test)
		}
	}
	if len(r.Importance) == 0 || len(r.Rules) != 5 {
		t.Errorf("%d importances, %d rules", len(r.Importance), len(r.Rules))
	}
	// Form shift: the 60 benign test rows re-packed as sdists and wheels;
	// without leaky features every cell flags exactly as many of each form
	// as of the installed trees (the non-leaky features are the same).
	fs := r.FormShift
	if fs == nil || len(fs.Forms) < 3 || fs.Counts[1] != 60 || fs.Counts[2] != 60 || len(fs.Cells) != len(r.Cells) {
		t.Fatalf("form shift %+v", fs)
	}
	for _, c := range fs.Cells {
		if !c.Leaky && (c.FP[1] != c.FP[0] || c.FP[2] != c.FP[0]) {
			t.Errorf("form shift %s/%s: false positives %v differ by form", c.Set, c.Model, c.FP)
		}
	}
	for _, is := range fs.Install {
		if is.NonZero[1] != 0 || is.NonZero[2] != 0 {
			t.Errorf("%s set on %v re-packed benign packages: ordinary install code", is.Feature, is.NonZero[1:3])
		}
	}

	// CSVs parse with the expected columns.
	for name, cols := range map[string][]string{
		"predictions.csv": {"id", "label", "feature_set", "leaky", "model", "score", "threshold", "predicted"},
		"importance.csv":  {"model", "set", "leaky", "name", "kind", "n_columns", "repeats", "mean_drop", "std_drop"},
		"summary.csv":     reports.SummaryColumns(),
		"f1.csv":          {"set", "leaky", "model", "cv_mean", "cv_std", "test"},
		"errors.csv":      {"id", "label", "reason", "detail"},
	} {
		recs := readCSV(t, filepath.Join(out1, name))
		if strings.Join(recs[0], ",") != strings.Join(cols, ",") {
			t.Errorf("%s header %v, want %v", name, recs[0], cols)
		}
	}
	if n := len(readCSV(t, filepath.Join(out1, "predictions.csv"))) - 1; n != 3*2*4*120 {
		t.Errorf("predictions.csv has %d rows, want %d", n, 3*2*4*120)
	}
	if n := len(readCSV(t, filepath.Join(out1, "folds.csv"))) - 1; n != 120 {
		t.Errorf("folds.csv has %d rows, want 120", n)
	}
	// PNGs decode at the documented size.
	pngs, _ := filepath.Glob(filepath.Join(out1, "*.png"))
	if len(pngs) < 4 {
		t.Errorf("only %d plots: %v", len(pngs), pngs)
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 768 || (b.Dy() != 432 && b.Dy() != 576) {
			t.Errorf("%s is %dx%d", filepath.Base(p), b.Dx(), b.Dy())
		}
	}
	// The LaTeX table has one row per feature set.
	tex, err := os.ReadFile(filepath.Join(out1, "f1.tex"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(tex)
	body = body[strings.Index(body, `\midrule`):strings.Index(body, `\bottomrule`)]
	if n := strings.Count(body, `\\`); n != len(cfg.FeatureSets) {
		t.Errorf("f1.tex has %d rows, want %d", n, len(cfg.FeatureSets))
	}
	if _, err := os.Stat(filepath.Join(out1, "report.md")); err != nil {
		t.Error(err)
	}

	// A second run into a fresh folder recomputes every cell (features
	// come from the cache) and must give identical files.
	out2 := filepath.Join(t.TempDir(), "e2e")
	run(out2)
	if strings.Contains(log.String(), "reused") {
		t.Error("fresh folder reused cells")
	}
	sameFiles(t, out1, out2)

	// The stacks took their refitted bases from the single-model cells; a
	// run of the stacks alone fits every base itself and must give the
	// same cells, byte for byte. It leaves out the importance set, whose
	// rules table is then not made (rather than failing the run).
	stackOnly := *cfg
	stackOnly.Models = []string{experiments.ModelStacking}
	stackOnly.FeatureSets = cfg.FeatureSets[:2]
	stackOnly.Importance.Enabled = false
	out3 := filepath.Join(t.TempDir(), "e2e")
	o3, err := Run(context.Background(), &stackOnly, Options{DataDir: dir, OutDir: out3, CacheDir: cache, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	if len(o3.Results.Rules) != 0 {
		t.Errorf("%d rules without the importance set, want none", len(o3.Results.Rules))
	}
	cells3, _ := filepath.Glob(filepath.Join(out3, "cells", "*.json"))
	if len(cells3) != 4 {
		t.Fatalf("%d cells from the stacking-only run, want the 4 stacks", len(cells3))
	}
	for _, f := range cells3 {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(out2, "cells", filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("cell %s differs when the stack fits its own bases (err %v)", filepath.Base(f), err)
		}
	}

	// Started again in the first folder, the run resumes from its cells;
	// importance then fits its pipeline itself, and must score the same.
	os.Remove(filepath.Join(out1, "summary.csv"))
	run(out1)
	if n := strings.Count(log.String(), "reused"); n < len(r.Cells) {
		t.Errorf("%d cells reused of %d:\n%s", n, len(r.Cells), log.String())
	}
	if strings.Contains(log.String(), "the grid's fit") {
		t.Error("importance took a fit from reused cells")
	}
	sameFiles(t, out1, out2)
}

func sameFiles(t *testing.T, dir1, dir2 string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir1, "*.*"))
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(dir2, filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs (err %v)", filepath.Base(f), err)
		}
	}
}

func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v (%d records)", name, err, len(recs))
	}
	return recs
}

// TestRunRejectsSingleClass: a split with one class is an error before
// any model is fitted.
func TestRunRejectsSingleClass(t *testing.T) {
	dir := dataDir(t)
	var rows []dataset.Row
	for _, r := range slice(t, dir, 5) {
		if r.Label == dataset.Benign {
			rows = append(rows, r)
		}
	}
	cfg, err := configfile.Load(filepath.Join("..", "paper.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, Options{DataDir: dir, OutDir: t.TempDir(), Rows: rows})
	if err == nil || !strings.Contains(err.Error(), "single class") {
		t.Errorf("err = %v", err)
	}
}

// TestMLPDtypeReachesModels: mlp_dtype sets the precision of the mlp cell's
// network and of the mlp inside a stack and an intersection, and leaves the
// other models alone.
func TestMLPDtypeReachesModels(t *testing.T) {
	cfg, err := configfile.Load(filepath.Join("..", "paper.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	x, y := mat.NewDense(60, 2, nil), make([]int, 60)
	for i := range y {
		y[i] = i % 2
		x.Set(i, 0, float64(y[i])+0.1*float64(i%7))
		x.Set(i, 1, float64(i%5))
	}
	for _, dtype := range []string{experiments.MLPFloat32, experiments.MLPFloat64} {
		c := *cfg
		c.MLPDtype = dtype
		for _, model := range []string{"mlp", experiments.ModelStacking, experiments.ModelIntersection} {
			b, err := c.Build(model)
			if err != nil {
				t.Fatal(err)
			}
			p := b.New(1)
			if err := p.Fit(classifiers.Data{X: x}, y); err != nil {
				t.Fatalf("%s: %v", model, err)
			}
			var fitted []classifiers.Pipeline
			switch p := p.(type) {
			case *classifiers.Stacking:
				fitted = p.Bases
			case *classifiers.Intersection:
				fitted = p.Models
			default:
				fitted = []classifiers.Pipeline{p}
			}
			mlps := 0
			for _, b := range fitted {
				if m, ok := b.(*classifiers.ModelPipeline).Model.(*classifiers.MLP); ok {
					mlps++
					if m.Params.Float32 != (dtype == experiments.MLPFloat32) {
						t.Errorf("mlp_dtype %s: %s has an mlp with Float32 %v", dtype, model, m.Params.Float32)
					}
				}
			}
			if mlps != 1 {
				t.Errorf("%s: %d mlps, want 1", model, mlps)
			}
		}
	}
}

func TestCellKeyChangesWithInputs(t *testing.T) {
	cfg, err := configfile.Load(filepath.Join("..", "paper.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &grid{cfg: cfg, train: &Split{}, test: &Split{}, digest: "d"}
	set := featuresets.DefaultSets()[0]
	base := g.cellKey(set, false, "rf")
	if g.cellKey(set, false, "rf") != base {
		t.Fatal("key not stable")
	}
	for name, k := range map[string]string{
		"leaky": g.cellKey(set, true, "rf"),
		"model": g.cellKey(set, false, "dt"),
		"set":   g.cellKey(featuresets.DefaultSets()[1], false, "rf"),
	} {
		if k == base {
			t.Errorf("key ignores %s", name)
		}
	}
	g2 := *g
	c2 := *cfg
	c2.Seed++
	g2.cfg = &c2
	if g2.cellKey(set, false, "rf") == base {
		t.Error("key ignores the seed")
	}
	// mlp_dtype keys the cells with an mlp in them, and only those; float64
	// leaves the key as it was before the option existed.
	c3 := *cfg
	c3.MLPDtype = experiments.MLPFloat64
	g3 := *g
	g3.cfg = &c3
	for _, m := range []string{"mlp", experiments.ModelStacking, experiments.ModelIntersection} {
		if g3.cellKey(set, false, m) == g.cellKey(set, false, m) {
			t.Errorf("%s: key ignores mlp_dtype", m)
		}
	}
	if g3.cellKey(set, false, "rf") != base {
		t.Error("rf: key depends on mlp_dtype")
	}
	// The key's JSON has no dtype field at float64 (the keys of cells
	// stored before the option stay valid), and has it at float32.
	if k := g3.cellKeyJSON(set, false, "mlp"); bytes.Contains(k, []byte("MLPDtype")) {
		t.Errorf("float64 key %s names the dtype", k)
	}
	if k := g.cellKeyJSON(set, false, "mlp"); !bytes.Contains(k, []byte(`"MLPDtype":"float32"`)) {
		t.Errorf("float32 key %s does not name the dtype", k)
	}
	var c cellResult
	if json.Unmarshal([]byte(`{"Key":"x"}`), &c) != nil {
		t.Error("cell JSON does not decode")
	}
}

// TestStackTakesCellFits: in a set, the stack of each fold takes the fits
// its bases' own cells recorded for that fold (same rows, settings and
// seed), found by fingerprint, and its scores are those of a stack that
// fits everything itself.
func TestStackTakesCellFits(t *testing.T) {
	cfg, err := configfile.Load(filepath.Join("..", "paper.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Models = []string{"lr", "nb", experiments.ModelStacking}
	cfg.Stacking = []string{"lr", "nb"}
	x, y := mat.NewDense(80, 2, nil), make([]int, 80)
	for i := range y {
		y[i] = i % 2
		x.Set(i, 0, float64(y[i])+0.3*float64(i%7))
		x.Set(i, 1, float64(i%5))
	}
	folds, err := experiments.RepeatedStratifiedKFold(y, 4, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	g := &grid{cfg: cfg}
	st := &setState{train: classifiers.Digested(classifiers.Data{X: x})}
	cv := func(model string, share bool) [][]float64 {
		t.Helper()
		b, err := cfg.Build(model)
		if err != nil {
			t.Fatal(err)
		}
		f := b.New
		if share {
			f = g.shareFits(st, model, f)
		}
		res, err := experiments.CrossValidate(context.Background(), f, st.train, y, folds, b.Threshold,
			experiments.CVOptions{Seed: cfg.Seed, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return res.OOF
	}
	cv("lr", true)
	cv("nb", true)
	if len(st.fits) != 2*len(folds[0]) {
		t.Fatalf("%d fits recorded, want %d (2 bases × %d folds)", len(st.fits), 2*len(folds[0]), len(folds[0]))
	}
	taken := &countingSource{src: st}
	b, _ := cfg.Build(experiments.ModelStacking)
	res, err := experiments.CrossValidate(context.Background(), func(seed int64) classifiers.Pipeline {
		p := b.New(seed)
		p.(*classifiers.Stacking).Prefitted = taken
		return p
	}, st.train, y, folds, b.Threshold, experiments.CVOptions{Seed: cfg.Seed, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if taken.hits.Load() != int64(2*len(folds[0])) {
		t.Errorf("the stacks took %d fits, want %d", taken.hits.Load(), 2*len(folds[0]))
	}
	if want := cv(experiments.ModelStacking, false); !reflect.DeepEqual(res.OOF, want) {
		t.Error("a stack with the cells' fits scores differently from one that fits its own")
	}
}

type countingSource struct {
	src  classifiers.FitSource
	hits atomic.Int64
}

func (c *countingSource) Fitted(want classifiers.Fingerprint) (classifiers.Pipeline, classifiers.Fingerprint, bool) {
	p, got, ok := c.src.Fitted(want)
	if ok {
		c.hits.Add(1)
	}
	return p, got, ok
}
