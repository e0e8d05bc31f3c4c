"""``spine_ref``: RTL of the verification spine's reference DUT (spec: ``spine_ref_model``).

A two-input, two-output zero-skipping router: a beat whose value is 0 is dropped, any other
beat goes to ``m_axis_even`` or ``m_axis_odd`` by the parity of its key, tagged in ``tuser``
with its source. Each output has one register (``<o>_valid``, ``<o>_data``, ``<o>_src``); when
both inputs want the same free output in the same cycle, ``prio_<o>`` (0: a wins, 1: b wins)
decides and then flips to the loser.

Ports (KW = key_width, VW = value_width, DW = KW + VW; i in {a, b}, o in {even, odd}):

=================  ====  ===  ==============================================================
name               bits  dir  meaning
=================  ====  ===  ==============================================================
clk                1     in   clock, rising edge
rst                1     in   synchronous reset, active high
s_axis_i_tdata     DW    in   value (signed) at [0, VW), key (unsigned) at [VW, DW)
s_axis_i_tvalid    1     in   beat valid
s_axis_i_tready    1     out  beat accepted when tvalid && tready (always 0 while !tvalid)
s_axis_i_tlast     1     in   last beat of the packet (accepted, not used by the logic)
m_axis_o_tdata     DW    out  the routed beat's tdata, unchanged
m_axis_o_tvalid    1     out  beat valid
m_axis_o_tready    1     in   beat accepted when tvalid && tready
m_axis_o_tuser     1     out  source of the beat: 0 = s_axis_a, 1 = s_axis_b
=================  ====  ===  ==============================================================

Latency: 1 cycle (a beat accepted on an edge is valid on its output after that edge).
Throughput: one beat per input per cycle while the two inputs target different outputs (or
drop); two beats for the same output take two cycles.
"""

from myhdl import Signal, always_comb, always_seq, block, intbv

from rtl.common.prims import axis, clk_rst
from tests.spine.spine_ref_model import SpineRefParams

PARAMS = SpineRefParams


def ports(p: SpineRefParams) -> dict:
    """Top-level signals, sized from the params."""
    return {**clk_rst(), **axis("s_axis_a", p.data_width), **axis("s_axis_b", p.data_width),
            **axis("m_axis_even", p.data_width, user_width=1, last=False),
            **axis("m_axis_odd", p.data_width, user_width=1, last=False)}


@block
def spine_ref(clk, rst, s_axis_a_tdata, s_axis_a_tvalid, s_axis_a_tready, s_axis_a_tlast,
              s_axis_b_tdata, s_axis_b_tvalid, s_axis_b_tready, s_axis_b_tlast,
              m_axis_even_tdata, m_axis_even_tvalid, m_axis_even_tready, m_axis_even_tuser,
              m_axis_odd_tdata, m_axis_odd_tvalid, m_axis_odd_tready, m_axis_odd_tuser, p):
    VW, DW = p.value_width, p.data_width

    # output registers and per-output priority
    even_valid, odd_valid, prio_even, prio_odd = (Signal(bool(0)) for _ in range(4))
    even_data, odd_data = (Signal(intbv(0)[DW:]) for _ in range(2))
    even_src, odd_src = (Signal(intbv(0)[1:]) for _ in range(2))
    # combinational
    a_drop, b_drop, even_free, odd_free = (Signal(bool(0)) for _ in range(4))
    a_req_even, a_req_odd, b_req_even, b_req_odd = (Signal(bool(0)) for _ in range(4))
    a_take_even, a_take_odd, b_take_even, b_take_odd = (Signal(bool(0)) for _ in range(4))
    # tlast is not used by the logic; Verilator's default --unused-regexp (*unused*) waives
    # this sink, so the ports stay lint clean without a waiver file entry
    tlast_unused = Signal(bool(0))

    @always_comb
    def route_comb():
        a_drop.next = s_axis_a_tvalid and s_axis_a_tdata[VW:0] == 0
        b_drop.next = s_axis_b_tvalid and s_axis_b_tdata[VW:0] == 0
        a_req_even.next = s_axis_a_tvalid and s_axis_a_tdata[VW:0] != 0 and not s_axis_a_tdata[VW]
        a_req_odd.next = s_axis_a_tvalid and s_axis_a_tdata[VW:0] != 0 and s_axis_a_tdata[VW]
        b_req_even.next = s_axis_b_tvalid and s_axis_b_tdata[VW:0] != 0 and not s_axis_b_tdata[VW]
        b_req_odd.next = s_axis_b_tvalid and s_axis_b_tdata[VW:0] != 0 and s_axis_b_tdata[VW]

    @always_comb
    def free_comb():
        even_free.next = not even_valid or m_axis_even_tready
        odd_free.next = not odd_valid or m_axis_odd_tready

    @always_comb
    def arb_comb():
        a_take_even.next = a_req_even and even_free and (not b_req_even or not prio_even)
        b_take_even.next = b_req_even and even_free and (not a_req_even or prio_even)
        a_take_odd.next = a_req_odd and odd_free and (not b_req_odd or not prio_odd)
        b_take_odd.next = b_req_odd and odd_free and (not a_req_odd or prio_odd)

    @always_comb
    def ready_comb():
        s_axis_a_tready.next = a_drop or a_take_even or a_take_odd
        s_axis_b_tready.next = b_drop or b_take_even or b_take_odd

    @always_comb
    def tlast_comb():
        tlast_unused.next = s_axis_a_tlast or s_axis_b_tlast

    @always_comb
    def out_comb():
        m_axis_even_tvalid.next = even_valid
        m_axis_even_tdata.next = even_data
        m_axis_even_tuser.next = even_src
        m_axis_odd_tvalid.next = odd_valid
        m_axis_odd_tdata.next = odd_data
        m_axis_odd_tuser.next = odd_src

    @always_seq(clk.posedge, reset=rst)
    def even_seq():
        if a_take_even:
            even_valid.next = 1
            even_data.next = s_axis_a_tdata
            even_src.next = 0
        elif b_take_even:
            even_valid.next = 1
            even_data.next = s_axis_b_tdata
            even_src.next = 1
        elif m_axis_even_tready:
            even_valid.next = 0
        if a_req_even and b_req_even and even_free:
            prio_even.next = not prio_even

    @always_seq(clk.posedge, reset=rst)
    def odd_seq():
        if a_take_odd:
            odd_valid.next = 1
            odd_data.next = s_axis_a_tdata
            odd_src.next = 0
        elif b_take_odd:
            odd_valid.next = 1
            odd_data.next = s_axis_b_tdata
            odd_src.next = 1
        elif m_axis_odd_tready:
            odd_valid.next = 0
        if a_req_odd and b_req_odd and odd_free:
            prio_odd.next = not prio_odd

    return (route_comb, free_comb, arb_comb, ready_comb, tlast_comb, out_comb, even_seq,
            odd_seq)
