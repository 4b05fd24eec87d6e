package experiments

import (
	"math"
	"slices"
	"testing"

	"pypimal/dataset"
	"pypimal/featuresets"
)

// TestAudit: known answers on a hand-made table: a feature set only in
// malware ranks first with ROC-AUC 1, one higher in benign has AUC 0, and
// a constant one is last with AUC 0.5.
func TestAudit(t *testing.T) {
	tab := &featuresets.Table{Features: []featuresets.Feature{{Name: "constant"}, {Name: "benign_high"}, {Name: "malware_only"}}}
	for i, l := range []string{dataset.Malicious, dataset.Malicious, dataset.Benign, dataset.Benign} {
		mal := 0.0
		if l == dataset.Malicious {
			mal = 1
		}
		tab.Rows = append(tab.Rows, featuresets.TableRow{Label: l, Values: []float64{3, float64(i), 2 * mal}})
	}
	got, err := Audit(tab)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Feature.Name)
	}
	if want := []string{"benign_high", "malware_only", "constant"}; !slices.Equal(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	m := got[1]
	if m.ROCAUC != 1 || m.MeanMalicious != 2 || m.MeanBenign != 0 || m.NonZeroMalicious != 1 || m.NonZeroBenign != 0 {
		t.Errorf("malware_only: %+v", m)
	}
	if got[0].ROCAUC != 0 || math.Abs(got[2].ROCAUC-0.5) > 1e-12 {
		t.Errorf("AUCs %v, %v: want 0 and 0.5", got[0].ROCAUC, got[2].ROCAUC)
	}
}

// TestSplitUsed: both sides of the split, in manifest order, nothing else.
func TestSplitUsed(t *testing.T) {
	rows := []dataset.Row{
		{ID: "a", PaperSplit: "test"}, {ID: "b", PaperSplit: "train"}, {ID: "c", PaperSplit: "realform"}, {ID: "d", PaperSplit: "train"},
	}
	used, err := (Split{Train: []Selector{{PaperSplit: []string{"train"}}}, Test: []Selector{{PaperSplit: []string{"test"}}}}).Used(rows)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range used {
		ids = append(ids, r.ID)
	}
	if want := []string{"a", "b", "d"}; !slices.Equal(ids, want) {
		t.Errorf("Used = %v, want %v", ids, want)
	}
}
