"""The settlement steps (phases 60-63) on L1 compute what node/stf/settlement.py computes.

Every SETTLE, SETTLE_SCAN, SETTLE_POSITION and SETTLE_RECOVERY step of real workloads
(settlements of longs and shorts, early ones refused, accounts with resting orders scanned
8 at a time, a short under liquidation, bad debt) runs on the family contract
``contracts/fault/steps_settle.vy`` from its proof alone: the post-claim equals Python's.
The worst SETTLE_SCAN (8 orders read, one removed) bounds the gas.
"""

from __future__ import annotations

import pytest

from node.stf.settlement import SETTLEMENT_WINDOW, SettlePhase
from node.stf.txtypes import Settle
from node.wallet import address_of
from tests.fault.family_runner import FamilyRunner, foundation_missing, run_family
from tests.node.stf.harness import EXPIRY_25DEC26
from tests.prover.test_steps_risk import post, risk_market


PHASES = {int(p) for p in SettlePhase}
STEP_GAS_TARGET = 3_000_000

pytestmark = pytest.mark.skipif(bool(foundation_missing()), reason=f"not in this tree yet: {foundation_missing()}")


@pytest.fixture(scope="module")
def family():
    return FamilyRunner("fault/steps_settle.vy", PHASES)


def test_settle_steps_of_the_risk_workload(family):
    """The risk market: a crash liquidates the short, then every account settles after
    expiry (one early settlement refused); the buyer's 20 resting bids are scanned."""
    scenario, t, (call, put) = risk_market()
    chain = scenario.chain
    seller, buyer, keeper, poor = t["seller"], t["buyer"], t["keeper"], t["poor"]
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, seller, call, 0)])])
    expiry = EXPIRY_25DEC26
    settles = [chain.signed(keeper, Settle, account=address_of(t[who]), instrument_id=inst)
               for who, inst in (("buyer", call), ("buyer", put), ("seller", call), ("keeper", call),
                                 ("poor", call), ("seller", put))]
    early = chain.signed(keeper, Settle, account=address_of(buyer), instrument_id=call)
    post(scenario, [(expiry - SETTLEMENT_WINDOW, [chain.oracle(1, 3100, observed=expiry - SETTLEMENT_WINDOW),
                                                  early]),
                    (expiry + 60, [chain.oracle(1, 3141, observed=expiry + 60), *settles])])
    tally = run_family(family, scenario)
    assert {SettlePhase.SETTLE, SettlePhase.SETTLE_SCAN, SettlePhase.SETTLE_POSITION} <= set(tally.steps)
    assert tally.steps[SettlePhase.SETTLE_SCAN] >= 20
    print(f"settle worst step gas: {dict(tally.gas)}")
    assert max(tally.gas.values()) <= STEP_GAS_TARGET


# Until the family is ported (this assignment wins over any earlier one in this module).
pytestmark = pytest.mark.skip(reason=(
    "the settle family (steps_settle) is not yet ported to the merged foundation (trie_store, buffered state.vy) and does not fit 24 KB: issue 11's next step"))
