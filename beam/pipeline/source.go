// Package pipeline builds pypimal's Apache Beam pipelines: feature
// extraction and scanning at registry scale. Every package goes through the
// same dataset, featuresets and vetting entry points as the CLI
// (featuresets.ExtractPackage, vetting.Scanner.ScanPackage); this package
// only moves archives and lines around.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"pypimal/dataset"
	"pypimal/featuresets"
)

func init() {
	register.DoFn3x1[context.Context, string, func(Job), error](&manifestFn{})
	register.DoFn3x1[context.Context, string, func(Job), error](&matchFn{})
	register.Emitter1[Job]()
}

// Job is one package to read.
type Job struct {
	// Row is the manifest row; for an archive matched by a pattern only
	// its ID (the archive's name) is set.
	Row dataset.Row
	// Name is where the archive is: a local path or a URL (gs://, s3://).
	Name string
	// Verify is true for manifest rows: the archive's size and sha256 are
	// checked against the row, as `pypimal extract` does.
	Verify bool
}

// Input says which packages a pipeline reads: the rows of a manifest, or
// the archives matching file patterns.
type Input struct {
	// Manifest is a manifest.csv (path or URL); its rows' paths are
	// relative to DataDir, by default the manifest's folder.
	Manifest string
	DataDir  string
	// Patterns are globs of archives, used when Manifest is empty.
	Patterns []string
}

func (in Input) validate() error {
	switch {
	case in.Manifest != "" && len(in.Patterns) > 0:
		return fmt.Errorf("give a manifest or file patterns, not both")
	case in.Manifest == "" && len(in.Patterns) == 0:
		return fmt.Errorf("no input: give a manifest or file patterns")
	}
	return nil
}

// Jobs expands the input into one Job per package. Its consumers reshuffle
// them (inLanes) so that a runner can spread one manifest's rows over its
// workers.
func Jobs(s beam.Scope, in Input) (beam.PCollection, error) {
	if err := in.validate(); err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("Jobs")
	var jobs beam.PCollection
	if in.Manifest != "" {
		dir := in.DataDir
		if dir == "" {
			dir = dirOf(in.Manifest)
		}
		jobs = beam.ParDo(s, &manifestFn{DataDir: dir}, beam.Create(s, in.Manifest))
	} else {
		jobs = beam.ParDo(s, &matchFn{}, beam.CreateList(s, in.Patterns))
	}
	return jobs, nil
}

// manifestFn reads a manifest and emits its rows.
type manifestFn struct {
	DataDir string
}

func (f *manifestFn) ProcessElement(ctx context.Context, manifest string, emit func(Job)) error {
	fs, err := filesystem.New(ctx, manifest)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", manifest, err)
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, manifest)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", manifest, err)
	}
	defer r.Close()
	rows, err := dataset.ReadManifest(r)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", manifest, err)
	}
	for _, row := range rows {
		emit(Job{Row: row, Name: joinPath(f.DataDir, row.Path), Verify: true})
	}
	return nil
}

// matchFn expands a file pattern into the archives it matches, in name
// order. A pattern that matches nothing is an error: a typo must not look
// like an empty registry.
type matchFn struct{}

func (f *matchFn) ProcessElement(ctx context.Context, glob string, emit func(Job)) error {
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return fmt.Errorf("pattern %s: %w", glob, err)
	}
	defer fs.Close()
	names, err := fs.List(ctx, glob)
	if err != nil {
		return fmt.Errorf("pattern %s: %w", glob, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("pattern %s matches no file", glob)
	}
	sort.Strings(names)
	for _, n := range names {
		emit(Job{Row: dataset.Row{ID: n}, Name: n})
	}
	return nil
}

// hasScheme reports whether p is a URL such as gs://bucket/x.
func hasScheme(p string) bool { return strings.Contains(p, "://") }

// joinPath joins a folder (local or URL) and a slash-separated relative
// path.
func joinPath(dir, rel string) string {
	if hasScheme(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + rel
	}
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// dirOf is the folder of a local path or URL.
func dirOf(p string) string {
	if hasScheme(p) {
		// Not path.Dir: it would clean "gs://" into "gs:/".
		if i := strings.LastIndex(p, "/"); i > strings.Index(p, "://")+2 {
			return p[:i]
		}
		return p
	}
	return filepath.Dir(p)
}

// worker is the per-instance state both per-package DoFns share: a
// tree-sitter parser and the filesystems, made in Setup and released in
// Teardown.
type worker struct {
	ex *featuresets.Extractor
	st *store
}

func (w *worker) setup() error {
	ex, err := featuresets.NewExtractor()
	if err != nil {
		return err
	}
	w.ex, w.st = ex, newStore()
	return nil
}

func (w *worker) teardown() error {
	if w.ex != nil {
		w.ex.Close()
		w.ex = nil
	}
	if w.st != nil {
		return w.st.Close()
	}
	return nil
}

// store adapts Beam's filesystems to dataset.Store, keeping one
// filesystem per scheme and counting the bytes read.
type store struct {
	fss   map[string]filesystem.Interface
	bytes atomic.Int64
}

func newStore() *store { return &store{fss: map[string]filesystem.Interface{}} }

func (st *store) fs(ctx context.Context, name string) (filesystem.Interface, error) {
	scheme := ""
	if i := strings.Index(name, "://"); i >= 0 {
		scheme = name[:i]
	}
	if fs, ok := st.fss[scheme]; ok {
		return fs, nil
	}
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, err
	}
	st.fss[scheme] = fs
	return fs, nil
}

func (st *store) Size(ctx context.Context, name string) (int64, error) {
	fs, err := st.fs(ctx, name)
	if err != nil {
		return 0, err
	}
	return fs.Size(ctx, name)
}

func (st *store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	fs, err := st.fs(ctx, name)
	if err != nil {
		return nil, err
	}
	rc, err := fs.OpenRead(ctx, name)
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: rc, n: &st.bytes}, nil
}

// take returns the bytes read since the last call.
func (st *store) take() int64 { return st.bytes.Swap(0) }

func (st *store) Close() error {
	var first error
	for _, fs := range st.fss {
		if err := fs.Close(); err != nil && first == nil {
			first = err
		}
	}
	st.fss = map[string]filesystem.Interface{}
	return first
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// load reads a job's package from st under lim: verified against its row,
// or decoded as a user's archive.
func load(ctx context.Context, st *store, j Job, lim dataset.Limits) func() (*dataset.Package, error) {
	return func() (*dataset.Package, error) {
		if j.Verify {
			return dataset.LoadRowFrom(ctx, st, j.Name, j.Row, lim)
		}
		return dataset.OpenArchiveFrom(ctx, st, j.Name, lim)
	}
}
