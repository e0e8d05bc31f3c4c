"""Testbench of the softmax row unit."""
