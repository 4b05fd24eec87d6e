package folds

import "math/bits"

// Stream tags keep the seeds of different kinds of work apart, so that for
// example fold f's model seed never equals the shuffle seed of repeat f.
const (
	streamFolds      int64 = 1
	streamGroupFolds int64 = 2
	streamFit        int64 = 3
	StreamPerm       int64 = 4 // permutation importance's shuffles
)

// splitmix64 is the finaliser of Steele et al.'s SplitMix64: a bijection on
// uint64 whose outputs look independent even for consecutive inputs.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// DeriveSeed returns a seed for the piece of work named by path under base,
// e.g. DeriveSeed(seed, repeat, fold). It is a pure function: the same
// arguments give the same seed on every platform and Go release, and the
// order of path matters (DeriveSeed(b, 1, 2) != DeriveSeed(b, 2, 1)).
func DeriveSeed(base int64, path ...int64) int64 {
	h := splitmix64(uint64(base))
	for _, p := range path {
		// Chaining through the non-linear mix makes the result depend on
		// position as well as value.
		h = splitmix64(h ^ splitmix64(uint64(p)+0x632be59bd9b4e019))
	}
	return int64(h)
}

// FitSeed is the seed handed to the PipelineFactory for fold `fold` of repeat
// `repeat`. It depends on nothing else, which is what makes cross-validation
// results independent of the worker count.
func FitSeed(base int64, repeat, fold int) int64 {
	return DeriveSeed(base, streamFit, int64(repeat), int64(fold))
}

// ChildSeed gives the i-th child seed of seed: one SplitMix64 step from
// seed + (i+1)·golden ratio. The models use it for their parts (a forest's
// trees, an intersection's members), so parallel work gets seeds that do not
// depend on scheduling. It is not DeriveSeed(seed, i) and must not become
// it: fitted models, and so every stored score, depend on its values.
func ChildSeed(seed int64, i int) int64 {
	return int64(splitmix64(uint64(seed) + uint64(i)*0x9e3779b97f4a7c15))
}

// Perm returns a uniformly random permutation of 0..n-1 drawn from seed, the
// same on every platform and Go release.
func Perm(seed int64, n int) []int { return newRNG(seed).perm(n) }

// rng is a SplitMix64 generator. It is used instead of math/rand so that the
// shuffles (and so the exported folds) stay the same across Go releases.
type rng struct{ state uint64 }

func newRNG(seed int64) *rng { return &rng{state: uint64(seed)} }

func (r *rng) uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n) for n > 0, without modulo bias
// (rejection on the low part of the 128-bit product, as in Lemire 2019).
func (r *rng) intn(n int) int {
	bound := uint64(n)
	for {
		hi, lo := bits.Mul64(r.uint64(), bound)
		if lo >= bound || lo >= -bound%bound { // cheap test first; the modulo only near the edge
			return int(hi)
		}
	}
}

// shuffle is a Fisher–Yates shuffle of n items through swap.
func (r *rng) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intn(i+1))
	}
}

// perm returns a uniformly random permutation of 0..n-1.
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}
