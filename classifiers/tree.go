package classifiers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/mat"

	"pypimal/internal/pool"
)

// featureThreshold is scikit-learn's FEATURE_THRESHOLD: values closer than
// this are treated as equal, so no split is placed between them.
const featureThreshold = 1e-7

// TreeParams configures a CART tree. Zero fields take the scikit-learn
// default noted on each field.
type TreeParams struct {
	MaxDepth        int         // 0: unlimited
	MinSamplesSplit int         // 0: 2
	MinSamplesLeaf  int         // 0: 1
	MaxFeatures     int         // features examined per split; 0: all of them
	ClassWeight     ClassWeight // "" or "balanced"
}

// DefaultTreeParams returns scikit-learn's DecisionTreeClassifier defaults.
func DefaultTreeParams() TreeParams {
	return TreeParams{MinSamplesSplit: 2, MinSamplesLeaf: 1}
}

func (tp TreeParams) resolved(nFeatures int) TreeParams {
	if tp.MinSamplesSplit < 2 {
		tp.MinSamplesSplit = 2
	}
	if tp.MinSamplesLeaf < 1 {
		tp.MinSamplesLeaf = 1
	}
	if tp.MaxFeatures <= 0 || tp.MaxFeatures > nFeatures {
		tp.MaxFeatures = nFeatures
	}
	return tp
}

// TreeNode is one node of a fitted tree. Rows with x[Feature] <= Threshold go
// to Left. Leaves have Left == -1. Value is the weighted fraction of class 1
// among the training rows that reached the node, i.e. the leaf probability.
type TreeNode struct {
	Feature   int32   `json:"f"`
	Threshold float64 `json:"t"`
	Left      int32   `json:"l"`
	Right     int32   `json:"r"`
	Value     float64 `json:"v"`
}

// DecisionTree is a CART classifier with the Gini criterion that follows
// scikit-learn's BestSplitter: thresholds at midpoints between consecutive
// distinct values, features visited in a seeded random order per node, known
// constant features skipped, and a leaf whenever a node is pure or too small.
type DecisionTree struct {
	Params    TreeParams
	Seed      int64
	NFeatures int
	Nodes     []TreeNode // depth-first order, root first
}

// NewDecisionTree returns an unfitted tree.
func NewDecisionTree(params TreeParams, seed int64) *DecisionTree {
	return &DecisionTree{Params: params, Seed: seed}
}

// Fit grows the tree on x and y.
func (t *DecisionTree) Fit(x *mat.Dense, y []int) error {
	n, p, err := checkFit(x, y)
	if err != nil {
		return fmt.Errorf("decision tree: fit: %w", err)
	}
	cw, err := t.Params.ClassWeight.weights(y)
	if err != nil {
		return fmt.Errorf("decision tree: fit: %w", err)
	}
	w := make([]float64, n)
	for i, v := range y {
		w[i] = cw[v]
	}
	ps := presort(x, runtime.GOMAXPROCS(0))
	b := newTreeBuilder(ps, y, t.Params.resolved(p))
	t.Nodes = b.build(w, newRNG(t.Seed))
	t.NFeatures = p
	return nil
}

// Predict returns the leaf probability of class 1 for each row.
func (t *DecisionTree) Predict(x *mat.Dense) ([]float64, error) {
	n, err := checkPredict(x, t.NFeatures)
	if err != nil {
		return nil, fmt.Errorf("decision tree: predict: %w", err)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = predictNodes(t.Nodes, rowView(x, i))
	}
	return out, nil
}

func predictNodes(nodes []TreeNode, row []float64) float64 {
	k := int32(0)
	for nodes[k].Left >= 0 {
		if row[nodes[k].Feature] <= nodes[k].Threshold {
			k = nodes[k].Left
		} else {
			k = nodes[k].Right
		}
	}
	return nodes[k].Value
}

// presorted holds each feature as dense ranks into its sorted distinct
// values. Computing it once per fit (and once per forest) lets every node find
// its best split in O(m) with per-rank bins, or by radix-sorting integer keys
// when a feature has many more distinct values than the node has rows.
//
// Values closer than featureThreshold to their sorted neighbour share a rank.
// scikit-learn never splits between such neighbours either, so this only
// moves the threshold within such a cluster; in exchange every pair of
// distinct ranks is a valid split point and needs no value comparison.
type presorted struct {
	n    int
	rank []uint32    // rank[f*n+i] is the rank of x[i,f]
	lo   [][]float64 // smallest value of each rank of each feature, ascending
	hi   [][]float64 // largest value of each rank
	maxK int         // largest number of ranks of a feature
}

