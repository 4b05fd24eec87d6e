package classifiers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"testing"

	kfold "pypimal/internal/folds"
)

// systemPython is Debian's interpreter, which has python3-sklearn; the
// python3 on PATH may be a different installation.
const systemPython = "/usr/bin/python3"

func requireSklearn(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping scikit-learn comparison in -short mode")
	}
	if _, err := os.Stat(systemPython); err != nil {
		t.Skipf("skipping scikit-learn comparison: %s not found", systemPython)
	}
	if out, err := exec.Command(systemPython, "-c", "import sklearn").CombinedOutput(); err != nil {
		t.Skipf("skipping scikit-learn comparison: %s cannot import sklearn (apt-get install python3-sklearn): %v: %s",
			systemPython, err, bytes.TrimSpace(out))
	}
}

type sklearnRequest struct {
	X          [][]float64 `json:"X"`
	Y          []int       `json:"y"`
	Folds      [][]int     `json:"folds"`
	Seeds      []int64     `json:"seeds"`
	Docs       [][]string  `json:"docs,omitempty"`
	MinDF      int         `json:"min_df"`
	StackBases []string    `json:"stack_bases,omitempty"`
	SKF        *skfRequest `json:"skf,omitempty"`
}

type skfRequest struct {
	K      int     `json:"k"`
	Labels [][]int `json:"labels"`
}

type sklearnLR struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	NIter     int       `json:"n_iter"`
	MaxGrad   float64   `json:"max_grad"`
}

type sklearnAnswer struct {
	Version string `json:"version"`
	CV      map[string]struct {
		Accuracy float64 `json:"accuracy"`
		F1       float64 `json:"f1"`
	} `json:"cv"`
	LR struct {
		Default       sklearnLR `json:"default"`
		Exact         sklearnLR `json:"exact"`
		ExactBalanced sklearnLR `json:"exact_balanced"`
	} `json:"lr"`
	SVM struct {
		Decision []float64 `json:"decision"`
		NSV      int       `json:"n_sv"`
	} `json:"svm"`
	NB struct {
		Proba []float64 `json:"proba"`
	} `json:"nb"`
	TFIDF struct {
		Vocab []string    `json:"vocab"`
		Rows  [][]float64 `json:"rows"`
	} `json:"tfidf"`
	SKF [][][]int `json:"skf"`
}

func runSklearnScript(t testing.TB, script string, req any, ans any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemPython, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(out, ans); err != nil {
		t.Fatalf("decoding %s answer: %v", script, err)
	}
}

// randomDocs makes token lists whose distribution depends a little on the
// label, with a long tail of rare tokens so min_df matters.
func randomDocs(y []int, seed uint64) [][]string {
	rng := rand.New(rand.NewPCG(seed, 4))
	docs := make([][]string, len(y))
	for i := range docs {
		n := 1 + rng.IntN(12)
		for k := 0; k < n; k++ {
			// Zipf-like: small ids are common.
			id := int(math.Floor(math.Exp(rng.Float64() * math.Log(400))))
			if y[i] == 1 && rng.Float64() < 0.3 {
				id = 1000 + rng.IntN(5)
			}
			docs[i] = append(docs[i], fmt.Sprintf("tok%d", id))
		}
	}
	return docs
}

func countDocs(docs [][]string) []map[string]float64 {
	out := make([]map[string]float64, len(docs))
	for i, d := range docs {
		out[i] = map[string]float64{}
		for _, tok := range d {
			out[i][tok]++
		}
	}
	return out
}

// cvScores returns the out-of-fold scores of pipelines from factory(seed)
// over folds (test rows per fold).
func cvScores(t testing.TB, factory PipelineFactory, d Data, y []int, folds [][]int, seed int64) []float64 {
	t.Helper()
	n := len(y)
	score := make([]float64, n)
	for fi, test := range folds {
		train := complement(n, test)
		ytr := make([]int, len(train))
		for i, r := range train {
			ytr[i] = y[r]
		}
		pl := factory(seed)
		if err := pl.Fit(SubsetData(d, train), ytr); err != nil {
			t.Fatalf("fold %d: %v", fi, err)
		}
		s, err := pl.Predict(SubsetData(d, test))
		if err != nil {
			t.Fatalf("fold %d: %v", fi, err)
		}
		for i, r := range test {
			score[r] = s[i]
		}
	}
	return score
}

// sklearnStackBases are the base models of the stacking comparison: the
// cheap ones, since stacking refits each base six times per outer fold.
var sklearnStackBases = []string{"dt", "svm", "nb", "lr"}

