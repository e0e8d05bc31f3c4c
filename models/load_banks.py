"""The banked load memory of the attention engines (K in ``sddmm``, V in ``spmm``): its
handshake rules, as a clock-by-clock model shared by every cycle twin
(models/sparse_attn_cycles.py) and mirrored line for line by ``rtl/common/load_banks.py``.

An engine with ``banks`` banks (``kv_banks``, build time, 1 or 2) holds up to that many
loaded heads. Two pointers walk the banks in order: ``wsel`` is the bank the load stream
fills, ``rsel`` the bank the current head computes from. Per bank a ``full`` flag:

* the load stream is ready while ``full[wsel]`` is low; a load's last beat sets
  ``full[wsel]`` (and latches the load's requantisation in that bank) and moves ``wsel`` on;
* the engine runs while ``full[rsel]`` is high; the head's end (``done``: its last row's last
  beat) clears ``full[rsel]`` and moves ``rsel`` on.

With one bank this is the single memory the engines had: a load waits for the head before it
to end. With two, the next head's load fills the idle bank while the current head computes,
and the engine starts the next head on the edge after the current one ends. A load's last
beat and a head's end on the same edge never touch the same bank (a load needs its bank
empty, an end its bank full), so the two updates are independent.
"""

from __future__ import annotations


class LoadBanks:
    """The ``full`` flags and the two bank pointers (module doc); ``tick`` is one edge."""

    def __init__(self, banks: int):
        if banks not in (1, 2):
            raise ValueError(f"load banks must be 1 or 2 (got {banks})")
        self.banks = banks
        self.full = [False] * banks
        self.wsel = self.rsel = 0

    @property
    def load_ready(self) -> bool:
        """The load stream's tready: the bank being filled is free."""
        return not self.full[self.wsel]

    @property
    def running(self) -> bool:
        """A loaded head is there to compute from."""
        return self.full[self.rsel]

    @property
    def held(self) -> int:
        """Loaded heads not yet ended (the one computing included)."""
        return sum(self.full)

    def tick(self, load_last_fire: bool, done: bool) -> None:
        """Edge: ``load_last_fire`` = a load's last beat is taken (the caller gates it with
        :attr:`load_ready`); ``done`` = the current head's last beat (gated by
        :attr:`running`)."""
        if load_last_fire:
            assert not self.full[self.wsel], "a load into a full bank"
            self.full[self.wsel] = True
            self.wsel = (self.wsel + 1) % self.banks
        if done:
            assert self.full[self.rsel], "a head ended with no load"
            self.full[self.rsel] = False
            self.rsel = (self.rsel + 1) % self.banks

    def reset(self) -> None:
        self.full = [False] * self.banks
        self.wsel = self.rsel = 0


__all__ = ["LoadBanks"]
