// Package pyast extracts static facts from one Python source file using
// tree-sitter. It never executes or imports the analysed code.
//
// The input is arbitrary bytes: broken, obfuscated, Python 2, huge or not
// UTF-8. Analysis never panics, does bounded work (see Options) and walks
// the syntax tree iteratively, so deep nesting cannot exhaust the Go stack.
//
// pyast reports facts (imports, resolved call names, literals, counters);
// turning them into numeric features is the caller's job.
//
// # Name resolution
//
// Call names are resolved through a per-file binding table built from
// import statements and simple assignments (see Call.Name for the rules).
// Resolution is best effort and purely syntactic: there is no scoping
// beyond source order, no type inference and no constant folding.
package pyast

import (
	"errors"
	"time"
)

// Documented limits and defaults.
const (
	// LongLineThreshold is the length in characters above which a line
	// counts in File.NumLongLines. Minified or packed payloads typically
	// produce lines far longer than any hand-written code.
	LongLineThreshold = 500

	// SnippetRunes is the maximum length in characters of Call.Snippet.
	SnippetRunes = 80

	// MaxNameLen caps the length in bytes of a resolved name; longer
	// names (pathological attribute chains) are cut.
	MaxNameLen = 512

	// MaxResolveDepth bounds how many nested expressions are followed when
	// resolving one name; deeper parts resolve to "<expr>".
	MaxResolveDepth = 32

	DefaultMaxBytes       = 4 << 20 // bytes of source that are parsed
	DefaultMaxStringBytes = 1 << 20 // total bytes kept in String.Value
	DefaultMaxStrings     = 50000
	DefaultMaxCalls       = 50000
	DefaultMaxIdentifiers = 20000
	DefaultMaxComments    = 5000

	// DefaultTimeout is the time budget of one file (parse and analysis;
	// see Options.Timeout). Extraction parses at most 1 MB of a file, and
	// normal code goes at 5–7 MB/s per core, so a file needs 0.2 s; the
	// slowest inputs that pass the pre-scan (long operator and method
	// chains) take 1–3 s per MB on an idle core. 5 s keeps a margin for a
	// machine shared by several jobs, so that the timer stays a safety net
	// that normal files never meet, while a hostile file costs seconds.
	DefaultTimeout = 5 * time.Second

	// DefaultMaxLexErrors is how many lexical errors (see
	// FallbackLexErrors) a file may have and still be parsed.
	DefaultMaxLexErrors = 1000
)

// Errors returned by Analyze, always wrapped with context; test with
// errors.Is.
var (
	ErrTooLarge = errors.New("source exceeds MaxBytes")
	ErrTimeout  = errors.New("over the time budget")
	ErrClosed   = errors.New("parser is closed")
	ErrInternal = errors.New("internal error")
)

// Options bound the work done for one file. The zero value uses the
// defaults above; a negative value means "no limit".
type Options struct {
	// MaxBytes is the largest input that is parsed. Larger inputs are
	// truncated (at the last newline within the limit when there is one)
	// and File.Truncated is set, unless RejectOversize is true, in which
	// case Analyze returns ErrTooLarge.
	MaxBytes       int
	RejectOversize bool

	// Caps on what File keeps. The matching File.Num* counters always
	// count everything seen in the analysed bytes.
	MaxStringBytes int
	MaxStrings     int
	MaxCalls       int
	MaxIdentifiers int
	MaxComments    int

	// Timeout is the time budget of parsing and analysis (0:
	// DefaultTimeout, negative: none). A file over budget is analysed by
	// the linear fallback (File.Fallback is FallbackTimeout), or Analyze
	// returns ErrTimeout when NoFallback is set.
	Timeout time.Duration
	// MaxLexErrors: files with more lexical errors go to the fallback
	// without being parsed (0: DefaultMaxLexErrors, negative: no limit).
	MaxLexErrors int
	// NoFallback makes budget overruns errors instead of fallbacks (the
	// pre-scan still applies).
	NoFallback bool
}

func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 1)
	}
	return v
}

