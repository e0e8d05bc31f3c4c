"""Testbench of the dense systolic GEMM block."""
