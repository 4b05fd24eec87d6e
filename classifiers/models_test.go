package classifiers

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fitPredict fits the registered pipeline name on (xtr, ytr) and scores xte.
func fitPredict(t *testing.T, factory PipelineFactory, xtr *mat.Dense, ytr []int, xte *mat.Dense, seed int64) []float64 {
	t.Helper()
	p := factory(seed)
	if err := p.Fit(Data{X: xtr}, ytr); err != nil {
		t.Fatalf("fit: %v", err)
	}
	s, err := p.Predict(Data{X: xte})
	if err != nil {
		t.Fatalf("predict: %v", err)
	}
	return s
}

func mustSpec(t *testing.T, name string) ModelSpec {
	t.Helper()
	s, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSeparableBlobs: two clusters ten standard deviations apart along
// every axis must be classified perfectly on fresh data by every model (a
// tree cuts one axis only, so the gap must be wide along each).
func TestSeparableBlobs(t *testing.T) {
	xtr, ytr := blobs(200, 3, 10, 1)
	xte, yte := blobs(400, 3, 10, 2)
	for _, name := range ModelNames() {
		t.Run(name, func(t *testing.T) {
			spec := mustSpec(t, name)
			s := fitPredict(t, spec.Pipeline(VectoriserParams{}), xtr, ytr, xte, 1)
			if acc := accuracy(s, yte, spec.Threshold); acc != 1 {
				t.Errorf("accuracy %.4f on separable blobs, want 1", acc)
			}
		})
	}
}

// TestXOR: the non-linear models must learn XOR; the linear ones cannot,
// which shows the data really needs a non-linear boundary.
func TestXOR(t *testing.T) {
	xtr, ytr := xorData(400, 0.25, 1)
	xte, yte := xorData(400, 0.25, 2)
	cases := []struct {
		name     string
		min, max float64 // accepted test accuracy range
	}{
		{"mlp", 0.97, 1},
		{"svm", 0.97, 1},
		{"rf", 0.97, 1},
		{"dt", 0.95, 1},
		{"lr", 0, 0.7},
		{"nb", 0, 0.7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := mustSpec(t, c.name)
			s := fitPredict(t, spec.Pipeline(VectoriserParams{}), xtr, ytr, xte, 3)
			acc := accuracy(s, yte, spec.Threshold)
			t.Logf("XOR test accuracy %.4f", acc)
			if acc < c.min || acc > c.max {
				t.Errorf("XOR test accuracy %.4f, want in [%.2f, %.2f]", acc, c.min, c.max)
			}
		})
	}
}