func presort(x *mat.Dense, workers int) *presorted {
	n, p := x.Dims()
	ps := &presorted{n: n, rank: make([]uint32, n*p), lo: make([][]float64, p), hi: make([][]float64, p)}
	if workers < 1 {
		workers = 1
	}
	raw := x.RawMatrix()
	// Each worker keeps its sort buffers across the columns it ranks. Ranking
	// neither fails nor is cancelled; a panic is a bug and stays one.
	st := pool.State[*rankSorter]{New: func(int) (*rankSorter, error) { return new(rankSorter), nil }}
	if _, err := pool.RunWith(context.Background(), p, workers, st, func(rs *rankSorter, f int) error {
		ps.lo[f], ps.hi[f] = rs.rank(raw.Data[f:], raw.Stride, n, ps.rank[f*n:(f+1)*n])
		return nil
	}); err != nil {
		panic(fmt.Sprintf("presort: %v", err))
	}
	for _, v := range ps.lo {
		ps.maxK = max(ps.maxK, len(v))
	}
	return ps
}

// rankSorter ranks one column: a radix sort of the non-zero values'
// ordered bit patterns carrying the row numbers, then one walk that groups
// the sorted distinct values into ranks, the zeros (most of a TF-IDF
// column) put in their place without being sorted. (A comparison sort plus
// a binary search per row cost about twice as much.)
type rankSorter struct {
	keys, keysTmp []uint64
	rows, rowsTmp []uint32
	zeros         []uint32
}

// rank sets r[i] to the rank of column value col[i*stride] (i < n) and
// returns each rank's smallest and largest value. Values must be finite.
func (s *rankSorter) rank(col []float64, stride, n int, r []uint32) (lo, hi []float64) {
	if cap(s.keys) < n {
		s.keys, s.keysTmp = make([]uint64, n), make([]uint64, n)
		s.rows, s.rowsTmp = make([]uint32, n), make([]uint32, n)
		s.zeros = make([]uint32, 0, n)
	}
	keys, rows, zeros := s.keys[:0], s.rows[:0], s.zeros[:0]
	for i := 0; i < n; i++ {
		if v := col[i*stride]; v != 0 {
			keys = append(keys, orderedBits(v))
			rows = append(rows, uint32(i))
		} else {
			zeros = append(zeros, uint32(i))
		}
	}
	keys, rows = radixSort(keys, rows, s.keysTmp[:len(keys)], s.rowsTmp[:len(keys)])
	g := rankGrouper{r: r}
	// Negative values sort below orderedBits(0), positive ones above.
	pos, _ := slices.BinarySearch(keys, orderedBits(0))
	for k, key := range keys[:pos] {
		g.add(fromOrderedBits(key), rows[k])
	}
	for _, row := range zeros {
		g.add(0, row)
	}
	for k, key := range keys[pos:] {
		g.add(fromOrderedBits(key), rows[pos+k])
	}
	return g.lo, g.hi
}

// rankGrouper takes a column's values in ascending order and groups them
// into ranks: a value more than featureThreshold above the previous
// distinct one starts a rank.
type rankGrouper struct {
	r      []uint32
	lo, hi []float64
	prev   float64
}

func (g *rankGrouper) add(v float64, row uint32) {
	switch {
	case len(g.lo) == 0 || v > g.prev+featureThreshold:
		g.lo = append(g.lo, v)
		g.hi = append(g.hi, v)
	case v != g.prev:
		g.hi[len(g.hi)-1] = v
	}
	g.prev = v
	g.r[row] = uint32(len(g.lo) - 1)
}

