package experiments

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
	"pypimal/internal/folds"
	"pypimal/internal/pool"
)

// Kinds of feature in an ImportanceResult.
const (
	KindColumn = "column" // one column of X
	KindGroup  = "group"  // a named set of X columns permuted together
	KindText   = "text"   // the whole token vocabulary: Tokens rows permuted
)

// TextGroup is the name of the text feature in an ImportanceResult.
const TextGroup = "text"

// DefaultImportanceRepeats is sklearn's permutation_importance n_repeats.
const DefaultImportanceRepeats = 5

// ImportanceOptions tune PermutationImportance.
type ImportanceOptions struct {
	Repeats     int      // permutations per feature; <= 0 means DefaultImportanceRepeats
	Seed        int64    // base seed, see PermutationImportance
	Workers     int      // predictions at once; <= 0 means runtime.GOMAXPROCS(0)
	ColumnNames []string // names of X's columns; nil means "col<i>"
	SkipColumns bool     // score only Groups and text, not each column alone
	// Groups maps a name to X columns permuted together (rows moved as a
	// block, so the columns keep their joint distribution), e.g. a family.
	Groups   map[string][]int
	SkipText bool // do not score the token vocabulary even if d has Tokens
}

// Importance is the effect of permuting one feature.
type Importance struct {
	Name    string
	Kind    string    // KindColumn, KindGroup or KindText
	Columns []int     // X columns permuted; nil for text
	Drops   []float64 // baseline F1 minus permuted F1, one per repeat
	Mean    float64
	Std     float64 // ddof=0, as sklearn's importances_std
}

// ImportanceResult lists the features scored: each column in column order,
// then the groups by name, then the text vocabulary.
type ImportanceResult struct {
	Baseline float64 // F1 of the unpermuted data
	Features []Importance
}

// PermutationImportance is sklearn's permutation_importance with scoring F1
// (at threshold) for the fitted pipeline p on d, y: the F1 drop when a
// feature's values are shuffled across rows, repeated opts.Repeats times.
// Besides single columns it scores named column groups and, when d has
// Tokens, the text family as one feature by permuting whole Tokens rows
// among packages.
//
// Unlike sklearn, which reuses one seed for every column, each (feature,
// repeat) permutation has its own seed, DeriveSeed(Seed, ·, kind, key,
// repeat) with key the column index or a hash of the group name, so a
// feature's result does not depend on which other features are scored or in
// which order. p.Predict is called concurrently from opts.Workers goroutines:
// use Workers=1 for a pipeline whose Predict is not safe for concurrent use.
func PermutationImportance(ctx context.Context, p classifiers.Pipeline, d classifiers.Data, y []int, threshold float64, opts ImportanceOptions) (ImportanceResult, error) {
	if p == nil {
		return ImportanceResult{}, fmt.Errorf("permutation importance: nil pipeline")
	}
	n, err := NumRows(d)
	if err != nil {
		return ImportanceResult{}, fmt.Errorf("permutation importance: %w", err)
	}
	if len(y) != n {
		return ImportanceResult{}, fmt.Errorf("permutation importance: %d labels for %d rows", len(y), n)
	}
	repeats := opts.Repeats
	if repeats <= 0 {
		repeats = DefaultImportanceRepeats
	}
	features, err := importanceFeatures(d, opts)
	if err != nil {
		return ImportanceResult{}, fmt.Errorf("permutation importance: %w", err)
	}

	base, err := p.Predict(d)
	if err != nil {
		return ImportanceResult{}, fmt.Errorf("permutation importance: baseline predict: %w", err)
	}
	if _, _, err := checkScored(y, base); err != nil {
		return ImportanceResult{}, fmt.Errorf("permutation importance: baseline: %w", err)
	}
	baseline := f1At(y, base, threshold)

	for i := range features {
		features[i].Drops = make([]float64, repeats)
	}
	idx, err := pool.Run(ctx, len(features)*repeats, opts.Workers, func(i int) error {
		ft := &features[i/repeats]
		rep := i % repeats
		perm := folds.Perm(DeriveSeed(opts.Seed, folds.StreamPerm, kindTag(ft.Kind), featureKey(*ft), int64(rep)), n)
		pd := permuted(d, ft, perm)
		s, err := p.Predict(pd)
		if err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		if _, _, err := checkScored(y, s); err != nil {
			return err
		}
		ft.Drops[rep] = baseline - f1At(y, s, threshold) // each job writes its own slot
		return nil
	})
	if err != nil {
		if idx >= 0 {
			ft := features[idx/repeats]
			return ImportanceResult{}, fmt.Errorf("permutation importance: %s %q repeat %d: %w", ft.Kind, ft.Name, idx%repeats, err)
		}
		return ImportanceResult{}, fmt.Errorf("permutation importance: %w", err)
	}
	for i := range features {
		features[i].Mean, features[i].Std = MeanStd(features[i].Drops)
	}
	return ImportanceResult{Baseline: baseline, Features: features}, nil
}

