package pyast

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"time"
	"unicode/utf8"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Parser wraps one tree-sitter parser plus reusable buffers. It is not
// safe for concurrent use; use one per goroutine or a Pool. Close frees the
// C memory; a Parser that is garbage collected unclosed is freed too.
type Parser struct {
	sp      *sitter.Parser
	cleanup runtime.Cleanup
	// Buffers reused between files.
	raw     []rawNode
	nodes   []node
	scratch []byte
	// cancelAfter, for tests, cancels each parse at that progress callback
	// (tree-sitter calls it every 100 operations), as a deadline would.
	cancelAfter int
}

// NewParser returns a parser for Python.
func NewParser() (*Parser, error) {
	p := &Parser{}
	if err := p.renew(); err != nil {
		return nil, err
	}
	return p, nil
}

// renew gives p a fresh tree-sitter parser, closing the old one. A parse
// cancelled while tree-sitter balances the finished tree leaves the parser
// flagged to resume balancing, and neither Reset nor a new input clears the
// flag (v0.25): the next parse aborts the process on an assertion. So a
// cancelled parser is never reused.
func (p *Parser) renew() error {
	t, err := getTables()
	if err != nil {
		return err
	}
	sp := sitter.NewParser()
	if err := sp.SetLanguage(t.lang); err != nil {
		sp.Close()
		return fmt.Errorf("pyast: set python language: %w", err)
	}
	if p.sp != nil {
		p.cleanup.Stop()
		p.sp.Close()
	}
	p.sp = sp
	// Safety net so parsers dropped without Close do not leak C memory.
	p.cleanup = runtime.AddCleanup(p, func(sp *sitter.Parser) { sp.Close() }, sp)
	return nil
}

// Close frees the parser. It is idempotent.
func (p *Parser) Close() {
	if p == nil || p.sp == nil {
		return
	}
	p.cleanup.Stop()
	p.sp.Close()
	p.sp = nil
	p.raw, p.nodes, p.scratch = nil, nil, nil
}

// Analyze parses src and returns the facts about it. src is not modified
// or retained. A nil error means File is complete up to the documented
// limits; syntax errors in src are reported in File, not as errors.
func (p *Parser) Analyze(src []byte, opts Options) (f *File, err error) {
	// The analysis is fuzzed to never panic; this only keeps one
	// unforeseen input from taking down a whole batch.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("pyast: analyze %d bytes: %w: %v", len(src), ErrInternal, r)
			if p.sp != nil && p.renew() != nil {
				p.Close()
			}
		}
	}()
	return p.analyze(src, opts)
}

func (p *Parser) analyze(src []byte, opts Options) (*File, error) {
	if p == nil || p.sp == nil {
		return nil, fmt.Errorf("pyast: analyze: %w", ErrClosed)
	}
	opts = opts.withDefaults()
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	base := File{Bytes: len(src)}
	scanText(src, &base)

	code := src
	if len(src) > opts.MaxBytes {
		if opts.RejectOversize {
			return nil, fmt.Errorf("pyast: %d bytes, limit %d: %w", len(src), opts.MaxBytes, ErrTooLarge)
		}
		code = truncate(src, opts.MaxBytes)
		base.Truncated = true
	}
	base.AnalyzedBytes = len(code)

	// The pre-scan decides from the bytes alone, so the same file takes the
	// same path on every machine.
	switch _, st := lex(code, false); {
	case st.errors() > opts.MaxLexErrors:
		return p.fallback(code, base, opts, FallbackLexErrors), nil
	case st.nestingTooDeep():
		return p.fallback(code, base, opts, FallbackNesting), nil
	}

	f := new(File)
	*f = base
	if err := p.parseTree(code, deadline, f); err != nil {
		switch {
		case opts.NoFallback:
		case errors.Is(err, ErrTimeout):
			return p.fallback(code, base, opts, FallbackTimeout), nil
		case errors.Is(err, errParseReads):
			return p.fallback(code, base, opts, FallbackParseReads), nil
		}
		return nil, err
	}
	a := newAnalysis(code, p.nodes, f, opts)
	a.deadline = deadline
	a.scratch = p.scratch[:0]
	err := a.run()
	p.scratch = a.scratch

	// Keep buffers for the next file unless one huge file inflated them.
	if cap(p.nodes) > 1<<20 {
		p.raw, p.nodes = nil, nil
	}
	if cap(p.scratch) > 1<<20 {
		p.scratch = nil
	}
	if err != nil {
		if opts.NoFallback {
			return nil, err
		}
		return p.fallback(code, base, opts, FallbackTimeout), nil
	}
	return f, nil
}

// fallback analyses code with the linear token scan.
func (p *Parser) fallback(code []byte, base File, opts Options, reason FallbackReason) *File {
	f := new(File)
	*f = base
	toks, st := lex(code, true)
	fallback(code, toks, st, f, opts, reason)
	return f
}

