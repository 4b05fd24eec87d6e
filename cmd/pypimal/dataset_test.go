package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/dataset"
)

// runCLI runs the pypimal command tree with args and returns stdout, stderr
// and the error Execute returned.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// fetchFixture makes a throwaway pypi_malregistry repository holding two
// archives (plain bytes: nothing here is ever unpacked) and a manifest for
// them, the second row with a wrong sha256. It returns the clone, the
// manifest path and the first archive's bytes.
func fetchFixture(t *testing.T) (clone, manifest string, good []byte) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	clone = filepath.Join(t.TempDir(), "pypi_malregistry")
	if err := os.MkdirAll(filepath.Join(clone, "evil", "1.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, clone, "init", "--quiet")
	good = []byte("\x1f\x8b fake archive one")
	other := []byte("\x1f\x8b fake archive two")
	for name, b := range map[string][]byte{"evil/1.0/evil-1.0.tar.gz": good, "evil/1.0/bad-1.0.tar.gz": other} {
		if err := os.WriteFile(filepath.Join(clone, filepath.FromSlash(name)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, clone, "add", ".")
	git(t, clone, "commit", "--quiet", "-m", "add")
	commit := git(t, clone, "rev-parse", "--short=12", "HEAD")

	sum := sha256.Sum256(good)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(dataset.ManifestColumns)
	row := func(id, regPath, path, sha string, n int) []string {
		r := dataset.Row{ID: id, Name: id, Version: "1.0", Label: dataset.Malicious, Source: dataset.SourceMalRegistry,
			SourceRef: regPath + "@" + commit, Path: path, Format: "sdist-tar.gz", SHA256: sha, Bytes: int64(n), PaperSplit: "pool"}
		var rec []string
		for _, c := range dataset.ManifestColumns {
			v, _ := r.Column(c)
			rec = append(rec, v)
		}
		return rec
	}
	_ = w.Write(row("m-good", "evil/1.0/evil-1.0.tar.gz", "malicious/evil-1.0.tar.gz", hex.EncodeToString(sum[:]), len(good)))
	_ = w.Write(row("m-bad", "evil/1.0/bad-1.0.tar.gz", "malicious/bad-1.0.tar.gz", strings.Repeat("0", 64), len(other)))
	w.Flush()
	manifest = filepath.Join(t.TempDir(), "manifest.csv")
	if err := os.WriteFile(manifest, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return clone, manifest, good
}

func TestDatasetFetch(t *testing.T) {
	clone, manifest, good := fetchFixture(t)
	out := filepath.Join(t.TempDir(), "data")

	stdout, stderr, err := runCLI(t, "dataset", "fetch", "--manifest", manifest, "--malregistry", clone, "--out", out, "--workers", "2")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit code 1 (a row failed)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	for _, want := range []string{"2 rows, 1 fetched, 0 present, 1 failed", "errors:", "id", "reason",
		"m-bad", dataset.ErrHashMismatch.Error()} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "fetched m-good") {
		t.Errorf("stderr lacks the per-row log:\n%s", stderr)
	}
	if got, err := os.ReadFile(filepath.Join(out, "malicious", "evil-1.0.tar.gz")); err != nil || !bytes.Equal(got, good) {
		t.Errorf("fetched archive = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(out, "malicious", "bad-1.0.tar.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("archive with the wrong hash was written: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.csv")); err != nil {
		t.Errorf("manifest not copied: %v", err)
	}

	// Second run, manifest taken from --data: the good row is present.
	data := filepath.Dir(manifest)
	stdout, _, err = runCLI(t, "--data", data, "dataset", "fetch", "--malregistry", clone, "--out", out)
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(stdout, "0 fetched, 1 present, 1 failed") {
		t.Errorf("second run: err %v, stdout:\n%s", err, stdout)
	}
}

func TestDatasetFetchFromURL(t *testing.T) {
	clone, manifest, good := fetchFixture(t)
	out := filepath.Join(t.TempDir(), "data")
	stdout, stderr, err := runCLI(t, "dataset", "fetch", "--manifest", manifest, "--malregistry", "file://"+clone, "--out", out)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(stdout, "1 fetched, 0 present, 1 failed") {
		t.Fatalf("err = %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if got, err := os.ReadFile(filepath.Join(out, "malicious", "evil-1.0.tar.gz")); err != nil || !bytes.Equal(got, good) {
		t.Errorf("fetched archive = %q, %v", got, err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".malregistry-") {
			t.Errorf("scratch clone %s left in --out", e.Name())
		}
	}
}

func TestDatasetFetchAllPresent(t *testing.T) {
	clone, manifest, _ := fetchFixture(t)
	// Keep only the good row: a run with no failure exits 0.
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if err := os.WriteFile(manifest, []byte(lines[0]+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, stderr, err := runCLI(t, "dataset", "fetch", "--manifest", manifest, "--malregistry", clone, "--out", out)
	if err != nil || !strings.Contains(stdout, "1 rows, 1 fetched, 0 present, 0 failed") || !strings.Contains(stdout, "errors: none") {
		t.Fatalf("err = %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
}

func TestDatasetFetchFlags(t *testing.T) {
	if _, _, err := runCLI(t, "dataset", "fetch"); err == nil || !strings.Contains(err.Error(), `"out"`) {
		t.Errorf("without --out: err = %v", err)
	}
	_, _, err := runCLI(t, "dataset", "fetch", "--manifest", filepath.Join(t.TempDir(), "none.csv"), "--out", t.TempDir())
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		t.Errorf("missing manifest: err = %v, want a plain error (exit 2)", err)
	}
}

func TestIsGitURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://github.com/lxyeternal/pypi_malregistry": true,
		"file:///tmp/clone": true,
		"git@github.com:lxyeternal/pypi_malregistry.git": true,
		"/home/me/pypi_malregistry":                      false,
		"../pypi_malregistry":                            false,
		"clones/a@b:c/x":                                 false,
		"":                                               false,
	} {
		if got := dataset.IsGitURL(s); got != want {
			t.Errorf("IsGitURL(%q) = %v, want %v", s, got, want)
		}
	}
}
