package folds

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// labels returns n0 zeros and n1 ones interleaved pseudo-randomly.
func labels(n0, n1 int, seed uint64) []int {
	y := make([]int, 0, n0+n1)
	for i := 0; i < n0; i++ {
		y = append(y, 0)
	}
	for i := 0; i < n1; i++ {
		y = append(y, 1)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	r.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
	return y
}

// checkPartition checks that each repeat's test sets partition 0..n-1 and
// that train is the complement of test.
func checkPartition(t *testing.T, folds [][]Fold, n, k int) {
	t.Helper()
	if err := ValidateFolds(folds, n); err != nil {
		t.Fatal(err)
	}
	for r, rep := range folds {
		if len(rep) != k {
			t.Fatalf("repeat %d: %d folds, want %d", r, len(rep), k)
		}
		for f, fold := range rep {
			for _, s := range [][]int{fold.Train, fold.Test} {
				for i := 1; i < len(s); i++ {
					if s[i] <= s[i-1] {
						t.Fatalf("repeat %d fold %d: indices not strictly ascending", r, f)
					}
				}
			}
		}
	}
}

func TestStratifiedKFoldCounts(t *testing.T) {
	tests := []struct {
		name        string
		n0, n1      int
		k, repeats  int
		labelsValue [2]int // actual label values for class 0 and 1
	}{
		{"balanced k=10", 100, 100, 10, 1, [2]int{0, 1}},
		{"imbalanced k=10", 973, 47, 10, 3, [2]int{0, 1}},
		{"uneven remainder k=3", 11, 7, 3, 2, [2]int{0, 1}},
		{"minimum class equals k", 50, 5, 5, 2, [2]int{0, 1}},
		{"k=2", 9, 4, 2, 4, [2]int{0, 1}},
		{"other label values", 30, 20, 4, 1, [2]int{-3, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := labels(tc.n0, tc.n1, 3)
			for i := range y {
				y[i] = tc.labelsValue[y[i]]
			}
			folds, err := RepeatedStratifiedKFold(y, tc.k, tc.repeats, 11)
			if err != nil {
				t.Fatal(err)
			}
			if len(folds) != tc.repeats {
				t.Fatalf("%d repeats, want %d", len(folds), tc.repeats)
			}
			checkPartition(t, folds, len(y), tc.k)
			n := len(y)
			for r, rep := range folds {
				minSize, maxSize := n, 0
				for f, fold := range rep {
					for c, nc := range []int{tc.n0, tc.n1} {
						got := 0
						for _, row := range fold.Test {
							if y[row] == tc.labelsValue[c] {
								got++
							}
						}
						lo, hi := nc/tc.k, (nc+tc.k-1)/tc.k
						if got < lo || got > hi {
							t.Errorf("repeat %d fold %d class %d: %d test rows, want within [%d,%d]", r, f, c, got, lo, hi)
						}
					}
					minSize, maxSize = min(minSize, len(fold.Test)), max(maxSize, len(fold.Test))
				}
				// sklearn's round-robin allocation also balances total sizes.
				if maxSize-minSize > 1 {
					t.Errorf("repeat %d: fold sizes range %d..%d", r, minSize, maxSize)
				}
			}
			if tc.repeats > 1 && reflect.DeepEqual(folds[0], folds[1]) {
				t.Error("repeats 0 and 1 are identical")
			}
		})
	}
}

func TestStratifiedKFoldDeterminism(t *testing.T) {
	y := labels(200, 30, 5)
	a, err := RepeatedStratifiedKFold(y, 10, 3, 99)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RepeatedStratifiedKFold(y, 10, 3, 99)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different folds")
	}
	c, _ := RepeatedStratifiedKFold(y, 10, 3, 100)
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same folds")
	}
	single, _ := StratifiedKFold(y, 10, 99)
	if !reflect.DeepEqual(single, a[0]) {
		t.Error("StratifiedKFold is not repeat 0 of RepeatedStratifiedKFold")
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name    string
		y       []int
		groups  []string
		k       int
		repeats int
		want    string
	}{
		{"k=1", labels(10, 10, 1), nil, 1, 1, "k=1 folds: need at least 2"},
		{"k=0", labels(10, 10, 1), nil, 0, 1, "need at least 2"},
		{"no repeats", labels(10, 10, 1), nil, 2, 0, "repeats=0"},
		{"empty", nil, nil, 3, 1, "no rows"},
		{"fewer rows than k", []int{0, 1, 0}, nil, 5, 1, "only 3 rows"},
		{"small class", labels(50, 4, 1), nil, 5, 1, "class 1 has 4 rows, fewer than k=5"},
		{"group: key count", labels(10, 10, 1), []string{"a"}, 2, 1, "1 group keys for 20 rows"},
		{"group: class in too few groups", []int{0, 0, 0, 0, 1, 1, 1, 1}, []string{"", "", "", "", "a", "a", "b", "b"}, 3, 1, "class 1 spans 2 groups, fewer than k=3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.groups != nil {
				_, err = RepeatedStratifiedGroupKFold(tc.y, tc.groups, tc.k, tc.repeats, 1)
			} else {
				_, err = RepeatedStratifiedKFold(tc.y, tc.k, tc.repeats, 1)
				// the group variant must reject the same input
				g := make([]string, len(tc.y))
				if _, gerr := RepeatedStratifiedGroupKFold(tc.y, g, tc.k, tc.repeats, 1); gerr == nil {
					t.Errorf("group variant accepted it")
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// randomGroups assigns rows to clusters of random sizes; some rows get no
// cluster. Clusters are mostly of one class, like malware families.
func randomGroups(r *rand.Rand, y []int) []string {
	groups := make([]string, len(y))
	for i := range groups {
		if r.IntN(3) == 0 {
			continue // singleton
		}
		groups[i] = fmt.Sprintf("c%d-%d", y[i], r.IntN(len(y)/8+1))
		if r.IntN(10) == 0 {
			groups[i] = fmt.Sprintf("mixed-%d", r.IntN(5))
		}
	}
	return groups
}

func TestStratifiedGroupKFoldNeverSplitsGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for trial := 0; trial < 60; trial++ {
		n0, n1 := 40+r.IntN(300), 30+r.IntN(100)
		y := labels(n0, n1, uint64(trial))
		groups := randomGroups(r, y)
		k := 2 + r.IntN(9)
		repeats := 1 + r.IntN(3)
		folds, err := RepeatedStratifiedGroupKFold(y, groups, k, repeats, int64(trial))
		if err != nil {
			t.Fatalf("trial %d (n0=%d n1=%d k=%d): %v", trial, n0, n1, k, err)
		}
		checkPartition(t, folds, len(y), k)
		idx, _ := TestFoldIndex(folds, len(y))
		for rep := range folds {
			foldOf := map[string]int{}
			for row, g := range groups {
				if g == "" {
					continue
				}
				if f, ok := foldOf[g]; ok && f != idx[rep][row] {
					t.Fatalf("trial %d repeat %d: group %q in folds %d and %d", trial, rep, g, f, idx[rep][row])
				}
				foldOf[g] = idx[rep][row]
			}
		}
		again, _ := RepeatedStratifiedGroupKFold(y, groups, k, repeats, int64(trial))
		if !reflect.DeepEqual(folds, again) {
			t.Fatalf("trial %d: same seed gave different folds", trial)
		}
	}
}

func TestStratifiedGroupKFoldSingletonsBalance(t *testing.T) {
	// With no groups at all it must behave like a stratified split.
	y := labels(300, 60, 9)
	folds, err := StratifiedGroupKFold(y, make([]string, len(y)), 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, [][]Fold{folds}, len(y), 10)
	for f, fold := range folds {
		pos := 0
		for _, row := range fold.Test {
			pos += y[row]
		}
		if pos != 6 || len(fold.Test) != 36 {
			t.Errorf("fold %d: %d rows, %d malicious; want 36 and 6", f, len(fold.Test), pos)
		}
	}
	other, _ := StratifiedGroupKFold(y, make([]string, len(y)), 10, 5)
	if reflect.DeepEqual(folds, other) {
		t.Error("different seeds gave the same folds")
	}
}

func TestFoldsCSVRoundTrip(t *testing.T) {
	y := labels(25, 12, 4)
	folds, err := RepeatedStratifiedKFold(y, 4, 2, 8)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(y))
	for i := range ids {
		ids[i] = fmt.Sprintf("pkg,%d", i) // a comma, to exercise quoting
	}
	var buf bytes.Buffer
	if err := WriteFoldsCSV(&buf, folds, len(y), ids); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"row", "id", "repeat_0", "repeat_1"}; !reflect.DeepEqual(recs[0], want) {
		t.Fatalf("header %v, want %v", recs[0], want)
	}
	if len(recs) != len(y)+1 {
		t.Fatalf("%d records, want %d", len(recs), len(y)+1)
	}
	back := make([][]int, 2)
	for _, rec := range recs[1:] {
		if row, _ := strconv.Atoi(rec[0]); rec[1] != ids[row] {
			t.Fatalf("row %d has id %q", row, rec[1])
		}
		for r := 0; r < 2; r++ {
			f, err := strconv.Atoi(rec[2+r])
			if err != nil {
				t.Fatal(err)
			}
			back[r] = append(back[r], f)
		}
	}
	rebuilt, err := FoldsFromTestIndex(back, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rebuilt, folds) {
		t.Error("folds read back from CSV differ")
	}

	var plain bytes.Buffer
	if err := WriteFoldsCSV(&plain, folds[:1], len(y), nil); err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(plain.String(), "\n", 2)[0]; first != "row,repeat_0" {
		t.Errorf("header without ids = %q", first)
	}
}

