package dataset

// Fuzz targets for every reader and parser of hostile input. Each runs as a
// plain test over its seed corpus (and testdata/fuzz/) under `go test`, and
// for real under `make fuzz` or
//
//	go test -run='^$' -fuzz='^FuzzDecode$' -fuzztime=60s ./dataset/
//
// Limits are tight so that one input costs little: the fuzzer should spend
// its time on odd headers, not on decompressing megabytes.

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"hash/crc32"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ulikunitz/xz"
)

// fuzzLimits are small enough that a bomb stops after a few hundred kB.
func fuzzLimits() Limits {
	return Limits{
		MaxFiles:      64,
		MaxFileBytes:  64 << 10,
		MaxTotalBytes: 256 << 10,
		MaxRatio:      50,
		RatioFloor:    32 << 10,
		MaxArchive:    1 << 20,
	}
}

// truncations returns b cut at a few places: half, all but the last byte
// (trailers and checksums), and just past the magic number.
func truncations(b []byte) [][]byte {
	var out [][]byte
	for _, n := range []int{len(b) / 2, len(b) - 1, 7} {
		if n > 0 && n < len(b) {
			out = append(out, b[:n])
		}
	}
	return out
}

// decodeSeeds are the fixture builders' outputs, normal and hostile, plus
// truncated copies. wheel asks Decode to treat the input as a .whl.
func decodeSeeds(t testing.TB) (seeds []struct {
	data  []byte
	wheel bool
}) {
	add := func(wheel bool, bs ...[]byte) {
		for _, b := range bs {
			seeds = append(seeds, struct {
				data  []byte
				wheel bool
			}{b, wheel})
		}
	}
	sdist := sdistTar(t)
	gz, xzs, zst := gzipBytes(t, sdist), xzBytes(t, sdist), zstdBytes(t, sdist)
	sdistZip := buildZip(t,
		zipEntry{name: "pkg-1.0/PKG-INFO", body: "Metadata-Version: 1.0\r\nName: pkg\r\n"},
		zipEntry{name: "pkg-1.0/run.sh", body: "#!/bin/sh\n", mode: 0o755},
		zipEntry{name: "pkg-1.0/pkg/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "pkg-1.0/pkg/__init__.py", body: ""},
	)
	whl := wheelZip(t)
	debXz := buildDeb(t, "data.tar.xz", xzBytes(t, debDataTar(t)))
	debGz := buildDeb(t, "data.tar.gz", gzipBytes(t, debDataTar(t)))
	debZst := buildDeb(t, "data.tar.zst", zstdBytes(t, debDataTar(t)))
	debTar := buildDeb(t, "data.tar", debDataTar(t))
	add(false, sdist, gz, xzs, zst, []byte(bz2Tar), sdistZip, debXz, debGz, debZst, debTar)
	// xz that stores the tar verbatim: mutations reach the tar inside.
	add(false, xzStored(t, sdist), buildDeb(t, "data.tar.xz", xzStored(t, debDataTar(t))))
	add(true, whl)

	// Hostile members: every one is recorded or refused, never followed.
	hostile := buildTar(t,
		tarEntry{name: "h-1/ok.py", body: "ok = 1\n"},
		tarEntry{name: "h-1/../../etc/passwd", body: "root"},
		tarEntry{name: "/abs/path", body: "x"},
		tarEntry{name: "h-1/C:\\win.txt", body: "x"},
		tarEntry{name: "h-1/link", typ: tar.TypeSymlink, link: "../../x"},
		tarEntry{name: "h-1/hard", typ: tar.TypeLink, link: "h-1/ok.py"},
		tarEntry{name: "h-1/dev", typ: tar.TypeChar},
		tarEntry{name: "h-1/ok.py", body: "dup"},
		tarEntry{name: "h-1/bad\xff\xfename.py", body: "x"},
		tarEntry{name: "h-1/PKG-INFO", body: "\xff\xfeN\x00a\x00m\x00e\x00:\x00 \x00h\x00\n\x00"},
	)
	add(false, hostile, gzipBytes(t, hostile), xzStored(t, hostile))
	add(false, buildZip(t,
		zipEntry{name: "../evil.py", body: "x"},
		zipEntry{name: "z-1/link", mode: fs.ModeSymlink | 0o777, body: "/etc/passwd"},
		zipEntry{name: "z-1/big.py", body: "small", declared: 1 << 40},
		zipEntry{name: "z-1\\win\\path.py", body: "x"},
	))
	bomb := gzipBytes(t, buildTar(t, tarEntry{name: "b/zeros", body: strings.Repeat("\x00", 1<<20)}))
	add(false, bomb, xzHugeDict(t, xzs))
	add(false, buildZip(t), gzipBytes(t, nil), buildAr(), nil)

	for _, b := range [][]byte{gz, xzs, zst, []byte(bz2Tar), sdistZip, debXz, debGz, debTar} {
		add(false, truncations(b)...)
	}
	add(true, truncations(whl)...)
	return seeds
}

// FuzzDecode feeds arbitrary bytes to Decode: it must return either a sane
// package within the limits or an *Error with a known reason and the id.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s.data, s.wheel)
	}
	f.Fuzz(func(t *testing.T, data []byte, wheel bool) {
		const id = "fuzz-1"
		name := "pkg-1.0.tar.gz"
		if wheel {
			name = "pkg-1.0-py3-none-any.whl"
		}
		lim := fuzzLimits()
		p, err := Decode(id, name, data, lim)
		if err != nil {
			if p != nil {
				t.Fatalf("package returned with error %v", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T %v, want *Error", err, err)
			}
			if e.ID != id || !oneOf(e.Kind, decodeKinds) || Reason(err) != e.Kind {
				t.Fatalf("err = %v: id %q, kind %v; want id %q and one of the Decode reasons", err, e.ID, e.Kind, id)
			}
			return
		}
		checkPackage(t, p)
		checkWithinLimits(t, p, lim, len(data))
		if p.ID() != id {
			t.Errorf("ID = %q, want %q", p.ID(), id)
		}
		switch p.Format {
		case "sdist-tar.gz", "sdist-zip", "wheel", "deb":
		default:
			t.Errorf("Format = %q", p.Format)
		}
		for _, f := range p.Files {
			if path.Clean(f.Path) != f.Path || !fs.ValidPath(f.Path) {
				t.Errorf("path %q is not clean", f.Path)
			}
			for _, part := range strings.Split(f.Path, "/") {
				if hasDriveLetter(part) {
					t.Errorf("path %q has a drive-like element %q", f.Path, part)
				}
			}
		}
		if p.Meta != nil {
			checkMetadata(t, p.Meta)
		}
	})
}