// orderedBits maps a finite float64 to a uint64 with the same order; -0
// becomes +0, as the two are one value to a split.
func orderedBits(v float64) uint64 {
	if v == 0 {
		v = 0
	}
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedBits(b uint64) float64 {
	if b>>63 != 0 {
		return math.Float64frombits(b &^ (1 << 63))
	}
	return math.Float64frombits(^b)
}

// byteOffsets sets count[d] to where the first key whose byte at shift is
// d goes in a stable counting-sort pass over keys (non-empty), and reports
// false when every key has the same byte there: the pass would move
// nothing.
func byteOffsets(count *[256]int, keys []uint64, shift uint) bool {
	clear(count[:])
	for _, k := range keys {
		count[(k>>shift)&0xff]++
	}
	if count[(keys[0]>>shift)&0xff] == len(keys) {
		return false
	}
	sum := 0
	for i, c := range count {
		count[i] = sum
		sum += c
	}
	return true
}

// radixSort sorts keys ascending, moving rows along, with an LSD radix
// sort over the key bytes (a byte every key shares is skipped). It returns
// the sorted slices, which are either the inputs or the scratch ones.
func radixSort(keys []uint64, rows []uint32, keysTmp []uint64, rowsTmp []uint32) ([]uint64, []uint32) {
	if len(keys) < 2 {
		return keys, rows
	}
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if !byteOffsets(&count, keys, shift) {
			continue
		}
		for i, k := range keys {
			d := (k >> shift) & 0xff
			keysTmp[count[d]] = k
			rowsTmp[count[d]] = rows[i]
			count[d]++
		}
		keys, keysTmp = keysTmp, keys
		rows, rowsTmp = rowsTmp, rows
	}
	return keys, rows
}

// stablePartition lets tests compare trees grown with the stable
// partition and with the in-place one (tests that change it must not run
// in parallel).
var stablePartition = true

type treeBuilder struct {
	ps     *presorted
	y      []int
	params TreeParams

	wBin     []float64 // row i's weight (0: not in the tree)
	cls      []uint32  // row i's class: its weight goes to bins[2r+cls[i]]
	rng      *rand.Rand
	samples  []int32
	right    []int32 // scratch of partition
	features []int32
	constF   []int32
	bins     []float64 // bins[2r], bins[2r+1]: class weights at rank r, all-zero between uses
	bc       []int32   // rows at rank r, all-zero between uses
	keys     []uint64
	keysTmp  []uint64
	stack    []stackEntry
	nodes    []TreeNode
	// intWeights is true when every weight is a whole number (no class
	// weights: bootstrap counts or 1), so that sums of weights are exact
	// in any order.
	intWeights bool

	// best split of the node being searched
	bestScore float64
	bestFeat  int
	bestRank  uint32
	bestThr   float64
}

type stackEntry struct {
	start, end, depth, parent, nConst int
	isLeft                            bool
}

func newTreeBuilder(ps *presorted, y []int, params TreeParams) *treeBuilder {
	p := len(ps.lo)
	return &treeBuilder{
		ps: ps, y: y, params: params,
		samples:  make([]int32, 0, ps.n),
		features: make([]int32, p),
		constF:   make([]int32, p),
		wBin:     make([]float64, ps.n),
		cls:      make([]uint32, ps.n),
		bins:     make([]float64, 2*ps.maxK),
		bc:       make([]int32, ps.maxK),
		keys:     make([]uint64, ps.n),
		keysTmp:  make([]uint64, ps.n),
	}
}

// build grows one tree on the rows with positive weight w and returns its
// nodes. Rows with weight 0 are left out entirely, as scikit-learn does for
// rows a bootstrap did not draw.
func (b *treeBuilder) build(w []float64, rng *rand.Rand) []TreeNode {
	b.rng = rng
	b.samples = b.samples[:0]
	total := 0.0
	b.intWeights = true
	for i, v := range w {
		if v != math.Trunc(v) {
			b.intWeights = false
		}
		b.wBin[i], b.cls[i] = 0, uint32(b.y[i])
		if v > 0 {
			b.samples = append(b.samples, int32(i))
			b.wBin[i] = v
			total += v
		}
	}
	if total >= 1<<53 {
		b.intWeights = false
	}
	for i := range b.features {
		b.features[i] = int32(i)
	}
	b.nodes = nil
	b.stack = append(b.stack[:0], stackEntry{start: 0, end: len(b.samples), parent: -1})
	for len(b.stack) > 0 {
		e := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]
		var wc [2]float64 // class weights of the node
		for _, s := range b.samples[e.start:e.end] {
			wc[b.cls[s]] += b.wBin[s]
		}
		w0, w1 := wc[0], wc[1]
		wt := w0 + w1
		id := int32(len(b.nodes))
		b.nodes = append(b.nodes, TreeNode{Feature: -1, Left: -1, Right: -1, Value: w1 / wt})
		if e.parent >= 0 {
			if e.isLeft {
				b.nodes[e.parent].Left = id
			} else {
				b.nodes[e.parent].Right = id
			}
		}
		m := e.end - e.start
		impurity := 1 - (w0*w0+w1*w1)/(wt*wt)
		if m < b.params.MinSamplesSplit || m < 2*b.params.MinSamplesLeaf ||
			(b.params.MaxDepth > 0 && e.depth >= b.params.MaxDepth) ||
			impurity <= 0x1p-52 {
			continue
		}
		nConst, ok := b.findSplit(e.start, e.end, w0, w1, e.nConst)
		if !ok {
			continue
		}
		b.nodes[id].Feature = int32(b.bestFeat)
		b.nodes[id].Threshold = b.bestThr
		pos := b.partition(e.start, e.end)
		// Right is pushed first so the left subtree is built first, as in
		// scikit-learn's depth-first builder.
		b.stack = append(b.stack,
			stackEntry{start: pos, end: e.end, depth: e.depth + 1, parent: int(id), nConst: nConst},
			stackEntry{start: e.start, end: pos, depth: e.depth + 1, parent: int(id), nConst: nConst, isLeft: true})
	}
	nodes := b.nodes
	b.nodes = nil
	return nodes
}

