"""The NumPy + OpenBLAS peer of `pnpm bench:e2e`: the same 784-512-10 ReLU MLP, Adam 0.001,
batch 128, float32, on the same 55,000 training images (indices given by the caller, who computes
Sprout's split) and 10,000 test images, to 98% test accuracy.

    python3 numpy_mlp.py MNIST_DIR TRAIN_INDEX_FILE MAX_EPOCHS TIME_BUDGET_S

Prints one JSON line: per-epoch seconds and test accuracy, the OpenBLAS kernel that ran (its
core name), thread count, and peak RSS.
"""

import time

PROCESS_START = time.perf_counter()

import ctypes  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402


def openblas_info():
    """The kernel OpenBLAS chose (OPENBLAS_CORETYPE forces one) and its thread count."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    if not libs:
        return {"corename": "unknown (no bundled OpenBLAS found)", "threads": None}
    lib = ctypes.CDLL(libs[0])
    for prefix, suffix in (("scipy_", "64_"), ("", "")):
        try:
            corename = getattr(lib, f"{prefix}openblas_get_corename{suffix}")
            threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}")
        except AttributeError:
            continue
        corename.restype = ctypes.c_char_p
        return {"corename": corename().decode(), "threads": threads()}
    return {"corename": "unknown", "threads": None}


def read_idx(path, offset):
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    mnist_dir, index_file, max_epochs, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    images = read_idx(os.path.join(mnist_dir, "train-images-idx3-ubyte"), 16).reshape(-1, 784)
    labels = read_idx(os.path.join(mnist_dir, "train-labels-idx1-ubyte"), 8)
    test_x = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte"), 16).reshape(-1, 784)
    test_y = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte"), 8)
    index = np.fromfile(index_file, dtype="<i4")
    x = images[index].astype(np.float32) / np.float32(255)
    y = labels[index].astype(np.int64)
    xt = test_x.astype(np.float32) / np.float32(255)

    rng = np.random.default_rng(42)
    hidden, classes, batch = 512, 10, 128
    params = [
        (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32),  # He
        np.zeros(hidden, np.float32),
        (rng.uniform(-1, 1, (hidden, classes)) * np.sqrt(6 / (hidden + classes))).astype(np.float32),  # Glorot
        np.zeros(classes, np.float32),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = np.float32(1e-3), np.float32(0.9), np.float32(0.999), np.float32(1e-8)
    step = 0

    def accuracy():
        h = np.maximum(xt @ params[0] + params[1], 0)
        return float(np.mean(np.argmax(h @ params[2] + params[3], axis=1) == test_y))

    epochs = []
    started = time.perf_counter()
    for epoch in range(1, max_epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch + 1, batch):
            idx = order[start : start + batch]
            xb, yb = x[idx], y[idx]
            z1 = xb @ params[0] + params[1]
            h = np.maximum(z1, 0)
            z2 = h @ params[2] + params[3]
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(batch), yb] -= 1
            dz2 = p / np.float32(batch)
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
        acc = accuracy()
        now = time.perf_counter()
        epochs.append(
            {
                "epoch": epoch,
                "seconds": seconds,
                "elapsed": now - started,
                "fromProcessStart": now - PROCESS_START,
                "testAccuracy": acc,
                "hiddenSize": hidden,
                "samples": (len(x) // batch) * batch,
            }
        )
        if acc >= 0.98 or now - started > budget:
            break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "epochs": epochs,
                "quickRate": None,
                "wallSeconds": time.perf_counter() - started,
                "peakRssMB": peak,
                "openblas": openblas_info(),
                "numpy": np.__version__,
                "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ},
            }
        )
    )


if __name__ == "__main__":
    main()
