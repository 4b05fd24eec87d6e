package pyast

import (
	"bytes"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// analysis holds the state for one file. All walks are loops over the
// pre-order node slice, so no step recurses deeper than MaxResolveDepth.
type analysis struct {
	src   []byte
	n     []node
	f     *File
	opts  Options
	t     *tables
	lines lineIndex

	binds map[string][]binding
	dicts map[string][]dictBinding
	qual  map[int32]string // qualified names of def/class/lambda nodes
	plus  []bool           // '+' operators already counted in a chr chain

	ec        escapeCounts
	keptBytes int // bytes kept in String.Value so far
	scratch   []byte
	discard   []byte
	deadline  time.Time // zero: none
}

func newAnalysis(src []byte, nodes []node, f *File, opts Options) *analysis {
	return &analysis{
		src: src, n: nodes, f: f, opts: opts, t: mustTables(),
		lines: newLineIndex(src),
		binds: map[string][]binding{},
		dicts: map[string][]dictBinding{},
		qual:  map[int32]string{},
	}
}

// checkEvery is how many nodes are walked between two looks at the clock.
const checkEvery = 4096

func (a *analysis) overBudget(i int32) bool {
	return i%checkEvery == 0 && !a.deadline.IsZero() && time.Now().After(a.deadline)
}

func (a *analysis) run() error {
	a.f.Nodes = len(a.n)
	if err := a.collectBindings(); err != nil {
		return err
	}
	for i := range int32(len(a.n)) {
		if a.overBudget(i) {
			return fmt.Errorf("pyast: analysis at node %d of %d: %w", i, len(a.n), ErrTimeout)
		}
		a.visit(i)
	}
	o := &a.f.Obfuscation
	o.HexEscapes, o.UnicodeEscapes = a.ec.hex, a.ec.unicode
	o.NamedEscapes, o.OctalEscapes = a.ec.named, a.ec.octal
	return nil
}

// --- node helpers ---

func (a *analysis) text(i int32) []byte {
	if i < 0 {
		return nil
	}
	return a.src[a.n[i].start:a.n[i].end]
}

func (a *analysis) str(i int32) string { return validText(a.text(i)) }

func (a *analysis) line(i int32) int { return a.lines.line(a.n[i].start) }

func (a *analysis) kind(i int32) kind {
	if i < 0 {
		return kOther
	}
	return a.n[i].kind
}

// children yields the direct children of i.
func (a *analysis) children(i int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		if i < 0 {
			return
		}
		for c := a.n[i].first; c >= 0; c = a.n[c].next {
			if !yield(c) {
				return
			}
		}
	}
}

// named yields the named children of i other than comments.
func (a *analysis) named(i int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		for c := range a.children(i) {
			if a.n[c].named && a.n[c].kind != kComment && !yield(c) {
				return
			}
		}
	}
}

func (a *analysis) firstNamed(i int32) int32 {
	for c := range a.named(i) {
		return c
	}
	return -1
}

func (a *analysis) child(i int32, field uint16) int32 {
	for c := range a.children(i) {
		if a.n[c].field == field {
			return c
		}
	}
	return -1
}

// positional returns the k-th positional argument in argument list args.
func (a *analysis) positional(args int32, k int) int32 {
	if a.kind(args) != kArgumentList {
		return -1
	}
	for c := range a.named(args) {
		switch a.n[c].kind {
		case kKeywordArgument, kDictSplat:
			continue
		}
		if k == 0 {
			return c
		}
		k--
	}
	return -1
}

// argCounts returns the number of positional and of all arguments.
func (a *analysis) argCounts(args int32) (positional, all int) {
	switch a.kind(args) {
	case kArgumentList:
	case kGeneratorExpr: // f(x for x in y)
		return 1, 1
	default:
		return 0, 0
	}
	for c := range a.named(args) {
		all++
		switch a.n[c].kind {
		case kKeywordArgument, kDictSplat:
		default:
			positional++
		}
	}
	return positional, all
}

// dotted renders a dotted_name as "a.b.c".
func (a *analysis) dotted(i int32) string {
	var sb strings.Builder
	for c := range a.children(i) {
		if a.n[c].kind == kIdentifier {
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(a.text(c))
		}
	}
	if sb.Len() == 0 {
		return validText(bytes.Join(bytes.Fields(a.text(i)), nil))
	}
	return validText([]byte(sb.String()))
}

