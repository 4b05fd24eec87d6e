package classifiers

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// refRanks is how presort ranked a column before its radix sort: a sort of
// the values, merged neighbours within featureThreshold, a binary search
// per row.
func refRanks(col []float64) (ranks []uint32, lo, hi []float64) {
	s := slices.Clone(col)
	slices.Sort(s)
	s = slices.Compact(s)
	cluster := make([]uint32, len(s))
	for k, v := range s {
		if k == 0 || v > s[k-1]+featureThreshold {
			lo = append(lo, v)
			hi = append(hi, v)
		} else {
			hi[len(hi)-1] = v
		}
		cluster[k] = uint32(len(lo) - 1)
	}
	ranks = make([]uint32, len(col))
	for i, v := range col {
		k, _ := slices.BinarySearch(s, v)
		ranks[i] = cluster[k]
	}
	return ranks, lo, hi
}

// TestPresortRanks: the radix ranking gives the ranks and rank bounds of
// the comparison sort on columns with ties, zeros of both signs, negative
// values, near-ties inside featureThreshold (chains of them too), huge and
// tiny magnitudes, and one row.
func TestPresortRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// A slice, not a map: the draws must come in the same order each run.
	gens := []struct {
		name string
		gen  func() float64
	}{
		{"normal", func() float64 { return rng.NormFloat64() }},
		{"counts", func() float64 { return float64(rng.IntN(7)) }},
		{"zeros", func() float64 { return []float64{0, math.Copysign(0, -1), 1, -1}[rng.IntN(4)] }},
		{"neartie", func() float64 { return float64(rng.IntN(3)) + float64(rng.IntN(4))*0.6e-7 }},
		{"nearzero", func() float64 {
			return []float64{-1.2e-7, -0.6e-7, 0, math.Copysign(0, -1), 0.6e-7, 1.2e-7, 3e-7}[rng.IntN(7)]
		}},
		{"scales", func() float64 { return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(600)-300)) }},
		{"sparse", func() float64 {
			if rng.Float64() < 0.7 {
				return 0
			}
			return rng.ExpFloat64()
		}},
	}
	for _, g := range gens {
		name, gen := g.name, g.gen
		for _, n := range []int{1, 2, 7, 300, 3000} {
			const p = 3
			x := mat.NewDense(n, p, nil)
			for i := 0; i < n; i++ {
				for f := 0; f < p; f++ {
					x.Set(i, f, gen())
				}
			}
			ps := presort(x, 2)
			for f := 0; f < p; f++ {
				ranks, lo, hi := refRanks(mat.Col(nil, f, x))
				if !slices.Equal(ps.rank[f*n:(f+1)*n], ranks) {
					t.Fatalf("%s n=%d feature %d: ranks differ", name, n, f)
				}
				// -0 and +0 are one value: compare numerically.
				if !slices.Equal(ps.lo[f], lo) || !slices.Equal(ps.hi[f], hi) {
					t.Fatalf("%s n=%d feature %d: bounds %v %v, want %v %v", name, n, f, ps.lo[f], ps.hi[f], lo, hi)
				}
			}
		}
	}
}

// allShaped is a matrix shaped like the `all` set's training rows: 96
// count columns and 500 TF-IDF-like columns at 36% non-zero.
func allShaped() *mat.Dense {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, p = 3255, 596
	x := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for f := 0; f < p; f++ {
			if f < 96 {
				x.Set(i, f, float64(rng.IntN(50)))
			} else if rng.Float64() < 0.36 {
				x.Set(i, f, rng.ExpFloat64())
			}
		}
	}
	return x
}

// BenchmarkPresort ranks allShaped; BenchmarkPresortRef does the same with
// the comparison sort it replaced.
func BenchmarkPresort(b *testing.B) {
	x := allShaped()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		presort(x, 1)
	}
}

func BenchmarkPresortRef(b *testing.B) {
	x := allShaped()
	_, p := x.Dims()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for f := 0; f < p; f++ {
			refRanks(mat.Col(nil, f, x))
		}
	}
}

// FuzzPresortRanks: any finite column ranks as the comparison sort does.
// The input bytes are read as float64s, 8 at a time; non-finite ones are
// dropped (fits reject them before presort).
func FuzzPresortRanks(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		var col []float64
		for ; len(b) >= 8; b = b[8:] {
			v := math.Float64frombits(binary.LittleEndian.Uint64(b))
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				col = append(col, v)
			}
		}
		if len(col) == 0 {
			return
		}
		ps := presort(mat.NewDense(len(col), 1, col), 1)
		ranks, lo, hi := refRanks(col)
		if !slices.Equal(ps.rank, ranks) || !slices.Equal(ps.lo[0], lo) || !slices.Equal(ps.hi[0], hi) {
			t.Fatalf("column %v: ranks %v lo %v hi %v, want %v %v %v", col, ps.rank, ps.lo[0], ps.hi[0], ranks, lo, hi)
		}
	})
}

// TestStablePartitionSameTrees: with whole-number weights (no class
// weights: bootstrap counts) the trees keep each node's rows in ascending
// order; they must be the trees the in-place partition grows, node for
// node, on dense and on mostly-zero columns, with and without the row
// counts of min_samples_leaf > 1 (balanced class weights, not whole
// numbers, keep the in-place partition: the same trees trivially).
func TestStablePartitionSameTrees(t *testing.T) {
	x, y := synthetic(700, 40, 9)
	raw := x.RawMatrix()
	for i := 0; i < 700; i++ {
		for j := 20; j < 40; j++ {
			if (i*7+j*13)%10 < 8 {
				raw.Data[i*raw.Stride+j] = 0 // TF-IDF-like sparse columns
			}
		}
	}
	for _, c := range []struct {
		name   string
		forest ForestParams
		tree   TreeParams
	}{
		{"defaults", ForestParams{NTrees: 12}, DefaultTreeParams()},
		{"min_samples_leaf 3", ForestParams{NTrees: 12, MinSamplesLeaf: 3}, TreeParams{MinSamplesLeaf: 3}},
		{"max_depth 6", ForestParams{NTrees: 12, MaxDepth: 6}, TreeParams{MaxDepth: 6}},
		{"no bootstrap", ForestParams{NTrees: 4, NoBootstrap: true}, DefaultTreeParams()},
		{"balanced", ForestParams{NTrees: 12, ClassWeight: ClassWeightBalanced}, TreeParams{ClassWeight: ClassWeightBalanced}},
	} {
		t.Run(c.name, func(t *testing.T) {
			grow := func(stable bool) (*RandomForest, *DecisionTree) {
				t.Helper()
				defer func(old bool) { stablePartition = old }(stablePartition)
				stablePartition = stable
				rf := NewRandomForest(c.forest, 5)
				if err := rf.Fit(x, y); err != nil {
					t.Fatal(err)
				}
				dt := NewDecisionTree(c.tree, 5)
				if err := dt.Fit(x, y); err != nil {
					t.Fatal(err)
				}
				return rf, dt
			}
			rfS, dtS := grow(true)
			rfU, dtU := grow(false)
			for i := range rfS.Trees {
				if !slices.Equal(rfS.Trees[i], rfU.Trees[i]) {
					t.Fatalf("forest tree %d differs between the stable and the in-place partition", i)
				}
			}
			if !slices.Equal(dtS.Nodes, dtU.Nodes) {
				t.Fatal("decision tree differs between the stable and the in-place partition")
			}
			if len(dtS.Nodes) < 25 {
				t.Fatalf("tree of %d nodes: too small to exercise the partition", len(dtS.Nodes))
			}
		})
	}
}
