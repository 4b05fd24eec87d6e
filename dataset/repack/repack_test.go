package repack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pypimal/dataset"
)

// installed builds a hand-made installed-form package (what dataset returns
// for a .deb row): module files plus a metadata folder.
func installed(t testing.TB, metaPath string, meta string, files map[string]string, execs ...string) *dataset.Package {
	t.Helper()
	p := &dataset.Package{Format: "deb"}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	isExec := map[string]bool{}
	for _, e := range execs {
		isExec[e] = true
	}
	add := func(n string, data []byte) {
		p.Files = append(p.Files, dataset.File{Path: n, Size: int64(len(data)), Kind: dataset.Classify(n, data),
			Executable: isExec[n], Data: data})
	}
	for _, n := range names {
		add(n, []byte(files[n]))
	}
	if metaPath != "" {
		add(metaPath, []byte(meta))
		m, err := dataset.ParseMetadata([]byte(meta))
		if err != nil {
			t.Fatal(err)
		}
		p.Meta, p.MetaPath = m, metaPath
	}
	p.Row = dataset.Row{ID: "t-" + p.Meta.Get("Name"), Name: p.Meta.Get("Name"), Version: p.Meta.Get("Version")}
	return p
}

// fooEggInfo: a package with a sub-package, data, an executable script, a
// top-level module, and setuptools' egg-info with requires and entry points.
func fooEggInfo(t testing.TB) *dataset.Package {
	return installed(t, "foo_bar-1.0.egg-info/PKG-INFO", `Metadata-Version: 1.2
Name: foo-bar
Version: 1.0
Summary: Tools for foo's "bar" handling, 100% pure
Home-page: https://example.org/foo-bar
Author: Ann O'Neil
Author-email: ann@example.org
License: MIT
Description: Foo bar
        |=======
        |
        |Handles \bar\ in foo.
Keywords: foo bar
Platform: UNKNOWN
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.7
`, map[string]string{
		"foo/__init__.py":                           "\"\"\"Foo.\"\"\"\n__version__ = '1.0'\n",
		"foo/__version__.py":                        "__version__ = '1.0'\n",
		"foo/core.py":                               "def bar(x):\n    return x * 2\n",
		"foo/sub/__init__.py":                       "",
		"foo/sub/thing.py":                          "THING = 1\n",
		"foo/data/table.json":                       "{\"a\": 1}\n",
		"foo/bin/run.sh":                            "#!/bin/sh\necho foo\n",
		"foo_helper.py":                             "HELP = 'x'\n",
		"foo_bar-1.0.egg-info/top_level.txt":        "foo\nfoo_helper\n",
		"foo_bar-1.0.egg-info/requires.txt":         "requests>=2.0\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n\n[dev]\npytest\n",
		"foo_bar-1.0.egg-info/entry_points.txt":     "[console_scripts]\nfoo = foo.core:main\n",
		"foo_bar-1.0.egg-info/dependency_links.txt": "\n",
	}, "foo/bin/run.sh")
}

// bazDistInfo: metadata 2.1 in a dist-info folder, markdown body,
// Requires-Dist with extras, one package with a native extension.
func bazDistInfo(t testing.TB) *dataset.Package {
	return installed(t, "Baz.Qux-2.3.post1.dist-info/METADATA", `Metadata-Version: 2.1
Name: Baz.Qux
Version: 2.3.post1
Summary: Baz and qux
Author-email: Bo Bo <bo@example.com>
License: Apache 2.0
Requires-Python: >=3.8
Requires-Dist: attrs (>=20)
Requires-Dist: tomli ; python_version < "3.11"
Requires-Dist: sphinx ; extra == 'docs'
Requires-Dist: pytest>=7 ; (python_version >= "3.8") and extra == "test"
Description-Content-Type: text/markdown

# Baz.Qux

It bazzes. `+"`code`"+`
`, map[string]string{
		"baz/__init__.py": "from ._fast import *  # noqa\n",
		"baz/_fast.cpython-311-x86_64-linux-gnu.so": "\x7fELF\x02\x01\x01\x00rest",
		"baz/py.typed":                          "",
		"Baz.Qux-2.3.post1.dist-info/RECORD":    "",
		"Baz.Qux-2.3.post1.dist-info/INSTALLER": "debian\n",
	})
}

