"""Risk queries: margin breakdown, portfolio Greeks and what-if fills, against the STF itself."""

from __future__ import annotations

import pytest

from node.stf import keys, margin, risk
from node.stf.errors import FailureCode
from node.stf.fixedpoint import E6, E6_TO_WAD, PPM_DENOMINATOR, sdiv
from node.stf.optionmath import bs_price_and_greeks, years_from_seconds_wad
from node.stf.scenarios import SCENARIOS
from node.stf.txtypes import PlaceOrder
from node.wallet import address_of
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain

SERIES = (
    (EXPIRY_25DEC26, 3000, True),
    (EXPIRY_25DEC26, 3200, True),
    (EXPIRY_25DEC26, 2800, False),
    (EXPIRY_29JAN27, 3000, True),
    (EXPIRY_29JAN27, 2600, False),
)


@pytest.fixture(scope="module")
def market() -> tuple[Chain, list[int], list[int]]:
    """ETH series (ids) and two BTC series (btc ids), marked. Read-only for the tests below."""
    chain = Chain()
    ids = chain.market(series=SERIES)
    receipts = chain.run(chain.listing(2, EXPIRY_25DEC26, 100_000, True), chain.listing(2, EXPIRY_25DEC26, 90_000, False))
    btc = [int(r.detail.split()[-1]) for r in receipts]
    chain.instruments.extend(btc)
    assert chain.run(chain.oracle(2, 98_000, 0.55, expiries=(EXPIRY_25DEC26,)))[0].ok
    return chain, ids, btc


PORTFOLIOS = [
    ((0, -1_000_000),),
    ((0, -1_000_000), (1, 1_000_000)),
    ((0, 2_500_000), (2, -3_700_000), (3, -100_000), (4, 1_300_000)),
    ((1, 333_333), (2, -777_777), (3, 1_234_567)),
    ((0, 1_000_000),),
]


@pytest.mark.parametrize("portfolio", PORTFOLIOS)
def test_contributions_add_up_to_the_worst_loss(market, portfolio):
    chain, ids, btc = market
    positions = tuple(sorted((ids[i], s) for i, s in portfolio)) + ((btc[0], -2_000_000), (btc[1], 700_000))
    summary = margin.summarise_positions(chain.state, 5_000 * E6, positions)
    b = risk.margin_breakdown_positions(chain.state, 5_000 * E6, positions)
    assert (b.maintenance_e6, b.initial_e6, b.cash_e6, b.value_e6) == (
        summary.maintenance_e6, summary.initial_e6, summary.cash_e6, summary.value_e6)
    assert b.available_e6 == summary.equity_e6 - summary.initial_e6
    assert b.meets_initial == summary.meets_initial() and b.complete and not b.unmarked
    assert len(b.underlyings) == 2
    for part, risk_u in zip(b.underlyings, summary.underlyings):
        k = risk_u.worst_scenario
        assert part.worst.index == k
        assert part.scenario_loss_e6 == risk_u.scenario_loss_e6[k]
        assert part.worst_loss_e6 == max(part.scenario_loss_e6, 0) == risk_u.worst_loss_e6
        assert part.maintenance_e6 == part.worst_loss_e6 + part.addon_e6
        # exactly, thanks to cumulative rounding ...
        assert sum(p.contribution_e6 for p in part.positions) == part.scenario_loss_e6
        # ... and each within one unit of its exact share
        weight = SCENARIOS[k][2]
        for p in part.positions:
            exact_times_d = -p.size_e6 * p.scenario_pnl_e6 * weight
            assert abs(p.contribution_e6 * E6 * PPM_DENOMINATOR - exact_times_d) < E6 * PPM_DENOMINATOR
            mark = chain.state.get(keys.mark(p.instrument_id))
            assert p.scenario_pnl_e6 == mark.scenario_pnl_e6[k]
            assert p.mark_e6 == mark.mark_e6
    assert sum(p.value_e6 for u in b.underlyings for p in u.positions) <= b.value_e6


