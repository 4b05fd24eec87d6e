package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"pypimal/internal/atomicfile"
	"pypimal/internal/pool"
)

// Manifest sources Fetch knows how to rebuild.
const (
	// SourceMalRegistry rows carry source_ref "<registry path>@<commit>": a
	// file of the pypi_malregistry repository at that (possibly abbreviated)
	// commit.
	SourceMalRegistry = "pypi_malregistry"
	// SourceDebian rows carry source_ref "<package>=<version>". The source
	// may name a suite, as in "debian-bookworm"; apt must then be configured
	// for that suite.
	SourceDebian = "debian"
	// SourcePyPIPublished rows carry source_ref "<owner>/<repo>@<commit>:<path>":
	// a file as published on PyPI, kept in a public git repository (a test
	// fixture) at that commit.
	SourcePyPIPublished = "pypi-published"
)

// MaxFetchBytes caps one fetched archive; larger ones are refused unread.
const MaxFetchBytes = 256 << 20

// ErrFetch is the reason for a row whose archive could not be obtained or
// written: a failed git or apt-get run, a missing clone, a write error.
var ErrFetch = errors.New("archive could not be fetched")

// Downloader fetches Debian packages.
type Downloader interface {
	// Download saves package pkg at version into dir, an empty folder that
	// Fetch removes afterwards, and returns the path of the .deb file (inside
	// dir, absolute or relative to dir).
	Download(ctx context.Context, pkg, version, dir string) (file string, err error)
}

// GitReader reads files from a git clone without checking them out.
type GitReader interface {
	// Show returns the bytes of path (slash-separated) at commit in clone.
	Show(ctx context.Context, clone, commit, path string) ([]byte, error)
}

// AptDownloader is the default Downloader: it runs
// "apt-get download PKG=VERSION" in dir.
type AptDownloader struct{}

// GitCLI is the default GitReader: it runs
// "git -C CLONE show COMMIT:PATH" and keeps stdout in memory, up to
// MaxFetchBytes. Nothing is checked out, unpacked or executed.
type GitCLI struct{}

// FetchOptions configure Fetch.
type FetchOptions struct {
	Manifest    string // manifest.csv to rebuild
	MalRegistry string // clone of pypi_malregistry, or a git URL to clone; empty fails its rows
	// Repos holds clones of the repositories named by pypi-published rows,
	// as Repos/<owner>/<repo> (bare or not), or is a URL prefix to clone
	// them from (prefix/<owner>/<repo>); empty, or a missing clone, fails
	// those rows. Clones from URLs are bare and blobless, made inside Out
	// and removed when Fetch returns.
	Repos      string
	Out        string // data folder to fill; created if missing
	Workers    int    // rows fetched at once; default 4
	Downloader Downloader
	Git        GitReader
	Log        io.Writer // one line per row and a summary; nil for none
}

// FetchReport counts the outcome of every row.
type FetchReport struct {
	Fetched int      // written to Out
	Present int      // already in Out with the right size and sha256
	Failed  int      // see Errors
	Errors  []*Error // one per failed row, in manifest order
}

type fetchStatus int

const (
	fetchPending fetchStatus = iota
	fetchPresent
	fetchFetched
	fetchFailed
)

// fetchPlan is a validated row: where the archive goes and where it comes from.
type fetchPlan struct {
	rel string // OS path under Out
	// SourceMalRegistry
	commit, regPath string
	// SourceDebian
	pkg, version string
	// SourcePyPIPublished: the repository, "<owner>/<repo>"
	repo string
}

type fetcher struct {
	opt  FetchOptions
	root *os.Root
	mu   sync.Mutex // guards Log
}

