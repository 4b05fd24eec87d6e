package pyast

import (
	"bytes"
	"strings"
)

// FallbackReason says why a file was analysed by the linear fallback
// instead of the syntax tree; empty for a normal analysis.
type FallbackReason string

const (
	// FallbackLexErrors: the pre-scan found more than MaxLexErrors lexical
	// errors (characters invalid outside strings and comments, closing
	// brackets without their opening one, strings cut by a line end).
	// tree-sitter's error recovery grows super-linearly on such input
	// (100,000 invisible characters in one identifier took minutes), so
	// these files never reach it. Deterministic: it depends on the bytes.
	FallbackLexErrors FallbackReason = "lexical-errors"
	// FallbackTimeout: parsing and analysis took longer than
	// Options.Timeout. The safety net for whatever the pre-scan misses;
	// the only reason that depends on the machine's speed.
	FallbackTimeout FallbackReason = "timeout"
	// FallbackNesting: brackets or indentation nested deeper than
	// CPython accepts (MaxBracketDepth, MaxIndentLevels). Deterministic.
	FallbackNesting FallbackReason = "nesting"
	// FallbackParseReads: tree-sitter re-read the source too often (each
	// read is a copy the binding keeps until the parse ends; see
	// maxReadFactor). Deterministic.
	FallbackParseReads FallbackReason = "parse-reads"
)

// snippetWindow bounds the source a snippet is built from: snippet stops
// after SnippetRunes characters, but whitespace runs do not count.
const snippetWindow = 16 << 10

// keywords are not identifiers (tree-sitter does not report them either).
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`False None True and as assert async await break class continue def del
		elif else except finally for from global if import in is lambda nonlocal not or pass raise return try
		while with yield`) {
		m[k] = true
	}
	return m
}()

// fallback builds a File from tokens, in one pass plus bracket matching,
// with the same caps and counters as the tree analysis. It knows calls
// (dotted callees, methods on call results, __import__("m").x, getattr
// with a literal), imports and their aliases, string literals (implicit
// concatenation included), identifiers, comments, def/class headers,
// decorators and setup() keywords, but nothing that needs a real parse;
// tree counters (Nodes, MaxDepth) count tokens and bracket depth instead.
func fallback(code []byte, toks []token, st lexStats, f *File, opts Options, reason FallbackReason) {
	fb := &fbState{src: code, t: toks, f: f, opts: opts, binds: map[string]string{}}
	f.Fallback = reason
	f.Nodes = len(toks)
	f.MaxDepth = st.maxDepth
	f.ErrorNodes = st.errors()
	f.HasError = true
	f.Obfuscation.NonASCIIIdentChars = st.identChars
	fb.match()
	fb.run()
	o := &f.Obfuscation
	o.HexEscapes, o.UnicodeEscapes = fb.ec.hex, fb.ec.unicode
	o.NamedEscapes, o.OctalEscapes = fb.ec.named, fb.ec.octal
}

type fbScope struct {
	indent int32
	qual   string
	class  int // index in File.Classes, -1 for a def
}

type fbState struct {
	src   []byte
	t     []token
	f     *File
	opts  Options
	pair  []int32 // matching bracket of each bracket token, -1 otherwise
	binds map[string]string
	ec    escapeCounts

	scopes     []fbScope
	decorators []string
	keptBytes  int
	scratch    []byte
	discard    []byte
	chain      int // chr(<int>) operands in the current '+' chain
	chainEnd   int // token index after the last chr(<int>) of the chain
	lineStart  bool
	prevHeader bool // the previous logical line was a def/class header
	firstStmt  bool
}

func (s *fbState) text(i int) []byte { return s.src[s.t[i].start:s.t[i].end] }

func (s *fbState) isOp(i int, op string) bool {
	return i >= 0 && i < len(s.t) && s.t[i].kind == tOp && string(s.text(i)) == op
}

func (s *fbState) isKind(i int, k tokKind) bool { return i >= 0 && i < len(s.t) && s.t[i].kind == k }

// match pairs brackets with a stack; a stray closer pairs with nothing.
func (s *fbState) match() {
	s.pair = make([]int32, len(s.t))
	var stack []int32
	for i := range s.t {
		s.pair[i] = -1
		if s.t[i].kind != tOp {
			continue
		}
		switch s.src[s.t[i].start] {
		case '(', '[', '{':
			stack = append(stack, int32(i))
		case ')', ']', '}':
			if n := len(stack); n > 0 {
				s.pair[i], s.pair[stack[n-1]] = stack[n-1], int32(i)
				stack = stack[:n-1]
			}
		}
	}
}

