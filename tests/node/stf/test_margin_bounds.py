"""The margin check's fast code (packed vectors, a cheap sufficient test) against a plain
transcription of the rules in ``margin.py``'s docstring, on random accounts."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import keys, margin, vectors
from node.stf.records import Account, Mark, OrderTotals
from node.stf.scenarios import N_SCENARIOS
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain

PPM = 10**6
SCALE = E6 * PPM


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def reference_backing(chain: Chain, account: Account) -> margin.Backing:
    """``margin.backing`` written out from the docstring, one scenario and one series at a time."""
    state = chain.state
    config = state.get(keys.CONFIG)
    held = dict(account.positions)
    totals = {t.instrument_id: t for t in account.order_totals}
    by_underlying: dict[int, list[tuple[int, int, Mark]]] = defaultdict(list)
    value = haircut = bid_notional = fee_sum = 0
    for instrument_id in sorted(set(held) | set(totals)):
        mark: Mark = state.get(keys.mark(instrument_id))
        position, t = held.get(instrument_id, 0), totals.get(instrument_id, OrderTotals(instrument_id))
        value += position * mark.mark_e6
        index = state.get(keys.underlying(mark.underlying_id)).index_price_e6
        bid_notional += t.bid_notional_e12
        fee_sum += min(config.maker_fee_ppm * index * (t.bid_size_e6 + t.ask_size_e6),
                       config.fee_cap_ppm * (t.bid_notional_e12 + t.ask_notional_e12))
        if t.bid_size_e6:
            haircut += t.bid_size_e6 * max(0, t.bid_max_e6 - mark.mark_e6)
        if t.ask_size_e6:
            haircut += t.ask_size_e6 * max(0, mark.mark_e6 - t.ask_min_e6)
        by_underlying[mark.underlying_id].append((position - t.ask_size_e6, position + t.bid_size_e6, mark))
    fees = ceil_div(fee_sum, SCALE)
    cash = account.balance_e6
    free_cash = cash - ceil_div(bid_notional, E6) - fees
    equity = cash - fees + (value - haircut) // E6
    maintenance = initial = 0
    for underlying_id, items in by_underlying.items():
        index = state.get(keys.underlying(underlying_id)).index_price_e6
        worst = max(0, max(sum(max(low * m.weighted_loss[k], high * m.weighted_loss[k]) for low, high, m in items)
                           for k in range(N_SCENARIOS)))

        def uncovered_term(low: int, high: int, m: Mark, k: int) -> int:
            sizes = {low, high} | ({0} if low < 0 < high else set())
            return max(y * m.weighted_loss[k] - max(0, y) * m.mark_e6 * PPM for y in sizes)

        least_long = sum(max(0, low) * m.mark_e6 for low, _, m in items)
        uncovered = max(max(sum(uncovered_term(lo, hi, m, k) for lo, hi, m in items) for k in range(N_SCENARIOS)),
                        -least_long * PPM)
        calls = sum(low for low, _, m in items if m.vol_e6 and m.is_call)
        puts = sum(low for low, _, m in items if m.vol_e6 and not m.is_call)
        addon = ceil_div((max(-calls, 0) + max(-puts, 0)) * index * 10_000, SCALE)
        mm = ceil_div(worst, SCALE) + addon
        buffer = ceil_div(max(0, ceil_div(uncovered, SCALE) + addon) * 300_000, PPM)
        maintenance += mm
        initial += mm + buffer
    if not account.order_totals:
        free_cash, equity = cash, cash + value // E6
    return margin.Backing(cash, free_cash, equity, maintenance, initial, True)


SERIES = ((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3400, True),
          (EXPIRY_29JAN27, 2600, False))
CHAIN = Chain()
ETH = CHAIN.market(series=SERIES)
_btc = CHAIN.run(CHAIN.listing(2, EXPIRY_25DEC26, 100_000, True, tick=5, min_size=0.01),
                 CHAIN.listing(2, EXPIRY_25DEC26, 95_000, False, tick=5, min_size=0.01))
BTC = [int(r.detail.split()[-1]) for r in _btc]
assert CHAIN.run(CHAIN.oracle(2, 98_000, 0.55))[0].ok
IDS = ETH + BTC

sizes = st.one_of(st.integers(-50 * E6, 50 * E6), st.integers(-(2**120), 2**120))  # also past the base width


@st.composite
def accounts(draw) -> Account:
    chosen = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=len(IDS)))
    positions = tuple(sorted((i, s) for i in chosen if (s := draw(sizes)) != 0))
    totals = []
    for instrument_id in sorted(draw(st.lists(st.sampled_from(IDS), unique=True, max_size=len(IDS)))):
        bids, asks = draw(st.integers(0, 20 * E6)), draw(st.integers(0, 20 * E6))
        if bids == asks == 0:
            continue
        bid_prices = draw(st.lists(st.integers(1, 3_000 * E6), min_size=1, max_size=3))
        ask_prices = draw(st.lists(st.integers(1, 3_000 * E6), min_size=1, max_size=3))
        totals.append(OrderTotals(
            instrument_id, bids, bids * min(bid_prices) if bids else 0, max(bid_prices) if bids else 0,
            asks, asks * max(ask_prices) if asks else 0, min(ask_prices) if asks else 0,
        ))
    cash = draw(st.integers(-10**9, 10**13))
    return Account(cash, positions=positions, order_totals=tuple(totals))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts())
def test_backing_matches_the_rules_written_out(account: Account) -> None:
    assert margin.backing(CHAIN.state, account) == reference_backing(CHAIN, account)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts(), st.integers(-10**6, 10**6))
def test_the_fast_check_decides_as_the_exact_bounds(account: Account, nudge: int) -> None:
    exact = margin.backing(CHAIN.state, account)
    # put the cash right at the edge, where the cheap sufficient test cannot decide alone
    edge = Account(account.balance_e6 - exact.excess_e6 + nudge, positions=account.positions,
                   order_totals=account.order_totals)
    assert margin.meets_initial(CHAIN.state, edge) == margin.backing(CHAIN.state, edge).ok
    assert margin.meets_initial(CHAIN.state, account) == exact.ok


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(2**79) + 1, 2**79 - 1), min_size=N_SCENARIOS, max_size=N_SCENARIOS),
       st.lists(st.integers(-(2**79) + 1, 2**79 - 1), min_size=N_SCENARIOS, max_size=N_SCENARIOS),
       st.integers(-(2**38), 2**38), st.integers(-(2**38), 2**38))
def test_packed_vectors_add_up_exactly(u, v, a, b) -> None:
    width = vectors.BASE_WIDTH
    total = a * vectors.pack(u, width) + b * vectors.pack(v, width)
    expected = [a * x + b * y for x, y in zip(u, v)]
    assert vectors.unpack(total, width) == expected
    assert vectors.max_entry(total, width) == max(expected)
