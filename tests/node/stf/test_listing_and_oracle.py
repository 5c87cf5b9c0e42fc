"""Listing series and oracle updates: authorisation, validation, names and marks."""

from __future__ import annotations

import pytest

from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.instruments import BadInstrumentName, parse_series_name, series_name
from node.stf.optionmath import bs_price, years_from_seconds_wad
from node.stf.scenarios import SCENARIOS
from node.stf.txtypes import ListInstrument
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain, private_key

DAY = 86_400


def test_deribit_names_round_trip() -> None:
    assert series_name("ETH", EXPIRY_25DEC26, 3000 * E6, True) == "ETH-25DEC26-3000-C"
    assert series_name("BTC", EXPIRY_29JAN27, 100_000 * E6, False) == "BTC-29JAN27-100000-P"
    assert series_name("XRP", EXPIRY_25DEC26, 550_000, True) == "XRP-25DEC26-0d55-C"
    for name in ("ETH-25DEC26-3000-C", "BTC-1JAN27-95000-P", "XRP-29FEB28-0d55-C"):
        parsed = parse_series_name(name)
        assert series_name(parsed.underlying, parsed.expiry, parsed.strike_e6, parsed.is_call) == name
    assert parse_series_name("ETH-25DEC26-3000-C").expiry == EXPIRY_25DEC26
    for bad in ("ETH-30FEB27-3000-C", "ETH-25DEC26-3000", "ETH-25XYZ26-3000-C", "ETH-25DEC26-x-C"):
        with pytest.raises(BadInstrumentName):
            parse_series_name(bad)


def test_listing_rules() -> None:
    chain = Chain()
    stranger = chain.trader("stranger", 0)
    ok, dup, not_admin, not_8am, past, far, no_underlying, zero_tick = chain.run(
        chain.listing(1, EXPIRY_25DEC26, 3000, True),
        chain.listing(1, EXPIRY_25DEC26, 3000, True),
        chain.signed(stranger, ListInstrument, underlying_id=1, expiry=EXPIRY_25DEC26, strike_e6=3100 * E6,
                     is_call=True, tick_size_e6=100_000, min_size_e6=100_000),
        chain.listing(1, EXPIRY_25DEC26 + 3600, 3000, True),
        chain.listing(1, chain.time - DAY, 3000, True),
        chain.listing(1, EXPIRY_25DEC26 + 6 * 365 * DAY, 3000, True),
        chain.listing(9, EXPIRY_25DEC26, 3000, True),
        chain.listing(1, EXPIRY_25DEC26, 3200, True, tick=0),
    )
    assert ok.ok and ok.detail == "instrument 1"
    assert dup.code == FailureCode.INSTRUMENT_EXISTS
    assert not_admin.code == FailureCode.UNAUTHORISED_SIGNER
    assert not_8am.code == past.code == far.code == zero_tick.code == FailureCode.BAD_INSTRUMENT
    assert no_underlying.code == FailureCode.UNKNOWN_UNDERLYING
    assert chain.state.get(keys.underlying(1)).instruments == (1,)


def test_oracle_update_marks_every_series_with_black_scholes() -> None:
    chain = Chain()
    call, put = chain.market(index=3000, vol=0.65, series=((EXPIRY_25DEC26, 3200, True), (EXPIRY_25DEC26, 2800, False)))
    now = chain.time
    t = years_from_seconds_wad(EXPIRY_25DEC26 - now)
    for inst, strike, is_call in ((call, 3200, True), (put, 2800, False)):
        mark = chain.state.get(keys.mark(inst))
        expected = bs_price(3000 * 10**18, strike * 10**18, t, 65 * 10**16, 0, is_call) // 10**12
        assert mark.mark_e6 == expected and mark.index_e6 == 3000 * E6 and mark.time == now
        assert (mark.underlying_id, mark.is_call, mark.vol_e6) == (1, is_call, 650_000)
        # scenario values: the unshocked scenario is the mark itself; the others are re-priced
        assert mark.scenario_pnl_e6[SCENARIOS.index((1_000_000, 0, 1_000_000))] == 0
        k = SCENARIOS.index((1_150_000, 1, 1_000_000))  # spot +15%, vol up 30% (24 days out)
        shocked = bs_price(3450 * 10**18, strike * 10**18, t, 845 * 10**15, 0, is_call) // 10**12
        assert mark.scenario_pnl_e6[k] == shocked - expected
        assert (mark.delta > 0) == is_call and mark.gamma > 0 and mark.vega > 0 and mark.theta < 0