// parseTree parses code and copies the tree into p.nodes.
func (p *Parser) parseTree(code []byte, deadline time.Time, f *File) error {
	tree, err := p.parse(code, deadline)
	if err != nil {
		return err
	}
	defer tree.Close()
	f.HasError = tree.RootNode().HasError()
	p.raw, p.nodes, f.MaxDepth = flatten(tree, mustTables(), uint32(len(code)), p.raw, p.nodes)
	return nil
}

// readChunk bounds how much source tree-sitter's read callback copies at a
// time; the binding copies the returned slice on every call and keeps the
// copies until the parse ends, and error recovery can re-read from earlier
// offsets.
const readChunk = 64 << 10

// maxReadFactor and maxReadFloor bound those copies: a parse that has
// read more than maxReadFloor plus maxReadFactor times the source is
// stopped (FallbackParseReads), so the memory a parse holds stays
// proportional to the file. Normal code reads its source 1–1.5 times;
// files with syntax errors re-read more (a 5 KB Python 2 file of the
// dataset read over 100 KB), hence the floor.
const (
	maxReadFactor = 16
	maxReadFloor  = 64 << 20
)

// errParseReads stops a parse that re-read its input too often.
var errParseReads = errors.New("parse re-read its input too often")

func (p *Parser) parse(code []byte, deadline time.Time) (*sitter.Tree, error) {
	read, limit, reads := 0, maxReadFactor*len(code)+maxReadFloor, false
	readFn := func(i int, _ sitter.Point) []byte {
		if i < 0 || i >= len(code) || reads {
			return nil
		}
		chunk := code[i:min(len(code), i+readChunk)]
		if read += len(chunk); read > limit {
			// End of input for tree-sitter; the truncated tree is dropped.
			reads = true
			return nil
		}
		return chunk
	}
	// The deadline is checked by tree-sitter itself, in C, every 100
	// parser operations: a Go progress callback costs a cgo call each time,
	// which made parsing 10-15% slower. (The timeout is deprecated in the
	// v0.25 API in favour of the callback, which is kept for tests.)
	var micros uint64
	if !deadline.IsZero() {
		micros = uint64(max(time.Until(deadline).Microseconds(), 1))
	}
	//lint:ignore SA1019 the callback alternative costs a cgo call per check (above)
	p.sp.SetTimeoutMicros(micros)
	var popts *sitter.ParseOptions
	if p.cancelAfter > 0 {
		calls := 0
		popts = &sitter.ParseOptions{ProgressCallback: func(sitter.ParseState) bool {
			calls++
			return calls >= p.cancelAfter
		}}
	}
	tree := p.sp.ParseWithOptions(readFn, nil, popts)
	if tree == nil {
		// A cancelled parse keeps partial state meant for resuming, which
		// Reset does not fully clear (see renew).
		if err := p.renew(); err != nil {
			p.Close()
			return nil, fmt.Errorf("pyast: parse %d bytes: cancelled, and no new parser: %w", len(code), err)
		}
		if !deadline.IsZero() || p.cancelAfter > 0 {
			return nil, fmt.Errorf("pyast: parse %d bytes: %w", len(code), ErrTimeout)
		}
		return nil, fmt.Errorf("pyast: parse %d bytes: %w: tree-sitter returned no tree", len(code), ErrInternal)
	}
	if reads {
		tree.Close()
		return nil, fmt.Errorf("pyast: parse %d bytes: read %d bytes: %w", len(code), read, errParseReads)
	}
	return tree, nil
}

// truncate cuts src to at most n bytes, preferring the end of a line so
// the parser does not see half a token, else a UTF-8 boundary.
func truncate(src []byte, n int) []byte {
	cut := src[:n]
	if i := bytes.LastIndexByte(cut, '\n'); i >= 0 && i >= n-64<<10 {
		return cut[:i+1]
	}
	for k := 0; k < utf8.UTFMax && len(cut) > 0 && !utf8.RuneStart(src[len(cut)]); k++ {
		cut = cut[:len(cut)-1]
	}
	return cut
}

// Pool hands out Parsers to concurrent workers. Parsers beyond the pool's
// capacity are closed when returned.
type Pool struct {
	free chan *Parser
}

// NewPool returns a pool keeping at most size idle parsers.
func NewPool(size int) *Pool {
	return &Pool{free: make(chan *Parser, max(size, 0))}
}

// Get returns an idle parser or a new one.
func (pl *Pool) Get() (*Parser, error) {
	select {
	case p := <-pl.free:
		return p, nil
	default:
		return NewParser()
	}
}

// Put returns p to the pool, or closes it when the pool is full.
func (pl *Pool) Put(p *Parser) {
	if p == nil || p.sp == nil {
		return
	}
	select {
	case pl.free <- p:
	default:
		p.Close()
	}
}

// Analyze runs Parser.Analyze on a pooled parser.
func (pl *Pool) Analyze(src []byte, opts Options) (*File, error) {
	p, err := pl.Get()
	if err != nil {
		return nil, err
	}
	defer pl.Put(p)
	return p.Analyze(src, opts)
}

// Close closes the idle parsers. Parsers handed out and Put later are
// pooled again, so call Close after all workers are done.
func (pl *Pool) Close() {
	for {
		select {
		case p := <-pl.free:
			p.Close()
		default:
			return
		}
	}
}
