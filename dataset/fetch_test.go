package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeDownloader writes canned .deb bytes instead of running apt-get.
type fakeDownloader struct {
	t     *testing.T
	out   string            // the scratch folder must live here
	debs  map[string][]byte // "pkg=version" -> bytes
	file  string            // if set, returned instead of the written file
	calls atomic.Int32
}

func (d *fakeDownloader) Download(ctx context.Context, pkg, version, dir string) (string, error) {
	d.calls.Add(1)
	if rel, err := filepath.Rel(d.out, dir); err != nil || !filepath.IsLocal(rel) {
		d.t.Errorf("download folder %s is not inside Out %s", dir, d.out)
	}
	data, ok := d.debs[pkg+"="+version]
	if !ok {
		return "", fmt.Errorf("E: Version '%s' for '%s' was not found", version, pkg)
	}
	name := filepath.Join(dir, pkg+"_"+strings.ReplaceAll(version, ":", "%3a")+"_all.deb")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		return "", err
	}
	if d.file != "" {
		return d.file, nil
	}
	return name, nil
}

// countingGit counts calls to the real git reader.
type countingGit struct {
	GitCLI
	calls atomic.Int32
}

func (g *countingGit) Show(ctx context.Context, clone, commit, path string) ([]byte, error) {
	g.calls.Add(1)
	return g.GitCLI.Show(ctx, clone, commit, path)
}