// importedName is the name an import clause refers to (its dotted_name).
func (a *analysis) importedName(c int32) string {
	switch a.n[c].kind {
	case kDottedName:
		return a.dotted(c)
	case kAliasedImport:
		return a.dotted(a.child(c, a.t.fields.name))
	case kWildcardImport:
		return "*"
	}
	return ""
}

// fromModule renders the module of a from-import, relative dots included.
func (a *analysis) fromModule(i int32) string {
	m := a.child(i, a.t.fields.moduleName)
	switch a.kind(m) {
	case kDottedName:
		return a.dotted(m)
	case kRelativeImport:
		var sb strings.Builder
		for c := range a.children(m) {
			switch a.n[c].kind {
			case kImportPrefix:
				sb.Write(bytes.ReplaceAll(a.text(c), []byte(" "), nil))
			case kDottedName:
				sb.WriteString(a.dotted(c))
			}
		}
		return sb.String()
	}
	return ""
}

// literal returns the value of a plain (non f-) string literal or an
// implicit concatenation of them, as valid UTF-8.
func (a *analysis) literal(i int32) (string, bool) {
	for range MaxResolveDepth {
		if a.kind(i) != kParenExpr {
			break
		}
		i = a.firstNamed(i)
	}
	var parts []int32
	switch a.kind(i) {
	case kString:
		parts = []int32{i}
	case kConcatString:
		for c := range a.named(i) {
			parts = append(parts, c)
		}
	default:
		return "", false
	}
	var buf []byte
	var ec escapeCounts // counted once, when the literal itself is visited
	for _, p := range parts {
		content, pf, ok := a.stringParts(p)
		if !ok || pf.fstr {
			return "", false
		}
		if pf.raw {
			buf = append(buf, content...)
		} else {
			buf = decodeEscapes(buf, content, pf.bytes, &ec)
		}
	}
	return validText(buf), true
}

// stringParts returns the raw content and prefix of string node i.
func (a *analysis) stringParts(i int32) ([]byte, strPrefix, bool) {
	if a.kind(i) != kString {
		return nil, strPrefix{}, false
	}
	n := a.n[i]
	from, to := n.start, n.end
	var pf strPrefix
	for c := range a.children(i) {
		switch a.n[c].kind {
		case kStringStart:
			pf = parsePrefix(a.text(c))
			from = a.n[c].end
		case kStringEnd:
			to = a.n[c].start
		}
	}
	if to < from {
		to = from
	}
	return a.src[from:to], pf, true
}

func (a *analysis) qualOf(scope int32) string {
	if scope < 0 {
		return ""
	}
	return a.qual[scope]
}

// --- pass 1: bindings ---

func (a *analysis) collectBindings() error {
	fl := &a.t.fields
	for i := range int32(len(a.n)) {
		if a.overBudget(i) {
			return fmt.Errorf("pyast: bindings at node %d of %d: %w", i, len(a.n), ErrTimeout)
		}
		n := &a.n[i]
		switch n.kind {
		case kImport:
			for c := range a.children(i) {
				if a.n[c].field != fl.name {
					continue
				}
				mod := a.importedName(c)
				if a.n[c].kind == kAliasedImport {
					a.bind(a.str(a.child(c, fl.alias)), n.end, normModule(mod), true)
				} else {
					// `import a.b` binds a.
					top, _, _ := strings.Cut(mod, ".")
					a.bind(top, n.end, normModule(top), true)
				}
			}
		case kImportFrom:
			mod := normModule(a.fromModule(i))
			for c := range a.children(i) {
				if a.n[c].field != fl.name {
					continue
				}
				name := a.importedName(c)
				local := name
				if a.n[c].kind == kAliasedImport {
					local = a.str(a.child(c, fl.alias))
				}
				a.bind(local, n.end, joinModule(mod, name), true)
			}
		case kAssignment:
			left := a.child(i, fl.left)
			if a.kind(left) != kIdentifier {
				continue
			}
			// a = b = value: find the value.
			v := a.child(i, fl.right)
			for k := 0; k < MaxResolveDepth && a.kind(v) == kAssignment; k++ {
				v = a.child(v, fl.right)
			}
			if v < 0 {
				continue
			}
			name := a.str(left)
			target, rooted := a.resolve(v, 0)
			if !rooted {
				target = ""
			}
			a.bind(name, n.end, target, false)
			if a.isDictExpr(v) {
				a.dicts[name] = append(a.dicts[name], dictBinding{pos: n.end, node: v})
			}
		}
	}
	return nil
}

