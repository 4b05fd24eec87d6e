package featuresets

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sha = "3f786850e387550fdab836ed7e6dc881de23001b3f786850e387550fdab836ed"

func sampleRow() *Row {
	v := make([]float64, len(catalogue))
	for i := range v {
		v[i] = float64(i) / 3
	}
	return &Row{Values: v, Tokens: map[string]int{"os": 2, "system": 1}, PythonErrors: 1,
		Findings: []Finding{{File: "setup.py", Line: 3, Family: "process", Snippet: "os.system('id')"}}}
}

func TestCacheRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	if _, ok := c.Get(sha); ok {
		t.Fatal("hit on an empty cache")
	}
	want := sampleRow()
	if err := c.Put(sha, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(strings.ToUpper(sha))
	if !ok {
		t.Fatal("miss after Put")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	leftovers, _ := filepath.Glob(filepath.Join(c.Dir, "*", "*", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temp files left behind: %v", leftovers)
	}
}

// TestCacheRejectsBadEntries: a corrupt, truncated, foreign or stale entry
// is a miss, never trusted.
func TestCacheRejectsBadEntries(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(t *testing.T, c *Cache, file string)
	}{
		{"flipped byte", func(t *testing.T, c *Cache, file string) {
			b, _ := os.ReadFile(file)
			b[len(b)/2] ^= 0xff
			os.WriteFile(file, b, 0o644)
		}},
		{"truncated", func(t *testing.T, c *Cache, file string) {
			b, _ := os.ReadFile(file)
			os.WriteFile(file, b[:len(b)/2], 0o644)
		}},
		{"empty", func(t *testing.T, c *Cache, file string) { os.WriteFile(file, nil, 0o644) }},
		{"entry of another archive", func(t *testing.T, c *Cache, file string) {
			other := strings.Repeat("ab", 32)
			if err := c.Put(other, sampleRow()); err != nil {
				t.Fatal(err)
			}
			p, _ := c.path(other)
			b, _ := os.ReadFile(p)
			os.WriteFile(file, b, 0o644)
		}},
		{"wrong number of values", func(t *testing.T, c *Cache, file string) {
			r := sampleRow()
			r.Values = r.Values[:3]
			if err := c.Put(sha, r); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cache{Dir: t.TempDir()}
			if err := c.Put(sha, sampleRow()); err != nil {
				t.Fatal(err)
			}
			file, _ := c.path(sha)
			tt.mangle(t, c, file)
			if r, ok := c.Get(sha); ok {
				t.Errorf("bad entry trusted: %+v", r)
			}
		})
	}
}

func TestCacheBadKeysAndDir(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	for _, k := range []string{"", "abc", "../../etc/passwd", strings.Repeat("g", 64)} {
		if err := c.Put(k, sampleRow()); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
		if _, ok := c.Get(k); ok {
			t.Errorf("Get(%q) hit", k)
		}
	}
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, []byte("x"), 0o644)
	if err := (&Cache{Dir: file}).Put(sha, sampleRow()); err == nil {
		t.Error("Put into a file path succeeded")
	}
}

// TestFeaturesDocUpToDate fails when docs/features.md differs from
// `pypimal features list`; regenerate with `make docs`.
func TestFeaturesDocUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "docs", "features.md"))
	if err != nil {
		t.Fatalf("docs/features.md: %v (run `make docs`)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Error("docs/features.md is stale: run `make docs`")
	}
}