func (o Options) withDefaults() Options {
	o.MaxBytes = limit(o.MaxBytes, DefaultMaxBytes)
	o.MaxStringBytes = limit(o.MaxStringBytes, DefaultMaxStringBytes)
	o.MaxStrings = limit(o.MaxStrings, DefaultMaxStrings)
	o.MaxCalls = limit(o.MaxCalls, DefaultMaxCalls)
	o.MaxIdentifiers = limit(o.MaxIdentifiers, DefaultMaxIdentifiers)
	o.MaxComments = limit(o.MaxComments, DefaultMaxComments)
	o.MaxLexErrors = limit(o.MaxLexErrors, DefaultMaxLexErrors)
	switch {
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout < 0:
		o.Timeout = 0
	}
	return o
}

// File holds the facts about one source file. Slices are in source order.
//
// Text-level fields (Bytes, Lines, MaxLineLen, NumLongLines and the
// Unicode/PyArmor counters in Obfuscation) describe the whole input even
// when it was truncated; everything else describes the first
// AnalyzedBytes bytes.
type File struct {
	Bytes         int  // input size
	AnalyzedBytes int  // bytes parsed (< Bytes iff Truncated)
	Truncated     bool // input was longer than Options.MaxBytes
	// Fallback is set when the file was analysed by the linear token scan
	// rather than the syntax tree: it was over its time budget or full of
	// lexical errors. Calls, imports, strings, identifiers, comments,
	// def/class headers and the obfuscation counters are still filled in;
	// Nodes counts tokens, MaxDepth bracket nesting, ErrorNodes lexical
	// errors, and HasError is true.
	Fallback FallbackReason

	Lines        int // number of lines ('\n'-terminated, plus a final unterminated one)
	MaxLineLen   int // longest line in characters (invalid UTF-8 bytes count one each)
	NumLongLines int // lines longer than LongLineThreshold characters

	Nodes      int  // syntax tree nodes, named and anonymous
	MaxDepth   int  // deepest syntax tree nesting
	ErrorNodes int  // ERROR plus MISSING nodes
	HasError   bool // the parser had to recover from a syntax error
	// Py2Statements counts Python 2 print/exec statements. tree-sitter
	// accepts them without errors, so they are not in ErrorNodes; they
	// are also reported as calls to "print"/"exec" with Call.Stmt set.
	Py2Statements int

	Imports     []Import
	Calls       []Call
	Strings     []String
	Identifiers []string // every identifier (names, attributes, parameters, keywords args)
	Comments    []string // comment text without the leading '#', trimmed
	Functions   []Def
	Classes     []Class
	SetupCalls  []SetupCall

	// Totals before the Options caps were applied.
	NumCalls       int
	NumStrings     int
	NumIdentifiers int
	NumComments    int
	StringBytes    int // decoded bytes of all string literals

	Obfuscation Obfuscation
}

// Import is one imported module.
type Import struct {
	// Module is the dotted module name: "a.b" for `import a.b as c`,
	// "os" for `from os import system`, "..pkg" for `from ..pkg import x`,
	// "." for `from . import x`, and the literal argument of
	// __import__("x") / importlib.import_module("x").
	Module string
	// Names are the names imported by a from-import ("*" for a wildcard);
	// empty for plain and dynamic imports.
	Names    []string
	Line     int  // 1-based
	TopLevel bool // not inside a def/class/lambda body
	Dynamic  bool // __import__, importlib.__import__ or importlib.import_module with a literal name
}