// close returns the index of the bracket closing the one at i, or the
// last token when it is never closed.
func (s *fbState) close(i int) int {
	if p := s.pair[i]; p > int32(i) {
		return int(p)
	}
	return len(s.t) - 1
}

func (s *fbState) scope() string {
	if len(s.scopes) == 0 {
		return ""
	}
	return s.scopes[len(s.scopes)-1].qual
}

func (s *fbState) run() {
	s.lineStart, s.firstStmt = true, true
	for i := 0; i < len(s.t); i++ {
		tk := &s.t[i]
		switch tk.kind {
		case tComment:
			s.f.NumComments++
			if len(s.f.Comments) < s.opts.MaxComments {
				c := bytes.TrimPrefix(s.text(i), []byte("#"))
				s.f.Comments = append(s.f.Comments, validText(bytes.TrimSpace(c)))
			}
			continue
		case tNewline:
			s.lineStart = true
			continue
		}
		if s.lineStart {
			s.lineStart = false
			s.statement(i)
		}
		switch tk.kind {
		case tString:
			i = s.stringLit(i)
		case tName:
			if !keywords[string(s.text(i))] {
				s.identifier(i)
			}
			if !s.isOp(i-1, ".") && !s.afterDefOrClass(i) {
				s.primary(i)
			}
		}
	}
}

func (s *fbState) afterDefOrClass(i int) bool {
	if !s.isKind(i-1, tName) {
		return false
	}
	w := string(s.text(i - 1))
	return w == "def" || w == "class"
}

// statement handles the first token of a logical line: scopes, imports,
// def/class headers, decorators, Python 2 statements, simple aliases.
func (s *fbState) statement(i int) {
	tk := s.t[i]
	for n := len(s.scopes); n > 0 && s.scopes[n-1].indent >= tk.indent; n-- {
		s.scopes = s.scopes[:n-1]
	}
	header := s.prevHeader
	s.prevHeader = false
	first := s.firstStmt
	s.firstStmt = false
	if tk.kind == tString && (first || header) {
		s.t[i].depth = -1 // marks a docstring for stringLit
	}
	if s.isOp(i, "@") {
		if name, _ := s.dotted(i + 1); name != "" {
			s.decorators = append(s.decorators, s.resolveName(name))
		}
		return
	}
	decorators := s.decorators
	s.decorators = nil
	if tk.kind != tName {
		return
	}
	word := string(s.text(i))
	switch word {
	case "import":
		s.importStmt(i)
	case "from":
		s.fromStmt(i)
	case "def", "async":
		j := i + 1
		if word == "async" {
			if !s.isKind(j, tName) || string(s.text(j)) != "def" {
				return
			}
			j++
		}
		if !s.isKind(j, tName) {
			return
		}
		name := validText(s.text(j))
		d := Def{Name: name, Scope: s.scope(), Line: int(tk.line), EndLine: int(tk.line), Decorators: decorators}
		if s.isOp(j+1, "(") {
			d.Params = s.countArgs(j+1, nil)
		}
		if n := len(s.scopes); n > 0 && s.scopes[n-1].class >= 0 {
			c := &s.f.Classes[s.scopes[n-1].class]
			c.Methods = append(c.Methods, name)
		}
		s.f.Functions = append(s.f.Functions, d)
		s.scopes = append(s.scopes, fbScope{indent: tk.indent, qual: joinQual(s.scope(), name), class: -1})
		s.prevHeader = true
	case "class":
		if !s.isKind(i+1, tName) {
			return
		}
		name := validText(s.text(i + 1))
		c := Class{Name: name, Scope: s.scope(), Line: int(tk.line), EndLine: int(tk.line), Decorators: decorators}
		if s.isOp(i+2, "(") {
			end := s.close(i + 2)
			for k := i + 3; k < end; k++ {
				if s.t[k].depth != s.t[i+2].depth+1 || !s.isKind(k, tName) || s.isOp(k+1, "=") {
					if s.isOp(k, "(") || s.isOp(k, "[") || s.isOp(k, "{") {
						k = s.close(k)
					}
					continue
				}
				name, next := s.dotted(k)
				c.Bases = append(c.Bases, s.resolveName(name))
				k = next - 1
			}
		}
		s.f.Classes = append(s.f.Classes, c)
		s.scopes = append(s.scopes, fbScope{indent: tk.indent, qual: joinQual(s.scope(), name), class: len(s.f.Classes) - 1})
		s.prevHeader = true
	case "print", "exec":
		next := i + 1
		if s.isKind(next, tNewline) || s.isOp(next, "(") || s.isOp(next, "=") || s.isOp(next, ".") || next >= len(s.t) {
			return
		}
		s.f.Py2Statements++
		s.addCall(Call{Name: word, Attr: word, Line: int(tk.line), Stmt: true, Args: 1,
			Snippet: snippet(s.window(tk.start)), TopLevel: len(s.scopes) == 0, Scope: s.scope()})
	default:
		// name = dotted.name binds an alias when the target is rooted.
		if s.isOp(i+1, "=") && s.isKind(i+2, tName) {
			name, next := s.dotted(i + 2)
			if s.isKind(next, tNewline) || next >= len(s.t) {
				if target, rooted := s.resolve(name); rooted {
					s.binds[word] = target
				} else {
					delete(s.binds, word)
				}
			}
		}
	}
}

