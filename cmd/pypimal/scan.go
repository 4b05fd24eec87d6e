package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"golang.org/x/term"

	"pypimal/vetting"
)

func newScanCmd(v *viper.Viper) *cobra.Command {
	var (
		modelPath string
		format    string
		reasons   int
		recursive bool
	)
	cmd := &cobra.Command{
		Use:   "scan --model MODEL.json [--format text|jsonl|sarif] PATH...",
		Short: "Score packages with a trained model: verdict, score, reasons and risky code locations",
		Long: "Each PATH is an sdist (.tar.gz, .zip), a wheel, a .deb, an unpacked package folder, or a folder of\n" +
			"archives: a folder whose top level holds archive files and no package file (.py, PKG-INFO, METADATA,\n" +
			"setup.py, setup.cfg, pyproject.toml, *.dist-info, *.egg-info) has each of those archives scanned.\n" +
			"With --recursive, subfolders are searched too (a registry mirror's name/version/file.tar.gz tree):\n" +
			"a folder holding a package file is one unpacked package, other folders are searched for archives;\n" +
			"links are never followed, and at most 100,000 packages, 32 levels deep, are taken.\n" +
			"Nothing is unpacked to disk, installed or run. A package whose analysis takes longer than\n" +
			"--package-budget (30s) is an error; a .py file over --file-budget (5s) is read token by token\n" +
			"and listed as partial.\n\n" +
			"Per package: the verdict, the score (P(malicious) for probability models) against the model's\n" +
			"threshold, the features that pushed the score most (the drop when each is reset to its benign\n" +
			"median), and the risky call sites with file and line.\n\n" +
			"Output: a text table (default on a terminal), JSON lines (default otherwise) or SARIF 2.1.0.\n" +
			"Exit status: 0 nothing flagged, 1 a package flagged, 2 a package could not be read or scored\n" +
			"(the others are still scanned) or the model could not be used. --workers defaults to 2 here.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" {
				return fmt.Errorf("scan: --model MODEL.json is required (make one with `pypimal train`)")
			}
			w := cmd.OutOrStdout()
			if format == "" || format == "auto" {
				format = vetting.FormatJSONL
				if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					format = vetting.FormatText
				}
			}
			m, err := vetting.Load(modelPath)
			if err != nil {
				return err
			}
			return runScan(cmd, v, m, format, args, reasons, recursive)
		},
	}
	cmd.Flags().StringVarP(&modelPath, "model", "m", "", "model file written by `pypimal train`")
	cmd.Flags().StringVarP(&format, "format", "f", "auto", "text, jsonl or sarif (auto: text on a terminal, else jsonl)")
	cmd.Flags().IntVar(&reasons, "reasons", 5, "reasons listed per package; 0 skips the explanations (faster)")
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "also scan archives and unpacked packages in subfolders of a folder (a mirror's name/version/file tree); links are not followed")
	return cmd
}

func runScan(cmd *cobra.Command, v *viper.Viper, m *vetting.Model, format string, paths []string, reasons int, recursive bool) error {
	out, err := vetting.NewResultWriter(format, cmd.OutOrStdout(), m)
	if err != nil {
		return err
	}
	if reasons <= 0 {
		reasons = -1 // none
	}
	s := vetting.NewScanner(m, vetting.ScanOptions{Workers: v.GetInt("workers"), Reasons: reasons,
		Budget: budget(v), Recursive: recursive})
	errw := cmd.ErrOrStderr()
	sum, err := s.Scan(cmd.Context(), paths, func(r vetting.Result) error {
		if r.Verdict == vetting.VerdictError && format != vetting.FormatText {
			// The table shows errors itself; other formats are machine
			// readable, so say it on stderr too.
			fmt.Fprintf(errw, "pypimal: %s: %s\n", r.Path, r.Error)
		}
		return out.Write(r)
	})
	if cerr := out.Close(sum); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if code := sum.ExitCode(); code != 0 {
		return &exitError{code: code, err: errors.New("")}
	}
	return nil
}
