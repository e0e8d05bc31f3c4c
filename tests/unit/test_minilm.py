"""Real MiniLM-L6 heads through the integer attention pipeline (models/minilm.py).

Everything here runs on the committed fixture ``data/minilm_heads/minilm_l3_heads.npz`` and
numpy alone; only ``test_float_forward_matches_published_similarities`` needs the optional
package (``make minilm``; a slow test, not in CI).
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

from models import minilm as M
from models.attn_mask import DEIT_SHAPE, load_deit_masks

#: float64 evaluation of the reference and of the bound (values below 2**8 LSB, relative
#: rounding ~1e-15 per operation): a comparison slack far below any real error
FLOAT_SLACK_LSB = 1e-9
MASKS = ("dense", "sparse")


@pytest.fixture(scope="module")
def heads() -> M.MinilmHeads:
    return M.load_minilm_heads()


@pytest.fixture(scope="module")
def deit() -> np.ndarray:
    return load_deit_masks()


@pytest.fixture(scope="module")
def params() -> M.MinilmParams:
    return M.minilm_params()


def mask_of(heads, deit, i: int, kind: str) -> np.ndarray:
    return M.dense_mask() if kind == "dense" else heads.mask(i, deit)


def stored_out(heads, i: int, kind: str) -> np.ndarray:
    return (heads.out_dense if kind == "dense" else heads.out_sparse)[i]


# -- the fixture itself ---------------------------------------------------------------------
def test_fixture_shapes_dtypes_ranges(heads, params):
    n, d = M.SEQ_LEN, M.HEAD_DIM
    assert heads.layer == M.FIXTURE_LAYER and heads.n_heads == M.HEADS
    for name in ("q", "k", "v", "out_dense", "out_sparse"):
        a = getattr(heads, name)
        assert a.dtype == np.int8 and a.shape == (M.HEADS, n, d), name
    for name in ("q", "k", "v"):
        a = getattr(heads, name).astype(np.int64)
        # symmetric INT8: -128 unused; the scale is amax / 127 rounded up to 16 significant
        # bits, so every head's largest |x| lands on 127 exactly
        assert a.min() >= -M.QMAX
        assert (np.abs(a).reshape(M.HEADS, -1).max(axis=1) == M.QMAX).all(), name
    ids = heads.token_ids
    assert ids.dtype == np.int32 and ids.shape == (n,)
    assert ids[0] == M.CLS_ID and ids[-1] == M.SEP_ID
    assert not np.isin(ids[1:-1], [M.CLS_ID, M.SEP_ID, M.PAD_ID]).any()  # real text, no pad
    for i in range(M.HEADS):
        h = heads.head(i)
        for s in (h.s_q, h.s_k, h.s_v):
            assert s > 0 and s == M.dyadic_scale(s * M.QMAX)  # already dyadic: a fixed point
        assert h.sddmm_rq == M.sddmm_requant(params, h.s_q, h.s_k)
        assert 1 << (params.sddmm.scale_width - 1) <= h.sddmm_rq[0] < 1 << params.sddmm.scale_width
        assert h.spmm_rq[0] == 1 and 0 <= h.spmm_rq[1] <= params.spmm.prob_width
        g = params.spmm.prob_width - h.spmm_rq[1]
        assert h.s_o == h.s_v * 2.0 ** -g
        assert (int(heads.deit_layer[i]), int(heads.deit_head[i])) == M.deit_mask_index(
            heads.layer, i)
    assert heads.meta["package_version"] == M.PACKAGE_VERSION
    assert heads.meta["weights_sha256"] == M.WEIGHTS_SHA256


def test_fixture_is_canonical_bytes(heads):
    """Writing what was loaded gives the committed bytes: the file is in the writer's canonical
    form (what --check-fixture compares against when it regenerates from the package)."""
    assert M.npz_bytes(M.heads_to_arrays(heads)) == M.fixture_path().read_bytes()


def test_deit_mask_mapping_uses_every_mask_twice():
    used = [M.deit_mask_index(layer, h) for layer in range(M.LAYERS) for h in range(M.HEADS)]
    counts = {(dl, dh): used.count((dl, dh)) for dl in range(DEIT_SHAPE[0])
              for dh in range(DEIT_SHAPE[1])}
    assert set(counts.values()) == {2}


# -- quantisation helpers ---------------------------------------------------------------------
@pytest.mark.parametrize("amax", [1e-3, 0.7, 1.0, 3.3740960198802874, 127.0, 1e4])
def test_dyadic_scale(amax):
    s = M.dyadic_scale(amax)
    m, e = np.frexp(s)
    assert amax / M.QMAX <= s < amax / M.QMAX * (1 + 2.0 ** -(M.SCALE_SIG_BITS - 1))
    assert float(np.ldexp(m, M.SCALE_SIG_BITS)).is_integer()
    assert np.abs(M.quantise_int8(np.array([amax, -amax]), s)).max() == M.QMAX


def test_tokenise_crops_and_pads():
    class FakeTok:  # the package's tokenizer wraps a text in [CLS] ... [SEP]
        def __init__(self, n):
            self.n = n

        def encode(self, text):
            return type("E", (), {"ids": [M.CLS_ID, *range(1000, 1000 + self.n), M.SEP_ID]})

    ids, attn = M.tokenise(FakeTok(329), "")
    assert ids.size == M.SEQ_LEN and attn.all()
    assert ids[0] == M.CLS_ID and ids[-1] == M.SEP_ID
    assert list(ids[1:-1]) == list(range(1000, 1000 + M.SEQ_LEN - 2))  # the first 195 kept
    ids, attn = M.tokenise(FakeTok(10), "")
    assert ids.size == M.SEQ_LEN and attn.sum() == 12
    assert ids[11] == M.SEP_ID and (ids[12:] == M.PAD_ID).all()


# -- the pipeline on the fixture -----------------------------------------------------------------
@pytest.mark.parametrize("kind", MASKS)  # dense mask, or the head's DeiT-Tiny mask
def test_pipeline_deterministic_and_equal_to_stored(heads, deit, params, kind):
    for i in range(heads.n_heads):
        h, mask = heads.head(i), mask_of(heads, deit, i, kind)
        a = M.run_head(params, h, mask)["out"]
        b = M.run_head(params, h, mask)["out"]
        assert np.array_equal(a, b), f"head {i}: two runs differ"
        assert np.array_equal(a, stored_out(heads, i, kind)), (
            f"head {i} ({kind}): the models' integer pipeline no longer gives the fixture's "
            "output; if that is intended, regenerate it: python -m tools.minilm_attention "
            "--write-fixture")


@pytest.fixture(scope="module")
def refs(heads, deit, params) -> dict:
    """Per (head, mask): float attention of the dequantised inputs in output LSBs, and the
    budget of the fixture's (correct) head."""
    out = {}
    for i in range(heads.n_heads):
        h = heads.head(i)
        for kind in MASKS:
            mask = mask_of(heads, deit, i, kind)
            out[i, kind] = (M.float_attention(*M.dequantised(h), mask) / h.s_o,
                            M.pipeline_budget(params, h, mask))
    return out


