package dataset

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Metadata is a parsed PKG-INFO / METADATA file (core metadata, RFC 822 style).
// Header names are matched case-insensitively; repeated fields such as
// Classifier and Requires-Dist keep every value in order.
type Metadata struct {
	Fields   []Field // in file order
	Body     string  // the message body: the long description in metadata 2.1+
	Encoding string  // how the bytes were decoded: utf-8, utf-8-bom, utf-16le, utf-16be, latin-1
}

// Field is one header.
type Field struct {
	Name  string // as written
	Value string // continuation lines joined with "\n"
}

// Get returns the first value of the named field, or "".
func (m *Metadata) Get(name string) string {
	if m == nil {
		return ""
	}
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// All returns every value of the named field in file order.
func (m *Metadata) All(name string) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Description is the long description: the Description header when present
// (metadata ≤ 2.0), otherwise the body.
func (m *Metadata) Description() string {
	if m == nil {
		return ""
	}
	if d := m.Get("Description"); d != "" && strings.TrimSpace(d) != "UNKNOWN" {
		return d
	}
	return m.Body
}

// maxMetadataBytes bounds the metadata we parse; real ones are a few kB, long
// descriptions reach a few hundred kB.
const maxMetadataBytes = 4 << 20

// ParseMetadata parses core metadata. It accepts any byte sequence: text that
// is not UTF-8 is decoded from UTF-16 (with a BOM) or Latin-1. It fails only
// when the input has no header at all.
func ParseMetadata(b []byte) (*Metadata, error) {
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadMetadata, len(b), maxMetadataBytes)
	}
	text, enc := decodeText(b)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	m := &Metadata{Encoding: enc}
	lines := strings.Split(text, "\n")
	// Continuation lines are joined once per field: appending each to the
	// value in turn would copy it again per line (quadratic on a hostile
	// file of 100,000 continuation lines).
	var cont []string
	flush := func() {
		if len(cont) > 0 {
			last := &m.Fields[len(m.Fields)-1]
			last.Value += "\n" + strings.Join(cont, "\n")
			cont = cont[:0]
		}
	}
	i := 0
	for ; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			// The first empty line ends the headers; a file that opens with
			// blank lines has none yet, so skip them. A line of spaces
			// after a header continues it, as in Python's email parser:
			// distutils writes the blank lines of a multi-line
			// Description as 8 spaces.
			if len(m.Fields) == 0 {
				continue
			}
			if line != "" && (line[0] == ' ' || line[0] == '\t') {
				last := &m.Fields[len(m.Fields)-1]
				last.Value += "\n"
				continue
			}
			i++
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(m.Fields) == 0 {
				continue // continuation with nothing to continue: ignore
			}
			cont = append(cont, unindentContinuation(line))
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validFieldName(name) {
			if len(m.Fields) == 0 {
				return nil, fmt.Errorf("%w: line 1 is not a header: %q", ErrBadMetadata, truncate(line, 60))
			}
			// A stray line inside the headers: end of headers, rest is body.
			break
		}
		flush()
		m.Fields = append(m.Fields, Field{Name: name, Value: strings.TrimSpace(value)})
	}
	flush()
	if len(m.Fields) == 0 {
		return nil, fmt.Errorf("%w: no header fields", ErrBadMetadata)
	}
	if i < len(lines) {
		m.Body = strings.TrimRight(strings.Join(lines[i:], "\n"), "\n")
	}
	return m, nil
}

// unindentContinuation undoes the two indentations setuptools has used for
// multi-line Description headers: 8 spaces then "|", or plain whitespace.
func unindentContinuation(line string) string {
	s := strings.TrimLeft(line, " \t")
	if strings.HasPrefix(line, "        |") {
		return strings.TrimPrefix(line, "        |")
	}
	return s
}

func validFieldName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// decodeText turns metadata bytes into a string and names the encoding used.
func decodeText(b []byte) (string, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD"), "utf-8-bom"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b[2:], false), "utf-16le"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b[2:], true), "utf-16be"
	case utf8.Valid(b):
		return string(b), "utf-8"
	}
	// Not UTF-8 and no BOM: Latin-1 maps every byte to a rune, so nothing is lost.
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r), "latin-1"
}

func decodeUTF16(b []byte, bigEndian bool) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return string(utf16.Decode(u))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
