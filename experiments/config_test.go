package experiments

import (
	"strings"
	"testing"

	"pypimal/dataset"
)

func TestSplitSides(t *testing.T) {
	rows := []dataset.Row{
		{ID: "m1", Label: dataset.Malicious, PaperSplit: "train", Added: "2023-03-01"},
		{ID: "m2", Label: dataset.Malicious, PaperSplit: "pool", Added: "2023-12-31"},
		{ID: "m3", Label: dataset.Malicious, PaperSplit: "test", Added: "2024-05-02"},
		{ID: "m4", Label: dataset.Malicious, PaperSplit: "pool", Added: "2025-01-01"},
		{ID: "m5", Label: dataset.Malicious, PaperSplit: "pool"},
		{ID: "b1", Label: dataset.Benign, PaperSplit: "train"},
		{ID: "b2", Label: dataset.Benign, PaperSplit: "test"},
	}
	ids := func(rs []dataset.Row) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}
	// The split temporal.yaml writes.
	temporal := Split{
		Train: []Selector{{Label: dataset.Malicious, AddedBefore: "2024-01-01"}, {Label: dataset.Benign, PaperSplit: []string{"train"}}},
		Test:  []Selector{{Label: dataset.Malicious, AddedFrom: "2024-01-01"}, {Label: dataset.Benign, PaperSplit: []string{"test"}}},
	}
	train, test, err := temporal.Sides(rows)
	if err != nil {
		t.Fatal(err)
	}
	if ids(train) != "m1,m2,b1" || ids(test) != "m3,m4,b2" {
		t.Errorf("temporal: train %s, test %s", ids(train), ids(test))
	}
	train, test, _ = DefaultConfig().Split.Sides(rows)
	if ids(train) != "m1,b1" || ids(test) != "m3,b2" {
		t.Errorf("paper: train %s, test %s", ids(train), ids(test))
	}
	overlap := Split{Train: []Selector{{Label: dataset.Malicious}}, Test: []Selector{{PaperSplit: []string{"test"}}}}
	if _, _, err := overlap.Sides(rows); err == nil || !strings.Contains(err.Error(), "m3") {
		t.Errorf("overlapping split: err = %v", err)
	}
}
