"""Framework layouts -> PyTorch's, the layout every zeroskip layer takes.

========== ================================ ===================================
layout     what has it                      becomes
========== ================================ ===================================
``oi``     PyTorch ``nn.Linear.weight``     itself (out, in)
``io``     Keras ``Dense`` kernel           (out, in): transposed
``oihw``   PyTorch ``nn.Conv2d.weight``     itself (C_out, C_in, kh, kw)
``hwio``   Keras/TF ``Conv2D`` kernel       (C_out, C_in, kh, kw)
``chw``    PyTorch image (one of NCHW)      itself (C, H, W)
``hwc``    Keras/TF image (one of NHWC)     (C, H, W)
========== ================================ ===================================

Keras ``LSTM`` weights (kernel (I, 4H), recurrent_kernel (H, 4H), bias (4H,), gates i, f, c, o)
become PyTorch's ``(w_ih, w_hh, b_ih, b_hh)`` with :func:`keras_lstm` (b_hh = 0: Keras has one
bias).
"""

from __future__ import annotations

import numpy as np

from models.validate import choice, float_array

#: layout -> (ndim, axes of the PyTorch layout in the source array)
LAYOUTS = {"oi": (2, (0, 1)), "io": (2, (1, 0)), "oihw": (4, (0, 1, 2, 3)),
           "hwio": (4, (3, 2, 0, 1)), "chw": (3, (0, 1, 2)), "hwc": (3, (2, 0, 1))}


def to_torch(a, layout: str) -> np.ndarray:
    """``a`` in ``layout`` (see the module table) as PyTorch's layout (float64)."""
    choice(layout, "layout", list(LAYOUTS))
    nd, axes = LAYOUTS[layout]
    x = float_array(a, f"to_torch({layout!r})", ndim=nd)
    return np.ascontiguousarray(np.transpose(x, axes))


def keras_lstm(kernel, recurrent_kernel, bias):
    """Keras LSTM weights -> PyTorch ``(w_ih, w_hh, b_ih, b_hh)`` (models.textgenrnn_weights'
    converter; Keras's gate order i, f, c, o is PyTorch's i, f, g, o)."""
    from models.textgenrnn_weights import keras_lstm_to_torch

    k = float_array(kernel, "keras_lstm: kernel", ndim=2, names="(I, 4H)")
    r = float_array(recurrent_kernel, "keras_lstm: recurrent_kernel", ndim=2, names="(H, 4H)")
    b = float_array(bias, "keras_lstm: bias", ndim=1, names="(4H,) or CuDNN's (8H,)")
    return keras_lstm_to_torch(k, r, b).astuple()


__all__ = ["LAYOUTS", "keras_lstm", "to_torch"]
