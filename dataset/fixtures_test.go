package dataset

// Test fixtures: every archive the tests use is built here, in memory, from
// a short description. Nothing is unpacked to disk and nothing is executed.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// tarEntry describes one tar member. The zero typ is a regular file.
type tarEntry struct {
	name string
	body string
	typ  byte   // tar.TypeReg when 0
	mode int64  // 0o644 when 0
	link string // Linkname for links
}

// buildTar writes entries into an uncompressed tar in memory.
func buildTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: typ, PAXRecords: map[string]string{"comment": e.body}}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatalf("tar body %q: %v", e.name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xzBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// bz2Tar is a USTAR archive holding bz-1.0/PKG-INFO ("Metadata-Version:
// 1.1\nName: bz\nVersion: 1.0\n") and bz-1.0/bz.py ("print('hi')\n"),
// compressed by `bzip2 -9` (the standard library cannot write bzip2).
const bz2Tar = "" +
	"\x42\x5a\x68\x39\x31\x41\x59\x26\x53\x59\xd3\x4b\x04\x35\x00\x00\x76\xdf\x92\xca\x90\x40\xe3\xf7" +
	"\x94\x01\xab\xe5\x00\x76\x63\xde\x30\x04\x00\x20\x00\x02\x08\x20\x00\x92\x09\x54\xd1\xa4\xf5\x3d" +
	"\x20\x01\xea\x64\xd3\x10\xd0\xf5\x0d\x3d\x46\x9b\x28\x25\x10\xa7\xea\x81\xa1\xa7\xa8\x0d\x0d\x0c" +
	"\x8d\x00\x0c\x84\x86\xbf\x6e\x20\x7e\x2e\x28\x2b\x00\x10\x8f\x91\x87\x0a\x0a\x5e\x20\x5a\x00\x54" +
	"\x13\x0c\x6b\x81\xa5\x3b\x47\xe6\x46\x27\xe7\x74\x1f\x7c\x33\x0f\x70\x89\xa1\x24\x1c\x08\x95\x54" +
	"\xf3\x70\xa2\x0c\xd6\xf5\x08\xe2\x95\x88\xa5\x16\x30\x8e\xbb\x09\x72\x0a\x71\x74\x87\x7e\xd9\xdb" +
	"\x83\x7a\x35\xab\x24\x54\x65\x44\xc8\x3d\xb2\x10\x5d\x77\xb8\x75\xb7\xdc\xf1\x58\x1e\x62\x65\xa9" +
	"\x1f\x49\x8c\x81\x54\xa9\x98\x78\xa8\x05\x04\x47\xf1\x77\x24\x53\x85\x09\x0d\x34\xb0\x43\x50"

// zipEntry describes one zip member.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode // 0o644 when 0; ModeSymlink, ModeDevice… for special members
	// declared, when non-zero, writes the member raw (stored) with this
	// uncompressed size in its headers instead of the real one.
	declared uint64
}

// buildZip writes entries into a zip in memory, deflated.
func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(mode)
		if e.declared != 0 {
			h.Method = zip.Store
			h.CRC32 = crc32.ChecksumIEEE([]byte(e.body))
			h.CompressedSize64 = uint64(len(e.body))
			h.UncompressedSize64 = e.declared
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatalf("zip raw %q: %v", e.name, err)
			}
			if _, err := w.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip header %q: %v", e.name, err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// arFile is one member of a hand-built ar archive.
type arFile struct {
	name string
	data []byte
}

