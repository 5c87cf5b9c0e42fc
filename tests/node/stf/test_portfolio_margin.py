"""Properties of portfolio margin on random portfolios (hypothesis).

Portfolios are built the way ``optrollup margin`` builds them (genesis, listings and an
oracle update through the STF's own rules, flat volatility per expiry), except the
buy-back property, which trades through a real chain.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.cli import margin as margin_cli
from node.stf import keys, margin, risk
from node.stf.fixedpoint import E6, mul_div_up
from node.stf.instruments import series_name
from node.wallet import address_of
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain

NOW = 1_796_112_000  # 2026-12-01 08:00 UTC
DAY = 86_400
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

expiry_days = st.sampled_from((1, 3, 7, 14, 24, 45, 90, 180, 365, 730))
spots = st.integers(min_value=50, max_value=100_000)
vols = st.integers(min_value=5, max_value=300).map(lambda pct: Decimal(pct) / 100)
sizes = st.integers(min_value=1, max_value=500).map(lambda tenths: Decimal(tenths) / 10)  # 0.1 .. 50
moneyness = st.integers(min_value=50, max_value=160)  # strike as % of spot


def _strike(spot: int, pct: int) -> int:
    return max(1, spot * pct // 100)


def _name(days: int, strike: int, is_call: bool) -> str:
    return series_name("ETH", NOW + days * DAY, strike * E6, is_call)


def evaluate(spot: int, vol: Decimal, legs: list[tuple[str, Decimal]]) -> margin_cli.Evaluation:
    """``optrollup margin`` on these legs (``(instrument name, signed contracts)``)."""
    data = {"now": NOW, "underlying": "ETH", "spot": str(spot), "vol": str(vol),
            "positions": [{"instrument": n, "size": str(s)} for n, s in legs]}
    return margin_cli.evaluate(margin_cli.parse_portfolio(data))


def positions_of(ev: margin_cli.Evaluation) -> dict[str, tuple[int, int]]:
    """Instrument name -> (instrument id, size e6) of an evaluation."""
    return {h.name: (i, h.size_e6) for h, i in zip(ev.portfolio.holdings, ev.instrument_ids)}


@st.composite
def vertical_spreads(draw):
    """Two strikes of one kind and expiry, one long and one short, the same size."""
    spot = draw(spots)
    low, high = sorted(draw(st.lists(moneyness, min_size=2, max_size=2, unique=True)))
    k_low, k_high = _strike(spot, low), _strike(spot, high)
    if k_low == k_high:
        k_high += 1
    return spot, draw(vols), draw(expiry_days), k_low, k_high, draw(st.booleans()), draw(sizes), draw(st.booleans())


@SETTINGS
@given(vertical_spreads())
def test_vertical_spread_never_needs_more_than_its_width(spread):
    spot, vol, days, k_low, k_high, is_call, size, short_low = spread
    sign = -1 if short_low else 1
    legs = [(_name(days, k_low, is_call), sign * size), (_name(days, k_high, is_call), -sign * size)]
    ev = evaluate(spot, vol, legs)
    b = ev.breakdown
    size_e6 = int(size * E6)
    width_e6 = (k_high - k_low) * E6
    # each leg's scenario P&L is the difference of two floored values: < 2 units per contract
    slack = 2 * mul_div_up(size_e6, 1, E6) + 2
    assert b.underlyings[0].addon_e6 == 0  # a covered short carries no add-on
    assert b.maintenance_e6 <= width_e6 * size_e6 // E6 + slack
    # tighter: the worst terminal loss from today's value (value ranges over [-width, 0] when
    # short the dearer leg, [0, width] when long it)
    short_dearer = short_low == is_call
    floor_value = -width_e6 * size_e6 // E6 if short_dearer else 0
    assert b.maintenance_e6 <= b.value_e6 - floor_value + slack


@st.composite
def hedged_shorts(draw):
    """A naked short and a long of the same kind and expiry, further out of the money, at most its size."""
    spot = draw(spots)
    is_call = draw(st.booleans())
    a, b = sorted(draw(st.lists(moneyness, min_size=2, max_size=2, unique=True)))
    short_pct, long_pct = (a, b) if is_call else (b, a)
    k_short, k_long = _strike(spot, short_pct), _strike(spot, long_pct)
    if k_short == k_long:
        k_long += 1 if is_call else -1
    size = draw(sizes)
    hedge = draw(st.integers(min_value=1, max_value=int(size * 10))) / Decimal(10)
    return spot, draw(vols), draw(expiry_days), is_call, k_short, k_long, size, hedge


@SETTINGS
@given(hedged_shorts())
def test_adding_the_long_leg_of_a_spread_never_raises_maintenance_or_initial_margin(case):
    spot, vol, days, is_call, k_short, k_long, size, hedge = case
    if k_long <= 0:
        return
    short_name, long_name = _name(days, k_short, is_call), _name(days, k_long, is_call)
    ev = evaluate(spot, vol, [(short_name, -size), (long_name, hedge)])
    held = positions_of(ev)
    naked = margin.summarise_positions(ev.state, 0, (held[short_name],))
    hedged = margin.summarise_positions(ev.state, 0, tuple(sorted([held[short_name], held[long_name]])))
    assert hedged.maintenance_e6 <= naked.maintenance_e6
    assert hedged.initial_e6 <= naked.initial_e6  # the long leg's value also covers part of the loss


@st.composite
def portfolios(draw, max_legs: int = 6):
    spot = draw(spots)
    legs = []
    for _ in range(draw(st.integers(min_value=1, max_value=max_legs))):
        strike = _strike(spot, draw(moneyness))
        size = draw(sizes) * draw(st.sampled_from((-1, 1)))
        legs.append((_name(draw(expiry_days), strike, draw(st.booleans())), size))
    return spot, draw(vols), legs


@SETTINGS
@given(portfolios(), st.integers(min_value=2, max_value=20))
def test_margin_is_linear_in_size(portfolio, n):
    spot, vol, legs = portfolio
    one = evaluate(spot, vol, legs).breakdown
    many = evaluate(spot, vol, [(name, n * size) for name, size in legs]).breakdown
    # each of worst loss and add-on is rounded up once: n x ceil(x) - ceil(n x) is in [0, n)
    assert 0 <= n * one.maintenance_e6 - many.maintenance_e6 <= 2 * (n - 1)
    for a, b in zip(one.underlyings, many.underlyings):
        assert 0 <= n * a.addon_e6 - b.addon_e6 < n
    # initial adds the buffer on the uncovered part, each rounded up once too
    assert 0 <= n * one.initial_e6 - many.initial_e6 <= 4 * (n - 1)


@SETTINGS
@given(portfolios())
def test_margin_is_never_negative_and_contributions_add_up(portfolio):
    spot, vol, legs = portfolio
    ev = evaluate(spot, vol, legs)
    b = ev.breakdown
    assert b.maintenance_e6 >= 0 and b.initial_e6 >= b.maintenance_e6
    assert b.initial_e6 == sum(p.maintenance_e6 + margin.im_buffer_e6(p.uncovered_e6) for p in b.underlyings)
    for part in b.underlyings:
        assert part.worst_loss_e6 >= 0 and part.addon_e6 >= 0
        assert sum(p.contribution_e6 for p in part.positions) == part.scenario_loss_e6
    # the flat-spot, flat-vol scenario prices every series at its mark: no loss there
    if b.underlyings:
        summary = margin.summarise(ev.state, ev.state.get(b"\x01" + margin_cli.HOLDER))
        assert summary.underlyings[0].scenario_loss_e6[10] == 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=2400, max_value=3600), st.booleans(), st.integers(min_value=1, max_value=30))
def test_buying_back_a_short_leaves_no_requirement(strike, is_call, tenths):
    chain = Chain()
    (inst,) = chain.market(series=((EXPIRY_25DEC26, strike, is_call),))
    maker, trader = chain.trader("bb-maker", 1_000_000), chain.trader("bb", 100_000)
    size = tenths / 10
    assert chain.run(chain.order(maker, inst, 0, 100, size))[0].ok
    assert chain.run(chain.order(trader, inst, 1, 100, size, tif=1))[0].filled_e6 == tenths * E6 // 10
    held = risk.margin_breakdown(chain.state, address_of(trader))
    assert held.maintenance_e6 > 0
    assert chain.run(chain.order(maker, inst, 1, 100, size))[0].ok
    assert chain.run(chain.order(trader, inst, 0, 100, size, tif=1))[0].filled_e6 == tenths * E6 // 10
    account = chain.account(trader)
    assert account.positions == ()
    summary = margin.summarise(chain.state, account)
    assert (summary.maintenance_e6, summary.initial_e6, summary.underlyings) == (0, 0, ())
    assert margin.summarise(chain.state, chain.account(maker)).maintenance_e6 == 0


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**200), 2**200), st.integers(1, 2**80))
def test_inlined_ceiling_matches_the_fixed_point_helper(numerator, denominator) -> None:
    from node.stf.fixedpoint import sdiv_ceil
    from node.stf.margin import _ceil_div

    assert _ceil_div(numerator, denominator) == sdiv_ceil(numerator, denominator)


# -- capital efficiency: IM = MM + 30% of what the long value does not cover ------------------


def test_a_long_option_paid_in_full_needs_no_margin_beyond_its_value() -> None:
    """The issue's example: a long 3400 call worth 69.57 needed initial margin 89.45 (1.3 x MM)."""
    chain = Chain()
    (call,) = chain.market(series=((EXPIRY_25DEC26, 3400, True),))  # index 3000, vol 65%, 24 days
    held = margin.summarise_positions(chain.state, 0, ((call, E6),))
    assert (held.value_e6, held.maintenance_e6, held.initial_e6) == (69_569_863, 68_805_650, 68_805_650)
    assert mul_div_up(held.maintenance_e6, 1_300_000, 1_000_000) == 89_447_345  # the old requirement
    seller = chain.trader("seller")
    buyer = chain.trader("buyer", 70.5)  # the premium, 69.6, and the taker fee, 0.9: nothing more
    chain.run(chain.order(seller, call, 1, 69.6, 1))
    (bought,) = chain.run(chain.order(buyer, call, 0, 69.6, 1, tif=1))
    assert bought.filled_e6 == E6 and chain.balance(buyer) == 0
    assert margin.summarise(chain.state, chain.account(buyer)).meets_initial()


