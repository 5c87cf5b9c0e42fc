"""The margin check as a fold (``margin_fold.py``): any chunking of an account's series gives
exactly the one-shot integers, the registers round-trip and stay within their bound, and a
fold step reads at most its documented number of records."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import keys, margin, margin_fold
from node.stf.margin_fold import MARGIN_CHUNK, MAX_REGS, MarginAcc, fold, series_ids, start
from node.stf.params import MAX_POSITIONS, MAX_SIZE_E6
from node.stf.records import Account, OrderTotals
from node.stf.state import State
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain
from tests.node.stf.test_margin_bounds import CHAIN, accounts, reference_backing
from tests.node.stf.test_portfolio_margin import evaluate, portfolios

FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chunked(state: State, account: Account, chunk: int) -> MarginAcc:
    """The fold of ``account`` in steps of ``chunk`` series, through registers between steps."""
    acc = start()
    for first in range(0, len(series_ids(account)), chunk):
        acc = MarginAcc.from_regs(fold(state, acc, account, first, chunk).to_regs())
    return acc


def positions_only(account: Account) -> Account:
    return Account(account.balance_e6, positions=account.positions)


# -- the worst account: one series on each of MAX_POSITIONS underlyings ---------------------

WIDE = Chain(underlyings=tuple((u, b"U%d" % u) for u in range(1, MAX_POSITIONS + 1)))
_listed = WIDE.run(*[WIDE.listing(u, EXPIRY_25DEC26, 1000 + 10 * u, u % 2 == 0) for u in range(1, MAX_POSITIONS + 1)])
WIDE_IDS = [int(r.detail.split()[-1]) for r in _listed]
assert all(r.ok for r in WIDE.run(*[WIDE.oracle(u, 1000 + 7 * u, 0.4 + u / 100) for u in range(1, MAX_POSITIONS + 1)]))
assert len({WIDE.state.get(keys.mark(i)).underlying_id for i in WIDE_IDS}) == MAX_POSITIONS


@st.composite
def wide_accounts(draw, size_bits: int = 40) -> Account:
    """Up to ``MAX_POSITIONS`` series over as many underlyings, with positions and orders."""
    chosen = draw(st.lists(st.sampled_from(WIDE_IDS), unique=True, min_size=1, max_size=MAX_POSITIONS))
    sizes = st.integers(-(2**size_bits), 2**size_bits)
    positions, totals = [], []
    for instrument_id in sorted(chosen):
        kind = draw(st.sampled_from(("position", "orders", "both")))
        if kind != "orders" and (size := draw(sizes)) != 0:
            positions.append((instrument_id, size))
        if kind != "position":
            bids, asks = draw(st.integers(0, 2**size_bits)), draw(st.integers(1, 2**size_bits))
            bid_price, ask_price = draw(st.integers(1, 2_000 * E6)), draw(st.integers(1, 2_000 * E6))
            totals.append(OrderTotals(instrument_id, bids, bids * bid_price, bid_price if bids else 0, asks,
                                      asks * ask_price, ask_price))
    return Account(draw(st.integers(-10**9, 10**15)), positions=tuple(positions), order_totals=tuple(totals))


def worst_account(size_e6: int) -> Account:
    """64 series on 64 underlyings, each with a short position and resting orders on both sides."""
    positions = tuple((i, -size_e6) for i in WIDE_IDS)
    totals = tuple(OrderTotals(i, size_e6, size_e6 * 500 * E6, 500 * E6, size_e6, size_e6 * 1_000 * E6, 1_000 * E6)
                   for i in WIDE_IDS)
    return Account(10**12, positions=positions, order_totals=totals)


# -- any chunking gives the one-shot result -------------------------------------------------


@MANY
@given(accounts())
def test_every_chunking_gives_the_one_shot_result(account: Account) -> None:
    state = CHAIN.state
    whole = margin_fold.fold_all(state, account)
    for chunk in range(1, len(series_ids(account)) + 2):
        assert chunked(state, account, chunk) == whole
    assert margin_fold.finish(whole, account) == margin.backing(state, account) == reference_backing(CHAIN, account)
    alone = positions_only(account)
    assert margin_fold.summary(chunked(state, alone, 1), alone.balance_e6) == margin.summarise(state, account)


@FEW
@given(wide_accounts(), st.data())
def test_every_chunking_of_accounts_over_many_underlyings_gives_the_one_shot_result(account: Account, data) -> None:
    state = WIDE.state
    whole = margin_fold.fold_all(state, account)
    n = len(series_ids(account))
    for chunk in sorted({1, 2, 3, MARGIN_CHUNK, n + 1} | set(data.draw(st.lists(st.integers(1, n + 1), max_size=4)))):
        assert chunked(state, account, chunk) == whole
    exact = margin_fold.finish(whole, account)
    assert exact == margin.backing(state, account) == reference_backing(WIDE, account)
    edge = Account(account.balance_e6 - exact.excess_e6 + data.draw(st.integers(-2, 2)), positions=account.positions,
                   order_totals=account.order_totals)
    assert margin.meets_initial(state, edge) == margin_fold.finish(chunked(state, edge, MARGIN_CHUNK), edge).ok
    # uneven chunks, in any sizes, add up alike
    acc, first = start(), 0
    while first < n:
        count = data.draw(st.integers(1, n - first))
        acc, first = fold(state, acc, account, first, count), first + count
    assert acc == whole


def test_every_chunking_of_the_worst_account_gives_the_one_shot_result() -> None:
    account = worst_account(3 * E6)
    state = WIDE.state
    whole = margin_fold.fold_all(state, account)
    assert len(whole.underlyings) == MAX_POSITIONS
    for chunk in range(1, MAX_POSITIONS + 1):
        assert chunked(state, account, chunk) == whole
    exact = margin.backing(state, account)
    assert margin_fold.finish(whole, account) == exact
    assert exact.maintenance_e6 > 0 and exact.initial_e6 > exact.maintenance_e6


@FEW
@given(portfolios(max_legs=8))
def test_chunked_summaries_of_cli_portfolios_equal_summarise(portfolio) -> None:
    spot, vol, legs = portfolio
    ev = evaluate(spot, vol, legs)
    positions = tuple(sorted((i, h.size_e6) for h, i in zip(ev.portfolio.holdings, ev.instrument_ids)))
    account = Account(7 * E6, positions=positions)
    for chunk in range(1, len(positions) + 1):
        assert margin_fold.summary(chunked(ev.state, account, chunk), account.balance_e6) == \
            margin.summarise(ev.state, account)


def test_folding_past_the_last_series_changes_nothing_and_a_negative_range_is_refused() -> None:
    account = worst_account(E6)
    acc = fold(WIDE.state, start(), account, 0, MARGIN_CHUNK)
    assert fold(WIDE.state, acc, account, MAX_POSITIONS, MARGIN_CHUNK) == acc
    assert fold(WIDE.state, acc, account, 5, 0) == acc
    with pytest.raises(ValueError):
        fold(WIDE.state, acc, account, -1, MARGIN_CHUNK)


# -- the verdicts from the fold are the node's ----------------------------------------------


@MANY
@given(accounts(), st.integers(-10**6, 10**6))
def test_verdicts_from_the_stepped_fold_equal_the_fast_checks(account: Account, nudge: int) -> None:
    """At the edge of initial margin, where the cheap sufficient test cannot decide alone."""
    state = CHAIN.state
    exact = margin.backing(state, account)
    edge = Account(account.balance_e6 - exact.excess_e6 + nudge, positions=account.positions,
                   order_totals=account.order_totals)
    stepped = margin_fold.finish(chunked(state, edge, 2), edge)
    alone = positions_only(edge)
    positions_ok = margin_fold.finish(chunked(state, alone, 2), alone).ok
    assert stepped.ok == margin.meets_initial(state, edge)
    assert margin.failure_code(edge, stepped, positions_ok) == margin.initial_failure(state, edge)
    before = Account(edge.balance_e6, positions=edge.positions[1:], order_totals=edge.order_totals)
    old = margin_fold.finish(chunked(state, before, 3), before)
    assert margin.risk_reduced(edge, old, stepped) == margin.reduces_risk(state, before, edge)


# -- registers ------------------------------------------------------------------------------


@MANY
@given(accounts(), st.integers(1, 4))
def test_registers_round_trip_after_every_step(account: Account, chunk: int) -> None:
    acc = start()
    assert MarginAcc.from_regs(acc.to_regs()) == acc
    for first in range(0, len(series_ids(account)), chunk):
        acc = fold(CHAIN.state, acc, account, first, chunk)
        regs = acc.to_regs()
        assert all(type(r) is int for r in regs)
        assert MarginAcc.from_regs(regs) == acc


@pytest.mark.parametrize("size_e6", [E6, MAX_SIZE_E6])
def test_the_worst_account_fills_exactly_the_register_bound_and_fits_int256(size_e6: int) -> None:
    acc = margin_fold.fold_all(WIDE.state, worst_account(size_e6))
    regs = acc.to_regs()
    assert len(regs) == MAX_REGS == 6 + 51 * MAX_POSITIONS
    assert all(-(2**255) <= r < 2**255 for r in regs)
    if size_e6 == MAX_SIZE_E6:  # sizes below 2^51 (orders on both sides: ranges below 2^52)
        assert max(abs(r) for r in regs) < 2**(86 + 52)


def test_malformed_registers_are_refused() -> None:
    regs = margin_fold.fold_all(WIDE.state, worst_account(E6)).to_regs()
    for bad in (regs[:-1], regs + (0,), regs[:5], (2,) + regs[1:], regs[:5] + (MAX_POSITIONS + 1,) + regs[6:],
                (1, 0, 0, 0, 0, -1)):
        with pytest.raises(ValueError):
            MarginAcc.from_regs(bad)
    first, second = regs[6:6 + 51], regs[6 + 51:6 + 102]  # two underlyings out of order
    with pytest.raises(ValueError):
        MarginAcc.from_regs(regs[:5] + (2,) + second + first)


# -- reads per step -------------------------------------------------------------------------


def test_a_fold_step_reads_at_most_two_records_per_series_and_the_config() -> None:
    account = worst_account(E6)
    bound = 2 * MARGIN_CHUNK + 1  # marks, new underlyings, the config (the account is the step's own read)
    acc, steps = start(), 0
    for first in range(0, MAX_POSITIONS, MARGIN_CHUNK):
        state = State(WIDE.backend, log_access=True)
        acc = fold(state, acc, account, first, MARGIN_CHUNK)
        state.commit_transaction()
        (read,) = state.access_log
        assert len(read) == bound
        assert keys.CONFIG in read
        steps += 1
    assert steps == MAX_POSITIONS // MARGIN_CHUNK
    assert acc == margin_fold.fold_all(WIDE.state, account)
    assert bound + 1 <= 20  # with the account record: the step's budget


def test_a_later_step_does_not_reread_an_underlying_the_accumulator_holds() -> None:
    chain = Chain()
    ids = chain.market(series=tuple((EXPIRY_25DEC26, k, True) for k in (2800, 2900, 3000, 3100)))
    account = Account(10**9, positions=tuple((i, E6) for i in ids))
    acc = fold(chain.state, start(), account, 0, 1)
    state = State(chain.backend, log_access=True)
    fold(state, acc, account, 1, 3)
    state.commit_transaction()
    assert state.access_log[0] == {keys.mark(i) for i in ids[1:]}


def test_a_summary_folded_in_steps_equals_summarise_on_the_widest_account() -> None:
    account = positions_only(worst_account(E6 // 10))
    stepped = margin_fold.summary(chunked(WIDE.state, account, MARGIN_CHUNK), account.balance_e6)
    assert stepped == margin.summarise(WIDE.state, account)
    assert len(stepped.underlyings) == MAX_POSITIONS
    assert all(u.addon_e6 > 0 for u in stepped.underlyings)  # every short is naked
