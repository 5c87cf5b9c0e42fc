"""Liquidation: who may liquidate, the Dutch auction price, penalties, partial fills, bad debt."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf import keys, margin
from node.stf.errors import FailureCode
from node.stf.liquidation import discount_ppm
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain

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


def _equity(chain: Chain, key: bytes) -> int:
    return margin.summarise(chain.state, chain.account(key)).equity_e6


def test_a_sybil_liquidator_cannot_harvest_bad_debt_on_cheap_options() -> None:
    """Cheap far out-of-the-money calls: the schedule's 5% of the index is 15 times the mark.
    The owner of a thinly margined writer liquidates it from a second account at the largest
    discount: the step may not cost the writer more than its equity, so the pair gains nothing
    from the system and the writer leaves no bad debt."""
    chain = Chain()
    (inst,) = chain.market(index=3000, vol=0.65, series=((EXPIRY_25DEC26, 4000, True),))
    mark = chain.state.get(keys.mark(inst)).mark_e6
    initial = margin.summarise_positions(chain.state, 0, ((inst, -E6),)).initial_e6
    assert 150 * E6 > 15 * mark  # 5% x 3,000 against a mark under 10
    sybil = chain.trader("sybil", 10 * initial * 101 // 100 / E6)
    buyer, owner = chain.trader("buyer"), chain.trader("owner", 1_000_000)
    _, sold = chain.run(chain.order(buyer, inst, BUY, 9.9, 10), chain.order(sybil, inst, SELL, 9.9, 10))
    assert sold.filled_e6 == 10 * E6
    chain.run(chain.oracle(1, 3200, 0.65))
    before = margin.summarise(chain.state, chain.account(sybil))
    assert 0 < before.equity_e6 < before.maintenance_e6
    pair_before = before.equity_e6 + _equity(chain, owner)
    insurance = chain.state.get(keys.GLOBALS).insurance_fund_e6

    chain.run(chain.liquidate(owner, sybil, inst, 0))  # the auction starts ...
    (step,) = chain.run(chain.liquidate(owner, sybil, inst, 10), dt=3_600)  # ... and reaches its largest discount
    assert step.ok and chain.position(sybil, inst) == 0 and chain.position(owner, inst) == -10 * E6
    assert step.detail.endswith("bad debt 0")
    assert chain.balance(sybil) >= 0
    assert chain.state.get(keys.GLOBALS).insurance_fund_e6 >= insurance
    assert _equity(chain, sybil) + _equity(chain, owner) <= pair_before + 1  # 1: the mark's rounding


def test_taking_the_hedge_leg_is_refused_and_the_risky_leg_improves_the_ratio() -> None:
    """A call spread (short 3000, long 3400) below maintenance: taking its long leg would
    release no margin (the short becomes naked), so it is refused; taking the short leg is not."""
    chain = Chain()
    short, hedge = chain.market(index=3000, vol=0.65,
                                series=((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 3400, True)))
    trader, street, keeper = chain.trader("spread", 210), chain.trader("street"), chain.trader("keeper", 1_000_000)
    chain.run(chain.order(street, hedge, SELL, 69.6, 1), chain.order(trader, hedge, BUY, 69.6, 1))
    chain.run(chain.order(street, short, BUY, 199.2, 1), chain.order(trader, short, SELL, 199.2, 1))
    assert chain.position(trader, short) == -E6 and chain.position(trader, hedge) == E6
    chain.run(chain.oracle(1, 3200, 0.65))
    before = margin.summarise(chain.state, chain.account(trader))
    assert 0 < before.equity_e6 < before.maintenance_e6

    (refused,) = chain.run(chain.liquidate(keeper, trader, hedge, 1))
    assert not refused.ok and refused.code == FailureCode.NO_MARGIN_RELEASED
    assert chain.position(trader, hedge) == E6 and chain.position(keeper, hedge) == 0

    (step,) = chain.run(chain.liquidate(keeper, trader, short, 0.5), dt=60)
    assert step.ok and chain.position(trader, short) == -E6 // 2
    after = margin.summarise(chain.state, chain.account(trader))
    assert after.equity_e6 * before.maintenance_e6 >= before.equity_e6 * after.maintenance_e6


PROPERTY_SERIES = (
    (EXPIRY_25DEC26, 2600, False), (EXPIRY_25DEC26, 3000, False), (EXPIRY_25DEC26, 3000, True),
    (EXPIRY_25DEC26, 3400, True), (EXPIRY_25DEC26, 4200, True), (EXPIRY_29JAN27, 3200, True),
)
LIQUIDATION_REFUSALS = {FailureCode.NOT_LIQUIDATABLE, FailureCode.NO_MARGIN_RELEASED, FailureCode.NOTHING_TO_LIQUIDATE}


def _trade_at_mark(chain: Chain, street: bytes, trader: bytes, inst: int, lots: int) -> None:
    """``trader`` buys (lots > 0) or sells ``|lots| / 10`` contracts from ``street`` near the mark."""
    price = max(chain.state.get(keys.mark(inst)).mark_e6 // 100_000, 1) / 10
    side = BUY if lots > 0 else SELL
    chain.run(chain.order(street, inst, 1 - side, price, abs(lots) / 10),
              chain.order(trader, inst, side, price, abs(lots) / 10, tif=1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    legs=st.lists(st.tuples(st.integers(0, len(PROPERTY_SERIES) - 1), st.integers(-30, 12).filter(bool)),
                  min_size=1, max_size=5),  # mostly short: a long-only account is never below maintenance
    kept_ppm=st.integers(0, 200_000),  # share of the initial-margin excess left after the withdrawal
    shocks=st.lists(st.tuples(st.integers(1500, 5000), st.integers(30, 300)), min_size=1, max_size=2),
    steps=st.lists(st.tuples(st.integers(0, 4), st.integers(1, 30), st.integers(0, 400)),  # (which position, ...)
                   min_size=1, max_size=8),
)
def test_every_liquidation_step_improves_the_account(legs, kept_ppm, shocks, steps) -> None:
    """Random portfolios with a thin cushion, index and vol shocks, random liquidation steps.

    Each step that moves a position: with E, M the equity and maintenance before and E', M'
    after, a positive E gives ``E' / M' >= E / M`` and ``E' >= 0`` and no bad debt; an E <= 0
    gives ``E' >= E`` and bad debt at most -E. Collateral conservation and the claims bound
    are checked by the harness after every block."""
    chain = Chain()
    ids = chain.market(index=3000, vol=0.65, series=PROPERTY_SERIES)
    victim, street, keeper = chain.trader("victim", 1_000_000), chain.trader("street", 10**8), chain.trader("keeper", 10**9)
    for series, lots in legs:
        _trade_at_mark(chain, street, victim, ids[series], lots)
    summary = margin.summarise(chain.state, chain.account(victim))
    spare = min(summary.cash_e6, summary.initial_excess_e6) * (10**6 - kept_ppm) // 10**6
    if spare >= E6:
        assert chain.run(chain.withdraw(victim, spare // E6))[0].ok
    half = (len(steps) + 1) // 2
    for shock, batch in zip(shocks, (steps[:half], steps[half:])):
        index, vol = shock
        chain.run(chain.oracle(1, index, vol / 100, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27)))
        for pick, lots, dt in batch:
            held = chain.account(victim).positions or ((ids[0], 0),)
            before = margin.summarise(chain.state, chain.account(victim))
            (r,) = chain.run(chain.liquidate(keeper, victim, held[pick % len(held)][0], lots / 10), dt=dt)
            if not r.ok:
                assert r.code in LIQUIDATION_REFUSALS, r
                continue
            if not r.filled_e6:
                continue
            bad_debt = int(r.detail.rsplit(" ", 1)[1])
            after = margin.summarise(chain.state, chain.account(victim))
            e, m, e_after, m_after = before.equity_e6, before.maintenance_e6, after.equity_e6, after.maintenance_e6
            if e > 0:
                assert e_after * m >= e * m_after, (e, m, e_after, m_after)
                assert e_after >= 0 and bad_debt == 0
            else:
                assert e_after >= e and bad_debt <= -e
