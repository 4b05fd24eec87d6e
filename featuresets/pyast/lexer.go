package pyast

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The lexer is a single forward pass over the source with no backtracking,
// so its cost is linear in the input whatever the input is. It serves two
// purposes: the pre-scan that sends pathological files to the fallback
// before tree-sitter sees them, and the token stream of the fallback.

type tokKind uint8

const (
	tName tokKind = iota
	tNumber
	tString
	tComment
	tOp
	tNewline // end of a logical line (outside brackets)
)

type token struct {
	kind       tokKind
	start, end uint32 // the whole token
	// Strings: the content between the quotes and the prefix.
	cstart, cend uint32
	pf           strPrefix
	line         int32 // 1-based line of the first character
	indent       int32 // indentation of the logical line holding the token
	depth        int32 // bracket depth before the token
}

// lexStats are the pre-scan's counts of lexical errors: things tree-sitter
// can only meet with error recovery, which is where its cost becomes
// super-linear.
type lexStats struct {
	invalid    int // characters that cannot appear outside strings and comments
	badClose   int // closing brackets with no or the wrong opening one
	unclosed   int // single-quoted strings cut by the end of the line
	maxDepth   int // deepest bracket nesting
	maxIndent  int // most indentation levels open at once
	tokens     int
	identChars int // non-ASCII characters in names
}

func (s lexStats) errors() int { return s.invalid + s.badClose + s.unclosed }

// CPython's own limits: its tokenizer refuses more than 200 nested
// brackets (MAXLEVEL) and 100 indentation levels (MAXINDENT). Deeper code
// is not valid Python, so it goes to the fallback instead of making
// tree-sitter and the walks over its tree pay for the depth.
const (
	MaxBracketDepth = 200
	MaxIndentLevels = 100
)

// nestingTooDeep reports whether the file is nested beyond CPython's limits.
func (s lexStats) nestingTooDeep() bool {
	return s.maxDepth > MaxBracketDepth || s.maxIndent > MaxIndentLevels
}

// lexer tokenises Python leniently: anything it does not understand is
// counted and skipped one character at a time.
type lexer struct {
	src     []byte
	pos     int
	line    int32
	indent  int32
	bol     bool // at the beginning of a logical line: the next token sets indent
	stack   []byte
	indents []int32 // open indentation columns
	stats   lexStats
	// keep is false for the pre-scan, which only counts.
	keep bool
	toks []token
}

// asciiName marks the ASCII characters that continue a name.
var asciiName = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
	}
	return t
}()

func isNameStart(r rune) bool {
	return r == '_' || r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r))
}

func isNameCont(r rune) bool {
	return isNameStart(r) || r < utf8.RuneSelf && r >= '0' && r <= '9' ||
		r >= utf8.RuneSelf && (unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc, unicode.Other_ID_Continue))
}

// opPairs are the two-character operators whose first character could
// also stand alone; '=' must not be read out of "==" or "<=".
var opPairs = map[[2]byte]bool{
	{'=', '='}: true, {'!', '='}: true, {'<', '='}: true, {'>', '='}: true, {'*', '*'}: true, {'/', '/'}: true,
	{'-', '>'}: true, {':', '='}: true, {'<', '<'}: true, {'>', '>'}: true, {'+', '='}: true, {'-', '='}: true,
	{'*', '='}: true, {'/', '='}: true, {'%', '='}: true, {'&', '='}: true, {'|', '='}: true, {'^', '='}: true,
	{'@', '='}: true, {'<', '>'}: true,
}

func lex(src []byte, keep bool) ([]token, lexStats) {
	l := &lexer{src: src, line: 1, bol: true, keep: keep}
	// A leading byte order mark is not a character of the program.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.pos = 3
	}
	l.run()
	return l.toks, l.stats
}

func (l *lexer) emit(t token) {
	l.stats.tokens++
	if l.bol && t.kind != tNewline {
		l.bol = false
		l.indentLevel()
	}
	if !l.keep {
		return
	}
	t.line, t.indent, t.depth = l.line, l.indent, int32(len(l.stack))
	l.toks = append(l.toks, t)
}

