"""Block production: FIFO blocks, size and time triggers, the clock, acks only after the store."""

from __future__ import annotations

import asyncio

import pytest

from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import BlockObserver, L2Block, MemoryBlockSink, Sequencer, SequencerHalted
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import initialise
from node.stf.receipts import receipts_hash
from node.stf.state import State
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def order(name: str, nonce: int, price_e6: int, side: int = 0, instrument_id: int = 5) -> bytes:
    body = PlaceOrder(nonce, instrument_id, side, price_e6, E6, 0, False, 0, 0)
    return sign_tx(CHAIN.accounts[name], body, CHAIN.genesis.domain)


def run(coro, timeout: float = 20.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class RecordingSink(MemoryBlockSink):
    """Notes, for each block it stores, whether any submitter had been answered already."""

    def __init__(self, futures: list) -> None:
        super().__init__()
        self.futures = futures
        self.answered_before_store: list[bool] = []

    def put_block(self, block: L2Block) -> None:
        self.answered_before_store.append(any(f.done() for f in self.futures))
        super().put_block(block)


def test_blocks_are_fifo_and_replay_identically():
    async def scenario():
        now = [T0 + 10]
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: now[0], block_time_ms=2, max_block_txs=7)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        now[0] = T0 + 20
        raws = [order("alice", n, (100 - n) * E6) for n in range(20)]
        results = await asyncio.gather(*(sequencer.submit(r) for r in raws))
        await sequencer.stop()
        return sequencer, raws, results

    sequencer, raws, results = run(scenario())
    numbers = [n for n, _ in results]
    assert numbers == sorted(numbers)  # FIFO: arrival order is block order
    assert all(r.ok for _, r in results)
    blocks = [sequencer.get_block(n) for n in range(1, sequencer.head_number + 1)]
    assert all(1 <= len(b.txs) <= 7 for b in blocks)  # closed at max_block_txs at the latest
    assert [tx for b in blocks for tx in b.txs][-20:] == raws
    assert blocks[-1].timestamp == T0 + 20
    # The blocks replay through the STF from genesis to the same roots and receipts.
    state = State(MemoryBackend())
    initialise(state, CHAIN.genesis)
    for block in blocks:
        result = apply_block(state, BlockEnv(block.number, block.timestamp), list(block.txs))
        assert result.state_root == block.state_root
        assert receipts_hash(list(result.receipts)) == block.receipts_hash


def test_acks_only_after_the_block_is_stored():
    async def scenario():
        futures: list = []
        sink = RecordingSink(futures)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, sink=sink, clock=lambda: T0 + 1, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        for n in range(5):
            futures.append(sequencer.enqueue(order("bob", n, 10 * E6))[1])
        await asyncio.gather(*futures)
        await sequencer.stop()
        return sink

    sink = run(scenario())
    assert sink.answered_before_store and not any(sink.answered_before_store)


def test_a_failing_store_halts_and_fails_submitters():
    class BrokenSink(MemoryBlockSink):
        def put_block(self, block: L2Block) -> None:
            if block.number >= 2:
                raise OSError("disk full")
            super().put_block(block)

    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, sink=BrokenSink(), clock=lambda: T0 + 1, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        with pytest.raises(SequencerHalted):
            await sequencer.submit(order("carol", 0, E6))
        assert isinstance(sequencer.failure, OSError) and not sequencer.running
        with pytest.raises(SequencerHalted):
            sequencer.enqueue(order("carol", 1, E6))
        await sequencer.stop()

    run(scenario())


def test_time_never_goes_back_and_queries_see_the_head():
    async def scenario():
        now = [T0 + 50]  # (within the set-up oracle updates' freshness, oracle.MAX_ORACLE_AGE_S)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: now[0], block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        now[0] = T0 + 20  # the wall clock steps back
        number, receipt = await sequencer.submit(order("maker", 0, 3 * E6))
        await sequencer.stop()
        return sequencer, number, receipt

    sequencer, number, receipt = run(scenario())
    assert sequencer.get_block(number).timestamp == T0 + 50
    assert sequencer.state.get(keys.GLOBALS).last_block_number == sequencer.head_number == number
    assert receipt.ok and receipt.rested_e6 == E6


class Recorder(BlockObserver):
    def __init__(self) -> None:
        self.blocks: list[tuple[int, int]] = []
        self.halts: list[BaseException | None] = []

    def on_block(self, block, txs) -> None:
        assert [t.raw for t in txs] == list(block.txs)
        self.blocks.append((block.number, len(txs)))

    def on_halt(self, failure) -> None:
        self.halts.append(failure)


class Broken(BlockObserver):
    def on_block(self, block, txs) -> None:
        raise RuntimeError("observer bug")


def test_observers_hear_every_block_and_the_stop_and_a_broken_one_is_dropped():
    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1, max_block_txs=5)
        recorder, broken = Recorder(), Broken()
        sequencer.add_observer(broken)
        sequencer.add_observer(recorder)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        await asyncio.gather(*(sequencer.submit(order("alice", n, (100 - n) * E6)) for n in range(12)))
        await sequencer.stop()
        return sequencer, recorder, broken

    sequencer, recorder, broken = run(scenario())
    assert [n for n, _ in recorder.blocks] == list(range(1, sequencer.head_number + 1))
    assert sum(c for _, c in recorder.blocks) == len(CHAIN.setup_txs) + 12
    assert recorder.halts == [None]
    assert broken not in sequencer._observers