func (a *analysis) isDictExpr(v int32) bool {
	switch a.kind(v) {
	case kDictionary:
		return true
	case kCall:
		name, _ := a.resolve(a.child(v, a.t.fields.function), 0)
		return name == "dict"
	}
	return false
}

// --- pass 2: facts ---

func (a *analysis) visit(i int32) {
	n := &a.n[i]
	f := a.f
	if n.missing {
		f.ErrorNodes++
	}
	switch n.kind {
	case kError:
		f.ErrorNodes++
	case kIdentifier:
		a.identifier(i)
	case kComment:
		f.NumComments++
		if len(f.Comments) < a.opts.MaxComments {
			t := bytes.TrimPrefix(a.text(i), []byte("#"))
			f.Comments = append(f.Comments, validText(bytes.TrimSpace(t)))
		}
	case kImport, kImportFrom, kFutureImport:
		a.importStmt(i)
	case kCall:
		a.call(i)
	case kPrintStmt, kExecStmt:
		f.Py2Statements++
		name := "print"
		if n.kind == kExecStmt {
			name = "exec"
		}
		args := 0
		for range a.named(i) {
			args++
		}
		a.addCall(Call{Name: name, Attr: name, Line: a.line(i), TopLevel: n.top,
			Scope: a.qualOf(n.scope), Args: args, Snippet: snippet(a.text(i)), Stmt: true})
	case kString:
		if a.kind(n.parent) != kConcatString {
			a.stringLit(i, []int32{i})
		}
	case kConcatString:
		var parts []int32
		for c := range a.named(i) {
			if a.n[c].kind == kString {
				parts = append(parts, c)
			}
		}
		a.stringLit(i, parts)
	case kFuncDef:
		a.funcDef(i)
	case kClassDef:
		a.classDef(i)
	case kLambda:
		a.qual[i] = joinQual(a.qualOf(n.scope), "<lambda>")
	case kBinaryOp:
		a.chrChain(i)
	}
}

func joinQual(outer, name string) string {
	if outer == "" {
		return name
	}
	return cutName(outer + "." + name)
}

func (a *analysis) identifier(i int32) {
	f := a.f
	t := a.text(i)
	f.NumIdentifiers++
	for k := 0; k < len(t); {
		if t[k] < utf8.RuneSelf {
			k++
			continue
		}
		_, size := utf8.DecodeRune(t[k:])
		f.Obfuscation.NonASCIIIdentChars++
		k += size
	}
	if len(f.Identifiers) < a.opts.MaxIdentifiers {
		f.Identifiers = append(f.Identifiers, validText(t))
	}
}

func (a *analysis) importStmt(i int32) {
	n := &a.n[i]
	imp := Import{Line: a.line(i), TopLevel: n.top}
	switch n.kind {
	case kImport:
		for c := range a.children(i) {
			if a.n[c].field == a.t.fields.name {
				imp.Module = a.importedName(c)
				a.f.Imports = append(a.f.Imports, imp)
			}
		}
		return
	case kImportFrom:
		imp.Module = a.fromModule(i)
	case kFutureImport:
		imp.Module = "__future__"
	}
	for c := range a.children(i) {
		if a.n[c].field == a.t.fields.name || a.n[c].kind == kWildcardImport {
			imp.Names = append(imp.Names, a.importedName(c))
		}
	}
	a.f.Imports = append(a.f.Imports, imp)
}

func (a *analysis) addCall(c Call) {
	// A bare identifier is not cut on the way; bound every name here.
	c.Name, c.Attr = cutName(c.Name), cutName(c.Attr)
	a.f.NumCalls++
	if len(a.f.Calls) < a.opts.MaxCalls {
		a.f.Calls = append(a.f.Calls, c)
	}
}