// TestTreeKnownSplit checks that CART finds the one split that separates
// the classes, at scikit-learn's threshold (the midpoint of the neighbouring
// values), and that values closer than FEATURE_THRESHOLD are never split.
func TestTreeKnownSplit(t *testing.T) {
	grid := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	var rows [][]float64
	var y []int
	for i := 0; i < 60; i++ {
		v := grid[i%len(grid)]
		// Columns 0 and 1 are noise that cannot separate the classes.
		rows = append(rows, []float64{float64(i % 7), float64((i * 5) % 11), v})
		if v > 0.35 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
	}
	cases := []struct {
		name      string
		x         *mat.Dense
		y         []int
		params    TreeParams
		wantNodes int
		wantFeat  int32
		wantThr   float64
	}{
		{"grid split on column 2", denseRows(rows), y, DefaultTreeParams(), 3, 2, 0.35},
		{"min_samples_leaf does not move a clean split", denseRows(rows), y, TreeParams{MinSamplesLeaf: 10}, 3, 2, 0.35},
		{"single column, split between 2 and 10", denseRows([][]float64{{1}, {2}, {2}, {10}, {11}, {12}}), []int{0, 0, 0, 1, 1, 1}, DefaultTreeParams(), 3, 0, 6},
		{"negative values", denseRows([][]float64{{-5}, {-4}, {-1}, {-0.5}}), []int{1, 1, 0, 0}, DefaultTreeParams(), 3, 0, -2.5},
		{"values within 1e-7 are not split", denseRows([][]float64{{1}, {1}, {1 + 1e-8}, {1 + 1e-8}}), []int{0, 0, 1, 1}, DefaultTreeParams(), 1, -1, 0},
		{"max_depth 1 stops after the root (first of two tied splits)", denseRows([][]float64{{1}, {2}, {3}, {4}}), []int{0, 1, 0, 1}, TreeParams{MaxDepth: 1}, 3, 0, 1.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := NewDecisionTree(c.params, 7)
			if err := tr.Fit(c.x, c.y); err != nil {
				t.Fatal(err)
			}
			if len(tr.Nodes) != c.wantNodes {
				t.Fatalf("%d nodes, want %d: %+v", len(tr.Nodes), c.wantNodes, tr.Nodes)
			}
			root := tr.Nodes[0]
			if c.wantNodes == 1 {
				if root.Left != -1 || root.Value != 0.5 {
					t.Errorf("root %+v, want a leaf with value 0.5", root)
				}
				return
			}
			if root.Feature != c.wantFeat || math.Abs(root.Threshold-c.wantThr) > 1e-12 {
				t.Errorf("root splits column %d at %v, want column %d at %v", root.Feature, root.Threshold, c.wantFeat, c.wantThr)
			}
		})
	}
	// The clean split gives pure leaves.
	tr := NewDecisionTree(DefaultTreeParams(), 7)
	if err := tr.Fit(denseRows(rows), y); err != nil {
		t.Fatal(err)
	}
	if l, r := tr.Nodes[tr.Nodes[0].Left], tr.Nodes[tr.Nodes[0].Right]; l.Value != 0 || r.Value != 1 {
		t.Errorf("leaf values %v, %v, want 0, 1", l.Value, r.Value)
	}
}

func denseRows(rows [][]float64) *mat.Dense {
	x := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		x.SetRow(i, r)
	}
	return x
}

// TestSVMKnownDual solves two points at -1 and +1 by hand: gamma="scale" is
// 1, K(-1, 1) = e^-4, and both points are support vectors with
// alpha = 1/(1-e^-4) when C allows it (margin exactly 1), else alpha = C.
func TestSVMKnownDual(t *testing.T) {
	x := denseRows([][]float64{{-1}, {1}})
	y := []int{0, 1}
	k := math.Exp(-4)
	cases := []struct {
		c, alpha, decision float64
	}{
		{10, 1 / (1 - k), 1},
		{1, 1, 1 - k}, // alpha clipped at C
		{0.5, 0.5, 0.5 * (1 - k)},
	}
	for _, c := range cases {
		s := NewSVM(SVMParams{C: c.c})
		if err := s.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		if s.Gamma != 1 {
			t.Errorf("C=%v: gamma %v, want 1", c.c, s.Gamma)
		}
		dec, err := s.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(dec[0]+c.decision) > 1e-6 || math.Abs(dec[1]-c.decision) > 1e-6 || math.Abs(s.Intercept) > 1e-9 {
			t.Errorf("C=%v: decision %v, intercept %v; want ∓%v, 0", c.c, dec, s.Intercept, c.decision)
		}
		if len(s.DualCoef) != 2 || math.Abs(math.Abs(s.DualCoef[0])-c.alpha) > 1e-6 {
			t.Errorf("C=%v: dual coefficients %v, want ±%v", c.c, s.DualCoef, c.alpha)
		}
	}
}

