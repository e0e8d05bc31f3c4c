"""Testbench of the masked Q·Kᵀ (SDDMM) engine."""
