"""Layers on the GEMM blocks: ``linear``, N:M-pruned ``linear`` (``nm=(n, m)``) and ``conv2d``.

Float weights and inputs in PyTorch layout (``zeroskip.layout`` converts Keras/HWIO) go in;
float outputs in PyTorch layout, the integer outputs and a report come out. The steps:

1. (N:M) K is padded with zero columns to whole groups of m and the float weights are pruned
   N:M (models.nm_gemm.prune_nm, the ``n`` largest magnitudes of every group);
2. symmetric INT8 quantisation (zeroskip.quant): weights per tensor or per output channel,
   activations per tensor, each calibrated from the data unless a scale is given;
3. the bias is folded into the GEMM exactly: ``b_q = round(b / (s_x s_w))`` accumulator LSBs
   become extra reduction columns (:func:`fold_bias`), so the block needs no bias port;
4. requantisation: the real multiplier ``s_x s_w / s_y`` as (scale, shift) (zeroskip.quant,
   with its error bound); in the block's requantiser per tensor, or on the host, per output
   channel, from the accumulators of a ``requant=False`` config;
5. the layer as the block's tiles (models.conv.gemm_tiles: zero rows and columns pad it to the
   R x C array), run on the bit-exact model, or on the RTL (``backend="icarus"|"verilator"``),
   whose outputs are then compared with the model's;
6. PReLU and pooling (conv2d) on the host, after dequantisation (the blocks have ReLU only);
7. the report: error against the float layer, clipped counts (a :class:`ClipWarning` naming
   the count and a scale that would not clip), cycles from the block's cycle model (and
   measured, on the RTL), PE utilisation.
"""

from __future__ import annotations

import numpy as np

from models.configs import get_config
from models.conv import conv_out_size, gemm_tiles, im2col
from models.gemm import GemmParams, GemmTile, expected_cycles, gemm_ref
from models.nm_gemm import (
    NmGemmParams,
    NmGemmTile,
    compress,
    expected_cycles_nm,
    nm_gemm_ref,
    prune_nm,
)
from models.params import BlockParams
from models.validate import choice, fail, float_array, int_scalar
from zeroskip.quant import (
    INT8,
    calibrate,
    qmax,
    quantise_symmetric,
    requant_params,
    requantise_rows,
    warn_clipped,
)
from zeroskip.report import LayerReport, LayerResult, error_stats
from zeroskip.rtl import RtlMismatch, check_backend, run_block

POOLS = ("max", "avg")


