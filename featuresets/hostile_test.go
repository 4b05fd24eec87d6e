package featuresets

import (
	"errors"
	"testing"
	"time"

	"pypimal/dataset"
	"pypimal/internal/hostile"
)

// TestHostilePackages extracts sdists built to exhaust the analyser and
// checks each package's outcome: a row (with its fallback files counted)
// or the typed budget error. The budget is the default one, so a family
// that must be handled in time fails here if it is not.
func TestHostilePackages(t *testing.T) {
	big := func(n, short int) int {
		if testing.Short() {
			return short
		}
		return n
	}
	ident := hostile.HostileIdentifier(100_000)
	tests := []struct {
		name      string
		meta      []byte
		files     []hostile.File
		budget    Budget
		fallbacks int
		err       error
	}{
		{"hostile identifier", nil, []hostile.File{{Path: "setup.py", Data: ident}}, Budget{}, 1, nil},
		{"PKG-INFO with 200,000 headers", hostile.PKGInfo(big(200_000, 20_000), false), nil, Budget{}, 0, nil},
		{"PKG-INFO with 90,000 continuation lines", hostile.PKGInfo(big(90_000, 20_000), true), nil, Budget{}, 0, nil},
		{"9,000 tiny files", nil, hostile.TinyFiles(big(9_000, 1_000)), Budget{}, 0, nil},
		{"hostile files beside plain ones", nil, []hostile.File{
			{Path: "a.py", Data: []byte("import os\n")}, {Path: "b.py", Data: ident},
			{Path: "c.py", Data: hostile.Python()[0].Gen(10_000)}}, Budget{}, 2, nil},
		{"package budget spent", nil, []hostile.File{{Path: "a.py", Data: []byte("x = 1\n")}}, Budget{Package: time.Nanosecond}, 0, ErrPackageBudget},
	}
	ex, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	col := map[string]int{}
	for i, f := range Catalogue() {
		col[f.Name] = i
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := hostile.Sdist("hostile", tc.meta, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			p, err := dataset.Decode("hostile", "hostile-1.0.tar.gz", data, dataset.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			ex.Budget = tc.budget
			row, err := ex.Extract(p)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got := row.Values[col["code_fallback_files"]]; got != float64(tc.fallbacks) {
				t.Errorf("code_fallback_files = %v, want %d (%v)", got, tc.fallbacks, row.Fallbacks)
			}
			if row.TimedOut() {
				t.Errorf("a file ran out of time: %v", row.Fallbacks)
			}
			n := 0 // module files: setup.py is install code
			for _, f := range tc.files {
				if f.Path != "setup.py" {
					n++
				}
			}
			if row.Values[col["code_py_files"]] != float64(n) {
				t.Errorf("code_py_files = %v, want %d", row.Values[col["code_py_files"]], n)
			}
		})
	}
}
