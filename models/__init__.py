"""Bit-exact golden models. Pure numpy: nothing here imports a simulator."""
