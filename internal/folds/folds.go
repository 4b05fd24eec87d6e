package folds

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
)

// ErrLabel is the error of StratifiedKFoldNoShuffle for a label other than
// 0 or 1.
var ErrLabel = errors.New("labels must be 0 or 1")

// DefaultK is the number of folds the paper uses.
const DefaultK = 10

// Fold is one train/test split: row indices into the data, ascending.
type Fold struct {
	Train []int
	Test  []int
}

// classCounts returns the distinct labels of y ascending, each row's class
// index into that list, and the number of rows per class.
func classCounts(y []int) (classes []int, inv []int, counts []int) {
	seen := map[int]bool{}
	for _, v := range y {
		if !seen[v] {
			seen[v] = true
			classes = append(classes, v)
		}
	}
	sort.Ints(classes)
	pos := make(map[int]int, len(classes))
	for i, c := range classes {
		pos[c] = i
	}
	inv = make([]int, len(y))
	counts = make([]int, len(classes))
	for i, v := range y {
		inv[i] = pos[v]
		counts[pos[v]]++
	}
	return classes, inv, counts
}

func checkSplitArgs(y []int, k, repeats int) error {
	if k < 2 {
		return fmt.Errorf("k=%d folds: need at least 2", k)
	}
	if repeats < 1 {
		return fmt.Errorf("repeats=%d: need at least 1", repeats)
	}
	if len(y) == 0 {
		return fmt.Errorf("no rows to split")
	}
	if len(y) < k {
		return fmt.Errorf("k=%d folds but only %d rows", k, len(y))
	}
	classes, _, counts := classCounts(y)
	for c, n := range counts {
		if n < k {
			// sklearn only warns here (and fails when every class is too
			// small); a fold without a malicious row makes recall and
			// ROC-AUC undefined, so this package refuses.
			return fmt.Errorf("class %d has %d rows, fewer than k=%d folds", classes[c], n, k)
		}
	}
	return nil
}

