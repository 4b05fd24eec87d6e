// Package hostile generates inputs written to exhaust a static analyser:
// deep nesting, long operator chains, huge lines, invalid characters and
// oversized metadata. Tests and benchmarks build them in memory (nothing
// is shipped as an archive) at a size given as a repetition count, so the
// same family can show how the cost grows with its input.
package hostile

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
)

// Family is one kind of hostile Python source.
type Family struct {
	Name string
	// Gen returns the source for n repetitions of the family's unit.
	Gen func(n int) []byte
	// N is the size that shows the growth (100k–200k repetitions or tens
	// of MB); Short is a size small enough for every test run.
	N, Short int
}

// repeat writes s n times.
func repeat(b *bytes.Buffer, s string, n int) {
	b.Grow(len(s) * n)
	for range n {
		b.WriteString(s)
	}
}

// indented writes n lines, line k indented by k spaces: n²/2 bytes.
func indented(line, last string, n int) []byte {
	var b bytes.Buffer
	b.Grow(n*len(line) + n*n/2 + len(last) + n)
	for k := range n {
		b.WriteString(strings.Repeat(" ", k))
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat(" ", n))
	b.WriteString(last)
	return b.Bytes()
}

// nested writes open n times, then mid, then close n times.
func nested(prefix, open, mid, close string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(prefix)
	repeat(&b, open, n)
	b.WriteString(mid)
	repeat(&b, close, n)
	b.WriteString("\n")
	return b.Bytes()
}

// HostileIdentifier is the identifier of the issue that hung a scan: n
// 'x' characters interleaved with U+200B (zero width space) and U+202E
// (right-to-left override), neither of which may appear in a Python
// identifier.
func HostileIdentifier(n int) []byte {
	var b bytes.Buffer
	b.Grow(4*n + 16)
	b.WriteString("import os\n")
	for k := range n {
		b.WriteByte('x')
		if k%2 == 0 {
			b.WriteString("\u200b")
		} else {
			b.WriteString("\u202e")
		}
	}
	b.WriteString(" = 1\n")
	return b.Bytes()
}

// invalidRunes cycles through characters that are invalid in Python source
// outside strings and comments: zero-width and bidi controls, symbols,
// punctuation, a no-break space and ASCII controls.
var invalidRunes = []string{"\u200b", "\u200c", "\u202e", "\u2066", "\u00a0", "€", "¿", "§", "\x01", "$", "?", "`", "\u2028", "\ufeff"}

// Python lists the source families. Sizes are repetitions of the unit.
func Python() []Family {
	return []Family{
		{"parens", func(n int) []byte { return nested("x = ", "(", "1", ")", n) }, 100_000, 5_000},
		{"lists", func(n int) []byte { return nested("x = ", "[", "1", "]", n) }, 100_000, 5_000},
		{"calls", func(n int) []byte { return nested("x = ", "f(", "1", ")", n) }, 100_000, 5_000},
		{"attributes", func(n int) []byte { return nested("x = a", ".b", "()", "", n) }, 100_000, 5_000},
		{"method-chain", func(n int) []byte { return nested("x = os", ".f()", "", "", n) }, 100_000, 5_000},
		{"lambdas", func(n int) []byte { return nested("f = ", "lambda: ", "0", "", n) }, 100_000, 5_000},
		{"decorators", func(n int) []byte {
			var b bytes.Buffer
			repeat(&b, "@d\n", n)
			b.WriteString("def f():\n    pass\n")
			return b.Bytes()
		}, 200_000, 5_000},
		{"indentation", func(n int) []byte { return indented("if x:\n", "pass\n", n) }, 6_000, 500},
		{"function-defs", func(n int) []byte { return indented("def f():\n", "pass\n", n) }, 6_000, 500},
		{"str-plus-chain", func(n int) []byte { return nested("s = \"a\"", " + \"b\"", "", "", n) }, 200_000, 5_000},
		{"chr-plus-chain", func(n int) []byte { return nested("s = chr(97)", " + chr(98)", "", "", n) }, 200_000, 5_000},
		{"long-line", func(n int) []byte { return nested("x = [", "1234567,", "0]", "", n) }, 4_000_000, 20_000}, // n×8 bytes on one line: 32 MB
		{"string-assignments", func(n int) []byte {
			var b bytes.Buffer
			for k := range n {
				fmt.Fprintf(&b, "v%d = \"https://example.com/%d\"\n", k, k)
			}
			return b.Bytes()
		}, 200_000, 5_000},
		{"nul-utf8-bom-crlf", func(n int) []byte {
			var b bytes.Buffer
			b.WriteString("\ufeffimport os\r\n")
			repeat(&b, "x = 1\x00\xff\xfe\r\nos.system('a\x00b')\r\n\xc3(\x80\r\n", n)
			return b.Bytes()
		}, 200_000, 5_000},
		{"hostile-identifier", HostileIdentifier, 100_000, 100_000},
		{"invalid-chars", func(n int) []byte {
			var b bytes.Buffer
			b.WriteString("import os\nos.system('id')\n")
			for k := range n {
				b.WriteString(invalidRunes[k%len(invalidRunes)])
				if k%7 == 3 {
					b.WriteByte('y')
				}
			}
			b.WriteString("\n")
			return b.Bytes()
		}, 200_000, 20_000},
		{"error-tokens", func(n int) []byte { return nested("x = ", ") ( ] [ , : ", "", "", n) }, 100_000, 5_000},
		// One error per line: tree-sitter's recovery cost grows with the
		// number of earlier errors, so this is quadratic without a pre-scan.
		{"error-lines", func(n int) []byte { return nested("", "x = ) ( ] [ , :\n", "", "", n) }, 100_000, 5_000},
	}
}

// PKGInfo returns core metadata with n headers after the usual ones, and
// (when cont) n continuation lines of a Description instead.
func PKGInfo(n int, cont bool) []byte {
	var b bytes.Buffer
	b.WriteString("Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\n")
	if cont {
		b.WriteString("Description: start\n")
		repeat(&b, "        |more text on a continuation line\n", n)
	} else {
		for k := range n {
			fmt.Fprintf(&b, "Classifier: Topic :: Hostile :: %d\n", k)
		}
	}
	b.WriteString("\nbody\n")
	return b.Bytes()
}

// File is one member of a generated sdist.
type File struct {
	Path string
	Data []byte
}

// TinyFiles returns n one-line Python files in a package folder.
func TinyFiles(n int) []File {
	out := make([]File, 0, n)
	for k := range n {
		out = append(out, File{Path: fmt.Sprintf("pkg/m%05d.py", k), Data: []byte(fmt.Sprintf("import os\nX%d = os.getenv('HOME')\n", k))})
	}
	return out
}

// Sdist packs files as name-1.0/<path> into an in-memory .tar.gz with a
// PKG-INFO (given, or a minimal one when meta is nil).
func Sdist(name string, meta []byte, files []File) ([]byte, error) {
	if meta == nil {
		meta = []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n")
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("hostile: gzip: %w", err)
	}
	tw := tar.NewWriter(zw)
	all := append([]File{{Path: "PKG-INFO", Data: meta}}, files...)
	for _, f := range all {
		h := &tar.Header{Name: name + "-1.0/" + f.Path, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("hostile: tar %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("hostile: tar %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("hostile: tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("hostile: gzip: %w", err)
	}
	return buf.Bytes(), nil
}
