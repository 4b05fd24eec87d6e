package classifiers

import (
	"fmt"
	"math"
	"slices"
)

// TermRows is Data.Tokens interned: every distinct token of the rows gets
// an id, ids in token order, and each row is its (id, count) pairs in id
// order. The vectoriser then counts and finds tokens by id instead of
// hashing strings, which was most of its cost. Subsets share the id table,
// so a vectoriser fitted on a training fold maps a test fold's ids to its
// columns with one array lookup. The results are those of the map path,
// bit for bit.
type TermRows struct {
	table *termTable
	rows  []termRow
}

// termTable is the id → token table; read-only once built.
type termTable struct {
	tokens []string // sorted, distinct
}

// termRow holds one row's tokens with a positive count, ids ascending,
// and 1+ln(count), the sublinear tf the vectoriser weights.
type termRow struct {
	ids []int32
	tf  []float64
	cnt []float64
}

// InternTokens interns docs (Data.Tokens). Tokens with a count of zero or
// less are dropped (no path counts them); a NaN or infinite count is an
// error, as in the vectoriser.
func InternTokens(docs []map[string]float64) (*TermRows, error) {
	var toks []string
	seen := map[string]struct{}{}
	for i, d := range docs {
		if i > 0 && sameDoc(d, docs[i-1]) {
			continue
		}
		for tok, c := range d {
			if !finite(c) {
				return nil, fmt.Errorf("intern tokens: %w", badCount(tok, i, c))
			}
			if _, ok := seen[tok]; !ok && c > 0 {
				seen[tok] = struct{}{}
				toks = append(toks, tok)
			}
		}
	}
	slices.Sort(toks)
	id := make(map[string]int32, len(toks))
	for i, t := range toks {
		id[t] = int32(i)
	}
	t := &TermRows{table: &termTable{tokens: toks}, rows: make([]termRow, len(docs))}
	for i, d := range docs {
		if i > 0 && sameDoc(d, docs[i-1]) {
			t.rows[i] = t.rows[i-1]
			continue
		}
		type pair struct {
			id  int32
			cnt float64
		}
		var ps []pair
		for tok, c := range d {
			if c > 0 {
				ps = append(ps, pair{id[tok], c})
			}
		}
		slices.SortFunc(ps, func(a, b pair) int { return int(a.id) - int(b.id) })
		r := termRow{ids: make([]int32, len(ps)), tf: make([]float64, len(ps)), cnt: make([]float64, len(ps))}
		for k, p := range ps {
			r.ids[k], r.cnt[k], r.tf[k] = p.id, p.cnt, 1+math.Log(p.cnt)
		}
		t.rows[i] = r
	}
	return t, nil
}

// Len is the number of rows.
func (t *TermRows) Len() int { return len(t.rows) }

// Subset returns rows idx of t (repeats allowed), sharing the id table and
// the rows; nil stays nil.
func (t *TermRows) Subset(idx []int) *TermRows {
	if t == nil {
		return nil
	}
	out := &TermRows{table: t.table, rows: make([]termRow, len(idx))}
	for i, r := range idx {
		out.rows[i] = t.rows[r]
	}
	return out
}

// fitTerms is Fit on interned rows: the same vocabulary and idf.
func (v *TextVectoriser) fitTerms(t *TermRows) error {
	if t.Len() == 0 {
		return fmt.Errorf("text vectoriser: fit: %w", ErrNoRows)
	}
	minDF, maxF := v.limits()
	nt := len(t.table.tokens)
	df := make([]int32, nt)
	var total []float64
	if v.Params.RankByCount {
		total = make([]float64, nt)
	}
	for _, r := range t.rows {
		for k, id := range r.ids {
			df[id]++
			if total != nil {
				total[id] += r.cnt[k]
			}
		}
	}
	var cands []int32
	for id, n := range df {
		if int(n) >= minDF {
			cands = append(cands, int32(id))
		}
	}
	// Ids follow token order, so "ties by token" is "ties by id".
	slices.SortFunc(cands, func(a, b int32) int {
		if total != nil {
			if total[a] != total[b] {
				if total[a] > total[b] {
					return -1
				}
				return 1
			}
		}
		if df[a] != df[b] {
			return int(df[b]) - int(df[a])
		}
		return int(a) - int(b)
	})
	if len(cands) > maxF {
		cands = cands[:maxF]
	}
	slices.Sort(cands)
	n := float64(t.Len())
	v.Vocabulary = make([]string, len(cands))
	v.IDF = make([]float64, len(cands))
	cols := make([]int32, nt)
	for i := range cols {
		cols[i] = -1
	}
	for i, id := range cands {
		v.Vocabulary[i] = t.table.tokens[id]
		v.IDF[i] = math.Log((1+n)/(1+float64(df[id]))) + 1
		cols[id] = int32(i)
	}
	v.index = v.buildIndex()
	v.terms = &termCols{table: t.table, cols: cols}
	return nil
}

// termCols maps the ids of the table a vectoriser was fitted on to its
// columns (-1: not in the vocabulary).
type termCols struct {
	table *termTable
	cols  []int32
}

// termsFor returns the id → column map for t's table, or nil when the
// vectoriser was not fitted on it (then the map path serves).
func (v *TextVectoriser) termsFor(t *TermRows) []int32 {
	if t == nil || v.terms == nil || v.terms.table != t.table {
		return nil
	}
	return v.terms.cols
}

// transformTerms is transformRow on an interned row.
func (v *TextVectoriser) transformTerms(cols []int32, r termRow, dst []float64) {
	clear(dst)
	for k, id := range r.ids {
		if j := cols[id]; j >= 0 {
			dst[j] = r.tf[k] * v.IDF[j]
		}
	}
	normalise(dst)
}
