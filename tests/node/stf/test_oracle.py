"""Oracle sequencing (node/stf/oracle.py): a signed update applies only in order and fresh.

The attack: an oracle update signed earlier (a lower index) is held back, or replayed with
a fresh nonce, and included later; it would pull the index back, re-mark every series and
steer the settlement TWAP and liquidations. Every test drives the real STF (the harness
checks conservation and the books after each block).
"""

from __future__ import annotations

import pytest

from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.oracle import MAX_ORACLE_AGE_S, MAX_ORACLE_FUTURE_S
from node.stf.settlement import SETTLEMENT_WINDOW
from node.stf.txtypes import VolPoint
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain

E = EXPIRY_25DEC26
SURFACE = (VolPoint(E, 650_000, 0, 0),)


def update(chain: Chain, index: int, *, observed: int, sequence: int | None = None, underlying_id: int = 1) -> bytes:
    return chain.oracle_e6(underlying_id, index * E6, SURFACE, observed=observed, sequence=sequence)


def at(chain: Chain, time: int, *txs: bytes) -> list:
    return list(chain.block(list(txs), dt=time - chain.time).receipts)


def market() -> tuple[Chain, int]:
    chain = Chain()
    (instrument,) = chain.market(3000)  # sequence 1
    return chain, instrument


def test_a_held_back_older_update_cannot_pull_the_index_back() -> None:
    chain, instrument = market()
    t = chain.time + 10
    older = update(chain, 2000, observed=t, sequence=2)  # signed first ...
    newer = update(chain, 3100, observed=t + 1, sequence=3)
    assert at(chain, t + 1, newer)[0].ok  # ... but the newer one is included first
    before = (chain.state.get(keys.underlying(1)), chain.state.get(keys.mark(instrument)))
    (late,) = at(chain, t + 2, older)
    assert late.code == FailureCode.ORACLE_SEQUENCE_NOT_INCREASING
    assert (chain.state.get(keys.underlying(1)), chain.state.get(keys.mark(instrument))) == before
    assert before[0].index_price_e6 == 3100 * E6 and before[0].oracle_sequence == 3


def test_a_resigned_copy_of_an_applied_update_is_refused() -> None:
    chain, _ = market()
    t = chain.time + 1
    assert at(chain, t, update(chain, 3100, observed=t, sequence=5))[0].ok
    # the same update under a fresh nonce (the nonce alone would let it through again)
    (again,) = at(chain, t + 1, update(chain, 3100, observed=t, sequence=5))
    assert again.code == FailureCode.ORACLE_SEQUENCE_NOT_INCREASING
    (gap,) = at(chain, t + 2, update(chain, 3200, observed=t + 2, sequence=9))  # gaps are allowed
    assert gap.ok and chain.state.get(keys.underlying(1)).oracle_sequence == 9


def test_a_held_back_update_cannot_steer_the_settlement_price() -> None:
    honest, attacked = market()[0], market()[0]
    for chain in (honest, attacked):
        assert at(chain, E - SETTLEMENT_WINDOW, update(chain, 3000, observed=E - SETTLEMENT_WINDOW))[0].ok
    low = update(attacked, 1000, observed=E - 1000)  # sequence 3, withheld by whoever saw it
    for chain in (honest, attacked):
        assert at(chain, E - 900, update(chain, 3200, observed=E - 900, sequence=4))[0].ok
    (refused,) = at(attacked, E - 880, low)  # included late: it would hold 1000 over 880 s
    assert refused.code == FailureCode.ORACLE_SEQUENCE_NOT_INCREASING
    at(honest, E - 880)
    for chain in (honest, attacked):
        assert at(chain, E + 10, update(chain, 3300, observed=E + 10, sequence=5))[0].ok
    record = attacked.state.get(keys.settlement(1, E))
    assert record == honest.state.get(keys.settlement(1, E))
    assert record.price_e6 == 3_100 * E6  # 900 s at 3000, then 900 s at 3200
    assert attacked.state.get(keys.underlying(1)) == honest.state.get(keys.underlying(1))


@pytest.mark.parametrize(("age", "code"), [
    (MAX_ORACLE_AGE_S, FailureCode.OK),
    (MAX_ORACLE_AGE_S + 1, FailureCode.ORACLE_UPDATE_STALE),
    (10 * MAX_ORACLE_AGE_S, FailureCode.ORACLE_UPDATE_STALE),
    (-MAX_ORACLE_FUTURE_S, FailureCode.OK),
    (-MAX_ORACLE_FUTURE_S - 1, FailureCode.ORACLE_TIME_IN_FUTURE),
])
def test_observation_time_must_be_fresh_at_the_block_time(age, code) -> None:
    chain, _ = market()
    t = chain.time + 100
    before = chain.state.get(keys.underlying(1))
    (receipt,) = at(chain, t, update(chain, 2500, observed=t - age))
    assert receipt.code == code
    after = chain.state.get(keys.underlying(1))
    if code == FailureCode.OK:
        assert (after.index_price_e6, after.observation_time, after.oracle_time) == (2500 * E6, t - age, t)
    else:
        assert after == before


def test_observation_time_never_goes_back() -> None:
    chain, _ = market()
    t = chain.time + 30
    assert at(chain, t, update(chain, 3100, observed=t))[0].ok
    (older,) = at(chain, t + 1, update(chain, 2900, observed=t - 1))  # a larger sequence, an older observation
    assert older.code == FailureCode.ORACLE_TIME_BEFORE_LAST
    (same,) = at(chain, t + 2, update(chain, 2950, observed=t))  # two observations in one second: fine
    assert same.ok and chain.state.get(keys.underlying(1)).index_price_e6 == 2950 * E6


def test_each_underlying_has_its_own_sequence() -> None:
    chain, _ = market()
    t = chain.time + 1
    btc = chain.oracle_e6(2, 100_000 * E6, SURFACE, observed=t, sequence=1)
    eth = update(chain, 3100, observed=t, sequence=1)  # ETH is past sequence 1 already
    btc_receipt, eth_receipt = at(chain, t, btc, eth)
    assert btc_receipt.ok and eth_receipt.code == FailureCode.ORACLE_SEQUENCE_NOT_INCREASING
    assert chain.state.get(keys.underlying(2)).oracle_sequence == 1
