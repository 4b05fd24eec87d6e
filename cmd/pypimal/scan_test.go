package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pypimal/vetting/vettingtest"
)

// vetCLI runs the pypimal command tree with args and returns stdout,
// stderr and the exit status main would give.
func vetCLI(t *testing.T, args ...string) (string, string, int, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	code := 0
	if err != nil {
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
	}
	return out.String(), errOut.String(), code, err
}

// TestTrainAndScanCLI trains a forest with `pypimal train` on a hand-made
// dataset and scans hand-made packages with `pypimal scan`, checking
// outputs and exit statuses.
func TestTrainAndScanCLI(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := vettingtest.WriteDataset(data, 30, 30, 3); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "vet.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("name: vet\ndata: %s\ncache: \"off\"\nseed: 3\ncv:\n  k: 3\ntrain:\n  model: rf\n", data)), 0o644)
	model := filepath.Join(dir, "model.json")

	if _, _, code, err := vetCLI(t, "train", cfg); code != 2 || err == nil || !strings.Contains(err.Error(), "-o MODEL.json is required") {
		t.Errorf("train without -o: %d %v", code, err)
	}
	out, _, code, err := vetCLI(t, "train", cfg, "-o", model, "--set", "code+text", "--target-fpr", "0.05")
	if err != nil || code != 0 {
		t.Fatalf("train: %d %v", code, err)
	}
	for _, want := range []string{model + ": rf on code+text (leaky false), 60 training rows (30 malicious, 30 benign)", "threshold ", "(target-fpr)"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	var mf map[string]any
	b, _ := os.ReadFile(model)
	if err := json.Unmarshal(b, &mf); err != nil || mf["model"] != "rf" || mf["set"].(map[string]any)["name"] != "code+text" {
		t.Fatalf("model file: %v %v", err, mf["model"])
	}

	pk := filepath.Join(dir, "pk")
	os.Mkdir(pk, 0o755)
	bad, good := filepath.Join(pk, "bad.tar.gz"), filepath.Join(pk, "good.zip")
	if err := vettingtest.Malicious().WriteTarGz(bad); err != nil {
		t.Fatal(err)
	}
	if err := vettingtest.Benign().WriteZip(good); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.whl")
	os.WriteFile(corrupt, []byte("PK\x03\x04 broken zip"), 0o644)

	// Nothing flagged: 0.
	out, _, code, err = vetCLI(t, "scan", "--model", model, "--format", "jsonl", good)
	if code != 0 || err != nil || !strings.Contains(out, `"verdict":"benign"`) {
		t.Errorf("benign scan: exit %d, %v\n%s", code, err, out)
	}
	// Something flagged: 1 (a folder of archives: both scanned).
	out, _, code, _ = vetCLI(t, "scan", "--model", model, "--format", "text", pk)
	if code != 1 || !strings.Contains(out, "MALICIOUS") || !strings.Contains(out, "2 scanned: 1 malicious, 1 benign, 0 errors") {
		t.Errorf("folder scan: exit %d\n%s", code, out)
	}
	// An unreadable package: 2, reported, the others still scanned.
	out, errOut, code, _ := vetCLI(t, "scan", "--model", model, "--format", "jsonl", corrupt, bad, good)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 2 || len(lines) != 3 || !strings.Contains(lines[0], `"verdict":"error"`) ||
		!strings.Contains(lines[1], `"verdict":"malicious"`) || !strings.Contains(errOut, "corrupt.whl: corrupt or truncated archive") {
		t.Errorf("corrupt scan: exit %d\n%s\n%s", code, out, errOut)
	}
	// SARIF.
	out, _, code, _ = vetCLI(t, "scan", "--model", model, "-f", "sarif", bad)
	var sarif map[string]any
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif["version"] != "2.1.0" || code != 1 {
		t.Errorf("sarif: exit %d, %v", code, err)
	}
	// An empty folder: 2 with a clear message.
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	out, _, code, _ = vetCLI(t, "scan", "--model", model, "-f", "text", empty)
	if code != 2 || !strings.Contains(out, "empty folder: no package files and no archives to scan") {
		t.Errorf("empty folder: exit %d\n%s", code, out)
	}

	// Wrong model files: clear errors, exit 2.
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("this is not a model"), 0o644)
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, bytes.Replace(b, []byte(`"format": 1,`), []byte(`"format": 2,`), 1), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", good}, "--model MODEL.json is required"},
		{[]string{"scan", "--model", garbage, good}, "not a pypimal model file"},
		{[]string{"scan", "--model", other, good}, "model format version 2, this pypimal reads version 1"},
		{[]string{"scan", "--model", filepath.Join(dir, "none.json"), good}, "no such file"},
		{[]string{"scan", "--model", model, "--format", "xml", good}, "unknown output format"},
	} {
		_, _, code, err := vetCLI(t, c.args...)
		if code != 2 || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want %q", c.args, code, err, c.want)
		}
	}
}