// single: an old-style egg-info *file*, one module, a tests package of its
// own at the top (so generated tests must stay out of it).
func single(t testing.TB) *dataset.Package {
	return installed(t, "single_mod-0.1.egg-info", `Metadata-Version: 1.0
Name: single_mod
Version: 0.1
Summary: UNKNOWN
Author: UNKNOWN
License: GPL
Description: UNKNOWN
`, map[string]string{
		"single_mod.py":     "__version__ = \"0.1\"\n\ndef f():\n    return 1\n",
		"tests/__init__.py": "",
		"tests/test_x.py":   "def test_x():\n    pass\n",
	})
}

// scriptOnly: metadata alone, as Debian ships projects whose code lives in
// /usr/bin; the name has a capital and a dot, the summary every character a
// template must escape.
func scriptOnly(t testing.TB) *dataset.Package {
	return installed(t, "Tool.Kit-3.0.egg-info/PKG-INFO", "Metadata-Version: 2.1\n"+
		"Name: Tool.Kit\nVersion: 3.0\n"+
		"Summary: quotes ' \" ''' \"\"\" back\\slash \\n tab\t 100% «ünï» {{x}} ${y} #z \x01\n"+
		"Author: Zoë \"Z\" Smith\nAuthor-email: z@example.net, y@example.net\nLicense: BSD-3-Clause\n"+
		"Keywords: tool,kit\nRequires-Dist: click\n\nBody text.\n",
		map[string]string{
			"Tool.Kit-3.0.egg-info/top_level.txt":    "\n",
			"Tool.Kit-3.0.egg-info/entry_points.txt": "[console_scripts]\ntoolkit = toolkit.__main__:main\n\n[gui_scripts]\ntoolkit-gui = toolkit.gui:main\n",
		})
}

func fixtures(t testing.TB) []*dataset.Package {
	return []*dataset.Package{fooEggInfo(t), bazDistInfo(t), single(t), scriptOnly(t)}
}

// checkModules checks every module file of orig is in got at prefix+path
// with the same bytes and executable bit.
func checkModules(t testing.TB, what string, orig, got *dataset.Package, prefix string) {
	t.Helper()
	for _, f := range ModuleFiles(orig) {
		g := got.File(prefix + f.Path)
		if g == nil {
			t.Errorf("%s: %s%s missing", what, prefix, f.Path)
			continue
		}
		if !bytes.Equal(g.Data, f.Data) {
			t.Errorf("%s: %s%s bytes differ", what, prefix, f.Path)
		}
		if g.Executable != f.Executable {
			t.Errorf("%s: %s%s executable %v, want %v", what, prefix, f.Path, g.Executable, f.Executable)
		}
	}
}

func checkMeta(t testing.TB, what string, orig, got *dataset.Package) {
	t.Helper()
	if got.Meta == nil {
		t.Fatalf("%s: no metadata (%v)", what, got.MetaErr)
	}
	for _, k := range []string{"Name", "Version"} {
		if g, w := got.Meta.Get(k), orig.Meta.Get(k); g != w {
			t.Errorf("%s: %s = %q, want %q", what, k, g, w)
		}
	}
	if want := orig.File(orig.MetaPath).Data; !bytes.Equal(got.File(got.MetaPath).Data, want) {
		t.Errorf("%s: metadata %s bytes differ from %s", what, got.MetaPath, orig.MetaPath)
	}
}

func decode(t testing.TB, name string, data []byte) *dataset.Package {
	t.Helper()
	got, err := dataset.Decode("repacked", name, data, dataset.Limits{})
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return got
}

