package baselines

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// banditOn runs the real bandit on a hand-written package, both scopes.
func banditOn(t *testing.T, bin string, files ...string) (pkg, setup Outcome) {
	t.Helper()
	ini := filepath.Join(t.TempDir(), "bandit.ini")
	if err := os.WriteFile(ini, []byte("[bandit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := pkgOf(files...)
	pkg = Outcome{Tool: ToolBandit, Scope: ScopePackage}
	setup = Outcome{Tool: ToolBandit, Scope: ScopeSetup, Status: StatusNoSetup}
	err := WithTree(t.TempDir(), p, TreeLimits{}, func(dir string) error {
		runBanditScope(context.Background(), bin, dir, ini, ScopePackage, time.Minute, 1<<24, &pkg)
		if p.File("setup.py") != nil {
			runBanditScope(context.Background(), bin, dir, ini, ScopeSetup, time.Minute, 1<<24, &setup)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkg, setup
}

// TestBanditOnHandWrittenPackage runs bandit on a small package written
// into a temp folder and checks the parsed counts against what bandit 1.6.2
// is known to report for it. The raw output is the fixture for ParseBandit.
func TestBanditOnHandWrittenPackage(t *testing.T) {
	bin := requireBandit(t)
	// A .bandit file in the package must not change the scan.
	pkg, setup := banditOn(t, bin,
		"setup.py", evilSetup,
		"mod/__init__.py", benignModule,
		"mod/broken.py", brokenModule,
		".bandit", "[bandit]\nskips: B102,B404,B605,B607\nexclude: ./setup.py\n")
	for _, o := range []Outcome{pkg, setup} {
		if o.Status != StatusOK {
			t.Fatalf("%s: status %s: %s\n%s", o.Scope, o.Status, o.Err, o.Raw)
		}
		// os.system with a shell string: B605 and B607; exec: B102; import subprocess: B404.
		for _, id := range []string{"B102", "B404", "B605", "B607"} {
			if o.ByTest[id] != 1 {
				t.Errorf("%s: %s fired %d times, want 1 (tests %v)", o.Scope, id, o.ByTest[id], o.ByTest)
			}
		}
		sum := func(m map[string]int) int {
			n := 0
			for _, v := range m {
				n += v
			}
			return n
		}
		if sum(o.BySeverity) != o.Alerts || sum(o.ByConfidence) != o.Alerts || sum(o.ByTest) != o.Alerts {
			t.Errorf("%s: breakdowns %v %v %v do not add up to %d", o.Scope, o.BySeverity, o.ByConfidence, o.ByTest, o.Alerts)
		}
		if o.BySeverity["MEDIUM"] < 1 || o.BySeverity["LOW"] < 3 {
			t.Errorf("%s: severities %v", o.Scope, o.BySeverity)
		}
		if !o.Timed || o.Seconds <= 0 {
			t.Errorf("%s: no time", o.Scope)
		}
	}
	if pkg.Alerts != setup.Alerts {
		t.Errorf("package %d alerts, setup.py %d: the other files are clean", pkg.Alerts, setup.Alerts)
	}
	if len(pkg.ToolErrors) != 1 || !strings.Contains(pkg.ToolErrors[0], "broken.py") {
		t.Errorf("package scope bandit errors %v, want the syntax error in mod/broken.py", pkg.ToolErrors)
	}
	if len(setup.ToolErrors) != 0 {
		t.Errorf("setup.py scope bandit errors %v", setup.ToolErrors)
	}
	if strings.Contains(string(pkg.Raw), os.TempDir()) {
		t.Errorf("raw JSON names the temp folder; file names should be relative")
	}

	// The raw output is the fixture: parsing it again gives the same counts.
	rep, err := ParseBandit(pkg.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Alerts != pkg.Alerts || rep.ByTest["B102"] != 1 || len(rep.Errors) != 1 || rep.LOC == 0 {
		t.Errorf("reparsed %+v", rep)
	}

	// A harmless package: no alerts, exit status 0.
	clean, setup2 := banditOn(t, bin, "mod/__init__.py", benignModule)
	if clean.Status != StatusOK || clean.Alerts != 0 || setup2.Status != StatusNoSetup {
		t.Errorf("clean package: %+v / %+v", clean, setup2)
	}
	// No Python at all.
	none, _ := banditOn(t, bin, "README", "hello\n")
	if none.Status != StatusOK || none.Alerts != 0 {
		t.Errorf("package without Python: status %s alerts %d err %s", none.Status, none.Alerts, none.Err)
	}
}

func TestDetectBandit(t *testing.T) {
	bin := requireBandit(t)
	info, err := DetectBandit(context.Background(), bin, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version == "" || info.Python == "" || info.Binary == "" {
		t.Errorf("info %+v", info)
	}
	t.Logf("bandit %s on Python %s, string tests fire: %v", info.Version, info.Python, info.StringTests)
	if strings.HasPrefix(info.Version, "1.6.") && pythonAtLeast(info.Python, 3, 8) {
		if info.StringTests || !strings.Contains(info.Note, "B105") {
			t.Errorf("bandit 1.6 on Python %s: StringTests %v, note %q", info.Python, info.StringTests, info.Note)
		}
	}
	if info.StringTests != (info.Note == "") {
		t.Errorf("StringTests %v but note %q", info.StringTests, info.Note)
	}
}

func pythonAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	a, _ := strconv.Atoi(parts[0])
	b, _ := strconv.Atoi(parts[1])
	return a > major || a == major && b >= minor
}

func TestParseBanditRejects(t *testing.T) {
	for _, in := range []string{"", "not json", "{}", `{"results": null}`, `[1,2]`, `{"results": [1]}`} {
		if _, err := ParseBandit([]byte(in)); err == nil {
			t.Errorf("ParseBandit(%q) succeeded", in)
		}
	}
	rep, err := ParseBandit([]byte(`{"errors": [{"filename": "b.py", "reason": "r2"}, {"filename": "a.py", "reason": "r1"}],
		"results": [{"test_id": "B102", "issue_severity": "MEDIUM", "issue_confidence": "HIGH"},
		{"test_name": "blacklist", "issue_severity": "", "issue_confidence": "low"}],
		"metrics": {"_totals": {"loc": 12}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Alerts != 2 || rep.ByTest["B102"] != 1 || rep.ByTest["?blacklist"] != 1 ||
		rep.BySeverity["UNDEFINED"] != 1 || rep.ByConfidence["LOW"] != 1 || rep.LOC != 12 ||
		strings.Join(rep.Errors, "|") != "a.py: r1|b.py: r2" {
		t.Errorf("parsed %+v", rep)
	}
}

// TestBanditTimeoutKillsProcessGroup: a fake bandit that sleeps (and starts
// a child that sleeps) is killed, child included, at the timeout.
func TestBanditTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	bin := fakeBandit(t, "sleep 60 & echo $! > "+pidFile+"\nwait")
	o := Outcome{}
	start := time.Now()
	runBanditScope(context.Background(), bin, t.TempDir(), os.DevNull, ScopePackage, 300*time.Millisecond, 1<<20, &o)
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %s", el)
	}
	if o.Status != StatusTimeout || !strings.Contains(o.Err, "timed out") {
		t.Errorf("status %s err %q", o.Status, o.Err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("child pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		// A killed child may linger as a zombie until init reaps it; that
		// is dead too. Check /proc for its state.
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still alive after the timeout", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBanditFailuresAreRecorded(t *testing.T) {
	cases := []struct {
		name, body string
		status     Status
		errPart    string
	}{
		{"bad json", "echo 'this is not json'; exit 1", StatusError, "bandit JSON"},
		{"crash", "echo 'Traceback: boom' >&2; exit 2", StatusError, "exit status 2"},
		{"killed", "kill -9 $$", StatusError, ""},
		{"no results", "echo '{\"errors\": []}'; exit 0", StatusError, "no results"},
		{"issues found", "echo '{\"errors\": [], \"results\": [{\"test_id\": \"B102\"}]}'; exit 1", StatusOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := fakeBandit(t, c.body)
			o := Outcome{}
			runBanditScope(context.Background(), bin, t.TempDir(), os.DevNull, ScopePackage, 30*time.Second, 1<<20, &o)
			if o.Status != c.status || !strings.Contains(o.Err, c.errPart) {
				t.Errorf("status %s err %q, want %s with %q", o.Status, o.Err, c.status, c.errPart)
			}
		})
	}
	// Output over the cap.
	bin := fakeBandit(t, "head -c 100000 /dev/zero | tr '\\0' 'x'")
	o := Outcome{}
	runBanditScope(context.Background(), bin, t.TempDir(), os.DevNull, ScopePackage, 30*time.Second, 1000, &o)
	if o.Status != StatusError || !strings.Contains(o.Err, "larger than") {
		t.Errorf("big output: status %s err %q", o.Status, o.Err)
	}
}
