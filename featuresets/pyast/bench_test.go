package pyast

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchCorpus is up to 16 MB of real, well-formed Python: the standard
// library of the system interpreter, in path order so every run parses the
// same bytes. It bounds what tree-sitter can do on this machine.
func benchCorpus(b *testing.B) ([][]byte, int64) {
	b.Helper()
	dirs, _ := filepath.Glob("/usr/lib/python3.*")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		b.Skip("no /usr/lib/python3.* standard library to parse")
	}
	var paths []string
	_ = filepath.WalkDir(dirs[len(dirs)-1], func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".py") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var srcs [][]byte
	var total int64
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil || len(src) > DefaultMaxBytes {
			continue
		}
		srcs = append(srcs, src)
		if total += int64(len(src)); total >= 16<<20 {
			break
		}
	}
	if total == 0 {
		b.Skip("standard library has no Python files")
	}
	return srcs, total
}

// BenchmarkParse measures tree-sitter alone (parse and free the tree) and
// the whole analysis, in MB/s of source per core. The parse figure is the
// floor of feature extraction: the dataset holds about 610 MB of Python.
func BenchmarkParse(b *testing.B) {
	srcs, total := benchCorpus(b)
	p, err := NewParser()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.Run("tree-sitter", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; i < b.N; i++ {
			for _, src := range srcs {
				tree, err := p.parse(src, time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				tree.Close()
			}
		}
	})
	b.Run("analyze", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; i < b.N; i++ {
			for _, src := range srcs {
				if _, err := p.Analyze(src, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
