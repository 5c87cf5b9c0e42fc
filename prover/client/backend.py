"""The full state under a proving run: steps one at a time, each with its witness.

``ProvingBackend`` wraps a backend that holds the whole state and its trie (the in-memory
``MemoryBackend``, or the store's backend at a past block) and adds what a trace needs:

- **witness of a step**: between ``begin_step()`` and ``end_step()`` it records every key
  read or written and the trie nodes on their paths in the step's pre-state trie, plus the
  nodes the root computation reads (``Trie.start_witness``): a ``Witness`` against the
  step's pre-root that ``WitnessBackend`` can re-execute the step on;
- **rollback to a root**: ``revert_to(root)`` undoes whole ``apply`` calls until the state
  root is ``root`` again (the ``ROLLBACK`` step). The undo log is kept until
  ``forget_undo()`` (the trace calls it when no checkpoint is live).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from node.stf.backends import StateBackend, Witness
from node.stf.hashing import keccak256 as keccak


class RevertError(LookupError):
    """``revert_to`` was asked for a root that no logged state had."""


class ProvingBackend(StateBackend):
    """A recording, revertible view of ``inner`` (which has a ``trie`` attribute)."""

    def __init__(self, inner: StateBackend) -> None:
        self.inner = inner
        self._undo: list[tuple[bytes, dict[bytes, bytes | None]]] = []  # (root before, prior values)
        self._keys: set[bytes] | None = None
        self._pre_root = b""

    # -- one step's witness ----------------------------------------------------------

    def begin_step(self) -> None:
        self._pre_root = self.inner.root()
        self.inner.trie.start_witness()  # type: ignore[attr-defined]
        self._keys = set()

    def end_step(self) -> Witness:
        nodes = self.inner.trie.take_witness()  # type: ignore[attr-defined]
        keys, self._keys = self._keys or set(), None
        return Witness(self._pre_root, frozenset(nodes), frozenset(keys))

    # -- StateBackend ----------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        if self._keys is not None:
            self._keys.add(key)
            self.inner.trie.get(keccak(key))  # type: ignore[attr-defined]  # walk: nodes into the witness
        return self.inner.get(key)

    def keys_with_prefix(self, prefix: bytes) -> Iterable[bytes]:
        return self.inner.keys_with_prefix(prefix)

    def apply(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        if not changes:
            return self.inner.root()
        if self._keys is not None:
            self._keys.update(changes)
        before = self.inner.root()
        prior = {key: self.inner.get(key) for key in changes}
        self._undo.append((before, prior))
        return self.inner.apply(changes)

    def root(self) -> bytes:
        return self.inner.root()

    # -- rollback ----------------------------------------------------------------------

    def revert_to(self, root: bytes) -> None:
        """Undo logged writes until the root is ``root``; raises ``RevertError`` if none had it."""
        if self.inner.root() == root:
            return
        if not any(before == root for before, _ in self._undo):
            raise RevertError(f"no logged state has root {root.hex()}")
        while self.inner.root() != root:
            _, prior = self._undo.pop()
            self.inner.apply(prior)

    def forget_undo(self) -> None:
        self._undo.clear()
