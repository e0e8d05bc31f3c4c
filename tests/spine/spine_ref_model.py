"""``spine_ref``: the reference DUT of the verification spine itself (not a product block).

A two-input, two-output zero-skipping router. It exists so that the spine's own features --
concurrent drivers on several input streams, a keyed (out-of-order) scoreboard, output counts
that depend on the data (zero, one or many per input transaction, on either output) and the
quiet-window end check -- are tested independently of any accelerator.

Behaviour (one beat per cycle per input, latency one cycle):

* an input transaction is a *packet*: beats of ``{key, value}`` on ``s_axis_a`` or ``s_axis_b``
  (``tlast`` on the last beat);
* a beat whose value is 0 is dropped (zero skipping: it produces nothing);
* any other beat is routed by the parity of its key: even keys to ``m_axis_even``, odd keys to
  ``m_axis_odd``, as a one-beat output transaction ``{key, value}`` with ``tuser`` = the source
  (0 = a, 1 = b);
* when both inputs send a beat to the same output in the same cycle, one waits: a per-output
  priority bit alternates between the inputs after each such conflict.

So the order of beats on an output interleaves the two sources as the timing decides, while
the beats of one source keep their order: the scoreboard is keyed by source.

Stream formats (VW = value_width, KW = key_width):

==================  ========  ===========================================================
port                bits      layout
==================  ========  ===========================================================
s_axis_{a,b}_tdata  KW + VW   value (signed) at [0, VW), key (unsigned) at [VW, VW + KW)
s_axis_{a,b}_tlast  1         last beat of the packet
m_axis_*_tdata      KW + VW   the routed beat's ``{key, value}``, same layout
m_axis_*_tuser      1         source of the beat: 0 = ``s_axis_a``, 1 = ``s_axis_b``
==================  ========  ===========================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from models.fixed import check_signed, smax, smin
from models.params import BlockParams
from scoreboards.base import Expected

Beat = tuple[int, bool, int]

IN_A, IN_B = "s_axis_a", "s_axis_b"
OUT_EVEN, OUT_ODD = "m_axis_even", "m_axis_odd"
INPUTS = (IN_A, IN_B)
OUTPUTS = (OUT_EVEN, OUT_ODD)
SOURCE = {IN_A: 0, IN_B: 1}  # tuser value of a routed beat
MAX_PACKET = 64  # longest packet the sequences make (the timeout budget's scale only)


@dataclasses.dataclass(frozen=True)
class SpineRefParams(BlockParams):
    """key_width -- bits of the routing key (its LSB picks the output)
    value_width -- bits of the signed value (0 is dropped)"""

    BLOCK = "spine_ref"
    TAG_FIELDS = (("k", "key_width"), ("v", "value_width"))

    key_width: int = 4
    value_width: int = 8

    def validate(self) -> None:
        self.require_range("key_width", 1, 16)
        self.require_range("value_width", 2, 32)

    @property
    def data_width(self) -> int:
        return self.key_width + self.value_width

    def port_widths(self) -> dict[str, int]:
        w = {f"{s}_tdata": self.data_width for s in INPUTS + OUTPUTS}
        w.update({f"{s}_tuser": 1 for s in OUTPUTS})
        return w


CONFIGS = {
    "min": SpineRefParams(key_width=1, value_width=2),
    "typical": SpineRefParams(),
    "non_pow2": SpineRefParams(key_width=3, value_width=5),
    "max": SpineRefParams(key_width=16, value_width=32),
}


@dataclasses.dataclass
class Packet:
    """One input transaction: ``keys`` (unsigned) and ``values`` (signed), one pair per beat,
    sent on ``src`` (``s_axis_a`` or ``s_axis_b``)."""

    src: str
    keys: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)


@dataclasses.dataclass(frozen=True)
class Routed:
    """One output transaction: a routed beat."""

    key: int
    value: int
    src: int

    def as_dict(self) -> dict[str, int]:
        return {"key": self.key, "value": self.value, "src": self.src}


def check_packet(p: SpineRefParams, t: Packet) -> None:
    if t.src not in INPUTS:
        raise ValueError(f"spine_ref: a packet's source must be one of {INPUTS} (got {t.src!r})")
    if len(t) == 0:
        raise ValueError("spine_ref: a packet needs at least one beat (tlast ends it)")
    if len(t.keys) != len(t.values):
        raise ValueError(f"spine_ref: {len(t.keys)} keys but {len(t.values)} values")
    k = np.asarray(t.keys)
    if k.min() < 0 or k.max() >= 1 << p.key_width:
        raise ValueError(f"spine_ref: keys must be in [0, {(1 << p.key_width) - 1}]")
    check_signed(np.asarray(t.values), p.value_width, "spine_ref value")


def encode(p: SpineRefParams, t: Packet) -> list[Beat]:
    check_packet(p, t)
    vmask = (1 << p.value_width) - 1
    n = len(t)
    return [((int(k) << p.value_width) | (int(v) & vmask), i == n - 1, 0)
            for i, (k, v) in enumerate(zip(t.keys, t.values))]


def _split(p: SpineRefParams, word: int) -> tuple[int, int]:
    v = word & ((1 << p.value_width) - 1)
    if v >> (p.value_width - 1):
        v -= 1 << p.value_width
    return word >> p.value_width, v


def decode_in(src: str):
    """Decoder of the input monitor of stream ``src``: beats -> Packet."""

    def dec(p: SpineRefParams, beats: list[Beat]) -> Packet:
        kv = [_split(p, d) for d, _, _ in beats]
        return Packet(src, np.array([k for k, _ in kv], dtype=np.int64),
                      np.array([v for _, v in kv], dtype=np.int64))

    return dec


def decode_out(p: SpineRefParams, beats: list[Beat]) -> dict[str, int]:
    (d, _, u), = beats
    k, v = _split(p, d)
    return Routed(k, v, u).as_dict()


def route(t: Packet) -> str:
    return t.src


def out_stream(key: int) -> str:
    return OUT_ODD if key & 1 else OUT_EVEN


def out_key(item: dict[str, int]) -> int:
    """Keyed-scoreboard key: the source (per source, beats keep their order)."""
    return item["src"]


class SpineRefPredictor:
    """Emits, for each input packet, one expected transaction per non-zero beat on the output
    its key's parity picks (zero, one or many, on either output)."""

    def __init__(self, p: SpineRefParams):
        self.p = p

    def write(self, stream: str, txn: Packet, cycle: int) -> Iterable[Expected]:
        src = SOURCE[stream]
        for k, v in zip(txn.keys, txn.values):
            if v != 0:
                yield Expected(out_stream(int(k)), Routed(int(k), int(v), src).as_dict(),
                               f"{stream} key={int(k)}")


def random_packet(p: SpineRefParams, rng: np.random.Generator, src: str, n: int,
                  zero_share: float = 0.3) -> Packet:
    """``n`` beats: random keys; values non-zero except for about ``zero_share`` of them."""
    keys = rng.integers(0, 1 << p.key_width, size=n)
    vals = rng.integers(smin(p.value_width), smax(p.value_width) + 1, size=n)
    vals[vals == 0] = 1
    vals[rng.random(n) < zero_share] = 0
    return Packet(src, keys.astype(np.int64), vals.astype(np.int64))


def cycles(p: SpineRefParams, txns: list[Packet]) -> int:
    """No-stall cycles bound for the timeout budget: every beat of both inputs one after the
    other (the worst arbitration), plus the output register."""
    return sum(len(t) for t in txns) + 1