func TestSdistEveryTemplateAndLayout(t *testing.T) {
	for _, p := range fixtures(t) {
		name, err := SdistName(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tpl := range Templates() {
			for _, layout := range []Layout{Flat, Src} {
				what := fmt.Sprintf("%s/%s/%s", p.Meta.Get("Name"), tpl, layout)
				data, err := SdistWith(p, Options{Seed: 7, Template: tpl, Layout: layout})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				got := decode(t, name, data)
				if got.Format != "sdist-tar.gz" {
					t.Errorf("%s: format %s", what, got.Format)
				}
				if got.MetaPath != "PKG-INFO" {
					t.Errorf("%s: metadata at %q", what, got.MetaPath)
				}
				prefix := ""
				if layout == Src {
					prefix = "src/"
				}
				checkModules(t, what, p, got, prefix)
				checkMeta(t, what, p, got)
				checkInstallFiles(t, what, tpl, got)
				checkSources(t, what, got)
			}
		}
	}
}

// checkInstallFiles checks each template wrote the files it stands for.
func checkInstallFiles(t testing.TB, what, tpl string, got *dataset.Package) {
	t.Helper()
	has := func(p string) bool { return got.File(p) != nil }
	text := func(p string) string {
		if f := got.File(p); f != nil {
			return string(f.Data)
		}
		return ""
	}
	want := map[string][]string{
		TplClassic:     {"find_packages", "setup("},
		TplHumans:      {"twine upload dist/*", "setup("},
		TplGitVersion:  {"'git', 'describe', '--tags'", "setup("},
		TplCExtension:  {"class ve_build_ext(build_ext)", "class BuildFailed(Exception)", "class PyTest(TestCommand)", "pytest.main(self.pytest_args)"},
		TplDeclarative: {"setup()"},
		TplDistutils:   {"from distutils.core import setup", "open('README.txt').read()"},
	}[tpl]
	for _, w := range want {
		if !strings.Contains(text("setup.py"), w) {
			t.Errorf("%s: setup.py lacks %q", what, w)
		}
	}
	switch tpl {
	case TplDeclarative:
		for _, w := range []string{"[metadata]", "[options]", "[flake8]", "[tool:pytest]"} {
			if !strings.Contains(text("setup.cfg"), w) {
				t.Errorf("%s: setup.cfg lacks %s", what, w)
			}
		}
	case TplPEP621:
		if has("setup.py") {
			t.Errorf("%s: pyproject-only sdist has setup.py", what)
		}
		for _, w := range []string{"[build-system]", "[project]", "[tool.black]", "[tool.pytest.ini_options]"} {
			if !strings.Contains(text("pyproject.toml"), w) {
				t.Errorf("%s: pyproject.toml lacks %s", what, w)
			}
		}
	}
	if !has("LICENSE") && !has("LICENSE.txt") {
		t.Errorf("%s: no LICENSE", what)
	}
	if !has("README.rst") && !has("README.md") && !has("README.txt") {
		t.Errorf("%s: no README", what)
	}
}

// checkSources checks an egg-info folder, when there is one, lists exactly
// the sdist's files and carries the same PKG-INFO.
func checkSources(t testing.TB, what string, got *dataset.Package) {
	t.Helper()
	var sources *dataset.File
	for i := range got.Files {
		if strings.HasSuffix(got.Files[i].Path, ".egg-info/SOURCES.txt") {
			sources = &got.Files[i]
		}
	}
	if sources == nil {
		return
	}
	dir := strings.TrimSuffix(sources.Path, "SOURCES.txt")
	if f := got.File(dir + "PKG-INFO"); f == nil || !bytes.Equal(f.Data, got.File("PKG-INFO").Data) {
		t.Errorf("%s: %sPKG-INFO differs from PKG-INFO", what, dir)
	}
	var all []string
	for _, f := range got.Files {
		if f.Path != "PKG-INFO" {
			all = append(all, f.Path)
		}
	}
	sort.Strings(all)
	if g, w := string(sources.Data), strings.Join(all, "\n")+"\n"; g != w {
		t.Errorf("%s: SOURCES.txt\n%s\nwant\n%s", what, g, w)
	}
}

func TestWheel(t *testing.T) {
	for _, p := range fixtures(t) {
		name, err := WheelName(p)
		if err != nil {
			t.Fatal(err)
		}
		for seed := int64(0); seed < 4; seed++ {
			what := fmt.Sprintf("%s/%d", name, seed)
			data, err := Wheel(p, seed)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			got := decode(t, name, data)
			if got.Format != "wheel" {
				t.Errorf("%s: format %s", what, got.Format)
			}
			if !strings.HasSuffix(got.MetaPath, ".dist-info/METADATA") {
				t.Errorf("%s: metadata at %q", what, got.MetaPath)
			}
			checkModules(t, what, p, got, "")
			checkMeta(t, what, p, got)
			if err := VerifyRecord(got); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			wheel := got.File(strings.TrimSuffix(got.MetaPath, "METADATA") + "WHEEL")
			if wheel == nil || !strings.Contains(string(wheel.Data), "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.37.1)\n") {
				t.Errorf("%s: WHEEL file %v", what, wheel)
			}
		}
	}
	// Names as PyPI tools write them.
	for _, c := range []struct {
		p          *dataset.Package
		sdist, whl string
	}{
		{fooEggInfo(t), "foo-bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl"},
		{bazDistInfo(t), "Baz.Qux-2.3.post1.tar.gz", "Baz_Qux-2.3.post1-cp311-cp311-linux_x86_64.whl"},
	} {
		s, _ := SdistName(c.p)
		w, _ := WheelName(c.p)
		if s != c.sdist || w != c.whl {
			t.Errorf("names %s %s, want %s %s", s, w, c.sdist, c.whl)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, p := range fixtures(t) {
		for _, seed := range []int64{0, 1, 99} {
			a, err := Sdist(p, seed)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Sdist(p, seed)
			if !bytes.Equal(a, b) {
				t.Errorf("%s seed %d: sdists differ", p.ID(), seed)
			}
			a, err = Wheel(p, seed)
			if err != nil {
				t.Fatal(err)
			}
			b, _ = Wheel(p, seed)
			if !bytes.Equal(a, b) {
				t.Errorf("%s seed %d: wheels differ", p.ID(), seed)
			}
		}
	}
}

func TestVariety(t *testing.T) {
	p := fooEggInfo(t)
	templates, layouts, archives := map[string]bool{}, map[Layout]bool{}, map[string]bool{}
	for seed := int64(0); seed < 20; seed++ {
		c, err := Plan(p, Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		templates[c.Template] = true
		layouts[c.Layout] = true
		data, err := Sdist(p, seed)
		if err != nil {
			t.Fatal(err)
		}
		archives[string(data)] = true
		// The plan is what the archive holds.
		got := decode(t, "foo-bar-1.0.tar.gz", data)
		if src := got.File("src/foo/__init__.py") != nil; src != (c.Layout == Src) {
			t.Errorf("seed %d: plan says %s, archive src=%v", seed, c.Layout, src)
		}
		if hasPy := got.File("setup.py") != nil; hasPy == (c.Template == TplPEP621) {
			t.Errorf("seed %d: plan says %s, setup.py=%v", seed, c.Template, hasPy)
		}
	}
	if len(templates) < 4 || len(layouts) < 2 {
		t.Errorf("20 seeds used templates %v and layouts %v", templates, layouts)
	}
	if len(archives) != 20 {
		t.Errorf("20 seeds gave %d distinct sdists", len(archives))
	}
	if _, err := SdistWith(p, Options{Template: "nope"}); err == nil {
		t.Error("unknown template accepted")
	}
}

// TestGeneratedFilesParse checks our own generated text (never dataset
// content) with python3's parsers: .py files with compile(), pyproject.toml with
// tomllib, setup.cfg with configparser. Nothing is executed.
func TestGeneratedFilesParse(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	dir := t.TempDir()
	var list []string
	n := 0
	for _, p := range fixtures(t) {
		for _, tpl := range Templates() {
			for _, layout := range []Layout{Flat, Src} {
				for seed := int64(0); seed < 3; seed++ {
					data, err := SdistWith(p, Options{Seed: seed, Template: tpl, Layout: layout})
					if err != nil {
						t.Fatal(err)
					}
					got := decode(t, "x.tar.gz", data)
					mods := map[string]bool{}
					for _, f := range ModuleFiles(p) {
						mods[f.Path] = true
						mods["src/"+f.Path] = true
					}
					for _, f := range got.Files {
						kind := ""
						switch {
						case mods[f.Path]:
							continue
						case strings.HasSuffix(f.Path, ".py"):
							kind = "py"
						case f.Path == "pyproject.toml":
							kind = "toml"
						case f.Path == "setup.cfg" || f.Path == "tox.ini":
							kind = "cfg"
						default:
							continue
						}
						n++
						name := filepath.Join(dir, fmt.Sprintf("%04d.%s", n, kind))
						if err := os.WriteFile(name, f.Data, 0o644); err != nil {
							t.Fatal(err)
						}
						list = append(list, fmt.Sprintf("%s\t%s/%s/%s/%d:%s", name, p.ID(), tpl, layout, seed, f.Path))
					}
				}
			}
		}
	}
	script := `
import ast, builtins, configparser, sys, tomllib

def unbound(tree):
    """Names read but never bound anywhere in the module (a cheap pyflakes)."""
    bound, read = set(dir(builtins)) | {"__file__", "__name__"}, {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load):
                read.setdefault(n.id, n.lineno)
            else:
                bound.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                bound.add((a.asname or a.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    return sorted((line, name) for name, line in read.items() if name not in bound)

bad = 0
for line in sys.stdin.read().splitlines():
    name, label = line.split("\t")
    try:
        if name.endswith(".py"):
            text = open(name, encoding="utf-8").read()
            compile(text, label, "exec", dont_inherit=True)
            missing = unbound(ast.parse(text))
            if missing:
                raise NameError("unbound names (line, name): %s" % missing)
        elif name.endswith(".toml"):
            tomllib.loads(open(name, encoding="utf-8").read())
        else:
            c = configparser.ConfigParser()
            c.read_string(open(name, encoding="utf-8").read())
            for s in c.sections():
                for k in c[s]:
                    c[s][k]
    except Exception as e:
        bad += 1
        print(label, type(e).__name__, e)
sys.exit(1 if bad else 0)
`
	cmd := exec.Command(py, "-I", "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(list, "\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("generated files do not parse: %v\n%s", err, out)
	}
	if n < 100 {
		t.Errorf("only %d generated files checked", n)
	}
}

// testDataDir finds the embedded dataset: $PYPIMAL_DATA, else
// ../shared/data beside the repository root.
func testDataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.csv")); err != nil {
		t.Skipf("embedded dataset not found at %s (set PYPIMAL_DATA): %v", dir, err)
	}
	return dir
}

// TestRealDebs re-packs a seeded sample of benign .deb rows (never a
// malicious row: nothing of theirs is needed) and checks both forms carry
// the module files and metadata unchanged.
func TestRealDebs(t *testing.T) {
	dir := testDataDir(t)
	rows, err := dataset.ReadManifestFile(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var debs []dataset.Row
	for _, r := range rows {
		if r.Label == dataset.Benign && r.Format == "deb" {
			debs = append(debs, r)
		}
	}
	n := 15
	if testing.Short() {
		n = 5
	}
	rng := rand.New(rand.NewPCG(2412, 16))
	rng.Shuffle(len(debs), func(i, j int) { debs[i], debs[j] = debs[j], debs[i] })
	if len(debs) < n {
		t.Fatalf("only %d benign deb rows", len(debs))
	}
	for i, row := range debs[:n] {
		p, err := dataset.LoadRow(dir, row, dataset.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		seed := int64(i)
		c, err := Plan(p, Options{Seed: seed})
		if err != nil {
			t.Fatalf("%s: %v", row.ID, err)
		}
		what := fmt.Sprintf("%s %s %s/%s", row.ID, row.Name, c.Template, c.Layout)
		prefix := ""
		if c.Layout == Src {
			prefix = "src/"
		}
		sd, err := Sdist(p, seed)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sname, _ := SdistName(p)
		got := decode(t, sname, sd)
		if got.Format != "sdist-tar.gz" {
			t.Errorf("%s: format %s", what, got.Format)
		}
		checkModules(t, what, p, got, prefix)
		checkMeta(t, what, p, got)
		checkSources(t, what, got)
		if got.Meta.Get("Name") != row.Name || got.Meta.Get("Version") != row.Version {
			t.Errorf("%s: sdist metadata %s %s, manifest %s %s", what, got.Meta.Get("Name"), got.Meta.Get("Version"), row.Name, row.Version)
		}

		wh, err := Wheel(p, seed)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wname, _ := WheelName(p)
		got = decode(t, wname, wh)
		if got.Format != "wheel" {
			t.Errorf("%s: wheel format %s", what, got.Format)
		}
		checkModules(t, what+" wheel", p, got, "")
		checkMeta(t, what+" wheel", p, got)
		if err := VerifyRecord(got); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
}
