#!/usr/bin/python3
"""scikit-learn side of experiments/runner/fidelity_test.go.

Cross-validates scikit-learn's models on feature matrices exported by the Go
test, over the exported folds, exactly as the runner's pipelines do, and
reports each model's per-fold F1 and time.

request (JSON on stdin):
  {"sets": [{"name": "all", "dir": "/tmp/.../all", "text": true,
             "models": ["rf", ...]}, ...],
   "specs": {"rf": {"scale": false, "threshold": 0.5}, ...,
             "mlp": {"scale": true, "threshold": 0.5, "dtype": "float32"}},
   "stacks": {"stacking": ["rf", "dt", ...], ...},  (stacking models: bases)
   "text": {"min_df": 2, "max_features": 500, "rank_by_count": false},
   "seed": 42, "n_jobs": 2}

Each set's dir holds (written by the Go test):
  features.csv  id, label (0/1), then the set's numeric columns, exact floats
  tokens.tsv    id<TAB>token<TAB>count, only when the set has the text family
  folds.csv     row, id, repeat_0: the test fold of each row (WriteFoldsCSV)

answer (JSON on stdout):
  {"version": "1.2.1",
   "results": {set: {model: {"f1": [per fold], "seconds": s, "cpu": s}}}}

Pipelines, as classifiers.ModelPipeline builds them:
  design  [numeric columns | TF-IDF of the tokens], the vectoriser fitted on
          the training rows only (FoldVectoriser below: vocabulary = the
          max_features tokens of highest document frequency among those with
          df >= min_df, ties by token; sublinear tf, smooth idf, l2 rows);
  scaler  when specs[m].scale: StandardScaler on the numeric columns and
          StandardScaler(with_mean=False) on the TF-IDF ones (scaled, not
          centred, as the Go pipeline does);
  dtype   when specs[m].dtype is float32: the model's input cast to
          float32 (after the scaler, which computes in float64 as the Go
          pipeline does), so MLPClassifier trains and predicts in float32;
  model   the scikit-learn default; random_state (rf, dt, mlp) is seed + fold
          (+ the base's index in a stack, where the Go side gives every base
          the stack's seed): seeded per fold like the Go side, not with the
          same numbers, so the random models agree in distribution.
A stacking model is StackingClassifier over those pipelines with the default
LogisticRegression final estimator and cv=StratifiedKFold(5) (unshuffled,
scikit-learn's default): predict_proba columns, decision_function for SVC.

A row is malicious when its score is strictly above the spec's threshold:
P(malicious) > 0.5, or SVC decision value > 0, like the Go side.

Folds run on joblib with n_jobs workers (scikit-learn's cross_validate
does the same); seconds is the wall time of a model's whole CV, cpu the
sum of the folds' CPU times in the workers (joblib limits each worker's
BLAS to n_cpus / n_jobs threads).
"""
import csv
import json
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier


class FoldVectoriser(BaseEstimator, TransformerMixin):
    """TF-IDF of token-count columns whose columns are in token order.

    TfidfVectorizer(max_features=K) ranks by total count; the Go vectoriser
    ranks by document frequency by default (rank_by_count false), so the
    vocabulary is chosen here and the weighting is scikit-learn's own
    TfidfTransformer(sublinear_tf=True) (smooth idf, l2 norm).
    """

    def __init__(self, min_df=2, max_features=500, rank_by_count=False):
        self.min_df = min_df
        self.max_features = max_features
        self.rank_by_count = rank_by_count

    def fit(self, X, y=None):
        X = sp.csc_matrix(X)
        df = np.asarray((X > 0).sum(axis=0)).ravel()
        total = np.asarray(X.sum(axis=0)).ravel()
        cand = np.flatnonzero(df >= self.min_df)
        # np.lexsort sorts by the last key first; the column index (token
        # order) breaks ties, as the token string does in Go.
        if self.rank_by_count:
            order = np.lexsort((cand, -df[cand], -total[cand]))
        else:
            order = np.lexsort((cand, -df[cand]))
        self.columns_ = np.sort(cand[order[: self.max_features]])
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(X[:, self.columns_])
        return self

    def transform(self, X):
        return self.tfidf_.transform(sp.csc_matrix(X)[:, self.columns_])


def base_model(name, seed):
    return {
        "rf": lambda: RandomForestClassifier(random_state=seed),
        "dt": lambda: DecisionTreeClassifier(random_state=seed),
        "svm": lambda: SVC(),
        "mlp": lambda: MLPClassifier(random_state=seed),
        "nb": lambda: GaussianNB(),
        "lr": lambda: LogisticRegression(),
    }[name]()