// checkWithinLimits asserts that a loaded package kept every limit.
func checkWithinLimits(t *testing.T, p *Package, lim Limits, archive int) {
	t.Helper()
	if len(p.Files) > lim.MaxFiles {
		t.Errorf("%d files, limit %d", len(p.Files), lim.MaxFiles)
	}
	var sum int64
	for _, f := range p.Files {
		if f.Size > lim.MaxFileBytes {
			t.Errorf("%q: %d bytes, limit %d", f.Path, f.Size, lim.MaxFileBytes)
		}
		sum += f.Size
	}
	if p.UncompressedBytes > lim.MaxTotalBytes || sum > lim.MaxTotalBytes {
		t.Errorf("UncompressedBytes %d (files %d), limit %d", p.UncompressedBytes, sum, lim.MaxTotalBytes)
	}
	// The meter measures against the compressed stream it reads (for a .deb
	// the data member, shorter than the archive), so this bound is looser.
	if p.UncompressedBytes > lim.RatioFloor && float64(p.UncompressedBytes) > lim.MaxRatio*float64(archive) {
		t.Errorf("UncompressedBytes %d from %d bytes: ratio over %.0f", p.UncompressedBytes, archive, lim.MaxRatio)
	}
}

// FuzzReadAr checks the .deb container splitter: members are in order,
// inside the input, and match their headers; errors carry a reason.
func FuzzReadAr(f *testing.F) {
	f.Add(buildAr(arFile{"debian-binary", []byte("2.0\n")}, arFile{"odd/", []byte("abc")}, arFile{"data.tar", []byte("xy")}))
	f.Add([]byte("!<arch>\n"))
	f.Add([]byte("!<arch>\n" + arHeader("a", 1) + "z"))
	f.Add([]byte("!<arch>\n" + arHeader("empty", 0)))
	f.Add([]byte("!<arch>\n" + arHeaderRaw("a", "-1") + "z"))
	f.Add([]byte("!<arch>\n" + arHeaderRaw("a", "9999999999") + "z"))
	f.Add([]byte("!<arch>\n" + arHeader("a", 100) + "short"))
	f.Add([]byte("!<thin>\n"))
	deb := buildDeb(f, "data.tar.gz", gzipBytes(f, debDataTar(f)))
	f.Add(deb)
	f.Add(deb[:len(deb)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := readAr(data)
		if err != nil {
			if ms != nil {
				t.Fatalf("members returned with error %v", err)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("err = %v, want ErrCorrupt or ErrUnknownFormat", err)
			}
			return
		}
		if !bytes.HasPrefix(data, []byte("!<arch>\n")) {
			t.Fatal("parsed input without the ar magic")
		}
		off := 8
		for i, m := range ms {
			if len(data)-off < 60 {
				t.Fatalf("member %d: no room for its header at %d", i, off)
			}
			h := data[off : off+60]
			if size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64); err != nil || size != int64(len(m.data)) {
				t.Fatalf("member %d: %d bytes, header says %q", i, len(m.data), h[48:58])
			}
			if m.name != strings.TrimRight(strings.TrimSpace(string(h[:16])), "/") {
				t.Errorf("member %d: name %q, header %q", i, m.name, h[:16])
			}
			off += 60
			if !bytes.Equal(data[off:off+len(m.data)], m.data) {
				t.Fatalf("member %d: data is not the bytes after its header", i)
			}
			off += len(m.data)
			off += off % 2
		}
		if off < len(data) {
			t.Fatalf("parsed up to %d of %d bytes without error", off, len(data))
		}
	})
}

