package baselines

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pypimal/dataset"
)

// listTree returns every path under dir (relative, slash-separated).
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestWriteTreeWritesRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := pkgOf("setup.py", evilSetup, "mod/__init__.py", benignModule, "mod/sub/deep.py", "x = 1\n", ".hidden/run.sh", "#!/bin/sh\n")
	p.Files[3].Executable = true
	if err := WriteTree(dir, p); err != nil {
		t.Fatal(err)
	}
	want := []string{".hidden", ".hidden/run.sh", "mod", "mod/__init__.py", "mod/sub", "mod/sub/deep.py", "setup.py"}
	if got := listTree(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tree = %v, want %v", got, want)
	}
	for _, f := range p.Files {
		name := filepath.Join(dir, filepath.FromSlash(f.Path))
		st, err := os.Lstat(name)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() {
			t.Errorf("%s: mode %v, want a regular file", f.Path, st.Mode())
		}
		if st.Mode().Perm()&0o111 != 0 {
			t.Errorf("%s: executable mode %v", f.Path, st.Mode())
		}
		data, _ := os.ReadFile(name)
		if string(data) != string(f.Data) {
			t.Errorf("%s: content differs", f.Path)
		}
	}
}

// TestWriteTreeHostilePaths: nothing is written, inside or outside dir, for
// a package with any unsafe path, and the error says why.
func TestWriteTreeHostilePaths(t *testing.T) {
	deep := strings.Repeat("d/", 100) + "x.py"
	long := strings.Repeat("n", 300) + ".py"
	cases := []struct {
		name  string
		paths []string
		want  error // nil: an OS error is fine, as long as nothing escapes
	}{
		{"dotdot", []string{"../x"}, ErrTreePath},
		{"dotdot inside", []string{"a/../../x"}, ErrTreePath},
		{"dotdot element", []string{"a/.."}, ErrTreePath},
		{"absolute", []string{"/abs"}, ErrTreePath},
		{"absolute tmp", []string{"/tmp/pypimal-escape"}, ErrTreePath},
		{"nul", []string{"a\x00b"}, ErrTreePath},
		{"backslash", []string{"..\\..\\x"}, ErrTreePath},
		{"dot", []string{"./a"}, ErrTreePath},
		{"double slash", []string{"a//b"}, ErrTreePath},
		{"trailing slash", []string{"a/"}, ErrTreePath},
		{"empty", []string{""}, ErrTreePath},
		{"invalid utf8", []string{"a\xffb"}, ErrTreePath},
		{"duplicate", []string{"a.py", "a.py"}, ErrTreePath},
		{"file then folder", []string{"a", "a/b.py"}, ErrTreePath},
		{"folder then file", []string{"a/b.py", "a"}, ErrTreePath},
		{"fine then hostile", []string{"ok.py", "../escape.py"}, ErrTreePath},
		{"deep nesting", []string{deep}, ErrTreeLimit},
		{"name too long for the OS", []string{long}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sandbox := t.TempDir()
			dir := filepath.Join(sandbox, "root")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, p := range c.paths {
				files = append(files, p, "print('x')\n")
			}
			err := WriteTree(dir, pkgOf(files...))
			if err == nil {
				t.Fatalf("WriteTree(%q) succeeded", c.paths)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if got := listTree(t, sandbox); len(got) != 1 || got[0] != "root" {
				t.Errorf("sandbox holds %v, want only the empty root", got)
			}
			if _, err := os.Stat("/tmp/pypimal-escape"); err == nil {
				t.Errorf("/tmp/pypimal-escape was written")
			}
		})
	}
}