// Call is one call site.
type Call struct {
	// Name is the resolved dotted name of the callee:
	//   - imports and aliases are followed: `import subprocess as sp;
	//     sp.Popen()` → "subprocess.Popen", `from os import system as s;
	//     s()` → "os.system", `x = os.system; x()` → "os.system";
	//   - builtins stay bare ("exec", "open"); `builtins.exec`,
	//     `__builtins__.exec`, `__builtins__["exec"]` and
	//     `getattr(__builtins__, "exec")` all give "exec";
	//   - `getattr(X, "lit")`, `__import__("m")`,
	//     `importlib.import_module("m")` and `sys.modules["m"]` stand for
	//     the attribute or module they name, so
	//     `__import__("os").system()` → "os.system";
	//   - a method called on another call's result keeps the callee with
	//     "()" appended: `os.popen(c).read()` → "os.popen().read" (the
	//     inner call is reported on its own as "os.popen");
	//   - subscripts append "[]" (`handlers[k]()` → "handlers[]");
	//   - unknown roots are kept as written (`s.connect()` →
	//     "s.connect"); non-name roots become "<str>" (`"".join` →
	//     "<str>.join"), "<list>", "<dict>", "<tuple>", "<set>",
	//     "<lambda>", "<num>" or "<expr>".
	// Non-literal arguments defeat the special forms: `getattr(b, "ex"+"ec")`
	// is just a call to "getattr", and calling its result gives "getattr()".
	Name string
	// Attr is the last dotted component of Name ("connect" for
	// "s.connect"); empty when Name ends in "()", "[]" or a placeholder.
	Attr     string
	Line     int    // 1-based line of the call's first character
	TopLevel bool   // not inside a def/class/lambda body (if/try/with at module level still count)
	Scope    string // qualified name of the enclosing def/class ("PostInstall.run"), "" at module level
	Args     int    // number of arguments, keyword and splat arguments included
	Snippet  string // call text on one line, whitespace collapsed, at most SnippetRunes characters
	Stmt     bool   // a Python 2 print/exec statement rather than a call
}

// String is one string literal, or one implicit concatenation of
// adjacent literals ("a" "b" gives a single String "ab").
type String struct {
	// Value is the decoded content. Escape sequences are decoded as
	// Python does (\n, \xhh, \ooo, \uXXXX, \UXXXXXXXX, line continuations)
	// except \N{...}, which is kept as written. Raw strings are not
	// decoded; f-string parts keep their raw text, {expressions}
	// included. Bytes literals are decoded to raw bytes, so Value may not
	// be valid UTF-8. Value may be cut to respect Options.MaxStringBytes.
	Value   string
	Len     int // decoded length in bytes before any cut
	Line    int // 1-based line of the opening quote
	Bytes   bool
	FString bool // some part is an f-string (or t-string)
	Doc     bool // the first statement of a module, class or function body
}

// Def is a function definition (lambdas are not listed).
type Def struct {
	Name       string
	Scope      string // qualified name of the enclosing def/class, "" at module level
	Line       int
	EndLine    int
	Params     int
	Decorators []string // resolved decorator names ("atexit.register"); for @f(x) the callee
}

// Class is a class definition.
type Class struct {
	Name       string
	Scope      string
	Line       int
	EndLine    int
	Bases      []string // resolved positional bases: "setuptools.command.install.install"
	Decorators []string
	Methods    []string // names of functions defined directly in the body
}

// SetupCall is a call resolving to setuptools.setup, distutils.core.setup,
// numpy.distutils.core.setup or a bare setup.
type SetupCall struct {
	Name     string
	Line     int
	Keywords []string // keyword argument names, in order
	KwSplat  bool     // setup(**kwargs) present
	// CmdClass lists the cmdclass entries when the argument is a dict
	// literal, a dict(...) call, or a name assigned one of those.
	CmdClass []CmdClass
}

// CmdClass maps a setup() command name to the class implementing it.
type CmdClass struct {
	Command string // "install"
	Class   string // resolved name of the value: "PostInstall"
}

// Obfuscation holds counters useful for spotting obfuscated code.
type Obfuscation struct {
	ChrCalls       int // chr(<int literal>) calls
	MaxChrChain    int // most chr(<int literal>) operands in one tree of '+' operators
	HexEscapes     int // \xhh in string literals
	UnicodeEscapes int // \uXXXX and \UXXXXXXXX
	NamedEscapes   int // \N{...}
	OctalEscapes   int // \o, \oo, \ooo

	NonASCIIIdentChars int // characters >= U+0080 in identifiers

	// Whole-input byte scans.
	ZeroWidthChars int // U+200B–U+200D, U+2060, U+FEFF (a leading BOM is not counted)
	BidiChars      int // U+202A–U+202E, U+2066–U+2069
	InvalidUTF8    int // bytes that are not part of a valid UTF-8 sequence
	PyArmorMarkers int // occurrences of "__pyarmor__", "pyarmor_runtime", "from pytransform import"
}
