package featuresets

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/dataset"
	"pypimal/dataset/repack"
)

// nonLeakyDiff lists the non-leaky features (and the tokens) that differ
// between two rows.
func nonLeakyDiff(a, b *Row) []string {
	var out []string
	for i, f := range Catalogue() {
		if !f.Leaky && a.Values[i] != b.Values[i] {
			out = append(out, fmt.Sprintf("%s: %v vs %v", f.Name, a.Values[i], b.Values[i]))
		}
	}
	if fmt.Sprint(a.Tokens) != fmt.Sprint(b.Tokens) {
		out = append(out, "tokens differ")
	}
	return out
}

// installedPackage builds an installed-form package (a Debian tree) from
// path, content pairs and an egg-info PKG-INFO.
func installedPackage(t testing.TB, pkgInfo string, files ...string) *dataset.Package {
	t.Helper()
	p := &dataset.Package{Row: dataset.Row{ID: "inst", Format: "deb"}, Format: "deb"}
	files = append(files, "foo-1.0.egg-info/PKG-INFO", pkgInfo)
	for i := 0; i < len(files); i += 2 {
		data := []byte(files[i+1])
		p.Files = append(p.Files, dataset.File{Path: files[i], Size: int64(len(data)), Kind: dataset.Classify(files[i], data), Data: data})
	}
	m, err := dataset.ParseMetadata([]byte(pkgInfo))
	if err != nil {
		t.Fatal(err)
	}
	p.Meta, p.MetaPath = m, "foo-1.0.egg-info/PKG-INFO"
	p.AssignRoles()
	return p
}

// formsOf re-packs p with opt as an sdist and a wheel and reads both back.
func formsOf(t testing.TB, p *dataset.Package, opt repack.Options) map[string]*dataset.Package {
	t.Helper()
	out := map[string]*dataset.Package{}
	sd, err := repack.SdistWith(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := repack.WheelWith(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"x-1.0.tar.gz": sd, "x-1.0-py3-none-any.whl": wh} {
		q, err := dataset.Decode(p.ID(), name, data, dataset.Limits{})
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		q.Row = p.Row
		out[q.Format] = q
	}
	return out
}

// TestFormInvariance: a package re-packed as an sdist (every template,
// both layouts) and as a wheel has the same non-leaky features and tokens
// as its installed tree. Install files from the templates are ordinary
// benign code, so the install family stays at zero.
func TestFormInvariance(t *testing.T) {
	meta := "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nSummary: A foo.\nHome-page: https://github.com/org/foo\n" +
		"Author: A. Dev\nAuthor-email: dev@example.org\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n" +
		"Classifier: Programming Language :: Python :: 3\nRequires-Dist: requests (>=2)\n\nFoo does things.\n"
	pkgs := map[string]*dataset.Package{
		"package with data, tests and a native module": installedPackage(t, meta,
			"foo/__init__.py", "from .core import run\n__version__ = '1.0'\n",
			"foo/core.py", "import os, subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, env=os.environ.copy())\n",
			"foo/_speedups.cpython-311-x86_64-linux-gnu.so", "\x7fELF\x02\x01\x01"+strings.Repeat("\x00", 60),
			"foo/data/words.txt", "alpha\nbeta\n",
			"foo/tests/__init__.py", "",
			"foo/tests/test_core.py", "from foo import run\n\ndef test_run():\n    assert run(['true'])\n"),
		"single module and a namespace package": installedPackage(t, meta,
			"foo.py", "import base64\nTABLE = base64.b64decode('aGVsbG8=')\n",
			"ns/plugin/__init__.py", "URL = 'https://example.org/api'\n"),
	}
	for name, p := range pkgs {
		base := extractRow(t, p)
		for _, tpl := range repack.Templates() {
			for _, layout := range []repack.Layout{repack.Flat, repack.Src} {
				forms := formsOf(t, p, repack.Options{Seed: 7, Template: tpl, Layout: layout})
				for format, q := range forms {
					if diff := nonLeakyDiff(base, extractRow(t, q)); len(diff) > 0 {
						t.Errorf("%s, %s (%s, %s): %v", name, format, tpl, layout, diff)
					}
				}
			}
		}
	}
}

func extractRow(t testing.TB, p *dataset.Package) *Row {
	t.Helper()
	_, r := extract(t, p)
	return r
}

// TestFormInvarianceRealRows does the same for a seeded sample of real
// benign Debian rows, each re-packed with three seeds (templates and
// layouts drawn by the seed).
func TestFormInvarianceRealRows(t *testing.T) {
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Skipf("embedded dataset not found at %s: %v", dir, err)
	}
	var debs []dataset.Row
	for _, r := range rows {
		if r.Label == dataset.Benign && r.Format == "deb" {
			debs = append(debs, r)
		}
	}
	n := 40
	if testing.Short() {
		n = 8
	}
	rng := rand.New(rand.NewPCG(2412, 16))
	rng.Shuffle(len(debs), func(i, j int) { debs[i], debs[j] = debs[j], debs[i] })
	for _, row := range debs[:n] {
		p, err := dataset.LoadRow(dir, row, dataset.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", row.ID, err)
		}
		base := extractRow(t, p)
		for seed := int64(1); seed <= 3; seed++ {
			for format, q := range formsOf(t, p, repack.Options{Seed: seed}) {
				if diff := nonLeakyDiff(base, extractRow(t, q)); len(diff) > 0 {
					c, _ := repack.Plan(p, repack.Options{Seed: seed})
					t.Errorf("%s (%s) as %s, seed %d (%s, %s): %v", row.ID, row.Name, format, seed, c.Template, c.Layout, diff)
				}
			}
		}
	}
}

// Re-packed features are cached under a key of the row, form, seed and
// re-packer version: a second pass reads them back without re-packing, and
// another seed is another entry.
func TestRepackingCache(t *testing.T) {
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Skipf("embedded dataset not found at %s: %v", dir, err)
	}
	var debs []dataset.Row
	for _, r := range rows {
		if r.Label == dataset.Benign && r.Format == "deb" && len(debs) < 3 {
			debs = append(debs, r)
		}
	}
	if _, err := NewRepacking("egg", 1); err == nil {
		t.Error("unknown form: no error")
	}
	cache := &Cache{Dir: t.TempDir()}
	pass := func(seed int64) (*Table, Timing) {
		rp, err := NewRepacking(FormSdist, seed)
		if err != nil {
			t.Fatal(err)
		}
		tb, errs, tm, err := ExtractAll(context.Background(), dir, debs, Options{Workers: 1, Cache: cache, Repack: rp})
		if err != nil || len(errs) > 0 {
			t.Fatalf("%v %v", err, errs)
		}
		return tb, tm
	}
	first, tm := pass(1)
	if tm.CacheHits != 0 {
		t.Errorf("first pass: %d cache hits", tm.CacheHits)
	}
	second, tm := pass(1)
	if tm.CacheHits != len(debs) || tm.Load != 0 {
		t.Errorf("second pass: %d cache hits of %d, load %v", tm.CacheHits, len(debs), tm.Load)
	}
	for i := range first.Rows {
		if fmt.Sprint(first.Rows[i].Values) != fmt.Sprint(second.Rows[i].Values) {
			t.Errorf("%s: cached row differs", first.Rows[i].ID)
		}
	}
	if _, tm = pass(2); tm.CacheHits != 0 {
		t.Errorf("another seed: %d cache hits", tm.CacheHits)
	}
}
