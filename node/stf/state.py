"""The one key-value interface through which the STF reads and writes state.

``State`` sits on a ``StateBackend`` for the duration of one or more blocks:

- reads decode the backend's canonical bytes into typed records (``records.py``) and
  cache them; writes replace records in the cache and mark the key dirty;
- every write is journalled, so ``snapshot()`` / ``rollback(snapshot)`` undo a failed
  transaction (or a failed fill inside one) completely;
- ``commit_block()`` encodes the dirty records, hands them to the backend and returns the
  new state root.

The only index the STF may consult, ``ordered_keys(prefix)``, is a cache of existing
price-level keys; the book validates every answer it takes from it against the records
themselves, so the cache can never change a result.
"""

from __future__ import annotations

from typing import Any, Final

from sortedcontainers import SortedList

from node.stf.backends import StateBackend
from node.stf.records import decode_record

_NOT_CACHED: Final = object()
_ORDERED_PREFIX: Final = 0x08  # keys.P_LEVEL
_ORDERED_GROUP_LEN: Final = 6  # prefix byte + instrument id (4) + side (1)


class State:
    """Typed, journalled view of a backend's state. Not thread-safe."""

    def __init__(self, backend: StateBackend, log_access: bool = False) -> None:
        self.backend = backend
        self._cache: dict[bytes, Any] = {}
        self._dirty: set[bytes] = set()
        self._journal: list[tuple[bytes, Any, bool]] = []
        self._ordered: dict[bytes, SortedList] = {}
        self._access: set[bytes] | None = set() if log_access else None
        self.access_log: list[frozenset[bytes]] = []
        """With ``log_access``: the keys read or written, one set per ``commit_transaction``.
        ``apply_block`` makes that [prologue (globals, config), each transaction, epilogue]."""

    # -- reads and writes -------------------------------------------------------

    def get(self, key: bytes) -> Any:
        """The record under ``key``, or ``None``."""
        if self._access is not None:
            self._access.add(key)
        cache = self._cache
        if key in cache:
            return cache[key]
        raw = self.backend.get(key)
        record = None if raw is None else decode_record(key, raw)
        cache[key] = record
        return record

    def put(self, key: bytes, record: Any) -> None:
        """Store ``record`` (a frozen record; ``None`` deletes the key)."""
        if self._access is not None:
            self._access.add(key)
        cache = self._cache
        prior = cache.get(key, _NOT_CACHED)
        if prior is _NOT_CACHED:
            prior = self.get(key)
        self._journal.append((key, prior, key in self._dirty))
        cache[key] = record
        self._dirty.add(key)
        if key[0] == _ORDERED_PREFIX and (prior is None) != (record is None):
            self._sync_ordered(key, record is not None)

    def delete(self, key: bytes) -> None:
        self.put(key, None)

    # -- snapshots ----------------------------------------------------------------

    def snapshot(self) -> int:
        """A marker to roll back to; snapshots nest."""
        return len(self._journal)

    def rollback(self, snapshot: int) -> None:
        """Undo every write made since ``snapshot``."""
        journal, cache, dirty = self._journal, self._cache, self._dirty
        while len(journal) > snapshot:
            key, prior, was_dirty = journal.pop()
            current = cache.get(key)
            cache[key] = prior
            if not was_dirty:
                dirty.discard(key)
            if key[0] == _ORDERED_PREFIX and (prior is None) != (current is None):
                self._sync_ordered(key, prior is not None)

    def checkpoint(self) -> Any:
        """A token to ``restore`` later in the same transaction (a journal position here;
        the state root in a proving run, ``ProvingState``). Take it before writing in a step."""
        return len(self._journal)

    def restore(self, token: Any) -> None:
        """Return to the state of ``checkpoint() -> token`` (the ``ROLLBACK`` step)."""
        self.rollback(token)

    def commit_transaction(self) -> None:
        """Forget the journal: the transaction's writes can no longer be rolled back."""
        self._journal.clear()
        if self._access is not None:
            self.access_log.append(frozenset(self._access))
            self._access = set()

    # -- ordered key cache ----------------------------------------------------

    def ordered_keys(self, group: bytes) -> SortedList:
        """Existing keys in ``group`` (a price-level prefix), ascending. A cache: validate answers."""
        found = self._ordered.get(group)
        if found is None:
            found = SortedList(self.backend.keys_with_prefix(group))
            for key in self._dirty:
                if key.startswith(group):
                    if self._cache.get(key) is None:
                        found.discard(key)
                    elif key not in found:
                        found.add(key)
            self._ordered[group] = found
        return found

    def _sync_ordered(self, key: bytes, exists: bool) -> None:
        found = self._ordered.get(key[:_ORDERED_GROUP_LEN])
        if found is None:
            return
        if exists:
            if key not in found:
                found.add(key)
        else:
            found.discard(key)

    # -- block boundary -----------------------------------------------------------

    def dirty_keys(self) -> list[bytes]:
        return sorted(self._dirty)

    def commit_block(self) -> bytes:
        """Write all dirty records to the backend; return the new state root."""
        cache = self._cache
        changes = {}
        for key in self._dirty:
            record = cache[key]
            changes[key] = None if record is None else record.encode()
        self._dirty.clear()
        self._journal.clear()
        return self.backend.apply(changes)

    def root(self) -> bytes:
        """Root of the committed state (call after ``commit_block``)."""
        return self.backend.root()


class ProvingState(State):
    """The state of one step of a proving run: a fresh view per step over a backend that
    can return to an earlier root (``RevertibleBackend``, or a witness).

    A checkpoint is the root the step started from (so it must be taken before the step
    writes anything), and ``restore`` moves the backend to that root. Nothing is cached
    across steps: every key a step touches goes through the backend, which is what makes
    the step's witness complete.
    """

    def checkpoint(self) -> Any:
        if self._dirty:
            raise RuntimeError("checkpoint after a write: take checkpoints at the start of a step")
        return self.backend.root()

    def restore(self, token: Any) -> None:
        if self._dirty:
            raise RuntimeError("restore after a write: a rollback is a step of its own")
        self.backend.revert_to(token)
        self._cache.clear()
        self._ordered.clear()
        self._journal.clear()
