"""The dev market maker: a book appears around every mark, a taker fills against it, re-quotes are light."""

from __future__ import annotations

import asyncio

import pytest

from node.sequencer.dev import bootstrap, dev_chain, dev_key
from node.sequencer.dev_market import DevMarketMaker, quote_prices
from node.sequencer.dev_oracle import DevOracle
from node.sequencer.sequencer import Sequencer
from node.stf import accounts, book, keys
from node.stf.params import MAX_OPEN_ORDERS
from node.stf.state import State
from node.stf.txtypes import PlaceOrder, Side, TimeInForce
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6
MAKER = address_of(dev_key("maker"))


def run(coro, timeout: float = 30.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def _settle(futures) -> list:
    return [await f for f in futures]


async def _node() -> Sequencer:
    sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, block_time_ms=1)
    await sequencer.start()
    await bootstrap(sequencer, CHAIN)
    return sequencer


def test_quote_prices_are_on_the_tick_and_around_the_mark():
    bids, asks = quote_prices(123_456_789, 100_000, 3)
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert all(p % 100_000 == 0 for p in bids + asks)
    assert bids[0] < 123_456_789 < asks[0] and len(bids) == len(asks) == 3
    # a nearly worthless series: no bid below one tick, asks only
    bids, asks = quote_prices(30_000, 100_000, 3)
    assert bids == [] and asks[0] == 200_000


def test_a_book_appears_around_every_mark_and_a_taker_fills():
    async def scenario():
        sequencer = await _node()
        maker = DevMarketMaker(sequencer)
        results = await _settle(maker.step())
        view = State(sequencer.state.backend)
        tops = {}
        for instrument_id in range(1, CHAIN.series_count + 1):
            inst = view.get(keys.instrument(instrument_id))
            tops[instrument_id] = (inst, view.get(keys.mark(instrument_id)).mark_e6)
        open_orders = len(accounts.load(view, MAKER).open_orders)
        # alice lifts the best ask of the ETH 3000 call (instrument 5) with an IOC order
        inst, mark = tops[5]
        body = PlaceOrder(0, 5, int(Side.BUY), inst.best_ask_e6, inst.min_size_e6, int(TimeInForce.IOC), False, 0, 0)
        number, receipt = await sequencer.submit(sign_tx(CHAIN.accounts["alice"], body, CHAIN.genesis.domain))
        levels = book.side_levels(State(sequencer.state.backend), 5, Side.SELL, 10)
        await sequencer.stop()
        return maker, results, tops, open_orders, receipt, levels

    maker, results, tops, open_orders, receipt, levels = run(scenario())
    assert all(r.ok for _, r in results), [r.detail for _, r in results if not r.ok]
    assert maker.requotes == CHAIN.series_count and maker.failed == 0
    assert open_orders <= MAX_OPEN_ORDERS
    for instrument_id, (inst, mark) in tops.items():
        assert inst.best_ask_e6 > mark, instrument_id
        assert inst.best_bid_e6 < mark, instrument_id
        if mark > 10 * inst.tick_size_e6:  # two-sided wherever a bid above one tick makes sense
            assert inst.best_bid_e6 > 0, instrument_id
            assert inst.best_ask_e6 - inst.best_bid_e6 <= mark // 5 + 2 * inst.tick_size_e6
    assert receipt.ok and receipt.filled_e6 == tops[5][0].min_size_e6
    assert receipt.fills[0].maker == MAKER and receipt.fills[0].price_e6 == tops[5][0].best_ask_e6
    assert levels  # the rest of the ask is still there


def test_requotes_follow_the_marks():
    async def scenario():
        sequencer = await _node()
        maker = DevMarketMaker(sequencer, levels=3, requote_ppm=0)
        first = await _settle(maker.step())
        idle = maker.step()  # nothing moved: nothing to send
        oracle = DevOracle(sequencer, seed=5, speed=200.0)
        await _settle([f for _, f in oracle.step()])
        second = await _settle(maker.step())
        view = State(sequencer.state.backend)
        bids = book.side_levels(view, 5, Side.BUY, 10)
        await sequencer.stop()
        return maker, first, idle, second, bids

    maker, first, idle, second, bids = run(scenario())
    # 60 series and 120 free slots: one level a side (the budget decides, not `levels`)
    assert 60 < len(first) <= 120 and idle == []
    assert 0 < len(second)
    assert all(r.ok for _, r in second), [r.detail for _, r in second if not r.ok]
    assert len(bids) == 1
    assert maker.requotes > 60  # the series whose marks moved were re-quoted


def test_more_levels_with_fewer_series():
    async def scenario():
        sequencer = await _node()
        maker = DevMarketMaker(sequencer, levels=3, max_series=4)
        results = await _settle(maker.step())
        view = State(sequencer.state.backend)
        levels = {i: (len(book.side_levels(view, i, Side.BUY, 10)), len(book.side_levels(view, i, Side.SELL, 10)))
                  for i in range(1, CHAIN.series_count + 1)}
        await sequencer.stop()
        return results, levels

    results, levels = run(scenario())
    assert all(r.ok for _, r in results)
    quoted = {i: pair for i, pair in levels.items() if pair != (0, 0)}
    # the first expiry's at-the-money series come first: ETH 3000 C/P (5, 6) and BTC 100000 C/P (35, 36)
    assert quoted == {5: (3, 3), 6: (3, 3), 35: (3, 3), 36: (3, 3)}


def test_a_restart_cancels_leftover_quotes_first():
    async def scenario():
        sequencer = await _node()
        await _settle(DevMarketMaker(sequencer).step())
        again = DevMarketMaker(sequencer)  # a new process: no memory of the quotes
        results = await _settle(again.step())
        open_orders = len(accounts.load(State(sequencer.state.backend), MAKER).open_orders)
        await sequencer.stop()
        return results, open_orders

    results, open_orders = run(scenario())
    assert results[0][1].detail == "120 orders cancelled"
    assert all(r.ok for _, r in results) and open_orders <= 120


@pytest.mark.parametrize("bad", [dict(levels=0), dict(size_lots=0), dict(max_txs_per_round=2)])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        DevMarketMaker.__init__(object.__new__(DevMarketMaker), None, **bad)