func (l *lexer) run() {
	src := l.src
	col := int32(0) // indentation so far on this physical line
	for l.pos < len(src) {
		c := src[l.pos]
		switch c {
		case '\n':
			if len(l.stack) == 0 && !l.bol {
				l.emit(token{kind: tNewline, start: uint32(l.pos), end: uint32(l.pos + 1)})
				l.bol = true
			}
			l.pos++
			l.line++
			col = 0
			continue
		case ' ', '\f':
			l.pos++
			col++
			continue
		case '\t':
			l.pos++
			col = (col/8 + 1) * 8
			continue
		case '\r':
			l.pos++
			continue
		case '\\':
			if l.pos+1 < len(src) && (src[l.pos+1] == '\n' || src[l.pos+1] == '\r') {
				l.pos++ // line continuation: the newline is skipped by the next turn
				if src[l.pos] == '\r' && l.pos+1 < len(src) && src[l.pos+1] == '\n' {
					l.pos++
				}
				l.pos++
				l.line++
				continue
			}
			l.invalid(1)
			continue
		case '#':
			end := len(src)
			if k := bytes.IndexByte(src[l.pos:], '\n'); k >= 0 {
				end = l.pos + k
			}
			if l.keep {
				l.toks = append(l.toks, token{kind: tComment, start: uint32(l.pos), end: uint32(end), line: l.line, indent: l.indent, depth: int32(len(l.stack))})
			}
			l.pos = end
			continue
		}
		if l.bol {
			l.indent = col
		}
		switch {
		case c == '"' || c == '\'':
			l.str(l.pos, strPrefix{})
		case c >= '0' && c <= '9' || c == '.' && l.pos+1 < len(src) && src[l.pos+1] >= '0' && src[l.pos+1] <= '9':
			end := l.pos + 1
			for end < len(src) {
				b := src[end]
				if b == '.' || b == '_' || b >= '0' && b <= '9' || b|0x20 >= 'a' && b|0x20 <= 'z' {
					end++
					continue
				}
				// 1e+5, 1E-3
				if (b == '+' || b == '-') && src[end-1]|0x20 == 'e' {
					end++
					continue
				}
				break
			}
			l.emit(token{kind: tNumber, start: uint32(l.pos), end: uint32(end)})
			l.pos = end
		case c < utf8.RuneSelf && isNameStart(rune(c)) || c >= utf8.RuneSelf:
			l.name()
		default:
			l.op()
		}
	}
	if !l.bol && l.keep {
		l.emit(token{kind: tNewline, start: uint32(len(src)), end: uint32(len(src))})
	}
}

// indentLevel tracks the open indentation levels of the logical line that
// starts now, as Python's tokenizer does.
func (l *lexer) indentLevel() {
	n := len(l.indents)
	for n > 0 && l.indents[n-1] > l.indent {
		n--
	}
	l.indents = l.indents[:n]
	if l.indent > 0 && (n == 0 || l.indents[n-1] < l.indent) {
		l.indents = append(l.indents, l.indent)
		l.stats.maxIndent = max(l.stats.maxIndent, len(l.indents))
	}
}

func (l *lexer) invalid(size int) {
	l.stats.invalid++
	l.pos += size
}

// name reads an identifier, or a string when the name is a prefix.
func (l *lexer) name() {
	src := l.src
	start := l.pos
	end := l.pos
	nonASCII := 0
	for end < len(src) {
		b := src[end]
		if b < utf8.RuneSelf {
			if !asciiName[b] {
				break
			}
			end++
			continue
		}
		r, size := utf8.DecodeRune(src[end:])
		if r == utf8.RuneError || !(end == start && isNameStart(r) || end > start && isNameCont(r)) {
			break
		}
		nonASCII++
		end += size
	}
	if end == start { // a non-ASCII character that is not a letter
		_, size := utf8.DecodeRune(src[start:])
		l.invalid(size)
		return
	}
	l.stats.identChars += nonASCII
	if end < len(src) && (src[end] == '"' || src[end] == '\'') && end-start <= 2 {
		if pf, ok := stringPrefix(src[start:end]); ok {
			l.str(end, pf)
			l.toks = l.fixStart(start)
			return
		}
	}
	l.emit(token{kind: tName, start: uint32(start), end: uint32(end)})
	l.pos = end
}

