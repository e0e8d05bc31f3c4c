"""The layer API (zeroskip/) on the model backend: quantiser, requantisation bound, bias
folding, linear / N:M linear / conv2d / DeltaLSTM against independent computations and float
references, clipping warnings, layouts, loaders, the command line, and its bad input."""

import json
import struct

import numpy as np
import pytest

from models.configs import get_config
from models.conv import im2col
from models.delta_lstm import delta_lstm_seq, quantise_act, quantise_lstm
from models.fixed import round_shift, saturate
from models.nm_gemm import compress, prune_nm
from models.params import ParamError
from zeroskip import ClipWarning, conv2d, delta_lstm, linear
from zeroskip.layers import fold_bias, im2col_float
from zeroskip.layout import keras_lstm, to_torch
from zeroskip.loaders import load, load_safetensors, lstm_weights, save_safetensors
from zeroskip.quant import calibrate, quantise_symmetric, requant_params

#: relative RMS error budget of an INT8 per-tensor layer against its float self on Gaussian
#: data (8-bit weights, activations and outputs each add ~0.3-0.5 % RMS): 3 %
REL_RMS_BUDGET = 0.03


def _layer(rng, out=10, k=20, batch=5):
    return (rng.normal(0, 0.1, (out, k)), rng.normal(0, 1, (batch, k)), rng.normal(0, 0.5, out))


# -- quantiser and requantisation --------------------------------------------------------------
def test_calibrate_and_quantise_symmetric():
    x = np.array([[0.5, -1.0], [0.25, 0.0]])
    assert float(calibrate(x)) == pytest.approx(1.0 / 127)
    assert np.allclose(calibrate(x, axis=0), [1.0 / 127, 0.25 / 127])
    q, n = quantise_symmetric(x, 1.0 / 127)
    assert q.tolist() == [[64, -127], [32, 0]] and n == 0   # 63.5 rounds half up to 64
    q, n = quantise_symmetric(x, 0.5 / 127)
    assert q.min() == -127 and n == 1
    assert float(calibrate(np.zeros(3))) == 1.0              # all-zero: scale 1, not 0


@pytest.mark.parametrize("m", [1e-5, 0.00146, 0.37, 0.999, 3.5, 200.0])
def test_requant_bound_holds(m, seed):
    rq = requant_params(m, 16, 48)
    assert 0 < rq.scale < 1 << 16
    assert abs(rq.effective - m) <= 2.0 ** -(rq.shift + 1) + 1e-18
    acc = np.random.default_rng(seed).integers(-(1 << 20), 1 << 20, 2000)
    y = round_shift(acc * rq.scale, rq.shift)
    err = np.abs(y - acc * m)
    assert err.max() <= rq.bound(float(np.abs(acc).max())) + 1e-9


def test_requant_refuses_what_it_cannot_hold():
    with pytest.raises(ParamError, match=r"needs a scale above 2\*\*4 - 1 even with shift 0"):
        requant_params(100.0, 4, 10)
    with pytest.raises(ParamError, match="must be finite and > 0"):
        requant_params(0.0, 16, 48)


@pytest.mark.parametrize("nm", [None, (2, 4), (1, 8)])
def test_fold_bias_is_exact_and_in_range(nm, seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, (6, 16))
    if nm:
        w = prune_nm(w, *nm)
    x = rng.integers(-127, 128, (16, 3))
    b = rng.integers(-(1 << 22), 1 << 22, 6)
    b[0] = 0
    w2, x2 = fold_bias(w, x, b, 8, nm)
    assert np.array_equal(w2 @ x2, w @ x + b[:, None])
    assert np.abs(w2).max() <= 127 and np.abs(x2).max() <= 127
    if nm:
        compress(w2, *nm)  # the extra columns keep N:M: compress refuses a violation


