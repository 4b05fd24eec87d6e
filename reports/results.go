// Package reports turns the results of an experiment into the files a
// reviewer reads: tables (Markdown, CSV, LaTeX), plots (PNG and SVG) and
// report.md. It computes nothing about models; it only presents Results.
//
// Everything written from Results is deterministic: the same Results give
// byte-identical tables, CSVs and report text. Timings live in run.json,
// which the runner writes, not here.
package reports

// Paper's headline figures, shown beside ours.
const (
	PaperCVF1   = 0.942
	PaperTestF1 = 0.90
)
