#!/usr/bin/python3
"""Time one CV grid in scikit-learn for classifiers/grid_test.go.

Reads a JSON request on stdin and writes a JSON answer on stdout:

request:  {"x_path": "...", "n": rows, "p": columns,   (X as little-endian float64, row-major)
           "y": [...], "folds": [[test rows], ...], "models": ["rf", ...],
           "n_jobs": 2, "seed": 0}
answer:   {"version": "...", "n_jobs": 2,
           "models": {name: {"seconds": wall time of all folds,
                             "cpu": CPU seconds summed over the fold jobs,
                             "f1": [per fold], "accuracy": [per fold]}},
           "seconds": total wall time, "cpu": total CPU seconds}

Each model is scikit-learn's default (StandardScaler in front of SVC,
MLPClassifier and LogisticRegression, as the Go pipelines do), and its folds
run with joblib.Parallel(n_jobs) as cross_validate(n_jobs=...) would. The
worker pool is started before timing; joblib limits BLAS to one thread per
worker.
"""
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier


def models(seed):
    return {
        "rf": RandomForestClassifier(random_state=seed),
        "dt": DecisionTreeClassifier(random_state=seed),
        "svm": make_pipeline(StandardScaler(), SVC()),
        "mlp": make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
        "nb": GaussianNB(),
        "lr": make_pipeline(StandardScaler(), LogisticRegression()),
    }


def fit_score(model, X, y, test):
    c0 = time.process_time()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    train = np.setdiff1d(np.arange(len(y)), test)
    m = clone(model).fit(X[train], y[train])
    pred = m.predict(X[test])
    return f1_score(y[test], pred), accuracy_score(y[test], pred), time.process_time() - c0


def main():
    req = json.load(sys.stdin)
    X = np.fromfile(req["x_path"], dtype="<f8").reshape(req["n"], req["p"])
    y = np.asarray(req["y"], dtype=int)
    folds = [np.asarray(f, dtype=int) for f in req["folds"]]
    n_jobs = req.get("n_jobs", 2)
    ms = models(req.get("seed", 0))
    out = {"version": sklearn.__version__, "n_jobs": n_jobs, "models": {}}
    with Parallel(n_jobs=n_jobs) as par:
        par(delayed(abs)(i) for i in range(2 * n_jobs))  # start the workers
        total = cpu = 0.0
        for name in req["models"]:
            t0 = time.perf_counter()
            res = par(delayed(fit_score)(ms[name], X, y, test) for test in folds)
            dt = time.perf_counter() - t0
            total += dt
            c = sum(r[2] for r in res)
            cpu += c
            out["models"][name] = {"seconds": dt, "cpu": c, "f1": [r[0] for r in res],
                                   "accuracy": [r[1] for r in res]}
    out["seconds"] = total
    out["cpu"] = cpu
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
