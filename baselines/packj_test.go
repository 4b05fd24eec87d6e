package baselines

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/dataset"
)

func TestParsePackjLine(t *testing.T) {
	line := `{"alerts": 2, "error": null, "id": "m00049", "permissions": {"performs a process operation": 1, "reads files and dirs": 3, "generates new code at runtime": 2}, "risks": {"undesirable": ["accesses files and dirs: reads files and dirs", "forks or exits OS processes: performs a process operation", "accesses files and dirs: reads files and dirs"]}, "scope": "package", "seconds": 0.054}`
	r, err := ParsePackjLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "m00049" || r.Scope != ScopePackage || r.Alerts != 2 || r.Reported != 2 || !r.Timed || r.Seconds != 0.054 ||
		r.NoSetup || r.Error != "" {
		t.Errorf("parsed %+v", r)
	}
	if r.Risks[0] != "undesirable: accesses files and dirs: reads files and dirs" {
		t.Errorf("risks %q", r.Risks)
	}
	if r.Permissions["reads files and dirs"] != 3 || r.Permissions["generates new code at runtime"] != 2 || len(r.Permissions) != 3 {
		t.Errorf("permissions %v", r.Permissions)
	}

	noSetup := `{"alerts": 0, "error": "no setup.py", "id": "b00001", "permissions": {}, "risks": {}, "scope": "setup.py"}`
	r, err = ParsePackjLine([]byte(noSetup))
	if err != nil {
		t.Fatal(err)
	}
	if !r.NoSetup || r.Error != "" || r.Scope != ScopeSetup || r.Timed || r.Alerts != 0 {
		t.Errorf("no setup.py: %+v", r)
	}

	failed := `{"alerts": 0, "error": "parse error: is python2 installed?", "id": "m1", "permissions": " N/A", "risks": null, "scope": "package"}`
	r, err = ParsePackjLine([]byte(failed))
	if err != nil {
		t.Fatal(err)
	}
	if r.Error != "parse error: is python2 installed?" || r.NoSetup {
		t.Errorf("failed: %+v", r)
	}
	r, err = ParsePackjLine([]byte(`{"id": "m1", "scope": "package", "permissions": " N/A", "risks": null}`))
	if err != nil || !strings.Contains(r.Error, "N/A") {
		t.Errorf("permissions N/A: %+v %v", r, err)
	}

	for _, bad := range []string{
		``, `not json`, `{}`, `{"id": "m1"}`, `{"id": "", "scope": "package"}`,
		`{"id": "m1", "scope": "whole"}`,
		`{"id": "m1", "scope": "package", "permissions": {"x": -1}}`,
		`{"id": "m1", "scope": "package", "permissions": {"x": 1.5}}`,
		`{"id": "m1", "scope": "package", "permissions": [1]}`,
		`{"id": "m1", "scope": "package", "risks": {"x": "not a list"}}`,
	} {
		if _, err := ParsePackjLine([]byte(bad)); err == nil {
			t.Errorf("ParsePackjLine(%q) succeeded", bad)
		}
	}
}

func TestReadPackjRejectsRepeats(t *testing.T) {
	in := `{"id": "m1", "scope": "package", "risks": {}, "permissions": {}}
{"id": "m1", "scope": "setup.py", "risks": {}, "permissions": {}}

{"id": "m1", "scope": "package", "risks": {}, "permissions": {}}
`
	if _, err := ReadPackj(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %v, want a repeat on line 4", err)
	}
	set, err := ReadPackj(strings.NewReader(in[:strings.LastIndex(strings.TrimSpace(in), "\n")]))
	if err != nil || set.Len() != 2 {
		t.Fatalf("set %v, err %v", set, err)
	}
	if _, ok := set.Get("m1", ScopeSetup); !ok {
		t.Error("m1/setup.py missing")
	}
}

