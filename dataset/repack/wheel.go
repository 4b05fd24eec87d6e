package repack

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"pypimal/dataset"
)

// WheelWith is Wheel with o's seed (a wheel has no template or layout).
func WheelWith(p *dataset.Package, o Options) ([]byte, error) {
	s, err := newSource(p)
	if err != nil {
		return nil, err
	}
	_, r, err := choose(s, Options{Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	in := newInfo(s, r)
	mt := mtime(r)
	withLicense := r.IntN(2) == 0

	di := s.distInfoBase() + ".dist-info/"
	type member struct {
		name string
		data []byte
		exec bool
	}
	var members []member
	for _, f := range s.modules { // path order, as bdist_wheel writes them
		members = append(members, member{f.Path, f.Data, f.Executable})
	}
	for _, m := range members {
		if len(m.name) >= len(di) && m.name[:len(di)] == di {
			return nil, fmt.Errorf("repack: package %q already has %s", p.ID(), di)
		}
	}
	if withLicense {
		members = append(members, member{name: di + "LICENSE", data: []byte(in.licenseText())})
	}
	members = append(members, member{name: di + "METADATA", data: s.meta})
	purelib := "true"
	if s.native {
		purelib = "false"
	}
	wheel := fmt.Sprintf("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.37.1)\nRoot-Is-Purelib: %s\nTag: %s\n\n", purelib, s.wheelTag())
	members = append(members, member{name: di + "WHEEL", data: []byte(wheel)})
	if f := s.metaFile("entry_points.txt"); f != nil {
		members = append(members, member{name: di + "entry_points.txt", data: f.Data})
	}
	top := []byte(joinLines(s.topLevel()))
	if f := s.metaFile("top_level.txt"); f != nil {
		top = f.Data
	}
	members = append(members, member{name: di + "top_level.txt", data: top})

	var record bytes.Buffer
	cw := csv.NewWriter(&record)
	for _, m := range members {
		sum := sha256.Sum256(m.data)
		if err := cw.Write([]string{m.name, "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]), strconv.Itoa(len(m.data))}); err != nil {
			return nil, err
		}
	}
	if err := cw.Write([]string{di + "RECORD", "", ""}); err != nil {
		return nil, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, err
	}
	members = append(members, member{name: di + "RECORD", data: record.Bytes()})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: mt}
		mode := 0o644
		if m.exec {
			mode = 0o755
		}
		h.SetMode(fs.FileMode(mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// VerifyRecord checks a wheel's RECORD against its files: every file but
// RECORD listed once with the right sha256 and size, nothing extra.
func VerifyRecord(p *dataset.Package) error {
	var rec *dataset.File
	for i := range p.Files {
		f := &p.Files[i]
		if dir, base := splitDir(f.Path); base == "RECORD" && len(dir) > 10 && dir[len(dir)-10:] == ".dist-info" {
			rec = f
		}
	}
	if rec == nil {
		return fmt.Errorf("repack: no RECORD")
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Data)).ReadAll()
	if err != nil {
		return fmt.Errorf("repack: RECORD: %w", err)
	}
	listed := map[string]bool{}
	for _, row := range rows {
		if len(row) != 3 {
			return fmt.Errorf("repack: RECORD row %q", row)
		}
		listed[row[0]] = true
		if row[0] == rec.Path {
			if row[1] != "" || row[2] != "" {
				return fmt.Errorf("repack: RECORD lists a hash for itself")
			}
			continue
		}
		f := p.File(row[0])
		if f == nil {
			return fmt.Errorf("repack: RECORD lists %s, not in the wheel", row[0])
		}
		sum := sha256.Sum256(f.Data)
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); row[1] != want {
			return fmt.Errorf("repack: %s: hash %s, want %s", row[0], row[1], want)
		}
		if row[2] != strconv.Itoa(len(f.Data)) {
			return fmt.Errorf("repack: %s: size %s, want %d", row[0], row[2], len(f.Data))
		}
	}
	for _, f := range p.Files {
		if !listed[f.Path] {
			return fmt.Errorf("repack: %s not in RECORD", f.Path)
		}
	}
	return nil
}
