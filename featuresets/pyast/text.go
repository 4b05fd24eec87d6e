package pyast

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

var pyarmorMarkers = [][]byte{
	[]byte("__pyarmor__"),
	[]byte("pyarmor_runtime"),
	[]byte("from pytransform import"),
}

// scanText fills the byte-level facts of f from the whole input.
func scanText(src []byte, f *File) {
	for rest := src; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		n := utf8.RuneCount(line)
		f.Lines++
		f.MaxLineLen = max(f.MaxLineLen, n)
		if n > LongLineThreshold {
			f.NumLongLines++
		}
	}

	o := &f.Obfuscation
	for i := 0; i < len(src); {
		b := src[i]
		if b < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			o.InvalidUTF8++
		case r == 0xFEFF && i == 0: // byte order mark
		case isZeroWidth(r):
			o.ZeroWidthChars++
		case isBidi(r):
			o.BidiChars++
		}
		i += size
	}
	for _, m := range pyarmorMarkers {
		o.PyArmorMarkers += bytes.Count(src, m)
	}
}

func isZeroWidth(r rune) bool {
	return r >= 0x200B && r <= 0x200D || r == 0x2060 || r == 0xFEFF
}

func isBidi(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []uint32 // start offset of each line after the first

func newLineIndex(src []byte) lineIndex {
	var li lineIndex
	for i, b := range src {
		if b == '\n' {
			li = append(li, uint32(i+1))
		}
	}
	return li
}

func (li lineIndex) line(off uint32) int {
	lo, hi := 0, len(li)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if li[m] <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo + 1
}

// snippet renders b on one line with whitespace runs collapsed, cut to
// SnippetRunes characters, as valid UTF-8.
func snippet(b []byte) string {
	// Whitespace does not count towards the length, so bound the bytes
	// looked at too: a call padded with megabytes of blanks stays cheap.
	b = b[:min(len(b), snippetWindow)]
	var sb strings.Builder
	sb.Grow(min(len(b), SnippetRunes+8))
	n, space := 0, false
	for i := 0; i < len(b) && n < SnippetRunes; {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' {
			space = true
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
			n++
			if n >= SnippetRunes {
				break
			}
		}
		space = false
		sb.WriteRune(r) // RuneError for invalid bytes
		n++
	}
	return sb.String()
}

// validText returns b as a string with invalid UTF-8 replaced by U+FFFD.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// cutName bounds resolved names; see MaxNameLen.
func cutName(s string) string {
	if len(s) <= MaxNameLen {
		return s
	}
	cut := MaxNameLen
	for k := 0; k < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); k++ {
		cut--
	}
	return s[:cut]
}
