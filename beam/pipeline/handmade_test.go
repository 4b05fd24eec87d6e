package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"pypimal/dataset"
	"pypimal/featuresets"
	"pypimal/vetting/vettingtest"
)

func TestJoinPath(t *testing.T) {
	for _, tc := range []struct{ dir, rel, join, dir2 string }{
		{"/data", "malicious/a/1/a.tar.gz", "/data/malicious/a/1/a.tar.gz", "/data/malicious/a/1"},
		{"gs://bucket/data", "x/y.whl", "gs://bucket/data/x/y.whl", "gs://bucket/data/x"},
		{"s3://bucket/data/", "y.whl", "s3://bucket/data/y.whl", "s3://bucket/data"},
		{"rel", "a.tar.gz", "rel/a.tar.gz", "rel"},
	} {
		got := joinPath(tc.dir, tc.rel)
		if got != tc.join {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tc.dir, tc.rel, got, tc.join)
		}
		if d := dirOf(got); d != tc.dir2 {
			t.Errorf("dirOf(%q) = %q, want %q", got, d, tc.dir2)
		}
	}
}

func TestInputValidate(t *testing.T) {
	for _, tc := range []struct {
		in Input
		ok bool
	}{
		{Input{Manifest: "m.csv"}, true},
		{Input{Patterns: []string{"*.whl"}}, true},
		{Input{}, false},
		{Input{Manifest: "m.csv", Patterns: []string{"*.whl"}}, false},
	} {
		if err := tc.in.validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v", tc.in, err)
		}
	}
}

// TestExtractPatterns runs the pattern input on prism over hand-made
// archives and a corrupt one (no dataset needed): each archive's features
// or error row is the one featuresets.ExtractPackage gives for it read from
// the local disk, with the archive's path as id.
func TestExtractPatterns(t *testing.T) {
	dir := t.TempDir()
	if err := vettingtest.WriteDataset(dir, 3, 3, 2); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "malicious", "broken.tar.gz"), []byte("\x1f\x8b\x08\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	patterns := []string{filepath.Join(dir, "malicious", "*.tar.gz"), filepath.Join(dir, "benign", "*.tar.gz")}
	var names []string
	for _, p := range patterns {
		m, _ := filepath.Glob(p)
		names = append(names, m...)
	}
	slices.Sort(names)

	ex, err := featuresets.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	kinds, err := ExtractKinds()
	if err != nil {
		t.Fatal(err)
	}
	e := &extractFn{}
	if err := e.Setup(); err != nil {
		t.Fatal(err)
	}
	defer e.Teardown()
	want := map[string][]string{}
	for _, n := range names {
		lines := map[string][]byte{}
		if err := e.ProcessElement(context.Background(), Job{Row: dataset.Row{ID: n}, Name: n},
			func(l Line) { lines[l.File] = l.Text }, func(Stats) {}); err != nil {
			t.Fatal(err)
		}
		// The same package through the core alone.
		r, ee := featuresets.ExtractPackage(ex, dataset.Row{ID: n}, func() (*dataset.Package, error) { return dataset.Open(n, dataset.Limits{}) })
		if (ee != nil) != (lines[FileErrors] != nil) {
			t.Fatalf("%s: core error %v, pipeline lines %q", n, ee, lines)
		}
		if ee == nil {
			tr := featuresets.NewTableRow(dataset.Row{ID: n}, r)
			rec, _ := csvRecord(featuresets.FeaturesCSVRecord(&tr))
			if string(rec) != string(lines[FileFeatures]) {
				t.Fatalf("%s: features differ:\n%s\n%s", n, rec, lines[FileFeatures])
			}
		}
		for f, l := range lines {
			want[f] = append(want[f], string(l))
		}
	}
	if len(want[FileErrors]) != 1 || len(want[FileFeatures]) != len(names)-1 {
		t.Fatalf("%d error and %d feature lines for %d archives", len(want[FileErrors]), len(want[FileFeatures]), len(names))
	}

	out := t.TempDir()
	run(t, func(s beam.Scope) error {
		return Extract(s, ExtractConfig{Input: Input{Patterns: patterns}, Output: out, Shards: 2})
	})
	for file, k := range kinds {
		got := readShards(t, out, k.Prefix, "", string(k.Header))
		w := strings.SplitAfter(strings.Join(want[file], ""), "\n")
		w = w[:len(w)-1]
		slices.Sort(got)
		slices.Sort(w)
		diffLines(t, file, w, got)
	}
	st := readSummary(t, out)
	if st.Packages != int64(len(names)) || st.Failed != 1 || st.Reasons[dataset.ErrCorrupt.Error()] != 1 {
		t.Errorf("summary %+v", st)
	}
}
