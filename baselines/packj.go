package baselines

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PackjReport is packj's code analysis of one package in one scope.
type PackjReport struct {
	ID    string
	Scope Scope
	// Alerts counts packj's risk strings as packj does: each distinct
	// "<alert type>: <reason>" once per category (packj's own total is
	// sum(len(v) for v in risks.values()), and it never lists a string twice).
	Alerts int
	// Risks are those strings, "<category>: <alert type>: <reason>", sorted.
	Risks []string
	// Permissions are packj's API-usage counts: call sites per permission
	// category, including the categories its default config drops
	// (PackjDroppedCategories).
	Permissions map[string]int
	// NoSetup is true for the setup.py scope of a package without one
	// (error "no setup.py": nothing ran, 0 alerts).
	NoSetup bool
	Error   string  // packj failed on the package ("" when fine; not set for NoSetup)
	Seconds float64 // packj's analysis time, when known (Timed)
	Timed   bool
	// Reported is the file's own "alerts" field (-1 for live reports);
	// Alerts is recounted from Risks.
	Reported int
}

// PackjDroppedCategories are the API-usage categories packj's analysis
// finds but its default .packj.yaml never turns into alerts: their alert
// names ("generates new code at runtime", "accesses system/environment
// variables") are not keys of the threat model.
var PackjDroppedCategories = []string{
	"generates new code at runtime",
	"reads system settings or environment variables",
}

// IsPackjDropped reports whether a permission category is one packj drops.
func IsPackjDropped(category string) bool {
	for _, c := range PackjDroppedCategories {
		if c == category {
			return true
		}
	}
	return false
}

// packjLine is one line of packj-static.jsonl (see its README), and also the
// shape of packj's own report for the fields we read (risks, permissions).
type packjLine struct {
	ID          *string             `json:"id"`
	Scope       *string             `json:"scope"`
	Alerts      *int                `json:"alerts"`
	Risks       map[string][]string `json:"risks"`
	Permissions json.RawMessage     `json:"permissions"`
	Error       *string             `json:"error"`
	Seconds     *float64            `json:"seconds"`
}

// ParsePackjLine parses one line of packj-static.jsonl.
func ParsePackjLine(line []byte) (PackjReport, error) {
	var l packjLine
	if err := json.Unmarshal(line, &l); err != nil {
		return PackjReport{}, fmt.Errorf("packj line: %w", err)
	}
	if l.ID == nil || *l.ID == "" || l.Scope == nil {
		return PackjReport{}, errors.New("packj line: missing id or scope")
	}
	scope, err := ParseScope(*l.Scope)
	if err != nil {
		return PackjReport{}, fmt.Errorf("packj line %s: %w", *l.ID, err)
	}
	r, err := fromPackj(l)
	if err != nil {
		return PackjReport{}, fmt.Errorf("packj line %s/%s: %w", *l.ID, scope, err)
	}
	r.ID, r.Scope = *l.ID, scope
	if l.Alerts != nil {
		r.Reported = *l.Alerts
	}
	return r, nil
}

// ParsePackjReport parses a report that packj itself wrote (`packj audit`,
// its JSON report: pkg_name, risks, permissions, …) for the given row and
// scope. A line in the packj-static.jsonl format is accepted as well.
// Alerts count every risk packj lists, metadata alerts included when packj
// ran its metadata checks.
func ParsePackjReport(id string, scope Scope, data []byte) (PackjReport, error) {
	var l packjLine
	if err := json.Unmarshal(data, &l); err != nil {
		return PackjReport{}, fmt.Errorf("packj report %s/%s: %w", id, scope, err)
	}
	if l.ID != nil && l.Scope != nil {
		r, err := ParsePackjLine(data)
		if err == nil && (r.ID != id || r.Scope != scope) {
			err = fmt.Errorf("packj report %s/%s holds %s/%s", id, scope, r.ID, r.Scope)
		}
		return r, err
	}
	r, err := fromPackj(l)
	if err != nil {
		return PackjReport{}, fmt.Errorf("packj report %s/%s: %w", id, scope, err)
	}
	r.ID, r.Scope, r.Reported = id, scope, -1
	return r, nil
}

