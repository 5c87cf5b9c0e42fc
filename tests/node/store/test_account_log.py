"""The store's account index (``account_log``): written with each block, read newest first, paged,
kept across a restart, and served by ``GetAccountHistory`` through the sequencer's sink."""

from __future__ import annotations

import asyncio
from pathlib import Path

from node.rpc.history import history_response
from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import MemoryBlockSink, Sequencer, history_position
from node.stf.state import State
from node.stf.txtypes import PlaceOrder
from node.store import BlockStore, LmdbBackend
from node.store.sink import LmdbBlockSink
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6
ALICE, BOB = address_of(CHAIN.accounts["alice"]), address_of(CHAIN.accounts["bob"])


def order(name: str, nonce: int, price_e6: int, side: int = 0) -> bytes:
    return sign_tx(CHAIN.accounts[name], PlaceOrder(nonce, 5, side, price_e6, E6, 0, False, 0, 0),
                   CHAIN.genesis.domain)


async def _trade(sequencer: Sequencer) -> list[tuple[int, object]]:
    """Alice rests three bids (one block each); Bob sells 1 into the best of them."""
    out = []
    for n, price in enumerate((50, 51, 52)):
        out.append(await sequencer.submit(order("alice", n, price * E6)))
    out.append(await sequencer.submit(order("bob", 0, 51 * E6, side=1)))
    return out


def test_the_index_is_written_with_the_block_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "db"

    async def run():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend),
                                           clock=lambda: T0 + 10, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        results = await _trade(sequencer)
        await sequencer.stop()
        store.close()
        return results

    results = asyncio.run(asyncio.wait_for(run(), 30))
    placed = [history_position(number, 0) for number, _ in results]  # one transaction per block
    with BlockStore(path) as store:  # reopened: the index is in the store
        alice = store.account_positions(ALICE, 0, 100)
        assert alice[:4] == placed[::-1]  # Bob's sell filled her 52 bid: it concerns her
        assert store.account_positions(BOB, 0, 100)[0] == placed[3]
        assert store.account_positions(ALICE, 0, 2) == placed[:1:-1]  # newest first, at most 2
        assert store.account_positions(ALICE, placed[2], 2) == [placed[1], placed[0]]
        assert store.account_positions(ALICE, placed[0], 1) == alice[4:5]  # the bootstrap deposit
        assert store.account_positions(b"\x99" * 20, 0, 10) == []

    async def reopen():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer(State(backend), sink=LmdbBlockSink(backend), clock=lambda: T0 + 20)
        page = history_response(sequencer, ALICE, 0, 2)
        rest = history_response(sequencer, ALICE, page.next_before_position, 0)
        store.close()
        return page, rest

    page, rest = asyncio.run(reopen())
    assert [e.position for e in page.entries] == placed[:1:-1] and page.next_before_position == placed[2]
    fill = page.entries[0]
    assert (fill.kind, fill.own, fill.code) == ("fill", False, 0)
    assert [(f.liquidity, f.side, f.price_e6, f.size_e6, f.order_id) for f in fill.fills] == [
        ("maker", 0, 52 * E6, E6, page.entries[1].order_id)]
    own = page.entries[1]
    assert (own.kind, own.own, own.side, own.price_e6, own.size_e6, own.rested_e6) == ("order", True, 0, 52 * E6, E6, E6)
    assert [e.kind for e in rest.entries][:2] == ["order", "order"] and rest.entries[-1].kind == "deposit"
    assert rest.next_before_position == 0


def test_a_memory_sink_indexes_the_blocks_it_keeps() -> None:
    async def run():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, sink=MemoryBlockSink(max_blocks=3),
                                           clock=lambda: T0 + 10, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        results = await _trade(sequencer)
        await sequencer.stop()
        return sequencer, results

    sequencer, results = asyncio.run(asyncio.wait_for(run(), 30))
    kept = [history_position(number, 0) for number, _ in results[1:]]  # the last 3 blocks
    assert sequencer.sink.account_positions(ALICE, 0, 10) == kept[::-1]
    assert sequencer.sink.account_positions(ALICE, kept[-1], 1) == [kept[-2]]
