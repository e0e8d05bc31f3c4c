"""Real LSTM weights for the DeltaLSTM model: the pretrained char-level net shipped with the
``textgenrnn`` package (``pip install --no-deps textgenrnn h5py``; no TensorFlow needed).

The package ships ``textgenrnn_weights.hdf5`` (Keras 2.1.5): embedding (465 chars x 100),
``rnn_1`` LSTM 100 -> 128, ``rnn_2`` LSTM 128 -> 128, an attention-weighted average over
``[embedding, rnn_1, rnn_2]`` (356 channels) and a 465-way softmax. Both LSTMs were saved from
``CuDNNLSTM`` (bias of 8H = b_ih then b_hh), whose per-gate input kernel is stored in cuDNN's
Fortran layout. We convert exactly as Keras' ``_convert_rnn_weights`` does when it loads such a
file into a plain ``LSTM``:

* input kernel, per gate: ``kernel_g.T.reshape(kernel_g.shape, order="F")``, the Keras
  (I, H) matrix; PyTorch's ``W_ih`` gate block is its transpose;
* recurrent kernel, per gate: ``rk_g.T`` is the Keras (H, H) matrix, so ``W_hh``'s block is
  ``rk_g`` itself;
* biases: ``b_ih = bias[:4H]``, ``b_hh = bias[4H:]``.

Files saved from a plain Keras ``LSTM`` (bias of 4H) are read without the cuDNN reshuffle.
Keras' gate order i, f, c, o is PyTorch's i, f, g, o. :func:`next_char_probs` runs the whole
float network so a test can check the layout on real text (a wrong layout predicts noise).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np

from models.delta_lstm import float_lstm_step

WEIGHTS_FILE = "textgenrnn_weights.hdf5"
VOCAB_FILE = "textgenrnn_vocab.json"
#: textgenrnn's context window: prediction sees the last 40 tokens, left-padded with index 0
MAX_LENGTH = 40
#: textgenrnn starts every text with this token
META_TOKEN = "<s>"


def package_dir() -> Path | None:
    """The installed ``textgenrnn`` directory, found without importing it (its ``__init__``
    imports TensorFlow)."""
    spec = importlib.util.find_spec("textgenrnn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclasses.dataclass(frozen=True)
class TorchLstm:
    """One LSTM layer in PyTorch layout (float64): w_ih (4H, I), w_hh (4H, H), b_ih, b_hh."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    @property
    def hidden_size(self) -> int:
        return int(self.w_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.w_ih.shape[1])

    def astuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.w_ih, self.w_hh, self.b_ih, self.b_hh