func fromPackj(l packjLine) (PackjReport, error) {
	r := PackjReport{Permissions: map[string]int{}}
	seen := map[string]bool{}
	for cat, list := range l.Risks {
		for _, s := range list {
			k := cat + ": " + s
			if !seen[k] {
				seen[k] = true
				r.Risks = append(r.Risks, k)
			}
		}
	}
	sort.Strings(r.Risks)
	r.Alerts = len(r.Risks)
	// permissions: {reason: count}, or packj's " N/A" string when its
	// analysis failed, or null/absent when it found nothing.
	p := bytes.TrimSpace(l.Permissions)
	switch {
	case len(p) == 0 || string(p) == "null":
	case p[0] == '{':
		var m map[string]float64
		if err := json.Unmarshal(p, &m); err != nil {
			return r, fmt.Errorf("permissions: %w", err)
		}
		for k, v := range m {
			if v < 0 || v != float64(int(v)) {
				return r, fmt.Errorf("permissions: %q has count %v", k, v)
			}
			r.Permissions[k] = int(v)
		}
	default:
		var s string
		if err := json.Unmarshal(p, &s); err != nil {
			return r, fmt.Errorf("permissions: %s", printable(string(p)))
		}
		r.Error = "permissions: " + strings.TrimSpace(s)
	}
	if l.Error != nil {
		switch e := strings.TrimSpace(*l.Error); e {
		case "":
		case "no setup.py":
			r.NoSetup = true
		default:
			r.Error = e
		}
	}
	if l.Seconds != nil {
		r.Seconds, r.Timed = *l.Seconds, true
	}
	return r, nil
}

type packjKey struct {
	id    string
	scope Scope
}

// PackjSet holds packj reports by row id and scope.
type PackjSet struct {
	Source  string // the file or folder read
	Kind    string // "jsonl" or "dir"
	reports map[packjKey]PackjReport
}

// Len is the number of reports.
func (s *PackjSet) Len() int { return len(s.reports) }

// Get returns the report of a row in a scope. For a folder of live reports
// the row id goes through FileStem, as in the file names.
func (s *PackjSet) Get(id string, scope Scope) (PackjReport, bool) {
	if s == nil {
		return PackjReport{}, false
	}
	if s.Kind == "dir" {
		id = FileStem(id)
	}
	r, ok := s.reports[packjKey{id, scope}]
	return r, ok
}

// Reports lists every report, sorted by id then scope.
func (s *PackjSet) Reports() []PackjReport {
	out := make([]PackjReport, 0, len(s.reports))
	for _, r := range s.reports {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Scope < out[j].Scope
	})
	return out
}

// ReadPackjFile reads packj-static.jsonl. A malformed line or a repeated
// (id, scope) is an error for the whole file: it is ours, so damage means it
// is not the file its README describes.
func ReadPackjFile(name string) (*PackjSet, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("packj: %w", err)
	}
	defer f.Close()
	set, err := ReadPackj(f)
	if err != nil {
		return nil, fmt.Errorf("packj %s: %w", name, err)
	}
	set.Source = name
	return set, nil
}

// ReadPackj reads packj-static.jsonl lines from r.
func ReadPackj(r io.Reader) (*PackjSet, error) {
	set := &PackjSet{Kind: "jsonl", reports: map[packjKey]PackjReport{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rep, err := ParsePackjLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		k := packjKey{rep.ID, rep.Scope}
		if _, dup := set.reports[k]; dup {
			return nil, fmt.Errorf("line %d: %s/%s repeated", n, rep.ID, rep.Scope)
		}
		set.reports[k] = rep
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// PackjFileName is the name ReadPackjDir expects for a row's report in a
// scope: "<id>-package.json" and "<id>-setup.py.json" (id through
// FileStem), the names Result.WriteRaw gives bandit's reports too.
func PackjFileName(id string, scope Scope) string { return rawName(id, scope) }

// ReadPackjDir reads live packj JSON reports from a folder, one file per
// row and scope, named by PackjFileName (packj itself writes
// report_<random>.json; rename each after its manifest row). Files with
// other names are ignored. A report that does not parse is kept as a
// failed report (Error set) rather than failing the whole folder.
func ReadPackjDir(dir string) (*PackjSet, error) {
	set := &PackjSet{Source: dir, Kind: "dir", reports: map[packjKey]PackjReport{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("packj: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		id, scope, ok := parsePackjFileName(name)
		if !ok {
			continue
		}
		k := packjKey{id, scope}
		if _, dup := set.reports[k]; dup {
			return nil, fmt.Errorf("packj %s: two reports for %s/%s", dir, id, scope)
		}
		data, err := readCapped(filepath.Join(dir, name), 64<<20)
		if err != nil {
			return nil, fmt.Errorf("packj: %w", err)
		}
		rep, err := ParsePackjReport(id, scope, data)
		if err != nil {
			rep = PackjReport{ID: id, Scope: scope, Error: err.Error(), Reported: -1, Permissions: map[string]int{}}
		}
		set.reports[k] = rep
	}
	return set, nil
}

func parsePackjFileName(name string) (string, Scope, bool) {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok || base == "" {
		return "", "", false
	}
	for _, sc := range Scopes {
		if id, ok := strings.CutSuffix(base, "-"+string(sc)); ok && id != "" {
			return id, sc, true
		}
	}
	return "", "", false
}

func readCapped(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return data, nil
}
