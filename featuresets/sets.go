package featuresets

import (
	"fmt"
	"strings"
)

// Set is a named feature set: the union of whole families and single
// features. Sets are defined in experiment configs; DefaultSets are the
// paper's eight (our reconstruction, DESIGN §3).
type Set struct {
	Name     string   `mapstructure:"name" json:"name" yaml:"name"`
	Families []Family `mapstructure:"families" json:"families,omitempty" yaml:"families,omitempty"`
	Features []string `mapstructure:"features" json:"features,omitempty" yaml:"features,omitempty"`
}

// DefaultSets are the eight feature sets of DESIGN §3. The code sets
// carry the install family too: the paper's code features read setup.py,
// whose role here is install.
func DefaultSets() []Set {
	return []Set{
		{Name: "metadata", Families: []Family{Metadata}},
		{Name: "files", Families: []Family{Files}},
		{Name: "code", Families: []Family{Code, Install}},
		{Name: "text", Families: []Family{Text}},
		{Name: "metadata+files", Families: []Family{Metadata, Files}},
		{Name: "code+text", Families: []Family{Code, Install, Text}},
		{Name: "metadata+files+code", Families: []Family{Metadata, Files, Code, Install}},
		{Name: "all", Families: []Family{Metadata, Files, Code, Install, Text}},
	}
}

// Selection is a set resolved against a table's columns.
type Selection struct {
	Name    string
	Columns []int // numeric columns, in table order
	Text    bool  // the text family (token counts) is part of the set
}

// Resolve turns a set into column indices of features. Leaky features are
// dropped unless includeLeaky; a set naming an unknown family or feature,
// or one left with nothing, is an error.
func (s Set) Resolve(features []Feature, includeLeaky bool) (Selection, error) {
	sel := Selection{Name: s.Name}
	if strings.TrimSpace(s.Name) == "" {
		return sel, fmt.Errorf("feature set without a name")
	}
	want := map[int]bool{}
	for _, fam := range s.Families {
		switch fam {
		case Metadata, Files, Code, Install:
		case Text:
			sel.Text = true
			continue
		default:
			return sel, fmt.Errorf("feature set %q: unknown family %q (want one of metadata, files, code, install, text)", s.Name, fam)
		}
		for i, f := range features {
			if f.Family == fam {
				want[i] = true
			}
		}
	}
	for _, name := range s.Features {
		found := false
		for i, f := range features {
			if f.Name == name {
				want[i], found = true, true
			}
		}
		if !found {
			return sel, fmt.Errorf("feature set %q: unknown feature %q (see `pypimal features list`)", s.Name, name)
		}
	}
	for i, f := range features {
		if want[i] && (includeLeaky || !f.Leaky) {
			sel.Columns = append(sel.Columns, i)
		}
	}
	if len(sel.Columns) == 0 && !sel.Text {
		return sel, fmt.Errorf("feature set %q selects no feature", s.Name)
	}
	return sel, nil
}
