"""Testbench of the sparse-probability x dense-V (SpMM) engine."""
