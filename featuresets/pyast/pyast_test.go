package pyast

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func analyze(t testing.TB, src string, opts Options) *File {
	t.Helper()
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := p.analyze([]byte(src), opts)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	return f
}

func callNames(f *File) []string {
	var out []string
	for _, c := range f.Calls {
		out = append(out, c.Name)
	}
	return out
}

func findCall(t *testing.T, f *File, name string) Call {
	t.Helper()
	for _, c := range f.Calls {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no call %q in %q", name, callNames(f))
	return Call{}
}

func TestResolveCalls(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every call, in source (pre-)order
	}{
		{"import alias", "import subprocess as sp\nsp.Popen(['ls'])", []string{"subprocess.Popen"}},
		{"from import", "from os import system\nsystem('id')", []string{"os.system"}},
		{"from import alias", "from os import system as s\ns('id')", []string{"os.system"}},
		{"dotted import", "import urllib.request\nurllib.request.urlopen(u)", []string{"urllib.request.urlopen"}},
		{"dotted import alias", "import os.path as p\np.join(a, b)", []string{"os.path.join"}},
		{"from package import module", "from urllib import request\nrequest.urlretrieve(u, f)", []string{"urllib.request.urlretrieve"}},
		{"method on call result", "import os\nos.popen('ls').read()", []string{"os.popen().read", "os.popen"}},
		{"__import__", "__import__('os').system('x')", []string{"os.system", "__import__"}},
		{"__import__ dotted returns package", "__import__('os.path').path.join(a)", []string{"os.path.join", "__import__"}},
		{"getattr __builtins__", "getattr(__builtins__, 'exec')(code)", []string{"exec", "getattr"}},
		{"getattr builtins module", "import builtins\ngetattr(builtins, 'eval')('1')", []string{"eval", "getattr"}},
		{"getattr module", "import os\ngetattr(os, 'system')('x')", []string{"os.system", "getattr"}},
		{"import_module", "import importlib\nimportlib.import_module('subprocess').run(['id'])", []string{"subprocess.run", "importlib.import_module"}},
		{"from importlib", "from importlib import import_module\nimport_module('socket').socket()", []string{"socket.socket", "importlib.import_module"}},
		{"builtins.exec", "import builtins\nbuiltins.exec(c)", []string{"exec"}},
		{"__builtins__.exec", "__builtins__.exec(c)", []string{"exec"}},
		{"__builtins__ subscript", "__builtins__['exec'](c)", []string{"exec"}},
		{"__builtins__.__dict__ subscript", "__builtins__.__dict__['eval'](c)", []string{"eval"}},
		{"py2 __builtin__", "import __builtin__\n__builtin__.eval(c)", []string{"eval"}},
		{"sys.modules", "import sys\nsys.modules['os'].system('x')", []string{"os.system"}},
		{"plain builtins", "exec(c); eval(c); open(p); compile(s, 'f', 'exec'); chr(1); getattr(o, n)",
			[]string{"exec", "eval", "open", "compile", "chr", "getattr"}},
		{"unknown object", "s.connect(('h', 1))", []string{"s.connect"}},
		{"imported module method", "import requests\nrequests.get(u)", []string{"requests.get"}},
		{"local alias", "import os\nx = os.system\nx('id')", []string{"os.system"}},
		{"builtin alias", "e = eval\ne(c)", []string{"eval"}},
		{"alias chain", "import os\na = b = os.system\na(); b()", []string{"os.system", "os.system"}},
		{"rebinding drops alias", "import os\nx = os.system\nx = make()\nx()", []string{"make", "x"}},
		{"call result not aliased", "import socket\ns = socket.socket()\ns.connect(a)", []string{"socket.socket", "s.connect"}},
		{"import after use", "def f():\n    os.system('x')\nimport os", []string{"os.system"}},
		{"non-literal getattr", "getattr(__builtins__, 'ex'+'ec')(c)", []string{"getattr()", "getattr"}},
		{"non-literal __import__", "__import__(name).system(c)", []string{"__import__().system", "__import__"}},
		{"string method", "''.join(x)", []string{"<str>.join"}},
		{"subscript call", "handlers[k](x)", []string{"handlers[]"}},
		{"paren callee", "(os.system)('x')", []string{"os.system"}},
		{"lambda call", "(lambda: 1)()", []string{"<lambda>"}},
		{"relative import", "from . import utils\nutils.run()", []string{".utils.run"}},
		{"relative module", "from ..pkg.mod import f\nf()", []string{"..pkg.mod.f"}},
		{"from builtins", "from builtins import exec as run\nrun(c)", []string{"exec"}},
		{"decorated callee", "import atexit\n@atexit.register\ndef f(): pass", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := analyze(t, tt.src, Options{})
			if got := callNames(f); !slices.Equal(got, tt.want) {
				t.Errorf("calls = %q, want %q", got, tt.want)
			}
			if f.ErrorNodes != 0 {
				t.Errorf("ErrorNodes = %d", f.ErrorNodes)
			}
		})
	}
}