// importanceFeatures lists and checks the features to score.
func importanceFeatures(d classifiers.Data, opts ImportanceOptions) ([]Importance, error) {
	cols := 0
	if hasColumns(d) {
		_, cols = d.X.Dims()
	}
	if opts.ColumnNames != nil && len(opts.ColumnNames) != cols {
		return nil, fmt.Errorf("%d column names for %d columns", len(opts.ColumnNames), cols)
	}
	var out []Importance
	if !opts.SkipColumns {
		for c := 0; c < cols; c++ {
			name := fmt.Sprintf("col%d", c)
			if opts.ColumnNames != nil {
				name = opts.ColumnNames[c]
			}
			out = append(out, Importance{Name: name, Kind: KindColumn, Columns: []int{c}})
		}
	}
	names := make([]string, 0, len(opts.Groups))
	for name := range opts.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := opts.Groups[name]
		if len(g) == 0 {
			return nil, fmt.Errorf("group %q has no columns", name)
		}
		seen := map[int]bool{}
		for _, c := range g {
			if c < 0 || c >= cols {
				return nil, fmt.Errorf("group %q: column %d out of range [0,%d)", name, c, cols)
			}
			if seen[c] {
				return nil, fmt.Errorf("group %q lists column %d twice", name, c)
			}
			seen[c] = true
		}
		out = append(out, Importance{Name: name, Kind: KindGroup, Columns: append([]int(nil), g...)})
	}
	if d.Tokens != nil && !opts.SkipText {
		out = append(out, Importance{Name: TextGroup, Kind: KindText})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no features to score")
	}
	return out, nil
}

func kindTag(kind string) int64 {
	switch kind {
	case KindColumn:
		return 1
	case KindGroup:
		return 2
	default:
		return 3
	}
}

// featureKey names a feature for seeding independently of its list position.
func featureKey(ft Importance) int64 {
	switch ft.Kind {
	case KindColumn:
		return int64(ft.Columns[0])
	case KindGroup:
		h := fnv.New64a()
		h.Write([]byte(ft.Name))
		return int64(h.Sum64())
	default:
		return 0
	}
}

// permuted returns d with feature ft's values moved: row i takes row
// perm[i]'s values. Untouched parts are shared with d.
func permuted(d classifiers.Data, ft *Importance, perm []int) classifiers.Data {
	// A new Data: d's cached preprocessing and digest are of other values.
	out := classifiers.Data{X: d.X, Tokens: d.Tokens, Terms: d.Terms}
	if ft.Kind == KindText {
		out.Tokens = make([]map[string]float64, len(perm))
		for i, src := range perm {
			out.Tokens[i] = d.Tokens[src]
		}
		out.Terms = d.Terms.Subset(perm)
		return out
	}
	x := mat.DenseCopyOf(d.X)
	for _, c := range ft.Columns {
		for i, src := range perm {
			x.Set(i, c, d.X.At(src, c))
		}
	}
	out.X = x
	return out
}