// partition moves the node's rows that go left to the front and returns the
// boundary.
func (b *treeBuilder) partition(start, end int) int {
	r := b.ps.rank[b.bestFeat*b.ps.n : (b.bestFeat+1)*b.ps.n]
	s := b.samples[start:end]
	if b.intWeights && stablePartition {
		// A stable partition keeps every node's rows ascending, so the
		// split search reads each feature's ranks in address order (far
		// fewer cache misses). Sums of whole weights are exact in any
		// order, so the tree is the same.
		right := b.right[:0]
		i := 0
		for _, v := range s {
			if r[v] <= b.bestRank {
				s[i] = v
				i++
			} else {
				right = append(right, v)
			}
		}
		copy(s[i:], right)
		b.right = right
		return start + i
	}
	i, j := 0, len(s)-1
	for i <= j {
		if r[s[i]] <= b.bestRank {
			i++
		} else {
			s[i], s[j] = s[j], s[i]
			j--
		}
	}
	return start + i
}

// findSplit is scikit-learn's BestSplitter.node_split feature loop: draw
// features without replacement until MaxFeatures have been visited and at
// least one was not constant, skipping features already known to be constant
// in this subtree. It returns the constant-feature count for the children.
func (b *treeBuilder) findSplit(start, end int, w0, w1 float64, nKnown int) (int, bool) {
	b.bestScore = math.Inf(-1)
	b.bestFeat = -1
	p := len(b.features)
	f := b.features
	nVisited, nFound, nDrawn := 0, 0, 0
	nTotal := nKnown
	fi := p
	for fi > nTotal && (nVisited < b.params.MaxFeatures || nVisited <= nFound+nDrawn) {
		nVisited++
		fj := nDrawn + b.rng.IntN(fi-nFound-nDrawn)
		if fj < nKnown {
			f[nDrawn], f[fj] = f[fj], f[nDrawn]
			nDrawn++
			continue
		}
		fj += nFound
		if b.evalFeature(int(f[fj]), start, end, w0, w1) {
			f[fj], f[nTotal] = f[nTotal], f[fj]
			nFound++
			nTotal++
			continue
		}
		fi--
		f[fi], f[fj] = f[fj], f[fi]
	}
	// Keep the known constants in their original order for siblings and
	// record the new ones for the children.
	copy(f[:nKnown], b.constF[:nKnown])
	copy(b.constF[nKnown:nTotal], f[nKnown:nTotal])
	return nTotal, b.bestFeat >= 0
}