# -- linear / N:M / conv2d -----------------------------------------------------------------
def test_linear_equals_an_independent_int8_layer(seed):
    rng = np.random.default_rng(seed)
    w, x, b = _layer(rng)
    r = linear(w, x, b, relu=True)
    # independently: max calibration, half-up rounding, acc in int64, the block's requantiser
    s_w, s_x = np.abs(w).max() / 127, np.abs(x).max() / 127
    wq, xq = np.floor(w / s_w + 0.5), np.floor(x / s_x + 0.5)
    bq = np.floor(b / (s_w * s_x) + 0.5)
    acc = (xq @ wq.T + bq).astype(np.int64)
    s_y = np.maximum(acc * s_w * s_x, 0).max() / 127
    scale, shift = r.report.requant["scale"], r.report.requant["shift"]
    assert abs(scale / 2 ** shift - s_w * s_x / s_y) <= 2.0 ** -(shift + 1)
    want = np.maximum(saturate(round_shift(acc * scale, shift), 8), 0)
    assert np.array_equal(r.y_int, want)
    assert np.allclose(r.y, want * s_y)
    assert r.report.error["float layer"]["rel_rms"] < REL_RMS_BUDGET
    assert r.report.cycles_model > 0 and 0 < r.report.utilisation <= 1


def test_nm_linear_equals_dense_gemm_on_the_pruned_weights(seed):
    rng = np.random.default_rng(seed)
    w, x, b = _layer(rng, k=22)   # K not a multiple of 4: padded to whole groups
    sparse = linear(w, x, b, nm=(2, 4))
    wp = prune_nm(np.pad(w, ((0, 0), (0, 2))), 2, 4)[:, :22]
    dense = linear(wp, x, b)
    assert sparse.report.block == "nm_gemm" and dense.report.block == "gemm"
    assert np.array_equal(sparse.y_int, dense.y_int)
    assert sparse.report.cycles_model < dense.report.cycles_model
    assert sparse.report.error["float layer pruned N:M"]["rel_rms"] < REL_RMS_BUDGET


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2)])
def test_conv2d_is_linear_on_im2col(stride, padding, seed):
    rng = np.random.default_rng(seed)
    w, x, b = rng.normal(0, 0.2, (5, 3, 3, 3)), rng.normal(0, 1, (3, 8, 7)), rng.normal(0, .1, 5)
    r = conv2d(w, x, b, stride=stride, padding=padding, relu=True)
    cols = im2col_float(x, 3, 3, stride, padding)
    lin = linear(w.reshape(5, -1), cols.T, b, relu=True)
    assert np.array_equal(r.y_int.reshape(5, -1), lin.y_int.T)
    assert r.report.error["float layer"]["rel_rms"] < REL_RMS_BUDGET
    # the integer im2col of the quantised input is the quantised float im2col
    assert np.array_equal(im2col(np.floor(x / (np.abs(x).max() / 127) + .5).astype(int), 3, 3,
                                 stride, padding).shape, cols.shape)