func TestValidateFoldsRejects(t *testing.T) {
	good := [][]Fold{{{Train: []int{2, 3}, Test: []int{0, 1}}, {Train: []int{0, 1}, Test: []int{2, 3}}}}
	if err := ValidateFolds(good, 4); err != nil {
		t.Fatalf("valid folds rejected: %v", err)
	}
	tests := []struct {
		name  string
		folds [][]Fold
		want  string
	}{
		{"row untested", [][]Fold{{{Train: []int{2, 3}, Test: []int{0}}, {Train: []int{0, 1}, Test: []int{2, 3}}}}, "row 1 is in no test set"},
		{"row tested twice", [][]Fold{{{Train: []int{2, 3}, Test: []int{0, 1}}, {Train: []int{0}, Test: []int{1, 2, 3}}}}, "row 1 is in the test sets of folds 0 and 1"},
		{"out of range", [][]Fold{{{Train: []int{2, 3}, Test: []int{0, 1}}, {Train: []int{0, 1}, Test: []int{2, 4}}}}, "out of range"},
		{"train overlaps test", [][]Fold{{{Train: []int{1, 2, 3}, Test: []int{0, 1}}, {Train: []int{0, 1}, Test: []int{2, 3}}}}, "train"},
		{"one fold", [][]Fold{{{Train: nil, Test: []int{0, 1, 2, 3}}}}, "need at least 2"},
		{"no repeats", nil, "no repeats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateFolds(tc.folds, 4)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := FoldsFromTestIndex([][]int{{0, 0, 2}}, 3); err == nil || !strings.Contains(err.Error(), "fold 1 has no test rows") {
		t.Errorf("FoldsFromTestIndex with an empty fold: %v", err)
	}
	if _, err := FoldsFromTestIndex([][]int{{0, 1, 3}}, 3); err == nil {
		t.Error("FoldsFromTestIndex accepted fold 3 of k=3")
	}
}