// fixStart moves the start of the string just emitted back over its prefix.
func (l *lexer) fixStart(start int) []token {
	if l.keep && len(l.toks) > 0 {
		l.toks[len(l.toks)-1].start = uint32(start)
	}
	return l.toks
}

// stringPrefix accepts the prefixes Python allows (any case, any order):
// r, u, b, f, t, br, rb, fr, rf, tr, rt.
func stringPrefix(p []byte) (strPrefix, bool) {
	pf := parsePrefix(p)
	n := 0
	for _, c := range p {
		switch c | 0x20 {
		case 'r', 'b', 'f', 't', 'u':
			n++
		}
	}
	if n != len(p) || len(p) == 2 && (p[0]|0x20 == 'u' || p[1]|0x20 == 'u' || pf.bytes && pf.fstr) {
		return strPrefix{}, false
	}
	return pf, true
}

// str reads a string literal whose quote is at q.
func (l *lexer) str(q int, pf strPrefix) {
	src := l.src
	quote := src[q]
	triple := q+2 < len(src) && src[q+1] == quote && src[q+2] == quote
	open := 1
	if triple {
		open = 3
	}
	i := q + open
	line := l.line
	stops := "\\\n'"
	if quote == '"' {
		stops = "\\\n\""
	}
	for i < len(src) {
		// Jump to the next character that matters inside the literal.
		k := bytes.IndexAny(src[i:], stops)
		if k < 0 {
			i = len(src)
			break
		}
		i += k
		b := src[i]
		switch {
		case b == '\\':
			if i+1 < len(src) && src[i+1] == '\n' {
				l.line++
			}
			i += 2
			continue
		case b == '\n':
			if !triple {
				// Unterminated: the string ends with the line.
				l.stats.unclosed++
				l.emitStr(q, q+open, i, i, pf, line)
				return
			}
			l.line++
		case b == quote:
			if !triple {
				l.emitStr(q, q+1, i, i+1, pf, line)
				return
			}
			if i+2 < len(src) && src[i+1] == quote && src[i+2] == quote {
				l.emitStr(q, q+3, i, i+3, pf, line)
				return
			}
		}
		i++
	}
	i = min(i, len(src))
	l.stats.unclosed++
	l.emitStr(q, q+open, i, i, pf, line)
}

func (l *lexer) emitStr(start, cstart, cend, end int, pf strPrefix, line int32) {
	cur := l.line
	l.line = line
	l.emit(token{kind: tString, start: uint32(start), end: uint32(end), cstart: uint32(cstart), cend: uint32(cend), pf: pf})
	l.line = cur
	l.pos = end
}

// op reads an operator or bracket; other ASCII characters ($, ?, `,
// controls, NUL) are invalid.
func (l *lexer) op() {
	src := l.src
	c := src[l.pos]
	switch c {
	case '(', '[', '{':
		l.emit(token{kind: tOp, start: uint32(l.pos), end: uint32(l.pos + 1)})
		l.stack = append(l.stack, c)
		l.stats.maxDepth = max(l.stats.maxDepth, len(l.stack))
		l.pos++
		return
	case ')', ']', '}':
		open := byte('(')
		if c == ']' {
			open = '['
		} else if c == '}' {
			open = '{'
		}
		if n := len(l.stack); n > 0 && l.stack[n-1] == open {
			l.stack = l.stack[:n-1]
		} else {
			l.stats.badClose++
			if n > 0 {
				l.stack = l.stack[:n-1]
			}
		}
		l.emit(token{kind: tOp, start: uint32(l.pos), end: uint32(l.pos + 1)})
		l.pos++
		return
	case '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '=', '.', ',', ':', ';', '!':
		n := 1
		if l.pos+1 < len(src) && opPairs[[2]byte{c, src[l.pos+1]}] {
			n = 2
			if l.pos+2 < len(src) && src[l.pos+2] == '=' && (c == '*' || c == '/' || c == '<' || c == '>') && src[l.pos+1] == c {
				n = 3 // **= //= <<= >>=
			}
		}
		l.emit(token{kind: tOp, start: uint32(l.pos), end: uint32(l.pos + n)})
		l.pos += n
		return
	}
	l.invalid(1)
}