@SETTINGS
@given(portfolios())
def test_long_options_need_their_maintenance_and_shorts_thirty_percent_more(portfolio):
    spot, vol, legs = portfolio
    longs = [(name, abs(size)) for name, size in legs]
    b = evaluate(spot, vol, longs).breakdown
    assert b.initial_e6 == b.maintenance_e6 <= b.value_e6 + 1  # never beyond the value (up to rounding)
    shorts = evaluate(spot, vol, [(name, -size) for name, size in longs]).breakdown
    for part in shorts.underlyings:
        assert part.initial_e6 == part.maintenance_e6 + mul_div_up(part.maintenance_e6, 300_000, 1_000_000)


def test_the_naked_short_add_on_takes_the_underlyings_index_not_a_stale_mark() -> None:
    """A series marked at its settlement price keeps that update's index in its mark while the
    underlying's index moves on; it came first in the account and set the add-on's index."""
    chain = Chain()
    expired, live = chain.market(series=((EXPIRY_25DEC26, 3000, False), (EXPIRY_29JAN27, 3000, True)))
    maker, trader = chain.trader("maker", 1_000_000), chain.trader("trader")
    chain.run(chain.order(maker, expired, 1, 150, 1), chain.order(trader, expired, 0, 150, 1),
              chain.order(maker, live, 0, 150, 1), chain.order(trader, live, 1, 150, 1))
    assert chain.account(trader).positions == ((expired, E6), (live, -E6))
    expiries = (EXPIRY_25DEC26, EXPIRY_29JAN27)
    fix = chain.oracle(1, 3000, expiries=expiries, observed=EXPIRY_25DEC26 + 60)
    assert chain.block([fix], dt=EXPIRY_25DEC26 + 60 - chain.time).receipts[0].ok  # fixes its price
    assert chain.run(chain.oracle(1, 3300, expiries=expiries))[0].ok
    assert chain.state.get(keys.mark(expired)).index_e6 == 3000 * E6  # its final mark, not re-marked
    (part,) = margin.summarise(chain.state, chain.account(trader)).underlyings
    assert (part.index_e6, part.addon_e6) == (3300 * E6, 33 * E6)  # 1% of 3300 x 1 naked short call
