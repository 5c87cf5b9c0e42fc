"""Key-value backends under the STF's state: in-memory, recording, witness-backed.

A backend holds committed state (``key -> canonical record bytes``) and its Merkle
Patricia trie. The STF never talks to a backend directly: it goes through
``node.stf.state.State``, which caches decoded records, journals writes for
per-transaction rollback, and hands the block's changes to ``apply`` at the end.

- ``MemoryBackend``: a dict plus an incremental trie. The node's LMDB backend
  (node issue) implements the same interface.
- ``RecordingBackend``: wraps a ``MemoryBackend`` and captures every key read or written
  and every trie node touched; ``witness()`` returns what a verifier needs.
- ``WitnessBackend``: holds only a ``Witness``: values are read by walking the trie from
  the pre-state root through the witness's nodes (so each is proven against the root);
  touching a key outside the witness raises ``WitnessMissingKey``.

The trie's path for a key is ``keccak256(key)`` (a secure trie).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterable, Mapping

from node.stf.hashing import keccak256 as keccak
from sortedcontainers import SortedList

from node.stf import keys
from node.stf.mpt.trie import Trie


class WitnessMissingKey(LookupError):
    """A witness-backed state was asked for a key its witness does not cover."""


@dataclass(frozen=True)
class Witness:
    """Everything needed to re-execute a block without the full state.

    ``pre_root``: the state root before the block. ``nodes``: RLP trie nodes (pre-state)
    covering every path the block reads or writes. ``keys``: the raw state keys touched.
    """

    pre_root: bytes
    nodes: frozenset[bytes]
    keys: frozenset[bytes]


def _ordered(key: bytes) -> bool:
    """Keys whose sorted order the book needs (price levels)."""
    return key[0] == keys.P_LEVEL


class StateBackend(ABC):
    """Committed state: canonical bytes by key, plus the root over all of it."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """The committed value of ``key``, or ``None`` if absent."""

    @abstractmethod
    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        """Existing keys starting with ``prefix``, ascending. Used only to build caches."""

    @abstractmethod
    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        """Write a block's changes (``None`` deletes) and return the new state root."""

    @abstractmethod
    def root(self) -> bytes:
        """The current state root (32 bytes)."""


class MemoryBackend(StateBackend):
    """All state in a dict, with an incremental trie for the root."""

    def __init__(self) -> None:
        self.values: dict[bytes, bytes] = {}
        self.trie = Trie()
        self._ordered_keys: SortedList = SortedList()

    def get(self, key: bytes) -> bytes | None:
        return self.values.get(key)

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        if not _ordered(prefix):
            return sorted(k for k in self.values if k.startswith(prefix))
        upper = prefix + b"\xff" * 16
        return list(self._ordered_keys.irange(prefix, upper))

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        values, trie, ordered = self.values, self.trie, self._ordered_keys
        for key in sorted(changes):
            value = changes[key]
            path = keccak(key)
            if value is None:
                if values.pop(key, None) is not None:
                    trie.delete(path)
                    if _ordered(key):
                        ordered.remove(key)
            else:
                if _ordered(key) and key not in values:
                    ordered.add(key)
                values[key] = value
                trie.set(path, value)
        return trie.root_hash()

    def root(self) -> bytes:
        return self.trie.root_hash()


class RecordingBackend(StateBackend):
    """Wraps a ``MemoryBackend`` and records what one block touches.

    Create it at a block boundary (the inner trie's root must be current), run the block,
    then call ``witness()``.
    """

    def __init__(self, inner: MemoryBackend) -> None:
        self.inner = inner
        self.pre_root = inner.root()
        self.touched: set[bytes] = set()
        inner.trie.start_witness()

    def get(self, key: bytes) -> bytes | None:
        self.touched.add(key)
        self.inner.trie.get(keccak(key))  # walk the path so its nodes enter the witness
        return self.inner.get(key)

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        return self.inner.keys_with_prefix(prefix)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        self.touched.update(changes)
        return self.inner.apply(changes)

    def root(self) -> bytes:
        return self.inner.root()

    def witness(self) -> Witness:
        return Witness(self.pre_root, frozenset(self.inner.trie.take_witness()), frozenset(self.touched))


class WitnessBackend(StateBackend):
    """State known only through a witness: values proven against ``witness.pre_root``.

    ``revert_to(root)`` (a fault-proof ``ROLLBACK`` step) moves to another root known only
    by its hash: the state it names is whatever the witness's nodes prove under it.
    """

    def __init__(self, witness: Witness) -> None:
        self.nodes = witness.nodes
        self.trie = Trie.from_nodes(witness.pre_root, witness.nodes)
        self.allowed = witness.keys

    def revert_to(self, root: bytes) -> None:
        self.trie = Trie.from_nodes(root, self.nodes)

    def _check(self, key: bytes) -> None:
        if key not in self.allowed:
            raise WitnessMissingKey(key.hex())

    def get(self, key: bytes) -> bytes | None:
        self._check(key)
        return self.trie.get(keccak(key))

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        found = [k for k in self.allowed if k.startswith(prefix) and self.trie.get(keccak(k)) is not None]
        return sorted(found)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        for key in sorted(changes):
            self._check(key)
            value = changes[key]
            if value is None:
                self.trie.delete(keccak(key))
            else:
                self.trie.set(keccak(key), value)
        return self.trie.root_hash()

    def root(self) -> bytes:
        return self.trie.root_hash()
