"""The Python peers of the tabular benchmark: small classification sets bundled with scikit-learn
(iris, wine, breast_cancer, digits; nothing is downloaded), each split 80/20 stratified and written
as CSV for Sprout, then trained and scored here on exactly those files by two peers:

  * sklearn:  make_pipeline(StandardScaler(), MLPClassifier(random_state=SEED, max_iter=1000))
  * numpy:    standardise with the train mean/std, 128 ReLU units (He init), softmax
              cross-entropy, Adam 0.001, minibatch 32, 200 epochs, float64

  and one regression set (diabetes; a random 80/20 split, the target in `label`), scored by R²:

  * sklearn:  TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(random_state=SEED,
              max_iter=2000)), transformer=StandardScaler())
  * linear:   LinearRegression (the baseline an MLP must beat)

    python3 tabular_peers.py OUT_DIR [--seed 42] [--only iris,wine,diabetes]

Writes OUT_DIR/<name>/train.csv and test.csv (header: feature columns, then `label`, the class
name; raw feature values). Prints one JSON line: the OpenBLAS kernel and thread count, and per
data set its sizes, the CSV paths, and each peer's test accuracy and fit seconds. Errors go to
stderr with exit status 1.
"""

import argparse
import csv
import json
import os
import re
import sys
import time
import traceback
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.linear_model import LinearRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True  # importing the sibling below must not leave a __pycache__ in the repo
from numpy_mlp import openblas_info  # noqa: E402

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}


def sanitise(names):
    """Column names limited to [A-Za-z0-9_], non-empty, not starting with a digit, unique."""
    out, seen = [], set()
    for raw in names:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", str(raw)).strip("_") or "f"
        if name[0].isdigit():
            name = "f_" + name
        if name == "label":
            name = "label_feature"
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        out.append(name)
    return out


def load(name):
    """(x, class names per row, feature column names, class names in index order)."""
    bunch = LOADERS[name]()
    x = np.asarray(bunch.data, dtype=np.float64)
    if name == "digits":
        columns = [f"px{i}" for i in range(x.shape[1])]
        classes = [str(int(c)) for c in bunch.target_names]
    else:
        columns = sanitise(bunch.feature_names)
        classes = [str(c) for c in bunch.target_names]
    labels = np.array([classes[t] for t in bunch.target])
    return x, labels, columns, classes


def write_csv(path, columns, x, labels):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns + ["label"])
        for row, label in zip(x, labels):
            w.writerow([str(float(v)) for v in row] + [label])


def read_csv(path, columns, classes):
    """Read a CSV back: (float64 features, int class indices into `classes`)."""
    index = {c: i for i, c in enumerate(classes)}
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        if header != columns + ["label"]:
            raise ValueError(f"{path}: unexpected header {header[:3]}...")
        rows = list(r)
    x = np.array([[float(v) for v in row[:-1]] for row in rows], dtype=np.float64)
    y = np.array([index[row[-1]] for row in rows], dtype=np.int64)
    return x, y


def numpy_mlp(x, y, xt, yt, classes, seed, hidden=128, epochs=200, batch=32):
    """Plain NumPy MLP; returns (test accuracy after the last epoch, fit seconds)."""
    t0 = time.perf_counter()
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    rng = np.random.default_rng(seed)
    n, d = x.shape
    params = [
        rng.standard_normal((d, hidden)) * np.sqrt(2 / d),  # He
        np.zeros(hidden),
        rng.uniform(-1, 1, (hidden, classes)) * np.sqrt(6 / (hidden + classes)),  # Glorot
        np.zeros(classes),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, yb = x[idx], y[idx]
            size = len(idx)
            z1 = xb @ params[0] + params[1]
            h = np.maximum(z1, 0)
            z2 = h @ params[2] + params[3]
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(size), yb] -= 1
            dz2 = p / size
            dh = dz2 @ params[2].T
            dh[z1 <= 0] = 0
            grads = [xb.T @ dh, dh.sum(axis=0), h.T @ dz2, dz2.sum(axis=0)]
            step += 1
            c1, c2 = 1 - b1**step, 1 - b2**step
            for i, g in enumerate(grads):
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                params[i] -= lr * (m[i] / c1) / (np.sqrt(v[i] / c2) + eps)
    seconds = time.perf_counter() - t0
    xt = (xt - mean) / std
    h = np.maximum(xt @ params[0] + params[1], 0)
    acc = float(np.mean(np.argmax(h @ params[2] + params[3], axis=1) == yt))
    return acc, seconds


def sklearn_mlp(x, y, xt, yt, seed):
    model = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed, max_iter=1000))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    seconds = time.perf_counter() - t0
    return float(model.score(xt, yt)), seconds


REGRESSIONS = {"diabetes": load_diabetes}


def run_regression(name, out_dir, seed):
    """A regression set: random 80/20 split written as CSV (target column `label`), scored by R²."""
    bunch = REGRESSIONS[name]()
    x = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.float64)
    columns = sanitise(bunch.feature_names)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=seed)
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    train_csv, test_csv = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    write_csv(train_csv, columns, x_tr, [repr(float(v)) for v in y_tr])
    write_csv(test_csv, columns, x_te, [repr(float(v)) for v in y_te])
    results = {}
    for key, model in (
        (
            "sklearn",
            TransformedTargetRegressor(
                regressor=make_pipeline(StandardScaler(), MLPRegressor(random_state=seed, max_iter=2000)),
                transformer=StandardScaler(),
            ),
        ),
        ("linear", LinearRegression()),
    ):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_tr, y_tr)
        seconds = time.perf_counter() - t0
        results[key] = {"r2": float(model.score(x_te, y_te)), "seconds": seconds}
    return {
        "name": name,
        "train_rows": len(y_tr),
        "test_rows": len(y_te),
        "features": len(columns),
        "train_csv": train_csv,
        "test_csv": test_csv,
        **results,
    }


def run(name, out_dir, seed):
    x, labels, columns, classes = load(name)
    x_tr, x_te, l_tr, l_te = train_test_split(x, labels, test_size=0.2, stratify=labels, random_state=seed)
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    train_csv, test_csv = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    write_csv(train_csv, columns, x_tr, l_tr)
    write_csv(test_csv, columns, x_te, l_te)

    # Train on what was written, so the peers see exactly the rows Sprout reads.
    x_tr, y_tr = read_csv(train_csv, columns, classes)
    x_te, y_te = read_csv(test_csv, columns, classes)
    sk_acc, sk_s = sklearn_mlp(x_tr, y_tr, x_te, y_te, seed)
    np_acc, np_s = numpy_mlp(x_tr, y_tr, x_te, y_te, len(classes), seed)
    return {
        "name": name,
        "train_rows": len(y_tr),
        "test_rows": len(y_te),
        "features": len(columns),
        "classes": len(classes),
        "train_csv": train_csv,
        "test_csv": test_csv,
        "sklearn": {"accuracy": sk_acc, "seconds": sk_s},
        "numpy": {"accuracy": np_acc, "seconds": np_s},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", default=None, help="comma-separated subset of " + ",".join(LOADERS))
    args = parser.parse_args()
    names = list(LOADERS) + list(REGRESSIONS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        known = list(LOADERS) + list(REGRESSIONS)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    out_dir = os.path.abspath(args.out_dir)
    datasets = [run(name, out_dir, args.seed) for name in names if name in LOADERS]
    regressions = [run_regression(name, out_dir, args.seed) for name in names if name in REGRESSIONS]
    print(json.dumps({"openblas": openblas_info(), "datasets": datasets, "regressions": regressions}))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)
