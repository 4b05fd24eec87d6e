package repack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"pypimal/dataset"
)

// tree is the file set of an archive being built. Module files go in first;
// a generated file never shares a top-level entry with them (it would
// change the module tree) and is dropped instead.
type tree struct {
	files   map[string]entry
	modTops map[string]bool
}

type entry struct {
	data []byte
	exec bool
}

func newTree() *tree { return &tree{files: map[string]entry{}, modTops: map[string]bool{}} }

func (t *tree) addModule(p string, f dataset.File) {
	t.files[p] = entry{f.Data, f.Executable}
	top, _, _ := strings.Cut(p, "/")
	t.modTops[top] = true
}

// add puts a generated file in and reports whether it went in.
func (t *tree) add(p string, data []byte) bool {
	top, _, _ := strings.Cut(p, "/")
	if t.modTops[top] {
		return false
	}
	if _, ok := t.files[p]; ok {
		return false
	}
	t.files[p] = entry{data: data}
	return true
}

func (t *tree) addString(p, s string) bool { return t.add(p, []byte(s)) }

func (t *tree) has(p string) bool { _, ok := t.files[p]; return ok }

func (t *tree) paths() []string { return slices.Sorted(maps.Keys(t.files)) }

// SdistWith is Sdist with the template and layout chosen or forced by o.
func SdistWith(p *dataset.Package, o Options) ([]byte, error) {
	s, err := newSource(p)
	if err != nil {
		return nil, err
	}
	c, r, err := choose(s, o)
	if err != nil {
		return nil, err
	}
	t, err := buildSdistTree(s, c, r)
	if err != nil {
		return nil, err
	}
	return writeTarGz(s.sdistBase(), t, mtime(r))
}

var reVersionLine = regexp.MustCompile(`(?m)^__version__\s*=\s*['"]([^'"]*)['"]`)

