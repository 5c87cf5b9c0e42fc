"""Replay a store from its own genesis: re-execute every stored block and compare.

``replay(store)`` builds a fresh in-memory state from the store's genesis
(``BlockStore.genesis()``, or the ``genesis`` argument for a store made before genesis was
stored), checks block 0's state root against it, then applies each stored block's raw
transactions with the STF (``apply_block`` at the header's number and timestamp) and
compares the block's state root and receipts hash with the stored header. It stops at the
first difference and returns it (``ReplayResult.mismatch``); ``None`` means every block up
to the head (or ``upto``) re-derives bit for bit, and ``ReplayResult.root`` is then the
head's state root as recomputed.

This is what a verifier does from L1 data, run over the node's own store: a check that the
store and the STF agree (after a crash, an upgrade, or in tests). It costs the STF's time
for every block (about 0.1 ms per order), so it is a tool, not part of a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, InvalidBlock, apply_block
from node.stf.genesis import Genesis, initialise
from node.stf.receipts import receipts_hash
from node.stf.state import State
from node.store.lmdb_store import BlockStore, StoreError


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first block that does not re-derive: what differs, the stored and the recomputed value."""

    number: int
    field: str  # "state_root", "receipts_hash", "missing_block" or "invalid_block"
    stored: bytes
    replayed: bytes
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    blocks: int  # blocks re-executed after genesis
    transactions: int
    root: bytes  # the last replayed block's recomputed state root
    mismatch: Mismatch | None

    @property
    def ok(self) -> bool:
        return self.mismatch is None


def replay(store: BlockStore, genesis: Genesis | None = None, *, upto: int | None = None) -> ReplayResult:
    """Re-execute ``store``'s blocks 1..``upto`` (default: the head) from its genesis; see module docstring.

    Raises ``StoreError`` if the store has no blocks or no genesis (and none is given).
    """
    head = store.head()
    if head is None:
        raise StoreError("replay: the store has no blocks")
    genesis = genesis if genesis is not None else store.genesis()
    if genesis is None:
        raise StoreError("replay: the store has no stored genesis; pass one")
    last = head.number if upto is None else min(upto, head.number)
    state = State(MemoryBackend())
    root = initialise(state, genesis)
    block0 = store.block(0)
    if block0 is None:
        return ReplayResult(0, 0, root, Mismatch(0, "missing_block", b"", b""))
    if block0.header.state_root != root:
        return ReplayResult(0, 0, root, Mismatch(0, "state_root", block0.header.state_root, root))
    transactions = 0
    for number in range(1, last + 1):
        block = store.block(number)
        if block is None:
            return ReplayResult(number - 1, transactions, root, Mismatch(number, "missing_block", b"", b""))
        header = block.header
        try:
            result = apply_block(state, BlockEnv(number, header.timestamp, header.forced_through, header.deposits_through), block.txs)
        except InvalidBlock as exc:
            return ReplayResult(number - 1, transactions, root,
                                Mismatch(number, "invalid_block", b"", b"", str(exc)))
        root = result.state_root
        transactions += len(block.txs)
        if root != header.state_root:
            return ReplayResult(number, transactions, root, Mismatch(number, "state_root", header.state_root, root))
        replayed_hash = receipts_hash(list(result.receipts))
        if replayed_hash != header.receipts_hash:
            return ReplayResult(number, transactions, root,
                                Mismatch(number, "receipts_hash", header.receipts_hash, replayed_hash))
    return ReplayResult(last, transactions, root, None)
