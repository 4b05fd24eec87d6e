package pyast

/*
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

// The subset of tree_sitter/api.h (v0.25, pinned in go.mod) used here,
// declared locally because the binding's include path is not exported.
// The symbols come from the go-tree-sitter package linked into the binary.
typedef struct { uint32_t context[4]; const void *id; const void *tree; } TSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;
TSTreeCursor ts_tree_cursor_new(TSNode node);
void ts_tree_cursor_delete(TSTreeCursor *self);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
uint16_t ts_tree_cursor_current_field_id(const TSTreeCursor *self);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
bool ts_tree_cursor_goto_parent(TSTreeCursor *self);
uint16_t ts_node_symbol(TSNode self);
uint32_t ts_node_start_byte(TSNode self);
uint32_t ts_node_end_byte(TSNode self);
bool ts_node_is_missing(TSNode self);
uint32_t ts_node_descendant_count(TSNode self);
void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t),
                      void *(*)(void *, size_t), void (*)(void *));

static void pyast_use_libc_allocator(void) {
	ts_set_allocator(malloc, calloc, realloc, free);
}

typedef struct {
	uint32_t start, end, depth;
	uint16_t symbol, field;
	uint8_t missing;
} pyast_raw;

// pyast_flatten writes the nodes under root in pre-order, as the cursor
// visits them, and returns how many it wrote (at most cap). One cgo call
// per file instead of several per node.
static size_t pyast_flatten(TSNode root, pyast_raw *out, size_t cap) {
	TSTreeCursor c = ts_tree_cursor_new(root);
	size_t n = 0;
	uint32_t depth = 0;
	for (;;) {
		if (n == cap) break;
		TSNode node = ts_tree_cursor_current_node(&c);
		pyast_raw *r = &out[n++];
		r->start = ts_node_start_byte(node);
		r->end = ts_node_end_byte(node);
		r->depth = depth;
		r->symbol = ts_node_symbol(node);
		r->field = ts_tree_cursor_current_field_id(&c);
		r->missing = r->start == r->end && ts_node_is_missing(node);
		if (ts_tree_cursor_goto_first_child(&c)) {
			depth++;
			continue;
		}
		bool done = false;
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (depth == 0 || !ts_tree_cursor_goto_parent(&c)) {
				done = true;
				break;
			}
			depth--;
		}
		if (done) break;
	}
	ts_tree_cursor_delete(&c);
	return n;
}

static uint32_t pyast_descendant_count(TSNode root) {
	return ts_node_descendant_count(root);
}
*/
import "C"

import (
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// go-tree-sitter routes every tree-sitter allocation through exported Go
// functions that merely call libc malloc/free; each is a C→Go→C round trip
// and together they cost a third of parse time. Pointing tree-sitter
// straight at libc uses the same heap, so memory allocated either way is
// freed correctly. This is process-wide and runs before main, while no
// parse can be in flight; a later sitter.SetAllocator call overrides it.
func init() {
	C.pyast_use_libc_allocator()
}

// sitter.Node is documented as C-compatible (it wraps a TSNode), which
// is what lets nativeFlatten hand the root to C. If a binding upgrade
// changed that, the slower pure-Go cursor walk is used instead.
var nativeOK = unsafe.Sizeof(sitter.Node{}) == C.sizeof_TSNode

type rawNode = C.pyast_raw

// nativeFlatten copies the tree into buf via one C call; ok is false when
// the native path is unavailable.
func nativeFlatten(root *sitter.Node, raw []rawNode) ([]rawNode, bool) {
	if !nativeOK || root == nil {
		return raw, false
	}
	croot := *(*C.TSNode)(unsafe.Pointer(root))
	n := int(C.pyast_descendant_count(croot))
	if n <= 0 {
		return raw, false
	}
	if cap(raw) < n {
		raw = make([]rawNode, n)
	}
	raw = raw[:n]
	got := int(C.pyast_flatten(croot, &raw[0], C.size_t(n)))
	return raw[:got], true
}

func cUint32(v uint) C.uint32_t   { return C.uint32_t(v) }
func cUint16(v uint16) C.uint16_t { return C.uint16_t(v) }