// buildAr writes a Unix ar archive ("!<arch>\n" then 60-byte headers), the
// .deb container. Odd-sized members get the newline padding byte.
func buildAr(members ...arFile) []byte {
	var buf bytes.Buffer
	buf.WriteString("!<arch>\n")
	for _, m := range members {
		buf.WriteString(arHeader(m.name, len(m.data)))
		buf.Write(m.data)
		if len(m.data)%2 == 1 {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// arHeader formats one 60-byte ar member header.
func arHeader(name string, size int) string {
	return arHeaderRaw(name, fmt.Sprint(size))
}

// arHeaderRaw formats a header with size written as given, so tests can
// put anything in the 10-byte size field.
func arHeaderRaw(name, size string) string {
	h := fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s%-10s`\n", name, "0", "0", "0", "100644", size)
	if len(h) != 60 {
		panic(fmt.Sprintf("ar header is %d bytes", len(h)))
	}
	return h
}

// buildDeb wraps a data tarball (already compressed as its name says) into
// a .deb with the usual debian-binary and control members.
func buildDeb(t testing.TB, dataName string, data []byte) []byte {
	t.Helper()
	control := gzipBytes(t, buildTar(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./control", body: "Package: python3-foo\nVersion: 1.0-1\n"},
		tarEntry{name: "./postinst", body: "#!/bin/sh\nexit 0\n", mode: 0o755},
	))
	return buildAr(
		arFile{"debian-binary", []byte("2.0\n")},
		arFile{"control.tar.gz", control},
		arFile{dataName, data},
	)
}

// debRoot is the dist-packages prefix as dpkg-deb writes it.
const debRoot = "./usr/lib/python3/dist-packages/"

// debDataTar is the uncompressed data tarball of a typical python3-foo .deb:
// the package tree plus Debian's own files, which must not be kept.
func debDataTar(t testing.TB) []byte {
	t.Helper()
	return buildTar(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./usr/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./usr/bin/foo", body: "#!/usr/bin/python3\nimport foo\n", mode: 0o755},
		tarEntry{name: "./usr/bin/foo-link", typ: tar.TypeSymlink, link: "foo"},
		tarEntry{name: debRoot, typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: debRoot + "foo/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: debRoot + "foo/__init__.py", body: "VERSION = '1.0'\n"},
		tarEntry{name: debRoot + "foo-1.0.egg-info/PKG-INFO", body: "Metadata-Version: 1.2\nName: foo\nVersion: 1.0\n"},
		tarEntry{name: "./usr/share/doc/python3-foo/copyright", body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"},
	)
}

// sdistTar is a small sdist tarball with the usual top folder.
func sdistTar(t testing.TB) []byte {
	t.Helper()
	return buildTar(t,
		tarEntry{name: "pkg-1.0/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "pkg-1.0/PKG-INFO", body: "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\nLong description.\n"},
		tarEntry{name: "pkg-1.0/setup.py", body: "from setuptools import setup\nsetup()\n", mode: 0o755},
		tarEntry{name: "pkg-1.0/pkg/__init__.py", body: "x = 1\n"},
	)
}

// wheelZip is a small wheel.
func wheelZip(t testing.TB) []byte {
	t.Helper()
	return buildZip(t,
		zipEntry{name: "pkg/__init__.py", body: "x = 1\n"},
		zipEntry{name: "pkg-1.0.dist-info/METADATA", body: "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"},
		zipEntry{name: "pkg-1.0.dist-info/WHEEL", body: "Wheel-Version: 1.0\n"},
		zipEntry{name: "pkg-1.0.dist-info/RECORD", body: ""},
	)
}

// testLimits are small enough that the tests can break each one cheaply.
func testLimits() Limits {
	return Limits{
		MaxFiles:      100,
		MaxFileBytes:  1 << 20,
		MaxTotalBytes: 8 << 20,
		MaxRatio:      1000,
		RatioFloor:    4 << 20,
		MaxArchive:    4 << 20,
	}
}

// decodeKinds are the reasons Decode may fail with.
var decodeKinds = []error{ErrFileTooLarge, ErrEmpty, ErrUnknownFormat, ErrCorrupt, ErrUnknownCompression,
	ErrTooManyFiles, ErrTotalTooLarge, ErrRatioTooHigh}

// entryKinds are the reasons an EntryIssue may carry.
var entryKinds = []error{ErrUnsafePath, ErrLink, ErrDevice, ErrDuplicate, ErrInvalidName, ErrUnsupported, ErrOutsideScope}

func oneOf(err error, kinds []error) bool {
	for _, k := range kinds {
		if err == k {
			return true
		}
	}
	return false
}

func knownKind(k Kind) bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// wantPkgErr asserts that err is an *Error for id whose Kind is kind.
func wantPkgErr(t testing.TB, err error, id string, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	if !errors.Is(err, kind) || e.Kind != kind || Reason(err) != kind {
		t.Fatalf("err = %v (kind %v), want kind %v", err, e.Kind, kind)
	}
	if e.ID != id {
		t.Errorf("err.ID = %q, want %q", e.ID, id)
	}
	if !strings.HasPrefix(err.Error(), id+": "+kind.Error()) {
		t.Errorf("err.Error() = %q, want it to start with id and reason", err.Error())
	}
}

// checkPackage asserts the invariants every loaded package must keep.
func checkPackage(t testing.TB, p *Package) {
	t.Helper()
	if p == nil {
		t.Fatal("nil package without error")
	}
	if len(p.Files) == 0 {
		t.Error("package without files")
	}
	seen := map[string]bool{}
	for _, f := range p.Files {
		checkPath(t, f.Path)
		if seen[f.Path] {
			t.Errorf("duplicate file %q", f.Path)
		}
		seen[f.Path] = true
		if f.Size != int64(len(f.Data)) {
			t.Errorf("%q: Size %d, len(Data) %d", f.Path, f.Size, len(f.Data))
		}
		if !knownKind(f.Kind) {
			t.Errorf("%q: unknown kind %q", f.Path, f.Kind)
		}
	}
	for _, is := range p.Issues {
		if !oneOf(is.Reason, entryKinds) {
			t.Errorf("issue %q: reason %v is not an entry-level sentinel", is.Path, is.Reason)
		}
		if !utf8.ValidString(is.Path) {
			t.Errorf("issue path %q is not printable UTF-8", is.Path)
		}
	}
	if p.MetaPath != "" {
		if p.File(p.MetaPath) == nil {
			t.Errorf("MetaPath %q is not a file", p.MetaPath)
		}
		if (p.Meta == nil) == (p.MetaErr == nil) {
			t.Errorf("MetaPath %q: Meta %v and MetaErr %v: want exactly one", p.MetaPath, p.Meta != nil, p.MetaErr)
		}
	} else if p.Meta != nil || p.MetaErr != nil {
		t.Errorf("no MetaPath but Meta %v, MetaErr %v", p.Meta, p.MetaErr)
	}
	var sum int64
	for _, f := range p.Files {
		sum += f.Size
	}
	if p.UncompressedBytes < sum {
		t.Errorf("UncompressedBytes %d < sum of file sizes %d", p.UncompressedBytes, sum)
	}
}

// checkPath asserts that a package path is safe to join under any folder.
func checkPath(t testing.TB, p string) {
	t.Helper()
	switch {
	case p == "":
		t.Error("empty file path")
	case !utf8.ValidString(p):
		t.Errorf("path %q is not valid UTF-8", p)
	case strings.ContainsRune(p, 0):
		t.Errorf("path %q has NUL", p)
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || hasDriveLetter(p):
		t.Errorf("path %q is not relative", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			t.Errorf("path %q has element %q", p, part)
		}
	}
}

// paths lists the package's file paths in order.
func paths(p *Package) []string {
	var out []string
	for _, f := range p.Files {
		out = append(out, f.Path)
	}
	return out
}

// issueWant is an expected EntryIssue: the reason, a substring of its path
// and whether the entry was kept.
type issueWant struct {
	reason error
	path   string
	kept   bool
}

// checkIssues asserts that p has exactly the wanted issues, in order.
func checkIssues(t testing.TB, p *Package, want []issueWant) {
	t.Helper()
	if len(p.Issues) != len(want) {
		t.Fatalf("issues = %+v, want %d: %+v", p.Issues, len(want), want)
	}
	for i, w := range want {
		got := p.Issues[i]
		if !errors.Is(got.Reason, w.reason) || !strings.Contains(got.Path, w.path) || got.Kept != w.kept {
			t.Errorf("issue %d = {%q %v kept=%v}, want {~%q %v kept=%v}", i, got.Path, got.Reason, got.Kept, w.path, w.reason, w.kept)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