def dense(X):
    return X.toarray() if sp.issparse(X) else X


def to_float32(X):
    return dense(X).astype(np.float32)


def pipeline(name, seed, req, p, vocab):
    scale = req["specs"][name]["scale"]
    steps = []
    if vocab > 0:
        t = req["text"]
        text = [FoldVectoriser(t["min_df"], t["max_features"], t["rank_by_count"])]
        if scale:
            # TF-IDF columns are scaled but not centred (with_mean=False,
            # scikit-learn's way for sparse text), numeric ones both.
            text.append(StandardScaler(with_mean=False))
        parts = [("text", make_pipeline(*text), slice(p, p + vocab))]
        if p > 0:
            numeric = make_pipeline(FunctionTransformer(dense, accept_sparse=True), StandardScaler()) \
                if scale else "passthrough"
            parts.insert(0, ("numeric", numeric, slice(0, p)))
        steps.append(ColumnTransformer(parts, sparse_threshold=0))
    elif scale:
        steps.append(StandardScaler())
    if req["specs"][name].get("dtype") == "float32":
        steps.append(FunctionTransformer(to_float32, accept_sparse=True))
    steps.append(base_model(name, seed))
    return make_pipeline(*steps)


def model(name, seed, req, p, vocab):
    if name in req["stacks"]:
        return StackingClassifier(
            [(b, pipeline(b, seed + i, req, p, vocab)) for i, b in enumerate(req["stacks"][name])],
            final_estimator=LogisticRegression(), cv=StratifiedKFold(5))
    return pipeline(name, seed, req, p, vocab)


def scores(m, X):
    if hasattr(m, "predict_proba"):
        return m.predict_proba(X)[:, 1]
    return m.decision_function(X)


def fold_f1(name, seed, req, p, vocab, X, y, train, test):
    """F1 of one fold, and the CPU seconds the fold took in this worker."""
    cpu = time.process_time()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    m = model(name, seed, req, p, vocab)
    m.fit(X[train], y[train])
    threshold = 0.5 if name in req["stacks"] else req["specs"][name]["threshold"]
    pred = scores(m, X[test]) > threshold
    truth = y[test] == 1
    tp = int(np.sum(pred & truth))
    fp = int(np.sum(pred & ~truth))
    fn = int(np.sum(~pred & truth))
    f1 = 0.0 if 2 * tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    return f1, time.process_time() - cpu


def load(d, text):
    with open(d + "/features.csv", newline="") as f:
        rd = csv.reader(f)
        next(rd)
        ids, y, X = [], [], []
        for r in rd:
            ids.append(r[0])
            y.append(int(r[1]))
            X.append([float(v) for v in r[2:]])
    X = np.asarray(X, dtype=float).reshape(len(ids), -1)
    y = np.asarray(y, dtype=int)
    with open(d + "/folds.csv", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        col = header.index("repeat_0")
        fold = np.asarray([int(r[col]) for r in rd], dtype=int)
    vocab = 0
    if text:
        pos = {id_: i for i, id_ in enumerate(ids)}
        rows, toks, counts = [], [], []
        with open(d + "/tokens.tsv") as f:
            next(f)
            for line in f:
                i, t, c = line.rstrip("\n").split("\t")
                rows.append(pos[i])
                toks.append(t)
                counts.append(float(c))
        names, cols = np.unique(np.asarray(toks), return_inverse=True)  # sorted: token order
        vocab = len(names)
        counts = sp.csr_matrix((counts, (rows, cols)), shape=(len(ids), vocab))
        X = sp.hstack([sp.csr_matrix(X), counts], format="csr")
    return X, y, fold, vocab


def main():
    req = json.load(sys.stdin)
    out = {"version": sklearn.__version__, "results": {}}
    with Parallel(n_jobs=req["n_jobs"]) as par:
        for s in req["sets"]:
            X, y, fold, vocab = load(s["dir"], s["text"])
            p = X.shape[1] - vocab
            k = fold.max() + 1
            splits = [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]
            res = out["results"].setdefault(s["name"], {})
            for name in s["models"]:
                t0 = time.perf_counter()
                folds = par(delayed(fold_f1)(name, req["seed"] + f, req, p, vocab, X, y, tr, te)
                            for f, (tr, te) in enumerate(splits))
                res[name] = {"f1": [f for f, _ in folds], "seconds": time.perf_counter() - t0,
                             "cpu": sum(c for _, c in folds)}
                print(f"sklearn {s['name']:<20} {name:<11} F1 {np.mean(res[name]['f1']):.4f} "
                      f"{res[name]['seconds']:.1f}s ({res[name]['cpu']:.1f}s CPU)",
                      file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
