package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"pypimal/dataset"
	"pypimal/experiments/configfile"
	"pypimal/featuresets"
	"pypimal/vetting"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// sharedData is the embedded dataset folder: PYPIMAL_DATA, or
// ../shared/data beside the root module; "" when absent.
func sharedData() string {
	if d := os.Getenv("PYPIMAL_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module pypimal\n") {
			d := filepath.Join(dir, "..", "shared", "data")
			if _, err := os.Stat(filepath.Join(d, "manifest.csv")); err == nil {
				return d
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// slice is a few hundred rows of the embedded dataset: every k-th row of
// each group (malware, Debian benign, PyPI realform benign), in manifest
// order.
func slice(t testing.TB, data string) []dataset.Row {
	t.Helper()
	rows, err := dataset.ReadManifestFile(filepath.Join(data, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	groups := []struct {
		match func(dataset.Row) bool
		every int
	}{
		{func(r dataset.Row) bool { return r.Label == dataset.Malicious }, 30},
		{func(r dataset.Row) bool { return r.Label == dataset.Benign && r.PaperSplit != "realform" }, 60},
		{func(r dataset.Row) bool { return r.PaperSplit == "realform" }, 3},
	}
	seen := make([]int, len(groups))
	var out []dataset.Row
	for _, r := range rows {
		for g, gr := range groups {
			if gr.match(r) {
				if seen[g]%gr.every == 0 {
					out = append(out, r)
				}
				seen[g]++
				break
			}
		}
	}
	return out
}

// testData builds a data folder in a temp dir: the dataset's archive
// folders linked in, a truncated copy of an archive, and a manifest of the
// slice plus rows that must fail (truncated archive, wrong sha256, wrong
// size, missing archive).
func testData(t testing.TB, data string, rows []dataset.Row) (dir string, all []dataset.Row) {
	t.Helper()
	dir = t.TempDir()
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := os.Symlink(filepath.Join(data, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	src := rows[len(rows)/2]
	b, err := os.ReadFile(filepath.Join(data, filepath.FromSlash(src.Path)))
	if err != nil {
		t.Fatal(err)
	}
	trunc := b[:len(b)/2]
	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken", "truncated.tar.gz"), trunc, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(trunc)
	bad := []dataset.Row{
		{ID: "x-truncated", Path: "broken/truncated.tar.gz", SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(trunc))},
		{ID: "x-badsha", Path: src.Path, SHA256: strings.Repeat("0", 64), Bytes: src.Bytes},
		{ID: "x-size", Path: src.Path, SHA256: src.SHA256, Bytes: src.Bytes + 1},
		{ID: "x-missing", Path: "broken/missing.tar.gz", SHA256: src.SHA256, Bytes: src.Bytes},
	}
	for i := range bad {
		bad[i].Name, bad[i].Version, bad[i].Label, bad[i].Source, bad[i].Format = "broken", "1.0", dataset.Malicious, "test", "sdist-tar.gz"
	}
	all = append(append([]dataset.Row{}, rows...), bad...)
	writeManifest(t, filepath.Join(dir, "manifest.csv"), all)
	return dir, all
}

func writeManifest(t testing.TB, name string, rows []dataset.Row) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(dataset.ManifestColumns)
	for _, r := range rows {
		rec := make([]string, len(dataset.ManifestColumns))
		for i, c := range dataset.ManifestColumns {
			rec[i], _ = r.Column(c)
		}
		w.Write(rec)
	}
	w.Flush()
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sortedByID returns a file's header line and its other lines stably
// sorted by their first field (sep-separated).
func sortedByID(text []byte, sep string) (string, []string) {
	lines := strings.SplitAfter(string(text), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return "", nil
	}
	body := lines[1:]
	slices.SortStableFunc(body, func(a, b string) int {
		ia, _, _ := strings.Cut(a, sep)
		ib, _, _ := strings.Cut(b, sep)
		return cmp.Compare(ia, ib)
	})
	return lines[0], body
}

// readShards concatenates the shards of one output file, checking each
// starts with header, and returns the lines after the headers, stably
// sorted by their first field when sep is set.
func readShards(t *testing.T, dir, prefix, sep, header string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, prefix+"-*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no %s shards in %s (%v)", prefix, dir, err)
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(header)) {
			t.Fatalf("%s does not start with the header %q", n, header)
		}
		all = append(all, b[len(header):]...)
	}
	lines := strings.SplitAfter(string(all), "\n")
	lines = lines[:len(lines)-1] // after the last newline
	if sep != "" {
		slices.SortStableFunc(lines, func(a, b string) int {
			ia, _, _ := strings.Cut(a, sep)
			ib, _, _ := strings.Cut(b, sep)
			return cmp.Compare(ia, ib)
		})
	}
	return lines
}

// diffLines fails with the first differing line.
func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("%s line %d differs (%d lines from the CLI, %d from Beam):\nCLI:  %.300q\nBeam: %.300q", what, i+1, len(want), len(got), w, g)
		}
	}
}

