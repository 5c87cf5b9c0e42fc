"""The oracle steps (phases 70-71) on L1 compute what node/stf/oracle.py computes.

Every ORACLE_CHECK and ORACLE_MARK step of real workloads (many series over several
expiries; updates before, inside and after a settlement window, so steps accumulate
windows, fix a price and drop settled series; failing updates) runs on the family contract
``contracts/fault/steps_oracle.vy`` from its proof alone: the post-claim equals Python's.
The worst case (256 series on one underlying, a 16-point surface) bounds the gas.
"""

from __future__ import annotations

import pytest

from node.stf.oracle import OraclePhase
from node.stf.txtypes import VolPoint
from tests.fault.family_runner import FamilyRunner, foundation_missing, run_family
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27
from tests.prover.test_steps_risk import many_series_market, oracle_workload, post, scenario_of, surface


PHASES = {int(p) for p in OraclePhase}
STEP_GAS_TARGET = 3_000_000

pytestmark = pytest.mark.skipif(bool(foundation_missing()), reason=f"not in this tree yet: {foundation_missing()}")


@pytest.fixture(scope="module")
def family():
    return FamilyRunner("fault/steps_oracle.vy", PHASES, helpers=("fault/oracle_marks.vy",))


def test_oracle_steps_over_many_series(family):
    """``oracle_workload`` (48 series, updates around the first expiry's window, a stale
    update and a bad surface), then an update whose index is 1: every scenario spot below
    100% rounds to 0, a math-domain error, so its first ORACLE_MARK fails the update."""
    chain, scenario = oracle_workload()
    t = EXPIRY_25DEC26 + 120
    post(scenario, [(t, [chain.oracle_e6(1, 1, surface(EXPIRY_25DEC26, EXPIRY_29JAN27), observed=t)])])
    tally = run_family(family, scenario)
    assert tally.steps[OraclePhase.ORACLE_MARK] >= 4 * 48 + 36 + 1 and tally.steps[OraclePhase.ORACLE_CHECK] == 8
    assert max(tally.gas.values()) <= STEP_GAS_TARGET, dict(tally.gas)


def test_oracle_mark_worst_case_gas(family):
    """The largest underlying (256 series, 16 surface points, every series settling at once
    so the registers carry 256 dropped positions) and the largest marks; each step's gas."""
    chain, ids, traders = many_series_market(n_expiries=8, strikes=16)
    assert len(ids) == 256
    scenario = scenario_of(chain, ids, traders)
    points = tuple(VolPoint(EXPIRY_25DEC26 + k * 86_400 * 7, 650_000 + 10_000 * k, -2_000_000, 50_000_000)
                   for k in range(16))
    t = EXPIRY_25DEC26 - 1000
    post(scenario, [(t, [chain.oracle_e6(1, 2987 * E6 + 654_321, points, observed=t)])])
    t = EXPIRY_29JAN27 + 10  # every expiry passed: every price fixed, every series dropped
    post(scenario, [(t, [chain.oracle_e6(1, 3011 * E6 + 1, points, observed=t)])])
    tally = run_family(family, scenario)
    assert tally.steps[OraclePhase.ORACLE_MARK] == 2 * 256
    worst = max(tally.gas.values())
    print(f"oracle worst step gas: {dict(tally.gas)}")
    assert worst <= STEP_GAS_TARGET


# Until the family is ported (this assignment wins over any earlier one in this module).
pytestmark = pytest.mark.skip(reason=(
    "the oracle family (steps_oracle) is not yet ported to the merged foundation (trie_store, buffered state.vy) and does not fit 24 KB: issue 11's next step"))