def budget_excess(refs, i: int, kind: str, out: np.ndarray) -> float:
    """max over elements of ``|out - ref| / bound`` with the bound of the *correct* head."""
    ref, bound = refs[i, kind]
    return float(((np.abs(out - ref) - FLOAT_SLACK_LSB) / bound).max())


@pytest.mark.parametrize("kind", MASKS)
def test_error_within_derived_budget(heads, deit, params, refs, kind):
    """|int - float(dequantised inputs)| <= models.minilm.pipeline_budget on every element of
    every head (derivation in its docstring; the inputs' own INT8 rounding is not in it)."""
    worst = 0.0
    for i in range(heads.n_heads):
        out = M.run_head(params, heads.head(i), mask_of(heads, deit, i, kind))["out"]
        ratio = budget_excess(refs, i, kind, out)
        assert ratio <= 1.0, f"head {i} ({kind}): error / budget = {ratio:.3f}"
        worst = max(worst, ratio)
    print(f"minilm layer {heads.layer} {kind}: worst error / budget = {worst:.3f}")


# one requantisation shift off by one in either direction, in either engine
MUTANTS = [("sddmm_rq", +1), ("sddmm_rq", -1), ("spmm_rq", +1), ("spmm_rq", -1)]


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("field,delta", MUTANTS, ids=[f"{f}{d:+d}" for f, d in MUTANTS])
def test_budget_catches_shift_off_by_one(heads, deit, params, refs, kind, field, delta):
    """The budget is tight enough to see a shift off by one on every head."""
    for i in range(heads.n_heads):
        h, mask = heads.head(i), mask_of(heads, deit, i, kind)
        scale, shift = getattr(h, field)
        mutant = dataclasses.replace(h, **{field: (scale, shift + delta)})
        out = M.run_head(params, mutant, mask)["out"]
        assert budget_excess(refs, i, kind, out) > 1.0, (
            f"head {i} ({kind}): {field} shift {shift}{delta:+d} stays within the budget")


