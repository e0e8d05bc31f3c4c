"""The composed sparse attention model: it is exactly the chain of the three engine models,
and it meets its derived budget against an independent float64 attention (module doc of
models/sparse_attn.py) on random heads of every density and on the real DeiT-Tiny masks."""

import numpy as np
import pytest

from models import sddmm as sd
from models import softmax as sm
from models import spmm as mm
from models.attn_mask import load_deit_masks
from models.params import ParamError
from models.sparse_attn import (
    CONFIGS,
    SparseAttnParams,
    attn_budget,
    attn_float,
    attn_ref,
    decode_out,
    head_txns,
    random_head,
    row_out,
    saturated_scores,
    score_requant,
)

N_CASES = 12  # random heads per config and density
DENSITIES = (0.02, 0.1, 0.5, 1.0)
#: float64 slack: the reference is a softmax and a d-term dot product in float64 (relative
#: error ~1e-15 of outputs <= 2**(w-1)), far below this
FLOAT_SLACK = 1e-9


def check_budget(p: SparseAttnParams, h) -> float:
    """Model within the budget everywhere; returns the largest error / budget."""
    assert len(saturated_scores(p, h)) == 0
    err = np.abs(attn_ref(p, h) - attn_float(p, h))
    bound = attn_budget(p, h)
    bad = np.argwhere(err > bound + FLOAT_SLACK)
    assert not len(bad), (f"{p.tag}: error {err[tuple(bad[0])]:.4f} > budget "
                          f"{bound[tuple(bad[0])]:.4f} at (row, col) {tuple(bad[0])}")
    return float((err / bound).max())


def test_configs_are_the_four_corners_and_engines_agree():
    assert list(CONFIGS) == ["min", "typical", "non_pow2", "max"]
    for p in CONFIGS.values():
        assert p.softmax.in_width == p.sddmm.score_width
        assert p.softmax.prob_width == p.spmm.prob_width
        assert p.softmax.max_len == p.sddmm.max_keys == p.spmm.max_keys
        assert p.sddmm.col_width == p.spmm.col_width


@pytest.mark.parametrize("name", ["min", "typical", "non_pow2", "max"])
@pytest.mark.parametrize("density", DENSITIES)
def test_budget_on_random_heads(name, density, seed):
    p = CONFIGS[name]
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(N_CASES):
        n_k = int(rng.integers(1, min(p.max_keys, 64) + 1))
        h = random_head(p, rng, int(rng.integers(1, 9)), n_k, density=density)
        worst = max(worst, check_budget(p, h))
    print(f"{name} density {density}: worst error / budget {worst:.3f}")


def test_budget_on_every_real_deit_head(seed):
    """All 36 DeiT-Tiny masks (197 x 197), random Q/K/V, the typical config."""
    p = CONFIGS["typical"]
    rng = np.random.default_rng(seed)
    masks = load_deit_masks()
    worst = 0.0
    for layer in range(masks.shape[0]):
        for head in range(masks.shape[1]):
            m = masks[layer, head]
            worst = max(worst, check_budget(p, random_head(p, rng, 197, 197, mask=m)))
    print(f"36 DeiT heads: worst error / budget {worst:.3f}")


def test_model_is_the_chain_of_the_engine_models(seed):
    """Row by row: sddmm.row_out -> softmax_ref -> spmm.row_out, and an all-masked row gives
    the zero row."""
    p = CONFIGS["non_pow2"]
    rng = np.random.default_rng(seed)
    h = random_head(p, rng, 6, 40, density=0.3)
    h.mask[2, :] = False
    k, v, qs, ms = head_txns(p, h)
    out = attn_ref(p, h)
    for i, (q, m) in enumerate(zip(qs, ms)):
        s = sd.row_out(p.sddmm, k, q, m)
        if s["empty"]:
            want = np.zeros((1, p.head_dim), np.int64)
        else:
            probs = sm.softmax_ref(p.softmax, sm.SoftmaxRow(s["s"]))["p"]
            want = mm.row_out(p.spmm, v, mm.PRow(s["col"], probs, q.last, 40))
        assert np.array_equal(out[i:i + 1], want)
        assert np.array_equal(row_out(p, k, v, q, m), want)
    assert not out[2].any()


