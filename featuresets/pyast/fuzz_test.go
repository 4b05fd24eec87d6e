package pyast

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAnalyze feeds arbitrary bytes to the analyser: it must never panic,
// and what it reports must stay within the documented caps.
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
	p, err := NewParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	opts := Options{MaxBytes: 64 << 10, MaxStrings: 100, MaxCalls: 100, MaxIdentifiers: 100, MaxComments: 20}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := p.Analyze(src, opts)
		if err != nil {
			return // a wrapped, typed error is fine; a panic is not
		}
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
	})
}
