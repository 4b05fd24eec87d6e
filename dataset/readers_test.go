package dataset

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestDecodeFormats loads one well-formed package of every format and checks
// the format found by magic, the normalised paths and the metadata.
func TestDecodeFormats(t *testing.T) {
	sdist := sdistTar(t)
	sdistPaths := []string{"PKG-INFO", "setup.py", "pkg/__init__.py"}
	tests := []struct {
		name      string // archive file name given to Decode
		data      []byte
		format    string
		paths     []string
		metaPath  string
		metaName  string // Meta.Get("name")
		metaEnc   string
		execs     []string // files with an executable bit
		debDocLen int      // >0: UncompressedBytes must exceed the kept bytes by at least this
	}{
		{name: "pkg-1.0.tar.gz", data: gzipBytes(t, sdist), format: "sdist-tar.gz",
			paths: sdistPaths, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"setup.py"}},
		{name: "pkg-1.0.tar", data: sdist, format: "sdist-tar.gz",
			paths: sdistPaths, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"setup.py"}},
		{name: "pkg-1.0.tar.xz", data: xzBytes(t, sdist), format: "sdist-tar.gz",
			paths: sdistPaths, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"setup.py"}},
		{name: "pkg-1.0.tar.zst", data: zstdBytes(t, sdist), format: "sdist-tar.gz",
			paths: sdistPaths, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"setup.py"}},
		{name: "bz-1.0.tar.bz2", data: []byte(bz2Tar), format: "sdist-tar.gz",
			paths: []string{"PKG-INFO", "bz.py"}, metaPath: "PKG-INFO", metaName: "bz"},
		// The name is never trusted: a gzip tarball named .zip is a tarball.
		{name: "pkg-1.0.zip", data: gzipBytes(t, sdist), format: "sdist-tar.gz",
			paths: sdistPaths, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"setup.py"}},
		{name: "flat.tar.gz", format: "sdist-tar.gz",
			data: gzipBytes(t, buildTar(t,
				tarEntry{name: "PKG-INFO", body: "Name: flat\n"},
				tarEntry{name: "flat/__init__.py", body: ""},
			)),
			paths: []string{"PKG-INFO", "flat/__init__.py"}, metaPath: "PKG-INFO", metaName: "flat"},
		{name: "two-tops.tar.gz", format: "sdist-tar.gz",
			data: gzipBytes(t, buildTar(t,
				tarEntry{name: "a/x.py", body: "x"},
				tarEntry{name: "b/y.py", body: "y"},
				tarEntry{name: "b/two.egg-info/PKG-INFO", body: "Name: two\n"},
			)),
			paths: []string{"a/x.py", "b/y.py", "b/two.egg-info/PKG-INFO"}, metaPath: "b/two.egg-info/PKG-INFO", metaName: "two"},
		{name: "egg.tar.gz", format: "sdist-tar.gz",
			data: gzipBytes(t, buildTar(t,
				tarEntry{name: "egg-2/setup.py", body: ""},
				tarEntry{name: "egg-2/src/deep/egg.egg-info/PKG-INFO", body: "Name: deep\n"},
				tarEntry{name: "egg-2/src/egg.egg-info/PKG-INFO", body: "Name: egg\n"},
			)),
			paths:    []string{"setup.py", "src/deep/egg.egg-info/PKG-INFO", "src/egg.egg-info/PKG-INFO"},
			metaPath: "src/egg.egg-info/PKG-INFO", metaName: "egg"},
		{name: "no-meta.tar.gz", format: "sdist-tar.gz",
			data:  gzipBytes(t, buildTar(t, tarEntry{name: "x-1/x.py", body: "x"}, tarEntry{name: "x-1/README", body: "hi"})),
			paths: []string{"x.py", "README"}},
		{name: "pkg-1.0.zip", format: "sdist-zip",
			data: buildZip(t,
				zipEntry{name: "pkg-1.0/PKG-INFO", body: "Metadata-Version: 1.0\r\nName: pkg\r\n"},
				zipEntry{name: "pkg-1.0/run.sh", body: "#!/bin/sh\n", mode: 0o755},
				zipEntry{name: "pkg-1.0/pkg/", mode: fs.ModeDir | 0o755},
				zipEntry{name: "pkg-1.0/pkg/__init__.py", body: ""},
			),
			paths: []string{"PKG-INFO", "run.sh", "pkg/__init__.py"}, metaPath: "PKG-INFO", metaName: "pkg", execs: []string{"run.sh"}},
		{name: "pkg-1.0-py3-none-any.whl", data: wheelZip(t), format: "wheel",
			paths:    []string{"pkg/__init__.py", "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/WHEEL", "pkg-1.0.dist-info/RECORD"},
			metaPath: "pkg-1.0.dist-info/METADATA", metaName: "pkg"},
		// A wheel renamed .zip is still a wheel: root dist-info/WHEEL, no shared top folder.
		{name: "renamed.zip", data: wheelZip(t), format: "wheel",
			paths:    []string{"pkg/__init__.py", "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/WHEEL", "pkg-1.0.dist-info/RECORD"},
			metaPath: "pkg-1.0.dist-info/METADATA", metaName: "pkg"},
		// A .whl without dist-info/WHEEL is a zip sdist, and is stripped like one.
		{name: "fake-1.0-py3-none-any.whl", format: "sdist-zip",
			data:  buildZip(t, zipEntry{name: "fake-1.0/PKG-INFO", body: "Name: fake\n"}, zipEntry{name: "fake-1.0/fake.py", body: ""}),
			paths: []string{"PKG-INFO", "fake.py"}, metaPath: "PKG-INFO", metaName: "fake"},
		// A wheel holding only its dist-info folder is not stripped.
		{name: "meta-only-1.0-py3-none-any.whl", format: "wheel",
			data: buildZip(t,
				zipEntry{name: "m-1.0.dist-info/METADATA", body: "Name: m\n"},
				zipEntry{name: "m-1.0.dist-info/WHEEL", body: "Wheel-Version: 1.0\n"}),
			paths: []string{"m-1.0.dist-info/METADATA", "m-1.0.dist-info/WHEEL"}, metaPath: "m-1.0.dist-info/METADATA", metaName: "m"},
		{name: "python3-foo_1.0-1_all.deb", data: buildDeb(t, "data.tar.xz", xzBytes(t, debDataTar(t))), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
		{name: "python3-foo_1.0-1_all.deb", data: buildDeb(t, "data.tar.gz", gzipBytes(t, debDataTar(t))), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
		{name: "python3-foo_1.0-1_all.deb", data: buildDeb(t, "data.tar.zst", zstdBytes(t, debDataTar(t))), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
		{name: "python3-foo_1.0-1_all.deb", data: buildDeb(t, "data.tar", debDataTar(t)), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
		// GNU ar writes "data.tar.xz/" with a trailing slash.
		{name: "gnu.deb", data: buildDeb(t, "data.tar.xz/", xzBytes(t, debDataTar(t))), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
		// A .deb named .tar.gz is still a .deb.
		{name: "misnamed.tar.gz", data: buildDeb(t, "data.tar.gz", gzipBytes(t, debDataTar(t))), format: "deb",
			paths: []string{"foo/__init__.py", "foo-1.0.egg-info/PKG-INFO"}, metaPath: "foo-1.0.egg-info/PKG-INFO", metaName: "foo", debDocLen: 60},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.name, func(t *testing.T) {
			p, err := Decode("id-1", tt.name, tt.data, testLimits())
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkPackage(t, p)
			if p.Format != tt.format {
				t.Errorf("Format = %q, want %q", p.Format, tt.format)
			}
			if p.ID() != "id-1" {
				t.Errorf("ID = %q", p.ID())
			}
			if got := paths(p); !equalStrings(got, tt.paths) {
				t.Errorf("paths = %q, want %q", got, tt.paths)
			}
			if p.MetaPath != tt.metaPath {
				t.Errorf("MetaPath = %q, want %q", p.MetaPath, tt.metaPath)
			}
			if got := p.Meta.Get("name"); got != tt.metaName {
				t.Errorf("Meta name = %q, want %q (MetaErr %v)", got, tt.metaName, p.MetaErr)
			}
			if len(p.Issues) != 0 {
				t.Errorf("issues = %+v, want none", p.Issues)
			}
			for _, f := range p.Files {
				want := false
				for _, e := range tt.execs {
					want = want || f.Path == e
				}
				if f.Executable != want {
					t.Errorf("%s: Executable = %v, want %v", f.Path, f.Executable, want)
				}
			}
			var kept int64
			for _, f := range p.Files {
				kept += f.Size
			}
			if p.UncompressedBytes < kept+int64(tt.debDocLen) {
				t.Errorf("UncompressedBytes = %d, kept %d bytes", p.UncompressedBytes, kept)
			}
		})
	}
}

// TestDecodeFileContent checks that the bytes and kinds of the files survive
// every container.
func TestDecodeFileContent(t *testing.T) {
	p, err := Decode("x", "pkg-1.0.tar.gz", gzipBytes(t, sdistTar(t)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		data string
		kind Kind
	}{
		{"setup.py", "from setuptools import setup\nsetup()\n", KindPython},
		{"pkg/__init__.py", "x = 1\n", KindPython},
		{"PKG-INFO", "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\nLong description.\n", KindText},
	}
	for _, tt := range tests {
		f := p.File(tt.path)
		if f == nil {
			t.Errorf("%s missing", tt.path)
			continue
		}
		if string(f.Data) != tt.data || f.Kind != tt.kind {
			t.Errorf("%s = %q (%s), want %q (%s)", tt.path, f.Data, f.Kind, tt.data, tt.kind)
		}
	}
	if p.File("nope") != nil {
		t.Error("File(nope) != nil")
	}
	if d := p.Meta.Description(); d != "Long description." {
		t.Errorf("Description = %q", d)
	}
}

// TestDecodeHostileEntries feeds archives with members that must be
// skipped (or repaired) and recorded, while the package itself loads.
func TestDecodeHostileEntries(t *testing.T) {
	good := tarEntry{name: "pkg-1.0/ok.py", body: "ok"}
	goodZip := zipEntry{name: "pkg-1.0/ok.py", body: "ok"}
	tgz := func(entries ...tarEntry) []byte { return gzipBytes(t, buildTar(t, entries...)) }
	tests := []struct {
		name   string
		data   []byte
		paths  []string
		issues []issueWant
		check  func(t *testing.T, p *Package)
	}{
		{name: "tar zip-slip ../../etc/passwd",
			data:   tgz(good, tarEntry{name: "../../etc/passwd", body: "root:x:0:0"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "../../etc/passwd", false}}},
		{name: "tar zip-slip a/../../x",
			data:   tgz(good, tarEntry{name: "a/../../x", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "a/../../x", false}}},
		// Any ".." element is refused, even one that would stay inside.
		{name: "tar inner dotdot",
			data:   tgz(good, tarEntry{name: "pkg-1.0/a/../b.py", body: "b"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "a/../b.py", false}}},
		{name: "tar absolute /etc/passwd",
			data:   tgz(good, tarEntry{name: "/etc/passwd", body: "root"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "/etc/passwd", false}}},
		{name: "tar backslash slip",
			data:   tgz(good, tarEntry{name: "pkg-1.0\\..\\..\\evil.py", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "evil.py", false}}},
		{name: "zip zip-slip ../../etc/passwd",
			data:   buildZip(t, goodZip, zipEntry{name: "../../etc/passwd", body: "root"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "../../etc/passwd", false}}},
		{name: "zip drive letter C:\\x",
			data:   buildZip(t, goodZip, zipEntry{name: "C:\\x", body: "x"}, zipEntry{name: "c:/Windows/x.dll", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, `C:\x`, false}, {ErrUnsafePath, "c:/Windows", false}}},
		// A drive inside the path would come to the front once the top
		// folder or the .deb prefix is removed.
		{name: "zip drive letter after the top folder",
			data:   buildZip(t, goodZip, zipEntry{name: "pkg-1.0/C:x", body: "x"}, zipEntry{name: "pkg-1.0\\d:\\y.py", body: "y"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, "C:x", false}, {ErrUnsafePath, `d:`, false}}},
		{name: "deb drive letter after dist-packages",
			data: buildDeb(t, "data.tar", buildTar(t,
				tarEntry{name: debRoot + "foo.py", body: ""},
				tarEntry{name: debRoot + "C:/x.py", body: "x"})),
			paths:  []string{"foo.py"},
			issues: []issueWant{{ErrUnsafePath, "C:/x.py", false}}},
		{name: "zip UNC and absolute",
			data:   buildZip(t, goodZip, zipEntry{name: "\\\\server\\share\\x", body: "x"}, zipEntry{name: "/abs.py", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, `server`, false}, {ErrUnsafePath, "/abs.py", false}}},
		{name: "zip NUL in name",
			data:   buildZip(t, goodZip, zipEntry{name: "pkg-1.0/a\x00.py", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, `a\x00.py`, false}}},
		{name: "zip dot name",
			data:   buildZip(t, goodZip, zipEntry{name: "./", body: ""}, zipEntry{name: ".", body: "x"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsafePath, ".", false}}},
		{name: "tar symlink and hard link",
			data: tgz(good,
				tarEntry{name: "pkg-1.0/passwd", typ: tar.TypeSymlink, link: "/etc/passwd"},
				tarEntry{name: "pkg-1.0/hard", typ: tar.TypeLink, link: "pkg-1.0/ok.py"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrLink, "pkg-1.0/passwd", false}, {ErrLink, "pkg-1.0/hard", false}}},
		{name: "zip symlink",
			data:   buildZip(t, goodZip, zipEntry{name: "pkg-1.0/passwd", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrLink, "pkg-1.0/passwd", false}}},
		{name: "tar devices and fifo",
			data: tgz(good,
				tarEntry{name: "pkg-1.0/null", typ: tar.TypeChar},
				tarEntry{name: "pkg-1.0/sda", typ: tar.TypeBlock},
				tarEntry{name: "pkg-1.0/fifo", typ: tar.TypeFifo}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrDevice, "null", false}, {ErrDevice, "sda", false}, {ErrDevice, "fifo", false}}},
		{name: "zip devices",
			data: buildZip(t, goodZip,
				zipEntry{name: "pkg-1.0/null", mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
				zipEntry{name: "pkg-1.0/fifo", mode: fs.ModeNamedPipe | 0o666}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrDevice, "null", false}, {ErrDevice, "fifo", false}}},
		{name: "tar pax global header",
			data:   tgz(tarEntry{name: "pax_global_header", typ: tar.TypeXGlobalHeader, body: "x"}, good),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrUnsupported, "GlobalHead", false}}},
		{name: "tar invalid UTF-8 name",
			data:   tgz(good, tarEntry{name: "pkg-1.0/caf\xe9.py", body: "latin"}),
			paths:  []string{"ok.py", "caf\uFFFD.py"},
			issues: []issueWant{{ErrInvalidName, `caf\xe9.py`, true}},
			check: func(t *testing.T, p *Package) {
				if f := p.File("caf\uFFFD.py"); f == nil || string(f.Data) != "latin" || f.Kind != KindPython {
					t.Errorf("repaired file = %+v", f)
				}
			}},
		{name: "zip invalid UTF-8 name",
			data:   buildZip(t, goodZip, zipEntry{name: "pkg-1.0/\xff\xfe.txt", body: "x"}),
			paths:  []string{"ok.py", "\uFFFD.txt"}, // one U+FFFD per invalid run
			issues: []issueWant{{ErrInvalidName, `\xff\xfe.txt`, true}}},
		// A link whose name is not UTF-8 is refused as a link; nothing was kept.
		{name: "tar invalid UTF-8 link",
			data:   tgz(good, tarEntry{name: "pkg-1.0/l\xe9", typ: tar.TypeSymlink, link: "/"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrLink, `l\xe9`, false}}},
		// Two names that repair to the same one: the second is a duplicate.
		{name: "tar invalid UTF-8 names colliding",
			data:   tgz(good, tarEntry{name: "pkg-1.0/caf\xe9.py", body: "first"}, tarEntry{name: "pkg-1.0/caf\xe8.py", body: "second"}),
			paths:  []string{"ok.py", "caf\uFFFD.py"},
			issues: []issueWant{{ErrInvalidName, `caf\xe9.py`, true}, {ErrDuplicate, `caf\xe8.py`, false}}},
		// Invalid names outside a .deb's package tree are not the package's business.
		{name: "deb invalid UTF-8 outside dist-packages",
			data: buildDeb(t, "data.tar.gz", gzipBytes(t, buildTar(t,
				tarEntry{name: debRoot + "foo.py", body: ""},
				tarEntry{name: "./usr/share/locale/\xff.mo", body: "x"},
			))),
			paths: []string{"foo.py"}},
		{name: "tar duplicate keeps the first",
			data: tgz(good,
				tarEntry{name: "pkg-1.0/ok.py", body: "second"},
				tarEntry{name: "./pkg-1.0//ok.py", body: "third"},
				tarEntry{name: "pkg-1.0\\ok.py", body: "fourth"}),
			paths: []string{"ok.py"},
			issues: []issueWant{{ErrDuplicate, "pkg-1.0/ok.py", false}, {ErrDuplicate, "./pkg-1.0//ok.py", false},
				{ErrDuplicate, `pkg-1.0\ok.py`, false}},
			check: func(t *testing.T, p *Package) {
				if got := string(p.File("ok.py").Data); got != "ok" {
					t.Errorf("kept %q, want the first entry", got)
				}
			}},
		{name: "zip duplicate keeps the first",
			data:   buildZip(t, goodZip, zipEntry{name: "pkg-1.0/ok.py", body: "second"}),
			paths:  []string{"ok.py"},
			issues: []issueWant{{ErrDuplicate, "pkg-1.0/ok.py", false}},
			check: func(t *testing.T, p *Package) {
				if got := string(p.File("ok.py").Data); got != "ok" {
					t.Errorf("kept %q, want the first entry", got)
				}
			}},
		{name: "deb: slip, links and Debian files",
			data: buildDeb(t, "data.tar.xz", xzBytes(t, buildTar(t,
				tarEntry{name: debRoot + "foo/__init__.py", body: ""},
				tarEntry{name: debRoot + "foo/../../../../../etc/shadow", body: "x"},
				tarEntry{name: debRoot + "foo/link", typ: tar.TypeSymlink, link: "/etc/shadow"},
				tarEntry{name: "./usr/bin/outside-link", typ: tar.TypeSymlink, link: "/etc/shadow"},
				tarEntry{name: "./dev/null", typ: tar.TypeChar},
			))),
			paths:  []string{"foo/__init__.py"},
			issues: []issueWant{{ErrUnsafePath, "etc/shadow", false}, {ErrLink, "foo/link", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode("hostile", "x.tar.gz", tt.data, testLimits())
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkPackage(t, p)
			if got := paths(p); !equalStrings(got, tt.paths) {
				t.Errorf("paths = %q, want %q", got, tt.paths)
			}
			checkIssues(t, p, tt.issues)
			for _, is := range p.Issues {
				if is.Kept {
					continue
				}
				for _, f := range p.Files {
					if strings.Contains(string(f.Data), "root") || strings.Contains(f.Path, "passwd") {
						t.Errorf("skipped entry %q leaked into %q", is.Path, f.Path)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestDecodeErrors feeds archives that must fail as a whole, each with its
// specific reason.
func TestDecodeErrors(t *testing.T) {
	zeros := make([]byte, 2<<20)
	bomb := gzipBytes(t, buildTar(t, tarEntry{name: "bomb-1/zeros.bin", body: string(zeros)}))
	sdistGz := gzipBytes(t, sdistTar(t))
	sdistXz := xzBytes(t, sdistTar(t))
	sdistZst := zstdBytes(t, sdistTar(t))
	plainTar := buildTar(t, tarEntry{name: "a/big.txt", body: strings.Repeat("x", 5000)})
	// Folders only: no file data, every byte is read as a tar header.
	headers := func(n int) []byte {
		es := []tarEntry{{name: "h-1/a.py", body: "x"}}
		for i := range n {
			es = append(es, tarEntry{name: fmt.Sprintf("h-1/d%05d/", i), typ: tar.TypeDir})
		}
		return gzipBytes(t, buildTar(t, es...))
	}
	many := func(n int) []byte {
		var es []tarEntry
		for i := range n {
			es = append(es, tarEntry{name: "m-1/f" + string(rune('a'+i)) + ".py", body: "x"})
		}
		return gzipBytes(t, buildTar(t, es...))
	}
	lim := func(f func(*Limits)) Limits {
		l := testLimits()
		f(&l)
		return l
	}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		kind error
	}{
		{name: "zero bytes", data: nil, kind: ErrEmpty},
		{name: "empty tar.gz", data: gzipBytes(t, buildTar(t)), kind: ErrEmpty},
		{name: "empty zip", data: buildZip(t), kind: ErrEmpty},
		{name: "only folders", data: gzipBytes(t, buildTar(t, tarEntry{name: "a/", typ: tar.TypeDir})), kind: ErrEmpty},
		{name: "only links", data: gzipBytes(t, buildTar(t, tarEntry{name: "a", typ: tar.TypeSymlink, link: "/"})), kind: ErrEmpty},
		{name: "only unsafe", data: buildZip(t, zipEntry{name: "../x", body: "x"}), kind: ErrEmpty},
		{name: "deb with nothing in dist-packages", data: buildDeb(t, "data.tar.gz", gzipBytes(t, buildTar(t,
			tarEntry{name: "./usr/bin/x", body: "x"}))), kind: ErrEmpty},

		{name: "gzip bomb ratio", data: bomb, kind: ErrRatioTooHigh,
			lim: lim(func(l *Limits) { l.MaxFileBytes, l.RatioFloor, l.MaxRatio = 4<<20, 64<<10, 20 })},
		{name: "gzip bomb total", data: bomb, kind: ErrTotalTooLarge,
			lim: lim(func(l *Limits) { l.MaxFileBytes, l.MaxTotalBytes = 4<<20, 1<<20 })},
		{name: "zstd bomb total", data: zstdBytes(t, buildTar(t, tarEntry{name: "z-1/zeros", body: string(zeros)})), kind: ErrTotalTooLarge,
			lim: lim(func(l *Limits) { l.MaxFileBytes, l.MaxTotalBytes = 4<<20, 1<<20 })},
		{name: "zip bomb ratio", data: buildZip(t, zipEntry{name: "zeros.bin", body: string(zeros)}), kind: ErrRatioTooHigh,
			lim: lim(func(l *Limits) { l.MaxFileBytes, l.RatioFloor, l.MaxRatio = 4<<20, 64<<10, 20 })},
		{name: "zip bomb total over files", data: buildZip(t,
			zipEntry{name: "a.bin", body: string(zeros[:600<<10])},
			zipEntry{name: "b.bin", body: string(zeros[:600<<10])}), kind: ErrTotalTooLarge,
			lim: lim(func(l *Limits) { l.MaxTotalBytes = 1 << 20 })},
		// Limits broken while archive/tar reads a header block: the error
		// that comes with a full block must not be dropped.
		{name: "tar header bomb total", data: headers(4000), kind: ErrTotalTooLarge,
			lim: lim(func(l *Limits) { l.MaxTotalBytes = 64 << 10 })},
		{name: "tar header bomb ratio", data: headers(4000), kind: ErrRatioTooHigh,
			lim: lim(func(l *Limits) { l.RatioFloor, l.MaxRatio = 64<<10, 2 })},
		{name: "tar file over MaxFileBytes", data: bomb, kind: ErrFileTooLarge,
			lim: lim(func(l *Limits) { l.MaxFileBytes = 1 << 20 })},
		{name: "plain tar file over MaxFileBytes", data: plainTar, kind: ErrFileTooLarge,
			lim: lim(func(l *Limits) { l.MaxFileBytes = 4096 })},
		{name: "zip file over MaxFileBytes", data: buildZip(t, zipEntry{name: "big.txt", body: strings.Repeat("x", 5000)}),
			kind: ErrFileTooLarge, lim: lim(func(l *Limits) { l.MaxFileBytes = 4096 })},
		{name: "zip declares a huge size", data: buildZip(t, zipEntry{name: "huge.bin", body: "tiny", declared: 1 << 40}),
			kind: ErrFileTooLarge},
		// A zip that declares fewer bytes than it holds is caught by the zip
		// reader's size check before our limits see the extra bytes.
		{name: "zip lies small", data: buildZip(t, zipEntry{name: "liar.bin", body: strings.Repeat("x", 100), declared: 10}),
			kind: ErrCorrupt},
		{name: "archive over MaxArchive", data: sdistGz, kind: ErrFileTooLarge,
			lim: lim(func(l *Limits) { l.MaxArchive = 64 })},
		{name: "too many files", data: many(4), kind: ErrTooManyFiles,
			lim: lim(func(l *Limits) { l.MaxFiles = 3 })},
		{name: "too many zip files", data: buildZip(t, zipEntry{name: "a", body: "a"}, zipEntry{name: "b", body: "b"}),
			kind: ErrTooManyFiles, lim: lim(func(l *Limits) { l.MaxFiles = 1 })},

		{name: "truncated gzip", data: sdistGz[:len(sdistGz)/2], kind: ErrCorrupt},
		{name: "gzip header only", data: sdistGz[:10], kind: ErrCorrupt},
		{name: "gzip bad header", data: []byte{0x1f, 0x8b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, kind: ErrCorrupt},
		{name: "truncated xz", data: sdistXz[:len(sdistXz)/2], kind: ErrCorrupt},
		{name: "xz header only", data: sdistXz[:6], kind: ErrCorrupt},
		{name: "xz block declares a 4 GiB dictionary", data: xzHugeDict(t, sdistXz), kind: ErrCorrupt},
		{name: "deb with xz dictionary bomb", data: buildDeb(t, "data.tar.xz", xzHugeDict(t, xzBytes(t, debDataTar(t)))), kind: ErrCorrupt},
		{name: "truncated zstd", data: sdistZst[:len(sdistZst)/2], kind: ErrCorrupt},
		{name: "truncated bzip2", data: []byte(bz2Tar[:len(bz2Tar)/2]), kind: ErrCorrupt},
		{name: "bzip2 magic only", data: []byte("BZh9garbage"), kind: ErrCorrupt},
		{name: "truncated plain tar", data: plainTar[:1024], kind: ErrCorrupt},
		{name: "gzip of garbage", data: gzipBytes(t, []byte("this is not a tar archive at all, just text")), kind: ErrCorrupt},
		{name: "zip without central directory", data: buildZip(t, zipEntry{name: "a", body: "a"})[:30], kind: ErrCorrupt},
		{name: "zip end record only with junk", data: []byte("PK\x05\x06junk"), kind: ErrCorrupt},

		{name: "random bytes", data: []byte{0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02}, kind: ErrUnknownFormat},
		{name: "text", data: []byte("Metadata-Version: 2.1\nName: not-an-archive\n"), kind: ErrUnknownFormat},
		{name: "one byte", data: []byte{0x1f}, kind: ErrUnknownFormat},
		// Compressions we do not read are not recognised at all: a tarball
		// compressed with them is an unknown format, not an unknown
		// compression (that reason is only reachable for a .deb's data.tar).
		{name: "unix compress .Z", data: []byte{0x1f, 0x9d, 0x90, 0x70, 0x6b, 0x67, 0x2d, 0x31}, kind: ErrUnknownFormat},
		{name: "lz4 frame", data: []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x00}, kind: ErrUnknownFormat},
		{name: "7z", data: []byte("7z\xbc\xaf\x27\x1c\x00\x04"), kind: ErrUnknownFormat},
		{name: "rar", data: []byte("Rar!\x1a\x07\x01\x00"), kind: ErrUnknownFormat},
		{name: "pre-POSIX v7 tar", data: func() []byte {
			b := append([]byte{}, plainTar...)
			copy(b[257:265], make([]byte, 8)) // wipe "ustar\x0000"
			return b
		}(), kind: ErrUnknownFormat},

		{name: "deb without data.tar", data: buildAr(arFile{"debian-binary", []byte("2.0\n")},
			arFile{"control.tar.gz", gzipBytes(t, buildTar(t, tarEntry{name: "./control", body: "x"}))}), kind: ErrCorrupt},
		{name: "deb with only the magic", data: []byte("!<arch>\n"), kind: ErrCorrupt},
		{name: "deb with truncated member", data: func() []byte {
			b := buildDeb(t, "data.tar.xz", xzBytes(t, debDataTar(t)))
			return b[:len(b)-50]
		}(), kind: ErrCorrupt},
		{name: "deb with truncated header", data: []byte("!<arch>\ndebian-binary   0     "), kind: ErrCorrupt},
		{name: "deb with bad header magic", data: []byte("!<arch>\n" + strings.Replace(arHeader("debian-binary", 4), "`\n", "XX", 1) + "2.0\n"),
			kind: ErrCorrupt},
		{name: "deb with bad member size", data: []byte("!<arch>\n" + arHeaderRaw("debian-binary", "x") + "2.0\n"),
			kind: ErrCorrupt},
		{name: "deb with truncated data.tar.xz", data: func() []byte {
			x := xzBytes(t, debDataTar(t))
			return buildDeb(t, "data.tar.xz", x[:len(x)/2])
		}(), kind: ErrCorrupt},
		{name: "deb with lz4 data.tar", data: buildDeb(t, "data.tar.lz4", []byte{0x04, 0x22, 0x4d, 0x18, 0, 0, 0, 0}),
			kind: ErrUnknownCompression},
		{name: "deb with empty data.tar", data: buildDeb(t, "data.tar", nil), kind: ErrUnknownCompression},
		{name: "deb bomb", data: buildDeb(t, "data.tar.gz", bomb), kind: ErrTotalTooLarge,
			lim: lim(func(l *Limits) { l.MaxTotalBytes = 1 << 20 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := tt.lim
			if lim == (Limits{}) {
				lim = testLimits()
			}
			p, err := Decode("bad-1", "bad.tar.gz", tt.data, lim)
			if p != nil {
				t.Errorf("package %+v returned with error %v", p.Format, err)
			}
			wantPkgErr(t, err, "bad-1", tt.kind)
		})
	}
}

// xzHugeDict rewrites the first block header of x to declare a 4 GiB LZMA2
// dictionary (code 40) with a valid CRC, as a dictionary bomb would: the
// decoder would allocate it before reading a byte of data.
func xzHugeDict(t testing.TB, x []byte) []byte {
	t.Helper()
	const streamHeader = 12
	hs := (int(x[streamHeader]) + 1) * 4
	out := append([]byte{}, x...)
	blk := out[streamHeader : streamHeader+hs]
	if blk[1]&0x3F != 0 || blk[2] != 0x21 || blk[3] != 1 {
		t.Fatalf("unexpected xz block header % x", blk)
	}
	blk[4] = 40
	binary.LittleEndian.PutUint32(blk[hs-4:], crc32.ChecksumIEEE(blk[:hs-4]))
	return out
}

// xzStored writes plain as one xz stream whose LZMA2 data is uncompressed
// chunks, as xz-utils writes incompressible input: the bytes of plain
// appear verbatim in the file. No check, one block, 4 KiB dictionary.
func xzStored(t testing.TB, plain []byte) []byte {
	t.Helper()
	uvarint := func(b []byte, x int) []byte { return binary.AppendUvarint(b, uint64(x)) }
	crc := func(b []byte) []byte { return binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }
	out := []byte{0xFD, '7', 'z', 'X', 'Z', 0, 0, 0}
	out = append(out, crc([]byte{0, 0})...)
	block := []byte{2, 0, 0x21, 1, 0, 0, 0, 0} // 12-byte header, LZMA2, dictionary code 0
	block = append(block, crc(block)...)
	data := block
	for i, ctl := 0, byte(1); i < len(plain) || i == 0; i, ctl = i+64<<10, 2 {
		chunk := plain[i:min(i+64<<10, len(plain))]
		if len(chunk) == 0 {
			break
		}
		data = append(data, ctl, byte((len(chunk)-1)>>8), byte(len(chunk)-1))
		data = append(data, chunk...)
	}
	data = append(data, 0) // end of LZMA2 data
	unpadded := len(data)
	for len(data)%4 != 0 {
		data = append(data, 0)
	}
	out = append(out, data...)
	index := uvarint(uvarint(uvarint([]byte{0}, 1), unpadded), len(plain))
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	index = append(index, crc(index)...)
	out = append(out, index...)
	footer := binary.LittleEndian.AppendUint32(nil, uint32(len(index)/4-1))
	footer = append(footer, 0, 0)
	out = append(out, crc(footer)...)
	out = append(out, footer...)
	return append(out, 'Y', 'Z')
}

// TestXzHeaderLikeData checks that a block header stored as data (a file
// of the package, kept verbatim by an uncompressed LZMA2 chunk) is not
// taken for a dictionary bomb, while a real one after it still is. Found by
// FuzzCheckXzDicts.
func TestXzHeaderLikeData(t *testing.T) {
	sdistXz := xzBytes(t, sdistTar(t))
	bomb := xzHugeDict(t, sdistXz)
	hdr := bomb[12:24] // the 12-byte block header declaring 4 GiB
	file := "fixture: " + string(hdr) + " :end"
	tarb := buildTar(t, tarEntry{name: "x-1/PKG-INFO", body: "Name: x\n"}, tarEntry{name: "x-1/tests/bomb.xz", body: file})
	stored := xzStored(t, tarb)
	if !bytes.Contains(stored, hdr) {
		t.Fatal("fixture: header not stored verbatim")
	}
	if err := checkXzDicts(stored); err != nil {
		t.Fatalf("checkXzDicts = %v, want nil", err)
	}
	p, err := Decode("x", "x-1.tar.xz", stored, testLimits())
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checkPackage(t, p)
	if f := p.File("tests/bomb.xz"); f == nil || string(f.Data) != file {
		t.Errorf("bomb.xz = %+v", f)
	}

	for _, tt := range []struct {
		name string
		data []byte
	}{
		// A second stream whose block is a real bomb, after the harmless copy.
		{"real bomb after header-like data", append(append([]byte{}, stored...), bomb...)},
		// Past maxXzProbes candidates the data is refused unexamined.
		{"too many header-like runs", xzStored(t, []byte(strings.Repeat(string(hdr), maxXzProbes+1)))},
	} {
		err := checkXzDicts(tt.data)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "dictionary") {
			t.Errorf("%s: checkXzDicts = %v, want a dictionary error", tt.name, err)
		}
		_, err = Decode("x", "x.tar.xz", tt.data, testLimits())
		wantPkgErr(t, err, "x", ErrCorrupt)
	}
}

// TestDecodeLimitsEdges checks that limits are inclusive: exactly at the
// limit loads, one over fails.
func TestDecodeLimitsEdges(t *testing.T) {
	files := func(n int) []byte {
		var es []zipEntry
		for i := range n {
			es = append(es, zipEntry{name: string(rune('a'+i)) + ".py", body: "12345678"})
		}
		return buildZip(t, es...)
	}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		kind error // nil: must load
	}{
		{"files at limit", files(3), Limits{MaxFiles: 3}, nil},
		{"files over limit", files(4), Limits{MaxFiles: 3}, ErrTooManyFiles},
		{"file size at limit", files(1), Limits{MaxFileBytes: 8}, nil},
		{"file size over limit", files(1), Limits{MaxFileBytes: 7}, ErrFileTooLarge},
		{"total at limit", files(2), Limits{MaxTotalBytes: 16}, nil},
		{"total over limit", files(2), Limits{MaxTotalBytes: 15}, ErrTotalTooLarge},
		{"zero limits are defaults", files(2), Limits{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode("e", "e.zip", tt.data, tt.lim)
			if tt.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				checkPackage(t, p)
				return
			}
			wantPkgErr(t, err, "e", tt.kind)
		})
	}
}

// TestReadAr covers the .deb container parser on hand-made input.
func TestReadAr(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		names []string
		sizes []int
		kind  error // nil: must parse
	}{
		{name: "three members with padding",
			data:  buildAr(arFile{"debian-binary", []byte("2.0\n")}, arFile{"odd/", []byte("abc")}, arFile{"data.tar", []byte("xy")}),
			names: []string{"debian-binary", "odd", "data.tar"}, sizes: []int{4, 3, 2}},
		{name: "magic only", data: []byte("!<arch>\n")},
		{name: "odd member last without padding",
			data:  []byte("!<arch>\n" + arHeader("a", 1) + "z"),
			names: []string{"a"}, sizes: []int{1}},
		{name: "zero-size member", data: []byte("!<arch>\n" + arHeader("empty", 0)), names: []string{"empty"}, sizes: []int{0}},
		{name: "not ar", data: []byte("PK\x03\x04"), kind: ErrUnknownFormat},
		{name: "thin archive", data: []byte("!<thin>\n"), kind: ErrUnknownFormat},
		{name: "truncated header", data: []byte("!<arch>\n" + arHeader("a", 1)[:59]), kind: ErrCorrupt},
		{name: "bad header magic", data: []byte("!<arch>\n" + arHeader("a", 1)[:58] + "\n\n" + "z"), kind: ErrCorrupt},
		{name: "size not a number", data: []byte("!<arch>\n" + arHeaderRaw("a", "z") + "z"), kind: ErrCorrupt},
		{name: "negative size", data: []byte("!<arch>\n" + arHeaderRaw("a", "-1") + "z"), kind: ErrCorrupt},
		{name: "size past the end", data: []byte("!<arch>\n" + arHeader("a", 100) + "short"), kind: ErrCorrupt},
		{name: "huge size", data: []byte("!<arch>\n" + arHeaderRaw("a", "9999999999") + "z"), kind: ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := readAr(tt.data)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(tt.names) {
				t.Fatalf("members = %d, want %d", len(ms), len(tt.names))
			}
			for i, m := range ms {
				if m.name != tt.names[i] || len(m.data) != tt.sizes[i] {
					t.Errorf("member %d = %q (%d bytes), want %q (%d)", i, m.name, len(m.data), tt.names[i], tt.sizes[i])
				}
			}
		})
	}
}

// TestSniff checks format detection by magic number alone.
func TestSniff(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		container   string
		compression string
	}{
		{"gzip", []byte{0x1f, 0x8b, 8}, containerTar, compGzip},
		{"bzip2", []byte("BZh91AY&SY"), containerTar, compBzip2},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}, containerTar, compXz},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, containerTar, compZstd},
		{"zip", []byte("PK\x03\x04"), containerZip, compNone},
		{"empty zip", []byte("PK\x05\x06"), containerZip, compNone},
		{"ar", []byte("!<arch>\n"), containerAr, compNone},
		{"plain tar", buildTar(t, tarEntry{name: "a", body: "a"}), containerTar, compNone},
		{"unix compress", []byte{0x1f, 0x9d}, "", ""},
		{"lz4", []byte{0x04, 0x22, 0x4d, 0x18}, "", ""},
		{"spanned zip", []byte("PK\x07\x08"), "", ""},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, comp := sniff(tt.data)
			if c != tt.container || comp != tt.compression {
				t.Errorf("sniff = %q, %q; want %q, %q", c, comp, tt.container, tt.compression)
			}
		})
	}
}

