package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.Combiner3[Stats, Stats, Stats](&statsFn{})
	register.DoFn2x1[context.Context, Stats, error](&writeSummaryFn{})
	register.Emitter1[Stats]()
}

// Stats count what a pipeline did: every package once, failures by
// reason, archive bytes read. They merge by addition.
type Stats struct {
	Packages  int64            `json:"packages"`
	Failed    int64            `json:"failed"`
	Reasons   map[string]int64 `json:"failed_by_reason"`
	BytesRead int64            `json:"bytes_read"`
	// Scans only: verdicts.
	Malicious int64 `json:"malicious,omitempty"`
	Benign    int64 `json:"benign,omitempty"`
}

// add adds b into a; the accumulator owns its map, so a combine over
// millions of packages does not copy it per element.
func (a *Stats) add(b Stats) {
	a.Packages += b.Packages
	a.Failed += b.Failed
	a.BytesRead += b.BytesRead
	a.Malicious += b.Malicious
	a.Benign += b.Benign
	if a.Reasons == nil {
		a.Reasons = map[string]int64{}
	}
	for k, v := range b.Reasons {
		a.Reasons[k] += v
	}
}

type statsFn struct{}

func (statsFn) CreateAccumulator() Stats           { return Stats{Reasons: map[string]int64{}} }
func (statsFn) AddInput(a, b Stats) Stats          { a.add(b); return a }
func (statsFn) MergeAccumulators(a, b Stats) Stats { a.add(b); return a }

// totals merges per-package stats into one. A zero Stats joins the input
// so that an empty run still has its one summary.
func totals(s beam.Scope, stats beam.PCollection) beam.PCollection {
	s = s.Scope("Totals")
	zero := beam.Create(s, Stats{Reasons: map[string]int64{}})
	return beam.Combine(s, &statsFn{}, beam.Flatten(s, stats, zero))
}

// writeSummaryFn writes the totals as summary.json.
type writeSummaryFn struct {
	Name string
}

func (f *writeSummaryFn) ProcessElement(ctx context.Context, st Stats) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	return writeFile(ctx, f.Name, append(b, '\n'))
}

// writeFile writes a whole file through Beam's filesystems.
func writeFile(ctx context.Context, name string, data []byte) error {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Counters are Beam metrics, namespace "pypimal": runners show them live
// and the CLI prints them at the end.
var (
	packagesCounter  = beam.NewCounter("pypimal", "packages")
	failedCounter    = beam.NewCounter("pypimal", "failed")
	bytesReadCounter = beam.NewCounter("pypimal", "bytes_read")
)

// count adds one package's stats to the counters.
func count(ctx context.Context, st Stats) {
	packagesCounter.Inc(ctx, st.Packages)
	failedCounter.Inc(ctx, st.Failed)
	bytesReadCounter.Inc(ctx, st.BytesRead)
	for r, n := range st.Reasons {
		beam.NewCounter("pypimal", "failed: "+r).Inc(ctx, n)
	}
	if st.Malicious > 0 {
		beam.NewCounter("pypimal", "malicious").Inc(ctx, st.Malicious)
	}
	if st.Benign > 0 {
		beam.NewCounter("pypimal", "benign").Inc(ctx, st.Benign)
	}
}
