"""The devnet chain's key-value store: py-evm's database interface over LMDB, one write per block.

py-evm writes its trie nodes, headers, bodies, receipts and canonical-chain pointers
through a ``BaseDB`` key by key. ``BufferedLmdbDB`` keeps those writes in memory
(reads see them) until ``flush()``, which writes them all in ONE LMDB transaction. The
devnet flushes after each mined block, so a crash leaves the chain at a whole block: the
canonical head pointer is written in the same transaction as the block it points at.

``MemoryDB`` (py-evm's) is the in-memory alternative for tests and throwaway chains.
"""

from __future__ import annotations

import os
from typing import Final

import lmdb
from eth.db.backends.base import BaseDB

MAP_SIZE: Final = 64 * 1024**3  # address space only; the file grows as it is written
_DELETED: Final = object()


class BufferedLmdbDB(BaseDB):
    """A ``BaseDB`` over one LMDB environment in ``path``; writes are buffered until ``flush``."""

    def __init__(self, path: str, *, sync: bool = True) -> None:
        os.makedirs(path, exist_ok=True)
        self.env = lmdb.open(path, map_size=MAP_SIZE, max_dbs=1, sync=sync, metasync=sync)
        self._buffer: dict[bytes, bytes | object] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value = self._buffer.get(key)
        if value is _DELETED:
            raise KeyError(key)
        if value is not None:
            return value  # type: ignore[return-value]
        with self.env.begin(buffers=False) as txn:
            stored = txn.get(key)
        if stored is None:
            raise KeyError(key)
        return stored

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._buffer[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._buffer[key] = _DELETED

    def _exists(self, key: bytes) -> bool:
        value = self._buffer.get(key)
        if value is not None:
            return value is not _DELETED
        with self.env.begin(buffers=True) as txn:
            return txn.get(key) is not None

    @property
    def pending_writes(self) -> int:
        return len(self._buffer)

    def flush(self) -> None:
        """Write every buffered change in one LMDB transaction (durable when ``sync``)."""
        if not self._buffer:
            return
        with self.env.begin(write=True) as txn:
            for key, value in self._buffer.items():
                if value is _DELETED:
                    txn.delete(key)
                else:
                    txn.put(key, value)  # type: ignore[arg-type]
        self._buffer.clear()

    def discard(self) -> None:
        """Forget the buffered changes (the chain object must then be reopened)."""
        self._buffer.clear()

    def size_bytes(self) -> int:
        info, stat = self.env.info(), self.env.stat()
        return (info["last_pgno"] + 1) * stat["psize"]

    def close(self) -> None:
        self.env.close()
