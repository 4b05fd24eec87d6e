package classifiers

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// imbalanced returns overlapping classes with about frac malicious rows.
func imbalanced(n int, frac float64, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := mat.NewDense(n, 3, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		if rng.Float64() < frac {
			y[i] = 1
		}
		for j := 0; j < 3; j++ {
			x.Set(i, j, rng.NormFloat64()+float64(y[i])*1.2)
		}
	}
	return x, y
}

func TestClassWeightValues(t *testing.T) {
	y := []int{0, 0, 0, 1}
	w, err := ClassWeightBalanced.weights(y)
	if err != nil {
		t.Fatal(err)
	}
	// scikit-learn: n_samples / (n_classes * bincount(y)) = 4/(2*3), 4/(2*1).
	if math.Abs(w[0]-4.0/6) > 1e-15 || w[1] != 2 {
		t.Errorf("balanced weights %v, want [0.667 2]", w)
	}
	if w, _ := ClassWeightNone.weights(y); w != [2]float64{1, 1} {
		t.Errorf("no class weight gives %v", w)
	}
}

// TestClassWeightBalanced: on data with about 10% malicious rows, balanced
// class weights must make every model that supports them flag more rows,
// and find more of the malicious ones, than unweighted fitting does.
func TestClassWeightBalanced(t *testing.T) {
	xtr, ytr := imbalanced(1000, 0.1, 1)
	xte, yte := imbalanced(3000, 0.1, 2)
	sc := &StandardScaler{}
	if err := sc.Fit(xtr); err != nil {
		t.Fatal(err)
	}
	xtrS, _ := sc.Transform(xtr)
	xteS, _ := sc.Transform(xte)
	cases := []struct {
		name      string
		threshold float64
		build     func(cw ClassWeight) Classifier
	}{
		// Fully grown trees end in pure leaves, where weights change little;
		// depth-limited ones show the effect in their leaf probabilities.
		{"dt depth 4", 0.5, func(cw ClassWeight) Classifier {
			return NewDecisionTree(TreeParams{MaxDepth: 4, ClassWeight: cw}, 1)
		}},
		{"rf min leaf 20", 0.5, func(cw ClassWeight) Classifier {
			return NewRandomForest(ForestParams{NTrees: 30, MinSamplesLeaf: 20, ClassWeight: cw}, 1)
		}},
		{"svm", 0, func(cw ClassWeight) Classifier { return NewSVM(SVMParams{ClassWeight: cw}) }},
		{"lr", 0.5, func(cw ClassWeight) Classifier { return NewLogisticRegression(LogRegParams{ClassWeight: cw}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var flagged, recall [2]float64
			for k, cw := range []ClassWeight{ClassWeightNone, ClassWeightBalanced} {
				m := c.build(cw)
				if err := m.Fit(xtrS, ytr); err != nil {
					t.Fatal(err)
				}
				s, err := m.Predict(xteS)
				if err != nil {
					t.Fatal(err)
				}
				tp, pos := 0, 0
				for i, v := range s {
					if v > c.threshold {
						flagged[k]++
						if yte[i] == 1 {
							tp++
						}
					}
					pos += yte[i]
				}
				recall[k] = float64(tp) / float64(pos)
			}
			t.Logf("flagged %v -> %v, recall %.3f -> %.3f", flagged[0], flagged[1], recall[0], recall[1])
			if flagged[1] <= 1.5*flagged[0] || recall[1] <= recall[0]+0.1 {
				t.Errorf("balanced weights flagged %v rows (unweighted %v) with recall %.3f (unweighted %.3f); want clearly more of both",
					flagged[1], flagged[0], recall[1], recall[0])
			}
		})
	}
}
