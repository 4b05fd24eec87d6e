package classifiers

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Fingerprint names what a pipeline was fitted on: the training rows and
// labels (a digest of their values, so of the rows and the columns), the
// model with its settings, and the seed. Two fits with the same
// fingerprint are the same fit, so one may stand in for the other.
type Fingerprint struct {
	Data  string // DataDigest of the rows and labels
	Model string // the model, its options and the pipeline's steps
	Seed  int64
}

func (f Fingerprint) String() string {
	return fmt.Sprintf("model %s, seed %d, data %.12s", f.Model, f.Seed, f.Data)
}

// DataDigest is the sha256 of the values of d (numeric columns, token
// counts) and of the labels y. For a Data from Digested, or a subset of
// one, the values' part is computed once and a subset's is derived from
// its parent's and its row indices: as exact, and much cheaper in a grid
// where every fold is a subset of one set's rows.
func DataDigest(d Data, y []int) string {
	v := ""
	if d.digest != nil {
		v = d.digest.get()
	} else {
		v = valuesDigest(d)
	}
	h := sha256.New()
	buf := append([]byte(v), 0)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(y)))
	for _, l := range y {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(l))
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// Digested returns d remembering the digest of its values once computed,
// and handing it down to its subsets (SubsetData). Data built this way
// must not change afterwards; a copy with other rows or values must be a
// new Data, not a copy of d.
func Digested(d Data) Data {
	src := d
	src.digest = nil
	d.digest = &digestMemo{src: &src}
	return d
}

// digestMemo computes the digest of a Data's values once: from the values
// (src) or from the parent's digest and the rows taken from it (idx).
type digestMemo struct {
	once   sync.Once
	src    *Data
	parent *digestMemo
	idx    []int
	v      string
}

func (m *digestMemo) get() string {
	m.once.Do(func() {
		if m.parent == nil {
			m.v = valuesDigest(*m.src)
			m.src = nil
			return
		}
		buf := append([]byte("subset\x00"+m.parent.get()), 0)
		for _, i := range m.idx {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(i))
		}
		sum := sha256.Sum256(buf)
		m.v = hex.EncodeToString(sum[:])
		m.parent, m.idx = nil, nil
	})
	return m.v
}

// subset is the memo of the rows idx of the Data m belongs to.
func (m *digestMemo) subset(idx []int) *digestMemo {
	if m == nil {
		return nil
	}
	return &digestMemo{parent: m, idx: slices.Clone(idx)}
}

// valuesDigest is the sha256 of d's numeric values and token counts.
func valuesDigest(d Data) string {
	h := sha256.New()
	var buf []byte
	flush := func() {
		h.Write(buf)
		buf = buf[:0]
	}
	put := func(v uint64) { buf = binary.LittleEndian.AppendUint64(buf, v) }
	n, _ := dataRows(d)
	nc := numericCols(d)
	put(uint64(n))
	put(uint64(nc))
	if nc > 0 {
		for i := 0; i < n; i++ {
			for _, v := range rowView(d.X, i) {
				put(math.Float64bits(v))
			}
			flush()
		}
	}
	put(boolBit(d.Tokens != nil))
	for i := 0; i < len(d.Tokens); i++ {
		// Interned rows are in token order; map rows are sorted here.
		if d.Terms != nil {
			r := d.Terms.rows[i]
			put(uint64(len(r.ids)))
			for k, id := range r.ids {
				tok := d.Terms.table.tokens[id]
				put(uint64(len(tok)))
				buf = append(buf, tok...)
				put(math.Float64bits(r.cnt[k]))
			}
		} else {
			toks := make([]string, 0, len(d.Tokens[i]))
			for t, c := range d.Tokens[i] {
				if c > 0 {
					toks = append(toks, t)
				}
			}
			slices.Sort(toks)
			put(uint64(len(toks)))
			for _, t := range toks {
				put(uint64(len(t)))
				buf = append(buf, t...)
				put(math.Float64bits(d.Tokens[i][t]))
			}
		}
		flush()
	}
	flush()
	return hex.EncodeToString(h.Sum(nil))
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// FitFingerprint is the fingerprint p has once fitted on rows and labels
// whose DataDigest is data. Only pipelines built from a registered model
// (ModelSpec.Pipeline) have one; ok is false for the others.
func FitFingerprint(p Pipeline, data string) (f Fingerprint, ok bool) {
	mp, isModel := p.(*ModelPipeline)
	if !isModel || mp.spec == "" {
		return Fingerprint{}, false
	}
	return Fingerprint{Data: data, Model: mp.spec, Seed: mp.Seed}, true
}

// FitSource supplies pipelines fitted beforehand (a grid's single-model
// cells) to a stack, by the fingerprint the stack needs. It returns the
// pipeline with the fingerprint it was fitted with, or ok false.
type FitSource interface {
	Fitted(want Fingerprint) (p Pipeline, got Fingerprint, ok bool)
}

// ErrPrefitMismatch is wrapped by Stacking.Fit when a prefitted base was
// fitted on other rows, columns, settings or seed than the base it would
// replace.
var ErrPrefitMismatch = errors.New("prefitted base does not match")
