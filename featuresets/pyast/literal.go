package pyast

import (
	"bytes"
	"unicode/utf8"
)

// strPrefix holds the flags of a string literal prefix such as rb or F.
type strPrefix struct {
	raw, bytes, fstr bool
}

// parsePrefix reads the prefix letters of a string_start token (`rb"""`).
func parsePrefix(start []byte) strPrefix {
	var p strPrefix
	for _, c := range start {
		switch c | 0x20 { // ASCII lower case
		case 'r':
			p.raw = true
		case 'b':
			p.bytes = true
		case 'f', 't': // t-strings (3.14) interpolate like f-strings
			p.fstr = true
		case 'u':
		default:
			return p
		}
	}
	return p
}

// escapeCounts tallies escape sequences by family.
type escapeCounts struct {
	hex, unicode, named, octal int
}

// decodeEscapes appends the value of literal content s to out, decoding
// escape sequences as Python does for str (or bytes when isBytes). \N{...}
// is kept as written since resolving Unicode names needs a name table;
// malformed escapes are kept as written.
func decodeEscapes(out, s []byte, isBytes bool, ec *escapeCounts) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(out, s...)
		}
		out = append(out, s[:i]...)
		s = s[i:]
		if len(s) < 2 {
			return append(out, s...)
		}
		c := s[1]
		n := 2 // bytes consumed
		switch c {
		case '\n':
		case '\r':
			if len(s) > 2 && s[2] == '\n' {
				n = 3
			}
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, 10)
		case 'r':
			out = append(out, 13)
		case 't':
			out = append(out, 9)
		case 'v':
			out = append(out, 11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := 0
			n = 1
			for n < 4 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
				v = v*8 + int(s[n]-'0')
				n++
			}
			ec.octal++
			out = appendCode(out, rune(v), isBytes)
		case 'x':
			v, ok := hexValue(s[2:], 2)
			if !ok {
				out = append(out, '\\')
				n = 1
				break
			}
			ec.hex++
			n = 4
			out = appendCode(out, v, isBytes)
		case 'u', 'U':
			digits := 4
			if c == 'U' {
				digits = 8
			}
			v, ok := hexValue(s[2:], digits)
			if isBytes || !ok || v < 0 || v > utf8.MaxRune {
				out = append(out, '\\')
				n = 1
				break
			}
			ec.unicode++
			n = 2 + digits
			out = utf8.AppendRune(out, v)
		case 'N':
			end := -1
			if !isBytes && len(s) > 2 && s[2] == '{' {
				end = bytes.IndexByte(s[3:], '}')
			}
			if end < 0 {
				out = append(out, '\\')
				n = 1
				break
			}
			ec.named++
			n = 3 + end + 1
			out = append(out, s[:n]...)
		default:
			// Unknown escape: Python keeps the backslash.
			out = append(out, '\\')
			n = 1
		}
		s = s[n:]
	}
	return out
}

// appendCode appends code point v as a byte (bytes literals) or as UTF-8.
func appendCode(out []byte, v rune, isBytes bool) []byte {
	if isBytes {
		return append(out, byte(v))
	}
	return utf8.AppendRune(out, v)
}

func hexValue(s []byte, digits int) (rune, bool) {
	if len(s) < digits {
		return 0, false
	}
	var v rune
	for _, c := range s[:digits] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = v<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
