package dataset

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Container formats recognised by magic number.
const (
	containerTar = "tar"
	containerZip = "zip"
	containerAr  = "ar"
)

// Compressions recognised by magic number.
const (
	compGzip  = "gzip"
	compBzip2 = "bzip2"
	compXz    = "xz"
	compZstd  = "zstd"
	compNone  = "none"
)

// sniff names the container and the compression of data from its magic
// numbers; the file name is never trusted (the registry has zips named
// .tar.gz).
func sniff(data []byte) (container, compression string) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return containerZip, compNone
	case bytes.HasPrefix(data, []byte("!<arch>\n")):
		return containerAr, compNone
	}
	if c := compressionOf(data); c != "" {
		return containerTar, c
	}
	if isTar(data) {
		return containerTar, compNone
	}
	return "", ""
}

func compressionOf(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0x1F, 0x8B}):
		return compGzip
	case bytes.HasPrefix(data, []byte("BZh")):
		return compBzip2
	case bytes.HasPrefix(data, []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}):
		return compXz
	case bytes.HasPrefix(data, []byte{0x28, 0xB5, 0x2F, 0xFD}):
		return compZstd
	}
	return ""
}

func isTar(data []byte) bool {
	return len(data) >= 262 && bytes.Equal(data[257:262], []byte("ustar"))
}

// decompress wraps r in the decoder for comp. Decoders run single-threaded
// with bounded windows; the meter above them bounds the output.
func decompress(r io.Reader, comp string) (io.Reader, func(), error) {
	nop := func() {}
	switch comp {
	case compGzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nop, fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
		}
		return z, func() { z.Close() }, nil
	case compBzip2:
		return bzip2.NewReader(r), nop, nil
	case compXz:
		z, err := xz.NewReader(r)
		if err != nil {
			return nil, nop, fmt.Errorf("%w: xz: %v", ErrCorrupt, err)
		}
		return z, nop, nil
	case compZstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, nop, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		return z, z.Close, nil
	case compNone:
		return r, nop, nil
	}
	return nil, nop, fmt.Errorf("%w: %q", ErrUnknownCompression, comp)
}

// maxXzDict bounds the LZMA2 dictionary an xz block may declare, as the zstd
// window is bounded: the xz decoder allocates the declared dictionary when it
// reaches a block, so a 300-byte file declaring 4 GiB would cost 4 GiB.
const maxXzDict = 256 << 20

// checkXzDicts refuses xz data holding a block header that declares a
// dictionary over maxXzDict. Blocks cannot be found without decoding, so
// every offset is tried with the decoder's own rules (one LZMA2 filter,
// zero padding, CRC-32); the CRC is computed only for the rare offsets that
// already parse as such a header. Such bytes may also be data that LZMA2
// stored verbatim (an uncompressed chunk holding, say, a bundled .xz file):
// xzBoundaryAt tells the two apart, so a package is not refused for the
// files it carries.
func checkXzDicts(data []byte) error {
	probes := 0
	for i := 0; i+12 <= len(data); i++ {
		hlen := (int(data[i]) + 1) * 4
		if data[i] == 0 || data[i+1]&0x3F != 0 || i+hlen > len(data) {
			continue // index indicator, reserved flags, not one filter, or too short
		}
		h := data[i : i+hlen]
		p := h[2 : hlen-4]
		for _, present := range []bool{h[1]&0x40 != 0, h[1]&0x80 != 0} {
			if _, n := binary.Uvarint(p); present && n > 0 {
				p = p[n:]
			} else if present {
				p = nil
			}
		}
		id, n := binary.Uvarint(p)
		if n <= 0 || id != 0x21 || len(p) < n+2 || p[n] != 1 || p[n+1] > 40 {
			continue
		}
		code := p[n+1]
		dict := int64(2|code&1) << (11 + code>>1)
		if code == 40 {
			dict = 1<<32 - 1
		}
		if dict <= maxXzDict || bytes.ContainsFunc(p[n+2:], func(r rune) bool { return r != 0 }) {
			continue
		}
		if binary.LittleEndian.Uint32(h[hlen-4:]) != crc32.ChecksumIEEE(h[:hlen-4]) {
			continue
		}
		if probes++; probes > maxXzProbes || xzBoundaryAt(data[:i]) {
			return fmt.Errorf("%w: xz: block declares a %d-byte dictionary, limit %d", ErrCorrupt, dict, maxXzDict)
		}
	}
	return nil
}

// Bounds on telling header-like data from headers: candidates examined per
// archive, and bytes decoded for each.
const (
	maxXzProbes     = 4
	maxXzProbeBytes = 64 << 20
)

// xzBoundaryAt decodes prefix, the start of an xz file, and reports whether
// the decoder stops cleanly at its end: it then stands between blocks or
// streams and reads a header next. Inside a block (chunk data, padding,
// check) it reports a truncation instead, so the bytes that follow prefix
// are data, not a header. The decoder reads its input in order and never
// ahead, so it treats prefix exactly as the start of the whole file, and
// the caller has checked that prefix holds no oversized header. Output over
// maxXzProbeBytes counts as a boundary: the caller then refuses.
func xzBoundaryAt(prefix []byte) bool {
	z, err := xz.NewReader(bytes.NewReader(prefix))
	if err != nil {
		return false // inside or after a broken stream header: never a block header
	}
	_, err = io.Copy(io.Discard, io.LimitReader(z, maxXzProbeBytes+1))
	return err == nil
}

