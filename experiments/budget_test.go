package experiments

import (
	"strings"
	"testing"
	"time"

	"pypimal/featuresets"
)

func TestBudgetConfig(t *testing.T) {
	tests := []struct {
		name string
		over map[string]any
		want featuresets.Budget
		err  string
	}{
		{"defaults", nil, featuresets.Budget{Package: featuresets.DefaultPackageBudget, File: featuresets.DefaultFileBudget}, ""},
		{"set", map[string]any{"budget.package": "2m", "budget.file": "500ms"}, featuresets.Budget{Package: 2 * time.Minute, File: 500 * time.Millisecond}, ""},
		{"zero is none", map[string]any{"budget.package": "0s", "budget.file": "0"}, featuresets.Budget{Package: -1, File: -1}, ""},
		{"bad", map[string]any{"budget.file": "soon"}, featuresets.Budget{}, `budget.file "soon"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig("", tc.over)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Budget.Value()
			if err != nil || got != tc.want {
				t.Errorf("budget %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
