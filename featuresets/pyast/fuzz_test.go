package pyast

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pypimal/internal/hostile"
)

// Fuzz time limits. Inputs are at most fuzzMaxBytes (64 KB), which normal
// code parses in about 10 ms: an input that needs the whole fuzzBudget went
// down a super-linear path the pre-scan did not catch, and one that takes
// longer than fuzzLimit was not stopped by the budget. Both are failures.
const (
	fuzzMaxBytes = 64 << 10
	fuzzBudget   = time.Second
	fuzzLimit    = 5 * time.Second
)

// fuzzSeeds adds small copies of every hostile family.
func fuzzSeeds(f *testing.F) {
	for _, fam := range hostile.Python() {
		if src := fam.Gen(min(fam.Short, 300)); len(src) <= fuzzMaxBytes {
			f.Add(src)
		}
	}
}

var fuzzOpts = Options{MaxBytes: fuzzMaxBytes, MaxStrings: 100, MaxCalls: 100, MaxIdentifiers: 100, MaxComments: 20, Timeout: fuzzBudget}

// FuzzAnalyze feeds arbitrary bytes to the analyser: it must never panic,
// what it reports must stay within the documented caps, and it must not
// run out of its time budget (see fuzzBudget).
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"import os\nos.system('id')\n",
		"import subprocess as sp\nsp.Popen(['sh'])\n",
		"getattr(__builtins__, 'ex'+'ec')(x)\n",
		"__import__('os').system(chr(105)+chr(100))\n",
		"from setuptools import setup\nsetup(name='x', cmdclass={'install': I}, **kw)\n",
		"exec(base64.b64decode('aW1wb3J0IG9z'))\n",
		"x = f'{a!r:>{w}}' b'\\xff' '\\N{BULLET}'\n",
		"print 'py2'\nexec 'x'\n",
		"imp\u200bort = 1\n",
		"def f(:\n  (((\n",
		"\xff\xfe\x00garbage",
		strings.Repeat("(", 3000),
	} {
		f.Add([]byte(s))
	}
	fuzzSeeds(f)
	p, err := NewParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		file, err := p.Analyze(src, fuzzOpts)
		if d := time.Since(start); d > fuzzLimit {
			t.Fatalf("%d bytes took %v, budget %v", len(src), d, fuzzBudget)
		}
		if err != nil {
			return // a wrapped, typed error is fine; a panic is not
		}
		if file.Fallback == FallbackTimeout {
			t.Fatalf("%d bytes ran out of the %v budget: a slow path the pre-scan misses", len(src), fuzzBudget)
		}
		checkFile(t, file, fuzzOpts)
	})
}

// FuzzFallback runs the linear fallback on arbitrary bytes: it must never
// panic, must keep within the caps and must stay fast.
func FuzzFallback(f *testing.F) {
	for _, s := range []string{
		"import os as o\no.system('x')\n",
		"from . import (a as b,\n c)\n",
		"@d\nclass C(B, metaclass=M):\n def f(s): getattr(s, 'a' 'b')()\n",
		"setup(cmdclass={'install': I}, **kw)\n",
		"'''\n", "\\\n", "f'{x}' rb'\\x00'\n", ")]}", "x.(y)[z].w()\n",
	} {
		f.Add([]byte(s))
	}
	fuzzSeeds(f)
	p, err := NewParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	opts := fuzzOpts.withDefaults()
	f.Fuzz(func(t *testing.T, src []byte) {
		src = src[:min(len(src), fuzzMaxBytes)]
		start := time.Now()
		file := p.fallback(src, File{Bytes: len(src), AnalyzedBytes: len(src)}, opts, FallbackTimeout)
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("fallback on %d bytes took %v", len(src), d)
		}
		checkFile(t, file, opts)
	})
}

// checkFile checks what every analysis promises: caps and valid, bounded
// names.
func checkFile(t *testing.T, file *File, opts Options) {
	t.Helper()
	if len(file.Calls) > opts.MaxCalls || len(file.Strings) > opts.MaxStrings ||
		len(file.Identifiers) > opts.MaxIdentifiers || len(file.Comments) > opts.MaxComments {
		t.Fatalf("caps exceeded: %d calls, %d strings, %d identifiers, %d comments",
			len(file.Calls), len(file.Strings), len(file.Identifiers), len(file.Comments))
	}
	for _, c := range file.Calls {
		if len(c.Name) > MaxNameLen || !utf8.ValidString(c.Name) {
			t.Fatalf("bad call name %q", c.Name)
		}
		if utf8.RuneCountInString(c.Snippet) > SnippetRunes+1 {
			t.Fatalf("snippet too long: %q", c.Snippet)
		}
	}
	for _, id := range file.Identifiers {
		if !utf8.ValidString(id) {
			t.Fatalf("identifier not UTF-8: %q", id)
		}
	}
}
