"""Testbench of the PCOO aggregation lane array (``gcn_agg``)."""
