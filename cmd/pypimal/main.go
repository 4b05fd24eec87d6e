// Command pypimal is the research harness for detecting malicious PyPI
// packages: it loads the dataset, extracts features, runs the experiments and
// scans new packages. Commands are thin: they parse flags and call packages.
package main

import (
	"errors"
	"fmt"
	"os"
)

// exitError carries a specific exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	root := newRootCmd()
	err := root.Execute()
	if perr := root.PersistentPostRunE(root, nil); err == nil {
		err = perr
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintln(os.Stderr, "pypimal:", ee.err)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "pypimal:", err)
		os.Exit(2)
	}
}
