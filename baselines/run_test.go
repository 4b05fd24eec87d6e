package baselines

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pypimal/dataset"
)

// fixtureDataset writes three small sdists and a packj file for them:
// m1 (setup.py with risky calls, train), b1 (no setup.py, test), m2 (test),
// plus x1, a row whose archive is missing.
func fixtureDataset(t *testing.T) (string, []dataset.Row, string) {
	t.Helper()
	dataDir := t.TempDir()
	rows := []dataset.Row{
		fixtureRow(t, dataDir, "m1", dataset.Malicious, "train", sdist(t, "m1-1.0", "setup.py", evilSetup, "m1/__init__.py", benignModule)),
		fixtureRow(t, dataDir, "b1", dataset.Benign, "test", sdist(t, "b1-1.0", "b1/__init__.py", benignModule, "b1/PKG-INFO", "Name: b1\n")),
		fixtureRow(t, dataDir, "m2", dataset.Malicious, "test", sdist(t, "m2-1.0", "setup.py", "import os\nos.system('id')\n", "README", "x")),
	}
	missing := rows[0]
	missing.ID, missing.Path = "x1", "malicious/x1.tar.gz"
	rows = append(rows, missing)
	packj := filepath.Join(t.TempDir(), "packj.jsonl")
	lines := []string{
		`{"id": "m1", "scope": "package", "alerts": 1, "error": null, "risks": {"undesirable": ["forks or exits OS processes: performs a process operation"]}, "permissions": {"performs a process operation": 1, "generates new code at runtime": 1}, "seconds": 0.2}`,
		`{"id": "m1", "scope": "setup.py", "alerts": 1, "error": null, "risks": {"undesirable": ["forks or exits OS processes: performs a process operation"]}, "permissions": {"performs a process operation": 1}, "seconds": 0.1}`,
		`{"id": "b1", "scope": "package", "alerts": 0, "error": null, "risks": {}, "permissions": {}, "seconds": 0.05}`,
		`{"id": "b1", "scope": "setup.py", "alerts": 0, "error": "no setup.py", "risks": {}, "permissions": {}}`,
		`{"id": "m2", "scope": "package", "alerts": 0, "error": "parse error", "risks": {}, "permissions": {}, "seconds": 0.3}`,
	}
	if err := os.WriteFile(packj, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dataDir, rows, packj
}

func TestRunWithBandit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bandit seven times")
	}
	requireBandit(t)
	dataDir, rows, packj := fixtureDataset(t)
	tmp := t.TempDir()
	res, err := Run(context.Background(), dataDir, rows, Options{PackjFile: packj, TempDir: tmp, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bandit == nil || res.Packj == nil || res.Packj.Reports != 5 || res.Workers != 3 {
		t.Fatalf("result header %+v %+v", res.Bandit, res.Packj)
	}
	if got := listTree(t, tmp); len(got) != 0 {
		t.Errorf("temp folder not cleaned: %v", got)
	}
	var ids []string
	for _, p := range res.Packages {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "m1,b1,m2,x1" {
		t.Errorf("order %v", ids)
	}
	m1, b1, m2, x1 := &res.Packages[0], &res.Packages[1], &res.Packages[2], &res.Packages[3]
	if !m1.HasSetup || b1.HasSetup || !m2.HasSetup || m1.Split != "train" || b1.Split != "test" {
		t.Errorf("setup/split: %+v %+v %+v", m1, b1, m2)
	}
	check := func(p *PackageResult, tool Tool, sc Scope, st Status, minAlerts int) {
		t.Helper()
		o := p.Outcome(tool, sc)
		if o == nil {
			t.Errorf("%s %s %s: missing outcome", p.ID, tool, sc)
			return
		}
		if o.Status != st || o.Alerts < minAlerts {
			t.Errorf("%s %s %s: status %s alerts %d err %q, want %s with ≥ %d", p.ID, tool, sc, o.Status, o.Alerts, o.Err, st, minAlerts)
		}
	}
	check(m1, ToolBandit, ScopePackage, StatusOK, 4)
	check(m1, ToolBandit, ScopeSetup, StatusOK, 4)
	check(b1, ToolBandit, ScopePackage, StatusOK, 0)
	check(b1, ToolBandit, ScopeSetup, StatusNoSetup, 0)
	check(m2, ToolBandit, ScopeSetup, StatusOK, 1)
	check(x1, ToolBandit, ScopePackage, StatusError, 0)
	check(m1, ToolPackj, ScopePackage, StatusOK, 1)
	check(b1, ToolPackj, ScopeSetup, StatusNoSetup, 0)
	check(m2, ToolPackj, ScopePackage, StatusError, 0)
	check(m2, ToolPackj, ScopeSetup, StatusMissing, 0)
	check(x1, ToolPackj, ScopePackage, StatusMissing, 0)
	if b1.Outcome(ToolBandit, ScopePackage).Alerts != 0 {
		t.Errorf("benign fixture raised bandit alerts")
	}
	if !strings.Contains(x1.Err, "load") {
		t.Errorf("x1 error %q", x1.Err)
	}
	if o := m1.Outcome(ToolPackj, ScopePackage); o.APICategories() != 2 || !o.Timed || o.Seconds != 0.2 {
		t.Errorf("m1 packj %+v", o)
	}

	raw := t.TempDir()
	if err := res.WriteRaw(raw); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(listTree(t, raw), ",")
	if got != "b1-package.json,m1-package.json,m1-setup.py.json,m2-package.json,m2-setup.py.json" {
		t.Errorf("raw files %s", got)
	}
	if _, err := ParseBandit(mustRead(t, filepath.Join(raw, "m1-setup.py.json"))); err != nil {
		t.Error(err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunTimeout: a fake bandit that never answers is killed per run, and
// the run goes on; the split map overrides paper_split.
func TestRunTimeout(t *testing.T) {
	dataDir, rows, _ := fixtureDataset(t)
	bin := fakeBandit(t, "sleep 60")
	start := time.Now()
	raw := filepath.Join(t.TempDir(), "raw")
	res, err := Run(context.Background(), dataDir, rows[:3], Options{
		Bandit: bin, Timeout: 300 * time.Millisecond, Split: map[string]string{"m1": "test"}, RawDir: raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %s", el)
	}
	if res.Bandit.Version != "0.0.1" || res.Bandit.Python != "3.11.2" || res.Bandit.Note == "" {
		t.Errorf("bandit info %+v", res.Bandit)
	}
	for _, p := range res.Packages {
		if o := p.Outcome(ToolBandit, ScopePackage); o.Status != StatusTimeout {
			t.Errorf("%s: status %s", p.ID, o.Status)
		}
		if p.Outcome(ToolPackj, ScopePackage) != nil {
			t.Errorf("%s: packj outcome without packj reports", p.ID)
		}
	}
	// Timed-out runs leave no output to save.
	if got := listTree(t, raw); len(got) != 0 {
		t.Errorf("raw folder %v", got)
	}
	if res.Packages[0].Split != "test" || res.Packages[1].Split != "" {
		t.Errorf("splits %q %q", res.Packages[0].Split, res.Packages[1].Split)
	}
}

func TestRunConfigErrors(t *testing.T) {
	dataDir, rows, packj := fixtureDataset(t)
	ctx := context.Background()
	if _, err := Run(ctx, dataDir, rows, Options{PackjFile: packj, PackjDir: t.TempDir(), NoBandit: true}); err == nil {
		t.Error("packj file and folder both accepted")
	}
	if _, err := Run(ctx, dataDir, append(rows, rows[0]), Options{NoBandit: true}); err == nil {
		t.Error("repeated row accepted")
	}
	if _, err := Run(ctx, dataDir, rows, Options{Bandit: filepath.Join(t.TempDir(), "no-such-bandit")}); err == nil {
		t.Error("missing bandit accepted")
	}
	if _, err := Run(ctx, dataDir, rows, Options{NoBandit: true, PackjFile: filepath.Join(t.TempDir(), "none.jsonl")}); err == nil {
		t.Error("missing packj file accepted")
	}
	// packj only: HasSetup comes from packj's reports.
	res, err := Run(ctx, dataDir, rows, Options{NoBandit: true, PackjFile: packj})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bandit != nil || !res.Packages[0].HasSetup || res.Packages[1].HasSetup {
		t.Errorf("packj-only: %+v", res.Packages[:2])
	}
	if o := res.Packages[1].Outcome(ToolPackj, ScopeSetup); o.Status != StatusNoSetup {
		t.Errorf("b1 setup.py: %s", o.Status)
	}
	// Cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, dataDir, rows, Options{Bandit: fakeBandit(t, "sleep 60"), Timeout: time.Second}); err == nil {
		t.Error("cancelled run succeeded")
	}
}

// TestRunRawDir: with RawDir, outputs go to disk as they come and are not
// kept in memory.
func TestRunRawDir(t *testing.T) {
	dataDir, rows, _ := fixtureDataset(t)
	bin := fakeBandit(t, `echo '{"errors": [], "results": [{"test_id": "B101", "issue_severity": "LOW", "issue_confidence": "HIGH"}]}'; exit 1`)
	raw := filepath.Join(t.TempDir(), "raw")
	res, err := Run(context.Background(), dataDir, rows, Options{Bandit: bin, RawDir: raw})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(listTree(t, raw), ",")
	if got != "b1-package.json,m1-package.json,m1-setup.py.json,m2-package.json,m2-setup.py.json" {
		t.Errorf("raw files %s", got)
	}
	if res.BanditPackages != 4 {
		t.Errorf("BanditPackages %d", res.BanditPackages)
	}
	for _, p := range res.Packages {
		for _, o := range p.Outcomes {
			if o.Raw != nil {
				t.Errorf("%s %s: raw kept in memory", p.ID, o.Scope)
			}
			if o.Status == StatusOK && (o.Alerts != 1 || o.ByTest["B101"] != 1) {
				t.Errorf("%s %s: %+v", p.ID, o.Scope, o)
			}
		}
	}
}

// TestRunBanditSplits: bandit only on the test rows; the train row has no
// bandit outcome but keeps its packj ones.
func TestRunBanditSplits(t *testing.T) {
	dataDir, rows, packj := fixtureDataset(t)
	bin := fakeBandit(t, `echo '{"errors": [], "results": []}'`)
	res, err := Run(context.Background(), dataDir, rows, Options{Bandit: bin, PackjFile: packj, BanditSplits: []string{SplitTest}})
	if err != nil {
		t.Fatal(err)
	}
	if res.BanditPackages != 2 {
		t.Errorf("BanditPackages %d, want 2", res.BanditPackages)
	}
	m1 := &res.Packages[0]
	if m1.Outcome(ToolBandit, ScopePackage) != nil || m1.Outcome(ToolPackj, ScopePackage) == nil || !m1.HasSetup {
		t.Errorf("m1 outcomes %+v, HasSetup %v (from packj)", m1.Outcomes, m1.HasSetup)
	}
	// m2 was loaded: it has a setup.py, and packj's missing setup.py report
	// is "missing", not "no setup.py".
	if m2 := &res.Packages[2]; !m2.HasSetup || m2.Outcome(ToolPackj, ScopeSetup).Status != StatusMissing {
		t.Errorf("m2 %+v", m2)
	}
	if o := res.Packages[1].Outcome(ToolBandit, ScopePackage); o == nil || o.Status != StatusOK {
		t.Errorf("b1 bandit %+v", o)
	}
}
