package classifiers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	kfold "pypimal/internal/folds"
)

func TestStratifiedKFoldNoShuffle(t *testing.T) {
	cases := []struct {
		y    []int
		k    int
		want [][]int // nil: only check the properties
	}{
		// Hand-computed with scikit-learn's allocation (and checked with it).
		{[]int{0, 0, 0, 1, 1, 1}, 3, [][]int{{0, 3}, {1, 4}, {2, 5}}},
		// Malicious appears first, so it is class 0 of the allocation.
		{[]int{1, 0, 0, 0, 0, 1, 0, 0}, 2, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}}},
		{[]int{1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0}, 5, nil},
		{append(slices.Repeat([]int{0}, 37), slices.Repeat([]int{1}, 14)...), 5, nil},
		{append(slices.Repeat([]int{1, 0, 0}, 40), 0, 1), 10, nil},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("case%d-n%d-k%d", i, len(c.y), c.k), func(t *testing.T) {
			folds, err := kfold.StratifiedKFoldNoShuffle(c.y, c.k)
			if err != nil {
				t.Fatal(err)
			}
			if c.want != nil && fmt.Sprint(folds) != fmt.Sprint(c.want) {
				t.Errorf("folds %v, want %v", folds, c.want)
			}
			checkStratified(t, c.y, folds, c.k)
			// Unshuffled: the rows of each class fill the folds in order.
			last := [2]int{-1, -1}
			for _, f := range folds {
				first := [2]int{len(c.y), len(c.y)}
				for _, r := range f {
					first[c.y[r]] = min(first[c.y[r]], r)
				}
				for cl := range 2 {
					if first[cl] < len(c.y) && first[cl] < last[cl] {
						t.Errorf("class %d rows are not in block order: fold starts at row %d after row %d", cl, first[cl], last[cl])
					}
				}
				for _, r := range f {
					last[c.y[r]] = max(last[c.y[r]], r)
				}
			}
		})
	}
	bad := []struct {
		y []int
		k int
	}{
		{[]int{0, 1, 0, 1}, 1},
		{[]int{0, 1, 0}, 4},
		{[]int{0, 1, 2, 1}, 2},
		{[]int{0, 0, 1, 1, 0, 1}, 4}, // every class smaller than k: scikit-learn raises
		{nil, 2},
	}
	for _, b := range bad {
		if f, err := kfold.StratifiedKFoldNoShuffle(b.y, b.k); err == nil {
			t.Errorf("StratifiedKFoldNoShuffle(%v, %d) = %v, want an error", b.y, b.k, f)
		}
	}
}

// checkStratified requires folds to partition the rows, each ascending, with
// per-class counts and fold sizes that differ by at most one between folds.
func checkStratified(t *testing.T, y []int, folds [][]int, k int) {
	t.Helper()
	if len(folds) != k {
		t.Fatalf("%d folds, want %d", len(folds), k)
	}
	seen := make([]bool, len(y))
	var lo, hi [3]int // per class, and [2] for fold size
	lo = [3]int{len(y), len(y), len(y)}
	for fi, f := range folds {
		if !slices.IsSorted(f) {
			t.Errorf("fold %d not ascending: %v", fi, f)
		}
		var cnt [3]int
		for _, r := range f {
			if seen[r] {
				t.Fatalf("row %d in two folds", r)
			}
			seen[r] = true
			cnt[y[r]]++
			cnt[2]++
		}
		for c := range cnt {
			lo[c], hi[c] = min(lo[c], cnt[c]), max(hi[c], cnt[c])
		}
	}
	for r, s := range seen {
		if !s {
			t.Fatalf("row %d in no fold", r)
		}
	}
	for c, what := range []string{"benign", "malicious", "total"} {
		if hi[c]-lo[c] > 1 {
			t.Errorf("%s rows per fold range from %d to %d", what, lo[c], hi[c])
		}
	}
}

// fitLog records what one recording pipeline was fitted on.
type fitLog struct {
	base int
	seed int64
	rows []int // row ids (column 0 of X) seen at Fit
}

// recorder hands out recordingPipelines and keeps their logs. Stacking
// fits its bases concurrently, hence the lock.
type recorder struct {
	mu   sync.Mutex
	logs []*fitLog
}

// recordingPipeline scores a row with its id/1000 plus 1 if it saw the row
// at Fit, so a leak shows as a score >= 1.
type recordingPipeline struct {
	log  *fitLog
	seen map[int]bool
}

func (r *recorder) factory(base int) PipelineFactory {
	return func(seed int64) Pipeline {
		l := &fitLog{base: base, seed: seed}
		r.mu.Lock()
		r.logs = append(r.logs, l)
		r.mu.Unlock()
		return &recordingPipeline{log: l}
	}
}