def test_budget_goes_red_on_a_wrong_score_scale(seed):
    """The budget can fail: the model fed with twice the score scale breaks it."""
    p = CONFIGS["typical"]
    rng = np.random.default_rng(seed)
    h = random_head(p, rng, 8, 64, density=0.5)
    err = np.abs(attn_ref(p, h) - attn_float(p, h))
    assert np.all(err <= attn_budget(p, h) + FLOAT_SLACK)
    wrong = random_head(p, rng, 1, 1)
    wrong.q, wrong.k, wrong.v, wrong.mask = h.q, h.k, h.v, h.mask
    wrong.s_scale, wrong.s_shift, wrong.o_scale, wrong.o_shift = (
        h.s_scale, h.s_shift - 1, h.o_scale, h.o_shift)
    err = np.abs(attn_ref(p, wrong) - attn_float(p, h))
    assert np.any(err > attn_budget(p, h) + FLOAT_SLACK)


def test_score_requant_never_saturates_and_uses_the_scale_range(seed):
    rng = np.random.default_rng(seed)
    for p in CONFIGS.values():
        for _ in range(20):
            h = random_head(p, rng, 4, min(p.max_keys, 16), density=1.0,
                            extremes=bool(rng.integers(2)))
            assert len(saturated_scores(p, h)) == 0
            scale, shift = score_requant(p, h.q, h.k)
            assert 1 <= scale < 1 << p.scale_width and 0 <= shift <= p.sddmm.max_shift
    with pytest.raises(ValueError, match="target_bits"):
        score_requant(CONFIGS["typical"], np.ones((1, 64), np.int64),
                      np.ones((1, 64), np.int64), 15)


def test_budget_refuses_saturated_scores(seed):
    p = CONFIGS["typical"]
    rng = np.random.default_rng(seed)
    h = random_head(p, rng, 2, 8, density=1.0, extremes=True)
    h.s_scale, h.s_shift = (1 << p.scale_width) - 1, 0
    assert len(saturated_scores(p, h)) > 0
    with pytest.raises(ValueError, match="scores saturate"):
        attn_budget(p, h)


def test_output_stream_decodes_the_row(seed):
    p = CONFIGS["typical"]
    rng = np.random.default_rng(seed)
    h = random_head(p, rng, 3, 20, density=0.5)
    k, v, qs, ms = head_txns(p, h)
    from models.fixed import pack_rows

    for q, m in zip(qs, ms):
        o = row_out(p, k, v, q, m)
        beats = [(w, True, 0) for w in pack_rows(o, p.data_width)]
        assert np.array_equal(decode_out(p, beats), o)


@pytest.mark.parametrize("bad, rule", [
    (dict(max_keys=257), "max_keys must be in"),
    (dict(acc_width=8), "sddmm engine refuses.*acc_width must be >="),
    (dict(norm_bits=10), "softmax engine refuses.*norm_bits"),
    (dict(o_acc_width=8), "spmm engine refuses.*acc_width must be >="),
])
def test_params_name_the_broken_rule(bad, rule):
    with pytest.raises(ParamError, match=rule):
        SparseAttnParams(**bad)


def test_head_errors_name_the_rule():
    p = CONFIGS["typical"]
    rng = np.random.default_rng(0)
    h = random_head(p, rng, 2, 8)
    h.v = h.v[:4]
    with pytest.raises(ValueError, match="one row per key"):
        head_txns(p, h)
    h = random_head(p, rng, 2, 8)
    h.q = h.q.astype(np.float64)
    with pytest.raises(ValueError, match="integer"):
        head_txns(p, h)
    h = random_head(p, rng, 2, 8)
    h.mask = h.mask[:, :4]
    with pytest.raises(ValueError, match="mask"):
        head_txns(p, h)
