package baselines

import (
	"fmt"
	"math"
	"sort"

	"pypimal/dataset"
	"pypimal/experiments/confusion"
)

// Series is one way of counting alerts per package.
type Series struct {
	Name string
	Tool Tool
	Doc  string
}

// AllSeries lists the alert counts the reports show, in order. packj-api is
// not an alert count packj reports; it shows what packj would flag if the
// two API categories its default config drops were alerts too.
var AllSeries = []Series{
	{"bandit", ToolBandit, "bandit findings (entries of `results` in its JSON)"},
	{"packj", ToolPackj, "packj alerts: distinct risk strings of its report"},
	{"packj-api", ToolPackj, "packj API-usage categories with at least one call site, including the two its default config drops"},
}

func (s Series) value(o *Outcome) int {
	if s.Name == "packj-api" {
		return o.APICategories()
	}
	return o.Alerts
}

// Classes in report order.
var Classes = []string{dataset.Malicious, dataset.Benign}

// Prediction is pypimal's verdict on one package (the stacking model, on the
// same rows as the baselines).
type Prediction struct {
	ID      string
	Label   int     // 1 malicious, 0 benign
	Score   float64 // P(malicious)
	Flag    bool    // predicted malicious
	Seconds float64 // feature extraction + prediction for this package
}

// EvalSplit is the split the report evaluates on: SplitTest when any row
// is a test row, else "all".
func EvalSplit(res *Result) string {
	for i := range res.Packages {
		if res.Packages[i].Split == SplitTest {
			return SplitTest
		}
	}
	return "all"
}

func rowsOf(res *Result, split string) []*PackageResult {
	var out []*PackageResult
	for i := range res.Packages {
		p := &res.Packages[i]
		if split == "all" || p.Split == split {
			out = append(out, p)
		}
	}
	return out
}

func splitsOf(res *Result) []string {
	var out []string
	for _, s := range []string{SplitTest, SplitTrain} {
		if len(rowsOf(res, s)) > 0 {
			out = append(out, s)
		}
	}
	return append(out, "all")
}