def test_breakdown_of_a_real_account_and_the_worked_example(market):
    """The README's worked example: short one ATM call, 24 days, 65%: spot +15% / vol up."""
    chain, ids, _ = market
    maker, seller = chain.trader("bd-maker", 1_000_000), chain.trader("bd-seller", 700)
    assert chain.run(chain.order(maker, ids[0], 0, 150, 1))[0].ok
    assert chain.run(chain.order(seller, ids[0], 1, 150, 1, tif=1))[0].filled_e6 == E6
    b = risk.margin_breakdown(chain.state, address_of(seller))
    assert b == risk.margin_breakdown_positions(chain.state, chain.balance(seller), ((ids[0], -E6),))
    (part,) = b.underlyings
    assert part.worst.description == "spot +15%, vol up"
    assert (part.worst.spot_move_ppm, part.worst.vol_direction, part.worst.weight_ppm) == (150_000, 1, PPM_DENOMINATOR)
    (pos,) = part.positions
    assert pos.vol_shock_ppm == 300_000  # 24 days: +-30%
    assert pos.scenario_vol_e6 == pos.vol_e6 * 13 // 10
    assert pos.contribution_e6 == part.worst_loss_e6 == pos.scenario_pnl_e6
    assert part.addon_e6 == 30 * E6
    assert b.meets_initial and b.available_e6 > 0
    assert risk.margin_breakdown(chain.state, b"\x99" * 20).maintenance_e6 == 0


def test_scenario_descriptions():
    assert risk.scenario_move(0).description == "spot -15%, vol down"
    assert risk.scenario_move(10).description == "spot 0%, vol flat"
    assert risk.scenario_move(21).description == "spot -30%, vol up, loss counts at 35%"
    assert risk.scenario_move(22).spot_move_ppm == 300_000


def test_greeks_of_a_long_call_match_the_option_math(market):
    chain, ids, _ = market
    size = 2_500_000
    mark = chain.state.get(keys.mark(ids[0]))
    inst = chain.state.get(keys.instrument(ids[0]))
    r = bs_price_and_greeks(mark.index_e6 * E6_TO_WAD, inst.strike_e6 * E6_TO_WAD,
                            years_from_seconds_wad(inst.expiry - mark.time), mark.vol_e6 * E6_TO_WAD, 0, True)
    assert sdiv(r.price, E6_TO_WAD) == mark.mark_e6
    g = risk.positions_greeks(chain.state, ((ids[0], size),))
    for name in ("delta", "gamma", "vega", "theta"):
        assert getattr(g, name) == sdiv(getattr(r, name) * size, E6), name
    assert g.delta == r.delta * 5 // 2  # 2.5 contracts
    assert g.complete and len(g.underlyings) == 1 and g.underlyings[0].delta == g.delta


def test_greek_signs_and_totals(market):
    chain, ids, btc = market
    call, put = ids[0], ids[2]
    long_call = risk.positions_greeks(chain.state, ((call, E6),))
    long_put = risk.positions_greeks(chain.state, ((put, E6),))
    short_call = risk.positions_greeks(chain.state, ((call, -E6),))
    assert long_call.delta > 0 and long_put.delta < 0 and short_call.delta < 0
    assert long_call.gamma > 0 and long_call.vega > 0 and long_call.theta < 0
    assert short_call.gamma < 0 and short_call.vega < 0 and short_call.theta > 0
    both = risk.positions_greeks(chain.state, ((call, E6), (put, E6), (btc[0], -E6)))
    assert [u.underlying_id for u in both.underlyings] == [1, 2]
    eth, btc_g = both.underlyings
    assert eth.delta == long_call.delta + long_put.delta  # exact here: whole contracts
    assert btc_g.delta < 0
    assert both.vega == eth.vega + btc_g.vega and both.theta == eth.theta + btc_g.theta
    assert risk.positions_greeks(chain.state, ((999, E6),)).complete is False


# -- what-if against the real thing --------------------------------------------------


def _what_if_then_trade(chain: Chain, trader: bytes, maker: bytes, inst: int, side: int,
                        price: float, size: float, maker_rests: bool = True):
    """Ask ``what_if``, then really place the IOC order against a resting maker; both results."""
    if maker_rests:
        assert chain.run(chain.order(maker, inst, 1 - side, price, size))[0].ok
    address = address_of(trader)
    before_account = chain.account(trader)
    w = risk.what_if(chain.state, address, inst, side, int(round(price * E6)), int(round(size * E6)))
    (receipt,) = chain.run(chain.order(trader, inst, side, price, size, tif=1))
    if maker_rests:
        chain.run(chain.cancel_all(maker))
    return w, receipt, before_account


