"""The liquidation auction ends when its account recovers, at the account's next touch, so a
later fall starts a fresh auction at the smallest discount."""

from __future__ import annotations

import pytest

from node.stf import keys, margin
from node.stf.liquidation import START_DISCOUNT_PPM, discount_ppm
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.node.stf.test_settlement import fix_price, settle

BUY, SELL = 0, 1


def _fall(chain: Chain, seller: bytes, index: int) -> None:
    chain.run(chain.oracle(1, index, 0.65))
    assert margin.summarise(chain.state, chain.account(seller)).below_maintenance()


def _recover_by_deposit(chain: Chain, seller: bytes, inst: int, buyer: bytes) -> None:
    summary = margin.summarise(chain.state, chain.account(seller))
    shortfall = summary.maintenance_e6 - summary.equity_e6
    chain.run(chain.deposit(address_of(seller), (shortfall + 5 * E6) / E6))


def _recover_by_index_then_take(chain: Chain, seller: bytes, inst: int, buyer: bytes) -> None:
    chain.run(chain.oracle(1, 3000, 0.65))
    chain.run(chain.order(buyer, inst, SELL, 210, 0.1))
    (r,) = chain.run(chain.order(seller, inst, BUY, 210, 0.1, tif=1))  # the seller takes: a fill as taker
    assert r.filled_e6 == 100_000


def _recover_by_index_then_make(chain: Chain, seller: bytes, inst: int, buyer: bytes) -> None:
    chain.run(chain.oracle(1, 3000, 0.65))
    chain.run(chain.order(seller, inst, BUY, 190, 0.1))
    (r,) = chain.run(chain.order(buyer, inst, SELL, 190, 0.1, tif=1))  # the seller's order is the maker
    assert r.filled_e6 == 100_000


def _recover_by_index_then_withdraw(chain: Chain, seller: bytes, inst: int, buyer: bytes) -> None:
    chain.run(chain.oracle(1, 3000, 0.65))
    (r,) = chain.run(chain.withdraw(seller, 1))
    assert r.ok


@pytest.mark.parametrize("recover", [
    _recover_by_deposit, _recover_by_index_then_take, _recover_by_index_then_make, _recover_by_index_then_withdraw,
], ids=["deposit", "index-then-taker-fill", "index-then-maker-fill", "index-then-withdrawal"])
def test_a_recovered_account_falls_again_into_a_fresh_auction(thin_short, recover) -> None:
    chain, inst, seller, buyer, keeper = thin_short
    auction_key = keys.auction(address_of(seller))
    _fall(chain, seller, 3300)
    (first,) = chain.run(chain.liquidate(keeper, seller, inst, 0.1))
    assert first.ok and chain.state.get(auction_key).start_time == chain.time

    recover(chain, seller, inst, buyer)  # the account is touched once it is healthy again
    assert not margin.summarise(chain.state, chain.account(seller)).below_maintenance()
    assert chain.state.get(auction_key) is None

    chain.run(chain.oracle(1, 3000, 0.65), dt=600)  # ten minutes: an old auction would be at 5.5%
    _fall(chain, seller, 3450)
    mark = chain.state.get(keys.mark(inst))
    (again,) = chain.run(chain.liquidate(keeper, seller, inst, 0.1))
    assert again.ok and chain.state.get(auction_key).start_time == chain.time
    (fill,) = again.fills
    assert fill.price_e6 == mark.mark_e6 + mark.index_e6 * START_DISCOUNT_PPM // 10**6  # the smallest discount
    assert discount_ppm(0) == START_DISCOUNT_PPM


def test_an_account_still_below_maintenance_keeps_its_auction(thin_short) -> None:
    chain, inst, seller, _, keeper = thin_short
    auction_key = keys.auction(address_of(seller))
    _fall(chain, seller, 3300)
    (first,) = chain.run(chain.liquidate(keeper, seller, inst, 0.1))
    start = chain.state.get(auction_key).start_time
    chain.run(chain.deposit(address_of(seller), 1))  # a touch that does not restore maintenance
    assert margin.summarise(chain.state, chain.account(seller)).below_maintenance()
    assert chain.state.get(auction_key).start_time == start


def test_a_settlement_touch_ends_the_auction_of_an_account_the_fix_restored() -> None:
    """Long a December call, short January puts: a fall starts an auction; the rally that
    fixes December's price restores the account, and settling the call (a touch) ends it."""
    chain = Chain()
    call, put = chain.market(index=3000, vol=0.65,
                             series=((EXPIRY_25DEC26, 3000, True), (EXPIRY_29JAN27, 2800, False)))
    trader, street, keeper = chain.trader("trader", 930), chain.trader("street"), chain.trader("keeper", 1_000_000)
    chain.run(chain.order(street, call, SELL, 199.3, 1), chain.order(trader, call, BUY, 199.3, 1, tif=1))
    chain.run(chain.order(street, put, BUY, 211.8, 2), chain.order(trader, put, SELL, 211.8, 2, tif=1))
    assert chain.position(trader, call) == E6 and chain.position(trader, put) == -2 * E6
    _fall(chain, trader, 2700)
    assert chain.run(chain.liquidate(keeper, trader, put, 0))[0].ok  # the auction starts
    auction_key = keys.auction(address_of(trader))

    fix_price(chain, 3300 * E6)  # December settles at 3,300: the call pays 300, the puts are far out of the money
    assert not margin.summarise(chain.state, chain.account(trader)).below_maintenance()
    assert chain.state.get(auction_key) is not None  # not touched yet
    (settled,) = chain.run(settle(chain, keeper, trader, call))
    assert settled.ok and chain.position(trader, put) == -2 * E6
    assert chain.state.get(auction_key) is None