// writeArchive stores data under dir/rel and returns a manifest row that
// describes it truthfully.
func writeArchive(t *testing.T, dir, rel string, data []byte) Row {
	t.Helper()
	name := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return Row{ID: "row-" + filepath.Base(rel), Path: rel, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Label: Benign, Format: "deb"}
}

// twoDistDeb is a .deb shipping two distributions side by side; without a
// metadata_path the loader would pick aaa (first in path order).
func twoDistDeb(t testing.TB) []byte {
	return buildDeb(t, "data.tar.xz", xzBytes(t, buildTar(t,
		tarEntry{name: debRoot + "aaa/__init__.py", body: ""},
		tarEntry{name: debRoot + "aaa-1.0.egg-info/PKG-INFO", body: "Metadata-Version: 1.2\nName: aaa\nVersion: 1.0\n"},
		tarEntry{name: debRoot + "zzz/__init__.py", body: ""},
		tarEntry{name: debRoot + "zzz-2.0.dist-info/METADATA", body: "Metadata-Version: 2.1\nName: zzz\nVersion: 2.0\n"},
		tarEntry{name: debRoot + "zzz-2.0.dist-info/broken/METADATA", body: "\x00\x01 not metadata"},
	)))
}

// TestLoadRow checks verification against the manifest and the .deb
// metadata_path selection, on archives written to a temporary folder.
func TestLoadRow(t *testing.T) {
	dir := t.TempDir()
	deb := twoDistDeb(t)
	base := writeArchive(t, dir, "deb/python3-two_1.0_all.deb", deb)
	sdist := writeArchive(t, dir, "sdist/pkg-1.0.tar.gz", gzipBytes(t, sdistTar(t)))
	sdist.Format = "sdist-tar.gz"
	with := func(r Row, f func(*Row)) Row { f(&r); return r }
	tests := []struct {
		name     string
		row      Row
		lim      Limits
		kind     error
		metaPath string
		metaName string
		metaErr  error
	}{
		{name: "no metadata_path picks the first", row: base, metaPath: "aaa-1.0.egg-info/PKG-INFO", metaName: "aaa"},
		{name: "metadata_path selects zzz",
			row:      with(base, func(r *Row) { r.MetadataPath = "usr/lib/python3/dist-packages/zzz-2.0.dist-info/METADATA" }),
			metaPath: "zzz-2.0.dist-info/METADATA", metaName: "zzz"},
		{name: "metadata_path to an unparsable file",
			row:      with(base, func(r *Row) { r.MetadataPath = "usr/lib/python3/dist-packages/zzz-2.0.dist-info/broken/METADATA" }),
			metaPath: "zzz-2.0.dist-info/broken/METADATA", metaErr: ErrBadMetadata},
		{name: "metadata_path missing",
			row:  with(base, func(r *Row) { r.MetadataPath = "usr/lib/python3/dist-packages/yyy-1.0.dist-info/METADATA" }),
			kind: ErrNoMetadata},
		{name: "metadata_path outside dist-packages",
			row:  with(base, func(r *Row) { r.MetadataPath = "usr/share/doc/aaa-1.0.egg-info/PKG-INFO" }),
			kind: ErrNoMetadata},
		{name: "metadata_path is a folder",
			row:  with(base, func(r *Row) { r.MetadataPath = "usr/lib/python3/dist-packages/zzz-2.0.dist-info" }),
			kind: ErrNoMetadata},
		{name: "sdist ignores metadata_path", row: with(sdist, func(r *Row) { r.MetadataPath = "nope/PKG-INFO" }),
			metaPath: "PKG-INFO", metaName: "pkg"},
		{name: "upper-case sha256", row: with(sdist, func(r *Row) { r.SHA256 = strings.ToUpper(r.SHA256) }),
			metaPath: "PKG-INFO", metaName: "pkg"},
		{name: "missing archive", row: with(base, func(r *Row) { r.Path = "deb/gone.deb" }), kind: ErrMissingArchive},
		{name: "size mismatch", row: with(base, func(r *Row) { r.Bytes++ }), kind: ErrSizeMismatch},
		{name: "hash mismatch", row: with(base, func(r *Row) { r.SHA256 = strings.Repeat("0", 64) }), kind: ErrHashMismatch},
		{name: "empty hash", row: with(base, func(r *Row) { r.SHA256 = "" }), kind: ErrHashMismatch},
		{name: "path leaves the data folder", row: with(base, func(r *Row) { r.Path = "../" + filepath.Base(dir) + "/deb/python3-two_1.0_all.deb" }),
			kind: ErrManifest},
		{name: "absolute path", row: with(base, func(r *Row) { r.Path = filepath.ToSlash(filepath.Join(dir, "deb/python3-two_1.0_all.deb")) }),
			kind: ErrManifest},
		{name: "archive over MaxArchive", row: base, lim: Limits{MaxArchive: 100}, kind: ErrFileTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadRow(dir, tt.row, tt.lim)
			if tt.kind != nil {
				wantPkgErr(t, err, tt.row.ID, tt.kind)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPackage(t, p)
			if p.Row.ID != tt.row.ID || p.Row.Path != tt.row.Path || p.Row.Label != tt.row.Label {
				t.Errorf("Row = %+v, want the manifest row", p.Row)
			}
			if p.MetaPath != tt.metaPath {
				t.Errorf("MetaPath = %q, want %q", p.MetaPath, tt.metaPath)
			}
			if got := p.Meta.Get("Name"); got != tt.metaName {
				t.Errorf("Name = %q, want %q", got, tt.metaName)
			}
			if tt.metaErr != nil && !errors.Is(p.MetaErr, tt.metaErr) {
				t.Errorf("MetaErr = %v, want %v", p.MetaErr, tt.metaErr)
			}
		})
	}
}

