// Package baselines compares pypimal with two external tools, bandit and
// packj, as the paper does (its Fig. 3): alert counts per package on the
// whole package and on setup.py alone, by class, and each tool used as a
// detector beside pypimal's stacking model.
//
// bandit really runs: each package is written into a fresh temporary
// folder (WriteTree: regular files only, checked paths, mode 0644, size
// caps; WithTree removes the folder afterwards, also on error or panic) and
// bandit reads it there (`bandit -r . -f json -q`, and `bandit -f json -q
// setup.py` when the package has a root setup.py), on a bounded worker pool
// with a timeout per run that kills bandit's whole process group. Nothing
// of a package is ever executed, imported or installed: bandit only parses
// the files. A crash, timeout or unparsable output is recorded for the
// package, never fatal.
//
// packj cannot be installed here; its reports are read from
// packj-static.jsonl (../shared/baselines/packj, see its README) or from a
// folder of packj's own JSON reports named "<id>-package.json" and
// "<id>-setup.py.json" (PackjFileName).
//
// Run produces a Result (one PackageResult per row, in the order given,
// with the row's train/test split); WriteReport turns it, with pypimal's
// predictions on the same rows, into baselines.md, CSV files and the
// alerts_by_class plot; Result.WriteRaw saves bandit's JSON outputs.
package baselines
