package pyast

import (
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// node is a Go-side copy of one syntax tree node. The tree is copied once
// (see nativeFlatten) and the analysis then works on plain slices, with
// index links instead of recursion and no cgo calls.
type node struct {
	start, end uint32
	parent     int32
	first      int32 // first child, -1 if none
	last       int32 // last child, -1 if none
	next       int32 // next sibling, -1 if none
	scope      int32 // nearest def/class/lambda whose body holds this node, -1 at module level
	field      uint16
	kind       kind
	named      bool
	missing    bool
	top        bool // not inside a def/class/lambda body
}

// flatten copies tree into nodes in pre-order (parents precede children,
// siblings are in source order). raw is a reusable buffer; both are
// returned for reuse, with the tree depth.
func flatten(tree *sitter.Tree, t *tables, srcLen uint32, raw []rawNode, nodes []node) ([]rawNode, []node, int) {
	raw, ok := nativeFlatten(tree.RootNode(), raw[:0])
	if !ok {
		raw = cursorFlatten(tree, raw[:0])
	}
	nodes, depth := link(raw, t, srcLen, nodes[:0])
	return raw, nodes, depth
}

// cursorFlatten is the pure-Go equivalent of pyast_flatten: several cgo
// calls per node, so only a fallback and a cross-check in tests.
func cursorFlatten(tree *sitter.Tree, raw []rawNode) []rawNode {
	c := tree.Walk()
	defer c.Close()
	depth := 0
	for {
		n := c.Node()
		var r rawNode
		r.start, r.end = cUint32(n.StartByte()), cUint32(n.EndByte())
		r.depth = cUint32(uint(depth))
		r.symbol, r.field = cUint16(n.KindId()), cUint16(c.FieldId())
		if r.start == r.end && n.IsMissing() {
			r.missing = 1
		}
		raw = append(raw, r)
		if c.GotoFirstChild() {
			depth++
			continue
		}
		for !c.GotoNextSibling() {
			if depth == 0 || !c.GotoParent() {
				return raw
			}
			depth--
		}
	}
}

// link turns pre-order records with depths into linked nodes and fills in
// kinds and the def/class scope of each node.
func link(raw []rawNode, t *tables, srcLen uint32, nodes []node) ([]node, int) {
	var stack []int32 // stack[d] is the open node at depth d
	maxDepth := 0
	for _, r := range raw {
		// Clamp defensively: text slices are taken from these offsets.
		end := min(uint32(r.end), srcLen)
		start := min(uint32(r.start), end)
		k, named := t.kindOf(uint16(r.symbol))
		idx := int32(len(nodes))
		nd := node{
			start: start, end: end, parent: -1, first: -1, last: -1, next: -1,
			scope: -1, field: uint16(r.field), kind: k, named: named,
			missing: r.missing != 0, top: true,
		}
		d := int(r.depth)
		if d > len(stack) { // cannot happen with a cursor walk; keep links sane
			d = len(stack)
		}
		stack = stack[:d]
		if d > 0 {
			p := stack[d-1]
			nd.parent = p
			pn := &nodes[p]
			nd.top, nd.scope = pn.top, pn.scope
			if nd.field == t.fields.body && (pn.kind == kFuncDef || pn.kind == kClassDef || pn.kind == kLambda) {
				nd.top, nd.scope = false, p
			}
			if pn.first < 0 {
				pn.first = idx
			} else {
				nodes[pn.last].next = idx
			}
			pn.last = idx
		}
		nodes = append(nodes, nd)
		stack = append(stack, idx)
		maxDepth = max(maxDepth, d)
	}
	return nodes, maxDepth
}