func (a *analysis) call(i int32) {
	n := &a.n[i]
	fl := &a.t.fields
	args := a.child(i, fl.arguments)
	name, _ := a.resolve(a.child(i, fl.function), 0)
	pos, all := a.argCounts(args)
	a.addCall(Call{
		Name: name, Attr: lastAttr(name), Line: a.line(i), TopLevel: n.top,
		Scope: a.qualOf(n.scope), Args: all, Snippet: snippet(a.text(i)),
	})

	switch name {
	case "__import__", "importlib.__import__", "importlib.import_module":
		if m, ok := a.literal(a.positional(args, 0)); ok && m != "" {
			a.f.Imports = append(a.f.Imports, Import{
				Module: cutName(m), Line: a.line(i), TopLevel: n.top, Dynamic: true,
			})
		}
	case "chr":
		if pos == 1 && all == 1 && a.kind(a.positional(args, 0)) == kInteger {
			a.f.Obfuscation.ChrCalls++ // same test as isChrLiteral, name already resolved
		}
	}
	if setupNames[name] {
		a.setupCall(i, name, args)
	}
}

func (a *analysis) isChrLiteral(i int32) bool {
	if a.kind(i) != kCall {
		return false
	}
	if name, _ := a.resolve(a.child(i, a.t.fields.function), 0); name != "chr" {
		return false
	}
	args := a.child(i, a.t.fields.arguments)
	pos, all := a.argCounts(args)
	return pos == 1 && all == 1 && a.kind(a.positional(args, 0)) == kInteger
}

func (a *analysis) isPlus(i int32) bool {
	return a.kind(i) == kBinaryOp && a.kind(a.child(i, a.t.fields.operator)) == kPlus
}

// chrChain counts chr(<int>) operands in the maximal '+' tree rooted at
// i. Each operator is walked once: inner operators are marked when the
// outermost one (visited first in pre-order) is processed.
func (a *analysis) chrChain(i int32) {
	if !a.isPlus(i) || (a.plus != nil && a.plus[i]) {
		return
	}
	if a.plus == nil {
		a.plus = make([]bool, len(a.n))
	}
	count := 0
	stack := []int32{i}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case a.isPlus(x):
			a.plus[x] = true
			stack = append(stack, a.child(x, a.t.fields.right), a.child(x, a.t.fields.left))
		case a.kind(x) == kParenExpr:
			stack = append(stack, a.firstNamed(x))
		case a.isChrLiteral(x):
			count++
		}
	}
	a.f.Obfuscation.MaxChrChain = max(a.f.Obfuscation.MaxChrChain, count)
}

func (a *analysis) setupCall(i int32, name string, args int32) {
	sc := SetupCall{Name: name, Line: a.line(i)}
	for c := range a.named(args) {
		switch a.n[c].kind {
		case kKeywordArgument:
			kw := a.str(a.child(c, a.t.fields.name))
			sc.Keywords = append(sc.Keywords, kw)
			if kw == "cmdclass" {
				sc.CmdClass = a.cmdClass(a.child(c, a.t.fields.value))
			}
		case kDictSplat:
			sc.KwSplat = true
		}
	}
	a.f.SetupCalls = append(a.f.SetupCalls, sc)
}

// cmdClass reads a cmdclass value: a dict literal, dict(...) call, or a
// name bound to one of those (followed a few times at most).
func (a *analysis) cmdClass(v int32) []CmdClass {
	fl := &a.t.fields
	for range 4 {
		switch a.kind(v) {
		case kParenExpr:
			v = a.firstNamed(v)
			continue
		case kIdentifier:
			v = a.lookupDict(a.str(v), a.n[v].start)
			continue
		case kDictionary:
			var out []CmdClass
			for p := range a.named(v) {
				if a.n[p].kind != kPair {
					continue
				}
				key, ok := a.literal(a.child(p, fl.key))
				if !ok {
					continue
				}
				cls, _ := a.resolve(a.child(p, fl.value), 0)
				out = append(out, CmdClass{Command: key, Class: cls})
			}
			return out
		case kCall:
			if name, _ := a.resolve(a.child(v, fl.function), 0); name != "dict" {
				return nil
			}
			var out []CmdClass
			for c := range a.named(a.child(v, fl.arguments)) {
				if a.n[c].kind != kKeywordArgument {
					continue
				}
				cls, _ := a.resolve(a.child(c, fl.value), 0)
				out = append(out, CmdClass{Command: a.str(a.child(c, fl.name)), Class: cls})
			}
			return out
		}
		return nil
	}
	return nil
}