// window is the text a snippet of the token at start is made from.
func (s *fbState) window(start uint32) []byte {
	return s.src[start:min(len(s.src), int(start)+snippetWindow)]
}

// dotted reads NAME(.NAME)* at i and returns it with the index after it.
func (s *fbState) dotted(i int) (string, int) {
	if !s.isKind(i, tName) {
		return "", i
	}
	var sb strings.Builder
	sb.Write(s.text(i))
	i++
	for s.isOp(i, ".") && s.isKind(i+1, tName) {
		if sb.Len() < MaxNameLen {
			sb.WriteByte('.')
			sb.Write(s.text(i + 1))
		}
		i += 2
	}
	return cutName(validText([]byte(sb.String()))), i
}

func (s *fbState) importStmt(i int) {
	tk := s.t[i]
	for k := i + 1; k < len(s.t) && !s.isKind(k, tNewline) && !s.isOp(k, ";"); {
		mod, next := s.dotted(k)
		if mod == "" {
			k++
			continue
		}
		s.f.Imports = append(s.f.Imports, Import{Module: mod, Line: int(tk.line), TopLevel: len(s.scopes) == 0})
		if s.isKind(next, tName) && string(s.text(next)) == "as" && s.isKind(next+1, tName) {
			s.binds[string(s.text(next+1))] = normModule(mod)
			next += 2
		} else {
			top, _, _ := strings.Cut(mod, ".")
			s.binds[top] = normModule(top)
		}
		k = next
		if s.isOp(k, ",") {
			k++
		}
	}
}

func (s *fbState) fromStmt(i int) {
	tk := s.t[i]
	k := i + 1
	var mod strings.Builder
	for ; s.isOp(k, ".") || s.isOp(k, "..."); k++ {
		mod.Write(s.text(k))
	}
	if name, next := s.dotted(k); name != "" {
		mod.WriteString(name)
		k = next
	}
	if !s.isKind(k, tName) || string(s.text(k)) != "import" {
		return
	}
	module := cutName(mod.String())
	imp := Import{Module: module, Line: int(tk.line), TopLevel: len(s.scopes) == 0}
	if module == "__future__" {
		imp.Module = "__future__"
	}
	nm := normModule(module)
	for k++; k < len(s.t) && !s.isKind(k, tNewline) && !s.isOp(k, ";"); k++ {
		switch {
		case s.isOp(k, "*"):
			imp.Names = append(imp.Names, "*")
		case s.isKind(k, tName):
			name := validText(s.text(k))
			local := name
			if s.isKind(k+1, tName) && string(s.text(k+1)) == "as" && s.isKind(k+2, tName) {
				local = validText(s.text(k + 2))
				k += 2
			}
			imp.Names = append(imp.Names, name)
			s.binds[local] = joinModule(nm, name)
		}
	}
	s.f.Imports = append(s.f.Imports, imp)
}

