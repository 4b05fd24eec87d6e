package featuresets

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"testing"

	"pypimal/dataset"
)

func TestExtractPackage(t *testing.T) {
	ex, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	row := dataset.Row{ID: "r1", Label: dataset.Malicious}
	good := pkg(t, "Metadata-Version: 2.1\nName: p\nVersion: 1\n", "setup.py", "import os\nos.system('id')\n")
	tests := []struct {
		name           string
		load           func() (*dataset.Package, error)
		reason, detail string // "" reason: extracts
	}{
		{"good", func() (*dataset.Package, error) { return good, nil }, "", ""},
		{"dataset error", func() (*dataset.Package, error) {
			return nil, &dataset.Error{ID: "r1", Kind: dataset.ErrHashMismatch, Err: errors.New("got abc")}
		}, dataset.ErrHashMismatch.Error(), "got abc"},
		{"other error", func() (*dataset.Package, error) { return nil, fmt.Errorf("boom") }, "boom", "boom"},
		{"panic", func() (*dataset.Package, error) { panic("decoder bug") }, "extract", "panic: decoder bug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ee := ExtractPackage(ex, row, tc.load)
			if tc.reason == "" {
				if ee != nil || r == nil || len(r.Values) != len(Catalogue()) {
					t.Fatalf("row %v, error %+v", r, ee)
				}
				return
			}
			if r != nil || ee == nil {
				t.Fatalf("row %v, error %+v: want an error", r, ee)
			}
			want := ExtractError{ID: "r1", Label: dataset.Malicious, Reason: tc.reason, Detail: tc.detail}
			if *ee != want {
				t.Errorf("error %+v, want %+v", *ee, want)
			}
		})
	}
}

// TestRecordsMatchWriters: a file written record by record (as a pipeline
// writes shards) is the file the Table writers write.
func TestRecordsMatchWriters(t *testing.T) {
	ex, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	tab := &Table{Features: Catalogue()}
	for i, src := range []string{"import base64\nexec(base64.b64decode('eA=='))\n", "def add(a, b):\n    return a + b  # \"quoted\", comma\n"} {
		row := dataset.Row{ID: fmt.Sprintf("p%d", i), Label: dataset.Benign, Cluster: "a,b"}
		r, ee := ExtractPackage(ex, row, func() (*dataset.Package, error) { return pkg(t, "", "m.py", src), nil })
		if ee != nil {
			t.Fatal(ee)
		}
		tab.Rows = append(tab.Rows, NewTableRow(row, r))
	}
	errs := []ExtractError{{ID: "x", Label: dataset.Malicious, Reason: "corrupt", Detail: "line 1, \"bad\""}}
	var wantF, wantT, wantE bytes.Buffer
	if err := tab.WriteFeaturesCSV(&wantF); err != nil {
		t.Fatal(err)
	}
	if err := tab.WriteTokensTSV(&wantT); err != nil {
		t.Fatal(err)
	}
	if err := WriteErrorsCSV(&wantE, errs); err != nil {
		t.Fatal(err)
	}
	var gotF, gotE bytes.Buffer
	fw, ew := csv.NewWriter(&gotF), csv.NewWriter(&gotE)
	fw.Write(FeaturesCSVHeader(tab.Features))
	gotT := []byte(TokensTSVHeader)
	for i := range tab.Rows {
		fw.Write(FeaturesCSVRecord(&tab.Rows[i]))
		gotT = AppendTokensTSV(gotT, &tab.Rows[i])
	}
	ew.Write(ErrorsCSVHeader)
	for _, e := range errs {
		ew.Write(ErrorsCSVRecord(e))
	}
	fw.Flush()
	ew.Flush()
	for _, c := range []struct {
		name      string
		want, got []byte
	}{{"features.csv", wantF.Bytes(), gotF.Bytes()}, {"tokens.tsv", wantT.Bytes(), gotT}, {"errors.csv", wantE.Bytes(), gotE.Bytes()}} {
		if !bytes.Equal(c.want, c.got) {
			t.Errorf("%s record by record:\n%s\nwant:\n%s", c.name, c.got, c.want)
		}
	}
	if len(gotT) <= len(TokensTSVHeader) {
		t.Error("no tokens written")
	}
}