def test_smile_and_interpolation_change_marks() -> None:
    chain = Chain()
    near, far = chain.market(series=((EXPIRY_25DEC26, 2600, False), (EXPIRY_29JAN27, 2600, False)))
    flat = chain.state.get(keys.mark(near)).mark_e6
    chain.run(chain.oracle(1, 3000, 0.65, skew=-0.5, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27)))
    skewed = chain.state.get(keys.mark(near)).mark_e6
    assert skewed > flat  # negative skew lifts low-strike vols, so OTM puts get dearer
    assert chain.state.get(keys.mark(far)).mark_e6 > skewed  # more time, more value


@pytest.mark.parametrize(
    ("surface_kwargs", "code"),
    [
        ({"vol": 0.001}, FailureCode.BAD_VOL_SURFACE),
        ({"vol": 11.0}, FailureCode.BAD_VOL_SURFACE),
        ({"expiries": (EXPIRY_29JAN27, EXPIRY_25DEC26)}, FailureCode.BAD_VOL_SURFACE),
        ({"skew": -20.0}, FailureCode.BAD_VOL_SURFACE),
    ],
)
def test_bad_surfaces_are_rejected(surface_kwargs, code) -> None:
    chain = Chain()
    chain.market()
    before = chain.state.get(keys.underlying(1))
    (r,) = chain.run(chain.oracle(1, 3100, **surface_kwargs))
    assert r.code == code
    assert chain.state.get(keys.underlying(1)) == before


def test_only_oracle_keys_update_prices() -> None:
    chain = Chain()
    chain.market()
    from node.stf.txtypes import OracleUpdate, VolPoint

    mallory = private_key("mallory")
    (r,) = chain.run(chain.signed(mallory, OracleUpdate, underlying_id=1, sequence=99,
                                  observation_time=chain.time + 1, index_price_e6=1 * E6,
                                  surface=(VolPoint(EXPIRY_25DEC26, 650_000, 0, 0),)))
    assert r.code == FailureCode.UNAUTHORISED_SIGNER
    assert chain.state.get(keys.underlying(1)).index_price_e6 == 3000 * E6


def test_withdrawal_records_claim_and_checks_margin() -> None:
    chain = Chain()
    (inst,) = chain.market()
    alice, bob = chain.trader("alice", 1_000), chain.trader("bob")
    (w,) = chain.run(chain.withdraw(alice, 400, recipient=b"\x42" * 20))
    assert w.ok and w.detail == "withdrawal 0"
    record = chain.state.get(keys.withdrawal(0))
    assert (record.recipient, record.amount_e6, record.block_number) == (b"\x42" * 20, 400 * E6, chain.number)
    assert chain.balance(alice) == 600 * E6
    too_much, zero = chain.run(chain.withdraw(alice, 601), chain.withdraw(alice, 0))
    assert too_much.code == FailureCode.INSUFFICIENT_BALANCE and zero.code == FailureCode.ZERO_AMOUNT
    # a short position ties up margin: the withdrawal that would breach it fails
    chain.run(chain.order(bob, inst, 0, 150, 1), chain.order(alice, inst, 1, 150, 1))
    assert chain.position(alice, inst) == -E6
    (breach,) = chain.run(chain.withdraw(alice, 700))
    assert breach.code == FailureCode.INSUFFICIENT_MARGIN


def test_deposits_apply_in_queue_order() -> None:
    chain = Chain()
    first = chain.deposit(b"\x01" * 20, 5)
    second = chain.deposit(b"\x02" * 20, 7)
    out_of_order, ok1, ok2, replay = chain.run(second, first, second, first)
    assert out_of_order.code == FailureCode.DEPOSIT_OUT_OF_ORDER
    assert ok1.ok and ok2.ok and replay.code == FailureCode.DEPOSIT_OUT_OF_ORDER
    assert chain.state.get(keys.GLOBALS).total_deposited_e6 == 12 * E6
