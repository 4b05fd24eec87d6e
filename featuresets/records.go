package featuresets

import (
	"strconv"
)

// The per-package records of the files `pypimal extract` writes. The
// Table writers use them, and so does any pipeline that writes the same
// files in shards, so the two cannot drift.

// TokensTSVHeader is the header line of tokens.tsv.
const TokensTSVHeader = "id\ttoken\tcount\n"

// ErrorsCSVHeader is the header record of errors.csv.
var ErrorsCSVHeader = []string{"id", "label", "reason", "detail"}

// FeaturesCSVHeader is the header record of features.csv for these numeric
// columns: the manifest columns, then one per feature.
func FeaturesCSVHeader(features []Feature) []string {
	header := append([]string{}, RowColumns...)
	for _, f := range features {
		header = append(header, f.Name)
	}
	return header
}

// FeaturesCSVRecord is one package's features.csv record. Floats use the
// shortest exact form, so files are byte-identical across runs.
func FeaturesCSVRecord(r *TableRow) []string {
	rec := make([]string, 0, len(RowColumns)+len(r.Values))
	rec = append(rec, r.ID, r.Label, r.PaperSplit, r.Added, r.Cluster)
	for _, v := range r.Values {
		rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return rec
}

// AppendTokensTSV appends one package's tokens.tsv lines, "id<TAB>token<TAB>
// count", tokens in lexical order.
func AppendTokensTSV(b []byte, r *TableRow) []byte {
	fr := Row{Tokens: r.Tokens}
	for _, tok := range fr.SortedTokens() {
		b = append(b, r.ID...)
		b = append(b, '\t')
		b = append(b, tok...)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(r.Tokens[tok]), 10)
		b = append(b, '\n')
	}
	return b
}

// ErrorsCSVRecord is one failed package's errors.csv record.
func ErrorsCSVRecord(e ExtractError) []string { return []string{e.ID, e.Label, e.Reason, e.Detail} }
