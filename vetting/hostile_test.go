package vetting

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pypimal/featuresets"
	"pypimal/internal/hostile"
	"pypimal/vetting/vettingtest"
)

func scanWith(t *testing.T, m *Model, opt ScanOptions, paths ...string) []Result {
	t.Helper()
	var out []Result
	if _, err := NewScanner(m, opt).Scan(context.Background(), paths, func(r Result) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScanRecursive: a mirror-like name/version/file tree is scanned with
// --recursive (and yields nothing without it), folders holding package
// files are packages, and links are not followed.
func TestScanRecursive(t *testing.T) {
	m := trainedModel(t, "rf")
	root := t.TempDir()
	mk := func(parts ...string) string {
		p := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := vettingtest.Malicious().WriteTarGz(mk("evil", "1.0", "evil-1.0.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := vettingtest.Benign().WriteZip(mk("good", "2.0", "good-2.0.zip")); err != nil {
		t.Fatal(err)
	}
	unpacked := mk("unpacked", "x")
	if err := vettingtest.Benign().WriteDir(unpacked); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := vettingtest.Malicious().WriteTarGz(filepath.Join(outside, "o.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, mk("link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "o.tar.gz"), mk("good", "2.0", "linked.tar.gz")); err != nil {
		t.Fatal(err)
	}

	flat := scanWith(t, m, ScanOptions{}, root)
	if len(flat) != 1 || flat[0].Format != "dir" {
		t.Fatalf("without --recursive: %+v", flat)
	}
	rs := scanWith(t, m, ScanOptions{Recursive: true}, root)
	var got []string
	for _, r := range rs {
		rel, _ := filepath.Rel(root, r.Path)
		got = append(got, rel+"="+r.Verdict)
	}
	want := []string{"evil/1.0/evil-1.0.tar.gz=malicious", "good/2.0/good-2.0.zip=benign", "unpacked/x=benign"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("recursive scan:\n got  %v\n want %v", got, want)
	}
	if rs := scanWith(t, m, ScanOptions{Recursive: true}, t.TempDir()); len(rs) != 1 || rs[0].Error != ErrEmptyFolder.Error() {
		t.Errorf("empty tree: %+v", rs)
	}
}

// TestScanHostile: the identifier that once hung a scan is read token by
// token and reported as partial; a package over its budget is an error
// result and the next package is still scanned.
func TestScanHostile(t *testing.T) {
	m := trainedModel(t, "rf")
	dir := t.TempDir()
	data, err := hostile.Sdist("zw", nil, []hostile.File{{Path: "setup.py", Data: hostile.HostileIdentifier(100_000)}})
	if err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(dir, "zw-1.0.tar.gz")
	if err := os.WriteFile(evil, data, 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.zip")
	if err := vettingtest.Benign().WriteZip(good); err != nil {
		t.Fatal(err)
	}
	rs := scanWith(t, m, ScanOptions{}, evil, good)
	if len(rs) != 2 || rs[0].Verdict == VerdictError || len(rs[0].Fallbacks) != 1 ||
		rs[0].Fallbacks[0] != (Fallback{File: "setup.py", Reason: "lexical-errors"}) {
		t.Fatalf("hostile identifier: %+v", rs)
	}
	// A budget already spent: every package with Python is over it.
	rs = scanWith(t, m, ScanOptions{Budget: featuresets.Budget{Package: time.Nanosecond}}, evil, good)
	for _, r := range rs {
		if r.Verdict != VerdictError || !strings.Contains(r.Error, featuresets.ErrPackageBudget.Error()) {
			t.Errorf("%s: %s %q, want a budget error", r.Path, r.Verdict, r.Error)
		}
	}
}
