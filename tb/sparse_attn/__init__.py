"""Testbench of the composed sparse attention head (SDDMM -> softmax -> SpMM on chip)."""
