"""Testbench of the DeltaLSTM (Spartus) block."""
