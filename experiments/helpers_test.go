package experiments

import "math/rand/v2"

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
