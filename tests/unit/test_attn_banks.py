"""The banked K/V load memory of the attention engines (models/load_banks.py) and the cycle
twins built on it (models/sparse_attn_cycles.py): the bank rules, the one-head formulas, and
what two banks buy on the real DeiT-Tiny masks."""

from __future__ import annotations

import pytest

from models.attn_mask import load_deit_masks
from models.configs import get_config
from models.load_banks import LoadBanks
from models.sddmm import expected_cycles as sddmm_cycles
from models.sddmm import expected_head_cycles as sddmm_head_cycles
from models.sparse_attn import expected_cycles as attn_cycles
from models.spmm import expected_cycles as spmm_cycles
from models.spmm import expected_head_cycles as spmm_head_cycles

#: (layer, head) of DeiT-Tiny masks for the steady-state check: the sparsest (589 kept), a
#: middle one and the densest of layer 2
DEIT_HEADS = ((1, 0), (0, 0), (2, 0))


def test_one_bank_holds_one_head():
    b = LoadBanks(1)
    assert b.load_ready and not b.running
    b.tick(True, False)
    assert b.running and not b.load_ready  # the next load waits for the head to end
    b.tick(False, True)
    assert b.load_ready and not b.running


def test_two_banks_take_the_next_load_while_a_head_runs():
    b = LoadBanks(2)
    b.tick(True, False)  # head 0 loaded into bank 0
    assert b.running and b.load_ready and (b.wsel, b.rsel) == (1, 0)
    b.tick(True, False)  # head 1 into bank 1 while head 0 runs
    assert b.held == 2 and not b.load_ready  # a third load waits for a bank


def test_two_banks_refuse_a_load_into_a_full_bank():
    b = LoadBanks(2)
    b.tick(True, False)
    b.tick(True, False)
    with pytest.raises(AssertionError, match="full bank"):
        b.tick(True, False)


def test_two_banks_end_and_load_on_one_edge():
    b = LoadBanks(2)
    b.tick(True, False)
    b.tick(True, False)
    b.tick(False, True)  # head 0 ends: bank 0 free, head 1 runs from bank 1
    assert (b.rsel, b.wsel, b.held) == (1, 0, 1) and b.running and b.load_ready
    b.tick(True, True)  # head 2 loads into bank 0 on the edge head 1 ends
    assert (b.rsel, b.wsel, b.held) == (0, 1, 1) and b.running


def test_banks_are_one_or_two():
    with pytest.raises(ValueError, match="1 or 2"):
        LoadBanks(3)
    with pytest.raises(ValueError, match="kv_banks must be 1 or 2"):
        get_config("sddmm", "typical").replace(kv_banks=3)


def test_tag_names_two_banks_only():
    p = get_config("sparse_attn", "typical")
    assert p.kv_banks == 2 and p.tag.endswith("b2")
    assert not p.replace(kv_banks=1).tag.endswith("b1")
    assert get_config("sddmm", "min").kv_banks == 1  # min keeps the single-bank path tested


@pytest.mark.parametrize("banks", (1, 2))
def test_engine_twins_equal_the_one_head_formulas(banks):
    for n_k, rows in ((1, [1]), (5, [3, 0, 5, 1]), (197, [197, 0, 12, 1, 1, 40])):
        sp = get_config("sddmm", "typical").replace(kv_banks=banks)
        mp = get_config("spmm", "typical").replace(kv_banks=banks)
        assert sddmm_head_cycles(sp, [(n_k, rows)]) == sddmm_cycles(sp, rows)
        assert spmm_head_cycles(mp, [(n_k, rows)]) == spmm_cycles(mp, rows)


def test_two_banks_hide_the_next_load():
    """With one bank every head after the first waits its load (n_k cycles); with two the
    load is hidden behind the head before it when that head is at least as long."""
    heads = [(64, [20, 30, 14])] * 3
    sp = get_config("sddmm", "typical")
    one = sddmm_head_cycles(sp.replace(kv_banks=1), heads)
    two = sddmm_head_cycles(sp, heads)
    assert one - two == 2 * 64
    mp = get_config("spmm", "typical")
    assert (spmm_head_cycles(mp.replace(kv_banks=1), heads) - spmm_head_cycles(mp, heads)
            == 2 * 64)


@pytest.mark.parametrize("layer, head", DEIT_HEADS)
def test_sparse_attn_steady_state_on_real_masks(layer, head):
    """The twin of the typical config: a DeiT-Tiny head in a stream of heads costs its kept
    entries plus one cycle (the next head's first Q beat: the SDDMM takes no Q past a head's
    LAST row), where one bank costs the K/V load and the drain of the longest row on top."""
    rows = [int(n) for n in load_deit_masks()[layer, head].sum(axis=1)]
    nnz, n_k = sum(rows), len(rows)
    p = get_config("sparse_attn", "typical")
    for banks, extra in ((2, 1), (1, None)):
        q = p.replace(kv_banks=banks)
        steady = (attn_cycles(q, [(n_k, rows)] * 3) - attn_cycles(q, [(n_k, rows)])) / 2
        if extra is not None:
            assert steady == nnz + extra
        else:
            assert steady > nnz + n_k  # one bank: a head also waits its load