// FuzzParseMetadata: any bytes parse or fail with ErrBadMetadata; Get and
// All agree with Fields; every string is valid UTF-8.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"Metadata-Version: 2.1\nName: new\nVersion: 2.0\nRequires-Dist: a>=1\nRequires-Dist: b; extra == 'x'\n\n# New\n\nBody.\n",
		"Metadata-Version: 1.1\nName: old\nDescription: Old\n        |====\n        |\n        |    code\nClassifier: A\n",
		"Name: p\nDescription: one\n   two\n\tthree\nKeywords: a b\n",
		"Name: u\nDescription: UNKNOWN\n\nreal body\n",
		"Metadata-Version: 2.1\r\nName: crlf\r\n\r\nbody\r\n",
		"Name: cr\rVersion: 3\r",
		"\xef\xbb\xbfName: bom\n",
		"Name: caf\xe9\nSummary: latin-1\n",
		"\n\n  \nName: late\n",
		" continuation first\nName: x\nnot a header\nmore body",
		"<html>not metadata</html>",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Add(utf16Bytes("Name: sixteen\nSummary: \u00e9t\u00e9\n\nbody\n", false))
	f.Add(utf16Bytes("Name: big\n", true))
	f.Add([]byte{0xFF, 0xFE, 'N', 0, ':', 0, 0x00, 0xD8}) // lone surrogate
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMetadata(b)
		if err != nil {
			if m != nil || !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("ParseMetadata = %v, %v; want nil and ErrBadMetadata", m != nil, err)
			}
			return
		}
		if len(m.Fields) == 0 {
			t.Fatal("parsed without a header field")
		}
		checkMetadata(t, m)
	})
}

