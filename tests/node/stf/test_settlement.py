"""Expiry settlement: the TWAP settlement price, marks after the fix, lazy per-account Settle.

Every test drives the real STF through the harness, which checks conservation (counting
the settlement pool and socialised loss) and that claims stay within deposits, the books, the accounts and that positions net
to zero after every block.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.records import SettlementPrice
from node.stf.scenarios import N_SCENARIOS
from node.stf.settlement import SETTLEMENT_WINDOW
from node.stf.state import State
from node.stf.txtypes import Settle, SignedTx, VolPoint
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain, private_key

E = EXPIRY_25DEC26
BUY, SELL = 0, 1
SETTLE_E6 = 3_141_592_653  # an index with awkward digits, so rounding shows
INTRINSIC_E6 = SETTLE_E6 - 3000 * E6  # 141.592653 per 3000 call


def at(chain: Chain, time: int, *txs: bytes) -> list:
    """Apply ``txs`` in a block at block time ``time``."""
    return list(chain.block(list(txs), dt=time - chain.time).receipts)


def index_at(chain: Chain, time: int, *indices: int) -> list:
    """Oracle updates of underlying 1 to each of ``indices`` (collateral units), observed
    and applied in one block at ``time``."""
    return at(chain, time, *(chain.oracle(1, index, observed=time) for index in indices))


def oracle_e6(chain: Chain, index_e6: int, underlying_id: int = 1, *, observed: int) -> bytes:
    """An update of the index to ``index_e6``, observed at ``observed`` (its block's time)."""
    surface = (VolPoint(E, 650_000, 0, 0), VolPoint(EXPIRY_29JAN27, 650_000, 0, 0))
    return chain.oracle_e6(underlying_id, index_e6, surface, observed=observed)


def settle(chain: Chain, keeper: bytes, account: bytes, instrument_id: int) -> bytes:
    address = account if len(account) == 20 else address_of(account)
    return chain.signed(keeper, Settle, account=address, instrument_id=instrument_id)


def fix_price(chain: Chain, index_e6: int = SETTLE_E6) -> None:
    """Hold ``index_e6`` over the whole window, then fix the price with an update after expiry."""
    assert at(chain, E - SETTLEMENT_WINDOW, oracle_e6(chain, index_e6, observed=E - SETTLEMENT_WINDOW))[0].ok
    assert at(chain, E + 60, oracle_e6(chain, index_e6, observed=E + 60))[0].ok
    assert chain.state.get(keys.settlement(1, E)).price_e6 == index_e6


# -- the settlement price --------------------------------------------------------------


def test_twap_over_the_last_30_minutes() -> None:
    chain = Chain()
    call, put, later = chain.market(
        3000, series=((E, 3000, True), (E, 3100, False), (EXPIRY_29JAN27, 3000, True))
    )
    key = keys.settlement(1, E)
    index_at(chain, E - 3600, 3000)  # before the window: nothing recorded
    assert chain.state.get(key) is None
    index_at(chain, E - 1200, 3100)  # 3000 held over [E-1800, E-1200]
    assert chain.state.get(key) == SettlementPrice(3000 * E6 * 600, 600, 0)
    index_at(chain, E - 300, 3050)  # 3100 held over [E-1200, E-300]
    assert chain.state.get(key) == SettlementPrice((3000 * 600 + 3100 * 900) * E6, 1500, 0)
    index_at(chain, E + 600, 2000)  # 3050 held over [E-300, E]; 2000 comes too late
    # (3000 x 600 + 3100 x 900 + 3050 x 300) / 1800 = 3058.3333333..., rounded down
    assert chain.state.get(key) == SettlementPrice(5_505_000 * E6, 1800, 3_058_333_333)
    assert chain.state.get(keys.settlement(1, EXPIRY_29JAN27)) is None

    call_mark, put_mark = chain.state.get(keys.mark(call)), chain.state.get(keys.mark(put))
    assert call_mark.mark_e6 == 58_333_333 and put_mark.mark_e6 == 41_666_667
    for mark in (call_mark, put_mark):
        assert mark.scenario_pnl_e6 == (0,) * N_SCENARIOS
        assert (mark.delta, mark.gamma, mark.vega, mark.theta, mark.vol_e6) == (0, 0, 0, 0, 0)
        assert mark.index_e6 == 2000 * E6 and mark.time == chain.time
    later_mark = chain.state.get(keys.mark(later))
    assert later_mark.vol_e6 == 650_000 and any(later_mark.scenario_pnl_e6)  # still priced

    # final: later updates change neither the price nor the settled marks
    index_at(chain, E + 7200, 5000)
    assert chain.state.get(key) == SettlementPrice(5_505_000 * E6, 1800, 3_058_333_333)
    assert chain.state.get(keys.mark(call)).mark_e6 == 58_333_333
    assert chain.state.get(keys.mark(put)).mark_e6 == 41_666_667


def test_update_exactly_at_expiry_fixes_the_price() -> None:
    chain = Chain()
    chain.market(3000)
    index_at(chain, E - 900, 3200)  # 3000 held over the first half of the window
    index_at(chain, E, 9999)  # 3200 over the second half; 9999 never counts
    assert chain.state.get(keys.settlement(1, E)) == SettlementPrice(6200 * E6 * 900, 1800, 3100 * E6)


def test_no_update_in_the_window_holds_the_previous_index() -> None:
    chain = Chain()
    chain.market(3000)
    index_at(chain, E - 7200, 2900)
    index_at(chain, E + 100, 5000)
    assert chain.state.get(keys.settlement(1, E)) == SettlementPrice(2900 * E6 * 1800, 1800, 2900 * E6)


def test_two_updates_in_one_block_after_expiry() -> None:
    chain = Chain()
    chain.market(3000)
    first, second = index_at(chain, E + 5, 4000, 4100)
    assert first.ok and second.ok
    assert chain.state.get(keys.settlement(1, E)).price_e6 == 3000 * E6


def test_no_index_before_expiry_takes_the_first_index_after_it() -> None:
    chain = Chain()
    (listing,) = chain.run(chain.listing(1, E, 3000, True))
    chain.instruments.append(int(listing.detail.split()[-1]))
    index_at(chain, E + 10, 3300)  # the underlying's first index: nothing to average yet
    assert chain.state.get(keys.settlement(1, E)) is None
    index_at(chain, E + 20, 3400)
    assert chain.state.get(keys.settlement(1, E)) == SettlementPrice(0, 0, 3300 * E6)


# -- settling accounts -----------------------------------------------------------------


def test_long_and_short_settle_exactly_and_cancel_orders_on_the_series() -> None:
    chain = Chain()
    call, put, later = chain.market(
        3000, series=((E, 3000, True), (E, 3100, False), (EXPIRY_29JAN27, 3000, True))
    )
    alice, bob, keeper = chain.trader("alice"), chain.trader("bob"), chain.trader("keeper", 0)
    _, taker = chain.run(chain.order(bob, call, SELL, 150, 2.3), chain.order(alice, call, BUY, 150, 2.3))
    assert taker.filled_e6 == 2_300_000
    a_call, a_later, b_call = chain.run(
        chain.order(alice, call, BUY, 100, 1),
        chain.order(alice, later, BUY, 100, 1),
        chain.order(bob, call, SELL, 200, 1),
    )
    assert a_call.rested_e6 == a_later.rested_e6 == b_call.rested_e6 == E6

    at(chain, E - SETTLEMENT_WINDOW, oracle_e6(chain, SETTLE_E6, observed=E - SETTLEMENT_WINDOW))
    early, = at(chain, E - 10, settle(chain, keeper, alice, call))
    assert early.code == FailureCode.SETTLEMENT_NOT_READY
    unfixed, = at(chain, E + 1, settle(chain, keeper, alice, call))
    assert unfixed.code == FailureCode.SETTLEMENT_NOT_READY  # expired, but no update since
    expired_order, = chain.run(chain.order(alice, call, BUY, 100, 1))
    assert expired_order.code == FailureCode.INSTRUMENT_EXPIRED
    at(chain, E + 60, oracle_e6(chain, 2000 * E6, observed=E + 60))

    alice_cash, bob_cash = chain.balance(alice), chain.balance(bob)
    long_r, short_r, again, nothing, unknown, not_expired = chain.run(
        settle(chain, keeper, alice, call),
        settle(chain, keeper, bob, call),
        settle(chain, keeper, alice, call),
        settle(chain, keeper, alice, put),
        settle(chain, keeper, alice, 999),
        settle(chain, keeper, alice, later),
    )
    # long: floor(2.3 x 141.592653) = 325.6631019 -> 325.663101; short: ceil -> 325.663102
    assert long_r.ok and short_r.ok
    assert chain.balance(alice) == alice_cash + 325_663_101
    assert chain.balance(bob) == bob_cash - 325_663_102
    assert long_r.cancelled == ((a_call.order_id, FailureCode.INSTRUMENT_EXPIRED),)
    assert short_r.cancelled == ((b_call.order_id, FailureCode.INSTRUMENT_EXPIRED),)
    assert "cash +325663101" in long_r.detail and "cash -325663102" in short_r.detail
    assert chain.position(alice, call) == chain.position(bob, call) == 0
    assert chain.account(alice).open_orders == (a_later.order_id,)  # other series untouched
    assert chain.state.get(keys.order(a_later.order_id)).remaining_e6 == E6
    assert chain.account(bob).open_orders == ()
    inst = chain.state.get(keys.instrument(call))
    assert inst.best_bid_e6 == inst.best_ask_e6 == 0
    globals_ = chain.state.get(keys.GLOBALS)
    assert (globals_.settlement_paid_in_e6, globals_.settlement_paid_out_e6) == (325_663_102, 325_663_101)
    assert again.code == nothing.code == FailureCode.NOTHING_TO_SETTLE
    assert unknown.code == FailureCode.UNKNOWN_INSTRUMENT
    assert not_expired.code == FailureCode.SETTLEMENT_NOT_READY


def test_settle_with_only_orders_cancels_them_and_owner_can_still_cancel() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    alice, keeper = chain.trader("alice"), chain.trader("keeper", 0)
    one, two = chain.run(chain.order(alice, call, BUY, 100, 1), chain.order(alice, call, BUY, 90, 1))
    fix_price(chain)
    own_cancel, settled = chain.run(chain.cancel(alice, order_id=one.order_id), settle(chain, keeper, alice, call))
    assert own_cancel.ok
    assert settled.ok and settled.cancelled == ((two.order_id, FailureCode.INSTRUMENT_EXPIRED),)
    assert "cash +0" in settled.detail
    assert chain.account(alice).open_orders == ()


def test_bad_account_field_fails() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    keeper = chain.trader("keeper", 0)
    fix_price(chain)
    body = Settle(nonce=0, account=b"\x01" * 5, instrument_id=call)
    tx = SignedTx(body, b"", keccak(b"settle with a short account"), address_of(keeper))
    (receipt,) = chain.run(tx)
    assert receipt.code == FailureCode.BAD_RECIPIENT


def test_settlement_is_zero_sum_up_to_rounding_dust() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    keeper = chain.trader("keeper", 0)
    shorts = [(chain.trader(f"short{i}"), size) for i, size in enumerate((1.7, 0.9, 2.3))]
    longs = [(chain.trader(f"long{i}"), size) for i, size in enumerate((0.3, 1.9, 0.8, 1.9))]
    chain.run(*[chain.order(key, call, SELL, 150, size) for key, size in shorts])
    receipts = chain.run(*[chain.order(key, call, BUY, 150, size) for key, size in longs])
    assert all(r.ok and r.rested_e6 == 0 for r in receipts)
    fix_price(chain)
    holders = [key for key, _ in shorts + longs]
    cash = {key: chain.balance(key) for key in holders}
    sizes = {key: chain.position(key, call) for key in holders}
    order = [longs[0][0], shorts[2][0], longs[1][0], longs[2][0], shorts[0][0], longs[3][0], shorts[1][0]]
    for key in order:  # one account per block, longs and shorts interleaved
        (receipt,) = chain.run(settle(chain, keeper, key, call))
        assert receipt.ok
    paid_in = paid_out = 0
    for key in holders:
        size = sizes[key]
        if size > 0:
            amount = size * INTRINSIC_E6 // E6
            paid_out += amount
            assert chain.balance(key) == cash[key] + amount
        else:
            amount = -(size * INTRINSIC_E6 // E6)  # ceil(|size| x intrinsic / 1e6)
            paid_in += amount
            assert chain.balance(key) == cash[key] - amount
        assert chain.position(key, call) == 0
    globals_ = chain.state.get(keys.GLOBALS)
    assert (globals_.settlement_paid_in_e6, globals_.settlement_paid_out_e6) == (paid_in, paid_out)
    assert 0 <= paid_in - paid_out < len(holders)
    # dust: shorts round up by 0.9 + 0.3 + 0.1 units, longs down by 0.9 + 0.7 + 0.4 + 0.7
    assert paid_in - paid_out == 4
    assert sum(chain.balance(k) for k in holders) - sum(cash.values()) == -(paid_in - paid_out)


def test_short_that_cannot_pay_is_covered_by_fee_pool_then_socialised_over_positive_balances() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    alice, bob, keeper = chain.trader("alice"), chain.trader("bob", 600), chain.trader("keeper", 0)
    _, taker = chain.run(chain.order(bob, call, SELL, 150, 1), chain.order(alice, call, BUY, 150, 1))
    assert taker.filled_e6 == E6
    assert chain.balance(bob) == 749_700_000  # 600 + 150 - maker fee 0.3
    globals_ = chain.state.get(keys.GLOBALS)
    assert (globals_.fee_pool_e6, globals_.insurance_fund_e6) == (1_200_000, 0)
    fix_price(chain, 6000 * E6)  # the call settles 3000 in the money
    alice_cash = chain.balance(alice)
    short_r, long_r = chain.run(settle(chain, keeper, bob, call), settle(chain, keeper, alice, call))
    assert short_r.ok and long_r.ok
    deficit = 3000 * E6 - 749_700_000
    assert f"bad debt {deficit}" in short_r.detail
    assert chain.balance(bob) == 0 and chain.position(bob, call) == 0
    # alice holds the only positive balance: she bears what the fee pool could not cover, cut
    # (rounded up, by one unit here) when her settlement wrote her account; the dust is fee revenue
    socialised = deficit - 1_200_000
    assert chain.balance(alice) == alice_cash + 3000 * E6 - socialised - 1
    globals_ = chain.state.get(keys.GLOBALS)
    assert globals_.insurance_fund_e6 == 0 and globals_.fee_pool_e6 == 1
    assert globals_.haircut_due_e6 == 0 and globals_.unbacked_loss_e6 == 0
    assert globals_.settlement_paid_in_e6 == globals_.settlement_paid_out_e6 == 3000 * E6


def test_short_with_other_positions_must_raise_cash_first() -> None:
    chain = Chain()
    call, later = chain.market(3000, series=((E, 3000, True), (EXPIRY_29JAN27, 3000, True)))
    alice, bob, carol = chain.trader("alice"), chain.trader("bob", 600), chain.trader("carol")
    keeper = chain.trader("keeper", 0)
    chain.run(chain.order(bob, call, SELL, 150, 1), chain.order(alice, call, BUY, 150, 1))
    _, bought = chain.run(chain.order(carol, later, SELL, 300, 1), chain.order(bob, later, BUY, 300, 1))
    assert bought.filled_e6 == E6
    fix_price(chain, 6000 * E6)
    cash = chain.balance(bob)
    (refused,) = chain.run(settle(chain, keeper, bob, call))
    assert refused.code == FailureCode.INSUFFICIENT_BALANCE
    assert chain.balance(bob) == cash and chain.position(bob, call) == -E6
    _, sold = chain.run(chain.order(carol, later, BUY, 3100, 1), chain.order(bob, later, SELL, 3100, 1))
    assert sold.filled_e6 == E6
    cash = chain.balance(bob)
    (settled,) = chain.run(settle(chain, keeper, bob, call))
    assert settled.ok and "bad debt 0" in settled.detail
    assert chain.balance(bob) == cash - 3000 * E6 and chain.account(bob).positions == ()


def test_two_hundred_holders_settle_in_two_hundred_small_transactions() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    mm, keeper = chain.trader("mm", 500_000), chain.trader("keeper", 0)
    holders = [private_key(f"holder{i}") for i in range(200)]
    chain.run(*[chain.deposit(address_of(key), 1000) for key in holders])
    chain.run(chain.order(mm, call, SELL, 150, 200))
    fills = chain.run(*[chain.order(key, call, BUY, 150, 1) for key in holders])
    assert all(r.filled_e6 == E6 for r in fills)
    fix_price(chain)

    chain.state = State(chain.backend, log_access=True)
    receipts = chain.run(*[settle(chain, keeper, key, call) for key in holders + [mm]])
    assert len(receipts) == 201 and all(r.ok for r in receipts)
    per_tx = chain.state.access_log[1:-1]
    assert len(per_tx) == 201
    # the configuration (the signing domain, to recover the keeper), keeper, account,
    # instrument, settlement price, globals, the account's auction slot: the same 7 keys
    # whatever the holder count
    assert {len(touched) for touched in per_tx} == {7}
    assert all(chain.position(key, call) == 0 for key in holders + [mm])
    globals_ = chain.state.get(keys.GLOBALS)
    assert globals_.settlement_paid_in_e6 == globals_.settlement_paid_out_e6 == 200 * INTRINSIC_E6


def test_a_settled_series_frees_its_listing_slot_and_keeps_its_mark() -> None:
    chain = Chain()
    (call,) = chain.market(3000)
    assert chain.state.get(keys.underlying(1)).instruments == (call,)
    fix_price(chain)
    assert chain.state.get(keys.underlying(1)).instruments == ()
    mark = chain.state.get(keys.mark(call))
    assert mark.vol_e6 == 0 and set(mark.scenario_pnl_e6) == {0}
    chain.run(chain.oracle(1, 5000, 0.65))  # later updates no longer touch it
    assert chain.state.get(keys.mark(call)) == mark


def test_settle_cancels_orders_queued_next_to_each_other_on_one_level() -> None:
    """Three orders of one owner back to back in one level's queue: removing one relinks
    its neighbours, so each is read again before its own removal (an order read before its
    neighbour's removal still links to it: the STF raised and halted the chain)."""
    chain = Chain()
    (call,) = chain.market(3000)
    owner, keeper = chain.trader("owner", 100_000), chain.trader("keeper", 1_000)
    assert all(r.ok for r in chain.run(*(chain.order(owner, call, BUY, 10 + n, 1) for n in (0, 0, 0, 1))))
    fix_price(chain)
    (r,) = at(chain, chain.time + 1, settle(chain, keeper, owner, call))
    assert r.ok and r.cancelled == tuple((n, FailureCode.INSTRUMENT_EXPIRED) for n in (1, 2, 3, 4))
    assert chain.account(owner).open_orders == () and chain.state.get(keys.level(call, BUY, 10 * E6)) is None
    assert chain.balance(owner) == 100_000 * E6
