package vetting

import (
	"errors"
	"testing"

	"pypimal/dataset"
	"pypimal/featuresets"
)

// TestScanPackage: the per-package step that pipelines call gives the
// result Scan gives, and turns a load failure or a panic into an error
// result.
func TestScanPackage(t *testing.T) {
	m := trainedModel(t, "rf")
	fx := fixtures(t)
	s := NewScanner(m, ScanOptions{})
	ex, err := featuresets.NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	path := fx["malicious/tar.gz"]
	want, _ := scanAll(t, m, path)
	tests := []struct {
		name    string
		load    func() (*dataset.Package, error)
		verdict string
		err     string
	}{
		{"as Scan", func() (*dataset.Package, error) { return dataset.Open(path, dataset.Limits{}) }, want[0].Verdict, ""},
		{"load error", func() (*dataset.Package, error) {
			return nil, &dataset.Error{ID: path, Kind: dataset.ErrCorrupt, Err: errors.New("unexpected EOF")}
		}, VerdictError, "corrupt or truncated archive: unexpected EOF"},
		{"panic", func() (*dataset.Package, error) { panic("bug") }, VerdictError, "internal error: bug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.ScanPackage(ex, path, tc.load)
			if r.Path != path || r.Verdict != tc.verdict || r.Error != tc.err {
				t.Fatalf("result %+v, want verdict %q error %q", r, tc.verdict, tc.err)
			}
			if tc.err == "" && (r.Score != want[0].Score || len(r.Findings) != len(want[0].Findings)) {
				t.Errorf("ScanPackage %+v, Scan %+v", r, want[0])
			}
		})
	}
}