// TestAgainstSklearn runs scikit-learn 1.2 on the same data and folds and
// requires each model's (and a stack's) 5-fold CV accuracy and F1 to be
// within 0.02 of it, plus close agreement for the deterministic fits, the
// TF-IDF vectoriser and the unshuffled stratified split.
func TestAgainstSklearn(t *testing.T) {
	requireSklearn(t)
	x, y := synthetic(1000, 20, 11)
	folds, err := kfold.StratifiedKFoldNoShuffle(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	n, p := x.Dims()
	req := sklearnRequest{Y: y, Folds: folds, Seeds: []int64{0, 1, 2}, MinDF: 2, StackBases: sklearnStackBases}
	for i := 0; i < n; i++ {
		req.X = append(req.X, append([]float64(nil), rowView(x, i)...))
	}
	docs := randomDocs(y, 5)
	req.Docs = docs
	skfLabels := [][]int{
		y,
		{1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0}, // malicious first, so encoded as class 0
		{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0},    // fewer positives than folds (sklearn warns)
		{0, 0, 0, 0, 0, 0, 0},                   // one class
		append(slices.Repeat([]int{1}, 9), slices.Repeat([]int{0}, 23)...),
	}
	req.SKF = &skfRequest{K: 5, Labels: skfLabels}
	var ans sklearnAnswer
	runSklearnScript(t, "testdata/sklearn_reference.py", req, &ans)
	t.Logf("scikit-learn %s", ans.Version)

	t.Run("cv", func(t *testing.T) {
		d := Data{X: x}
		names := append(ModelNames(), "stack")
		for _, name := range names {
			var factory PipelineFactory
			threshold := 0.5
			if name == "stack" {
				factory, err = StackingByNames(sklearnStackBases, VectoriserParams{})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				spec, err := ByName(name)
				if err != nil {
					t.Fatal(err)
				}
				factory, threshold = spec.Pipeline(VectoriserParams{}), spec.Threshold
			}
			ref, ok := ans.CV[name]
			if !ok {
				t.Fatalf("no sklearn result for %s", name)
			}
			seeds := req.Seeds
			if name == "svm" || name == "nb" || name == "lr" {
				seeds = seeds[:1]
			}
			var acc, f float64
			for _, seed := range seeds {
				score := cvScores(t, factory, d, y, folds, seed)
				acc += accuracy(score, y, threshold)
				f += f1(score, y, threshold)
			}
			acc /= float64(len(seeds))
			f /= float64(len(seeds))
			t.Logf("%-5s accuracy %.4f (sklearn %.4f)  F1 %.4f (sklearn %.4f)  ΔF1 %+.4f", name, acc, ref.Accuracy, f, ref.F1, f-ref.F1)
			if math.Abs(acc-ref.Accuracy) > 0.02 || math.Abs(f-ref.F1) > 0.02 {
				t.Errorf("%s: accuracy %.4f / F1 %.4f, sklearn %.4f / %.4f: differ by more than 0.02",
					name, acc, f, ref.Accuracy, ref.F1)
			}
		}
	})

	sc := &StandardScaler{}
	if err := sc.Fit(x); err != nil {
		t.Fatal(err)
	}
	xs, _ := sc.Transform(x)

	t.Run("logreg", func(t *testing.T) {
		lrDiff := func(l *LogisticRegression, ref sklearnLR) float64 {
			d := math.Abs(l.Intercept - ref.Intercept)
			for j := 0; j < p; j++ {
				d = math.Max(d, math.Abs(l.Coef[j]-ref.Coef[j]))
			}
			return d
		}
		fit := func(cw ClassWeight, gradTol float64) *LogisticRegression {
			prm := DefaultLogRegParams()
			prm.ClassWeight = cw
			if gradTol > 0 {
				prm.GradTol = gradTol
			}
			l := NewLogisticRegression(prm)
			if err := l.Fit(xs, y); err != nil {
				t.Fatal(err)
			}
			return l
		}
		def := fit(ClassWeightNone, 0)
		// newton-cg stops at max |gradient| <= 1e-8 of the summed objective;
		// GradTol applies to the gradient divided by the total weight (n).
		tightTol := 1e-8 / float64(n)
		tight := fit(ClassWeightNone, tightTol)
		balanced := fit(ClassWeightBalanced, tightTol)
		sk := ans.LR
		t.Logf("sklearn lbfgs default: %d iterations, max |gradient| %.2g (stopped by scipy's ftol); newton-cg: %d iterations, max |gradient| %.2g",
			sk.Default.NIter, sk.Default.MaxGrad, sk.Exact.NIter, sk.Exact.MaxGrad)
		cases := []struct {
			name  string
			ours  *LogisticRegression
			ref   sklearnLR
			bound float64
		}{
			// The comparison that pins the objective: both solved tightly.
			{"tight vs newton-cg", tight, sk.Exact, 1e-8},
			{"balanced tight vs newton-cg balanced", balanced, sk.ExactBalanced, 1e-8},
			// Our default tolerance against the optimum.
			{"default vs newton-cg", def, sk.Exact, 1e-5},
			// scikit-learn's default fit stops early (see DefaultLogRegParams).
			{"default vs lbfgs default", def, sk.Default, 2e-3},
		}
		for _, c := range cases {
			d := lrDiff(c.ours, c.ref)
			t.Logf("%-38s max coefficient difference %.2g (ours %d iterations; bound %.0e)", c.name, d, c.ours.Iterations, c.bound)
			if d > c.bound {
				t.Errorf("logistic regression %s: coefficients differ by %.3g > %.0e", c.name, d, c.bound)
			}
		}
	})

	t.Run("svm", func(t *testing.T) {
		svm := NewSVM(DefaultSVMParams())
		if err := svm.Fit(xs, y); err != nil {
			t.Fatal(err)
		}
		dec, _ := svm.Predict(xs)
		maxDiff := 0.0
		for i := range dec {
			maxDiff = math.Max(maxDiff, math.Abs(dec[i]-ans.SVM.Decision[i]))
		}
		t.Logf("svm: %d support vectors (sklearn %d), max decision difference %.2g", len(svm.SupportVectors), ans.SVM.NSV, maxDiff)
		if maxDiff > 0.01 {
			t.Errorf("svm decision values differ from sklearn by %.3g", maxDiff)
		}
		if d := len(svm.SupportVectors) - ans.SVM.NSV; d > 5 || d < -5 {
			t.Errorf("svm has %d support vectors, sklearn %d", len(svm.SupportVectors), ans.SVM.NSV)
		}
	})

	t.Run("nb", func(t *testing.T) {
		nb := NewGaussianNB(DefaultNBParams())
		if err := nb.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		pr, _ := nb.Predict(x)
		maxDiff := 0.0
		for i := range pr {
			maxDiff = math.Max(maxDiff, math.Abs(pr[i]-ans.NB.Proba[i]))
		}
		t.Logf("naive bayes: max probability difference %.2g", maxDiff)
		if maxDiff > 1e-9 {
			t.Errorf("naive bayes probabilities differ from sklearn by %.3g", maxDiff)
		}
	})

	t.Run("tfidf", func(t *testing.T) {
		// The vectoriser with no top-K truncation is exactly TfidfVectorizer.
		vec := NewTextVectoriser(VectoriserParams{MinDF: 2, MaxFeatures: 1 << 20})
		counts := countDocs(docs)
		if err := vec.Fit(counts); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(vec.Vocabulary) != fmt.Sprint(ans.TFIDF.Vocab) {
			t.Fatalf("vocabulary differs from sklearn:\n go %v\n py %v", vec.Vocabulary, ans.TFIDF.Vocab)
		}
		rows, err := vec.Transform(counts)
		if err != nil {
			t.Fatal(err)
		}
		maxDiff := 0.0
		for i := range rows {
			for j := range rows[i] {
				maxDiff = math.Max(maxDiff, math.Abs(rows[i][j]-ans.TFIDF.Rows[i][j]))
			}
		}
		t.Logf("tf-idf: %d tokens, max difference %.2g", len(vec.Vocabulary), maxDiff)
		if maxDiff > 1e-12 {
			t.Errorf("tf-idf values differ from sklearn by %.3g", maxDiff)
		}
	})

	t.Run("stratified-kfold", func(t *testing.T) {
		if len(ans.SKF) != len(skfLabels) {
			t.Fatalf("sklearn returned %d splits for %d label vectors", len(ans.SKF), len(skfLabels))
		}
		for i, labels := range skfLabels {
			got, err := kfold.StratifiedKFoldNoShuffle(labels, req.SKF.K)
			if err != nil {
				t.Fatalf("labels %d: %v", i, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(ans.SKF[i]) {
				t.Errorf("labels %d: folds differ from StratifiedKFold(n_splits=%d):\n go %v\n py %v", i, req.SKF.K, got, ans.SKF[i])
			}
		}
	})
}
