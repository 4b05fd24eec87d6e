package pyast

import (
	"fmt"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// kind is the subset of grammar node types the analysis looks at. Symbol
// ids are mapped to kinds once, by name, so grammar aliases (several ids
// with one name) are handled and no per-node string is built.
type kind uint8

const (
	kOther kind = iota
	kError
	kModule
	kBlock
	kIdentifier
	kAttribute
	kCall
	kArgumentList
	kKeywordArgument
	kString
	kConcatString
	kStringStart
	kStringContent
	kStringEnd
	kInterpolation
	kSubscript
	kParenExpr
	kImport
	kImportFrom
	kFutureImport
	kDottedName
	kAliasedImport
	kRelativeImport
	kImportPrefix
	kWildcardImport
	kFuncDef
	kClassDef
	kDecoratedDef
	kDecorator
	kLambda
	kAssignment
	kExprStmt
	kDictionary
	kPair
	kDictSplat
	kBinaryOp
	kPlus
	kInteger
	kFloat
	kComment
	kPrintStmt
	kExecStmt
	kList
	kListComp
	kDictComp
	kTuple
	kSet
	kSetComp
	kGeneratorExpr
	kParameters
	kLambdaParams
	kKeywordSep
	kPositionalSep
)

// Named grammar node types and the kind each maps to.
var namedKinds = map[string]kind{
	"module":                   kModule,
	"block":                    kBlock,
	"identifier":               kIdentifier,
	"attribute":                kAttribute,
	"call":                     kCall,
	"argument_list":            kArgumentList,
	"keyword_argument":         kKeywordArgument,
	"string":                   kString,
	"concatenated_string":      kConcatString,
	"string_start":             kStringStart,
	"string_content":           kStringContent,
	"string_end":               kStringEnd,
	"interpolation":            kInterpolation,
	"subscript":                kSubscript,
	"parenthesized_expression": kParenExpr,
	"import_statement":         kImport,
	"import_from_statement":    kImportFrom,
	"future_import_statement":  kFutureImport,
	"dotted_name":              kDottedName,
	"aliased_import":           kAliasedImport,
	"relative_import":          kRelativeImport,
	"import_prefix":            kImportPrefix,
	"wildcard_import":          kWildcardImport,
	"function_definition":      kFuncDef,
	"class_definition":         kClassDef,
	"decorated_definition":     kDecoratedDef,
	"decorator":                kDecorator,
	"lambda":                   kLambda,
	"assignment":               kAssignment,
	"expression_statement":     kExprStmt,
	"dictionary":               kDictionary,
	"pair":                     kPair,
	"dictionary_splat":         kDictSplat,
	"binary_operator":          kBinaryOp,
	"integer":                  kInteger,
	"float":                    kFloat,
	"comment":                  kComment,
	"print_statement":          kPrintStmt,
	"exec_statement":           kExecStmt,
	"list":                     kList,
	"list_comprehension":       kListComp,
	"dictionary_comprehension": kDictComp,
	"tuple":                    kTuple,
	"set":                      kSet,
	"set_comprehension":        kSetComp,
	"generator_expression":     kGeneratorExpr,
	"parameters":               kParameters,
	"lambda_parameters":        kLambdaParams,
	"keyword_separator":        kKeywordSep,
	"positional_separator":     kPositionalSep,
}

// Anonymous (token) node types the analysis looks at.
var anonKinds = map[string]kind{
	"+": kPlus,
}

// Field ids, resolved once per process.
type fields struct {
	function, arguments, object, attribute, value, subscript, name, alias,
	moduleName, body, superclasses, left, right, operator, key, definition,
	code, parameters uint16
}

type tables struct {
	lang   *sitter.Language
	kinds  []kind // by symbol id
	named  []bool // by symbol id
	fields fields
}

const errorSymbol = 0xFFFF // ts_builtin_sym_error

var (
	tablesOnce sync.Once
	tablesVal  *tables
	tablesErr  error
)

func getTables() (*tables, error) {
	tablesOnce.Do(func() { tablesVal, tablesErr = buildTables() })
	return tablesVal, tablesErr
}

// mustTables is used after a Parser exists, which implies tables were built.
func mustTables() *tables {
	t, _ := getTables()
	return t
}

func buildTables() (*tables, error) {
	lang := sitter.NewLanguage(python.Language())
	n := lang.NodeKindCount()
	t := &tables{lang: lang, kinds: make([]kind, n), named: make([]bool, n)}
	for id := range uint16(n) {
		name := lang.NodeKindForId(id)
		isNamed := lang.NodeKindIsNamed(id)
		t.named[id] = isNamed
		if isNamed {
			t.kinds[id] = namedKinds[name]
		} else {
			t.kinds[id] = anonKinds[name]
		}
	}
	var missing []string
	field := func(name string) uint16 {
		id := lang.FieldIdForName(name)
		if id == 0 {
			missing = append(missing, name)
		}
		return id
	}
	t.fields = fields{
		function: field("function"), arguments: field("arguments"),
		object: field("object"), attribute: field("attribute"),
		value: field("value"), subscript: field("subscript"),
		name: field("name"), alias: field("alias"),
		moduleName: field("module_name"), body: field("body"),
		superclasses: field("superclasses"), left: field("left"),
		right: field("right"), operator: field("operator"), key: field("key"),
		definition: field("definition"), code: field("code"),
		parameters: field("parameters"),
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pyast: python grammar lacks fields %v", missing)
	}
	return t, nil
}

func (t *tables) kindOf(sym uint16) (kind, bool) {
	if sym == errorSymbol {
		return kError, true
	}
	if int(sym) < len(t.kinds) {
		return t.kinds[sym], t.named[sym]
	}
	return kOther, false
}
