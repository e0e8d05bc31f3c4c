"""The real-weights fixture of ``eie`` (models/eie/digits.py, data/eie_digits/): it loads only
when its sha256 is the committed one, the weights are pruned to the stated densities, the
batched integer forward pass is eie_ref's, and each layer's integers are inside budget 2 of
the float64 layer (models/eie/model.py) on every test image."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from models.eie import CONFIGS, e2e_budget, e2e_float, eie_ref
from models.eie.digits import (
    A_FRAC,
    DENSITIES,
    DIGITS_FILE,
    W_FRAC,
    DigitsError,
    accuracy,
    digits_fits,
    digits_layers,
    float_forward,
    input_ints,
    inputs_float,
    int_forward,
    layer_inputs,
    load_digits_fixture,
    saturated,
    share,
    shared_weights,
)

P = CONFIGS["typical"]
#: a classifier worth running through the RTL: load_digits MLPs reach 0.97-0.99
MIN_ACCURACY = 0.95
N_REF_IMAGES = 5  # images checked through eie_ref (Python loops; the batched path does all)


@pytest.fixture(scope="module")
def d():
    return load_digits_fixture()


def test_refuses_a_changed_file(tmp_path):
    bad = tmp_path / "digits.npz"
    shutil.copy(DIGITS_FILE, bad)
    blob = bytearray(bad.read_bytes())
    blob[len(blob) // 2] ^= 1
    bad.write_bytes(bytes(blob))
    with pytest.raises(DigitsError, match="not the committed fixture"):
        load_digits_fixture(bad)
    with pytest.raises(DigitsError, match="missing"):
        load_digits_fixture(tmp_path / "nothing.npz")


def test_fixture_shapes_and_densities(d):
    assert d.x.shape == (1797, 64) and d.x.max() <= 16
    assert len(np.intersect1d(d.train_idx, d.test_idx)) == 0
    assert len(d.train_idx) + len(d.test_idx) == len(d.y)
    for w, dens in zip(d.weights, DENSITIES):
        assert np.count_nonzero(w) == round(dens * w.size)


def test_fits(d):
    assert digits_fits(P, d) == "" and digits_fits(CONFIGS["max"], d) == ""
    assert "max_cols" in digits_fits(CONFIGS["min"], d)


def test_integer_forward_is_eie_ref(d):
    loads = digits_layers(P, d)
    x = d.x[d.test_idx[:N_REF_IMAGES]]
    ins = layer_inputs(P, loads, x)
    outs = int_forward(P, loads, input_ints(P, x))
    for t, a, o in zip(loads, ins, outs):
        for i in range(len(x)):
            assert (eie_ref(P, t, a[i]) == o[i]).all()


def test_layers_inside_budget2_and_accuracy(d):
    """Each layer, fed the integer model's inputs (exact in Q(.A_FRAC)), against its float64
    pruned-and-shared layer: |b - ref| <= budget 2 on every output of every test image."""
    loads = digits_layers(P, d)
    x = d.x[d.test_idx]
    assert (input_ints(P, x) == x.astype(np.int64) << (A_FRAC - 4)).all()
    ins = layer_inputs(P, loads, x)
    outs = int_forward(P, loads, input_ints(P, x))
    for (idx, cb), t, a, o in zip(share(d.weights), loads, ins, outs):
        for i in range(len(x)):
            a_f = a[i] * 2.0 ** -A_FRAC
            ref = e2e_float(idx, cb, a_f, t.relu, P, A_FRAC)
            bud = e2e_budget(P, idx, cb, W_FRAC, a_f, A_FRAC)
            assert (np.abs(o[i] - ref) <= bud).all(), i
    sw = shared_weights(d.weights)
    assert saturated(P, sw, x) == [0, 0, 0]
    assert accuracy(float_forward(sw, inputs_float(x))[-1], d.y[d.test_idx]) >= MIN_ACCURACY
    assert accuracy(outs[-1], d.y[d.test_idx]) >= MIN_ACCURACY


def test_writer_is_byte_deterministic(tmp_path):
    """tools/eie_digits.py's writer: the same arrays give the same bytes, and np.load reads
    them back (so the sha256 pins the content, not a timestamp)."""
    from tools.eie_digits import npz_bytes

    arrays = dict(x=np.arange(12, dtype=np.uint8).reshape(3, 4), w1=np.eye(3, dtype=np.float32))
    blob = npz_bytes(arrays)
    assert blob == npz_bytes(arrays)
    path = tmp_path / "t.npz"
    path.write_bytes(blob)
    with np.load(path) as f:
        assert all(np.array_equal(f[k], v) and f[k].dtype == v.dtype for k, v in arrays.items())