func buildSdistTree(s *source, c Choice, r *rand.Rand) (*tree, error) {
	in := newInfo(s, r)
	t := newTree()
	src := c.Layout == Src
	prefix := ""
	if src {
		prefix = "src/"
	}
	for _, f := range s.modules {
		t.addModule(prefix+f.Path, f)
	}
	if t.has("PKG-INFO") {
		return nil, fmt.Errorf("repack: package %q has a module file named PKG-INFO", s.p.ID())
	}
	t.files["PKG-INFO"] = entry{data: s.meta}

	pkg, isPkg := s.mainPackage()
	d := &tdata{info: in, Pkg: pkg, IsPkg: isPkg, Src: src, Packages: s.packages, Modules: s.pymods}
	d.Dotted = dottedPackages(s)
	for _, f := range s.modules {
		if top, _, ok := strings.Cut(f.Path, "/"); ok && contains(s.packages, top) && f.Kind != dataset.KindPython {
			d.PkgData = true
			break
		}
	}
	d.Here = []string{"here", "HERE", "this_directory"}[r.IntN(3)]
	d.Read = r.IntN(3)
	d.Universal = r.IntN(3) == 0
	d.Isort = r.IntN(2) == 0
	d.Shim = r.IntN(2)
	d.Setuptools = r.IntN(2) == 0
	d.Publish = 1 + r.IntN(3)
	reqFile := len(in.Install) > 0 && r.IntN(2) == 0 // classic only
	d.Backend = []string{"setuptools", "hatchling", "flit_core", "poetry-core"}[r.IntN(4)]
	if d.Backend == "flit_core" && len(s.packages)+len(s.pymods) != 1 {
		d.Backend = "hatchling" // flit builds exactly one module
	}
	if d.Backend != "setuptools" && len(s.packages)+len(s.pymods) == 0 {
		d.Backend = "setuptools" // nothing for the others to find
	}
	if d.Backend == "hatchling" && len(s.packages) == 0 {
		d.Backend = "setuptools"
	}

	// Version source: a file that assigns __version__, as real projects read.
	var execFile, regexFile string
	if isPkg {
		for _, cand := range []string{"__version__.py", "_version.py", "version.py", "__about__.py"} {
			if f := s.p.File(pkg + "/" + cand); f != nil && reVersionLine.Match(f.Data) {
				execFile = prefix + pkg + "/" + cand
				break
			}
		}
		if f := s.p.File(pkg + "/__init__.py"); f != nil && reVersionLine.Match(f.Data) {
			regexFile = prefix + pkg + "/__init__.py"
		}
	} else if f := s.p.File(pkg + ".py"); f != nil && reVersionLine.Match(f.Data) {
		regexFile = prefix + pkg + ".py"
	}
	pickExec := r.IntN(2) == 0
	switch {
	case execFile != "" && (pickExec || regexFile == ""):
		d.VersionFrom, d.VersionFile = "exec", execFile
	case regexFile != "":
		d.VersionFrom, d.VersionFile = "regex", regexFile
	default:
		d.VersionFrom = "literal"
	}

	// README.
	d.Readme, d.ReadmeType = "README.rst", "text/x-rst"
	if in.Markdown {
		d.Readme, d.ReadmeType = "README.md", "text/markdown"
	}

	extras := drawExtras(r)
	d.LicenseFile = "LICENSE"
	if c.Template == TplDistutils || r.IntN(4) == 0 {
		d.LicenseFile = "LICENSE.txt"
	}
	eggInfo := true
	var err error
	add := func(name, tplName string) {
		if err != nil {
			return
		}
		var text string
		if text, err = render(tplName, d); err == nil {
			t.addString(name, text)
		}
	}
	switch c.Template {
	case TplClassic:
		d.ReqFile = reqFile
		add("setup.py", "setup-classic")
		if d.ReqFile {
			t.addString("requirements.txt", strings.Join(in.Install, "\n")+"\n")
		}
	case TplHumans:
		if d.VersionFrom == "exec" && (!isPkg || path.Base(d.VersionFile) != "__version__.py" || strings.ToLower(wheelSafe(s.name)) != pkg) {
			d.VersionFrom = "literal"
		}
		d.Readme, d.ReadmeType = "README.md", "text/markdown"
		add("setup.py", "setup-humans")
	case TplGitVersion:
		add("setup.py", "setup-git")
	case TplCExtension:
		d.ExtName = pkg + "._speedups"
		if !isPkg {
			d.ExtName = "_" + pkg + "_speedups"
		}
		if len(s.extmods) > 0 {
			d.ExtName = s.extmods[0]
		}
		d.ExtSource = "csrc/" + d.ExtName[strings.LastIndexByte(d.ExtName, '.')+1:] + ".c"
		add("setup.py", "setup-cext")
		add(d.ExtSource, "cext-source")
	case TplDeclarative:
		if d.VersionFrom == "exec" {
			d.VersionFrom = "literal"
		}
		add("setup.cfg", "setup-cfg-declarative")
		add("setup.py", "setup-shim")
		extras.buildSystem = r.IntN(2) == 0
		extras.cfgExtra = false
	case TplPEP621:
		d.Dynamic = d.Backend == "hatchling" && d.VersionFrom != "literal"
		add("pyproject.toml", "pyproject-pep621")
		extras.buildSystem, extras.cfgExtra = false, false
		eggInfo = d.Backend == "setuptools"
		if eggInfo {
			// setuptools writes only the egg_info tags into a
			// pyproject-only project's sdist setup.cfg.
			t.addString("setup.cfg", "[egg_info]\ntag_build = \ntag_date = 0\n\n")
		}
		if !eggInfo {
			extras.manifest = false
		}
	case TplDistutils:
		d.Readme, d.ReadmeType = "README.txt", "text/plain"
		add("setup.py", "setup-distutils")
		extras.buildSystem = false
		eggInfo = d.Setuptools
		extras.manifest = extras.manifest || !eggInfo
		extras.tox, extras.ci = false, 0
	}
	if err != nil {
		return nil, err
	}
	if extras.cfgExtra {
		add("setup.cfg", "setup-cfg-extra")
	}
	if extras.buildSystem {
		add("pyproject.toml", "pyproject-buildsystem")
	}
	if err != nil {
		return nil, err
	}

	t.addString(d.Readme, in.readme())
	lic := d.LicenseFile
	t.addString(lic, in.licenseText())
	addDocs(t, s, d, in, r, extras)
	if extras.manifest {
		t.addString("MANIFEST.in", manifestIn(d, lic, t))
	}
	if eggInfo {
		addEggInfo(t, s, in, prefix, r)
	}
	return t, nil
}

// sdistExtras are the optional files, drawn per package and seed.
type sdistExtras struct {
	changes     string // "", CHANGES.rst, HISTORY.rst
	manifest    bool
	tox         bool
	gitignore   bool
	ci          int // 0 none, 1 .travis.yml, 2 GitHub Actions
	tests       bool
	testsInit   bool
	conftest    bool
	unittest    bool
	docs        bool
	examples    bool
	cfgExtra    bool // setup.cfg with [bdist_wheel]/[egg_info] beside setup.py
	buildSystem bool // pyproject.toml with only [build-system] beside setup.py
}

