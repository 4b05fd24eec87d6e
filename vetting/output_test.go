package vetting

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/vetting/vettingtest"
)

// scanTo scans paths into format and returns the output.
func scanTo(t *testing.T, m *Model, format string, paths ...string) (string, Summary) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewResultWriter(format, &buf, m)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := NewScanner(m, ScanOptions{}).Scan(context.Background(), paths, w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(sum); err != nil {
		t.Fatal(err)
	}
	return buf.String(), sum
}

// mixedInput is the hand-made malicious package as a folder and a .tar.gz,
// the benign one as a .zip, and a corrupt archive.
func mixedInput(t *testing.T) []string {
	fx := fixtures(t)
	corrupt := filepath.Join(t.TempDir(), "corrupt.tar.gz")
	os.WriteFile(corrupt, []byte("\x1f\x8b\x08\x00 definitely not gzip"), 0o644)
	return []string{fx["malicious/dir"], fx["malicious/tar.gz"], fx["benign/zip"], corrupt}
}

func TestTextOutput(t *testing.T) {
	m := trainedModel(t, "rf")
	out, sum := scanTo(t, m, FormatText, mixedInput(t)...)
	line := vettingtest.Malicious().Line("setup.py", "exec(base64.b64decode(")
	for _, want := range []string{
		"VERDICT    SCORE   PACKAGE\n",
		"MALICIOUS  ",
		"(reqeusts-toolbelt 0.0.1)",
		"reason  ",
		"code    setup.py:" + itoa(line) + " exec(base64.b64decode(\"",
		"benign     ",
		"(tidytext 2.3.1)",
		"ERROR      -       ",
		"corrupt.tar.gz: corrupt or truncated archive",
		"4 scanned: 2 malicious, 1 benign, 1 errors. Model rf on all, malicious when score > ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if sum.ExitCode() != 2 {
		t.Errorf("exit %d", sum.ExitCode())
	}
}

func TestCleanForTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"plain(text)":           "plain(text)",
		"red\x1b[31mtext":       `red\x1b[31mtext`,
		"bidi\u202eevil":        `bidi\u202eevil`,
		"zero\u200bwidth":       `zero\u200bwidth`,
		"tab\there":             `tab\there`,
		"ünïcödé is fine":       "ünïcödé is fine",
		"bad \xff byte":         `bad \ufffd byte`,
		"line\nbreak\rreturn\a": `line\nbreak\rreturn\a`,
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	// A snippet from a package cannot move the cursor in the text table.
	r := Result{Path: "x", Verdict: VerdictMalicious, Score: 1, Findings: []Finding{{File: "a\x1b[2J.py", Line: 3, Family: "exec", Snippet: "exec('\x1b]0;pwned\x07')"}}}
	var buf bytes.Buffer
	w, _ := NewResultWriter(FormatText, &buf, trainedModel(t, "rf"))
	w.Write(r)
	if strings.ContainsAny(buf.String(), "\x1b\x07") {
		t.Errorf("control characters reach the terminal: %q", buf.String())
	}
}

func TestJSONLOutput(t *testing.T) {
	m := trainedModel(t, "rf")
	paths := mixedInput(t)
	out, _ := scanTo(t, m, FormatJSONL, paths...)
	sc := bufio.NewScanner(strings.NewReader(out))
	var got []map[string]any
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, v)
	}
	if len(got) != len(paths) {
		t.Fatalf("%d lines for %d packages", len(got), len(paths))
	}
	for i, v := range got {
		if v["path"] != paths[i] {
			t.Errorf("line %d is %v, want %s (input order)", i, v["path"], paths[i])
		}
	}
	for _, i := range []int{0, 1} {
		v := got[i]
		if v["verdict"] != VerdictMalicious || v["score"].(float64) <= v["threshold"].(float64) || v["score_kind"] != ScoreProbability {
			t.Errorf("malicious line %v", v)
		}
		f := v["findings"].([]any)[0].(map[string]any)
		if f["file"] != "setup.py" || f["line"].(float64) < 1 || !strings.HasPrefix(f["snippet"].(string), "exec(") {
			t.Errorf("first finding %v", f)
		}
		r := v["reasons"].([]any)[0].(map[string]any)
		for _, k := range []string{"feature", "family", "value", "benign_median", "delta", "definition"} {
			if _, ok := r[k]; !ok {
				t.Errorf("reason lacks %s: %v", k, r)
			}
		}
	}
	if got[2]["verdict"] != VerdictBenign {
		t.Errorf("benign line %v", got[2])
	}
	e := got[3]
	if e["verdict"] != VerdictError || !strings.Contains(e["error"].(string), "corrupt") {
		t.Errorf("error line %v", e)
	}
	for _, k := range []string{"score", "threshold", "score_kind", "reasons", "findings"} {
		if _, ok := e[k]; ok {
			t.Errorf("error line has %s", k)
		}
	}
}