def test_what_if_accepted_matches_the_fill(market):
    chain, ids, _ = market
    maker, trader = chain.trader("wi-maker-1", 1_000_000), chain.trader("wi-1", 700)
    w, receipt, before = _what_if_then_trade(chain, trader, maker, ids[0], 1, 150, 1)
    assert w.accepted and w.meets_initial and receipt.ok and receipt.filled_e6 == E6
    (fill,) = receipt.fills
    assert w.fee_e6 == fill.taker_fee_e6 and w.premium_e6 == 150 * E6
    after = chain.account(trader)
    assert after.balance_e6 == before.balance_e6 + w.cash_delta_e6
    assert margin.summarise(chain.state, after) == w.after
    assert w.before == margin.summarise(chain.state, before)


def test_what_if_insufficient_margin_matches_the_refusal(market):
    chain, ids, _ = market
    maker, trader = chain.trader("wi-maker-2", 1_000_000), chain.trader("wi-2", 300)
    w, receipt, _ = _what_if_then_trade(chain, trader, maker, ids[0], 1, 150, 1)
    assert w.code == FailureCode.INSUFFICIENT_MARGIN == receipt.code
    assert not w.accepted and not w.meets_initial and not w.reduces_risk
    assert w.after is not None and w.after.initial_excess_e6 < 0
    assert chain.account(trader).positions == ()


def test_what_if_insufficient_balance_matches_the_refusal(market):
    chain, ids, _ = market
    maker, trader = chain.trader("wi-maker-3", 1_000_000), chain.trader("wi-3", 100)
    w, receipt, _ = _what_if_then_trade(chain, trader, maker, ids[0], 0, 150, 1)
    assert w.code == FailureCode.INSUFFICIENT_BALANCE == receipt.code


def test_what_if_invalid_order_matches_the_validation(market):
    chain, ids, _ = market
    trader = chain.trader("wi-4", 1_000)
    address = address_of(trader)
    cases = [
        ((ids[0], 0, 150_050_000, E6), FailureCode.PRICE_OFF_TICK),  # tick 0.1
        ((ids[0], 0, 150 * E6, 50_000), FailureCode.SIZE_BELOW_MINIMUM),
        ((9_999, 0, 150 * E6, E6), FailureCode.UNKNOWN_INSTRUMENT),
        ((ids[0], 2, 150 * E6, E6), FailureCode.BAD_SIDE),
    ]
    for (inst, side, price, size), code in cases:
        w = risk.what_if(chain.state, address, inst, side, price, size)
        assert w.code == code and w.after is None
        order = chain.signed(trader, PlaceOrder, instrument_id=inst, side=side, price_e6=price, size_e6=size,
                             time_in_force=1, reduce_only=False, client_order_id=0, expiry=0)
        (receipt,) = chain.run(order)
        assert receipt.code == code


def test_what_if_below_initial_reducing_risk_is_accepted():
    """An account pushed below initial margin by the market may still buy back part of its short."""
    chain = Chain()
    (call,) = chain.market()
    maker, trader = chain.trader("wr-maker", 1_000_000), chain.trader("wr", 700)
    assert chain.run(chain.order(maker, call, 0, 150, 1))[0].ok
    assert chain.run(chain.order(trader, call, 1, 150, 1, tif=1))[0].filled_e6 == E6
    assert chain.run(chain.oracle(1, 3250))[0].ok  # the index rises: the short call loses
    summary = margin.summarise(chain.state, chain.account(trader))
    assert not summary.meets_initial() and not summary.below_maintenance()
    mark = chain.state.get(keys.mark(call)).mark_e6
    price = (mark // 100_000 + 1) * 100_000 / E6  # just above the mark: excess over initial rises
    w, receipt, _ = _what_if_then_trade(chain, trader, maker, call, 0, price, 0.1)
    assert w.accepted and w.reduces_risk and not w.meets_initial
    assert receipt.ok and receipt.filled_e6 == E6 // 10
    assert margin.summarise(chain.state, chain.account(trader)) == w.after
    # Selling more from there deepens the shortfall: refused by both.
    w2, receipt2, _ = _what_if_then_trade(chain, trader, maker, call, 1, price, 0.1)
    assert w2.code == FailureCode.INSUFFICIENT_MARGIN == receipt2.code