def test_conv2d_pooling_and_prelu(seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(0, 0.2, (4, 2, 3, 3)), rng.normal(0, 1, (2, 9, 9))
    plain = conv2d(w, x, padding=1)
    pooled = conv2d(w, x, padding=1, pool="max", pool_size=3)
    assert pooled.y.shape == (4, 3, 3)
    assert np.allclose(pooled.y, plain.y.reshape(4, 3, 3, 3, 3).max(axis=(2, 4)))
    avg = conv2d(w, x, padding=1, pool="avg", pool_size=3)
    assert np.allclose(avg.y, plain.y.reshape(4, 3, 3, 3, 3).mean(axis=(2, 4)))
    pr = conv2d(w, x, padding=1, prelu=0.25)
    assert np.allclose(pr.y, np.where(plain.y > 0, plain.y, 0.25 * plain.y))


def test_per_channel_needs_a_host_requantiser_and_helps(seed):
    rng = np.random.default_rng(seed)
    w, x, b = _layer(rng, out=8)
    w[:4] *= 20  # uneven channels: per-tensor scales waste bits on the small ones
    with pytest.raises(ParamError, match=r"per-channel weight scales need one requantiser per "
                                         r"output channel.*use a requant=False config"):
        linear(w, x, b, per_channel=True)
    pc = linear(w, x, b, per_channel=True, config="max")
    pt = linear(w, x, b, config="max")
    small = slice(4, 8)
    err = [np.abs(r.y[:, small] - (x @ w[small].T + b[small])).max() for r in (pc, pt)]
    assert err[0] < err[1]
    assert "host" in pc.report.requant["where"]


def test_clipping_is_never_silent(seed):
    rng = np.random.default_rng(seed)
    w, x, b = _layer(rng)
    y = x @ w.T + b
    with pytest.warns(ClipWarning, match=r"linear outputs: (\d+) of 50 values clipped .*an "
                                         r"out_scale >= [0-9.]+ \(max \|y\| / 127") as rec:
        linear(w, x, b, out_scale=np.abs(y).max() / 127 / 2)
    n = int(str(rec[0].message).split(": ")[1].split(" of ")[0])
    assert n > 0
    with pytest.warns(ClipWarning, match=r"linear activations: \d+ of 100 values clipped .*an "
                                         r"act_scale >= [0-9.]+ .* would not clip"):
        linear(w, x, b, act_scale=np.abs(x).max() / 127 / 3)


# -- DeltaLSTM ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def textgen():
    pytest.importorskip("h5py")
    from models import textgenrnn_weights as tw

    if tw.package_dir() is None:
        pytest.skip("textgenrnn is not installed (ci/setup.sh installs it)")
    return tw, tw.load()


SENTENCE = "Sparse accelerators skip the work that does not change the answer."
#: the model tests' budgets for this layer (tests/unit/test_model_delta_lstm.py): dense with
#: theta 0 (TEXTGEN_MEAN_BUDGET), half of every (PE, column) pruned and theta 0.1 (SPARSE)
TEXTGEN_MEAN_BUDGET, TEXTGEN_SPARSE_BUDGET = 1 / 32, 1 / 8


def test_delta_lstm_real_layer_through_the_api(textgen):
    tw, net = textgen
    layer = net.rnn[0]
    xs = net.embed(SENTENCE)
    r = delta_lstm(*layer.astuple(), xs, num_pe=16, act_lanes=16)
    p = r.extra["params"]
    assert (p.w_width, p.w_frac) == (8, 4)  # |w| reaches 7.7: Q4.4 chosen from the range
    ref = tw.run_float_lstm(layer, xs)
    assert np.abs(r.y - ref).mean() <= TEXTGEN_MEAN_BUDGET
    assert np.array_equal(r.y_int, delta_lstm_seq(p, quantise_lstm(p, *layer.astuple(),
                                                                   prune=False),
                                                  quantise_act(p, xs))[0])
    assert r.report.clipped["weights"] == 0
    sparse = delta_lstm(*layer.astuple(), xs, num_pe=16, keep=16, act_lanes=16, theta=0.1)
    assert np.abs(sparse.y - ref).mean() <= TEXTGEN_SPARSE_BUDGET
    assert sparse.report.cycles_model < r.report.cycles_model
    assert sparse.report.extra["temporal sparsity"] > 0.3


def test_delta_lstm_default_format_clips_loudly(textgen):
    _, net = textgen
    with pytest.warns(ClipWarning, match=r"delta_lstm weights: \d+ of 116736 values clipped "
                                         r".*w_frac=4 \(Q4.4, or w_frac=None to choose it\) "
                                         r"would not clip"):
        r = delta_lstm(*net.rnn[0].astuple(), net.embed("abc"), num_pe=16, w_frac=7)
    assert r.report.clipped["weights"] > 0
    # the count is what quantise saturates: compare with quantising without saturation
    p = r.extra["params"]
    w = np.hstack(net.rnn[0].astuple()[:2])
    raw = np.floor(w * (1 << p.w_frac) + 0.5)
    assert r.report.clipped["weights"] == int(np.count_nonzero(raw != quantise_lstm(
        p, *net.rnn[0].astuple(), prune=False).w))


def test_real_linear_layer_through_the_api(textgen):
    """textgenrnn's trained output layer (Keras Dense 356 -> 465), from its hdf5 by name, in
    Keras layout, on real prompts: gemm and 2:4 nm_gemm."""
    tw, net = textgen
    keras = load(tw.package_dir() / tw.WEIGHTS_FILE)
    w = to_torch(keras["output/output/kernel:0"], "io")
    b = keras["output/output/bias:0"]
    x = np.stack([tw.output_features(net, t) for t in ("The quick", "Hello wor")])
    ref = x @ w.T + b
    assert np.allclose(ref, x @ net.out_kernel + net.out_bias)
    r = linear(w, x, b)
    assert r.report.error["float layer"]["rel_rms"] < REL_RMS_BUDGET
    assert (r.y.argmax(axis=1) == ref.argmax(axis=1)).all()  # same most likely next char
    s = linear(w, x, b, nm=(2, 4))
    assert s.report.error["float layer pruned N:M"]["rel_rms"] < REL_RMS_BUDGET


# -- layouts and loaders -------------------------------------------------------------------------
def test_hwio_conv_equals_torch_layout(seed):
    rng = np.random.default_rng(seed)
    w_hwio, x_hwc = rng.normal(0, .2, (3, 3, 2, 4)), rng.normal(0, 1, (6, 6, 2))
    a = conv2d(to_torch(w_hwio, "hwio"), to_torch(x_hwc, "hwc"))
    b = conv2d(np.transpose(w_hwio, (3, 2, 0, 1)), np.transpose(x_hwc, (2, 0, 1)))
    assert np.array_equal(a.y_int, b.y_int)
    with pytest.raises(ParamError, match=r"layout: unknown value 'nhwc'; choose one of oi, io"):
        to_torch(w_hwio, "nhwc")


def test_keras_lstm_converter_matches_textgenrnn(textgen):
    tw, net = textgen
    k = load(tw.package_dir() / tw.WEIGHTS_FILE)
    got = keras_lstm(*(k[f"rnn_1/rnn_1/{n}:0"] for n in ("kernel", "recurrent_kernel", "bias")))
    for g, want in zip(got, net.rnn[0].astuple()):
        assert np.array_equal(g, want)


def test_safetensors_reader_follows_the_format(tmp_path):
    """A file written by hand from the format's description (not by our writer)."""
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    bb = np.array([-1, 7], dtype="<i8")
    head = {"fc.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "fc.bias": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
            "__metadata__": {"format": "pt"}}
    h = json.dumps(head).encode()
    f = tmp_path / "m.safetensors"
    f.write_bytes(struct.pack("<Q", len(h)) + h + a.tobytes() + bb.tobytes())
    got = load(f)
    assert set(got) == {"fc.weight", "fc.bias"}
    assert np.array_equal(got["fc.weight"], a) and np.array_equal(got["fc.bias"], bb)
    save_safetensors(tmp_path / "r.safetensors", got)
    again = load_safetensors(tmp_path / "r.safetensors")
    assert all(np.array_equal(again[k], got[k]) and again[k].dtype == got[k].dtype for k in got)


def test_state_dict_names(tmp_path):
    sd = {"lstm.weight_ih_l0": np.ones((8, 2)), "lstm.weight_hh_l0": np.ones((8, 2)),
          "lstm.bias_ih_l0": np.zeros(8), "lstm.bias_hh_l0": np.zeros(8)}
    np.savez(tmp_path / "sd.npz", **sd)
    assert len(lstm_weights(load(tmp_path / "sd.npz"), "lstm.")) == 4
    with pytest.raises(ParamError, match=r"state dict: has no 'weight_ih_l0'; it has "
                                         r"lstm.bias_hh_l0"):
        lstm_weights(sd)
    with pytest.raises(ParamError, match=r"unknown file type '.pt'; use one of .npz"):
        (tmp_path / "m.pt").write_bytes(b"")
        load(tmp_path / "m.pt")


# -- the command line --------------------------------------------------------------------------
def test_cli_run_and_blocks(tmp_path, capsys, seed):
    from zeroskip.__main__ import main

    rng = np.random.default_rng(seed)
    w, x, b = _layer(rng)
    save_safetensors(tmp_path / "lin.safetensors", {"weight": w, "bias": b, "x": x})
    assert main(["run", "--block", "gemm", "--in", str(tmp_path / "lin.safetensors"),
                 "--out", str(tmp_path / "o.npz"), "--relu"]) == 0
    out = capsys.readouterr().out
    assert "linear on gemm [r4c4w8a32q1], backend model" in out and "cycles:" in out
    with np.load(tmp_path / "o.npz") as o:
        assert np.array_equal(o["y_int"], linear(w, x, b, relu=True).y_int)
    np.savez(tmp_path / "conv.npz", weight=rng.normal(0, .2, (3, 2, 3, 3)),
             x=rng.normal(0, 1, (2, 6, 6)), stride=2, padding=1)
    assert main(["run", "--block", "nm_gemm", "--nm", "2:4", "--in",
                 str(tmp_path / "conv.npz")]) == 0
    assert "conv2d 2:4 on nm_gemm" in capsys.readouterr().out
    p = get_config("delta_lstm", "typical")
    np.savez(tmp_path / "lstm.npz", weight_ih_l0=rng.uniform(-1, 1, (p.rows, p.input_size)),
             weight_hh_l0=rng.uniform(-1, 1, (p.rows, p.hidden_size)),
             bias_ih_l0=np.zeros(p.rows), bias_hh_l0=rng.uniform(-.5, .5, p.rows),
             x=rng.uniform(-1, 1, (6, p.input_size)))
    assert main(["run", "--block", "delta_lstm", "--theta", "0.1", "--in",
                 str(tmp_path / "lstm.npz"), "--out", str(tmp_path / "h.npz")]) == 0
    assert "delta_lstm on delta_lstm [i8h8n4k8" in capsys.readouterr().out
    with np.load(tmp_path / "h.npz") as o:
        assert o["y"].shape == (6, p.hidden_size)
    assert main(["blocks"]) == 0
    out = capsys.readouterr().out
    assert "typical   r4c4w8a32q1: rows=4" in out and "delta_lstm  (layer API: yes" in out
    assert main(["run", "--block", "softmax", "--in", str(tmp_path / "conv.npz")]) == 2
    assert "--block: unknown value 'softmax'; choose one of gemm" in capsys.readouterr().err


# -- bad input into the API ------------------------------------------------------------------
API_CASES = {
    "NaN weight": (lambda w, x, b: linear(np.where(w > 0.1, np.nan, w), x, b),
                   r"linear: weight: values must be finite \(got \d+ NaN or inf of 200\)"),
    "x width": (lambda w, x, b: linear(w, x[:, :19], b),
                r"linear: x: must have shape \(batch, 20\) \(batch, in_features\)"),
    "bias length": (lambda w, x, b: linear(w, x, b[:9]),
                    r"linear: bias: must have shape \(10,\) \(out_features,\): dimension 0"),
    "backend": (lambda w, x, b: linear(w, x, b, backend="questa"),
                r"backend: unknown value 'questa'; choose one of model, icarus, verilator"),
    "nm on gemm params": (lambda w, x, b: linear(w, x, b, nm=(2, 4), params=get_config("gemm")),
                          r"layer: nm=\(2, 4\) needs the nm_gemm block"),
    "conv NHWC input": (lambda w, x, b: conv2d(np.ones((2, 3, 3, 3)), np.ones((8, 8, 3))),
                        r"conv2d: x: must have shape \(3, H, W\) .*zeroskip.layout.to_torch"),
    "pool": (lambda w, x, b: conv2d(np.ones((2, 1, 3, 3)), np.ones((1, 8, 8)), pool="min"),
             r"conv2d: pool: unknown value 'min'; choose one of max, avg"),
    "K beyond max_k": (lambda w, x, b: linear(np.ones((2, 5000)), np.ones((1, 5000))),
                       r"linear: the reduction K = 5000 .* exceeds the config's max_k = 4096"),
    "lstm xs width": (lambda w, x, b: delta_lstm(np.ones((8, 3)), np.ones((8, 2)), np.zeros(8),
                                                 np.zeros(8), np.ones((4, 2))),
                      r"delta_lstm: xs: must have shape \(\*, 3\) \(T, I\)"),
    "lstm num_pe": (lambda w, x, b: delta_lstm(np.ones((8, 3)), np.ones((8, 2)), np.zeros(8),
                                               np.zeros(8), np.ones((4, 3)), num_pe=3),
                    r"delta_lstm: num_pe must divide 4H = 8 \(got 3\)"),
}


@pytest.mark.parametrize("case", API_CASES)
def test_api_bad_input_gets_one_sentence(case, seed):
    call, rule = API_CASES[case]
    with pytest.raises(ParamError, match=rule) as e:
        call(*_layer(np.random.default_rng(seed)))
    assert "\n" not in str(e.value)