// TestSARIFOutput checks the SARIF 2.1.0 structure: the required
// properties of the log, run, tool, rules and results, locations with a
// URI and a start line ≥ 1 (a real file for folders, a member nested in
// its archive otherwise), and errors as failed-execution notifications.
func TestSARIFOutput(t *testing.T) {
	m := trainedModel(t, "stacking")
	paths := mixedInput(t)
	out, _ := scanTo(t, m, FormatSARIF, paths...)
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || !strings.HasPrefix(log["$schema"].(string), "https://") ||
		!strings.HasSuffix(log["$schema"].(string), "sarif-schema-2.1.0.json") {
		t.Errorf("version %v schema %v", log["version"], log["$schema"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "pypimal" || driver["version"] == "" {
		t.Errorf("driver %v %v", driver["name"], driver["version"])
	}
	var ruleIDs []string
	for _, r := range driver["rules"].([]any) {
		rule := r.(map[string]any)
		id, _ := rule["id"].(string)
		if id == "" || rule["shortDescription"].(map[string]any)["text"] == "" {
			t.Errorf("rule %v", rule)
		}
		ruleIDs = append(ruleIDs, id)
	}
	if ruleIDs[0] != RuleMalicious {
		t.Errorf("rules %v", ruleIDs)
	}
	var artifacts []map[string]any
	for _, a := range asSlice(run["artifacts"]) {
		artifacts = append(artifacts, a.(map[string]any))
	}
	results := run["results"].([]any)
	perPackage := map[string]int{}
	for _, x := range results {
		r := x.(map[string]any)
		id := r["ruleId"].(string)
		ri := int(r["ruleIndex"].(float64))
		if ri < 0 || ri >= len(ruleIDs) || ruleIDs[ri] != id {
			t.Errorf("ruleIndex %d does not name %s", ri, id)
		}
		switch r["level"] {
		case "error", "warning", "note":
		default:
			t.Errorf("level %v", r["level"])
		}
		if r["message"].(map[string]any)["text"] == "" {
			t.Error("empty message")
		}
		locs := r["locations"].([]any)
		if len(locs) == 0 {
			t.Fatalf("result %s without a location", id)
		}
		pl := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
		al := pl["artifactLocation"].(map[string]any)
		uri := al["uri"].(string)
		line := pl["region"].(map[string]any)["startLine"].(float64)
		if uri == "" || line < 1 || line != float64(int(line)) {
			t.Errorf("location %q line %v", uri, line)
		}
		pkg := r["properties"].(map[string]any)["package"].(string)
		if id == RuleMalicious {
			perPackage[pkg]++
		}
		if idx, ok := al["index"]; ok {
			// A member of an archive: a nested artifact of the archive.
			a := artifacts[int(idx.(float64))]
			if a["location"].(map[string]any)["uri"] != uri {
				t.Errorf("artifact %v is not %s", a, uri)
			}
			parent := artifacts[int(a["parentIndex"].(float64))]
			if parent["location"].(map[string]any)["uri"] != fileURI(pkg) {
				t.Errorf("parent of %s is %v, want %s", uri, parent, pkg)
			}
		} else {
			// A folder: the URI is the file on disk.
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.FromSlash(u.Path)); err != nil {
				t.Errorf("location %s is not a file: %v", uri, err)
			}
		}
	}
	if perPackage[paths[0]] != 1 || perPackage[paths[1]] != 1 || perPackage[paths[2]] != 0 {
		t.Errorf("malicious-package results per package: %v", perPackage)
	}
	inv := run["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != false {
		t.Error("executionSuccessful is not false despite an unreadable package")
	}
	notes := inv["toolExecutionNotifications"].([]any)
	if len(notes) != 1 || !strings.Contains(notes[0].(map[string]any)["message"].(map[string]any)["text"].(string), "corrupt.tar.gz") {
		t.Errorf("notifications %v", notes)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestUnknownFormat(t *testing.T) {
	if _, err := NewResultWriter("xml", &bytes.Buffer{}, nil); err == nil || !strings.Contains(err.Error(), "text, jsonl, sarif") {
		t.Errorf("unknown format: %v", err)
	}
}
