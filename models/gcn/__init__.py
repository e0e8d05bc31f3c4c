"""The GCN family (LW-GCN's PCOO aggregation, GCoD's polarised split): ``X' = σ(Â·(X·W))``.

One module a seam: :mod:`~models.gcn.params` (``GcnAggParams`` of the future ``gcn_agg``
block), :mod:`~models.gcn.configs` (its corners), :mod:`~models.gcn.data` (GCoD's adjacencies,
the Cora fixture, pure-numpy loaders), :mod:`~models.gcn.adjacency` (Â and its UQ1.15 format),
:mod:`~models.gcn.model` (combination on models.gemm, aggregation, float64 references, derived
budgets), :mod:`~models.gcn.pcoo` (the hazard-free schedule, plain and balanced),
:mod:`~models.gcn.gcod` (the diagonal-block / COO split), :mod:`~models.gcn.streams` (the Â
stream codec and its refusals), :mod:`~models.gcn.cycles` (cycle formulas) and
:mod:`~models.gcn.train` (the float GCN trained on Cora, its quantisation, accuracies).
The ``gcn_agg`` block's model entry is :mod:`models.gcn_agg` (rtl/gcn_agg.py).
"""
