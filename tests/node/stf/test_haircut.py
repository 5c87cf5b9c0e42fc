"""Socialised loss: the loss index cuts every positive balance, so claims never exceed assets."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf import accounts, haircut, invariants, keys, solvency
from node.stf.backends import MemoryBackend
from node.stf.errors import FailureCode
from node.stf.haircut import LOSS_INDEX_ONE
from node.stf.records import Globals
from node.stf.state import State
from tests.node.stf.harness import E6, Chain
from tests.node.stf.test_settlement import fix_price, settle

BUY, SELL = 0, 1


def _claims_and_assets(chain: Chain) -> tuple[int, int]:
    """Cash as every trader can use it + fee pool + insurance fund + settlement pool, against
    deposits - withdrawals (written out here rather than taken from ``invariants``)."""
    g = chain.state.get(keys.GLOBALS)
    balances = sum(chain.balance(address) for address in chain.all_addresses())
    pool = g.settlement_paid_in_e6 - g.settlement_paid_out_e6
    return balances + g.fee_pool_e6 + g.insurance_fund_e6 + pool, g.total_deposited_e6 - g.total_withdrawn_e6


def test_a_socialised_loss_cuts_every_positive_balance_in_proportion() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    alice, bob, keeper = chain.trader("alice"), chain.trader("bob", 600), chain.trader("keeper", 0)
    carol, dave = chain.trader("carol", 10_000), chain.trader("dave", 30_000)
    chain.run(chain.order(bob, call, SELL, 150, 1), chain.order(alice, call, BUY, 150, 1))
    fix_price(chain, 6000 * E6)  # bob's short settles 3,000 in the money: he cannot pay
    before = {k: chain.balance(k) for k in (alice, carol, dave)}
    fees = chain.state.get(keys.GLOBALS).fee_pool_e6
    (r,) = chain.run(settle(chain, keeper, bob, call))  # alice has not settled: the pool holds her 3,000
    deficit = 3000 * E6 - 749_700_000
    assert r.ok and r.detail.endswith(f"bad debt {deficit}")
    socialised = deficit - fees  # the insurance fund is empty and the fee pool pays first

    claims, assets = _claims_and_assets(chain)
    assert claims <= assets
    positive = sum(before.values())
    cuts = {k: before[k] - chain.balance(k) for k in before}
    for k, cut in cuts.items():  # pro rata, rounded up by at most two units
        assert socialised * before[k] // positive <= cut <= socialised * before[k] // positive + 2
    assert socialised <= sum(cuts.values()) <= socialised + len(cuts) * 2

    # every read sees the cut balance: carol cannot withdraw what she had before the loss
    (refused,) = chain.run(chain.withdraw(carol, 10_000))
    assert refused.code == FailureCode.INSUFFICIENT_BALANCE
    (ok,) = chain.run(chain.withdraw(carol, chain.balance(carol) / E6))
    assert ok.ok and chain.balance(carol) == 0
    # money that arrives after the loss is not cut
    eve = chain.trader("eve", 5_000)
    assert chain.balance(eve) == 5_000 * E6
    (paid,) = chain.run(settle(chain, keeper, alice, call))
    assert paid.ok and chain.balance(alice) == before[alice] - cuts[alice] + 3000 * E6
    claims, assets = _claims_and_assets(chain)
    assert claims <= assets


def test_a_loss_with_no_positive_balance_is_unbacked_and_repaid_by_fees_first() -> None:
    g = haircut.socialise(Globals(), 5 * E6)
    assert (g.loss_index, g.haircut_due_e6, g.unbacked_loss_e6) == (LOSS_INDEX_ONE, 0, 5 * E6)
    g = haircut.collect_fees(g, 3 * E6)
    assert (g.unbacked_loss_e6, g.fee_pool_e6) == (2 * E6, 0)
    g = haircut.collect_fees(g, 3 * E6)
    assert (g.unbacked_loss_e6, g.fee_pool_e6) == (0, E6)


def test_a_loss_beyond_every_positive_balance_stops_the_index_at_one() -> None:
    g = Globals(scaled_positive_e6=100 * E6)  # 100 units of positive cash at index one
    g = haircut.socialise(g, 150 * E6)
    assert g.loss_index == haircut.MIN_LOSS_INDEX
    assert g.haircut_due_e6 + g.unbacked_loss_e6 == 150 * E6
    assert 99 * E6 < g.haircut_due_e6 <= 100 * E6


ADDRESSES = [bytes([i]) * 20 for i in range(1, 6)]
DEBTOR = bytes([9]) * 20
amount = st.integers(1, 10**12)
operation = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 4), amount),
    st.tuples(st.just("withdraw"), st.integers(0, 4), st.integers(0, 100)),  # percent of the balance
    st.tuples(st.just("pay"), st.integers(0, 4), st.integers(0, 4), amount),  # may overdraw the payer
    st.tuples(st.just("bad_debt"), st.integers(0, 4), amount),  # the debtor pays a trader, then is closed out
    st.tuples(st.just("fee"), st.integers(0, 4), amount),
    st.tuples(st.just("pool_in"), st.integers(0, 4), amount),
    st.tuples(st.just("pool_out"), st.integers(0, 4), amount),
    st.tuples(st.just("touch"), st.integers(0, 4)),
)


def _move(state: State, address: bytes, delta: int) -> None:
    accounts.store(state, address, accounts.with_balance_delta(accounts.load(state, address), delta))


def _globals(state: State, **changes: int) -> None:
    g = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, Globals(**{f: changes.get(f, 0) + getattr(g, f) for f in Globals.__slots__}))


@settings(max_examples=200, deadline=None)
@given(st.lists(operation, min_size=1, max_size=40))
def test_claims_never_exceed_assets_whatever_the_order_of_losses_and_writes(ops) -> None:
    """Random deposits, withdrawals, payments (which may leave a payer in debt), bad debt
    closed out, fees, settlement pool flows and plain writes, straight through ``accounts``
    and ``solvency``: after every one, collateral is conserved, the scaled total is exact and
    claims stay within deposits - withdrawals (+ unbacked loss)."""
    state = State(MemoryBackend())
    state.put(keys.GLOBALS, Globals())
    everyone = ADDRESSES + [DEBTOR]
    for op in ops:
        kind, who = op[0], ADDRESSES[op[1]]
        if kind == "deposit":
            _move(state, who, op[2])
            _globals(state, total_deposited_e6=op[2])
        elif kind == "withdraw":
            taken = max(accounts.load(state, who).balance_e6, 0) * op[2] // 100
            _move(state, who, -taken)
            _globals(state, total_withdrawn_e6=taken)
        elif kind == "pay":
            _move(state, who, -op[3])
            _move(state, ADDRESSES[op[2]], op[3])
            for address in (who, ADDRESSES[op[2]]):
                if accounts.load(state, address).balance_e6 < 0:
                    solvency.cover_deficit(state, address)
        elif kind == "bad_debt":
            _move(state, DEBTOR, -op[2])
            _move(state, who, op[2])
            solvency.cover_deficit(state, DEBTOR)
        elif kind == "fee":
            fee = min(max(accounts.load(state, who).balance_e6, 0), op[2])
            _move(state, who, -fee)
            state.put(keys.GLOBALS, haircut.collect_fees(state.get(keys.GLOBALS), fee))
        elif kind == "pool_in":
            paid = min(max(accounts.load(state, who).balance_e6, 0), op[2])
            _move(state, who, -paid)
            _globals(state, settlement_paid_in_e6=paid)
        elif kind == "pool_out":
            _move(state, who, op[2])
            _globals(state, settlement_paid_out_e6=op[2])
        else:
            _move(state, who, 0)
        invariants.check_conservation(state, everyone)
        invariants.check_claims(state, everyone)
    for address in everyone:  # write every account: every cut is realised, the rest was dust
        _move(state, address, 0)
    g = state.get(keys.GLOBALS)
    assert g.haircut_due_e6 == 0
    invariants.check_conservation(state, everyone)
    invariants.check_claims(state, everyone)


def test_every_balance_read_inside_the_stf_goes_through_accounts_load() -> None:
    """Reading ``keys.account`` directly would see a balance before its cut: only ``accounts``,
    the nonce window (which never reads the balance) and the invariant checks may do it."""
    stf = Path(accounts.__file__).parent
    allowed = {"accounts.py", "nonces.py", "invariants.py", "keys.py"}
    for path in sorted(stf.glob("*.py")):
        if path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "account" and getattr(node.value, "id", "") == "keys":
                raise AssertionError(f"{path.name}:{node.lineno} reads an account record around accounts.load")