// checkMetadata asserts that a parsed Metadata is self-consistent.
func checkMetadata(t *testing.T, m *Metadata) {
	t.Helper()
	switch m.Encoding {
	case "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "latin-1":
	default:
		t.Errorf("Encoding = %q", m.Encoding)
	}
	if !utf8.ValidString(m.Body) {
		t.Errorf("Body is not valid UTF-8: %q", m.Body)
	}
	for _, fl := range m.Fields {
		if !validFieldName(fl.Name) || !utf8.ValidString(fl.Value) {
			t.Errorf("field %q: %q", fl.Name, fl.Value)
		}
		var all []string
		for _, g := range m.Fields {
			if strings.EqualFold(g.Name, fl.Name) {
				all = append(all, g.Value)
			}
		}
		for _, name := range []string{fl.Name, strings.ToLower(fl.Name), strings.ToUpper(fl.Name)} {
			if got := m.All(name); !equalStrings(got, all) {
				t.Errorf("All(%q) = %q, want %q", name, got, all)
			}
			if got := m.Get(name); got != all[0] {
				t.Errorf("Get(%q) = %q, want %q", name, got, all[0])
			}
		}
	}
	if d := m.Description(); d != m.Body && d != m.Get("Description") {
		t.Errorf("Description() = %q, neither the header nor the body", d)
	}
}

// FuzzManifest: arbitrary CSV reads as rows that keep the manifest's rules,
// or fails with ErrManifest.
func FuzzManifest(f *testing.F) {
	good := manifestHeader + ",my_split,note\n" +
		"m1,evil,0.1,malicious,pypi,ref1,malicious/evil-0.1.tar.gz,sdist-tar.gz,,abc,123,2023-01-02,c9,train,fold1,\"quoted, with comma\"\n" +
		"b1,good,1.0,benign,debian,ref2,benign/python3-good.deb,deb,usr/lib/python3/dist-packages/good-1.0.egg-info/PKG-INFO,def,0,,,test,fold2,\n"
	f.Add([]byte(good))
	f.Add([]byte(manifestHeader + "\n"))
	f.Add([]byte(manifestHeader + "\nm1,a,1,malicious,s,r,p,f,,h,-1,,,train\n"))
	f.Add([]byte(manifestHeader + "\nm1,a,1,malicious,s,r,p,f,,h,1,,,train\nm1,a,1,benign,s,r,p,f,,h,1,,,train\n"))
	f.Add([]byte(manifestHeader + "\n,a,1,evil,s,r,p,f,,h,1,,,train\n"))
	f.Add([]byte(manifestHeader + "\nm1,\"multi\nline\",1,benign,s,r,p,f,,h,1,,,\"unterminated\n"))
	f.Add([]byte("id,name\nm1,a\n"))
	f.Add([]byte(strings.ReplaceAll(manifestHeader, ",", ";") + "\n"))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append(ManifestColumns, "label"))
	_ = w.Write([]string{"d", "n", "v", "bad", "", "", "", "", "", "", "1", "", "", "", "benign"})
	w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadManifest(bytes.NewReader(b))
		if err != nil {
			if rows != nil || !errors.Is(err, ErrManifest) {
				t.Fatalf("ReadManifest = %d rows, %v; want none and ErrManifest", len(rows), err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.ID == "" || seen[r.ID] {
				t.Errorf("empty or duplicate id %q", r.ID)
			}
			seen[r.ID] = true
			if r.Label != Malicious && r.Label != Benign {
				t.Errorf("%s: label %q", r.ID, r.Label)
			}
			if r.Bytes < 0 {
				t.Errorf("%s: bytes %d", r.ID, r.Bytes)
			}
			for _, c := range ManifestColumns {
				if _, ok := r.Column(c); !ok {
					t.Errorf("%s: Column(%q) missing", r.ID, c)
				}
			}
			for k := range r.Extra {
				if isKnownColumn(k) {
					t.Errorf("%s: known column %q in Extra", r.ID, k)
				}
			}
		}
	})
}

