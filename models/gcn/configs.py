"""Named ``gcn_agg`` corners."""

from __future__ import annotations

from models.gcn.params import GcnAggParams

#: one lane without a hazard window; LW-GCN-like (8 lanes, L = 4, Cora/CiteSeer fit); a
#: non-power-of-two lane count, latency and feature count (CiteSeer's 3327 nodes); 16 lanes,
#: L = 8, the widest accumulator and the longest row. max keeps typical's 4096 nodes:
#: rtl/gcn_agg.py holds max_nodes accumulator words per lane, and at PubMed's size (16 lanes x
#: 2**15 words) the MyHDL conversion alone took 69 s (measured), past the suite's budget
CONFIGS = {
    "min": GcnAggParams(lanes=1, latency=1, max_nodes=2, feat_width=2, feat_lanes=1,
                        max_degree=2, acc_width=20, out_width=4, scale_width=1, acc_depth=2),
    "typical": GcnAggParams(),
    "non_pow2": GcnAggParams(lanes=6, latency=3, max_nodes=3327, feat_lanes=5,
                             acc_depth=1024),
    "max": GcnAggParams(lanes=16, latency=8, max_nodes=4096, max_degree=512,
                        acc_width=40, acc_depth=4096),
}
