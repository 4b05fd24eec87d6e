package dataset

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// Role says what part a file plays in a package, decided by one rule for
// every form (sdist, wheel, Debian's installed tree, a folder), so that
// features computed from roles do not depend on how a package was packed.
type Role string

const (
	// RoleModule files are what an install puts on sys.path: the packages
	// and top-level modules (and their data), plus top-level extension
	// modules and .pth files.
	RoleModule Role = "module"
	// RoleInstall files run at build or install time: setup.py, setup.cfg,
	// pyproject.toml at the root, in-tree build backends and hooks.
	RoleInstall Role = "install"
	// RoleMetadata files describe the distribution: PKG-INFO and everything
	// in *.egg-info and *.dist-info.
	RoleMetadata Role = "metadata"
	RoleTest     Role = "test"
	RoleDoc      Role = "doc"
	RoleExample  Role = "example"
	// RoleOther is the rest: README, LICENSE, CI and editor files, release
	// tooling, scripts, data outside the packages.
	RoleOther Role = "other"
)

// Roles lists every role in a fixed order, for reports.
var Roles = []Role{RoleModule, RoleInstall, RoleMetadata, RoleTest, RoleDoc, RoleExample, RoleOther}

// installFiles run at build or install time when they sit at the package
// root. setup.py imports versioneer.py; build.py is poetry's build script,
// hatch_build.py hatchling's hook.
var installFiles = map[string]bool{
	"setup.py": true, "setup.cfg": true, "pyproject.toml": true,
	"versioneer.py": true, "build.py": true, "hatch_build.py": true,
	"ez_setup.py": true, "distribute_setup.py": true,
}

// Folder names that hold tests, docs and examples at any depth.
var (
	testDirs    = map[string]bool{"test": true, "tests": true, "unittests": true}
	docDirs     = map[string]bool{"doc": true, "docs": true, "documentation": true}
	exampleDirs = map[string]bool{"example": true, "examples": true, "demo": true, "demos": true, "sample": true, "samples": true}
	// At the root only: names that are a package's API when nested
	// (numpy.testing) but a project's test or tooling folder at the top.
	rootTestDirs  = map[string]bool{"testing": true, "bench": true, "benchmark": true, "benchmarks": true}
	rootOtherDirs = map[string]bool{
		"bin": true, "scripts": true, "tools": true, "tasks": true, "ci": true, "ci_tools": true,
		"build": true, "dist": true, "changelog": true, "changelog.d": true, "artwork": true,
		"venv": true, "env": true, "contrib": true, "extra": true, "extras": true, "misc": true,
	}
	// Root files that are project tooling, not installed modules.
	rootToolFiles = map[string]bool{
		"noxfile.py": true, "fabfile.py": true, "tasks.py": true, "release.py": true,
		"dodo.py": true, "make.py": true, "bootstrap.py": true,
	}
	rootTestFiles = map[string]bool{"conftest.py": true, "run_tests.py": true, "runtests.py": true, "tests.py": true, "test.py": true}
)

// AssignRoles sets Role and ModPath of every file of p. Call it again after
// changing p.Files.
func (p *Package) AssignRoles() { assignRoles(p.Files) }

// assignRoles is the rule, in order:
//  1. metadata: PKG-INFO at the root, any path through a *.egg-info or
//     *.dist-info folder, a top-level *.egg-info file;
//  2. a wheel's NAME.data/purelib|platlib/ prefix is dropped (that tree is
//     installed as is); its scripts, headers and data go to other;
//  3. src layout: a top-level src/ without __init__.py is dropped from the
//     path (the import root is src/), for every form alike;
//  4. install: setup.py, setup.cfg, pyproject.toml, versioneer.py,
//     build.py, hatch_build.py, ez_setup.py, distribute_setup.py at the
//     root, and the folders pyproject.toml names as backend-path; but the
//     setuptools bootstrap itself (an ez_setup.py or distribute_setup.py
//     that defines use_setuptools and downloads from PyPI) is vendored
//     tooling, other;
//  5. test, doc, example: a folder of a conventional name at any depth
//     (tests, docs, examples…; testing and benchmarks at the root, unless
//     they are a regular package), and test file names (test_*.py,
//     *_test.py, conftest.py);
//  6. other: hidden paths, root tooling folders that are not a regular
//     package (bin, scripts, tools…) and tooling files (noxfile.py…), and
//     root files that are not Python, extension modules or .pth files;
//  7. module: top-level .py, extension modules and .pth files, and every
//     file under a top-level folder that holds Python source (a package,
//     namespace packages included) — what a wheel build would find;
//  8. other: the rest (a top-level folder without Python).
func assignRoles(files []File) {
	srcLayout := hasSrcLayout(files)
	backend := backendPaths(files)
	top := topDirs{python: map[string]bool{}, pkg: map[string]bool{}}
	tree := make([]string, len(files))
	for i := range files {
		f := &files[i]
		t, ok := treePath(f.Path, srcLayout)
		tree[i] = t
		if ok && strings.Contains(t, "/") && isPythonFile(t) {
			dir, rest, _ := strings.Cut(t, "/")
			top.python[dir] = true
			if rest == "__init__.py" {
				top.pkg[dir] = true
			}
		}
	}
	for i := range files {
		f := &files[i]
		f.Role, f.ModPath = roleOf(f.Path, tree[i], backend, top), ""
		if f.Role == RoleInstall && isSetuptoolsBootstrap(f) {
			f.Role = RoleOther
		}
		if f.Role == RoleModule {
			f.ModPath = tree[i]
		}
	}
}