func (p *recordingPipeline) Fit(d Data, y []int) error {
	n, _ := d.X.Dims()
	if len(y) != n {
		return ErrShape
	}
	p.seen = map[int]bool{}
	for i := 0; i < n; i++ {
		id := int(d.X.At(i, 0))
		p.log.rows = append(p.log.rows, id)
		p.seen[id] = true
	}
	return nil
}

func (p *recordingPipeline) Predict(d Data) ([]float64, error) {
	n, _ := d.X.Dims()
	out := make([]float64, n)
	for i := range out {
		id := int(d.X.At(i, 0))
		out[i] = float64(id) / 1000
		if p.seen[id] {
			out[i]++
		}
	}
	return out, nil
}

// TestStackingOutOfFold instruments the bases: every out-of-fold score must
// come from a base that did not see the row, the inner split must be
// StratifiedKFoldNoShuffle(y, 5), each base keeps one seed throughout, and
// the final bases are refitted on all rows and used by Predict.
func TestStackingOutOfFold(t *testing.T) {
	const n, nBases = 53, 3
	x := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		x.Set(i, 0, float64(i))
		if i%3 == 0 || i > 45 {
			y[i] = 1
		}
		x.Set(i, 1, float64(y[i]))
	}
	rec := &recorder{}
	bases := make([]PipelineFactory, nBases)
	for j := range bases {
		bases[j] = rec.factory(j)
	}
	st := NewStacking(bases, 42)
	if err := st.Fit(Data{X: x}, y); err != nil {
		t.Fatal(err)
	}
	folds, err := kfold.StratifiedKFoldNoShuffle(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.logs) != nBases*(len(folds)+1) {
		t.Fatalf("%d base fits, want %d (5 folds + the refit, per base)", len(rec.logs), nBases*(len(folds)+1))
	}
	// Each base is fitted once on the complement of each inner fold and
	// once on all rows (in whatever order the pool ran them).
	seeds := map[int]int64{}
	trainedOn := map[int][]string{}
	for _, l := range rec.logs {
		if s, ok := seeds[l.base]; ok && s != l.seed {
			t.Errorf("base %d fitted with seeds %d and %d", l.base, s, l.seed)
		}
		seeds[l.base] = l.seed
		trainedOn[l.base] = append(trainedOn[l.base], fmt.Sprint(l.rows))
	}
	var want []string
	for _, f := range folds {
		want = append(want, fmt.Sprint(complement(n, f)))
	}
	want = append(want, fmt.Sprint(complement(n, nil)))
	slices.Sort(want)
	for b := range nBases {
		got := trainedOn[b]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("base %d trained on %v, want the complements of the inner folds and all rows %v", b, got, want)
		}
	}
	if len(seeds) != nBases || seeds[0] != 42 || seeds[1] != 42 || seeds[2] != 42 {
		t.Errorf("base seeds %v, want the stack's seed 42 for every base", seeds)
	}

	oof, err := st.MetaFeatures(Data{X: x}, y)
	if err != nil {
		t.Fatal(err)
	}
	r, c := oof.Dims()
	if r != n || c != nBases {
		t.Fatalf("meta-features %dx%d, want %dx%d", r, c, n, nBases)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < nBases; j++ {
			if v := oof.At(i, j); v != float64(i)/1000 {
				t.Fatalf("row %d base %d: out-of-fold score %v, want %v (a score >= 1 means the base saw the row)", i, j, v, float64(i)/1000)
			}
		}
	}

	// Predict goes through the refitted bases, which saw every row.
	if len(st.Bases) != nBases || len(st.MetaModel.Coef) != nBases {
		t.Fatalf("%d fitted bases and %d meta coefficients, want %d", len(st.Bases), len(st.MetaModel.Coef), nBases)
	}
	for j, b := range st.Bases {
		s, err := b.Predict(Data{X: x})
		if err != nil {
			t.Fatal(err)
		}
		if s[0] < 1 {
			t.Errorf("final base %d did not see row 0", j)
		}
	}
	p, err := st.Predict(Data{X: x})
	if err != nil || len(p) != n {
		t.Fatalf("predict: %v (%d scores)", err, len(p))
	}
}

