package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"pypimal/dataset"
	"pypimal/vetting"
)

func init() {
	register.DoFn5x1[context.Context, Job, func(Line), func(Stats), func(vetting.Result), error](&scanFn{})
	register.DoFn4x1[context.Context, int, func(*vetting.Result) bool, Stats, error](&sarifFn{})
	register.Emitter1[vetting.Result]()
	register.Iter1[vetting.Result]()
}

// FileResults is the output kind of a scan: results-SSSSS-of-NNNNN.jsonl,
// the lines of `pypimal scan --format jsonl`.
const FileResults = "results"

// ScanConfig configures a scanning pipeline.
type ScanConfig struct {
	Input
	// Model is a model file written by `pypimal train` (path or URL).
	Model string
	// Output is the folder (local or URL) for the shards, summary.json
	// and flagged.sarif.
	Output string
	Shards int
	// Reasons per package as `pypimal scan --reasons`: 0 none.
	Reasons    int
	MaxArchive int64
	// SARIF also writes flagged.sarif: the flagged packages only, as
	// `pypimal scan --format sarif` reports them.
	SARIF bool
}

// Scan adds the scanning of cfg's packages to s.
func Scan(s beam.Scope, cfg ScanConfig) error {
	if cfg.Output == "" || cfg.Model == "" {
		return fmt.Errorf("scan: a model and an output folder are required")
	}
	jobs, err := Jobs(s, cfg.Input)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	reasons := cfg.Reasons
	if reasons <= 0 {
		reasons = -1 // as the CLI: none
	}
	out := inLanes(s.Scope("Scan"), &scanFn{Model: cfg.Model, Reasons: reasons, MaxArchive: cfg.MaxArchive}, jobs, 3)
	lines, stats, flagged := out[0], out[1], out[2]
	kinds := map[string]FileKind{FileResults: {Prefix: "results", Ext: ".jsonl"}}
	writeShards(s, cfg.Output, max(cfg.Shards, 1), kinds, lines)
	sum := totals(s, stats)
	beam.ParDo0(s, &writeSummaryFn{Name: joinPath(cfg.Output, "summary.json")}, sum)
	if cfg.SARIF {
		ss := s.Scope("SARIF")
		// One key: the report is one file. Flagged packages are few; the
		// marker makes the file exist when none is.
		marker := beam.Create(ss, vetting.Result{})
		all := beam.AddFixedKey(ss, beam.Flatten(ss, flagged, marker))
		beam.ParDo0(ss, &sarifFn{Model: cfg.Model, Name: joinPath(cfg.Output, "flagged.sarif")},
			beam.GroupByKey(ss, all), beam.SideInput{Input: sum})
	}
	return nil
}

// readModel loads a model file through Beam's filesystems.
func readModel(ctx context.Context, name string) (*vetting.Model, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	m, err := vetting.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return m, nil
}

// scanFn scores one package per element. The model, scanner, parser and
// filesystems live as long as the DoFn instance.
type scanFn struct {
	Model      string
	Reasons    int
	MaxArchive int64

	worker
	sc *vetting.Scanner
}

func (f *scanFn) Setup(ctx context.Context) error {
	m, err := readModel(ctx, f.Model)
	if err != nil {
		return err
	}
	if err := f.setup(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	f.sc = vetting.NewScanner(m, vetting.ScanOptions{Reasons: f.Reasons, Limits: dataset.Limits{MaxArchive: f.MaxArchive}})
	return nil
}

func (f *scanFn) Teardown() error { return f.teardown() }

func (f *scanFn) ProcessElement(ctx context.Context, j Job, emit func(Line), emitStats func(Stats), emitFlagged func(vetting.Result)) error {
	f.st.take()
	r := f.sc.ScanPackage(f.ex, j.Name, load(ctx, f.st, j, dataset.Limits{MaxArchive: f.MaxArchive}))
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("scan %s: %w", j.Name, err)
	}
	emit(Line{File: FileResults, ID: r.Path, Text: append(b, '\n')})
	st := Stats{Packages: 1, BytesRead: f.st.take()}
	switch r.Verdict {
	case vetting.VerdictMalicious:
		st.Malicious = 1
		emitFlagged(r)
	case vetting.VerdictBenign:
		st.Benign = 1
	default:
		// The reason is the error's first clause, e.g. "archive sha256
		// differs from manifest".
		reason, _, _ := strings.Cut(r.Error, ":")
		st.Failed, st.Reasons = 1, map[string]int64{reason: 1}
	}
	count(ctx, st)
	emitStats(st)
	return nil
}

// sarifFn writes the flagged packages as one SARIF report, in path order.
type sarifFn struct {
	Model, Name string
}

func (f *sarifFn) ProcessElement(ctx context.Context, _ int, iter func(*vetting.Result) bool, sum Stats) error {
	m, err := readModel(ctx, f.Model)
	if err != nil {
		return err
	}
	var rs []vetting.Result
	var r vetting.Result
	for iter(&r) {
		if r.Path != "" { // not the marker
			rs = append(rs, r)
		}
		r = vetting.Result{}
	}
	slices.SortFunc(rs, func(a, b vetting.Result) int { return cmp.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	w, err := vetting.NewResultWriter(vetting.FormatSARIF, &buf, m)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			return fmt.Errorf("sarif: %w", err)
		}
	}
	vs := vetting.Summary{Scanned: int(sum.Packages), Malicious: int(sum.Malicious), Benign: int(sum.Benign), Errors: int(sum.Failed)}
	if err := w.Close(vs); err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	return writeFile(ctx, f.Name, buf.Bytes())
}
