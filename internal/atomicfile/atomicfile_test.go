package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrite writes new and replaced files, in existing and new folders, and
// checks the content and that no temporary file is left behind.
func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		rel  string
		old  []byte // nil: no file before
		data []byte
	}{
		{name: "new file", rel: "a.json", data: []byte("{}\n")},
		{name: "replace", rel: "b.csv", old: []byte("old, longer content\n"), data: []byte("new\n")},
		{name: "new folder", rel: filepath.Join("x", "y", "c.bin"), data: []byte{0, 1, 2}},
		{name: "empty", rel: "d", old: []byte("x"), data: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, tc.rel)
			if tc.old != nil {
				if err := os.WriteFile(name, tc.old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(name, tc.data); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := os.ReadFile(name)
			if err != nil || string(got) != string(tc.data) {
				t.Errorf("read back %q, %v; want %q", got, err, tc.data)
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(name), ".tmp-*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestWriteInStaysInRoot: a path leaving the root is refused and writes
// nothing outside it.
func TestWriteInStaysInRoot(t *testing.T) {
	base := t.TempDir()
	inner := filepath.Join(base, "inner")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(inner)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, rel := range []string{"../escape", "/abs"} {
		if err := WriteIn(root, rel, []byte("x")); err == nil {
			t.Errorf("WriteIn(%q): no error", rel)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "escape")); err == nil {
		t.Error("a file was written outside the root")
	}
	if err := WriteIn(root, "ok/file", []byte("y")); err != nil {
		t.Errorf("WriteIn inside the root: %v", err)
	}
}