// StratifiedKFold splits rows into k folds whose class counts differ by at
// most one, like sklearn's StratifiedKFold(n_splits=k, shuffle=True): fold
// sizes per class are allocated by dealing the label-sorted rows round-robin
// (so total fold sizes are balanced too), then each class's rows are shuffled
// into those slots. It equals repeat 0 of RepeatedStratifiedKFold with the
// same seed. The permutation differs from numpy's, so folds match sklearn's
// in distribution, not row for row; export them with WriteFoldsCSV to share.
func StratifiedKFold(y []int, k int, seed int64) ([]Fold, error) {
	r, err := RepeatedStratifiedKFold(y, k, 1, seed)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// RepeatedStratifiedKFold returns repeats independent StratifiedKFold splits,
// indexed [repeat][fold]; repeat r shuffles with DeriveSeed(seed, ·, r).
func RepeatedStratifiedKFold(y []int, k, repeats int, seed int64) ([][]Fold, error) {
	if err := checkSplitArgs(y, k, repeats); err != nil {
		return nil, fmt.Errorf("stratified k-fold: %w", err)
	}
	_, inv, counts := classCounts(y)
	rowsOf := make([][]int, len(counts))
	for i, c := range inv {
		rowsOf[c] = append(rowsOf[c], i)
	}
	out := make([][]Fold, repeats)
	for r := range out {
		g := newRNG(DeriveSeed(seed, streamFolds, int64(r)))
		testFold := make([]int, len(y))
		offset := 0 // position of the class's first row in label-sorted order
		for c, rows := range rowsOf {
			shuffled := append([]int(nil), rows...)
			g.shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			for j, row := range shuffled {
				testFold[row] = (offset + j) % k
			}
			offset += counts[c]
		}
		out[r] = foldsFromAssignment(testFold, k)
	}
	return out, nil
}

// StratifiedGroupKFold splits rows into k folds so that rows sharing a
// non-empty group key (the malware cluster) always land in the same fold;
// rows with an empty key are groups of their own. It follows sklearn's
// StratifiedGroupKFold(shuffle=True): groups are shuffled, stably sorted by
// decreasing spread of their class counts, then each is put greedily in the
// fold that keeps the per-class fractions most even (ties: the fold with fewer
// rows, then the lowest index). Unlike sklearn it fails rather than return a
// fold whose test rows lack a class, and it shuffles group identities (sklearn
// 1.2 shuffles only the rows of per-group class counts, detaching them from
// the groups they describe).
func StratifiedGroupKFold(y []int, groups []string, k int, seed int64) ([]Fold, error) {
	r, err := RepeatedStratifiedGroupKFold(y, groups, k, 1, seed)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// RepeatedStratifiedGroupKFold returns repeats StratifiedGroupKFold splits,
// indexed [repeat][fold]; repeat r shuffles with DeriveSeed(seed, ·, r).
func RepeatedStratifiedGroupKFold(y []int, groups []string, k, repeats int, seed int64) ([][]Fold, error) {
	if len(groups) != len(y) {
		return nil, fmt.Errorf("stratified group k-fold: %d group keys for %d rows", len(groups), len(y))
	}
	if err := checkSplitArgs(y, k, repeats); err != nil {
		return nil, fmt.Errorf("stratified group k-fold: %w", err)
	}
	classes, inv, yCnt := classCounts(y)
	nc := len(classes)

	// Groups in a fixed order before shuffling: named groups by key, then
	// the singleton rows in row order.
	var keys []string
	byKey := map[string]int{}
	for _, g := range groups {
		if _, ok := byKey[g]; g != "" && !ok {
			byKey[g] = 0
			keys = append(keys, g)
		}
	}
	sort.Strings(keys)
	var members [][]int
	for i, key := range keys {
		byKey[key] = i
		members = append(members, nil)
	}
	for row, g := range groups {
		if g == "" {
			members = append(members, []int{row})
		} else {
			members[byKey[g]] = append(members[byKey[g]], row)
		}
	}
	groupCounts := make([][]float64, len(members))
	for gi, rows := range members {
		groupCounts[gi] = make([]float64, nc)
		for _, row := range rows {
			groupCounts[gi][inv[row]]++
		}
	}
	for c := range classes {
		spans := 0
		for _, gc := range groupCounts {
			if gc[c] > 0 {
				spans++
			}
		}
		if spans < k {
			return nil, fmt.Errorf("stratified group k-fold: class %d spans %d groups, fewer than k=%d folds", classes[c], spans, k)
		}
	}

	spread := make([]float64, len(members))
	for gi, gc := range groupCounts {
		spread[gi] = stdDev(gc)
	}
	out := make([][]Fold, repeats)
	for r := range out {
		g := newRNG(DeriveSeed(seed, streamGroupFolds, int64(r)))
		order := g.perm(len(members))
		sort.SliceStable(order, func(a, b int) bool { return spread[order[a]] > spread[order[b]] })

		perFold := make([][]float64, k)
		for f := range perFold {
			perFold[f] = make([]float64, nc)
		}
		testFold := make([]int, len(y))
		for _, gi := range order {
			best := bestFold(perFold, yCnt, groupCounts[gi])
			for c, v := range groupCounts[gi] {
				perFold[best][c] += v
			}
			for _, row := range members[gi] {
				testFold[row] = best
			}
		}
		for f, cnt := range perFold {
			for c, v := range cnt {
				if v == 0 {
					return nil, fmt.Errorf("stratified group k-fold: repeat %d: fold %d gets no row of class %d (groups too uneven for k=%d)", r, f, classes[c], k)
				}
			}
		}
		out[r] = foldsFromAssignment(testFold, k)
	}
	return out, nil
}

// bestFold is sklearn's StratifiedGroupKFold._find_best_fold.
func bestFold(perFold [][]float64, yCnt []int, add []float64) int {
	k, nc := len(perFold), len(yCnt)
	best, minEval, minSamples := 0, math.Inf(1), math.Inf(1)
	col := make([]float64, k)
	for i := 0; i < k; i++ {
		eval := 0.0
		for c := 0; c < nc; c++ {
			for f := 0; f < k; f++ {
				v := perFold[f][c]
				if f == i {
					v += add[c]
				}
				col[f] = v / float64(yCnt[c])
			}
			eval += stdDev(col)
		}
		eval /= float64(nc)
		samples := 0.0
		for _, v := range perFold[i] {
			samples += v
		}
		if eval < minEval || (isClose(eval, minEval) && samples < minSamples) {
			best, minEval, minSamples = i, eval, samples
		}
	}
	return best
}

// isClose is numpy.isclose with its default tolerances.
func isClose(a, b float64) bool {
	if math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-8+1e-5*math.Abs(b)
}

func stdDev(xs []float64) float64 {
	_, s := MeanStd(xs)
	return s
}

// MeanStd returns the mean and the population standard deviation (ddof=0,
// numpy.std's default, which sklearn-based papers report) of xs; NaN for an
// empty slice. A NaN element makes both NaN.
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// foldsFromAssignment turns a per-row test fold index into k Folds.
func foldsFromAssignment(testFold []int, k int) []Fold {
	folds := make([]Fold, k)
	for row, f := range testFold {
		for j := range folds {
			if j == f {
				folds[j].Test = append(folds[j].Test, row)
			} else {
				folds[j].Train = append(folds[j].Train, row)
			}
		}
	}
	return folds
}

// ValidateFolds checks that, in every repeat, each of the n rows is in the
// test set of exactly one fold and in the training set of all the others.
func ValidateFolds(folds [][]Fold, n int) error {
	_, err := TestFoldIndex(folds, n)
	return err
}

// TestFoldIndex returns, for each repeat, the fold whose test set holds each
// row: out[r][row]. This is sklearn's PredefinedSplit(test_fold) encoding. It
// fails unless every repeat partitions the n rows (see ValidateFolds).
func TestFoldIndex(folds [][]Fold, n int) ([][]int, error) {
	if len(folds) == 0 {
		return nil, fmt.Errorf("no repeats")
	}
	out := make([][]int, len(folds))
	for r, rep := range folds {
		if len(rep) < 2 {
			return nil, fmt.Errorf("repeat %d: %d folds, need at least 2", r, len(rep))
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = -1
		}
		for f, fold := range rep {
			for _, row := range fold.Test {
				if row < 0 || row >= n {
					return nil, fmt.Errorf("repeat %d fold %d: test row %d out of range [0,%d)", r, f, row, n)
				}
				if idx[row] >= 0 {
					return nil, fmt.Errorf("repeat %d: row %d is in the test sets of folds %d and %d", r, row, idx[row], f)
				}
				idx[row] = f
			}
		}
		for row, f := range idx {
			if f < 0 {
				return nil, fmt.Errorf("repeat %d: row %d is in no test set", r, row)
			}
		}
		for f, fold := range rep {
			if len(fold.Train) != n-len(fold.Test) {
				return nil, fmt.Errorf("repeat %d fold %d: %d train rows, want %d (the complement of its test rows)", r, f, len(fold.Train), n-len(fold.Test))
			}
			seen := make([]bool, n)
			for _, row := range fold.Train {
				if row < 0 || row >= n || idx[row] == f || seen[row] {
					return nil, fmt.Errorf("repeat %d fold %d: train rows are not the complement of its test rows (row %d)", r, f, row)
				}
				seen[row] = true
			}
		}
		out[r] = idx
	}
	return out, nil
}

// FoldsFromTestIndex is the inverse of TestFoldIndex: testFold[r][row] is the
// fold (0..k-1) that tests row in repeat r. Use it to read folds back from a
// CSV written by WriteFoldsCSV.
func FoldsFromTestIndex(testFold [][]int, k int) ([][]Fold, error) {
	if k < 2 {
		return nil, fmt.Errorf("k=%d folds: need at least 2", k)
	}
	out := make([][]Fold, len(testFold))
	for r, idx := range testFold {
		used := make([]bool, k)
		for row, f := range idx {
			if f < 0 || f >= k {
				return nil, fmt.Errorf("repeat %d row %d: fold %d out of range [0,%d)", r, row, f, k)
			}
			used[f] = true
		}
		for f, u := range used {
			if !u {
				return nil, fmt.Errorf("repeat %d: fold %d has no test rows", r, f)
			}
		}
		out[r] = foldsFromAssignment(idx, k)
	}
	return out, nil
}

// WriteFoldsCSV writes the folds one line per row so that a Python check can
// rebuild exactly the same splits:
//
//	row[,id],repeat_0,repeat_1,...
//
// where repeat_r is the row's test fold in repeat r, e.g.
// PredefinedSplit(df["repeat_0"]) in scikit-learn. ids (optional, one per
// row, e.g. package names) adds an id column for joining on.
func WriteFoldsCSV(w io.Writer, folds [][]Fold, n int, ids []string) error {
	idx, err := TestFoldIndex(folds, n)
	if err != nil {
		return fmt.Errorf("write folds: %w", err)
	}
	if ids != nil && len(ids) != n {
		return fmt.Errorf("write folds: %d ids for %d rows", len(ids), n)
	}
	cw := csv.NewWriter(w)
	header := []string{"row"}
	if ids != nil {
		header = append(header, "id")
	}
	for r := range idx {
		header = append(header, "repeat_"+strconv.Itoa(r))
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write folds: %w", err)
	}
	for row := 0; row < n; row++ {
		rec := []string{strconv.Itoa(row)}
		if ids != nil {
			rec = append(rec, ids[row])
		}
		for r := range idx {
			rec = append(rec, strconv.Itoa(idx[r][row]))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write folds: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write folds: %w", err)
	}
	return nil
}

// StratifiedKFoldNoShuffle reproduces scikit-learn's
// StratifiedKFold(n_splits=k, shuffle=False) row for row and returns the test
// rows of each fold in ascending order. This is the split StackingClassifier
// uses for its default cv=5, so Stacking uses it for the out-of-fold scores.
//
// As in scikit-learn, classes are numbered by first appearance in y, the
// per-fold class counts come from dealing the class-sorted labels round-robin
// over the folds, and each class's rows, in their original order, fill fold
// 0 first, then fold 1, and so on. The split takes no seed.
//
// It differs from StratifiedKFold on purpose: the outer cross-validation
// shuffles with a seed and numbers classes by value, this inner split of the
// stacking ensemble does neither, as scikit-learn's. Both stay as they are:
// the folds, and so every score, depend on them.
func StratifiedKFoldNoShuffle(y []int, k int) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("stratified k-fold: need k >= 2, got %d", k)
	}
	if len(y) < k {
		return nil, fmt.Errorf("stratified k-fold: %d rows cannot fill %d folds", len(y), k)
	}
	// Classes by order of first appearance, as scikit-learn encodes them.
	var order []int // order[c] is the label of the c-th class seen
	code := [2]int{-1, -1}
	for i, v := range y {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("stratified k-fold: %w: row %d has label %d", ErrLabel, i, v)
		}
		if code[v] < 0 {
			code[v] = len(order)
			order = append(order, v)
		}
	}
	counts := make([]int, len(order))
	for _, v := range y {
		counts[code[v]]++
	}
	if slices.Max(counts) < k {
		return nil, fmt.Errorf("stratified k-fold: k=%d folds is more than the rows of every class (%v)", k, counts)
	}
	// alloc[c][f]: rows of class c in fold f, i.e. the positions p with
	// p%k == f among the class's block [off, off+counts[c]) of the sorted labels.
	alloc := make([][]int, len(order))
	off := 0
	for c, cnt := range counts {
		alloc[c] = make([]int, k)
		for p := off; p < off+cnt; p++ {
			alloc[c][p%k]++
		}
		off += cnt
	}
	folds := make([][]int, k)
	next := make([]int, len(order)) // fold the class's next row goes to
	for i, v := range y {
		c := code[v]
		for alloc[c][next[c]] == 0 {
			next[c]++
		}
		alloc[c][next[c]]--
		folds[next[c]] = append(folds[next[c]], i)
	}
	return folds, nil
}