// readTar feeds every member of a (compressed) tar stream to c.
func readTar(c *collector, data []byte, comp string) error {
	if comp == compXz {
		if err := checkXzDicts(data); err != nil {
			return err
		}
	}
	dec, closeDec, err := decompress(bytes.NewReader(data), comp)
	if err != nil {
		return err
	}
	defer closeDec()
	tr := tar.NewReader(&meter{r: dec, total: &c.total, lim: c.lim, compressed: int64(len(data))})
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return corrupt("tar", err)
		}
		typ := entryOther
		switch h.Typeflag {
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg (or TypeDir)
			typ = entryFile
		case tar.TypeDir:
			typ = entryDir
		case tar.TypeSymlink, tar.TypeLink:
			typ = entryLink
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			typ = entryDevice
		}
		if err := c.add(h.Name, typ, h.Size, h.Mode&0o111 != 0, tr); err != nil {
			return corrupt("tar", err)
		}
	}
}

// readZip feeds every member of a zip (sdist or wheel) to c.
func readZip(c *collector, data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return corrupt("zip", err)
	}
	for _, f := range zr.File {
		mode := f.Mode()
		typ := entryFile
		switch {
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			typ = entryDir
		case mode&fs.ModeSymlink != 0:
			typ = entryLink
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			typ = entryDevice
		case !mode.IsRegular():
			typ = entryOther
		}
		if typ != entryFile {
			if err := c.add(f.Name, typ, 0, false, nil); err != nil {
				return err
			}
			continue
		}
		if f.UncompressedSize64 > uint64(c.lim.MaxFileBytes) {
			return &limitError{ErrFileTooLarge, fmt.Sprintf("%s declares %d bytes, limit %d", printable(f.Name), f.UncompressedSize64, c.lim.MaxFileBytes)}
		}
		rc, err := f.Open()
		if err != nil {
			if errors.Is(err, zip.ErrAlgorithm) {
				c.issue(f.Name, ErrUnsupported, false)
				continue
			}
			return corrupt("zip", fmt.Errorf("%s: %w", printable(f.Name), err))
		}
		err = c.add(f.Name, typ, int64(f.UncompressedSize64), mode&0o111 != 0,
			&meter{r: rc, total: &c.total, lim: c.lim, compressed: int64(len(data))})
		rc.Close()
		if err != nil {
			return corrupt("zip", err)
		}
	}
	return nil
}

// arMember is one member of a Unix ar archive (the .deb container).
type arMember struct {
	name string
	data []byte
}

// readAr splits a Debian ar archive into members. It copies nothing: members
// are sub-slices of data.
func readAr(data []byte) ([]arMember, error) {
	if !bytes.HasPrefix(data, []byte("!<arch>\n")) {
		return nil, fmt.Errorf("%w: not an ar archive", ErrUnknownFormat)
	}
	var out []arMember
	off := 8
	for off < len(data) {
		if len(data)-off < 60 {
			return nil, fmt.Errorf("%w: ar: truncated header at %d", ErrCorrupt, off)
		}
		h := data[off : off+60]
		if h[58] != '`' || h[59] != '\n' {
			return nil, fmt.Errorf("%w: ar: bad header magic at %d", ErrCorrupt, off)
		}
		name := strings.TrimRight(strings.TrimSpace(string(h[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%w: ar: bad size %q for %s", ErrCorrupt, h[48:58], printable(name))
		}
		off += 60
		if size > int64(len(data)-off) {
			return nil, fmt.Errorf("%w: ar: member %s truncated", ErrCorrupt, printable(name))
		}
		out = append(out, arMember{name: name, data: data[off : off+int(size)]})
		off += int(size)
		if off%2 == 1 {
			off++ // members are 2-byte aligned
		}
	}
	return out, nil
}

// debPackageRoot is the tree of a .deb that is the Python package.
const debPackageRoot = "usr/lib/python3/dist-packages/"

// readDeb feeds the dist-packages tree of a .deb's data tarball to c.
func readDeb(c *collector, data []byte) error {
	members, err := readAr(data)
	if err != nil {
		return err
	}
	for _, m := range members {
		if !strings.HasPrefix(m.name, "data.tar") {
			continue
		}
		comp := compressionOf(m.data)
		if comp == "" {
			if !isTar(m.data) {
				return fmt.Errorf("%w: %s", ErrUnknownCompression, m.name)
			}
			comp = compNone
		}
		c.scope = func(clean string) (string, bool) {
			rel, ok := strings.CutPrefix(clean, debPackageRoot)
			return rel, ok
		}
		return readTar(c, m.data, comp)
	}
	return fmt.Errorf("%w: .deb has no data.tar member", ErrCorrupt)
}

// corrupt wraps a reader error as ErrCorrupt unless it is a broken limit or
// already carries a reason.
func corrupt(what string, err error) error {
	if _, ok := asLimit(err); ok {
		return err
	}
	for _, k := range []error{ErrCorrupt, ErrUnknownCompression, ErrUnknownFormat} {
		if errors.Is(err, k) {
			return err
		}
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
}
