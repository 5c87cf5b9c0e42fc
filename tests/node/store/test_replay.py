"""The stored genesis and the replay of a store from it."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import Sequencer
from node.stf import keys
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import initialise
from node.stf.records import Underlying
from node.stf.state import State
from node.stf.txtypes import PlaceOrder
from node.store import BlockStore, LmdbBackend, StoreError
from node.store.codec import decode_genesis, encode_genesis
from node.store.replay import replay
from node.store.sink import LmdbBlockSink
from node.wallet import sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def order(name: str, nonce: int, price_e6: int, side: int = 0) -> bytes:
    return sign_tx(CHAIN.accounts[name], PlaceOrder(nonce, 5, side, price_e6, E6, 0, False, 0, 0),
                   CHAIN.genesis.domain)


def _build(path: Path, orders: int = 12) -> None:
    async def main():
        store = BlockStore(path)
        store.set_genesis(CHAIN.genesis)
        backend = LmdbBackend(store)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend),
                                           clock=lambda: T0 + 10, block_time_ms=1, max_block_txs=5)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        await asyncio.gather(*(sequencer.submit(order(("alice", "bob")[n % 2], n, (40 + n % 3) * E6, n % 2))
                               for n in range(orders)))
        await sequencer.stop()
        store.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_genesis_codec_round_trip_and_refusals():
    genesis = dataclasses.replace(CHAIN.genesis, rate_e6=50_000, taker_fee_ppm=0)
    assert decode_genesis(encode_genesis(genesis)) == genesis
    with pytest.raises(ValueError):
        encode_genesis(dataclasses.replace(genesis, extra={"x": 1}))
    with pytest.raises(ValueError):
        decode_genesis(encode_genesis(genesis) + b"\x00")


def test_genesis_is_stored_with_block_zero_and_checked_later(tmp_path: Path):
    path = tmp_path / "db"
    with BlockStore(path) as store:  # declared, but no block yet: nothing stored
        store.set_genesis(CHAIN.genesis)
        assert store.genesis() is None
    with BlockStore(path) as store:
        assert store.genesis() is None and store.head() is None
    _build(path)
    with BlockStore(path) as store:
        assert store.genesis() == CHAIN.genesis
        store.set_genesis(CHAIN.genesis)  # the same: fine
        with pytest.raises(StoreError):
            store.set_genesis(dataclasses.replace(CHAIN.genesis, genesis_time=T0 + 1))


def test_replay_from_the_stored_genesis_matches_every_block(tmp_path: Path):
    path = tmp_path / "db"
    _build(path)
    with BlockStore(path) as store:
        result = replay(store)
        head = store.head()
    assert result.ok and result.blocks == head.number and result.root == head.state_root
    assert result.transactions == len(CHAIN.setup_txs) + 12
    with BlockStore(path) as store:
        partial = replay(store, upto=2)
        wrong = replay(store, dataclasses.replace(CHAIN.genesis, maker_fee_ppm=7))
    assert partial.ok and partial.blocks == 2
    assert wrong.mismatch is not None and wrong.mismatch.number == 0 and wrong.mismatch.field == "state_root"


def test_replay_reports_the_first_block_that_differs(tmp_path: Path):
    path = tmp_path / "db"
    store = BlockStore(path)
    store.set_genesis(CHAIN.genesis)
    backend = LmdbBackend(store)
    state = State(backend)
    initialise(state, CHAIN.genesis)
    backend.commit_block(0, T0, [], [])
    txs = list(CHAIN.setup_txs)
    result = apply_block(state, BlockEnv(1, T0 + 1), txs)
    deposits = state.get(keys.GLOBALS).next_deposit_index  # the header records the queue position
    backend.commit_block(1, T0 + 1, txs, result.receipts, deposits_through=deposits)
    raws = [order("alice", 0, 40 * E6)]
    state.put(keys.underlying(99), Underlying(b"XXX"))  # a state change no transaction made
    result = apply_block(state, BlockEnv(2, T0 + 2), raws)
    backend.commit_block(2, T0 + 2, raws, result.receipts, deposits_through=deposits)
    outcome = replay(store)
    store.close()
    assert outcome.blocks == 2 and outcome.mismatch is not None
    assert outcome.mismatch.number == 2 and outcome.mismatch.field == "state_root"


def test_replay_needs_a_genesis(tmp_path: Path):
    with BlockStore(tmp_path / "empty") as store:
        with pytest.raises(StoreError):
            replay(store, CHAIN.genesis)