func run(t *testing.T, build func(s beam.Scope) error) beam.PipelineResult {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	if err := build(s); err != nil {
		t.Fatal(err)
	}
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	return res
}

func readSummary(t *testing.T, dir string) Stats {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestExtractMatchesCLI runs the extraction pipeline on prism over a slice
// of the dataset with failing rows and compares its features, tokens and
// errors, sorted by id, with what `pypimal extract` writes for the same
// rows (featuresets.ExtractAll and the Table writers, its code path).
func TestExtractMatchesCLI(t *testing.T) {
	data := sharedData()
	if data == "" {
		t.Skip("dataset absent (../shared/data or PYPIMAL_DATA): skipping the Beam/CLI comparison")
	}
	dir, rows := testData(t, data, slice(t, data))
	t.Logf("%d rows, 4 of them broken on purpose", len(rows))

	tab, errs, _, err := featuresets.ExtractAll(context.Background(), dir, rows, featuresets.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var feat, toks, errCSV bytes.Buffer
	if err := tab.WriteFeaturesCSV(&feat); err != nil {
		t.Fatal(err)
	}
	if err := tab.WriteTokensTSV(&toks); err != nil {
		t.Fatal(err)
	}
	if err := featuresets.WriteErrorsCSV(&errCSV, errs); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	res := run(t, func(s beam.Scope) error {
		return Extract(s, ExtractConfig{Input: Input{Manifest: filepath.Join(dir, "manifest.csv")}, Output: out, Shards: 3})
	})

	// The CLI's detail for a missing archive quotes os.Stat's error, Beam's
	// local filesystem its os.Open's: same row, reason and file, other verb.
	errText := strings.Replace(errCSV.String(), "stat "+filepath.Join(dir, "broken"), "open "+filepath.Join(dir, "broken"), 1)
	for _, f := range []struct {
		prefix, sep string
		cli         []byte
	}{
		{"features", ",", feat.Bytes()},
		{"tokens", "\t", toks.Bytes()},
		{"errors", ",", []byte(errText)},
	} {
		header, want := sortedByID(f.cli, f.sep)
		got := readShards(t, out, f.prefix, f.sep, header)
		diffLines(t, f.prefix, want, got)
	}

	st := readSummary(t, out)
	if st.Packages != int64(len(rows)) || st.Failed != int64(len(errs)) || st.BytesRead <= 0 {
		t.Errorf("summary %+v: want %d packages, %d failed, bytes read", st, len(rows), len(errs))
	}
	reasons := map[string]int64{}
	for _, e := range errs {
		reasons[e.Reason]++
	}
	for r, n := range reasons {
		if st.Reasons[r] != n {
			t.Errorf("summary: %d failed for %q, want %d", st.Reasons[r], r, n)
		}
	}
	for _, want := range []string{dataset.ErrCorrupt.Error(), dataset.ErrHashMismatch.Error(), dataset.ErrSizeMismatch.Error(), dataset.ErrMissingArchive.Error()} {
		if reasons[want] == 0 {
			t.Errorf("no row failed with %q", want)
		}
	}
	cs := Counters(res)
	if cs["packages"] != st.Packages || cs["failed"] != st.Failed || cs["bytes_read"] != st.BytesRead {
		t.Errorf("counters %v disagree with the summary %+v", cs, st)
	}
}

// trainModel trains a logistic regression on the first 40 malicious and
// 60 benign paper training rows: enough to give both verdicts, quickly.
func trainModel(t *testing.T, data string) string {
	t.Helper()
	all, err := dataset.ReadManifestFile(filepath.Join(data, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	limit := map[string]int{dataset.Malicious: 40, dataset.Benign: 60}
	var rows []dataset.Row
	for _, r := range all {
		if r.PaperSplit == "train" && per[r.Label] < limit[r.Label] {
			per[r.Label]++
			rows = append(rows, r)
		}
	}
	cfg, err := configfile.Load("", map[string]any{"cv.k": 3, "seed": 7, "workers": 2, "train.model": "lr"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := vetting.Train(context.Background(), cfg, vetting.TrainOptions{DataDir: data, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "model.json")
	if err := m.Save(name); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestScanMatchesCLI scans a folder of archives (a slice of the dataset and
// a truncated one) on prism and compares the JSON lines with `pypimal scan
// --format jsonl` on the folder, and flagged.sarif with the CLI's SARIF
// writer given the same flagged results.
func TestScanMatchesCLI(t *testing.T) {
	data := sharedData()
	if data == "" {
		t.Skip("dataset absent (../shared/data or PYPIMAL_DATA): skipping the Beam/CLI comparison")
	}
	rows := slice(t, data)
	folder := t.TempDir()
	for i, r := range rows {
		if i%2 != 0 {
			continue // half the slice keeps the test short
		}
		if err := os.Symlink(filepath.Join(data, filepath.FromSlash(r.Path)), filepath.Join(folder, r.ID+"-"+filepath.Base(r.Path))); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(data, filepath.FromSlash(rows[0].Path)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "zz-truncated.tar.gz"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	modelFile := trainModel(t, data)
	m, err := vetting.Load(modelFile)
	if err != nil {
		t.Fatal(err)
	}

	// The CLI: pypimal scan --format jsonl on the archives, in name order
	// (runScan's code path). They are links into the dataset, which a
	// folder scan does not follow, so they are named one by one.
	paths, err := filepath.Glob(filepath.Join(folder, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var jsonl bytes.Buffer
	jw, err := vetting.NewResultWriter(vetting.FormatJSONL, &jsonl, m)
	if err != nil {
		t.Fatal(err)
	}
	var flagged []vetting.Result
	sum, err := vetting.NewScanner(m, vetting.ScanOptions{Workers: 2, Reasons: 5}).Scan(context.Background(), paths, func(r vetting.Result) error {
		if r.Flagged() {
			flagged = append(flagged, r)
		}
		return jw.Write(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(sum); err != nil {
		t.Fatal(err)
	}
	var sarif bytes.Buffer
	sw, err := vetting.NewResultWriter(vetting.FormatSARIF, &sarif, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range flagged {
		sw.Write(r)
	}
	if err := sw.Close(sum); err != nil {
		t.Fatal(err)
	}
	if sum.Errors != 1 || sum.Malicious == 0 || sum.Benign == 0 {
		t.Fatalf("CLI summary %+v: want one error and both verdicts", sum)
	}

	out := t.TempDir()
	run(t, func(s beam.Scope) error {
		return Scan(s, ScanConfig{Input: Input{Patterns: []string{filepath.Join(folder, "*")}}, Model: modelFile,
			Output: out, Shards: 2, Reasons: 5, SARIF: true})
	})
	// Results carry no header; sort both by their path field.
	want := strings.SplitAfter(strings.TrimSuffix(jsonl.String(), "\n"), "\n")
	got := readShards(t, out, "results", "", "")
	byPath := func(a, b string) int { return cmp.Compare(pathOf(a), pathOf(b)) }
	slices.SortStableFunc(want, byPath)
	slices.SortStableFunc(got, byPath)
	for i := range want {
		want[i] = strings.TrimSuffix(want[i], "\n") + "\n"
	}
	diffLines(t, "results", want, got)

	gotSARIF, err := os.ReadFile(filepath.Join(out, "flagged.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotSARIF, sarif.Bytes()) {
		t.Errorf("flagged.sarif differs from the CLI's SARIF of the flagged results (%d vs %d bytes)", len(gotSARIF), len(sarif.Bytes()))
	}
	st := readSummary(t, out)
	if st.Packages != int64(sum.Scanned) || st.Malicious != int64(sum.Malicious) || st.Benign != int64(sum.Benign) || st.Failed != int64(sum.Errors) {
		t.Errorf("summary %+v, CLI %+v", st, sum)
	}
}

func pathOf(line string) string {
	var v struct{ Path string }
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		return line
	}
	return v.Path
}

func TestShardOfSpreads(t *testing.T) {
	for _, n := range []int{1, 3, 16} {
		counts := make([]int, n)
		for i := range 3000 {
			counts[shardOf("m"+strconv.Itoa(i), n)]++
		}
		for s, c := range counts {
			if c < 3000/n/2 {
				t.Errorf("%d shards: shard %d has %d of 3000 ids", n, s, c)
			}
		}
	}
}
