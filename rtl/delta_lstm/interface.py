"""The block's interface: ``PARAMS``, the top-level port list :func:`ports` (sized from the
params; the convert entry point uses it) and the index-width helpers the sub-blocks share."""

from myhdl import ResetSignal, Signal

from models.delta_lstm import DeltaLstmParams, h_width, w_stream_bits, x_width
from rtl.common.prims import unsigned_sig

PARAMS = DeltaLstmParams


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _ubits(n: int) -> int:
    """Bits of an unsigned index into ``n`` entries (at least 1)."""
    return max(1, (n - 1).bit_length())


def ports(p: DeltaLstmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    a = p.act_width
    return dict(
        clk=Signal(bool(0)),
        rst=ResetSignal(0, active=1, isasync=False),
        cfg_theta_x=unsigned_sig(a),
        cfg_theta_h=unsigned_sig(a),
        s_axis_w_tdata=unsigned_sig(w_stream_bits(p)),
        s_axis_w_tvalid=Signal(bool(0)),
        s_axis_w_tready=Signal(bool(0)),
        s_axis_w_tlast=Signal(bool(0)),
        s_axis_x_tdata=unsigned_sig(x_width(p)),
        s_axis_x_tvalid=Signal(bool(0)),
        s_axis_x_tready=Signal(bool(0)),
        m_axis_h_tdata=unsigned_sig(h_width(p)),
        m_axis_h_tvalid=Signal(bool(0)),
        m_axis_h_tready=Signal(bool(0)),
        m_axis_h_tlast=Signal(bool(0)),
    )


def _index(sig, depth):
    """``sig`` narrowed to the index width of a ``depth``-entry memory (shadow slice)."""
    b = _ubits(depth)
    return sig if len(sig) == b else sig(b, 0)
