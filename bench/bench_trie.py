"""State-trie benchmark: how fast dirty keys are folded into a new root.

Set-up: a ``Trie`` of ``TRIE_KEYS`` 32-byte keys (keccak of an index, as the state layer
hashes its keys) with 60-200 byte values, root committed. Each batch then applies
``BATCH`` dirty keys (about 70% updates of existing keys, 29% inserts, 1% deletes) and
calls ``root_hash()``.

Figures:

- ``state.root_keys_per_s``: dirty keys per second, timing the ``set``/``delete`` calls
  plus ``root_hash()`` (median over ``BATCHES`` batches);
- ``state.root_only_keys_per_s``: the same, timing ``root_hash()`` alone;
- ``state.root_keys_per_s_pytrie``: py-trie's ``HexaryTrie`` on a smaller trie
  (``PYTRIE_KEYS`` keys, batches of ``PYTRIE_BATCH``), for the ratio. On the same
  operations our root is checked against py-trie's.
"""

from __future__ import annotations

import random
import statistics
import time

from eth_hash.auto import keccak

from bench.common import emit
from node.stf.mpt import Trie

TRIE_KEYS = 200_000
BATCH = 5_000
BATCHES = 7
INSERT_SHARE = 0.29
DELETE_SHARE = 0.01

PYTRIE_KEYS = 20_000
PYTRIE_BATCH = 1_000
PYTRIE_BATCHES = 3

Op = tuple[bytes, "bytes | None"]


class _Workload:
    """Deterministic keys, values and batches of operations."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_index = 0
        self.live: list[bytes] = []

    def value(self) -> bytes:
        return self.rng.randbytes(self.rng.randrange(60, 201))

    def new_key(self) -> bytes:
        self.next_index += 1
        return keccak(self.next_index.to_bytes(8, "big"))

    def initial(self, count: int) -> list[tuple[bytes, bytes]]:
        self.live = [self.new_key() for _ in range(count)]
        return [(key, self.value()) for key in self.live]

    def batch(self, size: int) -> list[Op]:
        """``size`` operations on distinct keys (updates, inserts, deletes)."""
        rng = self.rng
        inserts = int(size * INSERT_SHARE)
        deletes = int(size * DELETE_SHARE)
        picked = rng.sample(range(len(self.live)), size - inserts)
        ops: list[Op] = []
        for n, index in enumerate(picked):
            key = self.live[index]
            ops.append((key, None if n < deletes else self.value()))
        doomed = set(picked[:deletes])
        self.live = [key for i, key in enumerate(self.live) if i not in doomed]
        for _ in range(inserts):
            key = self.new_key()
            self.live.append(key)
            ops.append((key, self.value()))
        rng.shuffle(ops)
        return ops


def _apply(trie: Trie, ops: list[Op]) -> None:
    for key, value in ops:
        if value is None:
            trie.delete(key)
        else:
            trie.set(key, value)


def _ours() -> None:
    work = _Workload(seed=1)
    trie = Trie()
    start = time.perf_counter()
    for key, value in work.initial(TRIE_KEYS):
        trie.set(key, value)
    trie.root_hash()
    build_s = time.perf_counter() - start

    totals, roots_only = [], []
    for _ in range(BATCHES):
        ops = work.batch(BATCH)
        start = time.perf_counter()
        _apply(trie, ops)
        middle = time.perf_counter()
        trie.root_hash()
        end = time.perf_counter()
        totals.append(len(ops) / (end - start))
        roots_only.append(len(ops) / (end - middle))
    setup = dict(
        trie_keys=TRIE_KEYS, batch=BATCH, batches=BATCHES, value_bytes="60-200",
        mix="70% update, 29% insert, 1% delete", keccak="pysha3",
    )
    emit("state", "state.root_keys_per_s", statistics.median(totals), "keys/s",
         timed="set/delete + root_hash", build_s=round(build_s, 2), **setup)
    emit("state", "state.root_only_keys_per_s", statistics.median(roots_only), "keys/s",
         timed="root_hash", **setup)


def _pytrie() -> None:
    from trie import HexaryTrie

    work = _Workload(seed=2)
    reference = HexaryTrie({})
    ours = Trie()
    for key, value in work.initial(PYTRIE_KEYS):
        reference.set(key, value)
        ours.set(key, value)
    rates = []
    for _ in range(PYTRIE_BATCHES):
        ops = work.batch(PYTRIE_BATCH)
        start = time.perf_counter()
        for key, value in ops:
            if value is None:
                reference.delete(key)
            else:
                reference.set(key, value)
        root = reference.root_hash
        rates.append(len(ops) / (time.perf_counter() - start))
        _apply(ours, ops)
        if ours.root_hash() != root:
            raise AssertionError("bench_trie: root differs from py-trie's")
    emit("state", "state.root_keys_per_s_pytrie", statistics.median(rates), "keys/s",
         trie_keys=PYTRIE_KEYS, batch=PYTRIE_BATCH, batches=PYTRIE_BATCHES,
         value_bytes="60-200", timed="set/delete + root_hash")


def run() -> None:
    _ours()
    _pytrie()
