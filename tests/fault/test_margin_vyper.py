"""contracts/fault/lib/margin_fold.vy computes exactly the integers of node/stf/margin_fold.py.

Through ``contracts/test/margin_fold_harness.vy`` (the library's functions as a contract) on revm: every chunk of a fold
(the registers after it), the final bounds (``finish``), the summary's numbers and
``margin.failure_code``, on accounts over the test chains' real marks and over synthetic
states (random marks, scenario vectors, indices and fee rates, sizes up to 2^100, missing
marks), at every offset of the accumulator in the step's registers. Malformed registers
are refused as ``MarginAcc.from_regs`` refuses them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf import keys, margin, margin_fold
from node.stf.backends import MemoryBackend
from node.stf.errors import FailureCode
from node.stf.margin_fold import MARGIN_CHUNK, MarginAcc, fold, series_ids, start
from node.stf.params import MAX_POSITIONS, MAX_PRICE_E6
from node.stf.records import Account, Config, Mark, OrderTotals, Underlying
from node.stf.scenarios import N_SCENARIOS
from node.stf.state import State
from tests.node.stf.test_margin_bounds import CHAIN, accounts
from tests.node.stf.test_margin_fold import WIDE, wide_accounts, worst_account

SERIES_T = "(int256,bool,int256,int256,int256,int256,int256,int256,bool,int256,bool,bool,int256,int256,int256[23])"
BACKING_T = "(int256,int256,int256,int256,int256,bool)"
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Harness:
    def __init__(self) -> None:
        self.build = compile_contract("test/margin_fold_harness.vy")
        self.runner = RevmRunner()
        self.address = self.runner.deploy(self.build.initcode)

    def _call(self, name: str, types: list[str], args: list, out: list[str]):
        signature = f"{name}({','.join(types)})"
        return self.runner.call_abi(self.address, self.build.selector(signature), types, args, out)

    def reverts(self, name: str, types: list[str], args: list) -> bool:
        from eth_abi import encode

        signature = f"{name}({','.join(types)})"
        data = self.build.selector(signature) + encode(types, args)
        return not self.runner.call(self.address, data).success

    def fold(self, regs, base, chunk, maker_fee_ppm, fee_cap_ppm, cash=0):
        """(registers, Backing, summary value, positions alone ok) after folding ``chunk``."""
        (out, b, value, positions_ok), gas = self._call(
            "fold", ["int256[]", "uint256", f"{SERIES_T}[]", "int256", "int256", "int256"],
            [list(regs), base, chunk, maker_fee_ppm, fee_cap_ppm, cash], ["int256[]", BACKING_T, "int256", "bool"])
        return tuple(out), margin.Backing(*b[:5], b[5]), value, positions_ok, gas

    def fold_chunk(self, regs, base, chunk, maker_fee_ppm, fee_cap_ppm) -> tuple[tuple[int, ...], int]:
        out, _, _, _, gas = self.fold(regs, base, chunk, maker_fee_ppm, fee_cap_ppm)
        return out, gas

    def finish(self, regs, base, cash) -> tuple[margin.Backing, int]:
        out, b, value, _, _ = self.fold(regs, base, [], 0, 0, cash)
        assert out == tuple(regs)
        return b, value

    def failure_code(self, cash, has_orders, b: margin.Backing, positions_ok) -> int:
        (code,), _ = self._call("failure_code", ["int256", "bool", BACKING_T, "bool"],
                                [cash, has_orders, tuple(b), positions_ok], ["int256"])
        return code


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


# -- what a fold step reads for its series (as steps_margin.vy gathers it) -------------------


def chunk_series(state: State, account: Account, acc: MarginAcc, first: int, count: int) -> list[tuple]:
    """The ``Series`` values of series ``[first, first + count)`` of ``account``: its position
    and order totals, its mark, and its underlying's index (the accumulator's, else read)."""
    held = dict(account.positions)
    totals = {t.instrument_id: t for t in account.order_totals}
    known = {u.underlying_id: u.index_e6 for u in acc.underlyings}
    out = []
    for instrument_id in series_ids(account)[first:first + count]:
        t = totals.get(instrument_id)
        orders = tuple(t[1:]) if t is not None else (0,) * 6
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            out.append((held.get(instrument_id, 0), t is not None, *orders, False, 0, False, False, 0, 0,
                        [0] * N_SCENARIOS))
            continue
        index = known.get(mark.underlying_id)
        if index is None:
            index = known[mark.underlying_id] = state.get(keys.underlying(mark.underlying_id)).index_price_e6
        out.append((held.get(instrument_id, 0), t is not None, *orders, True, mark.mark_e6, mark.vol_e6 != 0,
                    mark.is_call, mark.underlying_id, index, list(mark.scenario_pnl_e6)))
    return out


def fees(state: State) -> tuple[int, int]:
    config: Config | None = state.get(keys.CONFIG)
    return (config.maker_fee_ppm, config.fee_cap_ppm) if config is not None else (0, 0)


def fold_both(harness: Harness, state: State, account: Account, chunks: list[int], head: tuple[int, ...]) -> MarginAcc:
    """Fold ``account`` in chunks of the given sizes in Python and on L1 (registers after
    ``head``), asserting equal registers after every chunk; the accumulator."""
    acc, first = start(), 0
    regs = head + acc.to_regs()
    maker, cap = fees(state)
    for count in chunks:
        series = chunk_series(state, account, acc, first, count)
        acc = fold(state, acc, account, first, count)
        regs, _ = harness.fold_chunk(regs, len(head), series, maker, cap)
        assert regs == head + acc.to_regs()
        first += count
    return acc


def check_answers(harness: Harness, acc: MarginAcc, account: Account, head: tuple[int, ...]) -> margin.Backing:
    regs = head + acc.to_regs()
    b, value = harness.finish(regs, len(head), account.balance_e6)
    expected = margin_fold.finish(acc, account)
    assert b == expected
    if not account.order_totals:
        s = margin_fold.summary(acc, account.balance_e6)
        assert (b.maintenance_e6, b.initial_e6, value, b.complete) == (s.maintenance_e6, s.initial_e6, s.value_e6,
                                                                       s.complete)
    return b


def in_chunks(n: int, data) -> list[int]:
    sizes, left = [], n
    while left > 0:
        sizes.append(data.draw(st.integers(1, min(MARGIN_CHUNK, left))))
        left -= sizes[-1]
    return sizes + data.draw(st.lists(st.integers(0, MARGIN_CHUNK), max_size=1))  # past the end: nothing changes


heads = st.sampled_from([(), (170, 0, 0, 0), (170, 0, 1, 8, -5, 2**200, -(2**200), 0, 1, 1)])


# -- synthetic states -------------------------------------------------------------------------

pnls = st.one_of(st.integers(-(10**4) * 10**6, 10**4 * 10**6), st.integers(-(2**51), 2**51),
                 st.sampled_from([0, 1, -1, 2**51, -(2**51)]))
big_sizes = st.one_of(st.integers(-(10**9), 10**9), st.integers(-(2**100), 2**100),
                      st.sampled_from([1, -1, 2**100, -(2**100)]))


@st.composite
def synthetic(draw) -> tuple[State, Account]:
    """A state of random marks (some missing), underlyings and fee rates, and an account of up
    to ``MAX_POSITIONS`` series over them."""
    state = State(MemoryBackend())
    state.put(keys.CONFIG, Config(1, b"\x01" * 20, b"\x02" * 20, (), draw(st.integers(0, 10**6)),
                                  draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)), 0))
    underlyings = draw(st.lists(st.integers(0, 2**32 - 1), unique=True, min_size=1, max_size=10))
    for u in underlyings:
        state.put(keys.underlying(u), Underlying(b"U", draw(st.integers(0, MAX_PRICE_E6))))
    ids = sorted(draw(st.lists(st.integers(1, 2**32 - 1), unique=True, min_size=1, max_size=MAX_POSITIONS)))
    marks = {}
    for instrument_id in ids:
        marks[instrument_id] = mark_e6 = draw(st.one_of(st.integers(1, MAX_PRICE_E6), st.integers(1, 5_000)))
        if draw(st.integers(0, 9)) == 0:
            continue  # no mark
        pnl = tuple(draw(st.lists(pnls, min_size=N_SCENARIOS, max_size=N_SCENARIOS)))
        state.put(keys.mark(instrument_id), Mark(
            mark_e6, 0, draw(st.sampled_from([0, 1, 500_000])), 0,
            draw(st.sampled_from(underlyings)), draw(st.booleans()), pnl, 0, 0, 0, 0))

    def price_near(mark_e6: int):  # order prices at, around or far from the mark
        return st.one_of(st.integers(1, MAX_PRICE_E6), st.sampled_from([max(1, mark_e6 - 1), mark_e6, min(mark_e6 + 1, MAX_PRICE_E6)]))
    positions, totals = [], []
    for instrument_id in ids:
        kind = draw(st.sampled_from(("position", "orders", "both")))
        if kind != "orders":
            positions.append((instrument_id, draw(big_sizes.filter(bool))))
        if kind != "position":
            bids = draw(st.sampled_from([0, draw(st.integers(1, 2**80))]))
            asks = draw(st.integers(0 if bids else 1, 2**80))
            bid_max, ask_min = draw(price_near(marks[instrument_id])), draw(price_near(marks[instrument_id]))
            totals.append(OrderTotals(instrument_id, bids, bids * draw(st.integers(1, bid_max)), bid_max if bids else 0,
                                      asks, asks * draw(st.integers(ask_min, MAX_PRICE_E6)), ask_min if asks else 0))
    account = Account(draw(st.integers(-(10**12), 2**63 - 1)), positions=tuple(positions), order_totals=tuple(totals))
    return state, account


# -- the fold ---------------------------------------------------------------------------------


@MANY
@given(accounts(), heads, st.data())
def test_fold_chunks_and_answers_equal_python_on_the_test_chain(harness, account, head, data) -> None:
    acc = fold_both(harness, CHAIN.state, account, in_chunks(len(series_ids(account)), data), head)
    check_answers(harness, acc, account, head)
    alone = Account(account.balance_e6, positions=account.positions)
    acc = fold_both(harness, CHAIN.state, alone, in_chunks(len(series_ids(alone)), data), head)
    check_answers(harness, acc, alone, head)


@FEW
@given(wide_accounts(), heads, st.data())
def test_fold_chunks_equal_python_over_many_underlyings(harness, account, head, data) -> None:
    acc = fold_both(harness, WIDE.state, account, in_chunks(len(series_ids(account)), data), head)
    check_answers(harness, acc, account, head)


@MANY
@given(synthetic(), heads, st.data())
def test_fold_chunks_and_answers_equal_python_on_synthetic_marks(harness, case, head, data) -> None:
    state, account = case
    acc = fold_both(harness, state, account, in_chunks(len(series_ids(account)), data), head)
    check_answers(harness, acc, account, head)
    alone = Account(account.balance_e6, positions=account.positions)
    acc = fold_both(harness, state, alone, in_chunks(len(series_ids(alone)), data), head)
    check_answers(harness, acc, alone, head)


@MANY
@given(synthetic())
def test_the_positions_alone_verdict_of_a_whole_account_chunk(harness, case) -> None:
    """``fold``'s last result for a chunk that is a whole account (at most 8 series): whether
    its positions alone meet initial margin, as margin.py::initial_failure asks."""
    state, account = case
    n = len(series_ids(account))
    if n > MARGIN_CHUNK:
        account = Account(account.balance_e6, positions=tuple(p for p in account.positions if p[0] in
                                                               series_ids(account)[:MARGIN_CHUNK]),
                          order_totals=tuple(t for t in account.order_totals if t[0] in series_ids(account)[:MARGIN_CHUNK]))
    chunk = chunk_series(state, account, start(), 0, MARGIN_CHUNK)
    _, b, _, positions_ok, _ = harness.fold(start().to_regs(), 0, chunk, *fees(state), account.balance_e6)
    assert b == margin.backing(state, account)
    alone = Account(account.balance_e6, positions=account.positions)
    assert positions_ok == margin.meets_initial(state, alone)


@pytest.mark.parametrize("size_e6", [10**6, 10**15, 2**100])
def test_the_worst_account_in_full_chunks(harness, size_e6: int) -> None:
    """64 series on 64 underlyings, each with a short position and orders on both sides: the
    largest registers; every fold step adds 8 new underlyings."""
    account = worst_account(size_e6)
    acc = fold_both(harness, WIDE.state, account, [MARGIN_CHUNK] * (MAX_POSITIONS // MARGIN_CHUNK), (1, 0, 0, 0))
    assert len(acc.underlyings) == MAX_POSITIONS
    check_answers(harness, acc, account, (1, 0, 0, 0))


def test_new_underlyings_between_known_ones_are_inserted_in_order(harness) -> None:
    """Chunks in reverse id order of underlyings: each one inserts below the known ones."""
    account = worst_account(10**6)
    series = series_ids(account)
    by_underlying = {WIDE.state.get(keys.mark(i)).underlying_id: i for i in series}
    order = [by_underlying[u] for u in sorted(by_underlying, reverse=True)]
    acc, regs = start(), start().to_regs()
    for at in range(0, len(order), 3):
        part = Account(account.balance_e6, positions=tuple(p for p in account.positions if p[0] in order[at:at + 3]))
        chunk = chunk_series(WIDE.state, part, acc, 0, 3)
        acc = fold(WIDE.state, acc, part, 0, 3)
        regs, _ = harness.fold_chunk(regs, 0, chunk, *fees(WIDE.state))
        assert regs == acc.to_regs()


@MANY
@given(synthetic(), heads)
def test_known_indices_are_the_accumulators(harness, case, head) -> None:
    state, account = case
    acc = margin_fold.fold_all(state, account)
    (known,), _ = harness._call("known_indices", ["int256[]", "uint256"], [list(head + acc.to_regs()), len(head)],
                                ["(int256,int256)[]"])
    assert [tuple(k) for k in known] == [(u.underlying_id, u.index_e6) for u in acc.underlyings]


# -- the verdict ------------------------------------------------------------------------------


@MANY
@given(st.integers(-2, 2), st.booleans(), st.integers(-2, 2), st.integers(-2, 2), st.integers(-2, 2),
       st.booleans(), st.booleans())
def test_failure_code_equals_python(harness, cash, has_orders, free_cash, equity, initial, complete, positions_ok):
    b = margin.Backing(cash, free_cash, equity, 0, initial, complete)
    account = Account(cash, order_totals=(OrderTotals(1, 1),) if has_orders else ())
    expected = margin.failure_code(account, b, positions_ok)
    assert harness.failure_code(cash, has_orders, b, positions_ok) == int(expected)
    assert expected in set(FailureCode)


# -- registers --------------------------------------------------------------------------------


def test_malformed_registers_are_refused(harness) -> None:
    regs = margin_fold.fold_all(WIDE.state, worst_account(10**6)).to_regs()
    types = ["int256[]", "uint256"]
    assert not harness.reverts("check_regs", types, [list(regs), 0])
    assert not harness.reverts("check_regs", types, [[9, 9, 9] + list(regs), 3])
    first, second = regs[6:6 + 51], regs[6 + 51:6 + 102]
    for bad in (regs[:-1], regs + (0,), regs[:5], (2,) + regs[1:], regs[:5] + (MAX_POSITIONS + 1,) + regs[6:],
                (1, 0, 0, 0, 0, -1), regs[:5] + (2,) + second + first, (1, 0, 0, 0, 0, 1, -1) + (0,) * 50):
        with pytest.raises(ValueError):
            MarginAcc.from_regs(bad)
        assert harness.reverts("check_regs", types, [list(bad), 0]), bad
