package vetting

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// Output formats.
const (
	FormatText  = "text"  // a readable table
	FormatJSONL = "jsonl" // one JSON object per package
	FormatSARIF = "sarif" // SARIF 2.1.0, for code-scanning tools
)

// Formats lists the output formats.
var Formats = []string{FormatText, FormatJSONL, FormatSARIF}

// ResultWriter writes scan results as they come, then the end of the
// report.
type ResultWriter interface {
	Write(r Result) error
	Close(s Summary) error
}

// NewResultWriter returns a writer of format to w for results of model m.
func NewResultWriter(format string, w io.Writer, m *Model) (ResultWriter, error) {
	switch format {
	case FormatText:
		return &textWriter{w: bufio.NewWriter(w), m: m}, nil
	case FormatJSONL:
		return &jsonlWriter{w: bufio.NewWriter(w)}, nil
	case FormatSARIF:
		return &sarifWriter{w: w, m: m}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats, ", "))
}

// ---- JSON lines

type jsonlWriter struct{ w *bufio.Writer }

func (j *jsonlWriter) Write(r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	j.w.Write(b)
	j.w.WriteByte('\n')
	// Flushed per package so that a pipeline reading the output sees each
	// verdict as soon as it is known.
	return j.w.Flush()
}

func (j *jsonlWriter) Close(Summary) error { return j.w.Flush() }

// ---- text

type textWriter struct {
	w       *bufio.Writer
	m       *Model
	started bool
}

// clean makes text from a package safe to print on a terminal: control,
// format (bidi, zero-width) and other non-printing characters are shown
// as escapes.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && r != unicode.ReplacementChar {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func (m *Model) formatScore(v float64) string {
	switch m.ScoreKind {
	case ScoreDecision:
		return fmt.Sprintf("%+.3f", v)
	case ScoreVote:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// formatValue prints a feature value compactly: whole numbers without a
// fraction.
func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// ReasonText is a one-line account of a reason.
func ReasonText(r Reason) string {
	if r.Feature == TextFeature {
		s := fmt.Sprintf("text vocabulary (%d model tokens", int(r.Value))
		if len(r.Tokens) > 0 {
			s += ": " + strings.Join(r.Tokens, ", ")
		}
		return clean(s + ")")
	}
	return fmt.Sprintf("%s = %s (benign median %s)", r.Feature, formatValue(r.Value), formatValue(r.BenignMedian))
}

// FindingText is "file:line snippet".
func FindingText(f Finding) string {
	return clean(fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Snippet))
}

const textFindings = 5 // findings printed per flagged package

func (t *textWriter) Write(r Result) error {
	if !t.started {
		fmt.Fprintf(t.w, "%-10s %-7s %s\n", "VERDICT", "SCORE", "PACKAGE")
		t.started = true
	}
	pkg := clean(r.Path)
	if r.Name != "" {
		pkg += " (" + clean(strings.TrimSpace(r.Name+" "+r.Version)) + ")"
	}
	switch r.Verdict {
	case VerdictError:
		fmt.Fprintf(t.w, "%-10s %-7s %s: %s\n", "ERROR", "-", pkg, clean(r.Error))
		return t.w.Flush()
	case VerdictMalicious:
		fmt.Fprintf(t.w, "%-10s %-7s %s\n", "MALICIOUS", t.m.formatScore(r.Score), pkg)
	default:
		fmt.Fprintf(t.w, "%-10s %-7s %s\n", "benign", t.m.formatScore(r.Score), pkg)
		t.fallbacks(r)
		return t.w.Flush()
	}
	t.fallbacks(r)
	pad := strings.Repeat(" ", 19)
	for _, rs := range r.Reasons {
		fmt.Fprintf(t.w, "%s%-7s %-60s %+.3g\n", pad[:11], "reason", ReasonText(rs), rs.Delta)
	}
	for i, f := range r.Findings {
		if i == textFindings {
			fmt.Fprintf(t.w, "%s%-7s … %d more (--format jsonl lists them all)\n", pad[:11], "", len(r.Findings)-i)
			break
		}
		fmt.Fprintf(t.w, "%s%-7s %s [%s]\n", pad[:11], "code", FindingText(f), f.Family)
	}
	return t.w.Flush()
}

// fallbacks says which files were only read token by token.
func (t *textWriter) fallbacks(r Result) {
	for _, fb := range r.Fallbacks {
		fmt.Fprintf(t.w, "%11s%-7s %s: analysed token by token (%s)\n", "", "partial", clean(fb.File), fb.Reason)
	}
}