// Fetch rebuilds the data folder opt.Out from the sources named in the
// manifest: registry files are read from the git clone at the recorded
// commit, Debian packages come from apt-get. Every archive is checked
// against the manifest's size and sha256 and written atomically; rows whose
// file is already right are left alone. The manifest is copied to
// Out/manifest.csv at the end. A row that cannot be fetched is reported in
// FetchReport.Errors and the rest go on; Fetch fails only on bad options, an
// unreadable manifest, an unusable Out folder or a cancelled ctx.
func Fetch(ctx context.Context, opt FetchOptions) (FetchReport, error) {
	var rep FetchReport
	if opt.Manifest == "" || opt.Out == "" {
		return rep, errors.New("fetch: FetchOptions.Manifest and Out are required")
	}
	opt, cleanup, err := cloneRemotes(ctx, opt)
	defer cleanup()
	if err != nil {
		return rep, err
	}
	raw, err := os.ReadFile(opt.Manifest)
	if err != nil {
		return rep, fmt.Errorf("fetch: %w", err)
	}
	rows, err := ReadManifest(bytes.NewReader(raw))
	if err != nil {
		return rep, fmt.Errorf("fetch: manifest %s: %w", opt.Manifest, err)
	}
	if opt.MalRegistry != "" {
		st, err := os.Stat(opt.MalRegistry)
		if err != nil {
			return rep, fmt.Errorf("fetch: pypi_malregistry clone: %w", err)
		}
		if !st.IsDir() {
			return rep, fmt.Errorf("fetch: pypi_malregistry clone %s is not a folder", opt.MalRegistry)
		}
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Downloader == nil {
		opt.Downloader = AptDownloader{}
	}
	if opt.Git == nil {
		opt.Git = GitCLI{}
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return rep, fmt.Errorf("fetch: %w", err)
	}
	// All writes go through root, so no path or link can leave Out.
	root, err := os.OpenRoot(opt.Out)
	if err != nil {
		return rep, fmt.Errorf("fetch: %w", err)
	}
	defer root.Close()
	f := &fetcher{opt: opt, root: root}

	plans := make([]fetchPlan, len(rows))
	status := make([]fetchStatus, len(rows))
	errs := make([]*Error, len(rows))
	seen := map[string]string{}
	for i, row := range rows {
		plans[i], errs[i] = planFetch(row)
		if errs[i] == nil {
			if other, dup := seen[plans[i].rel]; dup {
				errs[i] = pkgErr(row.ID, ErrManifest, fmt.Errorf("path %q is also the path of %s", row.Path, other))
			}
			seen[plans[i].rel] = row.ID
		}
		if errs[i] != nil {
			status[i] = fetchFailed
			f.logf("failed  %v", errs[i])
		}
	}

	var todo []int
	for i := range rows {
		if status[i] == fetchPending {
			todo = append(todo, i)
		}
	}
	// fetchRow reports its failures in the row's status; once ctx is
	// cancelled the rows not handed out stay pending.
	if k, err := pool.Run(ctx, len(todo), opt.Workers, func(k int) error {
		i := todo[k]
		status[i], errs[i] = f.fetchRow(ctx, rows[i], plans[i])
		return nil
	}); err != nil && k >= 0 {
		return rep, fmt.Errorf("fetch %s: %w", rows[todo[k]].ID, err) // a panic
	}

	for i, s := range status {
		switch s {
		case fetchPresent:
			rep.Present++
		case fetchFetched:
			rep.Fetched++
		case fetchFailed:
			rep.Failed++
			rep.Errors = append(rep.Errors, errs[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("fetch: %w", err)
	}
	if err := atomicfile.WriteIn(root, "manifest.csv", raw); err != nil {
		return rep, fmt.Errorf("fetch: copy manifest: %w", err)
	}
	f.logf("fetch: %d fetched, %d present, %d failed, into %s", rep.Fetched, rep.Present, rep.Failed, opt.Out)
	return rep, nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// planFetch validates a row's path, hash and source_ref.
func planFetch(row Row) (fetchPlan, *Error) {
	bad := func(format string, a ...any) (fetchPlan, *Error) {
		return fetchPlan{}, pkgErr(row.ID, ErrManifest, fmt.Errorf(format, a...))
	}
	p := fetchPlan{rel: filepath.FromSlash(row.Path)}
	if !filepath.IsLocal(p.rel) {
		return bad("path %q is not a relative path inside the data folder", row.Path)
	}
	if !sha256Hex.MatchString(row.SHA256) {
		return bad("sha256 %q is not 64 hex digits", row.SHA256)
	}
	if row.Bytes > MaxFetchBytes {
		return fetchPlan{}, pkgErr(row.ID, ErrFileTooLarge, fmt.Errorf("manifest says %d bytes, limit %d", row.Bytes, MaxFetchBytes))
	}
	var err error
	switch {
	case row.Source == SourceMalRegistry:
		p.regPath, p.commit, err = ParseMalRegistryRef(row.SourceRef)
	case row.Source == SourceDebian || strings.HasPrefix(row.Source, SourceDebian+"-"):
		p.pkg, p.version, err = ParseDebianRef(row.SourceRef)
	case row.Source == SourcePyPIPublished:
		p.repo, p.commit, p.regPath, err = ParseRepoRef(row.SourceRef)
	default:
		return bad("unknown source %q (want %s, %s or %s[-suite])", row.Source, SourceMalRegistry, SourcePyPIPublished, SourceDebian)
	}
	if err != nil {
		return fetchPlan{}, pkgErr(row.ID, ErrManifest, err)
	}
	return p, nil
}

var gitCommit = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)

// ParseMalRegistryRef splits a pypi_malregistry source_ref,
// "<registry path>@<commit>", at its last '@'. The commit may be
// abbreviated (at least 4 hex digits); the path must be a clean relative
// slash path.
func ParseMalRegistryRef(ref string) (path, commit string, err error) {
	i := strings.LastIndexByte(ref, '@')
	if i < 0 {
		return "", "", fmt.Errorf("source_ref %q: want <registry path>@<commit>", ref)
	}
	path, commit = ref[:i], ref[i+1:]
	if !gitCommit.MatchString(commit) {
		return "", "", fmt.Errorf("source_ref %q: commit %q is not 4-64 hex digits", ref, commit)
	}
	if !fs.ValidPath(path) || path == "." {
		return "", "", fmt.Errorf("source_ref %q: registry path %q is not a clean relative path", ref, path)
	}
	return path, commit, nil
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// ParseRepoRef splits a pypi-published source_ref,
// "<owner>/<repo>@<commit>:<path>": a GitHub-style repository name, a commit
// (at least 4 hex digits) and a clean relative slash path inside it.
func ParseRepoRef(ref string) (repo, commit, path string, err error) {
	repo, rest, ok := strings.Cut(ref, "@")
	if !ok {
		return "", "", "", fmt.Errorf("source_ref %q: want <owner>/<repo>@<commit>:<path>", ref)
	}
	commit, path, ok = strings.Cut(rest, ":")
	if !ok {
		return "", "", "", fmt.Errorf("source_ref %q: want <owner>/<repo>@<commit>:<path>", ref)
	}
	if !repoName.MatchString(repo) || strings.Contains(repo, "..") || strings.HasPrefix(repo, ".") {
		return "", "", "", fmt.Errorf("source_ref %q: %q is not an <owner>/<repo> name", ref, repo)
	}
	if !gitCommit.MatchString(commit) {
		return "", "", "", fmt.Errorf("source_ref %q: commit %q is not 4-64 hex digits", ref, commit)
	}
	if !fs.ValidPath(path) || path == "." {
		return "", "", "", fmt.Errorf("source_ref %q: path %q is not a clean relative path", ref, path)
	}
	return repo, commit, path, nil
}

var (
	debPackageName    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debPackageVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~:-]*$`)
)

// ParseDebianRef splits a Debian source_ref, "<package>=<version>", and
// checks both against Debian's allowed characters (the version may carry an
// epoch, as in "1:5.0.1-1").
func ParseDebianRef(ref string) (pkg, version string, err error) {
	pkg, version, ok := strings.Cut(ref, "=")
	if !ok {
		return "", "", fmt.Errorf("source_ref %q: want <package>=<version>", ref)
	}
	if !debPackageName.MatchString(pkg) {
		return "", "", fmt.Errorf("source_ref %q: %q is not a Debian package name", ref, pkg)
	}
	if !debPackageVersion.MatchString(version) {
		return "", "", fmt.Errorf("source_ref %q: %q is not a Debian version", ref, version)
	}
	return pkg, version, nil
}

// fetchRow brings one validated row into Out.
func (f *fetcher) fetchRow(ctx context.Context, row Row, p fetchPlan) (fetchStatus, *Error) {
	if f.present(row, p.rel) {
		f.logf("present %s %s", row.ID, row.Path)
		return fetchPresent, nil
	}
	var data []byte
	var err *Error
	switch {
	case p.repo != "":
		data, err = f.fromRepo(ctx, row, p)
	case p.commit != "":
		data, err = f.fromRegistry(ctx, row, p)
	default:
		data, err = f.fromDebian(ctx, row, p)
	}
	if err == nil {
		err = verifyBytes(row, data)
	}
	if err == nil {
		if werr := atomicfile.WriteIn(f.root, p.rel, data); werr != nil {
			err = pkgErr(row.ID, ErrFetch, fmt.Errorf("write %s: %w", row.Path, werr))
		}
	}
	if err != nil {
		f.logf("failed  %v", err)
		return fetchFailed, err
	}
	f.logf("fetched %s %s (%d bytes)", row.ID, row.Path, len(data))
	return fetchFetched, nil
}

// present reports whether Out already holds the row's archive as a regular
// file with the manifest's size and sha256.
func (f *fetcher) present(row Row, rel string) bool {
	st, err := f.root.Lstat(rel)
	if err != nil || !st.Mode().IsRegular() || st.Size() != row.Bytes {
		return false
	}
	fh, err := f.root.Open(rel)
	if err != nil {
		return false
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return false
	}
	return strings.EqualFold(hex.EncodeToString(h.Sum(nil)), row.SHA256)
}

func (f *fetcher) fromRegistry(ctx context.Context, row Row, p fetchPlan) ([]byte, *Error) {
	if f.opt.MalRegistry == "" {
		return nil, pkgErr(row.ID, ErrFetch, errors.New("no pypi_malregistry clone given (FetchOptions.MalRegistry)"))
	}
	data, err := f.opt.Git.Show(ctx, f.opt.MalRegistry, p.commit, p.regPath)
	if err != nil {
		return nil, pkgErr(row.ID, ErrFetch, fmt.Errorf("pypi_malregistry %s@%s: %w", p.regPath, p.commit, err))
	}
	return data, nil
}

func (f *fetcher) fromRepo(ctx context.Context, row Row, p fetchPlan) ([]byte, *Error) {
	if f.opt.Repos == "" {
		return nil, pkgErr(row.ID, ErrFetch, fmt.Errorf("no folder of repository clones given (FetchOptions.Repos) for %s", p.repo))
	}
	clone := filepath.Join(f.opt.Repos, filepath.FromSlash(p.repo))
	if st, err := os.Stat(clone); err != nil || !st.IsDir() {
		return nil, pkgErr(row.ID, ErrFetch, fmt.Errorf("no clone of %s at %s", p.repo, clone))
	}
	data, err := f.opt.Git.Show(ctx, clone, p.commit, p.regPath)
	if err != nil {
		return nil, pkgErr(row.ID, ErrFetch, fmt.Errorf("%s %s@%s: %w", p.repo, p.regPath, p.commit, err))
	}
	return data, nil
}

func (f *fetcher) fromDebian(ctx context.Context, row Row, p fetchPlan) ([]byte, *Error) {
	fail := func(kind error, err error) ([]byte, *Error) {
		return nil, pkgErr(row.ID, kind, fmt.Errorf("debian %s=%s: %w", p.pkg, p.version, err))
	}
	// A scratch folder inside Out, so nothing is written elsewhere.
	dir, err := os.MkdirTemp(f.opt.Out, ".fetch-")
	if err != nil {
		return fail(ErrFetch, err)
	}
	defer os.RemoveAll(dir)
	// apt drops privileges to _apt when run as root; let it write here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(ErrFetch, err)
	}
	file, err := f.opt.Downloader.Download(ctx, p.pkg, p.version, dir)
	if err != nil {
		return fail(ErrFetch, err)
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	if rel, err := filepath.Rel(dir, file); err != nil || !filepath.IsLocal(rel) {
		return fail(ErrFetch, fmt.Errorf("downloader returned %s, outside its folder %s", file, dir))
	}
	st, err := os.Lstat(file)
	if err != nil {
		return fail(ErrFetch, err)
	}
	if !st.Mode().IsRegular() {
		return fail(ErrFetch, fmt.Errorf("downloaded %s is not a regular file", filepath.Base(file)))
	}
	if st.Size() != row.Bytes { // refuse before reading it into memory
		return fail(ErrSizeMismatch, fmt.Errorf("downloaded %d bytes, manifest says %d", st.Size(), row.Bytes))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fail(ErrFetch, err)
	}
	return data, nil
}

// verifyBytes checks fetched bytes against the row's size and sha256.
func verifyBytes(row Row, data []byte) *Error {
	if int64(len(data)) != row.Bytes {
		return pkgErr(row.ID, ErrSizeMismatch, fmt.Errorf("fetched %d bytes, manifest says %d", len(data), row.Bytes))
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, row.SHA256) {
		return pkgErr(row.ID, ErrHashMismatch, fmt.Errorf("fetched %s, manifest says %s", got, row.SHA256))
	}
	return nil
}

func (f *fetcher) logf(format string, a ...any) {
	if f.opt.Log == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(f.opt.Log, format+"\n", a...)
}

// Show implements GitReader.
func (GitCLI) Show(ctx context.Context, clone, commit, path string) ([]byte, error) {
	if !gitCommit.MatchString(commit) {
		return nil, fmt.Errorf("git show: bad commit %q", commit)
	}
	cmd := exec.CommandContext(ctx, "git", "--no-pager", "-C", clone, "show", "--no-textconv", commit+":"+path)
	stderr := &tailBuffer{max: 2048}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git show: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git show: %w", err)
	}
	data, rerr := io.ReadAll(io.LimitReader(out, MaxFetchBytes+1))
	if len(data) > MaxFetchBytes {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("git show %s:%s: more than %d bytes", commit, path, MaxFetchBytes)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git show %s:%s: %w: %s", commit, path, err, stderr)
	}
	if rerr != nil {
		return nil, fmt.Errorf("git show %s:%s: read: %w", commit, path, rerr)
	}
	return data, nil
}

// Download implements Downloader.
func (AptDownloader) Download(ctx context.Context, pkg, version, dir string) (string, error) {
	if _, _, err := ParseDebianRef(pkg + "=" + version); err != nil {
		return "", fmt.Errorf("apt-get download: %w", err)
	}
	cmd := exec.CommandContext(ctx, "apt-get", "download", pkg+"="+version)
	cmd.Dir = dir
	out := &tailBuffer{max: 2048}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("apt-get download %s=%s: %w: %s", pkg, version, err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("apt-get download: %w", err)
	}
	var debs []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".deb") {
			debs = append(debs, e.Name())
		}
	}
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s=%s: want one .deb in %s, found %d", pkg, version, dir, len(debs))
	}
	return filepath.Join(dir, debs[0]), nil
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	max int
	mu  sync.Mutex
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
