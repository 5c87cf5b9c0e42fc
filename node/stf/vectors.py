"""Scenario vectors packed into one integer, so a margin sum costs one multiply-add per series.

A vector ``v`` of ``N_SCENARIOS`` signed integers is packed at ``width`` bits as
``sum_k v[k] x 2^(width x k)``. Packing is linear over the integers,
``a x pack(u) + b x pack(v) == pack(a x u + b x v)``, so a sum of ``size x vector`` over an
account's series is computed on packed integers and unpacked once. Unpacking is exact while
every entry of the result lies in ``[-2^(width - 1), 2^(width - 1))``.

Room: a margin sum has at most ``2^TERM_BITS`` products (two per series, at most
``MAX_POSITIONS`` series, plus one long-value term), each a size times an entry below
``2^ENTRY_BITS`` (scenario losses and ``mark x 1e6`` are below ``2^72`` by the field ranges
of ``params.py``: index, strike and mark at most ``MAX_PRICE_E6``, a scenario moves spot at
most 30%, a weight is at most 1e6 ppm). ``size_limit(width)`` is the largest size (in
magnitude, exclusive) that keeps a sum exact at ``width``; a caller with a larger size
doubles the width, so every size is exact.
"""

from __future__ import annotations

from functools import cache
from typing import Final, Sequence

from node.stf.scenarios import N_SCENARIOS

BASE_WIDTH: Final = 128  # exact for sizes below 2**39 (550,000 contracts); larger ones double it
ENTRY_BITS: Final = 80  # every packed entry is below 2**80 in magnitude (module docstring)
TERM_BITS: Final = 8  # at most 256 products per sum


def size_limit(width: int) -> int:
    """Sizes below this in magnitude keep a sum at ``width`` exact (module docstring)."""
    return 1 << (width - 1 - ENTRY_BITS - TERM_BITS)


@cache
def ones(width: int) -> int:
    """The packed vector with every entry 1."""
    return sum(1 << (width * k) for k in range(N_SCENARIOS))


@cache
def _bias(width: int) -> int:
    """``2^(width - 1)`` in every entry: added before unpacking, so that every entry is non-negative."""
    return ones(width) << (width - 1)


def pack(values: Sequence[int], width: int) -> int:
    """``values`` (one per scenario, each below ``2**ENTRY_BITS`` in magnitude) packed at ``width``."""
    limit = 1 << ENTRY_BITS
    assert len(values) == N_SCENARIOS and -limit < min(values) and max(values) < limit, "entry out of range"
    step, half = width >> 3, 1 << (width - 1)
    raw = b"".join((v + half).to_bytes(step, "little") for v in values)
    return int.from_bytes(raw, "little") - _bias(width)


def unpack(packed: int, width: int) -> list[int]:
    """The entries of ``packed`` (each must lie in ``[-2^(width-1), 2^(width-1))``)."""
    half = 1 << (width - 1)
    step = width >> 3
    raw = (packed + _bias(width)).to_bytes(step * N_SCENARIOS, "little")
    return [int.from_bytes(raw[i:i + step], "little") - half for i in range(0, step * N_SCENARIOS, step)]


def max_entry(packed: int, width: int) -> int:
    """The largest entry of ``packed`` (same range condition as ``unpack``).

    Biased entries are non-negative and of one length, so in big-endian bytes the largest
    compares greatest: one conversion instead of one per entry.
    """
    step = width >> 3
    raw = (packed + _bias(width)).to_bytes(step * N_SCENARIOS, "big")
    largest = max([raw[i:i + step] for i in range(0, step * N_SCENARIOS, step)])
    return int.from_bytes(largest, "big") - (1 << (width - 1))