# -- bias folding ------------------------------------------------------------------------------
def fold_bias(w_q: np.ndarray, cols_q: np.ndarray, b_q: np.ndarray, data_width: int,
              nm: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(W', X')`` with ``W' @ X' == W @ X + b[:, None]`` exactly, all operands
    ``data_width``-bit: row r's ``|b_r| = hi * t_r + rem_r`` (``hi = 2**(dw-1) - 1``) becomes
    ``t_r`` spread over columns whose activation is ``hi`` (at most ``hi`` per weight) and one
    column of activation 1 holding ``rem_r``. With ``nm = (n, m)`` the extra columns come in
    whole groups, only the first ``n`` positions of a group used, so N:M holds."""
    b_q = np.asarray(b_q, dtype=np.int64)
    if not b_q.any():
        return w_q, cols_q
    hi = qmax(data_width)
    mag, sign = np.abs(b_q), np.sign(b_q)
    t, rem = mag // hi, mag % hi
    n_hi = int(-(-t.max() // hi))  # columns of activation hi
    per_group = nm[0] if nm else 1
    group = nm[1] if nm else 1
    n_hi_groups = -(-n_hi // per_group)
    wcols, acts = [], []
    left = t.copy()
    for _g in range(n_hi_groups):
        for pos in range(group):
            if pos < per_group:
                take = np.minimum(left, hi)
                left -= take
                wcols.append(sign * take)
                acts.append(hi)
            else:
                wcols.append(np.zeros_like(b_q))
                acts.append(0)
    for pos in range(group):  # the remainder column (activation 1), alone in its group
        wcols.append(sign * rem if pos == 0 else np.zeros_like(b_q))
        acts.append(1 if pos == 0 else 0)
    w_ext = np.hstack([w_q, np.stack(wcols, axis=1)])
    a = np.repeat(np.asarray(acts, dtype=np.int64)[:, None], cols_q.shape[1], axis=1)
    return w_ext, np.vstack([cols_q, a])


# -- the GEMM core -------------------------------------------------------------------------------
def _params(block: str, config: str | None, params: BlockParams | None,
            nm: tuple[int, int] | None) -> BlockParams:
    if params is not None:
        p = params
    else:
        p = get_config(block, config or "typical")
        if nm is not None and isinstance(p, NmGemmParams) and (p.n, p.m) != tuple(nm):
            p = p.replace(n=int(nm[0]), m=int(nm[1]))
    if nm is not None and not isinstance(p, NmGemmParams):
        fail("layer", f"nm={nm} needs the nm_gemm block", p.BLOCK, "pass block='nm_gemm'")
    if nm is None and isinstance(p, NmGemmParams):
        nm = (p.n, p.m)
    return p


def _gemm_layer(name: str, w2d: np.ndarray, cols_q: np.ndarray, s_x: float, bias, *,
                p: BlockParams, per_channel: bool, relu: bool, prelu, out_scale,
                backend: str, sim_seed: int | None, n_cols_real: int, clipped_in: int,
                macs: int, rtl_options: dict | None = None) -> dict:
    """Quantise ``w2d`` (out, K float), fold the bias, tile, run; returns the pieces."""
    is_nm = isinstance(p, NmGemmParams)
    dense: GemmParams = p.dense if is_nm else p
    out_ch, k = w2d.shape
    if dense.data_width != INT8:
        fail("layer", "the layer API quantises to INT8: the block's data_width must be 8",
             dense.data_width, "use a config with data_width=8")
    block_relu = bool(relu) and prelu is None
    # 2. weights (pruned first for N:M: pruning before quantising cannot add non-zeros)
    w_f = prune_nm(w2d, p.n, p.m) if is_nm else w2d
    s_w = calibrate(w_f, INT8, axis=0 if per_channel else None)
    w_q, clip_w = quantise_symmetric(w_f, s_w, INT8, axis=0 if per_channel else None,
                                     what="weights")
    s_acc = (s_x * s_w) * np.ones(out_ch)  # per row
    # 3. bias
    b = (np.zeros(out_ch) if bias is None
         else float_array(bias, f"{name}: bias", shape=(out_ch,), names="(out_features,)"))
    b_q = np.floor(b / s_acc + 0.5).astype(np.int64)
    w_ext, cols_ext = fold_bias(w_q, cols_q, b_q, INT8, (p.n, p.m) if is_nm else None)
    k_ext = w_ext.shape[1]
    if k_ext > p.max_k:
        fail(name, f"the reduction K = {k_ext} ({k} + {k_ext - k} bias columns) exceeds the "
             f"config's max_k = {p.max_k}", k_ext, "use a config with a larger max_k "
             "(a K split would need the partial sums added before requantisation)")
    acc = w_ext @ cols_ext  # int64, exactly what the array accumulates
    real = acc * s_acc[:, None]
    pre = np.maximum(real, 0) if block_relu else real
    # 4. output scale and requantisation
    if per_channel and dense.requant:
        fail(name, "per-channel weight scales need one requantiser per output channel, and "
             f"{p.BLOCK}'s requantiser has one (scale, shift) per tile", p.tag,
             "use a requant=False config (its accumulators are requantised per channel on "
             "the host) or per_channel=False")
    s_y = float(calibrate(pre, INT8)) if out_scale is None else float(out_scale)
    if not np.isfinite(s_y) or s_y <= 0:
        fail(name, "out_scale must be finite and > 0", s_y, "leave it None to calibrate")
    max_shift = dense.acc_width + dense.scale_width
    rqs = [requant_params(float(m), dense.scale_width, max_shift) for m in s_acc / s_y]
    if not per_channel:
        rqs = [rqs[0]] * out_ch
    acc_max = float(np.abs(acc).max(initial=0))
    # 5. tiles
    if dense.requant:
        scale, shift = rqs[0].scale, rqs[0].shift
    else:
        scale, shift = 1, 0
    tiles, where = [], []
    for r0, c0, a, bt in gemm_tiles(w_ext, cols_ext, p.rows, p.cols):
        if is_nm:
            tiles.append(NmGemmTile(compress(a, p.n, p.m), bt, scale, shift, block_relu))
        else:
            tiles.append(GemmTile(a, bt, scale, shift, block_relu))
        where.append((r0, c0))
    ref = nm_gemm_ref if is_nm else gemm_ref
    model_tiles = [ref(p, t) for t in tiles]
    rtl = None
    if backend != "model":
        rtl = run_block(p, tiles, backend, seed=sim_seed, **(rtl_options or {}))
        got_tiles = [(o["y"] if isinstance(o, dict) else o) for o in rtl.outputs["m_axis"]]
        if len(got_tiles) != len(tiles):
            raise RtlMismatch(f"{name}: the RTL returned {len(got_tiles)} tiles, "
                              f"{len(tiles)} were sent")
    else:
        got_tiles = model_tiles
    rows_pad = -(-out_ch // p.rows) * p.rows
    cols_pad = -(-cols_ext.shape[1] // p.cols) * p.cols

    def assemble(ts):
        y = np.zeros((rows_pad, cols_pad), dtype=np.int64)
        for (r0, c0), t in zip(where, ts):
            y[r0:r0 + p.rows, c0:c0 + p.cols] = t
        return y[:out_ch, :n_cols_real]

    y_block = assemble(got_tiles)
    y_model = assemble(model_tiles)
    same = bool(np.array_equal(y_block, y_model)) if rtl is not None else None
    if same is False:
        bad = tuple(int(v) for v in np.argwhere(y_block != y_model)[0])
        raise RtlMismatch(f"{name}: RTL output {bad} (out, column) is {y_block[bad]}, the "
                          f"model says {y_model[bad]} ({int((y_block != y_model).sum())} of "
                          f"{y_block.size} differ)")
    # host requantisation (per channel, or a block without a requantiser)
    y_int = y_block if dense.requant else requantise_rows(y_block, rqs, INT8)
    y_f = y_int * s_y
    sat = int(np.count_nonzero(np.abs(pre[:, :n_cols_real] / s_y) > qmax(INT8) + 0.5))
    ks = [k_ext] * len(tiles)
    cyc = expected_cycles_nm(p, ks) if is_nm else expected_cycles(p, ks)
    worst = max(rqs, key=lambda q: q.rel_error)
    return dict(y_int=y_int, y_f=y_f, s_w=s_w, s_y=s_y, rq=rqs[0], worst=worst,
                bound=worst.bound(acc_max), clip_w=clip_w, sat=sat, cycles=cyc,
                tiles=len(tiles), k_ext=k_ext, rtl=rtl, same=same, w_f=w_f,
                util=macs / (p.rows * p.cols * cyc) if cyc else 0.0, pre_max=float(
                    np.abs(pre).max(initial=0)), clipped_in=clipped_in, block_relu=block_relu)


def _act_scale(x: np.ndarray, act_scale) -> float:
    s = float(calibrate(x, INT8)) if act_scale is None else float(act_scale)
    if not np.isfinite(s) or s <= 0:
        fail("act_scale", "must be finite and > 0", s, "leave it None to calibrate")
    return s


def _prelu(y: np.ndarray, prelu, channel_axis: int) -> np.ndarray:
    a = np.asarray(prelu, dtype=np.float64)
    if a.ndim:
        shape = [1] * y.ndim
        shape[channel_axis] = -1
        a = a.reshape(shape)
    return np.where(y > 0, y, a * y)


def _report(name, p, backend, shapes, r, s_x, ref_float, y_f, extra_refs, warn_list,
            per_channel):
    rq = r["rq"]
    requant = {"scale": rq.scale, "shift": rq.shift, "multiplier": rq.multiplier,
               "where": ("block" if (p.dense if isinstance(p, NmGemmParams) else p).requant
                         else "host (no requantiser in this config)"),
               "worst multiplier rel. error": r["worst"].rel_error,
               "bound |y - acc*M| (LSB)": r["bound"]}
    if per_channel:
        requant["per channel"] = "scale/shift above are channel 0's"
    err = {"float layer": error_stats(y_f, ref_float)}
    err.update({k: error_stats(y_f, v) for k, v in extra_refs.items()})
    rep = LayerReport(
        layer=name, block=p.BLOCK, config=p.tag, backend=backend, shapes=shapes,
        scales={"weights": r["s_w"], "activations": s_x, "outputs": r["s_y"]},
        requant=requant, error=err,
        clipped={"weights": r["clip_w"], "activations": r["clipped_in"],
                 "outputs": r["sat"]},
        cycles_model=r["cycles"], cycles_measured=r["rtl"].cycles if r["rtl"] else None,
        utilisation=r["util"], transactions=r["tiles"], rtl_equals_model=r["same"],
        extra={"reduction K (with bias columns)": r["k_ext"]}, warnings=warn_list)
    return rep


def _warnings(name, r, n_x, n_y, s_x_data, act_scale) -> list[str]:
    ws = []
    m = warn_clipped(f"{name} activations", r["clipped_in"], n_x,
                     f"an act_scale >= {s_x_data:.6g} (max |x| / {qmax(INT8)}, or act_scale=None) "
                     "would not clip") if act_scale is not None else None
    if m:
        ws.append(m)
    m = warn_clipped(f"{name} outputs", r["sat"], n_y,
                     f"an out_scale >= {r['pre_max'] / qmax(INT8):.6g} (max |y| / {qmax(INT8)}, or "
                     "out_scale=None) would not clip")
    if m:
        ws.append(m)
    return ws


# -- public layers -----------------------------------------------------------------------------
def linear(weight, x, bias=None, *, block: str = "gemm", config: str | None = None,
           params: BlockParams | None = None, nm: tuple[int, int] | None = None,
           per_channel: bool = False, relu: bool = False, prelu=None, act_scale=None,
           out_scale=None, backend: str = "model", seed: int | None = None,
           rtl_options: dict | None = None) -> LayerResult:
    """``y = x @ weight.T + bias`` (PyTorch ``nn.Linear``): ``weight`` (out, in), ``x``
    (batch, in) or (in,), ``bias`` (out,); optional ReLU (in the block) or PReLU (``prelu``:
    a slope, or one per output feature; on the host). ``nm=(n, m)`` (or ``block="nm_gemm"``)
    prunes the weights N:M and runs the nm_gemm block. ``rtl_options``: more arguments of
    :func:`zeroskip.rtl.run_block` (``mode="cycle"``, a mutant ``source``). Returns ``y``
    (batch, out) float."""
    backend = check_backend(backend)
    if nm is not None:
        block = "nm_gemm"
    p = _params(block, config, params, nm)
    w = float_array(weight, "linear: weight", ndim=2, names="(out_features, in_features)")
    xa = float_array(x, "linear: x", names="(batch, in_features)")
    one = xa.ndim == 1
    xa = xa[None] if one else xa
    if xa.ndim != 2 or xa.shape[1] != w.shape[1]:
        fail("linear: x", f"must have shape (batch, {w.shape[1]}) (batch, in_features)",
             f"shape {np.shape(x)}", "transpose or reshape it")
    k = w.shape[1]
    is_nm = isinstance(p, NmGemmParams)
    k_pad = -(-k // p.m) * p.m if is_nm else k
    s_x_data = float(calibrate(xa, INT8))
    s_x = _act_scale(xa, act_scale)
    x_q, clip_x = quantise_symmetric(xa, s_x, INT8, what="activations")
    w_pad = np.pad(w, ((0, 0), (0, k_pad - k)))
    cols = np.pad(x_q.T, ((0, k_pad - k), (0, 0)))
    n_out = w.shape[0]
    macs = n_out * xa.shape[0] * (k_pad * p.n // p.m if is_nm else k)
    r = _gemm_layer("linear", w_pad, cols, s_x, bias, p=p, per_channel=per_channel, relu=relu,
                    prelu=prelu, out_scale=out_scale, backend=backend, sim_seed=seed,
                    n_cols_real=xa.shape[0], clipped_in=clip_x, macs=macs,
                    rtl_options=rtl_options)
    y_f = r["y_f"].T
    if prelu is not None:
        y_f = _prelu(y_f, prelu, 1)
    b = np.zeros(n_out) if bias is None else np.asarray(bias, np.float64)

    def act(z):
        if prelu is not None:
            return _prelu(z, prelu, 1)
        return np.maximum(z, 0) if relu else z

    ref = act(xa @ w.T + b)
    extra = {}
    if is_nm:
        extra["float layer pruned N:M"] = act(xa @ r["w_f"][:, :k].T + b)
    ws = _warnings("linear", r, xa.size, r["y_int"].size, s_x_data, act_scale)
    rep = _report("linear" + (f" {p.n}:{p.m}" if is_nm else ""), p, backend,
                  {"weight": w.shape, "x": xa.shape, "y": y_f.shape}, r, s_x, ref, y_f,
                  extra, ws, per_channel)
    y_int = r["y_int"].T
    return LayerResult(y_f[0] if one else y_f, y_int[0] if one else y_int, r["s_y"], rep)


def _pool(y: np.ndarray, pool: str, k: int) -> np.ndarray:
    c, h, w = y.shape
    ho, wo = h // k, w // k
    v = y[:, :ho * k, :wo * k].reshape(c, ho, k, wo, k)
    return v.max(axis=(2, 4)) if pool == "max" else v.mean(axis=(2, 4))


def conv2d(weight, x, bias=None, *, stride: int = 1, padding: int = 0, block: str = "gemm",
           config: str | None = None, params: BlockParams | None = None,
           nm: tuple[int, int] | None = None, per_channel: bool = False, relu: bool = False,
           prelu=None, pool: str | None = None, pool_size: int = 2, act_scale=None,
           out_scale=None, backend: str = "model", seed: int | None = None,
           rtl_options: dict | None = None) -> LayerResult:
    """PyTorch ``nn.Conv2d`` (groups 1, dilation 1): ``weight`` (C_out, C_in, kh, kw), ``x``
    (C_in, H, W) or (1, C_in, H, W), ``bias`` (C_out,), as im2col + GEMM on the block; then
    ReLU (block) or PReLU (host) and optional ``pool`` ("max" or "avg", ``pool_size`` square,
    stride = size, on the host). Returns ``y`` (C_out, H_out, W_out) float."""
    backend = check_backend(backend)
    if nm is not None:
        block = "nm_gemm"
    p = _params(block, config, params, nm)
    w = float_array(weight, "conv2d: weight", ndim=4, names="(C_out, C_in, kh, kw)")
    xa = float_array(x, "conv2d: x", names="(C_in, H, W)")
    if xa.ndim == 4 and xa.shape[0] == 1:
        xa = xa[0]
    if xa.ndim != 3 or xa.shape[0] != w.shape[1]:
        fail("conv2d: x", f"must have shape ({w.shape[1]}, H, W) (C_in, H, W)",
             f"shape {np.shape(x)}", "pass one image in NCHW/CHW layout "
             "(zeroskip.layout.to_torch converts NHWC)")
    stride = int_scalar(stride, "conv2d: stride", 1)
    padding = int_scalar(padding, "conv2d: padding", 0)
    if pool is not None:
        choice(pool, "conv2d: pool", POOLS)
        int_scalar(pool_size, "conv2d: pool_size", 1)
    c_out, c_in, kh, kw = w.shape
    ho = conv_out_size(xa.shape[1], kh, stride, padding)
    wo = conv_out_size(xa.shape[2], kw, stride, padding)
    s_x_data = float(calibrate(xa, INT8))
    s_x = _act_scale(xa, act_scale)
    x_q, clip_x = quantise_symmetric(xa, s_x, INT8, what="activations")
    cols = im2col(x_q, kh, kw, stride, padding)  # zero padding is exact: 0 quantises to 0
    w2d = w.reshape(c_out, -1)
    k = w2d.shape[1]
    is_nm = isinstance(p, NmGemmParams)
    k_pad = -(-k // p.m) * p.m if is_nm else k
    w2d = np.pad(w2d, ((0, 0), (0, k_pad - k)))
    cols = np.pad(cols, ((0, k_pad - k), (0, 0)))
    macs = c_out * ho * wo * (k_pad * p.n // p.m if is_nm else k)
    r = _gemm_layer("conv2d", w2d, cols, s_x, bias, p=p, per_channel=per_channel, relu=relu,
                    prelu=prelu, out_scale=out_scale, backend=backend, sim_seed=seed,
                    n_cols_real=ho * wo, clipped_in=clip_x, macs=macs,
                    rtl_options=rtl_options)
    b = np.zeros(c_out) if bias is None else np.asarray(bias, np.float64)

    def post(y2d):
        y = y2d.reshape(c_out, ho, wo)
        if prelu is not None:
            y = _prelu(y, prelu, 0)
        elif relu:
            y = np.maximum(y, 0)
        return _pool(y, pool, pool_size) if pool else y

    y_f = post(r["y_f"])
    xcols = im2col_float(xa, kh, kw, stride, padding)
    ref = post(w.reshape(c_out, -1) @ xcols + b[:, None])
    extra = {}
    if is_nm:
        extra["float layer pruned N:M"] = post(r["w_f"][:, :k] @ xcols + b[:, None])
    ws = _warnings("conv2d", r, xa.size, r["y_int"].size, s_x_data, act_scale)
    rep = _report("conv2d" + (f" {p.n}:{p.m}" if is_nm else ""), p, backend,
                  {"weight": w.shape, "x": xa.shape, "y": y_f.shape,
                   "stride": stride, "padding": padding, "pool": pool or "none"},
                  r, s_x, ref, y_f, extra, ws, per_channel)
    return LayerResult(y_f, r["y_int"].reshape(c_out, ho, wo), r["s_y"], rep)


def im2col_float(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """models.conv.im2col's layout on float data (the float reference)."""
    c, h, w = x.shape
    ho, wo = conv_out_size(h, kh, stride, pad), conv_out_size(w, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((c, kh, kw, ho, wo))
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
    return cols.reshape(c * kh * kw, ho * wo)


__all__ = ["conv2d", "fold_bias", "im2col_float", "linear"]
