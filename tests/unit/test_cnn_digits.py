"""The digits CNN fixture (data/cnn_digits/cnn.npz) and the helpers of its conv benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from models.cnn_digits import C1, C2, CNN_FILE, CnnError, im2col_batch, load_cnn, split_images
from models.conv import im2col
from tools.cnn_digits import col2im_batch


def test_cnn_fixture_loads_and_is_pinned(tmp_path):
    net = load_cnn()
    assert net.conv[0].shape == (C1, 1, 3, 3) and net.conv[1].shape == (C2, C1, 3, 3)
    assert net.fc_w.shape == (10, C2 * 16) and net.fc_b.shape == (10,)
    bad = tmp_path / "cnn.npz"
    blob = bytearray(CNN_FILE.read_bytes())
    blob[-1] ^= 1
    bad.write_bytes(bytes(blob))
    with pytest.raises(CnnError, match="not the committed"):
        load_cnn(bad)
    with pytest.raises(CnnError, match="missing"):
        load_cnn(tmp_path / "none.npz")
    x, y = split_images("test")
    assert x.shape[1:] == (1, 8, 8) and len(x) == len(y)


@pytest.mark.parametrize("stride", [1, 2])
def test_im2col_batch_is_im2col_and_col2im_its_adjoint(stride):
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(3, 2, 8, 8))
    cols = im2col_batch(x.astype(np.float64), 3, stride, 1)
    for i in range(len(x)):
        assert np.array_equal(cols[i], im2col(x[i], 3, 3, stride, 1))
    g = rng.normal(size=cols.shape)
    back = col2im_batch(g, x.shape, stride, 1)
    assert np.isclose(np.sum(cols * g), np.sum(x * back))