func TestCallFields(t *testing.T) {
	src := `import os
x = os.popen("ls -la   /tmp").read()
if __name__ == "__main__":
    try:
        os.system("id")
    except Exception:
        pass

class C:
    def m(self):
        s.connect(("h", 1), timeout=3)
        f = lambda: os.remove(p)
`
	f := analyze(t, src, Options{})
	read := findCall(t, f, "os.popen().read")
	if read.Attr != "read" || read.Line != 2 || !read.TopLevel || read.Args != 0 || read.Scope != "" {
		t.Errorf("read call = %+v", read)
	}
	popen := findCall(t, f, "os.popen")
	if popen.Snippet != `os.popen("ls -la /tmp")` || popen.Attr != "popen" {
		t.Errorf("popen call = %+v", popen)
	}
	sys := findCall(t, f, "os.system")
	if !sys.TopLevel || sys.Line != 5 {
		t.Errorf("os.system in if/try at module level: %+v", sys)
	}
	conn := findCall(t, f, "s.connect")
	if conn.TopLevel || conn.Attr != "connect" || conn.Scope != "C.m" || conn.Args != 2 {
		t.Errorf("s.connect = %+v", conn)
	}
	rm := findCall(t, f, "os.remove")
	if rm.TopLevel || rm.Scope != "C.m.<lambda>" {
		t.Errorf("os.remove in lambda = %+v", rm)
	}
}

func TestSnippet(t *testing.T) {
	long := "f(" + strings.Repeat("a, ", 100) + ")"
	if got := snippet([]byte(long)); len([]rune(got)) != SnippetRunes {
		t.Errorf("snippet len = %d", len([]rune(got)))
	}
	if got := snippet([]byte("f(\n\t1,\r\n  2)")); got != "f( 1, 2)" {
		t.Errorf("snippet = %q", got)
	}
	if got := snippet([]byte("f('\xff')")); got != "f('\uFFFD')" {
		t.Errorf("snippet invalid utf8 = %q", got)
	}
}