// TestDecodeRowWithoutDisk checks decodeRow directly: the row is attached and
// metadata_path honoured without any file on disk.
func TestDecodeRowWithoutDisk(t *testing.T) {
	row := Row{ID: "d", Path: "x/y.deb", MetadataPath: "usr/lib/python3/dist-packages/zzz-2.0.dist-info/METADATA"}
	p, err := decodeRow(row, twoDistDeb(t), testLimits())
	if err != nil {
		t.Fatal(err)
	}
	if p.Row.MetadataPath != row.MetadataPath || p.Meta.Get("version") != "2.0" {
		t.Errorf("Row %+v, version %q", p.Row, p.Meta.Get("version"))
	}
	_, err = decodeRow(row, []byte("garbage"), testLimits())
	wantPkgErr(t, err, "d", ErrUnknownFormat)
}

// TestReadDir loads an unpacked package with links and a fifo inside: they
// are recorded and never followed.
func TestReadDir(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOP SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(rel, body string, mode os.FileMode) {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("PKG-INFO", "Metadata-Version: 2.1\nName: local\n", 0o644)
	write("local/__init__.py", "x = 1\n", 0o644)
	write("bin/tool", "#!/bin/sh\n", 0o755)
	for _, l := range []struct{ target, name string }{
		{secret, "local/secret.txt"},
		{outside, "local/outside"},
		{"..", "local/up"},
	} {
		if err := os.Symlink(l.target, filepath.Join(dir, filepath.FromSlash(l.name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "local", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	p, err := ReadDir(dir, testLimits())
	if err != nil {
		t.Fatal(err)
	}
	checkPackage(t, p)
	if want := []string{"PKG-INFO", "bin/tool", "local/__init__.py"}; !equalStrings(paths(p), want) {
		t.Errorf("paths = %q, want %q", paths(p), want)
	}
	checkIssues(t, p, []issueWant{
		{ErrDevice, "local/fifo", false},
		{ErrLink, "local/outside", false},
		{ErrLink, "local/secret.txt", false},
		{ErrLink, "local/up", false},
	})
	for _, f := range p.Files {
		if bytes.Contains(f.Data, []byte("SECRET")) {
			t.Errorf("%s: link target leaked", f.Path)
		}
	}
	if p.Format != "dir" || p.ID() != dir || p.Meta.Get("name") != "local" {
		t.Errorf("Format %q, ID %q, name %q", p.Format, p.ID(), p.Meta.Get("name"))
	}
	if f := p.File("bin/tool"); f == nil || !f.Executable || f.Kind != KindScript {
		t.Errorf("bin/tool = %+v", f)
	}
	if p.UncompressedBytes != int64(len("Metadata-Version: 2.1\nName: local\n")+len("x = 1\n")+len("#!/bin/sh\n")) {
		t.Errorf("UncompressedBytes = %d", p.UncompressedBytes)
	}

	// Open on the folder goes through ReadDir.
	q, err := Open(dir, testLimits())
	if err != nil || len(q.Files) != len(p.Files) || q.Format != "dir" {
		t.Errorf("Open(dir) = %v, %v", q, err)
	}
}

// TestReadDirErrors checks ReadDir's package-level failures.
func TestReadDirErrors(t *testing.T) {
	mk := func(files map[string]string) string {
		dir := t.TempDir()
		for rel, body := range files {
			if err := os.WriteFile(filepath.Join(dir, rel), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	onlyLink := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(onlyLink, "passwd")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		lim  Limits
		kind error
	}{
		{"missing", filepath.Join(t.TempDir(), "nope"), Limits{}, ErrMissingArchive},
		{"a file, not a folder", filepath.Join(mk(map[string]string{"f": "x"}), "f"), Limits{}, ErrMissingArchive},
		{"empty", t.TempDir(), Limits{}, ErrEmpty},
		{"only a link", onlyLink, Limits{}, ErrEmpty},
		{"file too large", mk(map[string]string{"a": "0123456789"}), Limits{MaxFileBytes: 5}, ErrFileTooLarge},
		{"too many files", mk(map[string]string{"a": "", "b": "", "c": ""}), Limits{MaxFiles: 2}, ErrTooManyFiles},
		{"total too large", mk(map[string]string{"a": "0123456789", "b": "0123456789"}), Limits{MaxTotalBytes: 15}, ErrTotalTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadDir(tt.dir, tt.lim)
			wantPkgErr(t, err, tt.dir, tt.kind)
		})
	}
}

// TestOpen checks Open on archive files.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	whl := filepath.Join(dir, "pkg-1.0-py3-none-any.whl")
	if err := os.WriteFile(whl, wheelZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Open(whl, testLimits())
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != "wheel" || p.ID() != whl {
		t.Errorf("Format %q ID %q", p.Format, p.ID())
	}
	_, err = Open(whl, Limits{MaxArchive: 10})
	wantPkgErr(t, err, whl, ErrFileTooLarge)
	missing := filepath.Join(dir, "missing.tar.gz")
	_, err = Open(missing, Limits{})
	wantPkgErr(t, err, missing, ErrMissingArchive)
}

// TestLoadAll runs the worker pool over good and bad rows and checks each
// result lands at its index with the right reason.
func TestLoadAll(t *testing.T) {
	dir := t.TempDir()
	good := writeArchive(t, dir, "a.deb", twoDistDeb(t))
	bad := writeArchive(t, dir, "b.tar.gz", []byte("not an archive"))
	missing := good
	missing.ID, missing.Path = "missing", "gone.deb"
	rows := []Row{good, bad, missing}
	want := []error{nil, ErrUnknownFormat, ErrMissingArchive}
	for _, verify := range []bool{false, true} {
		var mu sync.Mutex
		seen := map[int]bool{}
		err := LoadAll(context.Background(), dir, rows, LoadOptions{Workers: 2, Limits: testLimits(), VerifyOnly: verify}, func(r Result) error {
			mu.Lock()
			defer mu.Unlock()
			seen[r.Index] = true
			w := want[r.Index]
			if verify && w == ErrUnknownFormat {
				w = nil // verification does not decode
			}
			if r.Row.ID != rows[r.Index].ID || Reason(r.Err) != w {
				t.Errorf("verify=%v row %d: %v, want %v", verify, r.Index, r.Err, w)
			}
			if !verify && (r.Err == nil) != (r.Pkg != nil) {
				t.Errorf("row %d: Pkg %v with Err %v", r.Index, r.Pkg != nil, r.Err)
			}
			return nil
		})
		if err != nil || len(seen) != len(rows) {
			t.Errorf("verify=%v: LoadAll = %v, saw %d rows", verify, err, len(seen))
		}
	}
	stop := errors.New("stop")
	err := LoadAll(context.Background(), dir, rows, LoadOptions{Workers: 1}, func(Result) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("LoadAll with failing fn = %v, want stop", err)
	}
}

// TestFileHelpers covers the small File accessors.
func TestFileHelpers(t *testing.T) {
	tests := []struct {
		path   string
		name   string
		hidden bool
		depth  int
	}{
		{"setup.py", "setup.py", false, 0},
		{"pkg/__init__.py", "__init__.py", false, 1},
		{".github/workflows/ci.yml", "ci.yml", true, 2},
		{"pkg/.hidden", ".hidden", true, 1},
		{"a/b/c/d.txt", "d.txt", false, 3},
	}
	for _, tt := range tests {
		f := File{Path: tt.path}
		if f.Name() != tt.name || f.Hidden() != tt.hidden || f.Depth() != tt.depth {
			t.Errorf("%s: Name %q Hidden %v Depth %d", tt.path, f.Name(), f.Hidden(), f.Depth())
		}
	}
}

// TestErrorType checks *Error's formatting and unwrapping.
func TestErrorType(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		err  *Error
		text string
	}{
		{&Error{ID: "a", Kind: ErrCorrupt}, "a: corrupt or truncated archive"},
		{&Error{ID: "b", Kind: ErrEmpty, Err: cause}, "b: archive holds no files: boom"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.text {
			t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.text)
		}
		if !errors.Is(tt.err, tt.err.Kind) || Reason(tt.err) != tt.err.Kind {
			t.Errorf("%v does not unwrap to its kind", tt.err)
		}
		if tt.err.Err != nil && !errors.Is(tt.err, cause) {
			t.Errorf("%v does not unwrap to its cause", tt.err)
		}
	}
	if Reason(cause) != cause || Reason(nil) != nil {
		t.Error("Reason of a plain error is the error itself")
	}
}

// TestXzDictionaryBomb checks the dictionary is refused before the decoder
// allocates it, not merely that decoding eventually fails.
func TestXzDictionaryBomb(t *testing.T) {
	good := xzBytes(t, sdistTar(t))
	if err := checkXzDicts(good); err != nil {
		t.Fatalf("well-formed xz refused: %v", err)
	}
	err := checkXzDicts(xzHugeDict(t, good))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "dictionary") {
		t.Fatalf("checkXzDicts = %v, want a dictionary error", err)
	}
}
