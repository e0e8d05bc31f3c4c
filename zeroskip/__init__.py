"""zeroskip's layer API: bring your own network.

Float weights and data in PyTorch layout in, float outputs and a report out, on the bit-exact
model or on the RTL (``backend="icarus" | "verilator"``)::

    from zeroskip import linear, conv2d, delta_lstm
    r = linear(weight, x, bias, relu=True, backend="verilator")
    print(r.report)            # error vs float, clipped counts, cycles, utilisation
    r.y                        # float outputs, (batch, out_features)

A top-level package rather than ``models/api``: it sits *over* the pure models (models/) and
the simulation runner (tests/sim/runner.py, for the RTL backends), and the models must stay
free of simulator imports. Modules: :mod:`~zeroskip.quant` (calibration, symmetric INT8,
requantisation), :mod:`~zeroskip.layers` (linear, N:M linear, conv2d),
:mod:`~zeroskip.lstm` (the DeltaLSTM layer), :mod:`~zeroskip.layout` (Keras/HWIO -> PyTorch),
:mod:`~zeroskip.loaders` (npz, safetensors, Keras hdf5), :mod:`~zeroskip.rtl` (the RTL
backends), ``python -m zeroskip`` (the command line: ``make run`` / ``make blocks``).
"""

from zeroskip.layers import conv2d, linear
from zeroskip.lstm import delta_lstm
from zeroskip.quant import ClipWarning
from zeroskip.report import LayerReport, LayerResult
from zeroskip.rtl import BACKENDS, RtlMismatch

__all__ = ["BACKENDS", "ClipWarning", "LayerReport", "LayerResult", "RtlMismatch", "conv2d",
           "delta_lstm", "linear"]