func seriesOf(res *Result) []Series {
	var out []Series
	for _, s := range AllSeries {
		for i := range res.Packages {
			if res.Packages[i].Outcome(s.Tool, ScopePackage) != nil {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// ClassStat summarises one series' alerts per package on one scope, class
// and split. Failed outcomes are left out of the mean, median and share.
type ClassStat struct {
	Split     string // SplitTest, SplitTrain or "all"
	Series    string
	Scope     Scope
	Class     string
	Packages  int     // rows of the class in the split that the tool ran on
	Counted   int     // rows with a counted outcome (ok, or no setup.py as 0)
	NoSetup   int     // of Counted, rows without a root setup.py
	Failed    int     // error, timeout or missing (rows the tool did not run on are not counted at all)
	Total     int     // alerts summed over Counted
	Mean      float64 // per counted package
	Median    float64
	ZeroShare float64 // share of counted packages with no alert
}

// AlertStats computes ClassStats for every split present (test, train,
// all), series, scope and class, in that order.
func AlertStats(res *Result) []ClassStat {
	var out []ClassStat
	for _, split := range splitsOf(res) {
		rows := rowsOf(res, split)
		for _, s := range seriesOf(res) {
			for _, sc := range Scopes {
				for _, cl := range Classes {
					st := ClassStat{Split: split, Series: s.Name, Scope: sc, Class: cl}
					var vals []int
					for _, p := range rows {
						o := p.Outcome(s.Tool, sc)
						if p.Label != cl || o == nil { // o == nil: the tool did not run on this row
							continue
						}
						st.Packages++
						if !o.Status.Counted() {
							st.Failed++
							continue
						}
						if o.Status == StatusNoSetup {
							st.NoSetup++
						}
						v := s.value(o)
						vals = append(vals, v)
						st.Total += v
					}
					st.Counted = len(vals)
					st.Mean, st.Median, st.ZeroShare = meanMedianZero(vals)
					out = append(out, st)
				}
			}
		}
	}
	return out
}

func meanMedianZero(vals []int) (mean, median, zero float64) {
	if len(vals) == 0 {
		return 0, 0, 0
	}
	s := append([]int(nil), vals...)
	sort.Ints(s)
	sum, zeros := 0, 0
	for _, v := range s {
		sum += v
		if v == 0 {
			zeros++
		}
	}
	n := len(s)
	mean = float64(sum) / float64(n)
	if n%2 == 1 {
		median = float64(s[n/2])
	} else {
		median = float64(s[n/2-1]+s[n/2]) / 2
	}
	return mean, median, float64(zeros) / float64(n)
}

// Confusion counts a detector's verdicts; malicious is the positive class.
type Confusion = confusion.Counts

// BestThreshold returns the N ≥ 1 for which "flag when alerts ≥ N" has the
// highest F1 on the given packages, and that F1. Ties go to the smallest N;
// when nothing has an alert, N is 1 (F1 0).
//
// Alert counts are integers, so "alerts ≥ N" is the cut "alerts > N-1":
// the cuts at the distinct counts give every verdict some N gives, by
// increasing N.
func BestThreshold(alerts []int, malicious []bool) (int, float64) {
	scores := make([]float64, len(alerts))
	for i, a := range alerts {
		scores[i] = float64(a)
	}
	cuts := confusion.Cuts(scores, malicious)
	bestN, bestF1 := 1, -1.0
	for k, c := range cuts {
		// The smallest N ≥ 1 whose verdict is this cut's, if any.
		var n int
		switch {
		case k == 0 && cuts[1].At >= 1:
			n = 1 // everything flagged: every count is ≥ 1
		case k == 0:
			continue // some count is 0: no N ≥ 1 flags everything
		case c.At == 0:
			n = 1 // "> 0" is "≥ 1"
		case k+1 < len(cuts):
			n = int(cuts[k+1].At) // "> v" is "≥ the next count"
		default:
			continue // flags nothing, but some count is ≥ 1
		}
		if f := c.F1(); f > bestF1+1e-12 {
			bestN, bestF1 = n, f
		}
	}
	return bestN, math.Max(bestF1, 0)
}

// Detector rules.
const (
	RuleAtLeast1  = "at-least-1"   // flag with ≥ 1 alert
	RuleTrainBest = "train-best-N" // flag with ≥ N alerts, N maximising F1 on the training rows
	RuleModel     = "stacking"     // pypimal's own verdict
)

// DetectorScore is one detector on the evaluation rows.
type DetectorScore struct {
	Detector  string // a Series name, or "pypimal"
	Scope     Scope
	Rule      string
	N         int     // the threshold (0 for pypimal, or when not available)
	TrainRows int     // training rows the threshold was chosen on
	TrainF1   float64 // F1 at N on them
	Available bool    // false: no training rows (that the tool ran on) to choose N on
	Split     string  // the evaluation rows: SplitTest or "all"
	Rows      int
	Failed    int // rows the tool gave nothing for (failed or not run): counted as not flagged
	Confusion
	Precision, Recall, F1, FPR float64
}

// Detectors scores every series on every scope as a detector, with N = 1
// and with the N that maximises F1 on the training rows, on the evaluation
// rows (EvalSplit), followed by pypimal's predictions on the same rows when
// preds is not empty (a row without a prediction counts as failed and not
// flagged). A prediction whose label disagrees with the row's is an error.
func Detectors(res *Result, preds []Prediction) ([]DetectorScore, error) {
	split := EvalSplit(res)
	eval := rowsOf(res, split)
	train := rowsOf(res, SplitTrain)
	var out []DetectorScore
	for _, s := range seriesOf(res) {
		for _, sc := range Scopes {
			// Training rows the tool ran on (a failure counts as 0 alerts).
			var trainAlerts []int
			var trainMal []bool
			for _, p := range train {
				o := p.Outcome(s.Tool, sc)
				if o == nil {
					continue
				}
				v := 0
				if o.Status.Counted() {
					v = s.value(o)
				}
				trainAlerts = append(trainAlerts, v)
				trainMal = append(trainMal, p.Malicious())
			}
			n, f1 := BestThreshold(trainAlerts, trainMal)
			for _, rule := range []string{RuleAtLeast1, RuleTrainBest} {
				d := DetectorScore{Detector: s.Name, Scope: sc, Rule: rule, Split: split, Rows: len(eval), Available: true}
				switch {
				case rule == RuleAtLeast1:
					d.N = 1
				case len(trainAlerts) == 0:
					d.Available = false
				default:
					d.N, d.TrainRows, d.TrainF1 = n, len(trainAlerts), f1
				}
				if d.Available {
					for _, p := range eval {
						o := p.Outcome(s.Tool, sc)
						ok := o != nil && o.Status.Counted()
						if !ok {
							d.Failed++
						}
						d.Add(p.Malicious(), ok && s.value(o) >= d.N)
					}
				}
				d.fill()
				out = append(out, d)
			}
		}
	}
	if len(preds) == 0 {
		return out, nil
	}
	byID := map[string]Prediction{}
	for _, pr := range preds {
		if _, dup := byID[pr.ID]; dup {
			return nil, fmt.Errorf("baselines: two predictions for %s", pr.ID)
		}
		byID[pr.ID] = pr
	}
	d := DetectorScore{Detector: "pypimal", Scope: ScopePackage, Rule: RuleModel, Split: split, Rows: len(eval), Available: true}
	for _, p := range eval {
		pr, ok := byID[p.ID]
		if !ok {
			d.Failed++
			d.Add(p.Malicious(), false)
			continue
		}
		if (pr.Label == 1) != p.Malicious() {
			return nil, fmt.Errorf("baselines: prediction for %s has label %d, the row is %s", p.ID, pr.Label, p.Label)
		}
		d.Add(p.Malicious(), pr.Flag)
	}
	d.fill()
	return append(out, d), nil
}

func (d *DetectorScore) fill() {
	d.Precision, d.Recall, d.F1, d.FPR = d.Confusion.Precision(), d.Confusion.Recall(), d.Confusion.F1(), d.Confusion.FPR()
}

// TestCount is how often one bandit test fired in one class and scope.
type TestCount struct {
	Scope    Scope
	Class    string
	Rank     int
	TestID   string
	Name     string
	Alerts   int     // findings
	Packages int     // packages with at least one
	Share    float64 // Packages / packages of the class with a counted bandit outcome
}

// TopBanditTests lists bandit's k most frequent test ids per scope and class
// on the evaluation rows, by findings (ties: more packages, then id).
func TopBanditTests(res *Result, k int) []TestCount {
	var out []TestCount
	eval := rowsOf(res, EvalSplit(res))
	for _, sc := range Scopes {
		for _, cl := range Classes {
			alerts, pkgs := map[string]int{}, map[string]int{}
			counted := 0
			for _, p := range eval {
				if p.Label != cl {
					continue
				}
				o := p.Outcome(ToolBandit, sc)
				if o == nil || !o.Status.Counted() {
					continue
				}
				counted++
				for id, n := range o.ByTest {
					alerts[id] += n
					if n > 0 {
						pkgs[id]++
					}
				}
			}
			ids := make([]string, 0, len(alerts))
			for id, n := range alerts {
				if n > 0 {
					ids = append(ids, id)
				}
			}
			sort.Slice(ids, func(i, j int) bool {
				a, b := ids[i], ids[j]
				if alerts[a] != alerts[b] {
					return alerts[a] > alerts[b]
				}
				if pkgs[a] != pkgs[b] {
					return pkgs[a] > pkgs[b]
				}
				return a < b
			})
			if len(ids) > k {
				ids = ids[:k]
			}
			for r, id := range ids {
				out = append(out, TestCount{Scope: sc, Class: cl, Rank: r + 1, TestID: id, Name: BanditTestName(id),
					Alerts: alerts[id], Packages: pkgs[id], Share: confusion.Ratio(float64(pkgs[id]), float64(counted))})
			}
		}
	}
	return out
}

// APIStat is packj's use of one API category in one class and scope.
type APIStat struct {
	Scope     Scope
	Category  string
	Dropped   bool // never an alert under packj's default config
	Class     string
	Counted   int     // packages with a counted packj outcome
	Using     int     // of them, with at least one call site
	Share     float64 // Using / Counted
	MeanCalls float64 // call sites per counted package
}

// PackjAPIUsage summarises packj's API-usage categories on the evaluation
// rows: every category seen, plus the dropped ones, sorted by name.
func PackjAPIUsage(res *Result) []APIStat {
	eval := rowsOf(res, EvalSplit(res))
	cats := map[string]bool{}
	for _, c := range PackjDroppedCategories {
		cats[c] = true
	}
	found := false
	for _, p := range eval {
		for i := range p.Outcomes {
			if o := &p.Outcomes[i]; o.Tool == ToolPackj {
				found = true
				for c := range o.Permissions {
					cats[c] = true
				}
			}
		}
	}
	if !found {
		return nil
	}
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	var out []APIStat
	for _, sc := range Scopes {
		for _, c := range names {
			for _, cl := range Classes {
				st := APIStat{Scope: sc, Category: c, Dropped: IsPackjDropped(c), Class: cl}
				calls := 0
				for _, p := range eval {
					if p.Label != cl {
						continue
					}
					o := p.Outcome(ToolPackj, sc)
					if o == nil || !o.Status.Counted() {
						continue
					}
					st.Counted++
					if n := o.Permissions[c]; n > 0 {
						st.Using++
						calls += n
					}
				}
				st.Share = confusion.Ratio(float64(st.Using), float64(st.Counted))
				st.MeanCalls = confusion.Ratio(float64(calls), float64(st.Counted))
				out = append(out, st)
			}
		}
	}
	return out
}

// TimingStat is seconds per package for one tool (or pypimal) and scope.
type TimingStat struct {
	Tool     string // "bandit", "bandit prep" (load + write), "packj", "pypimal"
	Scope    string // a Scope, or "both" (bandit: the package's runs added up)
	Class    string // a class, or "all"
	Packages int    // packages with a time
	Total    float64
	Mean     float64
	Median   float64
}

// Timings summarises run times on the evaluation rows. Bandit's "both" adds
// a package's two scope runs; "bandit prep" is loading and writing the
// package. packj's times come from its reports (packages without setup.py
// have none for that scope).
func Timings(res *Result, preds []Prediction) []TimingStat {
	eval := rowsOf(res, EvalSplit(res))
	byID := map[string]Prediction{}
	for _, p := range preds {
		byID[p.ID] = p
	}
	type src struct {
		tool, scope string
		get         func(p *PackageResult) (float64, bool)
	}
	outcomeTime := func(t Tool, sc Scope) func(p *PackageResult) (float64, bool) {
		return func(p *PackageResult) (float64, bool) {
			if o := p.Outcome(t, sc); o != nil && o.Timed {
				return o.Seconds, true
			}
			return 0, false
		}
	}
	var srcs []src
	if res.Bandit != nil {
		srcs = append(srcs,
			src{"bandit", string(ScopePackage), outcomeTime(ToolBandit, ScopePackage)},
			src{"bandit", string(ScopeSetup), outcomeTime(ToolBandit, ScopeSetup)},
			src{"bandit", "both", func(p *PackageResult) (float64, bool) {
				sum, ok := 0.0, false
				for _, sc := range Scopes {
					if o := p.Outcome(ToolBandit, sc); o != nil && o.Timed {
						sum, ok = sum+o.Seconds, true
					}
				}
				return sum, ok
			}},
			src{"bandit prep", "package", func(p *PackageResult) (float64, bool) {
				return p.PrepSeconds, p.PrepSeconds > 0
			}})
	}
	if res.Packj != nil {
		srcs = append(srcs,
			src{"packj", string(ScopePackage), outcomeTime(ToolPackj, ScopePackage)},
			src{"packj", string(ScopeSetup), outcomeTime(ToolPackj, ScopeSetup)})
	}
	if len(preds) > 0 {
		srcs = append(srcs, src{"pypimal", string(ScopePackage), func(p *PackageResult) (float64, bool) {
			pr, ok := byID[p.ID]
			return pr.Seconds, ok
		}})
	}
	var out []TimingStat
	for _, s := range srcs {
		for _, cl := range append([]string{"all"}, Classes...) {
			st := TimingStat{Tool: s.tool, Scope: s.scope, Class: cl}
			var xs []float64
			for _, p := range eval {
				if cl != "all" && p.Label != cl {
					continue
				}
				if v, ok := s.get(p); ok {
					xs = append(xs, v)
					st.Total += v
				}
			}
			st.Packages = len(xs)
			if len(xs) > 0 {
				sort.Float64s(xs)
				st.Mean = st.Total / float64(len(xs))
				if n := len(xs); n%2 == 1 {
					st.Median = xs[n/2]
				} else {
					st.Median = (xs[n/2-1] + xs[n/2]) / 2
				}
			}
			out = append(out, st)
		}
	}
	return out
}
