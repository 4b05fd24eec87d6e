package vetting

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"pypimal/experiments"
	"pypimal/experiments/configfile"
	"pypimal/vetting/vettingtest"
)

// shared holds what several tests use: a hand-made training set and the
// models trained on it, built once per test binary.
var shared struct {
	sync.Mutex
	dir    string
	err    error
	models map[string]*Model
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// handmadeData returns the folder of the hand-made training set: 40
// malicious and 40 benign randomised sdists with a manifest.
func handmadeData(t testing.TB) string {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.dir == "" && shared.err == nil {
		dir, err := os.MkdirTemp("", "pypimal-vetting-*")
		if err == nil {
			err = vettingtest.WriteDataset(dir, 40, 40, 1)
		}
		shared.dir, shared.err = dir, err
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir
}

// testConfig is the default experiment config with a small CV and the
// given train overrides.
func testConfig(t testing.TB, over map[string]any) *experiments.Config {
	t.Helper()
	o := map[string]any{"cv.k": 5, "seed": 7, "workers": 2}
	for k, v := range over {
		o[k] = v
	}
	cfg, err := configfile.Load("", o)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// trainedModel trains (once) a model on the hand-made training set.
func trainedModel(t testing.TB, model string) *Model {
	t.Helper()
	dir := handmadeData(t)
	shared.Lock()
	defer shared.Unlock()
	if m, ok := shared.models[model]; ok {
		return m
	}
	cfg := testConfig(t, map[string]any{"train.model": model})
	m, err := Train(context.Background(), cfg, TrainOptions{DataDir: dir})
	if err != nil {
		t.Fatalf("train %s: %v", model, err)
	}
	if shared.models == nil {
		shared.models = map[string]*Model{}
	}
	shared.models[model] = m
	return m
}

// scanAll scans paths and returns the results in order.
func scanAll(t *testing.T, m *Model, paths ...string) ([]Result, Summary) {
	t.Helper()
	var out []Result
	sum, err := NewScanner(m, ScanOptions{}).Scan(context.Background(), paths, func(r Result) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Scanned != len(out) {
		t.Fatalf("summary counts %d, %d results", sum.Scanned, len(out))
	}
	return out, sum
}

// fixtures writes the hand-made malicious and benign packages as folders,
// .tar.gz and .zip sdists under a temporary folder and returns their paths
// by "kind/form", e.g. "malicious/tar.gz".
func fixtures(t *testing.T) map[string]string {
	t.Helper()
	root := t.TempDir()
	out := map[string]string{}
	for kind, p := range map[string]vettingtest.Package{"malicious": vettingtest.Malicious(), "benign": vettingtest.Benign()} {
		dir := filepath.Join(root, kind, p.Root())
		if err := p.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		out[kind+"/dir"] = dir
		for _, form := range []string{"tar.gz", "zip"} {
			path := filepath.Join(root, kind, fmt.Sprintf("%s.%s", p.Root(), form))
			var err error
			if form == "zip" {
				err = p.WriteZip(path)
			} else {
				err = p.WriteTarGz(path)
			}
			if err != nil {
				t.Fatal(err)
			}
			out[kind+"/"+form] = path
		}
	}
	return out
}