func drawExtras(r *rand.Rand) sdistExtras {
	e := sdistExtras{}
	e.changes = []string{"", "CHANGES.rst", "HISTORY.rst"}[r.IntN(3)]
	e.manifest = r.IntN(10) < 7
	e.tox = r.IntN(5) < 2
	e.gitignore = r.IntN(4) == 0
	e.ci = []int{0, 0, 1, 2}[r.IntN(4)]
	e.tests = r.IntN(20) < 17
	e.testsInit = r.IntN(2) == 0
	e.conftest = r.IntN(10) < 3
	e.unittest = r.IntN(3) == 0
	e.docs = r.IntN(10) < 3
	e.examples = r.IntN(5) == 0
	e.cfgExtra = r.IntN(2) == 0
	e.buildSystem = r.IntN(3) == 0
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dottedPackages lists every package (folder with __init__.py under a
// top-level package), dotted, for templates that name them one by one.
func dottedPackages(s *source) []string {
	set := map[string]bool{}
	for _, f := range s.modules {
		dir, base := splitDir(f.Path)
		if base != "__init__.py" || dir == "" {
			continue
		}
		top, _, _ := strings.Cut(dir, "/")
		if !contains(s.packages, top) {
			continue
		}
		ok := true
		for _, part := range strings.Split(dir, "/") {
			ok = ok && identifier(part)
		}
		if ok {
			set[strings.ReplaceAll(dir, "/", ".")] = true
		}
	}
	out := slices.Sorted(maps.Keys(set))
	if len(out) == 0 {
		out = append(out, s.packages...) // namespace packages: name the tops
	}
	return out
}

func addDocs(t *tree, s *source, d *tdata, in *info, r *rand.Rand, e sdistExtras) {
	if e.changes != "" {
		t.addString(e.changes, changesText(in, e.changes, r))
	}
	if e.tox {
		t.addString("tox.ini", "[tox]\nenvlist = py38, py39, py310, py311, flake8\n\n[testenv]\ndeps =\n    pytest\ncommands =\n    pytest {posargs:tests}\n\n[testenv:flake8]\ndeps = flake8\ncommands = flake8 "+d.Pkg+" tests\n")
	}
	if e.gitignore {
		t.addString(".gitignore", "__pycache__/\n*.py[cod]\n*.egg-info/\n.eggs/\nbuild/\ndist/\n.tox/\n.coverage\nhtmlcov/\n.pytest_cache/\n.venv/\n")
	}
	switch e.ci {
	case 1:
		t.addString(".travis.yml", "language: python\npython:\n  - \"3.7\"\n  - \"3.8\"\n  - \"3.9\"\ninstall:\n  - pip install -e .\n  - pip install pytest\nscript:\n  - pytest\n")
	case 2:
		t.addString(".github/workflows/ci.yml", ciYAML)
	}
	imports := importable(s)
	if e.tests {
		if e.testsInit {
			t.addString("tests/__init__.py", "")
		}
		if e.conftest {
			t.addString("tests/conftest.py", conftest(d.Src))
		}
		names := imports
		if len(names) > 2 {
			names = names[:2]
		}
		if len(names) == 0 {
			t.addString("tests/test_basic.py", testFile("", e.unittest, r))
		}
		for _, n := range names {
			t.addString("tests/test_"+strings.TrimLeft(strings.ToLower(n), "_")+".py", testFile(n, e.unittest, r))
		}
	}
	if e.docs {
		t.addString("docs/conf.py", docsConf(in, d))
		t.addString("docs/index.rst", docsIndex(in, imports))
	}
	if e.examples && len(imports) > 0 {
		t.addString("examples/example.py", fmt.Sprintf("\"\"\"A short example of using %s.\"\"\"\nimport %s\n\n\ndef main():\n    print(%s.__name__)\n\n\nif __name__ == '__main__':\n    main()\n", imports[0], imports[0], imports[0]))
	}
}

// importable lists the package's top-level import names, main one first.
func importable(s *source) []string {
	main, _ := s.mainPackage()
	var out []string
	for _, n := range s.topLevel() {
		if n == main {
			out = append([]string{n}, out...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

func changesText(in *info, name string, r *rand.Rand) string {
	title := "Changelog"
	if name == "HISTORY.rst" {
		title = "History"
	}
	notes := [][]string{
		{"Bug fixes and documentation updates."},
		{"Drop support for old Python versions.", "Minor fixes."},
		{"Packaging updates.", "Improve test coverage."},
	}[r.IntN(3)]
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n%s (%d-%02d-%02d)\n%s\n\n", title, strings.Repeat("=", len(title)),
		in.Version, in.Year, 1+r.IntN(12), 1+r.IntN(28), strings.Repeat("-", len(in.Version)+13))
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func conftest(src bool) string {
	var b strings.Builder
	b.WriteString("import os\nimport sys\n\nimport pytest\n\n")
	if src {
		b.WriteString("HERE = os.path.dirname(os.path.abspath(__file__))\nsys.path.insert(0, os.path.join(HERE, '..', 'src'))\n\n")
	}
	b.WriteString("\n@pytest.fixture\ndef workdir(tmp_path):\n    \"\"\"A scratch folder for one test.\"\"\"\n    old = os.getcwd()\n    os.chdir(str(tmp_path))\n    yield tmp_path\n    os.chdir(old)\n")
	return b.String()
}

func testFile(mod string, unittest bool, r *rand.Rand) string {
	var b strings.Builder
	if mod == "" {
		if unittest {
			b.WriteString("import unittest\n\n\nclass BasicTestCase(unittest.TestCase):\n\n    def test_truth(self):\n        self.assertTrue(True)\n\n\nif __name__ == '__main__':\n    unittest.main()\n")
		} else {
			b.WriteString("def test_truth():\n    assert True\n")
		}
		return b.String()
	}
	class := ""
	for _, part := range strings.Split(mod, "_") {
		if part != "" {
			class += strings.ToUpper(part[:1]) + part[1:]
		}
	}
	if class == "" {
		class = "Module"
	}
	if unittest {
		fmt.Fprintf(&b, "import unittest\n\nimport %s\n\n\nclass %sTestCase(unittest.TestCase):\n\n", mod, class)
		fmt.Fprintf(&b, "    def test_import(self):\n        self.assertEqual(%s.__name__, %s)\n", mod, pyStr(mod))
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "\n    def test_has_file(self):\n        self.assertTrue(hasattr(%s, '__file__'))\n", mod)
		}
		b.WriteString("\n\nif __name__ == '__main__':\n    unittest.main()\n")
		return b.String()
	}
	fmt.Fprintf(&b, "import %s\n\n\ndef test_import():\n    assert %s.__name__ == %s\n", mod, mod, pyStr(mod))
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "\n\ndef test_version_is_text():\n    version = getattr(%s, '__version__', '')\n    assert isinstance(version, str)\n", mod)
	}
	return b.String()
}

func docsConf(in *info, d *tdata) string {
	rel := "'..'"
	if d.Src {
		rel = "'../src'"
	}
	return fmt.Sprintf(`# Configuration file for the Sphinx documentation builder.
import os
import sys

sys.path.insert(0, os.path.abspath(%s))

project = %s
copyright = %s
author = %s
release = %s

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.viewcode',
]
templates_path = ['_templates']
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
html_theme = 'alabaster'
`, rel, pyStr(in.Name), pyStr(fmt.Sprintf("%d, %s", in.Year, in.Author)), pyStr(in.Author), pyStr(in.Version))
}

func docsIndex(in *info, imports []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", in.Name, strings.Repeat("=", len(in.Name)))
	if in.Summary != "" {
		b.WriteString(in.Summary + "\n\n")
	}
	b.WriteString(".. toctree::\n   :maxdepth: 2\n\n")
	if len(imports) > 0 {
		fmt.Fprintf(&b, "API\n---\n\n.. automodule:: %s\n   :members:\n\n", imports[0])
	}
	b.WriteString("Indices and tables\n------------------\n\n* :ref:`genindex`\n* :ref:`search`\n")
	return b.String()
}

func manifestIn(d *tdata, lic string, t *tree) string {
	var b strings.Builder
	fmt.Fprintf(&b, "include %s %s\n", d.Readme, lic)
	for _, f := range []string{"CHANGES.rst", "HISTORY.rst", "requirements.txt", "tox.ini"} {
		if t.has(f) {
			fmt.Fprintf(&b, "include %s\n", f)
		}
	}
	if t.has("csrc/" + path.Base(d.ExtSource)) {
		b.WriteString("recursive-include csrc *.c\n")
	}
	if d.PkgData {
		for _, p := range d.Packages {
			fmt.Fprintf(&b, "recursive-include %s%s *\n", srcPrefix(d.Src), p)
		}
	}
	b.WriteString("recursive-include tests *.py\n")
	if t.has("docs/conf.py") {
		b.WriteString("recursive-include docs *.rst *.py\n")
	}
	b.WriteString("global-exclude *.py[cod] __pycache__\n")
	return b.String()
}

func srcPrefix(src bool) string {
	if src {
		return "src/"
	}
	return ""
}

const ciYAML = `name: CI

on:
  push:
    branches: [main]
  pull_request:

jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.8", "3.9", "3.10", "3.11"]
    steps:
      - uses: actions/checkout@v3
      - uses: actions/setup-python@v4
        with:
          python-version: ${{ matrix.python-version }}
      - run: python -m pip install --upgrade pip pytest
      - run: python -m pip install .
      - run: pytest
`

// addEggInfo writes name.egg-info/ as setuptools' egg_info does, beside the
// module files (at the root, or under src/). SOURCES.txt is the real list.
func addEggInfo(t *tree, s *source, in *info, prefix string, r *rand.Rand) {
	dir := prefix + s.eggInfoDir() + "/"
	if t.has(dir + "PKG-INFO") {
		return
	}
	t.files[dir+"PKG-INFO"] = entry{data: s.meta}
	t.files[dir+"dependency_links.txt"] = entry{data: []byte("\n")}
	if f := s.metaFile("top_level.txt"); f != nil {
		t.files[dir+"top_level.txt"] = entry{data: f.Data}
	} else {
		t.files[dir+"top_level.txt"] = entry{data: []byte(strings.Join(s.topLevel(), "\n") + "\n")}
	}
	if f := s.metaFile("entry_points.txt"); f != nil {
		t.files[dir+"entry_points.txt"] = entry{data: f.Data}
	}
	if f := s.metaFile("requires.txt"); f != nil {
		t.files[dir+"requires.txt"] = entry{data: f.Data}
	} else if len(in.Install) > 0 || len(in.Extras) > 0 {
		t.files[dir+"requires.txt"] = entry{data: []byte(requiresTxt(in))}
	}
	if s.metaFile("not-zip-safe") != nil || r.IntN(2) == 0 {
		t.files[dir+"not-zip-safe"] = entry{data: []byte("\n")}
	}
	var list []string
	for _, p := range append(t.paths(), dir+"SOURCES.txt") {
		if p != "PKG-INFO" {
			list = append(list, p)
		}
	}
	sort.Strings(list)
	t.files[dir+"SOURCES.txt"] = entry{data: []byte(strings.Join(list, "\n") + "\n")}
}

// requiresTxt is setuptools' requires.txt: plain requirements, then a
// [extra] or [extra:marker] section per extra.
func requiresTxt(in *info) string {
	var b strings.Builder
	var marked []string
	for _, req := range in.Install {
		if _, m, ok := strings.Cut(req, ";"); ok {
			marked = append(marked, "\n[:"+strings.TrimSpace(m)+"]\n"+strings.TrimSpace(req[:strings.IndexByte(req, ';')])+"\n")
			continue
		}
		b.WriteString(req + "\n")
	}
	for _, m := range marked {
		b.WriteString(m)
	}
	for _, e := range in.Extras {
		fmt.Fprintf(&b, "\n[%s]\n", e.Name)
		for _, req := range e.Reqs {
			b.WriteString(req + "\n")
		}
	}
	return b.String()
}

// writeTarGz writes the tree under top/ as a gzip'd tar, folders first,
// paths sorted, fixed owner and time.
func writeTarGz(top string, t *tree, mt time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.ModTime = mt
	tw := tar.NewWriter(zw)
	hdr := func(name string, typ byte, mode, size int64) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: mt,
			Uid: 1000, Gid: 1000}
	}
	dirs := map[string]bool{}
	var writeDir func(d string) error
	writeDir = func(d string) error {
		if dirs[d] {
			return nil
		}
		if parent, _ := splitDir(d); parent != "" {
			if err := writeDir(parent); err != nil {
				return err
			}
		}
		dirs[d] = true
		return tw.WriteHeader(hdr(d+"/", tar.TypeDir, 0o755, 0))
	}
	if err := writeDir(top); err != nil {
		return nil, err
	}
	for _, p := range t.paths() {
		e := t.files[p]
		name := top + "/" + p
		if d, _ := splitDir(name); d != "" {
			if err := writeDir(d); err != nil {
				return nil, err
			}
		}
		mode := int64(0o644)
		if e.exec {
			mode = 0o755
		}
		if err := tw.WriteHeader(hdr(name, tar.TypeReg, mode, int64(len(e.data)))); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
