"""Liquidation: who may liquidate, the Dutch auction price, penalties, partial fills, bad debt."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf import keys, margin
from node.stf.errors import FailureCode
from node.stf.liquidation import discount_ppm
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain

BUY, SELL = 0, 1


def test_healthy_account_cannot_be_liquidated(thin_short) -> None:
    chain, inst, seller, _, keeper = thin_short
    (r,) = chain.run(chain.liquidate(keeper, seller, inst, 1))
    assert r.code == FailureCode.NOT_LIQUIDATABLE
    (r,) = chain.run(chain.liquidate(seller, seller, inst, 1))
    assert r.code == FailureCode.SELF_LIQUIDATION


def test_liquidation_moves_the_short_at_mark_plus_discount_and_charges_a_penalty(thin_short) -> None:
    chain, inst, seller, _, keeper = thin_short
    chain.run(chain.oracle(1, 3300, 0.65))
    assert margin.summarise(chain.state, chain.account(seller)).below_maintenance()
    mark = chain.state.get(keys.mark(inst))
    seller_cash, keeper_cash = chain.balance(seller), chain.balance(keeper)
    insurance = chain.state.get(keys.GLOBALS).insurance_fund_e6

    (start,) = chain.run(chain.liquidate(keeper, seller, inst, 0))
    assert start.ok and "1 orders cancelled" in start.detail
    assert chain.account(seller).open_orders == ()
    auction = chain.state.get(keys.auction(address_of(seller)))
    assert auction.start_time == chain.time

    (step,) = chain.run(chain.liquidate(keeper, seller, inst, 0.4), dt=60)
    assert step.ok and step.filled_e6 == 400_000
    disc = discount_ppm(60)
    assert disc == 5_000 + 6 * 1_000
    price = mark.mark_e6 + mark.index_e6 * disc // 10**6
    paid = 400_000 * price // E6  # rounded down: in the liquidated account's favour
    penalty = -(-400_000 * mark.index_e6 * 2_500 // 10**12)
    assert chain.balance(keeper) == keeper_cash + paid
    assert chain.balance(seller) == seller_cash - paid - penalty
    assert chain.position(seller, inst) == -600_000 and chain.position(keeper, inst) == -400_000
    assert chain.state.get(keys.GLOBALS).insurance_fund_e6 == insurance + penalty
    # the receipt shows the transfer as a trade: the liquidated account as maker (no order),
    # the liquidator taking the short (a sell) at the auction price; the penalty as the maker fee
    (fill,) = step.fills
    assert (fill.maker_order_id, fill.maker, fill.taker, fill.instrument_id, fill.taker_side, fill.price_e6,
            fill.size_e6, fill.maker_fee_e6, fill.taker_fee_e6) == (
        0, address_of(seller), address_of(keeper), inst, 1, price, 400_000, penalty, 0)
    assert start.fills == ()  # starting the auction moves nothing


def test_discount_grows_then_caps() -> None:
    assert discount_ppm(0) == 5_000
    assert discount_ppm(9) == 5_000
    assert discount_ppm(10) == 6_000
    assert discount_ppm(3_600) == 50_000


def test_no_more_liquidation_once_maintenance_is_restored(thin_short) -> None:
    chain, inst, seller, _, keeper = thin_short
    chain.run(chain.oracle(1, 3250, 0.65))
    assert margin.summarise(chain.state, chain.account(seller)).below_maintenance()
    codes = []
    for _ in range(10):
        (r,) = chain.run(chain.liquidate(keeper, seller, inst, 0.1), dt=5)
        codes.append(r.code)
        if r.code != FailureCode.OK:
            break
    assert codes[0] == FailureCode.OK and codes[-1] == FailureCode.NOT_LIQUIDATABLE
    assert chain.position(seller, inst) < 0  # partial: the rest of the position stays
    assert not margin.summarise(chain.state, chain.account(seller)).below_maintenance()
    assert chain.state.get(keys.auction(address_of(seller))) is None


def test_liquidator_must_meet_its_own_margin(thin_short) -> None:
    chain, inst, seller, _, _ = thin_short
    poor = chain.trader("poor", 50)
    chain.run(chain.oracle(1, 3300, 0.65))
    (r,) = chain.run(chain.liquidate(poor, seller, inst, 1))
    assert r.code == FailureCode.INSUFFICIENT_MARGIN
    assert chain.position(seller, inst) == -E6


def test_bad_debt_is_paid_by_the_insurance_fund_then_fees_then_socialised(thin_short) -> None:
    chain, inst, seller, buyer, keeper = thin_short
    chain.run(chain.oracle(1, 4500, 1.2))  # a squeeze: the short is far under water
    summary = margin.summarise(chain.state, chain.account(seller))
    assert summary.equity_e6 < 0
    globals_before = chain.state.get(keys.GLOBALS)
    (r,) = chain.run(chain.liquidate(keeper, seller, inst, 1), dt=600)
    assert r.ok and chain.position(seller, inst) == 0
    assert chain.balance(seller) == 0
    g = chain.state.get(keys.GLOBALS)
    bad_debt = int(r.detail.rsplit(" ", 1)[1])
    penalty = int(r.detail.split("penalty ")[1].split(",")[0])
    assert bad_debt > 0
    from_fund = globals_before.insurance_fund_e6 + penalty - g.insurance_fund_e6
    from_fees = globals_before.fee_pool_e6 - g.fee_pool_e6
    socialised = g.haircut_due_e6 - globals_before.haircut_due_e6
    assert from_fund + from_fees + socialised == bad_debt
    assert g.insurance_fund_e6 == 0 or (from_fees == 0 and socialised == 0)  # the fund pays first
    assert g.fee_pool_e6 == 0 or socialised == 0  # then the fee pool
    assert socialised > 0 and g.unbacked_loss_e6 == 0  # the rest is placed on the positive balances
    assert g.loss_index < globals_before.loss_index
    assert chain.state.get(keys.auction(address_of(seller))) is None
    # the harness checked after the block: collateral conserved, claims within deposits - withdrawals


def test_crash_leaves_the_system_solvent_or_shows_where_the_fund_paid() -> None:
    """Spot -30% and vol x1.5 between two oracle updates over a random population."""
    rng = random.Random(5)
    chain = Chain()
    ids = chain.market(index=3000, vol=0.6, series=(
        (EXPIRY_25DEC26, 2400, False), (EXPIRY_25DEC26, 2700, False), (EXPIRY_25DEC26, 3000, False),
        (EXPIRY_25DEC26, 3300, True),
    ))
    makers = [chain.trader(f"writer{i}", rng.choice((1_500, 3_000, 10_000))) for i in range(12)]
    buyers = [chain.trader(f"buyer{i}", 200_000) for i in range(4)]
    keeper = chain.trader("keeper", 5_000_000)
    txs = []
    for k in makers:
        inst = rng.choice(ids)
        mark = chain.state.get(keys.mark(inst)).mark_e6
        per_contract = margin.summarise_positions(chain.state, 0, ((inst, -E6),)).initial_e6
        # write as much as the writer's cash allows at 80-98% of initial margin: thin cushions
        contracts = chain.balance(k) * rng.uniform(0.8, 0.98) / per_contract
        txs.append(chain.order(k, inst, SELL, max(round(mark / E6, 1), 0.1), max(int(contracts * 10) / 10, 0.1)))
    chain.run(*txs)
    chain.run(*[chain.order(b, i, BUY, 5_000, 20, tif=1) for b in buyers for i in ids])
    shorts = [k for k in makers if chain.account(k).positions]
    assert len(shorts) >= 6

    chain.run(chain.oracle(1, 2100, 0.9))  # the crash
    under = [k for k in shorts if margin.summarise(chain.state, chain.account(k)).below_maintenance()]
    assert len(under) >= 3, "the crash should put several writers under water"
    insurance_paid = socialised_steps = 0
    for k in under:
        for _ in range(8):
            account = chain.account(k)
            if not account.positions:
                break
            inst, size = account.positions[0]
            index_before = chain.state.get(keys.GLOBALS).loss_index
            (r,) = chain.run(chain.liquidate(keeper, k, inst, abs(size) / E6), dt=120)
            if r.code == FailureCode.NOT_LIQUIDATABLE:
                break
            assert r.ok, r
            insurance_paid += int(r.detail.rsplit(" ", 1)[1])
            g = chain.state.get(keys.GLOBALS)
            if g.loss_index < index_before:  # socialised only once the fund and the fee pool are empty
                socialised_steps += 1
                assert g.insurance_fund_e6 == 0 and g.fee_pool_e6 == 0
    # after liquidation no account with positions stays below maintenance
    for k in makers:
        account = chain.account(k)
        if account.positions:
            assert not margin.summarise(chain.state, account).below_maintenance()
    g = chain.state.get(keys.GLOBALS)
    print(f"crash: {len(shorts)} writers, {len(under)} under water, bad debt {insurance_paid}, "
          f"insurance fund {g.insurance_fund_e6}, {socialised_steps} steps socialised")
    assert g.unbacked_loss_e6 == 0  # whatever was socialised, the positive balances bore it


@settings(max_examples=15, deadline=None)
@given(
    writers=st.lists(st.tuples(st.integers(800, 20_000), st.integers(0, 2), st.integers(5, 40)), min_size=2, max_size=6),
    index=st.integers(2000, 4200),
    vol=st.integers(30, 200),
)
def test_every_account_below_maintenance_is_liquidatable(writers, index, vol) -> None:
    """After any oracle move, each account with positions below maintenance can be liquidated."""
    chain = Chain()
    ids = chain.market(index=3000, vol=0.65, series=(
        (EXPIRY_25DEC26, 2600, False), (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 3400, True),
    ))
    buyer, keeper = chain.trader("buyer", 2_000_000), chain.trader("keeper", 50_000_000)
    keys_ = [chain.trader(f"w{i}", cash) for i, (cash, _, _) in enumerate(writers)]
    chain.run(*[chain.order(k, ids[inst], SELL, 5, lots / 10) for k, (_, inst, lots) in zip(keys_, writers)])
    chain.run(*[chain.order(buyer, i, BUY, 10_000, 100, tif=1) for i in ids])
    chain.run(chain.oracle(1, index, vol / 100))
    for k in keys_:
        account = chain.account(k)
        if not account.positions or not margin.summarise(chain.state, account).below_maintenance():
            continue
        inst, size = account.positions[0]
        (r,) = chain.run(chain.liquidate(keeper, k, inst, abs(size) / E6))
        assert r.ok, r
