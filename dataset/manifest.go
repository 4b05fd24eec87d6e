package dataset

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Row is one line of manifest.csv (columns documented in the data README).
type Row struct {
	ID           string
	Name         string
	Version      string
	Label        string // "malicious" or "benign"
	Source       string
	SourceRef    string
	Path         string // archive, relative to the data folder
	Format       string // sdist-tar.gz, sdist-zip, wheel, deb
	MetadataPath string // .deb only: the PKG-INFO/METADATA inside the data tarball
	SHA256       string
	Bytes        int64
	Added        string // malware only: first seen in the registry (YYYY-MM-DD)
	Cluster      string // malware: content key of a campaign; realform: the project name
	PaperSplit   string // train, test, pool or realform
	// Extra holds columns this version does not know, so that user manifests
	// can carry their own split columns.
	Extra map[string]string
}

// Labels.
const (
	Malicious = "malicious"
	Benign    = "benign"
)

// LabelValue is the one encoding of a label as a model's target: 1 for
// Malicious, 0 for anything else (Benign).
func LabelValue(label string) int {
	if label == Malicious {
		return 1
	}
	return 0
}

// Digest is the sha256 (hex) of the rows' "id sha256" lines: the dataset
// digest of run.json and of a trained model. Stored results carry it, so
// the form must not change.
func Digest(rows []Row) string {
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintf(h, "%s %s\n", r.ID, r.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Column returns a column by its manifest name; ok is false for an unknown one.
func (r Row) Column(name string) (string, bool) {
	switch name {
	case "id":
		return r.ID, true
	case "name":
		return r.Name, true
	case "version":
		return r.Version, true
	case "label":
		return r.Label, true
	case "source":
		return r.Source, true
	case "source_ref":
		return r.SourceRef, true
	case "path":
		return r.Path, true
	case "format":
		return r.Format, true
	case "metadata_path":
		return r.MetadataPath, true
	case "sha256":
		return r.SHA256, true
	case "bytes":
		return strconv.FormatInt(r.Bytes, 10), true
	case "added":
		return r.Added, true
	case "cluster":
		return r.Cluster, true
	case "paper_split":
		return r.PaperSplit, true
	}
	v, ok := r.Extra[name]
	return v, ok
}

// ManifestColumns are the columns every manifest must have.
var ManifestColumns = []string{"id", "name", "version", "label", "source", "source_ref", "path",
	"format", "metadata_path", "sha256", "bytes", "added", "cluster", "paper_split"}

// ReadManifestFile reads a manifest from disk.
func ReadManifestFile(name string) ([]Row, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	rows, err := ReadManifest(f)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	return rows, nil
}

// ReadManifest parses manifest CSV. A missing column, a duplicate id, an
// unknown label or a bad byte count is an error for the whole manifest: the
// file is ours, so damage means the dataset is not the one described.
func ReadManifest(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrManifest, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, c := range ManifestColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%w: missing column %q", ErrManifest, c)
		}
	}
	seen := map[string]bool{}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrManifest, line, err)
		}
		get := func(c string) string { return rec[col[c]] }
		n, err := strconv.ParseInt(get("bytes"), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: line %d: bad bytes %q", ErrManifest, line, get("bytes"))
		}
		row := Row{
			ID: get("id"), Name: get("name"), Version: get("version"), Label: get("label"),
			Source: get("source"), SourceRef: get("source_ref"), Path: get("path"), Format: get("format"),
			MetadataPath: get("metadata_path"), SHA256: get("sha256"), Bytes: n, Added: get("added"),
			Cluster: get("cluster"), PaperSplit: get("paper_split"),
		}
		if row.ID == "" || seen[row.ID] {
			return nil, fmt.Errorf("%w: line %d: empty or duplicate id %q", ErrManifest, line, row.ID)
		}
		seen[row.ID] = true
		if row.Label != Malicious && row.Label != Benign {
			return nil, fmt.Errorf("%w: line %d: label %q", ErrManifest, line, row.Label)
		}
		for i, h := range header {
			if !isKnownColumn(h) {
				if row.Extra == nil {
					row.Extra = map[string]string{}
				}
				row.Extra[h] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func isKnownColumn(c string) bool {
	for _, k := range ManifestColumns {
		if k == c {
			return true
		}
	}
	return false
}
