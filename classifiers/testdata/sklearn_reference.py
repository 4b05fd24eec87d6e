#!/usr/bin/python3
"""Reference results from scikit-learn for classifiers/sklearn_test.go.

Reads a JSON request on stdin and writes a JSON answer on stdout:

request:  {"X": [[...]], "y": [...], "folds": [[test rows], ...], "seeds": [...],
           "docs": [[token, ...], ...] (optional), "min_df": 2,
           "stack_bases": [model, ...] (optional),
           "skf": {"k": 5, "labels": [[...], ...]} (optional)}
answer:   {"version": "...",
           "cv": {model: {"accuracy": mean over seeds, "f1": ...}},
           "lr": {"default": {...}, "exact": {...}, "exact_balanced": {...}}
                 each {"coef": [...], "intercept": x, "n_iter": k, "max_grad": g}
                 (LogisticRegression on all rows, scaled; see below)
           "svm": {"decision": [...], "n_sv": k}     (SVC on all rows, scaled)
           "nb": {"proba": [...]}                   (GaussianNB on all rows)
           "tfidf": {"vocab": [...], "rows": [[...]]} (when docs are given)
           "skf": [[[test rows of fold f] for f] for each label vector]}

The models are scikit-learn defaults, with StandardScaler in front of SVC,
MLPClassifier and LogisticRegression as the Go pipelines do. "stack" in "cv"
is StackingClassifier(cv=5 default) over stack_bases with its default
LogisticRegression final estimator.

Logistic regression: the default lbfgs fit stops when scipy's L-BFGS-B sees
a relative decrease of the objective below its default ftol (about 2.2e-9),
which LogisticRegression does not expose, so it is not the optimum even with
a tiny tol. "exact" is the same objective solved by the newton-cg solver to a
gradient of 1e-8 (about the floor rounding allows on the test data), which is
what the Go code is compared with, solved to the same tolerance; "default" is
reported for the record. max_grad is the largest entry of the gradient of
sum_i s_i logloss_i + ||w||^2/(2C) at the returned coefficients.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_class_weight

warnings.filterwarnings("ignore", category=ConvergenceWarning)

DETERMINISTIC = ("svm", "nb", "lr")


def models(seed):
    return {
        "rf": RandomForestClassifier(random_state=seed),
        "dt": DecisionTreeClassifier(random_state=seed),
        "svm": make_pipeline(StandardScaler(), SVC()),
        "mlp": make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
        "nb": GaussianNB(),
        "lr": make_pipeline(StandardScaler(), LogisticRegression()),
    }


def lr_report(model, X, y, class_weight=None):
    w, b = model.coef_[0], model.intercept_[0]
    s = np.ones(len(y))
    if class_weight == "balanced":
        s = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)[y]
    r = s * (expit(X @ w + b) - y)
    grad = np.r_[X.T @ r + w / model.C, r.sum()]
    return {"coef": w.tolist(), "intercept": float(b), "n_iter": int(model.n_iter_[0]),
            "max_grad": float(np.abs(grad).max())}


def main():
    req = json.load(sys.stdin)
    X = np.asarray(req["X"], dtype=float)
    y = np.asarray(req["y"], dtype=int)
    folds = [np.asarray(f, dtype=int) for f in req["folds"]]
    seeds = req.get("seeds", [0])
    out = {"version": sklearn.__version__, "cv": {}}

    scores = {}
    for seed in seeds:
        ms = models(seed)
        if req.get("stack_bases"):
            ms["stack"] = StackingClassifier([(b, models(seed)[b]) for b in req["stack_bases"]])
        for name, model in ms.items():
            if name in scores and name in DETERMINISTIC:
                continue  # deterministic: one run is enough
            pred = np.empty(len(y), dtype=int)
            for test in folds:
                train = np.setdiff1d(np.arange(len(y)), test)
                model.fit(X[train], y[train])
                pred[test] = model.predict(X[test])
            scores.setdefault(name, []).append(
                (accuracy_score(y, pred), f1_score(y, pred)))
    for name, s in scores.items():
        s = np.asarray(s)
        out["cv"][name] = {"accuracy": float(s[:, 0].mean()), "f1": float(s[:, 1].mean())}

    scaled = StandardScaler().fit_transform(X)
    out["lr"] = {
        "default": lr_report(LogisticRegression().fit(scaled, y), scaled, y),
        "exact": lr_report(
            LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=1000).fit(scaled, y),
            scaled, y),
        "exact_balanced": lr_report(
            LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=1000,
                               class_weight="balanced").fit(scaled, y),
            scaled, y, "balanced"),
    }
    svc = SVC().fit(scaled, y)
    out["svm"] = {"decision": svc.decision_function(scaled).tolist(), "n_sv": int(svc.n_support_.sum())}
    out["nb"] = {"proba": GaussianNB().fit(X, y).predict_proba(X)[:, 1].tolist()}

    if req.get("docs"):
        vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=req.get("min_df", 2))
        m = vec.fit_transform(req["docs"]).toarray()
        out["tfidf"] = {"vocab": vec.get_feature_names_out().tolist(), "rows": m.tolist()}

    if req.get("skf"):
        k = req["skf"]["k"]
        out["skf"] = []
        for labels in req["skf"]["labels"]:
            lab = np.asarray(labels, dtype=int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "least populated class"
                split = StratifiedKFold(n_splits=k).split(np.zeros((len(lab), 1)), lab)
                out["skf"].append([test.tolist() for _, test in split])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
