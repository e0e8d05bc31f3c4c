"""Train, prune and write the real-weights fixture of ``eie``: ``data/eie_digits/digits.npz``.

The data is scikit-learn's ``load_digits`` (1797 8 x 8 images, pixels 0..16, 10 classes; the
UCI optdigits test set, shipped inside the package, so nothing is downloaded). The network is
a 64-64-32-10 ReLU MLP **without biases** (EIE's datapath computes W a, nothing else), trained
in numpy:

1. a seeded 80/20 split (``SPLIT_SEED``), inputs ``pixel / 16``;
2. ``EPOCHS`` epochs of Adam on softmax cross-entropy (He-normal init, seed ``TRAIN_SEED``,
   mini-batches of ``BATCH``);
3. EIE-style magnitude pruning of every layer to ``DENSITIES`` (models.eie.prune_magnitude);
4. ``FINETUNE_EPOCHS`` more epochs with the pruned weights held at zero (the masked gradient):
   pruning alone costs accuracy, fine-tuning wins most of it back (printed);
5. the pruned, fine-tuned float weights are written; the 16-entry k-means codebook
   (models.eie.share_weights) and the integer layers are derived from them on load by
   models/eie/digits.py, so the shipped file holds float weights and the codebook code is the
   one the tests use.

scikit-learn is needed only here (CI and ``make test`` read the committed file). Without it in
the project's venv, install it somewhere else and point PYTHONPATH at it, e.g.::

    .venv/bin/python -m pip install --no-deps --target /tmp/skl scikit-learn scipy joblib \\
        threadpoolctl narwhals cloudpickle
    PYTHONPATH=/tmp/skl:. .venv/bin/python -m tools.eie_digits --write

``--write`` writes the file (byte-deterministic: fixed zip timestamps) and prints its sha256,
which ``models.eie.digits.DIGITS_SHA256`` must then be set to. Without ``--write`` it trains
and prints the accuracies only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
import zipfile

import numpy as np

from models.eie.digits import (
    DENSITIES,
    DIGITS_FILE,
    HIDDEN,
    accuracy,
    float_forward,
    shared_weights,
)
from models.eie.format import prune_magnitude

SPLIT_SEED = 0
TRAIN_SEED = 1
TEST_SHARE = 0.2
EPOCHS = 60
FINETUNE_EPOCHS = 20
BATCH = 32
LR = 3e-3
FINETUNE_LR = 1e-3
ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8
N_CLASSES = 10
PIXEL_MAX = 16  # load_digits' pixels are counts 0..16 of a 4 x 4 block


def load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("tools.eie_digits needs scikit-learn for load_digits (see this module's doc "
                 "for an install that leaves the project's venv alone)")
    d = load_digits()
    return d.data.astype(np.uint8), d.target.astype(np.uint8)


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_test = int(round(TEST_SHARE * n))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _grads(ws, x, y):
    """Cross-entropy gradients of the bias-free ReLU MLP (weights (out, in))."""
    acts = [x]
    for i, w in enumerate(ws):
        z = acts[-1] @ w.T
        acts.append(np.maximum(z, 0.0) if i < len(ws) - 1 else z)
    z = acts[-1] - acts[-1].max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    delta = p
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        grads[i] = delta.T @ acts[i]
        if i:
            delta = (delta @ ws[i]) * (acts[i] > 0)
    return grads


def train(ws, x, y, epochs: int, lr: float, rng, masks=None):
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), BATCH):
            b = order[s:s + BATCH]
            g = _grads(ws, x[b], y[b])
            t += 1
            for i, w in enumerate(ws):
                m[i] = ADAM_B1 * m[i] + (1 - ADAM_B1) * g[i]
                v[i] = ADAM_B2 * v[i] + (1 - ADAM_B2) * g[i] ** 2
                mh = m[i] / (1 - ADAM_B1 ** t)
                vh = v[i] / (1 - ADAM_B2 ** t)
                w -= lr * mh / (np.sqrt(vh) + ADAM_EPS)
                if masks is not None:
                    w *= masks[i]
    return ws


def fit() -> dict:
    x8, y = load_sklearn_digits()
    tr, te = split(len(y))
    x = x8.astype(np.float64) / PIXEL_MAX
    rng = np.random.default_rng(TRAIN_SEED)
    sizes = [x.shape[1], *HIDDEN, N_CLASSES]
    ws = [rng.normal(0.0, np.sqrt(2.0 / i), size=(o, i)) for i, o in zip(sizes, sizes[1:])]
    t0 = time.monotonic()
    train(ws, x[tr], y[tr], EPOCHS, LR, rng)
    acc_dense = accuracy(float_forward(ws, x[te])[-1], y[te])
    pruned = [prune_magnitude(w, d) for w, d in zip(ws, DENSITIES)]
    acc_pruned = accuracy(float_forward(pruned, x[te])[-1], y[te])
    masks = [(w != 0).astype(np.float64) for w in pruned]
    train(pruned, x[tr], y[tr], FINETUNE_EPOCHS, FINETUNE_LR, rng, masks)
    acc_ft = accuracy(float_forward(pruned, x[te])[-1], y[te])
    acc_shared = accuracy(float_forward(shared_weights(pruned), x[te])[-1], y[te])
    return dict(x=x8, y=y, train_idx=tr.astype(np.int16), test_idx=te.astype(np.int16),
                weights=[w.astype(np.float32) for w in pruned], seconds=time.monotonic() - t0,
                acc=dict(dense=acc_dense, pruned=acc_pruned, finetuned=acc_ft,
                         shared=acc_shared))


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz (np.load reads it) with fixed timestamps: the same arrays, the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, a in arrays.items():
            body = io.BytesIO()
            np.lib.format.write_array(body, np.ascontiguousarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, body.getvalue())
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {DIGITS_FILE}")
    args = ap.parse_args(argv)
    r = fit()
    a = r["acc"]
    print(f"64-{'-'.join(map(str, HIDDEN))}-10 MLP, {len(r['train_idx'])} train / "
          f"{len(r['test_idx'])} test images, {r['seconds']:.1f} s: test accuracy dense "
          f"{a['dense']:.4f}, pruned to {DENSITIES} {a['pruned']:.4f}, after "
          f"{FINETUNE_EPOCHS} fine-tuning epochs {a['finetuned']:.4f}, k-means shared "
          f"{a['shared']:.4f}")
    if args.write:
        arrays = dict(x=r["x"], y=r["y"], train_idx=r["train_idx"], test_idx=r["test_idx"],
                      **{f"w{i + 1}": w for i, w in enumerate(r["weights"])})
        blob = npz_bytes(arrays)
        DIGITS_FILE.parent.mkdir(parents=True, exist_ok=True)
        DIGITS_FILE.write_bytes(blob)
        print(f"wrote {DIGITS_FILE} ({len(blob)} bytes, sha256 "
              f"{hashlib.sha256(blob).hexdigest()}): set models.eie.digits.DIGITS_SHA256")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