def keras_lstm_to_torch(kernel, recurrent_kernel, bias) -> TorchLstm:
    """Keras ``LSTM`` or ``CuDNNLSTM`` weights -> :class:`TorchLstm` (see module doc)."""
    kernel = np.asarray(kernel, dtype=np.float64)
    rk = np.asarray(recurrent_kernel, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    h = rk.shape[0]
    if kernel.shape[1] != 4 * h or rk.shape != (h, 4 * h):
        raise ValueError(f"textgenrnn: LSTM kernels must be (I, 4H) and (H, 4H) "
                         f"(got {kernel.shape}, {rk.shape})")
    if bias.shape == (8 * h,):       # CuDNNLSTM
        k_gates = [k.T.reshape(k.shape, order="F") for k in np.hsplit(kernel, 4)]
        r_gates = [r.T for r in np.hsplit(rk, 4)]
        b_ih, b_hh = bias[:4 * h], bias[4 * h:]
    elif bias.shape == (4 * h,):     # plain Keras LSTM: one bias set
        k_gates, r_gates = np.hsplit(kernel, 4), np.hsplit(rk, 4)
        b_ih, b_hh = bias, np.zeros_like(bias)
    else:
        raise ValueError(f"textgenrnn: LSTM bias must have 4H or 8H = {8 * h} entries "
                         f"(got {bias.shape})")
    return TorchLstm(w_ih=np.hstack(k_gates).T.copy(), w_hh=np.hstack(r_gates).T.copy(),
                     b_ih=b_ih.copy(), b_hh=b_hh.copy())


@dataclasses.dataclass(frozen=True)
class TextgenrnnNet:
    """The whole pretrained network in float64."""

    vocab: dict[str, int]
    embedding: np.ndarray            # (V, 100)
    rnn: tuple[TorchLstm, ...]       # rnn_1, rnn_2
    attention_w: np.ndarray          # (356,)
    out_kernel: np.ndarray           # (356, V)
    out_bias: np.ndarray             # (V,)

    def encode(self, text: str) -> np.ndarray:
        """Character indices as textgenrnn encodes them (unknown characters -> 0)."""
        return np.array([self.vocab.get(ch, 0) for ch in text], dtype=np.int64)

    def embed(self, text: str) -> np.ndarray:
        """(len(text), 100) float64 embeddings: the input sequence of ``rnn_1``."""
        return self.embedding[self.encode(text)]


def load(path: str | Path | None = None) -> TextgenrnnNet:
    """Read the shipped weights (default: the installed package's files)."""
    import h5py  # optional dependency, only needed here

    if path is None:
        pkg = package_dir()
        if pkg is None:
            raise FileNotFoundError("textgenrnn is not installed (pip install --no-deps "
                                    "textgenrnn)")
        path = pkg / WEIGHTS_FILE
    path = Path(path)
    vocab = json.loads((path.parent / VOCAB_FILE).read_text(encoding="utf-8"))
    with h5py.File(path, "r") as f:
        emb = np.asarray(f["embedding/embedding/embeddings:0"][...], dtype=np.float64)
        rnn = tuple(keras_lstm_to_torch(f[f"{n}/{n}/kernel:0"][...],
                                        f[f"{n}/{n}/recurrent_kernel:0"][...],
                                        f[f"{n}/{n}/bias:0"][...]) for n in ("rnn_1", "rnn_2"))
        att = np.asarray(f["attention/attention/attention_W:0"][...], dtype=np.float64)[:, 0]
        ok = np.asarray(f["output/output/kernel:0"][...], dtype=np.float64)
        ob = np.asarray(f["output/output/bias:0"][...], dtype=np.float64)
    return TextgenrnnNet(vocab=vocab, embedding=emb, rnn=rnn, attention_w=att,
                         out_kernel=ok, out_bias=ob)


def run_float_lstm(layer: TorchLstm, xs: np.ndarray) -> np.ndarray:
    """(T, I) -> (T, H) hidden sequence from zero state, PyTorch equations in float64."""
    h = np.zeros(layer.hidden_size)
    c = np.zeros(layer.hidden_size)
    out = np.zeros((len(xs), layer.hidden_size))
    for t, x in enumerate(xs):
        h, c = float_lstm_step(*layer.astuple(), x, h, c)
        out[t] = h
    return out


def next_char_probs(net: TextgenrnnNet, text: str) -> np.ndarray:
    """textgenrnn's next-token distribution after ``text`` (META_TOKEN is prepended, the last
    MAX_LENGTH tokens are left-padded with index 0, exactly as ``textgenrnn_generate``)."""
    z = output_features(net, text) @ net.out_kernel + net.out_bias
    p = np.exp(z - z.max())
    return p / p.sum()


def output_features(net: TextgenrnnNet, text: str) -> np.ndarray:
    """(356,) input of the trained output layer ``output`` (a Dense 356 -> V) after ``text``:
    the attention-weighted average of [embedding, rnn_1, rnn_2] (see :func:`next_char_probs`)."""
    idx = [net.vocab[META_TOKEN]] + [net.vocab.get(ch, 0) for ch in text]
    idx = idx[-MAX_LENGTH:]
    idx = np.array([0] * (MAX_LENGTH - len(idx)) + idx)
    emb = net.embedding[idx]
    h1 = run_float_lstm(net.rnn[0], emb)
    h2 = run_float_lstm(net.rnn[1], h1)
    seq = np.hstack([emb, h1, h2])
    logits = seq @ net.attention_w
    a = np.exp(logits - logits.max())
    a /= a.sum() + 1e-7                       # Keras epsilon, as in AttentionWeightedAverage
    return a @ seq


__all__ = ["MAX_LENGTH", "META_TOKEN", "TextgenrnnNet", "TorchLstm", "keras_lstm_to_torch",
           "load", "next_char_probs", "output_features", "package_dir", "run_float_lstm"]
