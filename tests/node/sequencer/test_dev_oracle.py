"""The dev oracle: a seeded price path, updates the STF accepts, continuation after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from node.sequencer.dev import ORACLE_KEY, bootstrap, dev_chain
from node.sequencer.dev_oracle import (
    DevOracle,
    PricePath,
    first_free_nonce,
    listed_underlyings,
)
from node.sequencer.sequencer import Sequencer
from node.stf import keys
from node.stf.oracle import validate_surface
from node.stf.records import Underlying
from node.stf.state import State
from node.stf.txtypes import VolPoint
from node.store import BlockStore, LmdbBackend
from node.store.sink import LmdbBlockSink
from node.wallet import address_of

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def run(coro, timeout: float = 30.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_price_path_is_seeded_bounded_and_moves():
    surface = (VolPoint(T0 + 86_400, 650_000, 0, 0), VolPoint(T0 + 7 * 86_400, 650_000, 0, 0))
    underlying = Underlying(b"ETH", 3_000 * E6, T0, surface, ())

    def walk(seed):
        path, current, out = PricePath(seed, speed=50.0), underlying, []
        for _ in range(200):
            step = path.step(1, current)
            validate_surface(step.surface)  # never refused by the STF for its contents
            assert abs(step.index_price_e6 - current.index_price_e6) <= current.index_price_e6 // 100 + 10_000
            current = Underlying(b"ETH", step.index_price_e6, T0, step.surface, ())
            out.append(step.index_price_e6)
        return out

    first = walk(7)
    assert first == walk(7)  # same seed, same path
    assert first != walk(8)
    assert len(set(first)) > 100  # it moves
    assert all(p % 10_000 == 0 and p > 0 for p in first)


def test_first_free_nonce_is_above_every_used_one():
    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        await sequencer.stop()
        return sequencer

    sequencer = run(scenario())
    view = State(sequencer.state.backend)
    assert first_free_nonce(view, address_of(ORACLE_KEY)) == 2  # the dev chain's set-up used 0 and 1
    assert first_free_nonce(view, b"\x42" * 20) == 0


def _oracle_rounds(sequencer: Sequencer, oracle: DevOracle, rounds: int):
    async def go():
        updates = []
        for _ in range(rounds):
            submitted = oracle.step()
            for update, future in submitted:
                number, receipt = await future
                assert receipt.ok, (receipt.code.name, receipt.detail)
                assert receipt.detail == "30 series marked"
                updates.append(update)
        return updates
    return go()


def _indexes(sequencer: Sequencer) -> dict[int, int]:
    return {uid: u.index_price_e6 for uid, u in listed_underlyings(State(sequencer.state.backend))}


def test_updates_are_accepted_and_continue_after_a_restart(tmp_path: Path):
    path = tmp_path / "db"
    clock = [T0 + 10]

    async def first_run():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend),
                                           clock=lambda: clock[0], block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        genesis_indexes = _indexes(sequencer)
        oracle = DevOracle(sequencer, seed=3, speed=20.0)
        updates = await _oracle_rounds(sequencer, oracle, 5)
        after = _indexes(sequencer)
        mark = State(backend).get(keys.mark(1))
        await sequencer.stop()
        store.close()
        return genesis_indexes, updates, after, mark

    genesis_indexes, updates, after, mark = run(first_run())
    assert len(updates) == 10 and [u.nonce for u in updates] == list(range(2, 12))
    assert after != genesis_indexes  # prices moved
    assert after == {u.underlying_id: u.index_price_e6 for u in updates[-2:]}
    assert mark.index_e6 == after[1]

    async def second_run():
        store = BlockStore(path)
        backend = LmdbBackend(store)
        sequencer = Sequencer(State(backend), sink=LmdbBlockSink(backend), clock=lambda: clock[0], block_time_ms=1)
        await sequencer.start()
        resumed = _indexes(sequencer)
        oracle = DevOracle(sequencer, seed=3, speed=20.0)
        more = await _oracle_rounds(sequencer, oracle, 2)
        await sequencer.stop()
        store.close()
        return resumed, more

    resumed, more = run(second_run())
    assert resumed == after
    assert [u.nonce for u in more] == [12, 13, 14, 15]  # nonces the state has not used
    for update in more[:2]:  # each first update of the new run moves from the last committed index
        previous = after[update.underlying_id]
        assert abs(update.index_price_e6 - previous) <= previous // 100 + 10_000


def test_the_task_runs_on_its_interval_and_stops():
    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        oracle = DevOracle(sequencer, interval_s=0.02, seed=1)
        oracle.start()
        assert oracle.running
        for _ in range(200):
            await asyncio.sleep(0.01)
            if oracle.accepted >= 6:
                break
        await oracle.stop()
        assert not oracle.running
        await sequencer.stop()
        return oracle

    oracle = run(scenario())
    assert oracle.accepted >= 6 and oracle.failed == 0


@pytest.mark.parametrize("bad", [dict(interval_s=0), dict(max_move_ppm=0), dict(speed=-1)])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        PricePath(0, **bad)