func fakeTarGz(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeTestManifest writes rows as manifest CSV.
func writeTestManifest(t *testing.T, name string, rows []Row) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(ManifestColumns)
	for _, r := range rows {
		rec := make([]string, len(ManifestColumns))
		for i, c := range ManifestColumns {
			rec[i], _ = r.Column(c)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func malRow(id, regPath, commit, outPath string, data []byte) Row {
	return Row{ID: id, Name: id, Version: "1.0", Label: Malicious, Source: SourceMalRegistry,
		SourceRef: regPath + "@" + commit, Path: outPath, Format: "sdist-tar.gz",
		SHA256: sumHex(data), Bytes: int64(len(data)), PaperSplit: "pool"}
}

func debRow(id, ref, outPath string, data []byte) Row {
	return Row{ID: id, Name: id, Version: "1.0", Label: Benign, Source: "debian-bookworm",
		SourceRef: ref, Path: outPath, Format: "deb", SHA256: sumHex(data), Bytes: int64(len(data)), PaperSplit: "train"}
}

// isolateGit makes git ignore the user's and the system's configuration and
// commit as a fixed test identity.
func isolateGit(t *testing.T, tmp string) {
	t.Helper()
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(tmp, "gitconfig"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "pypimal test")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "test@example.invalid")
	}
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// treeSnapshot lists every file and folder under dir (with sizes), skipping
// the folder skip.
func treeSnapshot(t *testing.T, dir, skip string) map[string]int64 {
	t.Helper()
	snap := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		snap[p] = info.Size()
		if d.IsDir() {
			snap[p] = -1
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// outFiles lists the regular files under out, slash-separated and relative.
func outFiles(t *testing.T, out string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFetch(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("git not on PATH, skipping the pypi_malregistry fetch test: %v", err)
	}
	tmp := t.TempDir()
	isolateGit(t, tmp)

	// A throwaway registry with two harmless fake archives.
	reg := filepath.Join(tmp, "registry")
	if err := os.MkdirAll(reg, 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, reg, "init", "-q")
	archA := fakeTarGz(t, "alpha-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n")
	archB := fakeTarGz(t, "beta-2.0/PKG-INFO", "Metadata-Version: 2.1\nName: beta\nVersion: 2.0\n")
	for p, data := range map[string][]byte{"alpha/1.0/alpha-1.0.tar.gz": archA, "beta/2.0/beta-2.0.tar.gz": archB} {
		name := filepath.Join(reg, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, reg, "add", ".")
	runGit(t, reg, "commit", "-q", "-m", "fake archives")
	head := runGit(t, reg, "rev-parse", "HEAD")

	deb := []byte("!<arch>\nfake deb, not a real package\n")
	badRow := malRow("m3", "alpha/1.0/alpha-1.0.tar.gz", head, "malicious/bad/bad-1.0.tar.gz", archA)
	badRow.SHA256 = strings.Repeat("0", 64)
	rows := []Row{
		malRow("m1", "alpha/1.0/alpha-1.0.tar.gz", head, "malicious/alpha/1.0/alpha-1.0.tar.gz", archA),
		malRow("m2", "beta/2.0/beta-2.0.tar.gz", head[:12], "malicious/beta/2.0/beta-2.0.tar.gz", archB),
		badRow,
		malRow("m4", "gone/1.0/gone-1.0.tar.gz", head[:12], "malicious/gone/1.0/gone-1.0.tar.gz", archA),
		debRow("b1", "python3-fake=1:1.0-1", "benign/python3-fake_1.0-1_all.deb", deb),
	}
	manifest := filepath.Join(tmp, "manifest.csv")
	writeTestManifest(t, manifest, rows)

	out := filepath.Join(tmp, "out")
	before := treeSnapshot(t, tmp, out)
	dl := &fakeDownloader{t: t, out: out, debs: map[string][]byte{"python3-fake=1:1.0-1": deb}}
	git := &countingGit{}
	var log bytes.Buffer
	opt := FetchOptions{Manifest: manifest, MalRegistry: reg, Out: out, Workers: 3, Downloader: dl, Git: git, Log: &log}
	rep, err := Fetch(context.Background(), opt)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	t.Logf("log:\n%s", log.String())
	if rep.Fetched != 3 || rep.Present != 0 || rep.Failed != 2 {
		t.Errorf("report = %+v, want 3 fetched, 0 present, 2 failed", rep)
	}
	if len(rep.Errors) != 2 || rep.Errors[0].ID != "m3" || rep.Errors[1].ID != "m4" {
		t.Fatalf("errors = %v, want m3 then m4", rep.Errors)
	}
	if !errors.Is(rep.Errors[0], ErrHashMismatch) {
		t.Errorf("m3: %v, want a hash mismatch", rep.Errors[0])
	}
	if !errors.Is(rep.Errors[1], ErrFetch) || !strings.Contains(rep.Errors[1].Error(), "gone/1.0/gone-1.0.tar.gz") {
		t.Errorf("m4: %v, want a fetch error naming the registry path", rep.Errors[1])
	}

	// Files land at Out/path with the right bytes; nothing else is left.
	want := map[string][]byte{
		"malicious/alpha/1.0/alpha-1.0.tar.gz": archA,
		"malicious/beta/2.0/beta-2.0.tar.gz":   archB,
		"benign/python3-fake_1.0-1_all.deb":    deb,
	}
	for p, data := range want {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: err %v, bytes equal %v", p, err, bytes.Equal(got, data))
		}
	}
	gotManifest, _ := os.ReadFile(filepath.Join(out, "manifest.csv"))
	srcManifest, _ := os.ReadFile(manifest)
	if !bytes.Equal(gotManifest, srcManifest) {
		t.Error("Out/manifest.csv differs from the source manifest")
	}
	files := outFiles(t, out)
	if len(files) != len(want)+1 {
		t.Errorf("files in Out = %v, want the %d archives and manifest.csv", files, len(want))
	}
	if after := treeSnapshot(t, tmp, out); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("Fetch wrote outside Out:\nbefore %v\nafter  %v", before, after)
	}

	// The fetched folder loads.
	for _, r := range rows[:2] {
		if _, err := LoadRow(out, r, Limits{}); err != nil {
			t.Errorf("LoadRow %s: %v", r.ID, err)
		}
	}

	// Second run, good rows only: everything present, no git or apt calls.
	good := []Row{rows[0], rows[1], rows[4]}
	writeTestManifest(t, manifest, good)
	gitCalls, dlCalls := git.calls.Load(), dl.calls.Load()
	rep, err = Fetch(context.Background(), opt)
	if err != nil {
		t.Fatalf("second Fetch: %v", err)
	}
	if rep.Present != 3 || rep.Fetched != 0 || rep.Failed != 0 {
		t.Errorf("second report = %+v, want 3 present", rep)
	}
	if git.calls.Load() != gitCalls || dl.calls.Load() != dlCalls {
		t.Error("second run fetched again")
	}

	// A damaged file is fetched again and replaced.
	damaged := filepath.Join(out, "malicious", "beta", "2.0", "beta-2.0.tar.gz")
	if err := os.WriteFile(damaged, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = Fetch(context.Background(), opt)
	if err != nil {
		t.Fatalf("third Fetch: %v", err)
	}
	if rep.Present != 2 || rep.Fetched != 1 || rep.Failed != 0 {
		t.Errorf("third report = %+v, want 2 present, 1 fetched", rep)
	}
	if got, _ := os.ReadFile(damaged); !bytes.Equal(got, archB) {
		t.Error("damaged archive not replaced")
	}
}

// TestFetchRejectsBadRows needs no git: Debian rows go through the fake
// downloader, registry rows fail validation before any git run.
func TestFetchRejectsBadRows(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "data", "out")
	deb := []byte("!<arch>\nfake\n")
	rows := []Row{
		debRow("b1", "pkg=1.0-1", "../escape.tar.gz", deb),
		debRow("b2", "pkg=1.0-1", "/abs/escape.deb", deb),
		debRow("b3", "pkg=1.0-1", "benign/a/../../../escape2.deb", deb),
		debRow("b4", "pkg 1.0-1", "benign/b4.deb", deb),
		debRow("b5", "-oopt=1.0", "benign/b5.deb", deb),
		malRow("m1", "a/1.0/a-1.0.tar.gz", "nothex", "malicious/m1.tar.gz", deb),
		malRow("m2", "a/1.0/a-1.0.tar.gz", "", "malicious/m2.tar.gz", deb),
		malRow("m3", "../a-1.0.tar.gz", "abcdef123456", "malicious/m3.tar.gz", deb),
		debRow("b6", "pkg=1.0-1", "benign/ok.deb", deb),
		debRow("b7", "pkg=1.0-1", "benign/ok.deb", deb), // duplicate path
		debRow("b8", "missing=1.0", "benign/missing.deb", deb),
		debRow("b9", "pkg=1.0-1", "benign/size.deb", append(deb, 'x')),
		malRow("m4", "a/1.0/a-1.0.tar.gz", "abcdef123456", "malicious/m4.tar.gz", deb), // no clone
	}
	rows[8].Source = "debian" // plain "debian" is accepted too
	odd := debRow("x1", "pkg=1.0-1", "benign/x1.deb", deb)
	odd.Source = "pypi"
	rows = append(rows, odd)
	manifest := filepath.Join(tmp, "manifest.csv")
	writeTestManifest(t, manifest, rows)

	dl := &fakeDownloader{t: t, out: out, debs: map[string][]byte{"pkg=1.0-1": deb}}
	rep, err := Fetch(context.Background(), FetchOptions{Manifest: manifest, Out: out, Downloader: dl})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	wantKind := map[string]error{
		"b1": ErrManifest, "b2": ErrManifest, "b3": ErrManifest, "b4": ErrManifest, "b5": ErrManifest,
		"m1": ErrManifest, "m2": ErrManifest, "m3": ErrManifest, "b7": ErrManifest,
		"b8": ErrFetch, "b9": ErrSizeMismatch, "m4": ErrFetch, "x1": ErrManifest,
	}
	if rep.Fetched != 1 || rep.Failed != len(wantKind) {
		t.Errorf("report: %d fetched, %d failed, want 1 and %d", rep.Fetched, rep.Failed, len(wantKind))
	}
	for _, e := range rep.Errors {
		t.Logf("%v", e)
		if k, ok := wantKind[e.ID]; !ok || !errors.Is(e, k) {
			t.Errorf("%v: want reason %v", e, k)
		}
	}
	for _, p := range []string{"escape.tar.gz", "data/escape.tar.gz", "data/escape2.deb", "escape2.deb"} {
		if _, err := os.Stat(filepath.Join(tmp, p)); err == nil {
			t.Errorf("%s written outside Out", p)
		}
	}
	if files := outFiles(t, out); strings.Join(files, " ") != "benign/ok.deb manifest.csv" {
		t.Errorf("files in Out = %v", files)
	}

	// A downloader handing back a file outside its folder is refused.
	outside := filepath.Join(tmp, "outside.deb")
	if err := os.WriteFile(outside, deb, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTestManifest(t, manifest, []Row{debRow("b1", "pkg=1.0-1", "benign/b1.deb", deb)})
	dl.file = outside
	rep, err = Fetch(context.Background(), FetchOptions{Manifest: manifest, Out: out, Downloader: dl})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if rep.Failed != 1 || !errors.Is(rep.Errors[0], ErrFetch) || !strings.Contains(rep.Errors[0].Error(), "outside") {
		t.Errorf("report = %+v, want the outside file refused", rep)
	}
}

func TestFetchOptionErrors(t *testing.T) {
	tmp := t.TempDir()
	if _, err := Fetch(context.Background(), FetchOptions{Out: tmp}); err == nil {
		t.Error("no manifest: want an error")
	}
	if _, err := Fetch(context.Background(), FetchOptions{Manifest: filepath.Join(tmp, "none.csv"), Out: tmp}); err == nil {
		t.Error("missing manifest: want an error")
	}
	manifest := filepath.Join(tmp, "manifest.csv")
	writeTestManifest(t, manifest, nil)
	_, err := Fetch(context.Background(), FetchOptions{Manifest: manifest, Out: tmp, MalRegistry: filepath.Join(tmp, "nope")})
	if err == nil {
		t.Error("missing clone: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	writeTestManifest(t, manifest, []Row{debRow("b1", "pkg=1.0", "b1.deb", []byte("x"))})
	if _, err := Fetch(ctx, FetchOptions{Manifest: manifest, Out: filepath.Join(tmp, "out")}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
}

func TestFetchParseRefs(t *testing.T) {
	for _, tc := range []struct {
		ref, path, commit string
	}{
		{"10Cent10/999.0.4/10Cent10-999.0.4.tar.gz@b11283f05ebc", "10Cent10/999.0.4/10Cent10-999.0.4.tar.gz", "b11283f05ebc"},
		{"we@ird/1/we@ird-1.tar.gz@abcd", "we@ird/1/we@ird-1.tar.gz", "abcd"},
	} {
		p, c, err := ParseMalRegistryRef(tc.ref)
		if err != nil || p != tc.path || c != tc.commit {
			t.Errorf("ParseMalRegistryRef(%q) = %q, %q, %v", tc.ref, p, c, err)
		}
	}
	for _, ref := range []string{"", "a/b.tar.gz", "a/b.tar.gz@", "a/b.tar.gz@abc", "a/b.tar.gz@xyz123",
		"@abcdef", "/a/b.tar.gz@abcdef", "a/../b@abcdef", "a//b@abcdef", "a/b@abcdef:x"} {
		if _, _, err := ParseMalRegistryRef(ref); err == nil {
			t.Errorf("ParseMalRegistryRef(%q): want an error", ref)
		}
	}
	if p, v, err := ParseDebianRef("acme-tiny=1:5.0.1-1"); err != nil || p != "acme-tiny" || v != "1:5.0.1-1" {
		t.Errorf("ParseDebianRef = %q, %q, %v", p, v, err)
	}
	for _, ref := range []string{"", "pkg", "pkg=", "=1.0", "Pkg=1.0", "-o=1.0", "pkg=1.0 x", "pkg=-1.0", "p=1.0"} {
		if _, _, err := ParseDebianRef(ref); err == nil {
			t.Errorf("ParseDebianRef(%q): want an error", ref)
		}
	}
}

// TestFetchPlansRealManifest checks that every row of the embedded manifest
// has a source_ref and path Fetch accepts (nothing is fetched).
func TestFetchPlansRealManifest(t *testing.T) {
	dir := testDataDir(t)
	rows, err := ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, perr := planFetch(r); perr != nil {
			t.Errorf("%v", perr)
		}
	}
}

// TestFetchRepoRows rebuilds pypi-published rows from clones kept as
// Repos/<owner>/<repo>; a row whose clone is missing fails alone.
func TestFetchRepoRows(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("git not on PATH: %v", err)
	}
	tmp := t.TempDir()
	isolateGit(t, tmp)
	repos := filepath.Join(tmp, "repos")
	clone := filepath.Join(repos, "acme", "fixtures")
	if err := os.MkdirAll(filepath.Join(clone, "packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, clone, "init", "-q")
	sdist := fakeTarGz(t, "gamma-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: gamma\nVersion: 1.0\n")
	if err := os.WriteFile(filepath.Join(clone, "packages", "gamma-1.0.tar.gz"), sdist, 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, clone, "add", ".")
	runGit(t, clone, "commit", "-q", "-m", "fixture")
	head := runGit(t, clone, "rev-parse", "HEAD")
	// Replace the file after the commit: Fetch must read the commit, not the work tree.
	if err := os.WriteFile(filepath.Join(clone, "packages", "gamma-1.0.tar.gz"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}

	realRow := func(id, ref, out string) Row {
		return Row{ID: id, Name: "gamma", Version: "1.0", Label: Benign, Source: SourcePyPIPublished,
			SourceRef: ref, Path: out, Format: "sdist-tar.gz", SHA256: sumHex(sdist), Bytes: int64(len(sdist)),
			Cluster: "gamma", PaperSplit: "realform"}
	}
	rows := []Row{
		realRow("r1", "acme/fixtures@"+head[:12]+":packages/gamma-1.0.tar.gz", "benign-pypi/gamma-1.0.tar.gz"),
		realRow("r2", "acme/missing@"+head[:12]+":packages/gamma-1.0.tar.gz", "benign-pypi/other/gamma-1.0.tar.gz"),
	}
	manifest := filepath.Join(tmp, "manifest.csv")
	writeTestManifest(t, manifest, rows)
	out := filepath.Join(tmp, "out")
	rep, err := Fetch(context.Background(), FetchOptions{Manifest: manifest, Repos: repos, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fetched != 1 || rep.Failed != 1 || rep.Errors[0].ID != "r2" || !errors.Is(rep.Errors[0], ErrFetch) {
		t.Fatalf("report = %+v (%v), want r1 fetched and r2 failed", rep, rep.Errors)
	}
	if !strings.Contains(rep.Errors[0].Error(), "acme/missing") {
		t.Errorf("r2: %v, want the missing repository named", rep.Errors[0])
	}
	got, err := os.ReadFile(filepath.Join(out, "benign-pypi", "gamma-1.0.tar.gz"))
	if err != nil || !bytes.Equal(got, sdist) {
		t.Errorf("fetched bytes differ from the committed file (err %v)", err)
	}
	if _, err := LoadRow(out, rows[0], Limits{}); err != nil {
		t.Errorf("LoadRow r1: %v", err)
	}
	// Without Repos the row fails with a message saying what is missing.
	rep, err = Fetch(context.Background(), FetchOptions{Manifest: manifest, Out: filepath.Join(tmp, "out2")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 2 || !strings.Contains(rep.Errors[0].Error(), "Repos") {
		t.Errorf("without Repos: %+v %v", rep, rep.Errors)
	}
}

func TestParseRepoRef(t *testing.T) {
	repo, commit, path, err := ParseRepoRef("sarugaku/pipenv-test-artifacts@7f759bef4564:alembic/alembic-0.9.8.tar.gz")
	if err != nil || repo != "sarugaku/pipenv-test-artifacts" || commit != "7f759bef4564" || path != "alembic/alembic-0.9.8.tar.gz" {
		t.Errorf("ParseRepoRef = %q, %q, %q, %v", repo, commit, path, err)
	}
	for _, ref := range []string{"", "a/b", "a/b@abcd", "a@abcd:x", "a/b/c@abcd:x", "../b@abcd:x", "a/..@abcd:x",
		"a/b@xyz1:x", "a/b@abcd:", "a/b@abcd:/x", "a/b@abcd:x/../y", "a b/c@abcd:x"} {
		if _, _, _, err := ParseRepoRef(ref); err == nil {
			t.Errorf("ParseRepoRef(%q): want an error", ref)
		}
	}
}