// TestSVMCachedKernel: the on-demand kernel cache used for large training
// sets must give the same kernel rows, also after evictions, and the same
// model as the precomputed matrix.
func TestSVMCachedKernel(t *testing.T) {
	x, y := synthetic(300, 8, 5)
	sc := &StandardScaler{}
	if err := sc.Fit(x); err != nil {
		t.Fatal(err)
	}
	xs, _ := sc.Transform(x)
	gamma := scaleGamma(xs)
	full := newFullKernel(denseCopy(xs), gamma)
	tiny := newCachedKernel(denseCopy(xs), gamma, 0) // room for 2 rows
	if tiny.cap != 2 {
		t.Fatalf("cache holds %d rows, want 2", tiny.cap)
	}
	for _, i := range []int{0, 1, 2, 0, 299, 1, 150, 0} {
		a, b := full.row(i), tiny.row(i)
		for j := range a {
			if math.Abs(float64(a[j]-b[j])) > 1e-6 {
				t.Fatalf("kernel row %d column %d: cached %v, full %v", i, j, b[j], a[j])
			}
		}
	}
	if len(tiny.rows) != 2 {
		t.Errorf("cache holds %d rows after evictions, want 2", len(tiny.rows))
	}
	fm := NewSVM(SVMParams{MaxKernelRows: 1000})
	cm := NewSVM(SVMParams{CacheMB: 1})
	for _, s := range []*SVM{fm, cm} {
		if err := s.Fit(xs, y); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := fm.Predict(xs)
	b, _ := cm.Predict(xs)
	for i := range a {
		// Equal up to the solver tolerance (1e-3) in case float32 rounding
		// of a kernel entry changed the SMO path.
		if math.Abs(a[i]-b[i]) > 1e-3 {
			t.Fatalf("row %d: cached-kernel decision %v, full kernel %v", i, b[i], a[i])
		}
	}
}

// TestLogRegKnownAnswer: with one row at x=-1 (benign) and one at x=+1
// (malicious) the intercept is 0 by symmetry and w solves w = 2C sigmoid(-w).
func TestLogRegKnownAnswer(t *testing.T) {
	x := denseRows([][]float64{{-1}, {1}})
	y := []int{0, 1}
	for _, c := range []float64{0.1, 1, 10} {
		// Bisection on w - 2C sigmoid(-w), which increases in w.
		lo, hi := 0.0, 2*c
		for range 200 {
			mid := (lo + hi) / 2
			if mid-2*c*sigmoid(-mid) > 0 {
				hi = mid
			} else {
				lo = mid
			}
		}
		l := NewLogisticRegression(LogRegParams{C: c})
		if err := l.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		if math.Abs(l.Coef[0]-lo) > 1e-7 || math.Abs(l.Intercept) > 1e-7 {
			t.Errorf("C=%v: w=%v b=%v, want w=%v b=0", c, l.Coef[0], l.Intercept, lo)
		}
	}
}

// TestLogRegStationary checks the optimality condition directly on a larger
// problem: the gradient of sum_i s_i logloss_i + ||w||^2/(2C) vanishes.
func TestLogRegStationary(t *testing.T) {
	x, y := synthetic(500, 10, 9)
	sc := &StandardScaler{}
	if err := sc.Fit(x); err != nil {
		t.Fatal(err)
	}
	xs, _ := sc.Transform(x)
	for _, cw := range []ClassWeight{ClassWeightNone, ClassWeightBalanced} {
		prm := DefaultLogRegParams()
		prm.C, prm.ClassWeight, prm.GradTol = 0.3, cw, 1e-12
		l := NewLogisticRegression(prm)
		if err := l.Fit(xs, y); err != nil {
			t.Fatal(err)
		}
		w, _ := cw.weights(y)
		n, p := xs.Dims()
		grad := make([]float64, p+1)
		for i := 0; i < n; i++ {
			row := rowView(xs, i)
			r := w[y[i]] * (sigmoid(dot(row, l.Coef)+l.Intercept) - float64(y[i]))
			for j, v := range row {
				grad[j] += r * v
			}
			grad[p] += r
		}
		gmax := 0.0
		for j := 0; j < p; j++ {
			gmax = math.Max(gmax, math.Abs(grad[j]+l.Coef[j]/prm.C))
		}
		gmax = math.Max(gmax, math.Abs(grad[p]))
		if gmax > 1e-8 {
			t.Errorf("class weight %q: gradient at the solution %.3g, want ~0 (%d iterations)", cw, gmax, l.Iterations)
		}
	}
}

// TestNaiveBayesKnownAnswer: class 0 at {0, 2}, class 1 at {4, 6}.
func TestNaiveBayesKnownAnswer(t *testing.T) {
	x := denseRows([][]float64{{0}, {2}, {4}, {6}})
	y := []int{0, 0, 1, 1}
	nb := NewGaussianNB(DefaultNBParams())
	if err := nb.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	eps := 1e-9 * 5 // var_smoothing times the variance of {0,2,4,6}
	if nb.Mean[0][0] != 1 || nb.Mean[1][0] != 5 || math.Abs(nb.Var[0][0]-(1+eps)) > 1e-15 || math.Abs(nb.Epsilon-eps) > 1e-20 {
		t.Fatalf("means %v %v, variances %v %v, epsilon %v", nb.Mean[0], nb.Mean[1], nb.Var[0], nb.Var[1], nb.Epsilon)
	}
	pr, err := nb.Predict(denseRows([][]float64{{3}, {5}, {1}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.5, sigmoid(8 / (1 + eps)), sigmoid(-8 / (1 + eps))}
	for i := range want {
		if math.Abs(pr[i]-want[i]) > 1e-12 {
			t.Errorf("P(malicious | x=%v) = %v, want %v", []float64{3, 5, 1}[i], pr[i], want[i])
		}
	}
}

// TestMLPEarlyStop: with a tolerance no epoch can beat, training stops once
// more than NIterNoChange epochs in a row failed to improve, which is epoch
// NIterNoChange+2 (the first epoch always improves on +Inf); scikit-learn's
// MLPClassifier(tol=1e9, n_iter_no_change=4) also reports n_iter_ = 6.
func TestMLPEarlyStop(t *testing.T) {
	x, y := blobs(100, 2, 3, 4)
	m := NewMLP(MLPParams{Hidden: 5, Tol: 1e9, NIterNoChange: 4}, 1)
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if m.NIter != 6 || len(m.LossCurve) != 6 {
		t.Errorf("ran %d epochs (loss curve %d), want 6", m.NIter, len(m.LossCurve))
	}
	m = NewMLP(MLPParams{Hidden: 5, MaxIter: 3}, 1)
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if m.NIter != 3 {
		t.Errorf("ran %d epochs, want MaxIter 3", m.NIter)
	}
	m = NewMLP(DefaultMLPParams(), 1)
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if c := m.LossCurve; c[len(c)-1] >= c[0] {
		t.Errorf("training loss went from %v to %v", c[0], c[len(c)-1])
	}
}

// TestMLPKernelsAgree: the sparse and the dense product kernels train the
// same network, bit for bit, on a sparse matrix (a TF-IDF-like block beside
// dense columns, odd batch tail). (A CPU without FMA always takes the
// sparse path; TestSparseMul covers the dense libm tiles there.)
func TestMLPKernelsAgree(t *testing.T) {
	x, y := blobs(257, 30, 5, 6)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 257; i++ {
		for j := 4; j < 30; j++ {
			if rng.Float64() < 0.8 {
				x.Set(i, j, 0)
			}
		}
	}
	fit := func(below float64) *MLP {
		old := sparseBelow
		defer func() { sparseBelow = old }()
		sparseBelow = below
		m := NewMLP(MLPParams{MaxIter: 30}, 3)
		if err := m.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sp, de := fit(1.1), fit(0)
	if sp.NIter != de.NIter || !slices.Equal(sp.LossCurve, de.LossCurve) {
		t.Fatalf("loss curves differ: sparse %v, dense %v", sp.LossCurve, de.LossCurve)
	}
	for name, pair := range map[string][2][]float64{
		"W1": {sp.W1, de.W1}, "B1": {sp.B1, de.B1}, "W2": {sp.W2, de.W2}, "B2": {{sp.B2}, {de.B2}},
	} {
		sameBits(t, "dense vs sparse kernel, weights", name, pair[1], pair[0])
	}
}

// TestMLPFloat32: the single-precision network learns XOR, keeps float32
// weights, scores rows as a float32 forward pass in Go does, and labels
// held-out blobs as the float64 network does.
func TestMLPFloat32(t *testing.T) {
	spec, err := mustSpec(t, "mlp").WithFloat32()
	if err != nil {
		t.Fatal(err)
	}
	xtr, ytr := xorData(400, 0.25, 1)
	xte, yte := xorData(400, 0.25, 2)
	if acc := accuracy(fitPredict(t, spec.Pipeline(VectoriserParams{}), xtr, ytr, xte, 3), yte, spec.Threshold); acc < 0.97 {
		t.Errorf("XOR test accuracy %.4f in float32, want >= 0.97", acc)
	}
	if _, err := mustSpec(t, "rf").WithFloat32(); err == nil {
		t.Error("rf accepted a float32 option")
	}

	x, y := blobs(300, 12, 0.8, 7)
	xt, yt := blobs(200, 12, 0.8, 8)
	fit := func(f32 bool) (*MLP, []float64) {
		m := NewMLP(MLPParams{MaxIter: 50, Float32: f32}, 5)
		if err := m.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		s, err := m.Predict(xt)
		if err != nil {
			t.Fatal(err)
		}
		return m, s
	}
	m32, s32 := fit(true)
	if err := allFloat32(m32.W1, m32.B1, m32.W2, []float64{m32.B2}); err != nil {
		t.Fatal(err)
	}
	// Predict is the forward pass in float32, bit for bit: the hidden
	// layer by the float32 product (TestDenseMul32 checks it), then bias,
	// ReLU and output in float32 arithmetic.
	h := len(m32.B1)
	x32, _, err := matrixAs[float32](xt) // contiguous: xt is a fresh matrix
	if err != nil {
		t.Fatal(err)
	}
	hid := make([]float32, 200*h)
	var dm denseMul[float32]
	dm.mul(hid, x32, 12, 1, convert[float32](m32.W1), 200, 12, h)
	for r := 0; r < 200; r++ {
		s := float32(m32.B2)
		for k := 0; k < h; k++ {
			if v := hid[r*h+k] + float32(m32.B1[k]); v > 0 {
				s += v * float32(m32.W2[k])
			}
		}
		if want := sigmoid(float64(s)); math.Float64bits(want) != math.Float64bits(s32[r]) {
			t.Fatalf("row %d: score %v, float32 forward pass %v", r, s32[r], want)
		}
	}
	// A value float32 cannot hold is an error, in Fit and in Predict.
	big := mat.DenseCopyOf(xt)
	big.Set(3, 4, 1e39)
	if err := NewMLP(MLPParams{MaxIter: 2, Float32: true}, 1).Fit(big, yt); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("fit on 1e39: err = %v", err)
	}
	if _, err := m32.Predict(big); err == nil || !strings.Contains(err.Error(), "row 3, column 4") {
		t.Errorf("predict on 1e39: err = %v", err)
	}
	_, s64 := fit(false)
	same := 0
	for r := range s64 {
		if (s32[r] > 0.5) == (s64[r] > 0.5) {
			same++
		}
	}
	if same < 196 {
		t.Errorf("float32 and float64 networks agree on %d of 200 labels, want >= 196", same)
	}
	t.Logf("float32 vs float64: %d of 200 labels agree; accuracy %.3f vs %.3f", same, accuracy(s32, yt, 0.5), accuracy(s64, yt, 0.5))
}

// TestSumSquares32: the AVX and the scalar sums of squares give the same
// bits (the loss, and so early stopping, must not depend on the CPU) and
// the sum to rounding, at every length around the unrolled block.
func TestSumSquares32(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range append(seq(0, 70), 59600) {
		v := make([]float32, n)
		want := 0.0
		for i := range v {
			v[i] = float32(rng.NormFloat64())
			want += float64(v[i]) * float64(v[i])
		}
		scalar := sumSquares32(v, false)
		if math.Abs(scalar-want) > 1e-12*math.Max(1, want) {
			t.Fatalf("n=%d: sum of squares %v, want %v", n, scalar, want)
		}
		if !haveAVX2FMA {
			continue
		}
		if avx := sumSquares32(v, true); math.Float64bits(avx) != math.Float64bits(scalar) {
			t.Fatalf("n=%d: AVX sum %v, scalar %v", n, avx, scalar)
		}
	}
}

// TestThresholdsAreStrict: a score equal to the threshold is benign, as in
// scikit-learn (argmax of predict_proba sends a tie to class 0; SVC
// predicts the positive class only for decision > 0).
func TestThresholdsAreStrict(t *testing.T) {
	for _, name := range ModelNames() {
		spec := mustSpec(t, name)
		want := 0.5
		if name == "svm" {
			want = 0
		}
		if spec.Threshold != want {
			t.Errorf("%s: threshold %v, want %v", name, spec.Threshold, want)
		}
		if spec.Malicious(want) || !spec.Malicious(math.Nextafter(want, 1)) {
			t.Errorf("%s: Malicious is not strict at %v", name, want)
		}
	}
	// Intersection members at exactly their threshold do not vote malicious.
	x := denseRows([][]float64{{0}, {1}, {2}, {3}})
	y := []int{0, 1, 0, 1}
	members := []IntersectionMember{
		{New: constFactory([]float64{0.5, 0.51, 0.9, 0.9}), Threshold: 0.5},
		{New: constFactory([]float64{1, 1, 0, 0.01}), Threshold: 0},
		{New: constFactory([]float64{0.9, 0.9, 0.9, 0.6}), Threshold: 0.5},
	}
	in := NewIntersection(members, 1)
	if err := in.Fit(Data{X: x}, y); err != nil {
		t.Fatal(err)
	}
	got, err := in.Predict(Data{X: x})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 1, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("intersection %v, want %v", got, want)
	}
}

// constPipeline returns fixed scores, one per row, whatever it is fitted on.
type constPipeline struct{ scores []float64 }

func (c *constPipeline) Fit(Data, []int) error { return nil }
func (c *constPipeline) Predict(d Data) ([]float64, error) {
	n, err := dataRows(d)
	if err != nil {
		return nil, err
	}
	return c.scores[:n], nil
}

func constFactory(scores []float64) PipelineFactory {
	return func(int64) Pipeline { return &constPipeline{scores: scores} }
}

// TestRegistry covers names, unknown names and the class-weight option.
func TestRegistry(t *testing.T) {
	if got, want := ModelNames(), []string{"dt", "lr", "mlp", "nb", "rf", "svm"}; !slices.Equal(got, want) {
		t.Errorf("ModelNames() = %v, want %v", got, want)
	}
	if _, err := ByName("knn"); err == nil {
		t.Error("ByName(knn) succeeded")
	}
	if _, err := PipelineByName("knn", VectoriserParams{}); err == nil {
		t.Error("PipelineByName(knn) succeeded")
	}
	x, y := blobs(40, 2, 3, 1)
	for _, c := range []struct {
		name    string
		weights bool
	}{{"rf", true}, {"dt", true}, {"svm", true}, {"lr", true}, {"mlp", false}, {"nb", false}} {
		spec := mustSpec(t, c.name)
		if spec.SupportsClassWeight() != c.weights {
			t.Errorf("%s: SupportsClassWeight %v, want %v", c.name, spec.SupportsClassWeight(), c.weights)
		}
		if _, err := spec.WithClassWeight("balanced_subsample"); err == nil {
			t.Errorf("%s: unknown class weight accepted", c.name)
		}
		if _, err := spec.WithClassWeight(ClassWeightNone); err != nil {
			t.Errorf("%s: WithClassWeight(none): %v", c.name, err)
		}
		ws, err := spec.WithClassWeight(ClassWeightBalanced)
		if !c.weights {
			if err == nil {
				t.Errorf("%s: balanced class weight accepted by a model without class weights", c.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := ws.Pipeline(VectoriserParams{})(1).(*ModelPipeline)
		if err := p.Fit(Data{X: x}, y); err != nil {
			t.Fatal(err)
		}
		var got ClassWeight
		switch m := p.Model.(type) {
		case *RandomForest:
			got = m.Params.ClassWeight
		case *DecisionTree:
			got = m.Params.ClassWeight
		case *SVM:
			got = m.Params.ClassWeight
		case *LogisticRegression:
			got = m.Params.ClassWeight
		}
		if got != ClassWeightBalanced {
			t.Errorf("%s: fitted model has class weight %q", c.name, got)
		}
	}
}
