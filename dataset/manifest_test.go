package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const manifestHeader = "id,name,version,label,source,source_ref,path,format,metadata_path,sha256,bytes,added,cluster,paper_split"

// TestReadManifest covers good manifests, including unknown extra columns.
func TestReadManifest(t *testing.T) {
	in := manifestHeader + ",my_split,note\n" +
		"m1,evil,0.1,malicious,pypi,ref1,malicious/evil-0.1.tar.gz,sdist-tar.gz,,abc,123,2023-01-02,c9,train,fold1,\"quoted, with comma\"\n" +
		"b1,good,1.0,benign,debian,ref2,benign/python3-good.deb,deb,usr/lib/python3/dist-packages/good-1.0.egg-info/PKG-INFO,def,0,,,test,fold2,\n"
	rows, err := ReadManifest(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	m, b := rows[0], rows[1]
	if m.ID != "m1" || m.Name != "evil" || m.Version != "0.1" || m.Label != Malicious || m.Source != "pypi" ||
		m.SourceRef != "ref1" || m.Path != "malicious/evil-0.1.tar.gz" || m.Format != "sdist-tar.gz" ||
		m.MetadataPath != "" || m.SHA256 != "abc" || m.Bytes != 123 || m.Added != "2023-01-02" ||
		m.Cluster != "c9" || m.PaperSplit != "train" {
		t.Errorf("row 1 = %+v", m)
	}
	if b.Label != Benign || b.Bytes != 0 || b.MetadataPath != "usr/lib/python3/dist-packages/good-1.0.egg-info/PKG-INFO" {
		t.Errorf("row 2 = %+v", b)
	}
	tests := []struct {
		row  Row
		col  string
		want string
		ok   bool
	}{
		{m, "my_split", "fold1", true},
		{m, "note", "quoted, with comma", true},
		{b, "note", "", true},
		{b, "my_split", "fold2", true},
		{m, "bytes", "123", true},
		{m, "id", "m1", true},
		{b, "metadata_path", b.MetadataPath, true},
		{m, "paper_split", "train", true},
		{m, "added", "2023-01-02", true},
		{m, "cluster", "c9", true},
		{m, "missing", "", false},
		{Row{}, "my_split", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.row.Column(tt.col)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Column(%q) = %q, %v; want %q, %v", tt.col, got, ok, tt.want, tt.ok)
		}
	}
	for _, c := range ManifestColumns {
		if _, ok := m.Column(c); !ok {
			t.Errorf("Column(%q) not found", c)
		}
		if _, ok := m.Extra[c]; ok {
			t.Errorf("known column %q landed in Extra", c)
		}
	}

	// Columns may come in any order; a header-only manifest has no rows.
	reordered := "bytes,label,id,name,version,source,source_ref,path,format,metadata_path,sha256,added,cluster,paper_split\n" +
		"7,benign,x,n,v,s,r,p,f,,h,,,pool\n"
	rows, err = ReadManifest(strings.NewReader(reordered))
	if err != nil || len(rows) != 1 || rows[0].ID != "x" || rows[0].Bytes != 7 || rows[0].Extra != nil {
		t.Errorf("reordered = %+v, %v", rows, err)
	}
	rows, err = ReadManifest(strings.NewReader(manifestHeader + "\n"))
	if err != nil || len(rows) != 0 {
		t.Errorf("header only = %+v, %v", rows, err)
	}
}

// TestReadManifestErrors checks that every kind of damage is ErrManifest.
func TestReadManifestErrors(t *testing.T) {
	row := func(id, label, bytes string) string {
		return id + ",n,v," + label + ",s,r,p,f,,h," + bytes + ",,,train\n"
	}
	withoutLabel := strings.Replace(manifestHeader, ",label", "", 1)
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"missing column", withoutLabel + "\n"},
		{"missing column with rows", strings.Replace(manifestHeader, ",paper_split", "", 1) + "\n" + "a,n,v,benign,s,r,p,f,,h,1,,\n"},
		{"duplicate id", manifestHeader + "\n" + row("a", Benign, "1") + row("a", Malicious, "2")},
		{"empty id", manifestHeader + "\n" + row("", Benign, "1")},
		{"bad label", manifestHeader + "\n" + row("a", "evil", "1")},
		{"label case", manifestHeader + "\n" + row("a", "Benign", "1")},
		{"empty label", manifestHeader + "\n" + row("a", "", "1")},
		{"bad bytes", manifestHeader + "\n" + row("a", Benign, "12kB")},
		{"negative bytes", manifestHeader + "\n" + row("a", Benign, "-1")},
		{"empty bytes", manifestHeader + "\n" + row("a", Benign, "")},
		{"float bytes", manifestHeader + "\n" + row("a", Benign, "1e3")},
		{"bytes overflow", manifestHeader + "\n" + row("a", Benign, "99999999999999999999")},
		{"short row", manifestHeader + "\n" + "a,n,v,benign\n"},
		{"long row", manifestHeader + "\n" + strings.TrimSuffix(row("a", Benign, "1"), "\n") + ",extra\n"},
		{"bad quoting", manifestHeader + "\n" + "\"a,n,v,benign,s,r,p,f,,h,1,,,train\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ReadManifest(strings.NewReader(tt.in))
			if !errors.Is(err, ErrManifest) || rows != nil {
				t.Errorf("ReadManifest = %d rows, %v; want ErrManifest", len(rows), err)
			}
		})
	}
}

// TestReadManifestFile checks the file wrapper.
func TestReadManifestFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "manifest.csv")
	if err := os.WriteFile(good, []byte(manifestHeader+"\na,n,v,benign,s,r,p,f,,h,1,,,train\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rows, err := ReadManifestFile(good); err != nil || len(rows) != 1 {
		t.Errorf("ReadManifestFile = %v, %v", rows, err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifestFile(bad); !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad manifest: %v", err)
	}
	if _, err := ReadManifestFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing manifest: %v", err)
	}
}

// TestDigestAndLabel pins the dataset digest (stored in run.json and model
// files) and the label encoding.
func TestDigestAndLabel(t *testing.T) {
	rows := []Row{{ID: "a", SHA256: "00ff"}, {ID: "b", SHA256: "11"}}
	// printf 'a 00ff\nb 11\n' | sha256sum
	if got, want := Digest(rows), "b6148c02f148b79c24e453fb4ae5d6e1a1ef439dc7c57fbf9e37f623e0ed4fba"; got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
	for label, want := range map[string]int{Malicious: 1, Benign: 0, "": 0} {
		if got := LabelValue(label); got != want {
			t.Errorf("LabelValue(%q) = %d, want %d", label, got, want)
		}
	}
}
