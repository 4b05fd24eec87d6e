package pyast

import (
	"sort"
	"strings"
)

// binding records that a name was bound at pos (the end of the binding
// statement) to a resolved dotted target. An empty target means the name
// was rebound to something unresolvable and stands for itself again.
type binding struct {
	pos      uint32
	target   string
	imported bool
}

// dictBinding records `name = {...}` or `name = dict(...)` for cmdclass.
type dictBinding struct {
	pos  uint32
	node int32
}

var builtinNames = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`abs aiter all anext any ascii bin bool
		breakpoint bytearray bytes callable chr classmethod compile complex
		delattr dict dir divmod enumerate eval exec exit filter float format
		frozenset getattr globals hasattr hash help hex id input int isinstance
		issubclass iter len list locals map max memoryview min next object oct
		open ord pow print property quit range repr reversed round set setattr
		slice sorted staticmethod str sum super tuple type vars zip __import__
		__build_class__ execfile raw_input unichr reload file unicode long
		basestring xrange apply reduce cmp buffer intern coerce`) {
		m[s] = true
	}
	return m
}()

var setupNames = map[string]bool{
	"setup":                      true,
	"setuptools.setup":           true,
	"distutils.core.setup":       true,
	"numpy.distutils.core.setup": true,
}

// isBuiltinsModule reports whether a resolved name denotes the builtins
// namespace (`__builtins__` is the module in __main__, its dict elsewhere).
func isBuiltinsModule(s string) bool {
	return s == "builtins" || s == "__builtin__" || s == "__builtins__"
}

// joinName appends attribute attr to base, collapsing the builtins
// namespace so that builtins.exec is just "exec".
func joinName(base, attr string) string {
	if isBuiltinsModule(base) {
		if attr == "__dict__" {
			return "builtins.__dict__"
		}
		return attr
	}
	return cutName(base + "." + attr)
}

// joinModule names `name` imported from module mod (`from mod import name`).
func joinModule(mod, name string) string {
	if strings.HasSuffix(mod, ".") { // relative: from . import x
		return cutName(mod + name)
	}
	return joinName(mod, name)
}

func normModule(m string) string {
	if isBuiltinsModule(m) {
		return "builtins"
	}
	return m
}

// bind records a binding, keeping each name's list sorted by position.
func (a *analysis) bind(name string, pos uint32, target string, imported bool) {
	if name == "" {
		return
	}
	bs := append(a.binds[name], binding{pos: pos, target: target, imported: imported})
	for k := len(bs) - 1; k > 0 && bs[k-1].pos > bs[k].pos; k-- {
		bs[k-1], bs[k] = bs[k], bs[k-1]
	}
	a.binds[name] = bs
}

// lookup finds the binding of name in effect at pos: the last one before
// it, or else the first one if that is an import (code in functions often
// refers to imports placed further down).
func (a *analysis) lookup(name string, pos uint32) (binding, bool) {
	bs := a.binds[name]
	if len(bs) == 0 {
		return binding{}, false
	}
	k := sort.Search(len(bs), func(j int) bool { return bs[j].pos > pos })
	if k > 0 {
		return bs[k-1], true
	}
	if bs[0].imported {
		return bs[0], true
	}
	return binding{}, false
}

func (a *analysis) lookupDict(name string, pos uint32) int32 {
	ds := a.dicts[name]
	k := sort.Search(len(ds), func(j int) bool { return ds[j].pos > pos })
	switch {
	case k > 0:
		return ds[k-1].node
	case len(ds) > 0:
		return ds[0].node
	}
	return -1
}

// resolve returns the dotted name an expression stands for (see
// Call.Name) and whether it is rooted: derived from an import, an alias,
// a builtin or a dynamic import, as opposed to an unknown local name or a
// placeholder. Only rooted names become aliases on assignment.
func (a *analysis) resolve(i int32, depth int) (string, bool) {
	if i < 0 || depth > MaxResolveDepth {
		return "<expr>", false
	}
	n := &a.n[i]
	switch n.kind {
	case kIdentifier:
		t := a.str(i)
		if t == "" {
			return "<expr>", false
		}
		if b, ok := a.lookup(t, n.start); ok {
			if b.target != "" {
				return b.target, true
			}
			return t, false
		}
		if isBuiltinsModule(t) {
			return "builtins", true
		}
		return t, builtinNames[t]
	case kAttribute:
		base, rooted := a.resolve(a.child(i, a.t.fields.object), depth+1)
		attr := a.str(a.child(i, a.t.fields.attribute))
		if attr == "" {
			return cutName(base + ".<expr>"), false
		}
		return joinName(base, attr), rooted
	case kCall:
		return a.resolveCallResult(i, depth+1)
	case kSubscript:
		base, _ := a.resolve(a.child(i, a.t.fields.value), depth+1)
		if key, ok := a.literal(a.child(i, a.t.fields.subscript)); ok && key != "" {
			switch {
			case isBuiltinsModule(base) || base == "builtins.__dict__":
				return joinName("builtins", key), true
			case base == "sys.modules":
				return normModule(key), true
			}
		}
		return cutName(base + "[]"), false
	case kParenExpr:
		return a.resolve(a.firstNamed(i), depth+1)
	case kString, kConcatString:
		return "<str>", false
	case kList, kListComp:
		return "<list>", false
	case kDictionary, kDictComp:
		return "<dict>", false
	case kTuple:
		return "<tuple>", false
	case kSet, kSetComp:
		return "<set>", false
	case kLambda:
		return "<lambda>", false
	case kInteger, kFloat:
		return "<num>", false
	}
	return "<expr>", false
}

// resolveCallResult names the value returned by call i: the module for
// dynamic imports, the attribute for getattr with a literal name, else
// the callee followed by "()".
func (a *analysis) resolveCallResult(i int32, depth int) (string, bool) {
	args := a.child(i, a.t.fields.arguments)
	callee, _ := a.resolve(a.child(i, a.t.fields.function), depth+1)
	switch callee {
	case "__import__", "importlib.__import__":
		if m, ok := a.literal(a.positional(args, 0)); ok && m != "" {
			// Without a fromlist __import__("a.b") returns package a.
			if pos, all := a.argCounts(args); pos == 1 && all == 1 {
				m, _, _ = strings.Cut(m, ".")
			}
			return normModule(cutName(m)), true
		}
	case "importlib.import_module":
		if m, ok := a.literal(a.positional(args, 0)); ok && m != "" {
			return normModule(cutName(m)), true
		}
	case "getattr":
		if attr, ok := a.literal(a.positional(args, 1)); ok && attr != "" {
			base, rooted := a.resolve(a.positional(args, 0), depth+1)
			return joinName(base, cutName(attr)), rooted
		}
	}
	return cutName(callee + "()"), false
}

// lastAttr returns the final dotted component of a resolved name, or ""
// when the name ends in a call, subscript or placeholder.
func lastAttr(name string) string {
	if name == "" || strings.HasSuffix(name, ")") || strings.HasSuffix(name, "]") || strings.HasSuffix(name, ">") {
		return ""
	}
	if k := strings.LastIndexByte(name, '.'); k >= 0 {
		return name[k+1:]
	}
	return name
}