# -- the optional package ----------------------------------------------------------------------
def test_missing_package_is_one_sentence(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == M.PACKAGE_MODULE else real(name, *a))
    with pytest.raises(M.MissingPackage, match="make minilm"):
        M.model_dir()
    from tools import minilm_attention

    assert minilm_attention.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and M.INSTALL_CMD in err


@pytest.mark.slow
def test_float_forward_matches_published_similarities():
    """The float64 forward + mean pooling reproduces the similarities the sentence-transformers
    docs publish for all-MiniLM-L6-v2 (tools.minilm_attention.PUBLISHED_SIMILARITY). Slow (a
    `make slow` test, not CI's): it needs the optional package (`make minilm`), and fails with
    the install command when it is missing -- never a skip."""
    M.model_dir()  # MissingPackage names the command that installs it
    from tools import minilm_attention

    lines = minilm_attention.check_forward(M.load_weights(), M.load_tokenizer())
    assert all(line.endswith("ok") for line in lines)


def test_install_pins_match_pyproject_extra():
    """models.minilm.INSTALL_CMD (the missing-package message) pins what `make minilm`
    installs: pyproject.toml's optional extra `real`."""
    import tomllib

    with open(M.ROOT / "pyproject.toml", "rb") as f:
        real = tomllib.load(f)["project"]["optional-dependencies"]["real"]
    assert sorted(real) == sorted(M.INSTALL_CMD.split("--no-deps ")[1].split())


def test_fixture_heads_through_the_composed_model_equal_the_stored_outputs():
    """models.sparse_attn on the typical config (d = 64, zero-padded from 32) gives exactly the
    fixture's stored outputs in columns 0..31 and zeros above, for every head and both masks:
    what the RTL is compared with in MinilmTest is the fixture's pipeline."""
    from models.attn_mask import load_deit_masks
    from models.sparse_attn import CONFIGS, attn_ref

    p = CONFIGS["typical"]
    assert M.fits_exactly(p) and not M.fits_exactly(CONFIGS["non_pow2"])
    mh = M.load_minilm_heads()
    masks = load_deit_masks()
    for i in range(mh.n_heads):
        for sparse, want in ((True, mh.out_sparse[i]), (False, mh.out_dense[i])):
            out = attn_ref(p, M.sparse_attn_head(p, mh, i, sparse, masks))
            assert np.array_equal(out[:, :M.HEAD_DIM], want), (i, sparse)
            assert not out[:, M.HEAD_DIM:].any()


def test_fixture_heads_fit_every_sparse_attn_config():
    from models.attn_mask import load_deit_masks
    from models.sparse_attn import CONFIGS, attn_ref, head_txns

    mh = M.load_minilm_heads()
    masks = load_deit_masks()
    for p in CONFIGS.values():
        h = M.sparse_attn_head(p, mh, 0, True, masks)
        head_txns(p, h)  # every engine's rules hold
        assert attn_ref(p, h).shape == (min(M.SEQ_LEN, p.max_keys), p.head_dim)
