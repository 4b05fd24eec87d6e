package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"pypimal/classifiers"
)

// centroidPipe is a nearest-centroid model over the numeric columns and,
// optionally, the count of one token. P(malicious) = d0 / (d0 + d1), with d
// the Euclidean distance to each class centroid; jitter adds seeded noise so
// that results depend on the seed the factory got.
type centroidPipe struct {
	token  string  // "" to ignore Tokens
	jitter float64 // amplitude of seed-driven noise added to scores
	seed   int64
	c0, c1 []float64
}

func (p *centroidPipe) features(d classifiers.Data, i int) []float64 {
	var f []float64
	if d.X != nil && !d.X.IsEmpty() {
		f = append(f, d.X.RawRowView(i)...)
	}
	if p.token != "" {
		f = append(f, d.Tokens[i][p.token])
	}
	return f
}

func (p *centroidPipe) Fit(d classifiers.Data, y []int) error {
	n, err := NumRows(d)
	if err != nil {
		return err
	}
	var cnt [2]float64
	var sums [2][]float64
	for i := 0; i < n; i++ {
		f := p.features(d, i)
		if sums[y[i]] == nil {
			sums[y[i]] = make([]float64, len(f))
		}
		for j, v := range f {
			sums[y[i]][j] += v
		}
		cnt[y[i]]++
	}
	if cnt[0] == 0 || cnt[1] == 0 {
		return fmt.Errorf("centroid: need both classes")
	}
	for c := range sums {
		for j := range sums[c] {
			sums[c][j] /= cnt[c]
		}
	}
	p.c0, p.c1 = sums[0], sums[1]
	return nil
}

func (p *centroidPipe) Predict(d classifiers.Data) ([]float64, error) {
	n, err := NumRows(d)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(uint64(p.seed), 0))
	out := make([]float64, n)
	for i := range out {
		f := p.features(d, i)
		d0, d1 := dist(f, p.c0), dist(f, p.c1)
		out[i] = 0.5
		if d0+d1 > 0 {
			out[i] = d0 / (d0 + d1)
		}
		out[i] += p.jitter * r.Float64()
	}
	return out, nil
}

func dist(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

// poisonPipe fails (or panics) when asked to predict a row whose column 0,
// the row id, is poisoned.
type poisonPipe struct {
	poison map[float64]bool
	panics bool
}

func (p *poisonPipe) Fit(classifiers.Data, []int) error { return nil }

func (p *poisonPipe) Predict(d classifiers.Data) ([]float64, error) {
	r, _ := d.X.Dims()
	for i := 0; i < r; i++ {
		if id := d.X.At(i, 0); p.poison[id] {
			if p.panics {
				panic(fmt.Sprintf("poisoned row %v", id))
			}
			return nil, fmt.Errorf("poisoned row %v", id)
		}
	}
	return make([]float64, r), nil
}

// toyData makes n0 benign and n1 malicious rows with columns: 0 row id,
// 1 informative (class + noise*N(0,1)), 2 pure noise; malicious rows carry
// the token "exec", benign ones "print".
func toyData(n0, n1 int, noise float64, seed uint64) (classifiers.Data, []int) {
	y := labels(n0, n1, seed)
	r := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(len(y), 3, nil)
	tokens := make([]map[string]float64, len(y))
	for i, v := range y {
		x.Set(i, 0, float64(i))
		x.Set(i, 1, float64(v)+noise*r.NormFloat64())
		x.Set(i, 2, r.NormFloat64())
		if v == 1 {
			tokens[i] = map[string]float64{"exec": 1 + float64(r.IntN(2))}
		} else {
			tokens[i] = map[string]float64{"print": 1}
		}
	}
	return classifiers.Data{X: x, Tokens: tokens}, y
}

// columns returns d restricted to the given X columns (tokens shared).
func columns(d classifiers.Data, cols ...int) classifiers.Data {
	r, _ := d.X.Dims()
	x := mat.NewDense(r, len(cols), nil)
	for j, c := range cols {
		for i := 0; i < r; i++ {
			x.Set(i, j, d.X.At(i, c))
		}
	}
	return classifiers.Data{X: x, Tokens: d.Tokens}
}
