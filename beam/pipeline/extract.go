package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"pypimal/dataset"
	"pypimal/featuresets"
)

func init() {
	register.DoFn4x1[context.Context, Job, func(Line), func(Stats), error](&extractFn{})
}

// Output file kinds of an extraction, in the columns of `pypimal extract`.
const (
	FileFeatures = "features"
	FileTokens   = "tokens"
	FileErrors   = "errors"
)

// ExtractConfig configures an extraction pipeline.
type ExtractConfig struct {
	Input
	// Output is the folder (local or URL) for the shards and summary.json.
	Output string
	// Shards per output file; 0: 1.
	Shards int
	// MaxArchive caps an archive's bytes; 0: dataset.DefaultLimits'.
	MaxArchive int64
}

// ExtractKinds are the files an extraction writes:
// features-SSSSS-of-NNNNN.csv, tokens-….tsv, errors-….csv, each shard
// with the header of the file `pypimal extract` writes.
func ExtractKinds() (map[string]FileKind, error) {
	fh, err := csvRecord(featuresets.FeaturesCSVHeader(featuresets.Catalogue()))
	if err != nil {
		return nil, err
	}
	eh, err := csvRecord(featuresets.ErrorsCSVHeader)
	if err != nil {
		return nil, err
	}
	return map[string]FileKind{
		FileFeatures: {Prefix: "features", Ext: ".csv", Header: fh},
		FileTokens:   {Prefix: "tokens", Ext: ".tsv", Header: []byte(featuresets.TokensTSVHeader)},
		FileErrors:   {Prefix: "errors", Ext: ".csv", Header: eh},
	}, nil
}

// Extract adds the extraction of cfg's packages to s: features, tokens and
// errors in shards under cfg.Output, and summary.json.
func Extract(s beam.Scope, cfg ExtractConfig) error {
	if cfg.Output == "" {
		return fmt.Errorf("extract: no output folder")
	}
	kinds, err := ExtractKinds()
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	jobs, err := Jobs(s, cfg.Input)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	out := inLanes(s.Scope("Extract"), &extractFn{MaxArchive: cfg.MaxArchive}, jobs, 2)
	lines, stats := out[0], out[1]
	writeShards(s, cfg.Output, max(cfg.Shards, 1), kinds, lines)
	beam.ParDo0(s, &writeSummaryFn{Name: joinPath(cfg.Output, "summary.json")}, totals(s, stats))
	return nil
}

// extractFn extracts one package per element. Its parser and filesystems
// live as long as the DoFn instance.
type extractFn struct {
	MaxArchive int64

	worker
	buf bytes.Buffer
	cw  *csv.Writer
}

func (f *extractFn) Setup() error {
	if err := f.setup(); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	f.cw = csv.NewWriter(&f.buf)
	return nil
}

func (f *extractFn) Teardown() error { return f.teardown() }

// ProcessElement emits the package's lines and its stats. A package that
// fails is an errors line, never a failed bundle: only a broken output
// encoder fails the element.
func (f *extractFn) ProcessElement(ctx context.Context, j Job, emit func(Line), emitStats func(Stats)) error {
	f.st.take()
	r, ee := featuresets.ExtractPackage(f.ex, j.Row, load(ctx, f.st, j, dataset.Limits{MaxArchive: f.MaxArchive}))
	st := Stats{Packages: 1, BytesRead: f.st.take()}
	if ee != nil {
		rec, err := f.record(featuresets.ErrorsCSVRecord(*ee))
		if err != nil {
			return err
		}
		emit(Line{File: FileErrors, ID: ee.ID, Text: rec})
		st.Failed, st.Reasons = 1, map[string]int64{ee.Reason: 1}
	} else {
		tr := featuresets.NewTableRow(j.Row, r)
		rec, err := f.record(featuresets.FeaturesCSVRecord(&tr))
		if err != nil {
			return err
		}
		emit(Line{File: FileFeatures, ID: tr.ID, Text: rec})
		if toks := featuresets.AppendTokensTSV(nil, &tr); len(toks) > 0 {
			emit(Line{File: FileTokens, ID: tr.ID, Text: toks})
		}
	}
	count(ctx, st)
	emitStats(st)
	return nil
}

// record encodes one CSV record as encoding/csv writes it in a file.
func (f *extractFn) record(rec []string) ([]byte, error) {
	f.buf.Reset()
	if err := f.cw.Write(rec); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	f.cw.Flush()
	if err := f.cw.Error(); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	return bytes.Clone(f.buf.Bytes()), nil
}

func csvRecord(rec []string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
