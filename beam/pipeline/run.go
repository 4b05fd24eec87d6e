package pipeline

import (
	"fmt"
	"io"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Counters returns the pipeline's "pypimal" counters by name (committed
// values).
func Counters(res beam.PipelineResult) map[string]int64 {
	out := map[string]int64{}
	if res == nil {
		return out
	}
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Namespace == "pypimal" {
			out[c.Key.Name] += c.Result()
		}
	}
	return out
}

// PrintCounters writes the counters one per line, by name.
func PrintCounters(w io.Writer, res beam.PipelineResult) {
	cs := Counters(res)
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "%s\t%d\n", n, cs[n])
	}
}