// resolve maps a dotted name through the import aliases (see Call.Name).
func (s *fbState) resolve(name string) (string, bool) {
	root, rest, dotted := strings.Cut(name, ".")
	base, rooted := s.binds[root]
	switch {
	case rooted:
	case isBuiltinsModule(root):
		base, rooted = "builtins", true
	default:
		base, rooted = root, builtinNames[root]
	}
	if !dotted {
		if isBuiltinsModule(base) && root != base {
			return base, true
		}
		return base, rooted
	}
	for _, part := range strings.Split(rest, ".") {
		base = joinName(base, part)
	}
	return base, rooted
}

func (s *fbState) resolveName(name string) string {
	r, _ := s.resolve(name)
	return r
}

// primary follows the chain of attributes, calls and subscripts that
// starts with the name at i, reporting each call. Each token is walked by
// the one chain it belongs to, and arguments are skipped with the bracket
// table (they are walked as chains of their own), so this is linear.
func (s *fbState) primary(i int) {
	name, k := s.dotted(i)
	if keywords[name] {
		return
	}
	cur, rooted := s.resolve(name)
	for k < len(s.t) {
		switch {
		case s.isOp(k, "("):
			end := s.close(k)
			s.call(i, k, end, cur)
			cur, rooted = s.callResult(cur, k, end)
			k = end + 1
		case s.isOp(k, "["):
			end := s.close(k)
			cur, rooted = cutName(cur+"[]"), false
			if s.isKind(k+1, tString) && end == k+2 {
				key := s.strValue(k + 1)
				switch {
				case isBuiltinsModule(cur[:len(cur)-2]) || cur == "builtins.__dict__[]":
					cur, rooted = joinName("builtins", key), true
				case cur == "sys.modules[]":
					cur, rooted = normModule(key), true
				}
			}
			k = end + 1
		case s.isOp(k, ".") && s.isKind(k+1, tName):
			cur = joinName(cur, validText(s.text(k+1)))
			k += 2
		default:
			_ = rooted
			return
		}
	}
}

// strValue decodes the single string token i (not counting escapes).
func (s *fbState) strValue(i int) string {
	t := s.t[i]
	content := s.src[t.cstart:t.cend]
	if t.pf.raw || t.pf.fstr {
		return validText(content)
	}
	var ec escapeCounts
	return validText(decodeEscapes(nil, content, t.pf.bytes, &ec))
}

// literal returns the value of the plain strings from i to end
// (exclusive), joined as implicit concatenation, when that is all there is.
func (s *fbState) literal(i, end int) (string, bool) {
	if i >= end {
		return "", false
	}
	var sb strings.Builder
	for k := i; k < end; k++ {
		if !s.isKind(k, tString) || s.t[k].pf.fstr || sb.Len() > MaxNameLen {
			return "", false
		}
		sb.WriteString(s.strValue(k))
	}
	return sb.String(), true
}

// callResult names what call open..end of callee returns.
func (s *fbState) callResult(callee string, open, end int) (string, bool) {
	switch callee {
	case "__import__", "importlib.__import__":
		if m, ok := s.literal(open+1, end); ok && m != "" {
			m, _, _ = strings.Cut(m, ".")
			return normModule(cutName(m)), true
		}
	case "importlib.import_module":
		if m, ok := s.literal(open+1, end); ok && m != "" {
			return normModule(cutName(m)), true
		}
	case "getattr":
		// getattr(NAME.attr, "lit")
		if obj, next := s.dotted(open + 1); obj != "" && s.isOp(next, ",") {
			if attr, ok := s.literal(next+1, end); ok && attr != "" {
				base, rooted := s.resolve(obj)
				return joinName(base, cutName(attr)), rooted
			}
		}
	}
	return cutName(callee + "()"), false
}