// setXzDictCode rewrites the dictionary code of the first block header of
// x (as xz.Writer writes it: one LZMA2 filter, no sizes) and fixes its
// CRC. It reports false when x has no such block.
func setXzDictCode(x []byte, code byte) ([]byte, bool) {
	const streamHeader = 12
	if len(x) <= streamHeader || x[streamHeader] == 0 {
		return nil, false
	}
	hs := (int(x[streamHeader]) + 1) * 4
	if streamHeader+hs > len(x) {
		return nil, false
	}
	out := append([]byte{}, x...)
	blk := out[streamHeader : streamHeader+hs]
	if blk[1] != 0 || blk[2] != 0x21 || blk[3] != 1 {
		return nil, false
	}
	blk[4] = code
	binary.LittleEndian.PutUint32(blk[hs-4:], crc32.ChecksumIEEE(blk[:hs-4]))
	return out, true
}

// xzSmall compresses b like xzBytes but with a small dictionary: the
// default writer costs 10 ms and 50 MB a call, too slow to run per input.
func xzSmall(t testing.TB, b []byte, dictCap int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := xz.WriterConfig{DictCap: dictCap, BufSize: 4096}.NewWriter(&buf)
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

// FuzzCheckXzDicts: the dictionary guard never panics on any bytes, accepts
// well-formed xz, and refuses every block declaring more than maxXzDict,
// whatever the data around it.
func FuzzCheckXzDicts(f *testing.F) {
	// What xzBytes (the default writer, as in the fixtures) makes must pass.
	var valid [][]byte
	for _, plain := range [][]byte{nil, []byte("print('hi')\n"), sdistTar(f), debDataTar(f), bytes.Repeat([]byte("ab"), 50000)} {
		x := xzBytes(f, plain)
		if err := checkXzDicts(x); err != nil {
			f.Fatalf("xzBytes of %d bytes refused: %v", len(plain), err)
		}
		valid = append(valid, x)
	}
	sdistXz := valid[2]
	f.Add(sdistXz, []byte("print('hi')\n"), byte(40))
	f.Add(valid[4], bytes.Repeat([]byte("ab"), 5000), byte(3))
	f.Add(xzHugeDict(f, sdistXz), []byte{}, byte(33))
	f.Add(sdistXz[:len(sdistXz)/2], []byte{0}, byte(0))
	f.Add([]byte{0xFD, '7', 'z', 'X', 'Z', 0, 0, 4, 0xE6, 0xD6, 0xB4, 0x46, 0x02, 0x00, 0x21, 0x01, 0x28, 0, 0, 0}, []byte{}, byte(7))
	f.Add([]byte{}, []byte{}, byte(255))
	f.Add(xzStored(f, append(append([]byte("data "), xzHugeDict(f, sdistXz)[12:24]...), " end"...)), []byte{}, byte(1))
	f.Fuzz(func(t *testing.T, raw, plain []byte, code byte) {
		if err := checkXzDicts(raw); err != nil && (!errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "dictionary")) {
			t.Fatalf("checkXzDicts(raw) = %v, want nil or a dictionary error", err)
		}
		if len(plain) > 16<<10 {
			plain = plain[:16<<10]
		}
		x := xzSmall(t, plain, 4096<<(code%4))
		if err := checkXzDicts(x); err != nil {
			t.Fatalf("well-formed xz of %d bytes refused: %v", len(plain), err)
		}
		// Stored verbatim, plain may hold header-like runs; they are data,
		// refused only past maxXzProbes of them (then plain alone is too).
		if err := checkXzDicts(xzStored(t, plain)); err != nil && checkXzDicts(plain) == nil {
			t.Fatalf("xz storing %d bytes verbatim refused: %v", len(plain), err)
		}
		// Every code above maxXzDict must be refused: 33..40 declare
		// 384 MiB..4 GiB - 1, and 32 is exactly 256 MiB.
		code = 32 + code%9
		if big, ok := setXzDictCode(x, code); ok {
			err := checkXzDicts(big)
			if (code > 32) != (err != nil) {
				t.Fatalf("dictionary code %d: checkXzDicts = %v", code, err)
			}
		}
	})
}