func (a *analysis) stringLit(i int32, parts []int32) {
	f := a.f
	buf := a.scratch[:0]
	s := String{Line: a.line(i)}
	for _, p := range parts {
		content, pf, ok := a.stringParts(p)
		if !ok {
			continue
		}
		s.Bytes = s.Bytes || pf.bytes
		switch {
		case pf.fstr:
			s.FString = true
			buf = append(buf, content...)
			if !pf.raw {
				// Only count escapes outside {interpolations}.
				for c := range a.children(p) {
					if a.n[c].kind == kStringContent {
						a.discard = decodeEscapes(a.discard[:0], a.text(c), pf.bytes, &a.ec)
					}
				}
			}
		case pf.raw:
			buf = append(buf, content...)
		default:
			buf = decodeEscapes(buf, content, pf.bytes, &a.ec)
		}
	}
	a.scratch = buf
	s.Len = len(buf)
	f.NumStrings++
	f.StringBytes += len(buf)
	if len(f.Strings) >= a.opts.MaxStrings {
		return
	}
	keep := min(len(buf), max(a.opts.MaxStringBytes-a.keptBytes, 0))
	a.keptBytes += keep
	s.Value = string(buf[:keep])
	s.Doc = a.isDocstring(i)
	f.Strings = append(f.Strings, s)
}

// isDocstring reports whether string i is the first statement of a
// module, class or function body.
func (a *analysis) isDocstring(i int32) bool {
	stmt := a.n[i].parent
	if a.kind(stmt) != kExprStmt || a.firstNamed(stmt) != i {
		return false
	}
	body := a.n[stmt].parent
	switch a.kind(body) {
	case kModule:
	case kBlock:
		if k := a.kind(a.n[body].parent); k != kFuncDef && k != kClassDef {
			return false
		}
	default:
		return false
	}
	return a.firstNamed(body) == stmt
}

// decorators resolves the decorators of a def/class wrapped in a
// decorated_definition.
func (a *analysis) decorators(i int32) []string {
	p := a.n[i].parent
	if a.kind(p) != kDecoratedDef || a.n[i].field != a.t.fields.definition {
		return nil
	}
	var out []string
	for d := range a.children(p) {
		if a.n[d].kind != kDecorator {
			continue
		}
		e := a.firstNamed(d)
		if a.kind(e) == kCall {
			e = a.child(e, a.t.fields.function)
		}
		name, _ := a.resolve(e, 0)
		out = append(out, name)
	}
	return out
}

func (a *analysis) endLine(i int32) int {
	n := a.n[i]
	if n.end > n.start {
		return a.lines.line(n.end - 1)
	}
	return a.lines.line(n.start)
}

func (a *analysis) funcDef(i int32) {
	n := &a.n[i]
	name := a.str(a.child(i, a.t.fields.name))
	a.qual[i] = joinQual(a.qualOf(n.scope), name)
	params := 0
	for c := range a.named(a.child(i, a.t.fields.parameters)) {
		if k := a.n[c].kind; k != kKeywordSep && k != kPositionalSep {
			params++
		}
	}
	a.f.Functions = append(a.f.Functions, Def{
		Name: name, Scope: a.qualOf(n.scope), Line: a.line(i), EndLine: a.endLine(i),
		Params: params, Decorators: a.decorators(i),
	})
}

func (a *analysis) classDef(i int32) {
	n := &a.n[i]
	fl := &a.t.fields
	name := a.str(a.child(i, fl.name))
	a.qual[i] = joinQual(a.qualOf(n.scope), name)
	c := Class{Name: name, Scope: a.qualOf(n.scope), Line: a.line(i), EndLine: a.endLine(i),
		Decorators: a.decorators(i)}
	for b := range a.named(a.child(i, fl.superclasses)) {
		if k := a.n[b].kind; k == kKeywordArgument || k == kDictSplat {
			continue
		}
		base, _ := a.resolve(b, 0)
		c.Bases = append(c.Bases, base)
	}
	for s := range a.named(a.child(i, fl.body)) {
		if a.n[s].kind == kDecoratedDef {
			s = a.child(s, fl.definition)
		}
		if a.kind(s) == kFuncDef {
			c.Methods = append(c.Methods, a.str(a.child(s, fl.name)))
		}
	}
	a.f.Classes = append(a.f.Classes, c)
}