func (s *fbState) call(first, open, end int, name string) {
	tk := s.t[first]
	var kw *SetupCall
	if setupNames[name] {
		s.f.SetupCalls = append(s.f.SetupCalls, SetupCall{Name: name, Line: int(tk.line)})
		kw = &s.f.SetupCalls[len(s.f.SetupCalls)-1]
	}
	args := s.countArgs(open, kw)
	s.addCall(Call{Name: name, Attr: lastAttr(name), Line: int(tk.line), TopLevel: len(s.scopes) == 0,
		Scope: s.scope(), Args: args, Snippet: snippet(s.window(tk.start))})
	switch name {
	case "__import__", "importlib.__import__", "importlib.import_module":
		if s.isKind(open+1, tString) {
			if m := s.strValue(open + 1); m != "" {
				s.f.Imports = append(s.f.Imports, Import{Module: cutName(m), Line: int(tk.line),
					TopLevel: len(s.scopes) == 0, Dynamic: true})
			}
		}
	case "chr":
		if args == 1 && s.isKind(open+1, tNumber) && end == open+2 {
			s.f.Obfuscation.ChrCalls++
			if s.chain > 0 && s.chainEnd+2 == first && s.isOp(first-1, "+") {
				s.chain++
			} else {
				s.chain = 1
			}
			s.chainEnd = end
			s.f.Obfuscation.MaxChrChain = max(s.f.Obfuscation.MaxChrChain, s.chain)
		}
	}
}

// countArgs counts the arguments between the bracket at open and its
// match, stepping over nested brackets; with sc it also records setup()
// keywords and cmdclass entries.
func (s *fbState) countArgs(open int, sc *SetupCall) int {
	end := s.close(open)
	n, empty := 0, true
	for k := open + 1; k < end; k++ {
		switch {
		case s.isOp(k, ","):
			n++
			empty = true
			continue
		case s.isOp(k, "**") && sc != nil && empty:
			sc.KwSplat = true
		case sc != nil && empty && s.isKind(k, tName) && s.isOp(k+1, "="):
			kw := validText(s.text(k))
			sc.Keywords = append(sc.Keywords, kw)
			if kw == "cmdclass" && s.isOp(k+2, "{") {
				sc.CmdClass = s.cmdClass(k + 2)
			}
		}
		empty = false
		if s.isOp(k, "(") || s.isOp(k, "[") || s.isOp(k, "{") {
			k = s.close(k)
		}
	}
	if !empty {
		n++
	}
	return n
}

// cmdClass reads {'cmd': Class, ...} at the brace at open.
func (s *fbState) cmdClass(open int) []CmdClass {
	var out []CmdClass
	end := s.close(open)
	for k := open + 1; k < end; k++ {
		if s.isKind(k, tString) && s.isOp(k+1, ":") {
			if name, next := s.dotted(k + 2); name != "" {
				out = append(out, CmdClass{Command: s.strValue(k), Class: s.resolveName(name)})
				k = next - 1
				continue
			}
		}
		if s.isOp(k, "(") || s.isOp(k, "[") || s.isOp(k, "{") {
			k = s.close(k)
		}
	}
	return out
}

func (s *fbState) addCall(c Call) {
	c.Name, c.Attr = cutName(c.Name), cutName(c.Attr)
	s.f.NumCalls++
	if len(s.f.Calls) < s.opts.MaxCalls {
		s.f.Calls = append(s.f.Calls, c)
	}
}

func (s *fbState) identifier(i int) {
	f := s.f
	f.NumIdentifiers++
	if len(f.Identifiers) < s.opts.MaxIdentifiers {
		f.Identifiers = append(f.Identifiers, validText(s.text(i)))
	}
}

// stringLit reports the string at i joined with the strings right after
// it, and returns the index of the last one.
func (s *fbState) stringLit(i int) int {
	f := s.f
	buf := s.scratch[:0]
	str := String{Line: int(s.t[i].line), Doc: s.t[i].depth == -1}
	k := i
	for ; k < len(s.t) && s.t[k].kind == tString; k++ {
		t := s.t[k]
		content := s.src[t.cstart:t.cend]
		str.Bytes = str.Bytes || t.pf.bytes
		switch {
		case t.pf.fstr:
			str.FString = true
			buf = append(buf, content...)
			if !t.pf.raw {
				s.discard = decodeEscapes(s.discard[:0], content, t.pf.bytes, &s.ec)
			}
		case t.pf.raw:
			buf = append(buf, content...)
		default:
			buf = decodeEscapes(buf, content, t.pf.bytes, &s.ec)
		}
	}
	s.scratch = buf
	str.Len = len(buf)
	f.NumStrings++
	f.StringBytes += len(buf)
	if len(f.Strings) < s.opts.MaxStrings {
		keep := min(len(buf), max(s.opts.MaxStringBytes-s.keptBytes, 0))
		s.keptBytes += keep
		str.Value = string(buf[:keep])
		f.Strings = append(f.Strings, str)
	}
	return k - 1
}
