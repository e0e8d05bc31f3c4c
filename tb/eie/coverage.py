"""Functional coverage of ``eie`` activation vectors (cocotb-coverage), sampled by the bench
for every vector the input monitor saw, against the layer loaded then:

* ``eie.pe_nnz``: per PE, the entries a visited column holds there (0 = that PE idles on it);
* ``eie.fifo``: the activation FIFOs' highest occupancy in the vector's no-stall timeline
  (models.eie.simulate: input idles only lower it), up to full;
* ``eie.zrun``: zero runs of the visited entries, 15 itself and the padding entries;
* ``eie.codes``: codebook indices the visited entries use (0 = padding / zero code);
* ``eie.act_density``: the vector's share of non-zero activations;
* ``eie.status``: clean, or which fault the vector raised."""

from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverPoint, coverage_section

from models.eie import (
    CODEBOOK_SIZE,
    MAX_ZRUN,
    STATUS_BITS,
    ZERO_CODE,
    EieParams,
    Vector,
    eie_run,
    simulate,
)
from tb.common.attention import member

NNZ_BINS = ["0", "1", "2-3", "4-15", "16+"]
FIFO_BINS = ["0", "1", "partial", "full"]
ZRUN_BINS = ["0", "1-14", "15", "padding"]
CODE_BINS = list(range(CODEBOOK_SIZE))
DENSITY_BINS = ["0", "<=25%", "<=50%", "<=75%", "<100%", "100%"]
STATUS_BINS = ["clean", "ptr_order", "ptr_end", "zrun", "index", "load"]


def nnz_bin(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n < 4 else "4-15" if n < 16 else "16+"


def density_bin(d: float) -> str:
    if d == 0:
        return "0"
    if d == 1:
        return "100%"
    for lim, name in ((0.25, "<=25%"), (0.5, "<=50%"), (0.75, "<=75%")):
        if d <= lim:
            return name
    return "<100%"


def vector_bins(p: EieParams, layer, v: Vector) -> dict[str, list]:
    if layer is None:
        return {k: [] for k in ("nnz", "fifo", "zrun", "codes", "density", "status")}
    a = np.asarray(v.a[:layer.cols], dtype=np.int64)
    r = eie_run(p, layer, a)
    out = {"nnz": set(), "zrun": set(), "codes": set()}
    for s in layer.slices:
        for j in np.flatnonzero(a) if not r.status & 16 else []:
            lo, hi = int(s.ptr[j]), int(s.ptr[j + 1])
            if 0 <= lo <= hi <= s.nnz:
                out["nnz"].add(nnz_bin(hi - lo))
                for e in range(lo, hi):
                    z, c = int(s.z[e]), int(s.v[e])
                    out["zrun"].add("padding" if c == ZERO_CODE and z == MAX_ZRUN else
                                    "15" if z == MAX_ZRUN else "0" if z == 0 else "1-14")
                    if c < layer.n_codes:
                        out["codes"].add(c)
    # a load with no SHAPE beat first decodes to 0 columns: its vector has nothing to time
    occ = simulate(p, layer, [a]).max_occupancy if len(a) else 0
    fifo = "0" if occ == 0 else "1" if occ == 1 and p.fifo_depth > 1 else (
        "full" if occ == p.fifo_depth else "partial")
    status = [name for bit, name in zip(range(STATUS_BITS), STATUS_BINS[1:])
              if r.status >> bit & 1] or ["clean"]
    density = [density_bin(float(np.mean(a != 0)))] if len(a) else []
    return {"nnz": sorted(out["nnz"]), "fifo": [fifo], "zrun": sorted(out["zrun"]),
            "codes": sorted(out["codes"]), "density": density, "status": status}


_cov = coverage_section(
    CoverPoint("eie.pe_nnz", xf=lambda b: b["nnz"], bins=NNZ_BINS, rel=member, inj=False),
    CoverPoint("eie.fifo", xf=lambda b: b["fifo"], bins=FIFO_BINS, rel=member, inj=False),
    CoverPoint("eie.zrun", xf=lambda b: b["zrun"], bins=ZRUN_BINS, rel=member, inj=False),
    CoverPoint("eie.codes", xf=lambda b: b["codes"], bins=CODE_BINS, rel=member, inj=False),
    CoverPoint("eie.act_density", xf=lambda b: b["density"], bins=DENSITY_BINS, rel=member,
               inj=False),
    CoverPoint("eie.status", xf=lambda b: b["status"], bins=STATUS_BINS, rel=member,
               inj=False),
)


@_cov
def _sample_bins(b) -> None:
    pass


def sample(p: EieParams, layer, v: Vector) -> None:
    _sample_bins(vector_bins(p, layer, v))
