"""Scoreboards: pure Python (no cocotb), so they unit-test in milliseconds."""
