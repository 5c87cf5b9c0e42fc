"""The sequencer's ``BlockSink`` over the LMDB store: how the node wires the two.

::

    store = BlockStore(data_dir)                 # durability="full" by default
    backend = LmdbBackend(store)                 # verifies the head; attaches the trie
    sink = LmdbBlockSink(backend)
    if store.head() is None:                     # a new chain: genesis is staged, then
        sequencer = Sequencer.from_genesis(genesis, backend=backend, sink=sink)  # stored as block 0
    else:                                        # a restart: resume at the head
        sequencer = Sequencer(State(backend), sink=sink)

``put_block`` stores the block with the state changes the backend staged when the
sequencer ran it (one LMDB write transaction) and returns once it is committed, so the
sequencer's soft confirmations follow the commit.

``keep_blocks=K`` is for a node without L1 (no root is ever final there): after block ``n``
the store treats block ``n - K`` as final, so it keeps the states of the last ``K`` blocks
and prunes older ones as it goes (one block's dead nodes per block). A node with an L1
leaves it ``None`` and learns finality from the contracts (``node.l1.finality``).
"""

from __future__ import annotations

from typing import Final

from node.sequencer.sequencer import BlockSink, L2Block
from node.stf.receipts import Receipt
from node.store.lmdb_backend import LmdbBackend
from node.store.lmdb_store import BlockRejected


DEFAULT_KEEP_BLOCKS: Final = 1_000  # states a node without L1 keeps (README: disk per block)


class LmdbBlockSink(BlockSink):
    def __init__(self, backend: LmdbBackend, keep_blocks: int | None = None) -> None:
        if keep_blocks is not None and keep_blocks < 0:
            raise ValueError("keep_blocks must be >= 0")
        self.backend = backend
        self.store = backend.store
        self.keep_blocks = keep_blocks

    def put_block(self, block: L2Block) -> None:
        staged = self.backend.staged
        if not staged or staged[0].root != block.state_root:
            raise BlockRejected(f"block {block.number}: its state root is not the staged one")
        header = self.backend.commit_block(block.number, block.timestamp, block.txs, block.receipts,
                                           deposits_through=block.deposits_through,
                                           forced_through=block.forced_through, l1_tx_count=block.l1_tx_count,
                                           accounts=block.accounts)
        if header.receipts_hash != block.receipts_hash:  # pragma: no cover - both come from the receipts
            raise BlockRejected(f"block {block.number}: receipts hash mismatch")
        if self.keep_blocks is not None and block.number > self.keep_blocks:
            self.store.finalized_through(block.number - self.keep_blocks)

    def get_block(self, number: int) -> L2Block | None:
        stored = self.store.block(number)
        if stored is None:
            return None
        header = stored.header
        return L2Block(header.number, header.timestamp, header.state_root, header.receipts_hash,
                       stored.txs, tuple(self.store.receipts(number)), header.deposits_through,
                       header.forced_through, header.l1_tx_count)

    def get_receipt(self, tx_hash: bytes) -> tuple[int, Receipt] | None:
        return self.store.receipt(tx_hash)

    def account_positions(self, address: bytes, before: int, limit: int) -> list[int]:
        return self.store.account_positions(address, before, limit)
