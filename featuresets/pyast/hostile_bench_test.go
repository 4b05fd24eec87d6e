package pyast

import (
	"os"
	"strconv"
	"testing"

	"pypimal/internal/hostile"
)

// extractMaxBytes mirrors featuresets.MaxPythonBytes (pyast cannot import
// featuresets): the benchmark analyses files as extraction does.
const extractMaxBytes = 1 << 20

// BenchmarkHostile analyses each hostile family at its large size (its
// short size with -short) and reports seconds per MB of input; a linear
// analyser gives similar figures at every size. PYPIMAL_HOSTILE_N sets
// the repetitions of the families run instead (select them with -bench).
func BenchmarkHostile(b *testing.B) {
	p, err := NewParser()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	only, _ := strconv.Atoi(os.Getenv("PYPIMAL_HOSTILE_N"))
	for _, fam := range hostile.Python() {
		n := fam.N
		if testing.Short() {
			n = fam.Short
		}
		if only > 0 {
			n = only
		}
		b.Run(fam.Name, func(b *testing.B) {
			src := fam.Gen(n)
			b.ResetTimer()
			b.SetBytes(int64(len(src)))
			for range b.N {
				if _, err := p.Analyze(src, Options{MaxBytes: extractMaxBytes}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/(float64(len(src))/(1<<20)), "s/MB")
			b.ReportMetric(float64(len(src))/(1<<20), "MB")
		})
	}
}

// BenchmarkLex measures the pre-scan alone on the standard library: it
// runs on every file before tree-sitter, so it must cost little beside
// parsing (BenchmarkParse).
func BenchmarkLex(b *testing.B) {
	srcs, total := benchCorpus(b)
	b.SetBytes(total)
	for range b.N {
		for _, src := range srcs {
			lex(src, false)
		}
	}
}
