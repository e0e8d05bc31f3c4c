"""Train and write the tiny digits CNN of the conv benchmark: ``data/cnn_digits/cnn.npz``.

The images are the committed eie fixture's (data/eie_digits/digits.npz: scikit-learn's
``load_digits``, its seeded 80/20 split), so neither this tool nor CI needs scikit-learn.
The network is models/cnn_digits.py's (two bias-free 3x3 conv layers with ReLU, a linear
classifier with bias), trained in numpy: He-normal init (seed ``TRAIN_SEED``), ``EPOCHS``
epochs of Adam on softmax cross-entropy, mini-batches of ``BATCH``. A few seconds.

``--write`` writes the file (fixed zip timestamps, so the same weights give the same bytes)
and prints its sha256, which ``models.cnn_digits.CNN_SHA256`` must then be set to.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np

from models.cnn_digits import (
    C1,
    C2,
    CNN_FILE,
    CONVS,
    Cnn,
    accuracy,
    im2col_batch,
    logits,
    split_images,
)
from tools.eie_digits import ADAM_B1, ADAM_B2, ADAM_EPS, npz_bytes

TRAIN_SEED = 2
EPOCHS = 30
BATCH = 32
LR = 2e-3
K = 3  # kernel size


def col2im_batch(cols: np.ndarray, shape, stride: int, pad: int) -> np.ndarray:
    """The adjoint of im2col_batch: (n, C*k*k, P) -> (n, C, H, W), overlaps summed."""
    n, c, h, w = shape
    ho, wo = (h + 2 * pad - K) // stride + 1, (w + 2 * pad - K) // stride + 1
    cols = cols.reshape(n, c, K, K, ho, wo)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    for i in range(K):
        for j in range(K):
            xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += cols[:, :, i, j]
    return xp[:, :, pad:pad + h, pad:pad + w]


def grads(ps: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Cross-entropy gradients of [conv1, conv2, fc_w, fc_b]."""
    acts, colss = [x], []
    for i, (_, stride, pad) in enumerate(CONVS):
        w = ps[i]
        cols = im2col_batch(acts[-1], K, stride, pad)
        z = np.einsum("ok,nkp->nop", w.reshape(w.shape[0], -1), cols)
        side = int(round(np.sqrt(z.shape[2])))
        colss.append(cols)
        acts.append(np.maximum(z, 0.0).reshape(len(x), w.shape[0], side, side))
    flat = acts[-1].reshape(len(x), -1)
    z = flat @ ps[2].T + ps[3]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    d = p / len(y)
    g = [None, None, d.T @ flat, d.sum(axis=0)]
    dh = (d @ ps[2]).reshape(acts[-1].shape)
    for i in range(len(CONVS) - 1, -1, -1):
        _, stride, pad = CONVS[i]
        w = ps[i]
        dz = (dh * (acts[i + 1] > 0)).reshape(len(x), w.shape[0], -1)
        g[i] = np.einsum("nop,nkp->ok", dz, colss[i]).reshape(w.shape)
        if i:
            dcols = np.einsum("ok,nop->nkp", w.reshape(w.shape[0], -1), dz)
            dh = col2im_batch(dcols, acts[i].shape, stride, pad)
    return g


def fit() -> dict:
    x, y = split_images("train")
    xt, yt = split_images("test")
    rng = np.random.default_rng(TRAIN_SEED)
    n_flat = C2 * 16
    ps = [rng.normal(0, np.sqrt(2 / 9), (C1, 1, K, K)),
          rng.normal(0, np.sqrt(2 / (9 * C1)), (C2, C1, K, K)),
          rng.normal(0, np.sqrt(1 / n_flat), (10, n_flat)), np.zeros(10)]
    m = [np.zeros_like(q) for q in ps]
    v = [np.zeros_like(q) for q in ps]
    t, t0 = 0, time.monotonic()
    for _ in range(EPOCHS):
        order = rng.permutation(len(x))
        for s in range(0, len(x), BATCH):
            b = order[s:s + BATCH]
            g = grads(ps, x[b], y[b])
            t += 1
            for i, q in enumerate(ps):
                m[i] = ADAM_B1 * m[i] + (1 - ADAM_B1) * g[i]
                v[i] = ADAM_B2 * v[i] + (1 - ADAM_B2) * g[i] ** 2
                q -= LR * (m[i] / (1 - ADAM_B1 ** t)) / (
                    np.sqrt(v[i] / (1 - ADAM_B2 ** t)) + ADAM_EPS)
    net = Cnn([ps[0], ps[1]], ps[2], ps[3])
    return dict(params=ps, seconds=time.monotonic() - t0,
                acc_train=accuracy(logits(net, x), y), acc_test=accuracy(logits(net, xt), yt),
                n_test=len(yt))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {CNN_FILE}")
    args = ap.parse_args(argv)
    r = fit()
    print(f"digits CNN conv3x3(1->{C1}) conv3x3/2({C1}->{C2}) fc({C2 * 16}->10), "
          f"{EPOCHS} epochs, {r['seconds']:.1f} s: accuracy train {r['acc_train']:.4f}, "
          f"test {r['acc_test']:.4f} ({r['n_test']} images)")
    if args.write:
        names = ("conv1", "conv2", "fc_w", "fc_b")
        blob = npz_bytes({n: q.astype(np.float32) for n, q in zip(names, r["params"])})
        CNN_FILE.parent.mkdir(parents=True, exist_ok=True)
        CNN_FILE.write_bytes(blob)
        print(f"wrote {CNN_FILE} ({len(blob)} bytes, sha256 "
              f"{hashlib.sha256(blob).hexdigest()}): set models.cnn_digits.CNN_SHA256")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