// TestOutOfFoldRejectsBadFolds: folds must partition the rows.
func TestOutOfFoldRejectsBadFolds(t *testing.T) {
	x, y := blobs(10, 2, 3, 1)
	base := []PipelineFactory{constFactory(make([]float64, 10))}
	for _, folds := range [][][]int{
		{{0, 1, 2, 3, 4}, {5, 6, 7, 8}},          // row 9 missing
		{{0, 1, 2, 3, 4}, {4, 5, 6, 7, 8, 9}},    // row 4 twice
		{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9, 10}},   // out of range
		{{0, 1, 2, 3, 4, -1}, {5, 6, 7, 8, 9}},   // negative
		{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {}, {}}, // a fold without training rows, empty folds
		{{0, 1, 2, 3, 4}, {}, {5, 6, 7, 8, 9}},   // an empty fold
	} {
		_, err := OutOfFold(base, []int64{1}, Data{X: x}, y, folds)
		if err == nil || !strings.Contains(err.Error(), "partition") && !strings.Contains(err.Error(), "every fold needs") {
			t.Errorf("folds %v: error %v, want a partition or empty-fold error", folds, err)
		}
	}
	if _, err := OutOfFold(base, nil, Data{X: x}, y, [][]int{{0}}); err == nil {
		t.Error("missing seeds accepted")
	}
	if _, err := OutOfFold(base, []int64{1}, Data{X: x}, y[:5], [][]int{{0}}); !errors.Is(err, ErrShape) {
		t.Errorf("short labels: %v, want ErrShape", err)
	}
}

// TestStackingMatchesManualWiring rebuilds the stack by hand from registered
// models and requires identical scores.
func TestStackingMatchesManualWiring(t *testing.T) {
	x, y := synthetic(120, 6, 3)
	xte, _ := synthetic(40, 6, 4)
	names := []string{"nb", "lr", "dt"}
	f, err := StackingByNames(names, VectoriserParams{})
	if err != nil {
		t.Fatal(err)
	}
	st := f(9).(*Stacking)
	if err := st.Fit(Data{X: x}, y); err != nil {
		t.Fatal(err)
	}
	got, err := st.Predict(Data{X: xte})
	if err != nil {
		t.Fatal(err)
	}

	folds, _ := kfold.StratifiedKFoldNoShuffle(y, 5)
	n, _ := x.Dims()
	oof := mat.NewDense(n, len(names), nil)
	zte := mat.NewDense(40, len(names), nil)
	for j, name := range names {
		pf, _ := PipelineByName(name, VectoriserParams{})
		seed := int64(9) // every base takes the stack's seed
		oof.SetCol(j, cvScores(t, pf, Data{X: x}, y, folds, seed))
		full := pf(seed)
		if err := full.Fit(Data{X: x}, y); err != nil {
			t.Fatal(err)
		}
		s, err := full.Predict(Data{X: xte})
		if err != nil {
			t.Fatal(err)
		}
		zte.SetCol(j, s)
	}
	meta := NewLogisticRegression(DefaultLogRegParams())
	if err := meta.Fit(oof, y); err != nil {
		t.Fatal(err)
	}
	want, _ := meta.Predict(zte)
	if !slices.Equal(got, want) {
		t.Errorf("stacking scores differ from the hand-wired stack:\n got %v\nwant %v", got[:5], want[:5])
	}
	if _, err := StackingByNames([]string{"nb", "knn"}, VectoriserParams{}); err == nil {
		t.Error("StackingByNames accepted an unknown model")
	}
}

// fitMap is a FitSource keyed by fingerprint, as the runner's.
type fitMap map[Fingerprint]Pipeline

func (m fitMap) Fitted(want Fingerprint) (Pipeline, Fingerprint, bool) {
	p, ok := m[want]
	return p, want, ok
}

// fixedSource hands over the same fit whatever is asked: a bookkeeping
// slip the stack must catch.
type fixedSource struct {
	p  Pipeline
	fp Fingerprint
}

func (s fixedSource) Fitted(Fingerprint) (Pipeline, Fingerprint, bool) { return s.p, s.fp, true }

