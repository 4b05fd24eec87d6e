package baselines

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pypimal/dataset"
)

// testDataDir finds the embedded dataset: $PYPIMAL_DATA, else ../shared/data
// beside the repository root.
func testDataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYPIMAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.csv")); err != nil {
		t.Skipf("embedded dataset not found at %s (set PYPIMAL_DATA): %v", dir, err)
	}
	return dir
}

// testPackjFile is packj-static.jsonl beside the dataset.
func testPackjFile(t testing.TB, dataDir string) string {
	t.Helper()
	name := filepath.Join(dataDir, "..", "baselines", "packj", "packj-static.jsonl")
	if _, err := os.Stat(name); err != nil {
		t.Skipf("packj reports not found at %s: %v", name, err)
	}
	return name
}

func splitRows(t testing.TB, dataDir, split string) []dataset.Row {
	t.Helper()
	rows, err := dataset.ReadManifestFile(filepath.Join(dataDir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []dataset.Row
	for _, r := range rows {
		if split == "" || r.PaperSplit == split {
			out = append(out, r)
		}
	}
	return out
}

// TestFullBaseline runs bandit over the paper split's test rows (540
// packages) on 2 workers, attaches packj's reports and writes the report.
// It runs only with PYPIMAL_BASELINE_FULL=1 (a few minutes). Optional:
// PYPIMAL_BASELINE_OUT=folder keeps the report and raw JSON there;
// PYPIMAL_BASELINE_SPLIT=train|test|all picks the rows (default test);
// PYPIMAL_BASELINE_LIMIT=n takes the first n rows. The result is saved as
// result.json; PYPIMAL_BASELINE_RESULT=result.json rewrites the report from
// a saved result without running anything.
func TestFullBaseline(t *testing.T) {
	if os.Getenv("PYPIMAL_BASELINE_FULL") != "1" {
		t.Skip("set PYPIMAL_BASELINE_FULL=1 to run bandit over the whole test split")
	}
	if saved := os.Getenv("PYPIMAL_BASELINE_RESULT"); saved != "" {
		var res Result
		if err := json.Unmarshal(mustRead(t, saved), &res); err != nil {
			t.Fatal(err)
		}
		out := os.Getenv("PYPIMAL_BASELINE_OUT")
		if out == "" {
			t.Fatal("set PYPIMAL_BASELINE_OUT")
		}
		if err := WriteReport(out, &res, nil); err != nil {
			t.Fatal(err)
		}
		return
	}
	requireBandit(t)
	dataDir := testDataDir(t)
	split := os.Getenv("PYPIMAL_BASELINE_SPLIT")
	switch split {
	case "":
		split = "test"
	case "all":
		split = ""
	}
	rows := splitRows(t, dataDir, split)
	if s := os.Getenv("PYPIMAL_BASELINE_LIMIT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		if n < len(rows) {
			rows = rows[:n]
		}
	}
	out := os.Getenv("PYPIMAL_BASELINE_OUT")
	if out == "" {
		out = t.TempDir()
	}
	t.Logf("load average before: %s", loadAvg())
	start := time.Now()
	res, err := Run(context.Background(), dataDir, rows, Options{Workers: 2, PackjFile: testPackjFile(t, dataDir), Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	t.Logf("load average after: %s", loadAvg())
	if js, err := json.MarshalIndent(res, "", " "); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(out, "result.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(out, res, nil); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteRaw(filepath.Join(out, "bandit")); err != nil {
		t.Fatal(err)
	}
	t.Logf("bandit %s on Python %s; note: %s", res.Bandit.Version, res.Bandit.Python, res.Bandit.Note)
	t.Logf("%d packages, 2 workers: Run %.1f s (bandit pass %.1f s), %.3f s per package (wall / packages)",
		len(rows), wall.Seconds(), res.BanditWallSeconds, res.BanditWallSeconds/float64(len(rows)))
	for _, s := range AlertStats(res) {
		if s.Split == EvalSplit(res) {
			t.Logf("%-9s %-8s %-9s n=%3d mean %6.2f median %5.1f zero %5.1f%% failed %d",
				s.Series, s.Scope, s.Class, s.Counted, s.Mean, s.Median, 100*s.ZeroShare, s.Failed)
		}
	}
	for _, tm := range Timings(res, nil) {
		if tm.Class == "all" {
			t.Logf("time %-11s %-8s n=%3d mean %.3f s median %.3f s total %.1f s", tm.Tool, tm.Scope, tm.Packages, tm.Mean, tm.Median, tm.Total)
		}
	}
	// packj's "no setup.py" must agree with the package the dataset loads.
	failed := 0
	for i := range res.Packages {
		p := &res.Packages[i]
		if p.Err != "" {
			failed++
			t.Logf("%s: %s", p.ID, p.Err)
			continue
		}
		if o := p.Outcome(ToolPackj, ScopeSetup); o != nil && (o.Status == StatusNoSetup) == p.HasSetup {
			t.Errorf("%s: packj setup.py status %q, but HasSetup=%v", p.ID, o.Status, p.HasSetup)
		}
		for _, sc := range Scopes {
			if o := p.Outcome(ToolBandit, sc); o != nil && !o.Status.Counted() {
				t.Logf("%s bandit %s: %s %s", p.ID, sc, o.Status, o.Err)
			}
		}
	}
	t.Logf("%d packages failed to load or write; report in %s", failed, out)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