// TestPackjLiveReports: packj's own JSON report, named after the row.
func TestPackjLiveReports(t *testing.T) {
	dir := t.TempDir()
	live := `{"pm_name": "local_python", "pkg_name": "sample", "pkg_ver": "1.0",
	  "permissions": {"performs a process operation": 2, "generates new code at runtime": 1},
	  "risks": {"undesirable": ["forks or exits OS processes: performs a process operation"],
	            "suspicious": ["invalid or no author email: no email", "forks or exits OS processes: performs a process operation"]},
	  "composition": {"num_files": 2}}`
	files := map[string]string{
		"m1-package.json":  live,
		"m1-setup.py.json": `{"pm_name": "local_python", "pkg_name": "sample", "risks": null, "permissions": {"performs a process operation": 1}}`,
		"m2-package.json":  `{"pkg_name": "other", "risks": null, "permissions": " N/A"}`,
		"m3-package.json":  `{not json`,
		"m4-package.json":  `{"id": "m4", "scope": "package", "alerts": 0, "error": null, "risks": {}, "permissions": {}, "seconds": 0.1}`,
		"report_x1.json":   live, // packj's own name: not a row, ignored
		"m5.json":          live, // no scope in the name: ignored
		"notes.txt":        "ignored",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := ReadPackjDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 5 || set.Kind != "dir" {
		t.Errorf("%d reports (%v), want 5", set.Len(), set.Reports())
	}
	r, _ := set.Get("m1", ScopePackage)
	if r.Alerts != 3 || r.Reported != -1 || r.Permissions["generates new code at runtime"] != 1 || r.Timed {
		t.Errorf("m1 package: %+v", r)
	}
	r, _ = set.Get("m1", ScopeSetup)
	if r.Alerts != 0 || r.Permissions["performs a process operation"] != 1 || r.Error != "" {
		t.Errorf("m1 setup.py: %+v", r)
	}
	if r, ok := set.Get("m2", ScopePackage); !ok || !strings.Contains(r.Error, "N/A") {
		t.Errorf("m2: %+v", r)
	}
	if r, ok := set.Get("m3", ScopePackage); !ok || r.Error == "" {
		t.Errorf("m3 (broken JSON) should be a failed report: %+v", r)
	}
	if r, ok := set.Get("m4", ScopePackage); !ok || r.Error != "" || !r.Timed {
		t.Errorf("m4 (jsonl-style): %+v", r)
	}
	if PackjFileName("m1", ScopeSetup) != "m1-setup.py.json" {
		t.Errorf("PackjFileName = %q", PackjFileName("m1", ScopeSetup))
	}
}

// TestPackjRealFile checks ../shared/baselines/packj/packj-static.jsonl
// against the manifest: one report per train and test row and scope,
// recounted alerts equal to the file's, "no setup.py" exactly where the
// README says (every benign package), and the dropped categories present.
func TestPackjRealFile(t *testing.T) {
	dataDir := testDataDir(t)
	set, err := ReadPackjFile(testPackjFile(t, dataDir))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := dataset.ReadManifestFile(filepath.Join(dataDir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dataset.Row{}
	for _, r := range rows {
		if r.PaperSplit == "train" || r.PaperSplit == "test" {
			want[r.ID] = r
		}
	}
	if set.Len() != 2*len(want) {
		t.Errorf("%d reports, want %d (2 × %d train+test rows)", set.Len(), 2*len(want), len(want))
	}
	dropped := map[string]int{}
	var noSetupMal, failed int
	for _, r := range set.Reports() {
		row, ok := want[r.ID]
		if !ok {
			t.Errorf("%s: not a train/test row", r.ID)
			continue
		}
		if r.Alerts != r.Reported {
			t.Errorf("%s/%s: %d distinct risk strings, file says %d", r.ID, r.Scope, r.Alerts, r.Reported)
		}
		if r.Error != "" {
			failed++
		}
		if r.Scope == ScopeSetup && row.Label == dataset.Benign && !r.NoSetup {
			t.Errorf("%s: benign package with a setup.py report", r.ID)
		}
		if r.Scope == ScopeSetup && row.Label == dataset.Malicious && r.NoSetup {
			noSetupMal++
		}
		if r.NoSetup && (r.Alerts != 0 || r.Scope != ScopeSetup) {
			t.Errorf("%s/%s: no setup.py with %d alerts", r.ID, r.Scope, r.Alerts)
		}
		if !r.NoSetup && !r.Timed {
			t.Errorf("%s/%s: no seconds", r.ID, r.Scope)
		}
		for c := range r.Permissions {
			if IsPackjDropped(c) {
				dropped[c]++
			}
		}
	}
	for id := range want {
		for _, sc := range Scopes {
			if _, ok := set.Get(id, sc); !ok {
				t.Errorf("%s/%s: no report", id, sc)
			}
		}
	}
	for _, c := range PackjDroppedCategories {
		if dropped[c] == 0 {
			t.Errorf("dropped category %q never seen", c)
		}
	}
	t.Logf("%d reports; %d malicious without setup.py; %d failed; dropped categories %v", set.Len(), noSetupMal, failed, dropped)
}