func TestWriteTreeLimits(t *testing.T) {
	ok := strings.Repeat("d/", 10) + "x.py"
	if err := WriteTreeLimits(t.TempDir(), pkgOf(ok, "x"), TreeLimits{MaxDepth: 11}); err != nil {
		t.Errorf("depth 11 within limit 11: %v", err)
	}
	cases := []struct {
		name string
		lim  TreeLimits
		p    *dataset.Package
	}{
		{"depth", TreeLimits{MaxDepth: 10}, pkgOf(ok, "x")},
		{"file bytes", TreeLimits{MaxFileBytes: 3}, pkgOf("a.py", "abcd")},
		{"total bytes", TreeLimits{MaxTotalBytes: 5}, pkgOf("a.py", "abc", "b.py", "abc")},
		{"files", TreeLimits{MaxFiles: 1}, pkgOf("a.py", "a", "b.py", "b")},
		{"path bytes", TreeLimits{MaxPathBytes: 4}, pkgOf("abcde", "a")},
	}
	for _, c := range cases {
		dir := t.TempDir()
		err := WriteTreeLimits(dir, c.p, c.lim)
		if !errors.Is(err, ErrTreeLimit) {
			t.Errorf("%s: error %v, want ErrTreeLimit", c.name, err)
		}
		if got := listTree(t, dir); len(got) != 0 {
			t.Errorf("%s: wrote %v", c.name, got)
		}
	}
}

// TestWriteTreeLinksInDir: links already in the target folder are never
// followed out of it, and never overwritten.
func TestWriteTreeLinksInDir(t *testing.T) {
	sandbox := t.TempDir()
	outside := filepath.Join(sandbox, "outside")
	dir := filepath.Join(sandbox, "root")
	for _, d := range []string{outside, dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(outside, "target.py")
	if err := os.WriteFile(target, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "linkfile.py")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"linkdir/new.py", "linkdir/target.py", "linkfile.py"} {
		if err := WriteTree(dir, pkgOf(p, "evil")); err == nil {
			t.Errorf("%s: written through a link", p)
		}
	}
	if got := listTree(t, outside); len(got) != 1 || got[0] != "target.py" {
		t.Errorf("outside holds %v", got)
	}
	if b, _ := os.ReadFile(target); string(b) != "original" {
		t.Errorf("target overwritten: %q", b)
	}
}

func TestWithTreeRemovesFolder(t *testing.T) {
	parent := t.TempDir()
	p := pkgOf("setup.py", evilSetup, "mod/__init__.py", benignModule)
	empty := func() {
		t.Helper()
		if got := listTree(t, parent); len(got) != 0 {
			t.Errorf("parent still holds %v", got)
		}
	}

	var seen string
	err := WithTree(parent, p, TreeLimits{}, func(dir string) error {
		seen = dir
		if _, err := os.Stat(filepath.Join(dir, "mod", "__init__.py")); err != nil {
			t.Errorf("tree not written: %v", err)
		}
		return nil
	})
	if err != nil || seen == "" {
		t.Fatalf("WithTree: %v", err)
	}
	empty()

	boom := errors.New("boom")
	if err := WithTree(parent, p, TreeLimits{}, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	empty()

	called := false
	err = WithTree(parent, pkgOf("ok.py", "x", "../bad.py", "x"), TreeLimits{}, func(string) error { called = true; return nil })
	if !errors.Is(err, ErrTreePath) || called {
		t.Errorf("hostile package: error %v, callback called %v", err, called)
	}
	empty()

	func() {
		defer func() {
			if v := recover(); v != "panic in callback" {
				t.Errorf("recovered %v", v)
			}
		}()
		_ = WithTree(parent, p, TreeLimits{}, func(string) error { panic("panic in callback") })
	}()
	empty()
}

func TestFileStem(t *testing.T) {
	for in, want := range map[string]string{
		"m00001": "m00001", "b01234": "b01234", "/abs/path/pkg.tar.gz": "_abs_path_pkg.tar.gz",
		"../x": "_x", "a b": "a_b", "": "_", "..": "_",
	} {
		if got := FileStem(in); got != want {
			t.Errorf("FileStem(%q) = %q, want %q", in, got, want)
		}
	}
}
