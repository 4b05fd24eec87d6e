package experiments

import (
	"fmt"
	"math"
	"slices"

	"pypimal/dataset"
	"pypimal/featuresets"
)

// FeatureAudit is how one feature alone separates the classes.
type FeatureAudit struct {
	Feature                         featuresets.Feature
	MeanMalicious, MeanBenign       float64
	NonZeroMalicious, NonZeroBenign float64 // share of packages with a non-zero value
	ROCAUC                          float64 // of the feature as a score: 1 = higher in malware, 0 = higher in benign
}

// Audit measures every feature of t alone, most separating first
// (|ROC-AUC − 0.5| descending, catalogue order on ties).
func Audit(t *featuresets.Table) ([]FeatureAudit, error) {
	y := make([]int, len(t.Rows))
	for i, r := range t.Rows {
		y[i] = dataset.LabelValue(r.Label)
	}
	out := make([]FeatureAudit, 0, len(t.Features))
	for j, f := range t.Features {
		col := make([]float64, len(t.Rows))
		var sm, sb, nm, nb, zm, zb float64
		for i, r := range t.Rows {
			v := r.Values[j]
			col[i] = v
			if y[i] == 1 {
				sm, nm = sm+v, nm+1
				if v != 0 {
					zm++
				}
			} else {
				sb, nb = sb+v, nb+1
				if v != 0 {
					zb++
				}
			}
		}
		auc, err := ROCAUC(y, col)
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", f.Name, err)
		}
		out = append(out, FeatureAudit{Feature: f, MeanMalicious: sm / nm, MeanBenign: sb / nb,
			NonZeroMalicious: zm / nm, NonZeroBenign: zb / nb, ROCAUC: auc})
	}
	slices.SortStableFunc(out, func(a, b FeatureAudit) int {
		da, db := math.Abs(a.ROCAUC-0.5), math.Abs(b.ROCAUC-0.5)
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return 0
	})
	return out, nil
}

// Used returns the rows of both sides of the split, in manifest order.
func (sp Split) Used(rows []dataset.Row) ([]dataset.Row, error) {
	train, test, err := sp.Sides(rows)
	if err != nil {
		return nil, err
	}
	in := make(map[string]bool, len(train)+len(test))
	for _, r := range append(train, test...) {
		in[r.ID] = true
	}
	var out []dataset.Row
	for _, r := range rows {
		if in[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}