func (t *textWriter) Close(s Summary) error {
	th := t.m.Threshold
	how := "maximum out-of-fold F1"
	if th.Method == MethodTargetFPR {
		how = fmt.Sprintf("out-of-fold false-positive rate ≤ %g", th.TargetFPR)
	}
	fmt.Fprintf(t.w, "\n%d scanned: %d malicious, %d benign, %d errors. Model %s on %s, malicious when score > %s (%s).\n",
		s.Scanned, s.Malicious, s.Benign, s.Errors, t.m.Model, t.m.Set.Name, t.m.formatScore(th.Value), how)
	return t.w.Flush()
}

// ---- SARIF 2.1.0

// SARIFSchema is the schema URI written in $schema.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Artifacts   []sarifArtifact   `json:"artifacts,omitempty"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string         `json:"name"`
	Version        string         `json:"version"`
	InformationURI string         `json:"informationUri,omitempty"`
	Rules          []sarifRule    `json:"rules"`
	Properties     map[string]any `json:"properties,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	FullDescription      sarifMessage   `json:"fullDescription"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifArtifact struct {
	Location    sarifArtifactLocation `json:"location"`
	ParentIndex *int                  `json:"parentIndex,omitempty"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI   string `json:"uri"`
	Index *int   `json:"index,omitempty"`
}

type sarifRegion struct {
	StartLine int           `json:"startLine"`
	Snippet   *sarifMessage `json:"snippet,omitempty"`
}

// Rule ids.
const (
	RuleMalicious = "malicious-package"
	rulePrefix    = "risky-call/"
)

var findingFamilies = []struct{ fam, level, desc string }{
	{"exec", "warning", "Dynamic code execution (exec, eval, compile, __import__, getattr, importlib)"},
	{"process", "warning", "Process creation (subprocess, os.system, os.popen, spawn)"},
	{"network", "warning", "Network access (socket, urllib, requests, http.client)"},
	{"decode", "warning", "Decoding of embedded data (base64, zlib, marshal, codecs)"},
	{"native", "warning", "Native or Windows APIs (ctypes, cffi, winreg)"},
	{"envinfo", "note", "Reading the environment or system information"},
	{"file", "note", "File access (open, shutil, os.remove)"},
}

type sarifWriter struct {
	w       io.Writer
	m       *Model
	results []Result
}

func (s *sarifWriter) Write(r Result) error {
	s.results = append(s.results, r)
	return nil
}

// fileURI turns a local path into a URI reference: relative paths stay
// relative (slash-separated, percent-encoded), absolute ones become file:
// URIs.
func fileURI(p string) string {
	if filepath.IsAbs(p) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	}
	return (&url.URL{Path: filepath.ToSlash(p)}).String()
}

func (s *sarifWriter) rules() ([]sarifRule, map[string]int) {
	m := s.m
	how := "the threshold that maximises the out-of-fold F1 of the training rows"
	if m.Threshold.Method == MethodTargetFPR {
		how = fmt.Sprintf("the lowest threshold with an out-of-fold false-positive rate of at most %g", m.Threshold.TargetFPR)
	}
	rules := []sarifRule{{
		ID: RuleMalicious, Name: "MaliciousPackage",
		ShortDescription: sarifMessage{"The package is classified as malicious"},
		FullDescription: sarifMessage{fmt.Sprintf("pypimal's %s model on the %s feature set scores the package above %s (%s). "+
			"The result points at the most serious risky call, or at the package's metadata when there is none.",
			m.Model, m.Set.Name, m.formatScore(m.Threshold.Value), how)},
		DefaultConfiguration: sarifConfig{"error"},
		Properties:           map[string]any{"tags": []string{"security", "malware"}, "precision": "medium"},
	}}
	index := map[string]int{RuleMalicious: 0}
	for _, f := range findingFamilies {
		index[rulePrefix+f.fam] = len(rules)
		rules = append(rules, sarifRule{
			ID: rulePrefix + f.fam, Name: "RiskyCall" + strings.ToUpper(f.fam[:1]) + f.fam[1:],
			ShortDescription:     sarifMessage{f.desc},
			FullDescription:      sarifMessage{f.desc + ", in a package classified as malicious."},
			DefaultConfiguration: sarifConfig{f.level},
			Properties:           map[string]any{"tags": []string{"security"}},
		})
	}
	return rules, index
}

func (s *sarifWriter) Close(sum Summary) error {
	m := s.m
	rules, ruleIndex := s.rules()
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "pypimal", Version: Version(), Rules: rules,
			Properties: map[string]any{"model": m.Model, "featureSet": m.Set.Name, "leaky": m.Leaky,
				"threshold": m.Threshold.Value, "thresholdMethod": m.Threshold.Method, "scoreKind": m.ScoreKind,
				"modelCreated": m.Training.Created, "datasetDigest": m.Training.DatasetDigest}}},
		Results: []sarifResult{},
	}
	inv := sarifInvocation{ExecutionSuccessful: sum.Errors == 0}
	archiveIndex := map[string]int{} // archive path -> artifact index
	nestedIndex := map[[2]string]int{}
	// location of file within the package of r: the real file for a
	// folder, a nested artifact of the archive otherwise.
	location := func(r *Result, file string, line int, snippet string) sarifLocation {
		if line < 1 {
			line = 1
		}
		reg := &sarifRegion{StartLine: line}
		if snippet != "" {
			reg.Snippet = &sarifMessage{snippet}
		}
		if r.Dir {
			return sarifLocation{sarifPhysical{ArtifactLocation: sarifArtifactLocation{URI: fileURI(filepath.Join(r.Path, filepath.FromSlash(file)))}, Region: reg}}
		}
		pi, ok := archiveIndex[r.Path]
		if !ok {
			pi = len(run.Artifacts)
			archiveIndex[r.Path] = pi
			run.Artifacts = append(run.Artifacts, sarifArtifact{Location: sarifArtifactLocation{URI: fileURI(r.Path)}})
		}
		key := [2]string{r.Path, file}
		ni, ok := nestedIndex[key]
		if !ok {
			ni = len(run.Artifacts)
			nestedIndex[key] = ni
			parent := pi
			run.Artifacts = append(run.Artifacts, sarifArtifact{
				Location: sarifArtifactLocation{URI: (&url.URL{Path: file}).String()}, ParentIndex: &parent})
		}
		idx := ni
		return sarifLocation{sarifPhysical{ArtifactLocation: sarifArtifactLocation{URI: (&url.URL{Path: file}).String(), Index: &idx}, Region: reg}}
	}
	for i := range s.results {
		r := &s.results[i]
		switch r.Verdict {
		case VerdictError:
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level: "error", Message: sarifMessage{r.Path + ": " + r.Error},
				Locations: []sarifLocation{{sarifPhysical{ArtifactLocation: sarifArtifactLocation{URI: fileURI(r.Path)}}}},
			})
			continue
		case VerdictBenign:
			continue
		}
		name := r.Path
		if r.Name != "" {
			name = strings.TrimSpace(r.Name+" "+r.Version) + " (" + r.Path + ")"
		}
		var why []string
		for _, rs := range r.Reasons {
			why = append(why, fmt.Sprintf("%s, %+.3g", ReasonText(rs), rs.Delta))
		}
		msg := fmt.Sprintf("%s is classified as malicious: score %s > threshold %s.", name, m.formatScore(r.Score), m.formatScore(r.Threshold))
		if len(why) > 0 {
			msg += " Features that pushed the score most: " + strings.Join(why, "; ") + "."
		}
		var loc sarifLocation
		if len(r.Findings) > 0 {
			f := r.Findings[0]
			loc = location(r, f.File, f.Line, f.Snippet)
			msg += fmt.Sprintf(" Most serious call: %s (%s).", FindingText(f), f.Family)
		} else {
			loc = location(r, r.Anchor, 1, "")
		}
		props := map[string]any{"package": r.Path, "score": r.Score, "threshold": r.Threshold, "scoreKind": r.ScoreKind}
		if r.Name != "" {
			props["name"], props["version"] = r.Name, r.Version
		}
		run.Results = append(run.Results, sarifResult{RuleID: RuleMalicious, RuleIndex: ruleIndex[RuleMalicious], Level: "error",
			Message: sarifMessage{msg}, Locations: []sarifLocation{loc}, Properties: props})
		for _, f := range r.Findings {
			id := rulePrefix + f.Family
			ri, ok := ruleIndex[id]
			if !ok {
				continue
			}
			run.Results = append(run.Results, sarifResult{RuleID: id, RuleIndex: ri, Level: rules[ri].DefaultConfiguration.Level,
				Message:    sarifMessage{fmt.Sprintf("%s call in %s: %s", f.Family, name, f.Snippet)},
				Locations:  []sarifLocation{location(r, f.File, f.Line, f.Snippet)},
				Properties: map[string]any{"package": r.Path}})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(s.w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