// evalFeature scans every threshold of feature ft on the node's rows and
// records it in b.best* when it beats the best so far. It reports whether the
// feature is constant on the node.
func (b *treeBuilder) evalFeature(ft, start, end int, w0, w1 float64) bool {
	n := b.ps.n
	ranks := b.ps.rank[ft*n : (ft+1)*n]
	lov, hiv := b.ps.lo[ft], b.ps.hi[ft]
	rows := b.samples[start:end]
	m := len(rows)
	minLeaf := b.params.MinSamplesLeaf
	wBin, cls := b.wBin, b.cls
	var l0, l1 float64
	lc := 0
	prev := -1
	bestScore := b.bestScore
	bestPrev, bestR := -1, -1
	// consider scores the split between ranks prev and r, where the left
	// side holds every row of rank <= prev.
	consider := func(r int) {
		if minLeaf > 1 && (lc < minLeaf || m-lc < minLeaf) {
			return
		}
		r0, r1 := w0-l0, w1-l1
		// Equal, up to a constant, to scikit-learn's proxy
		// -wl*gini_left - wr*gini_right.
		score := (l0*l0+l1*l1)/(l0+l1) + (r0*r0+r1*r1)/(r0+r1)
		if score > bestScore {
			bestScore, bestPrev, bestR = score, prev, r
		}
	}
	if len(lov) <= 4*m {
		bins, bc := b.bins, b.bc
		lo, hi := uint32(math.MaxUint32), uint32(0)
		// Row counts only serve the leaf-size check, which a split between
		// two non-empty ranks always passes when a leaf may hold one row:
		// they are kept only for min_samples_leaf > 1. A rank is non-empty
		// when its bins are, as every row of the node has a positive
		// weight; each row adds to its class's bin only (adding 0 to the
		// other would change nothing).
		counts := minLeaf > 1
		for _, s := range rows {
			r := ranks[s]
			bins[2*r+cls[s]] += wBin[s]
			if counts {
				bc[r]++
			}
			lo, hi = min(lo, r), max(hi, r)
		}
		if lo == hi {
			bins[2*lo], bins[2*lo+1], bc[lo] = 0, 0, 0
			return true
		}
		for r := int(lo); r <= int(hi); r++ {
			c0, c1 := bins[2*r], bins[2*r+1]
			if c0 == 0 && c1 == 0 {
				continue
			}
			if prev >= 0 {
				consider(r)
			}
			l0 += c0
			l1 += c1
			lc += int(bc[r])
			prev = r
			bins[2*r], bins[2*r+1], bc[r] = 0, 0, 0
		}
	} else {
		keys := b.keys[:m]
		for i, s := range rows {
			keys[i] = uint64(ranks[s])<<32 | uint64(uint32(s))
		}
		b.sortKeys(keys, len(lov))
		if keys[0]>>32 == keys[m-1]>>32 {
			return true
		}
		var lsum [2]float64 // class weights left of the split
		for i := 0; i < m; {
			r := int(keys[i] >> 32)
			if prev >= 0 {
				consider(r)
			}
			for ; i < m && int(keys[i]>>32) == r; i++ {
				s := uint32(keys[i])
				lsum[cls[s]] += wBin[s]
				lc++
			}
			l0, l1 = lsum[0], lsum[1]
			prev = r
		}
	}
	if bestPrev >= 0 {
		thr := hiv[bestPrev]/2 + lov[bestR]/2
		if thr == lov[bestR] || math.IsInf(thr, 0) {
			thr = hiv[bestPrev]
		}
		b.bestScore, b.bestFeat, b.bestRank, b.bestThr = bestScore, ft, uint32(bestPrev), thr
	}
	return false
}

// sortKeys sorts rank<<32|row keys by rank (ties in any order), with an LSD
// radix sort over the rank bytes when there are enough keys for it to beat
// a comparison sort. k bounds the ranks.
func (b *treeBuilder) sortKeys(keys []uint64, k int) {
	m := len(keys)
	if m < 128 {
		slices.Sort(keys)
		return
	}
	src, dst := keys, b.keysTmp[:m]
	var count [256]int
	for shift := uint(32); k > 1<<(shift-32); shift += 8 {
		if !byteOffsets(&count, src, shift) {
			continue
		}
		for _, v := range src {
			d := (v >> shift) & 0xff
			dst[count[d]] = v
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

func init() {
	Register(Model{Name: "dt", Score: ScoreProbability, ClassWeights: true, New: func(opt Options, seed int64) Stored {
		prm := DefaultTreeParams()
		prm.ClassWeight = opt.ClassWeight
		return NewDecisionTree(prm, seed)
	}})
}

// Columns is the number of columns the fitted tree takes.
func (t *DecisionTree) Columns() int { return t.NFeatures }

// Validate checks a restored tree reaches a leaf from every node.
func (t *DecisionTree) Validate() error { return checkNodes(t.Nodes, t.NFeatures) }