// topDirs describes the top-level folders under the import root.
type topDirs struct {
	python map[string]bool // holds Python source at some depth
	pkg    map[string]bool // has an __init__.py: a regular package
}

func roleOf(p, t string, backend []string, top topDirs) Role {
	parts := strings.Split(p, "/")
	if p == "PKG-INFO" || len(parts) == 1 && strings.HasSuffix(p, ".egg-info") {
		return RoleMetadata
	}
	for _, e := range parts[:len(parts)-1] {
		if strings.HasSuffix(e, ".egg-info") || strings.HasSuffix(e, ".dist-info") {
			return RoleMetadata
		}
	}
	if t == "" { // wheel scripts, headers, data
		return RoleOther
	}
	if len(parts) == 1 && installFiles[p] {
		return RoleInstall
	}
	for _, b := range backend {
		if strings.HasPrefix(p, b+"/") {
			return RoleInstall
		}
	}
	tparts := strings.Split(t, "/")
	base := tparts[len(tparts)-1]
	dirs := tparts[:len(tparts)-1]
	for _, e := range dirs {
		switch {
		case testDirs[e]:
			return RoleTest
		case docDirs[e]:
			return RoleDoc
		case exampleDirs[e]:
			return RoleExample
		}
	}
	// A regular package keeps its name's meaning: pypa's build, invoke's tasks.
	if len(dirs) > 0 && rootTestDirs[dirs[0]] && !top.pkg[dirs[0]] {
		return RoleTest
	}
	if isPythonFile(base) && (strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") || base == "conftest.py") {
		return RoleTest
	}
	for _, e := range tparts {
		if strings.HasPrefix(e, ".") {
			return RoleOther
		}
	}
	if len(dirs) == 0 {
		switch {
		case rootTestFiles[base]:
			return RoleTest
		case rootToolFiles[base]:
			return RoleOther
		case isPythonFile(base), isExtensionModule(base), strings.HasSuffix(base, ".pth"):
			return RoleModule
		}
		return RoleOther
	}
	if rootOtherDirs[dirs[0]] && !top.pkg[dirs[0]] {
		return RoleOther
	}
	if top.python[dirs[0]] {
		return RoleModule
	}
	return RoleOther
}

// treePath maps an archive path to its path under the import root, or
// ok=false for a wheel's scripts, headers and data.
func treePath(p string, srcLayout bool) (string, bool) {
	if first, rest, ok := strings.Cut(p, "/"); ok && strings.HasSuffix(first, ".data") {
		kind, inner, ok := strings.Cut(rest, "/")
		if ok && (kind == "purelib" || kind == "platlib") {
			return inner, true
		}
		return "", false
	}
	if srcLayout {
		if rest, ok := strings.CutPrefix(p, "src/"); ok {
			return rest, true
		}
	}
	return p, true
}

// hasSrcLayout: a top-level src/ folder holding Python or extension
// modules below it and no src/__init__.py (which would make src itself a
// package).
func hasSrcLayout(files []File) bool {
	found := false
	for _, f := range files {
		if f.Path == "src/__init__.py" {
			return false
		}
		if strings.HasPrefix(f.Path, "src/") && (isPythonFile(f.Path) || isExtensionModule(f.Path)) {
			found = true
		}
	}
	return found
}

var backendPathRe = regexp.MustCompile(`(?m)^\s*backend-path\s*=\s*\[([^\]]*)\]`)
var quotedRe = regexp.MustCompile(`["']([^"'\n]+)["']`)

// backendPaths reads the in-tree build backend folders that a root
// pyproject.toml names ([build-system] backend-path).
func backendPaths(files []File) []string {
	var out []string
	for _, f := range files {
		if f.Path != "pyproject.toml" {
			continue
		}
		data := f.Data
		if len(data) > 1<<20 {
			data = data[:1<<20]
		}
		m := backendPathRe.FindSubmatch(data)
		if m == nil {
			return nil
		}
		for _, q := range quotedRe.FindAllSubmatch(m[1], 16) {
			d := strings.Trim(path.Clean(string(bytes.TrimSpace(q[1]))), "/")
			if d != "" && d != "." && !strings.HasPrefix(d, "..") {
				out = append(out, d)
			}
		}
	}
	return out
}

// isSetuptoolsBootstrap recognises the ez_setup.py / distribute_setup.py
// that old sdists ship: it fetches setuptools from PyPI when missing, an
// ordinary download that must not count as install-time behaviour. setup.py
// still calls it, and that call is seen.
func isSetuptoolsBootstrap(f *File) bool {
	if f.Path != "ez_setup.py" && f.Path != "distribute_setup.py" {
		return false
	}
	d := f.Data
	return bytes.Contains(d, []byte("def use_setuptools(")) &&
		(bytes.Contains(d, []byte("pypi.python.org/packages/source/")) || bytes.Contains(d, []byte("pypi.io/packages/source/")) ||
			bytes.Contains(d, []byte("files.pythonhosted.org/packages/source/")))
}

func isPythonFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".py" || ext == ".pyw" || ext == ".pyi"
}

// isExtensionModule: a compiled module importable from the root
// (_speedups.cpython-311-x86_64-linux-gnu.so, _scandir.pyd).
func isExtensionModule(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".so" || ext == ".pyd"
}
