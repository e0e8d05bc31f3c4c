"""Testbench of the N:M structured-sparse GEMM block."""
