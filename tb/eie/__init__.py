"""Testbench of the EIE compressed sparse M x V engine."""