func TestImports(t *testing.T) {
	src := `import a.b as c, d
from os import system, popen as po
from . import x
from ..pkg.mod import *
from __future__ import annotations
def f():
    import json
__import__("socket")
importlib.import_module("ctypes")
__import__(name)
`
	f := analyze(t, src, Options{})
	var got []string
	for _, im := range f.Imports {
		got = append(got, fmt.Sprintf("%s%v@%d top=%v dyn=%v", im.Module, im.Names, im.Line, im.TopLevel, im.Dynamic))
	}
	want := []string{
		"a.b[]@1 top=true dyn=false",
		"d[]@1 top=true dyn=false",
		"os[system popen]@2 top=true dyn=false",
		".[x]@3 top=true dyn=false",
		"..pkg.mod[*]@4 top=true dyn=false",
		"__future__[annotations]@5 top=true dyn=false",
		"json[]@7 top=false dyn=false",
		"socket[]@8 top=true dyn=true",
		"ctypes[]@9 top=true dyn=true",
	}
	if !slices.Equal(got, want) {
		t.Errorf("imports =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		src   string
		want  string
		bytes bool
		fstr  bool
	}{
		{`"plain"`, "plain", false, false},
		{`'a\tb\n'`, "a\tb\n", false, false},
		{`"\x41\101\u00e9\U0001F600"`, "AAé😀", false, false},
		{`"\N{BULLET}"`, `\N{BULLET}`, false, false},
		{`"\q\\"`, `\q\`, false, false},
		{`r"\x41\n"`, `\x41\n`, false, false},
		{`b"\xff\x00"`, "\xff\x00", true, false},
		{`b"\u0041"`, `\u0041`, true, false},
		{`"ab" 'cd' """ef"""`, "abcdef", false, false},
		{`f"x={x!r:>{w}}\n"`, `x={x!r:>{w}}\n`, false, true},
		{`"a" f"{b}"`, "a{b}", false, true},
		{"'''line\\\nnext'''", "linenext", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f := analyze(t, "x = "+tt.src+"\n", Options{})
			if len(f.Strings) != 1 {
				t.Fatalf("strings = %+v", f.Strings)
			}
			s := f.Strings[0]
			if s.Value != tt.want || s.Bytes != tt.bytes || s.FString != tt.fstr || s.Len != len(tt.want) || s.Line != 1 {
				t.Errorf("got %+v, want %q bytes=%v fstr=%v", s, tt.want, tt.bytes, tt.fstr)
			}
		})
	}
}

func TestEscapeCounts(t *testing.T) {
	f := analyze(t, `a = "\x41\x42\u0041\U00000041\N{DASH}\101\0"
b = r"\x41"
c = b"\x00\u0041"
d = f"{x}\x41"
`, Options{})
	o := f.Obfuscation
	if o.HexEscapes != 4 || o.UnicodeEscapes != 2 || o.NamedEscapes != 1 || o.OctalEscapes != 2 {
		t.Errorf("escapes = %+v", o)
	}
}

func TestStringCaps(t *testing.T) {
	src := fmt.Sprintf("a = %q\nb = %q\nc = 'x'\n", strings.Repeat("A", 100), strings.Repeat("B", 100))
	f := analyze(t, src, Options{MaxStringBytes: 150, MaxStrings: 2})
	if f.NumStrings != 3 || f.StringBytes != 201 || len(f.Strings) != 2 {
		t.Fatalf("NumStrings=%d StringBytes=%d kept=%d", f.NumStrings, f.StringBytes, len(f.Strings))
	}
	if len(f.Strings[0].Value) != 100 || len(f.Strings[1].Value) != 50 || f.Strings[1].Len != 100 {
		t.Errorf("values cut wrongly: %d %d", len(f.Strings[0].Value), len(f.Strings[1].Value))
	}
}

func TestDocstrings(t *testing.T) {
	f := analyze(t, `"""mod"""
x = "not doc"
def f():
    # comment first
    """fdoc"""
    return "no"
class C:
    "cdoc"
`, Options{})
	var docs []string
	for _, s := range f.Strings {
		if s.Doc {
			docs = append(docs, s.Value)
		}
	}
	if want := []string{"mod", "fdoc", "cdoc"}; !slices.Equal(docs, want) {
		t.Errorf("docstrings = %q, want %q", docs, want)
	}
}

func TestIdentifiersCommentsDefs(t *testing.T) {
	src := `# -*- coding: utf-8 -*-
from setuptools.command.install import install as _install
import atexit

@atexit.register
def hook(a, b=1, *args, k, **kw):  # trailing
    pass

class Post(_install, object, metaclass=Meta):
    def run(self):
        def inner(): pass
    @staticmethod
    def helper(): pass
`
	f := analyze(t, src, Options{})
	if want := []string{"-*- coding: utf-8 -*-", "trailing"}; !slices.Equal(f.Comments, want) {
		t.Errorf("comments = %q", f.Comments)
	}
	for _, id := range []string{"setuptools", "_install", "hook", "kw", "Post", "self", "metaclass"} {
		if !slices.Contains(f.Identifiers, id) {
			t.Errorf("identifier %q missing from %q", id, f.Identifiers)
		}
	}
	var defs []string
	for _, d := range f.Functions {
		defs = append(defs, fmt.Sprintf("%s/%s@%d-%d p=%d dec=%v", d.Scope, d.Name, d.Line, d.EndLine, d.Params, d.Decorators))
	}
	want := []string{
		"/hook@6-7 p=5 dec=[atexit.register]",
		"Post/run@10-11 p=1 dec=[]",
		"Post.run/inner@11-11 p=0 dec=[]",
		"Post/helper@13-13 p=0 dec=[staticmethod]",
	}
	if !slices.Equal(defs, want) {
		t.Errorf("defs =\n%s\nwant\n%s", strings.Join(defs, "\n"), strings.Join(want, "\n"))
	}
	if len(f.Classes) != 1 {
		t.Fatalf("classes = %+v", f.Classes)
	}
	c := f.Classes[0]
	if !slices.Equal(c.Bases, []string{"setuptools.command.install.install", "object"}) ||
		!slices.Equal(c.Methods, []string{"run", "helper"}) || c.Line != 9 || c.EndLine != 13 {
		t.Errorf("class = %+v", c)
	}
}

func TestCaps(t *testing.T) {
	src := strings.Repeat("# c\nf(a)\n", 10)
	f := analyze(t, src, Options{MaxCalls: 3, MaxIdentifiers: 4, MaxComments: 5})
	if len(f.Calls) != 3 || f.NumCalls != 10 || len(f.Identifiers) != 4 || f.NumIdentifiers != 20 ||
		len(f.Comments) != 5 || f.NumComments != 10 {
		t.Errorf("calls %d/%d idents %d/%d comments %d/%d", len(f.Calls), f.NumCalls,
			len(f.Identifiers), f.NumIdentifiers, len(f.Comments), f.NumComments)
	}
}

func TestSetupCalls(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
	}{
		{"setuptools dict literal", `from setuptools import setup
setup(name="x", cmdclass={'install': PostInstall, "develop": cmds.Dev}, **extra)`,
			"setuptools.setup@2 [name cmdclass] splat=true [install:PostInstall develop:cmds.Dev]"},
		{"distutils dict call", `from distutils.core import setup
setup(name="x", cmdclass=dict(install=I))`,
			"distutils.core.setup@2 [name cmdclass] splat=false [install:I]"},
		{"module attribute, dict via name", `import setuptools
cmds = {"install": Evil}
setuptools.setup(cmdclass=cmds)`,
			"setuptools.setup@3 [cmdclass] splat=false [install:Evil]"},
		{"bare setup", `setup(name="x")`, "setup@1 [name] splat=false []"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := analyze(t, tt.src, Options{})
			if len(f.SetupCalls) != 1 {
				t.Fatalf("setup calls = %+v", f.SetupCalls)
			}
			s := f.SetupCalls[0]
			var cc []string
			for _, c := range s.CmdClass {
				cc = append(cc, c.Command+":"+c.Class)
			}
			got := fmt.Sprintf("%s@%d %v splat=%v [%s]", s.Name, s.Line, s.Keywords, s.KwSplat, strings.Join(cc, " "))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestObfuscationCounters(t *testing.T) {
	src := "v = chr(104)+chr(105)+'x'+(chr(0x6a)+chr(107))\n" +
		"w = chr(1) + chr(n)\n" +
		"ab\u200bcd = 1\n" +
		"\u202eevil = 2\n" +
		"caf\u00e9 = \"\u2066\"\n" +
		"from pytransform import pyarmor_runtime\n__pyarmor__(__name__, __file__, b'\\x50')\n" +
		"z = '\xff'\n"
	f := analyze(t, "\ufeff"+src, Options{})
	o := f.Obfuscation
	want := Obfuscation{
		ChrCalls: 5, MaxChrChain: 4, HexEscapes: 1,
		NonASCIIIdentChars: 1, ZeroWidthChars: 1, BidiChars: 2,
		InvalidUTF8: 1, PyArmorMarkers: 3,
	}
	if o != want {
		t.Errorf("obfuscation = %+v\nwant          %+v", o, want)
	}
	if f.ErrorNodes == 0 || !f.HasError {
		t.Errorf("zero-width/bidi in identifiers should be syntax errors: %d", f.ErrorNodes)
	}
}

func TestLines(t *testing.T) {
	long := strings.Repeat("é", LongLineThreshold+1)
	f := analyze(t, "a = 1\r\nb = '"+long+"'\n\nc", Options{})
	if f.Lines != 4 || f.MaxLineLen != LongLineThreshold+7 || f.NumLongLines != 1 || f.Bytes != f.AnalyzedBytes {
		t.Errorf("lines=%d max=%d long=%d", f.Lines, f.MaxLineLen, f.NumLongLines)
	}
	if f := analyze(t, "", Options{}); f.Lines != 0 || f.Nodes != 1 {
		t.Errorf("empty: lines=%d nodes=%d", f.Lines, f.Nodes)
	}
	if f := analyze(t, "x\n", Options{}); f.Lines != 1 {
		t.Errorf("one line: %d", f.Lines)
	}
}

func TestMaxBytes(t *testing.T) {
	src := "import os\nos.system('a')\nos.system('b')\n"
	f := analyze(t, src, Options{MaxBytes: 30})
	if !f.Truncated || f.AnalyzedBytes != 25 || f.Bytes != len(src) || f.Lines != 3 {
		t.Errorf("truncated=%v analyzed=%d bytes=%d lines=%d", f.Truncated, f.AnalyzedBytes, f.Bytes, f.Lines)
	}
	if got := callNames(f); !slices.Equal(got, []string{"os.system"}) {
		t.Errorf("calls after truncation = %q", got)
	}

	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Analyze([]byte(src), Options{MaxBytes: 30, RejectOversize: true}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("RejectOversize: err = %v", err)
	}
	// No newline in range: cut on a UTF-8 boundary.
	if got := truncate([]byte("ééé"), 3); string(got) != "é" {
		t.Errorf("truncate = %q", got)
	}
	if f := analyze(t, src, Options{MaxBytes: -1}); f.Truncated {
		t.Error("MaxBytes -1 should mean no limit")
	}
}

func TestTimeout(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	slow := []byte(strings.Repeat("\xff\x00:)(=", 200000))
	valid := []byte(strings.Repeat("x = f(a, b)\n", 20000))
	tests := []struct {
		name   string
		src    []byte
		opts   Options
		err    error
		reason FallbackReason
	}{
		{"lexical errors go to the fallback whatever the budget", slow, Options{Timeout: -1}, nil, FallbackLexErrors},
		{"no pre-scan, no fallback: ErrTimeout", slow, Options{Timeout: 1, MaxLexErrors: -1, NoFallback: true}, ErrTimeout, ""},
		{"no pre-scan: timeout fallback", slow, Options{Timeout: 1, MaxLexErrors: -1}, nil, FallbackTimeout},
		{"valid code over budget: timeout fallback", valid, Options{Timeout: 1}, nil, FallbackTimeout},
		{"valid code in budget", valid, Options{}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := p.Analyze(tc.src, tc.opts)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if f.Fallback != tc.reason {
				t.Errorf("fallback %q, want %q", f.Fallback, tc.reason)
			}
			if tc.src[0] == 'x' && f.NumCalls != 20000 {
				t.Errorf("%d calls, want 20000", f.NumCalls)
			}
			// The parser is reset and usable after a cancelled parse.
			f, err = p.Analyze([]byte("os.system('x')"), Options{})
			if err != nil || len(f.Calls) != 1 || f.Fallback != "" {
				t.Fatalf("after: %v %+v", err, f)
			}
		})
	}
}

func TestClosedParserAndPool(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := p.Analyze(nil, Options{}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed parser: err = %v", err)
	}

	pool := NewPool(2)
	defer pool.Close()
	done := make(chan error)
	for w := range 4 {
		go func() {
			for i := range 20 {
				f, err := pool.Analyze(fmt.Appendf(nil, "import os\nos.system('%d-%d')\n", w, i), Options{})
				if err == nil && (len(f.Calls) != 1 || f.Calls[0].Name != "os.system") {
					err = fmt.Errorf("calls = %+v", f.Calls)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// The native (C) flattener and the pure-Go cursor walk must agree.
func TestFlattenPathsAgree(t *testing.T) {
	if !nativeOK {
		t.Skip("native flatten unavailable")
	}
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, src := range []string{malwareSetup, "def f(:\n  x = [1,\n", "", "print 'x'\n\xff(("} {
		tree, err := p.parse([]byte(src), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		native, ok := nativeFlatten(tree.RootNode(), nil)
		viaGo := cursorFlatten(tree, nil)
		tree.Close()
		if !ok || !slices.Equal(native, viaGo) {
			t.Errorf("%q: native %d nodes, go %d nodes, equal=%v", src, len(native), len(viaGo), slices.Equal(native, viaGo))
		}
	}
}

// TestUnterminatedString checks broken code still yields a tree and the
// parse error is counted rather than returned.
func TestUnterminatedString(t *testing.T) {
	f := analyze(t, "x = \"unterminated\ny = exec(z)\n", Options{})
	if !f.HasError || f.ErrorNodes == 0 {
		t.Errorf("hasError=%v errors=%d, want a counted parse error", f.HasError, f.ErrorNodes)
	}
}
