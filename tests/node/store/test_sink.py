"""The sequencer on the LMDB store: blocks persisted, a restart resumes at the head."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import Sequencer
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import initialise
from node.stf.receipts import receipts_hash
from node.stf.state import State
from node.stf.txtypes import PlaceOrder
from node.store import BlockStore, LmdbBackend
from node.store.sink import LmdbBlockSink
from node.wallet import sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def order(name: str, nonce: int, price_e6: int, side: int = 0) -> bytes:
    return sign_tx(CHAIN.accounts[name], PlaceOrder(nonce, 5, side, price_e6, E6, 0, False, 0, 0),
                   CHAIN.genesis.domain)


def test_sequencer_persists_blocks_and_resumes_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "db"

    async def first_run():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend),
                                           clock=lambda: T0 + 10, block_time_ms=1, max_block_txs=5)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        results = await asyncio.gather(*(sequencer.submit(order("alice", n, (50 - n) * E6)) for n in range(12)))
        await sequencer.stop()
        store.close()
        return sequencer.head_number, results

    async def second_run():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer(State(backend), sink=LmdbBlockSink(backend), clock=lambda: T0 + 20, block_time_ms=1)
        resumed_at = sequencer.head_number
        await sequencer.start()
        number, receipt = await sequencer.submit(order("bob", 0, 40 * E6, side=1))
        await sequencer.stop()
        blocks = [sequencer.get_block(n) for n in range(sequencer.head_number + 1)]
        found = sequencer.get_receipt(receipt.tx_hash)
        store.close()
        return resumed_at, number, receipt, blocks, found

    head, results = asyncio.run(asyncio.wait_for(first_run(), 30))
    assert all(r.ok for _, r in results)
    resumed_at, number, receipt, blocks, found = asyncio.run(asyncio.wait_for(second_run(), 30))
    assert resumed_at == head and number == head + 1
    assert receipt.ok and receipt.filled_e6 == E6 and found == (number, receipt)
    state = State(MemoryBackend())  # every stored block replays to its stored root and receipts
    initialise(state, CHAIN.genesis)
    assert blocks[0].state_root == state.root()
    for block in blocks[1:]:
        result = apply_block(state, BlockEnv(block.number, block.timestamp), list(block.txs))
        assert result.state_root == block.state_root
        assert receipts_hash(list(result.receipts)) == block.receipts_hash == receipts_hash(list(block.receipts))


def test_a_node_without_l1_keeps_the_states_of_its_last_blocks(tmp_path: Path) -> None:
    """``keep_blocks``: the last K states stay readable, older ones are pruned as blocks come."""
    from node.store import StatePruned
    from tests.node.store.test_retention import node_hashes, retained_nodes

    store = BlockStore(tmp_path / "db")
    backend = LmdbBackend(store)

    async def run():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend, keep_blocks=3),
                                           clock=lambda: T0 + 10, block_time_ms=1, max_block_txs=2)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        for n in range(10):
            await sequencer.submit(order("alice", n, (50 - n) * E6))
        await sequencer.stop()
        return sequencer.head_number

    head = asyncio.run(asyncio.wait_for(run(), 30))
    assert head > 8 and store.finalized_through_block() == head - 3
    assert node_hashes(store) == retained_nodes(store, head - 3)
    assert store.state_backend_at(head - 3).root() == store.header(head - 3).state_root
    with pytest.raises(StatePruned):
        store.state_backend_at(head - 4)
    store.close()