// TestStackingPrefitted: bases handed over already fitted (with the
// stack's seed, on the same rows) give the stack it would have fitted
// itself, bit for bit, and missing ones are fitted; a base fitted on other
// rows, with another seed or other settings is refused.
func TestStackingPrefitted(t *testing.T) {
	d, y := persistData(160, 5)
	test, _ := persistData(40, 6)
	names := []string{"lr", "rf", "nb"}
	text := VectoriserParams{MinDF: 2, MaxFeatures: 10}
	f, err := StackingByNames(names, text)
	if err != nil {
		t.Fatal(err)
	}
	plain := f(7).(*Stacking)
	if err := plain.Fit(d, y); err != nil {
		t.Fatal(err)
	}
	want, err := plain.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	fitOn := func(name string, text VectoriserParams, seed int64, d Data, y []int) (Pipeline, Fingerprint) {
		t.Helper()
		pf, err := PipelineByName(name, text)
		if err != nil {
			t.Fatal(err)
		}
		p := pf(seed)
		if err := p.Fit(d, y); err != nil {
			t.Fatal(err)
		}
		fp, ok := FitFingerprint(p, DataDigest(d, y))
		if !ok {
			t.Fatalf("%s: no fingerprint", name)
		}
		return p, fp
	}
	src := fitMap{}
	lr, lrFP := fitOn("lr", text, 7, d, y)
	nb, nbFP := fitOn("nb", text, 7, d, y)
	src[lrFP], src[nbFP] = lr, nb
	st := f(7).(*Stacking)
	st.Prefitted = src
	if err := st.Fit(d, y); err != nil {
		t.Fatal(err)
	}
	if st.Bases[0] != lr || st.Bases[2] != nb || st.Bases[1] == nil || st.Prefitted != nil {
		t.Fatalf("prefitted bases not used as given, or the source kept")
	}
	got, err := st.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "stack with prefitted bases", nil, got, want)

	other, otherY := persistData(160, 9)
	wrong := map[string]func() (Pipeline, Fingerprint){
		"other rows":   func() (Pipeline, Fingerprint) { return fitOn("lr", text, 7, other, otherY) },
		"other labels": func() (Pipeline, Fingerprint) { return fitOn("lr", text, 7, d, flip(y)) },
		"other seed":   func() (Pipeline, Fingerprint) { return fitOn("lr", text, 8, d, y) },
		"other text": func() (Pipeline, Fingerprint) {
			return fitOn("lr", VectoriserParams{MinDF: 1, MaxFeatures: 10}, 7, d, y)
		},
		"other model":   func() (Pipeline, Fingerprint) { return fitOn("nb", text, 7, d, y) },
		"other columns": func() (Pipeline, Fingerprint) { return fitOn("lr", text, 7, Data{X: d.X, Tokens: nil}, y) },
	}
	for name, fit := range wrong {
		p, fp := fit()
		bad := f(7).(*Stacking)
		bad.Prefitted = fixedSource{p, fp}
		if err := bad.Fit(d, y); !errors.Is(err, ErrPrefitMismatch) {
			t.Errorf("%s: err = %v, want ErrPrefitMismatch", name, err)
		}
	}
}

func flip(y []int) []int {
	out := slices.Clone(y)
	out[0] = 1 - out[0]
	return out
}

// TestDataDigest: the digest follows every value and label, and not how
// the tokens are held (maps or interned).
func TestDataDigest(t *testing.T) {
	d, y := persistData(30, 1)
	base := DataDigest(d, y)
	if again := DataDigest(SubsetData(d, seq(0, 30)), y); again != base {
		t.Error("the same values in another Data have another digest")
	}
	interned, err := InternTokens(d.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	if got := DataDigest(Data{X: d.X, Tokens: d.Tokens, Terms: interned}, y); got != DataDigest(Data{X: d.X, Tokens: d.Tokens}, y) {
		t.Error("interned tokens digest differently from their maps")
	}
	x := mat.DenseCopyOf(d.X)
	x.Set(3, 1, x.At(3, 1)+1e-12)
	toks := slices.Clone(d.Tokens)
	toks[2] = map[string]float64{"changed": 1}
	for name, dd := range map[string]string{
		"one value":        DataDigest(Data{X: x, Tokens: d.Tokens}, y),
		"one row's tokens": DataDigest(Data{X: d.X, Tokens: toks}, y),
		"one label":        DataDigest(Data{X: d.X, Tokens: d.Tokens}, flip(y)),
		"fewer rows":       DataDigest(SubsetData(d, seq(0, 29)), y[:29]),
		"no tokens":        DataDigest(Data{X: d.X}, y),
	} {
		if dd == DataDigest(Data{X: d.X, Tokens: d.Tokens}, y) {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

// TestDigestedSubsets: a Digested Data's subsets derive their digest from
// the parent's and the rows taken: equal for the same rows of the same
// values, different otherwise; the parent's own is its values' digest.
func TestDigestedSubsets(t *testing.T) {
	d, y := persistData(30, 1)
	root := Digested(d)
	if DataDigest(root, y) != DataDigest(d, y) {
		t.Error("Digested changed the digest of the whole data")
	}
	a := DataDigest(SubsetData(root, seq(0, 20)), y[:20])
	if b := DataDigest(SubsetData(Digested(d), seq(0, 20)), y[:20]); a != b {
		t.Error("the same rows of the same values digest differently")
	}
	if b := DataDigest(SubsetData(root, seq(1, 21)), y[1:21]); a == b {
		t.Error("other rows, same digest")
	}
	other, _ := persistData(30, 2)
	if b := DataDigest(SubsetData(Digested(other), seq(0, 20)), y[:20]); a == b {
		t.Error("rows of other values, same digest")
	}
	inner := SubsetData(SubsetData(root, seq(0, 20)), seq(0, 10))
	if DataDigest(inner, y[:10]) == DataDigest(SubsetData(root, seq(0, 20)), y[:10]) {
		t.Error("a subset of a subset digests as its parent")
	}
}
