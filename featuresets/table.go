package featuresets

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"

	"pypimal/dataset"
)

// Table holds the feature rows of a dataset: the files `pypimal extract`
// writes and the experiments read.
type Table struct {
	Features []Feature // numeric columns, catalogue order
	Rows     []TableRow
}

// TableRow is one package: manifest columns, numeric values and tokens.
type TableRow struct {
	ID, Label, PaperSplit, Added, Cluster string
	Values                                []float64
	Tokens                                map[string]int
	PythonErrors                          int
	Findings                              []Finding
}

// RowColumns are the manifest columns written before the features.
var RowColumns = []string{"id", "label", "paper_split", "added", "cluster"}

func newTableRow(r dataset.Row, fr *Row) TableRow {
	return TableRow{ID: r.ID, Label: r.Label, PaperSplit: r.PaperSplit, Added: r.Added, Cluster: r.Cluster,
		Values: fr.Values, Tokens: fr.Tokens, PythonErrors: fr.PythonErrors, Findings: fr.Findings}
}

// Column returns the index of a numeric feature, or -1.
func (t *Table) Column(name string) int {
	for i, f := range t.Features {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// WriteFeaturesCSV writes features.csv: id, label, split columns, cluster,
// then one column per numeric feature. Floats use the shortest exact form,
// so the file is byte-identical across runs.
func (t *Table) WriteFeaturesCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(FeaturesCSVHeader(t.Features)); err != nil {
		return fmt.Errorf("features.csv: %w", err)
	}
	for i := range t.Rows {
		if err := cw.Write(FeaturesCSVRecord(&t.Rows[i])); err != nil {
			return fmt.Errorf("features.csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTokensTSV writes tokens.tsv: one "id<TAB>token<TAB>count" line per
// package and token, tokens in lexical order.
func (t *Table) WriteTokensTSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(TokensTSVHeader)
	var line []byte
	for i := range t.Rows {
		line = AppendTokensTSV(line[:0], &t.Rows[i])
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tokens.tsv: %w", err)
	}
	return nil
}

// ExtractError is a package that produced no row, and why.
type ExtractError struct {
	ID     string
	Label  string
	Reason string // the dataset sentinel reason, "extract", or ReasonBudget ("budget")
	Detail string
}

// WriteErrorsCSV writes errors.csv: id, label, reason, detail.
func WriteErrorsCSV(w io.Writer, errs []ExtractError) error {
	cw := csv.NewWriter(w)
	cw.Write(ErrorsCSVHeader)
	for _, e := range errs {
		cw.Write(ErrorsCSVRecord(e))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("errors.csv: %w", err)
	}
	return nil
}
