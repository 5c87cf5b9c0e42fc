"""The oracle family on L1 (``contracts/fault/steps_oracle.vy``, its piece ``oracle_ops.vy`` and
``oracle_marks.vy``) computes what ``node/stf/oracle.py`` computes (OraclePhase 70-71).

Every ORACLE_CHECK and ORACLE_MARK step of real workloads (many series over several
expiries; updates before, inside and after a settlement window, so steps accumulate windows,
fix a price and drop settled series; refused updates: stale, from the future, before the
last observation, a replayed sequence, a wrong signer, an index out of range, a bad
surface, an unknown underlying; an update whose Mark hits a math-domain error) runs in
Python and on the verifier deployed by ``deploy_verifier`` on a revm that enforces EIP-170,
through the differential driver (``prover/l1/differential.py``): no step may diverge. The
worst case (256 series on one underlying, a 16-point surface, every series settling at
once so the registers carry 256 dropped positions) bounds the gas; a few steps also run on
py-evm, and tampered witnesses are refused.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Final

import pytest

from bridge.fault_contracts import ORACLE, ORACLE_CHECK, ORACLE_MARK
from bridge.revm_call import RevmRunner
from node.stf.errors import FailureCode
from node.stf.oracle import MAX_ORACLE_AGE_S
from node.stf.params import MAX_PRICE_E6
from node.stf.txtypes import OracleUpdate, VolPoint
from prover.client.trace import TraceRun
from prover.l1.deploy import FAMILIES, deploy_verifier, dispatch_key
from prover.l1.differential import Driver, Report
from prover.l1.verifier import run_step
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27
from tests.prover.test_steps_risk import many_series_market, oracle_workload, post, scenario_of, surface
from tests.fault.l1 import tampered_witness_refused
from tests.prover.workload import Scenario, clone, fast_path

GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction
GAS_CEILING: Final = 16_777_216
KINDS: Final = ("ORACLE_CHECK", "ORACLE_MARK")


@lru_cache(maxsize=1)
def _deployment():
    runner = RevmRunner()  # EIP-170 enforced: every contract of the family deploys
    deployment = deploy_verifier(runner, families=FAMILIES)
    assert {ORACLE_CHECK, ORACLE_MARK} <= deployment.implemented
    return runner, deployment


def _run(scenario: Scenario) -> Report:
    runner, deployment = _deployment()
    report = Driver(runner, deployment).run_batches(
        clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    for kind in KINDS:
        assert report.kinds.get(kind) is None or report.kinds[kind].skipped == 0
    return report


def _receipt_codes(scenario: Scenario) -> list[int]:
    backend = clone(scenario.chain.backend)
    results: list = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch, results)
    return [int(r.code) for block in results for r in block.receipts]


def _proofs(scenario: Scenario) -> list:
    proofs: list = []
    backend = clone(scenario.chain.backend)
    for batch in scenario.batches:
        TraceRun(backend, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
    return proofs


@pytest.fixture(scope="module")
def workload() -> Scenario:
    """``oracle_workload`` (48 series over 4 expiries, updates around the first expiry's
    window, a stale update and a bad surface), then the other refusals, an update of an
    underlying without series, and an update whose index is 1: every scenario spot below
    100% rounds to 0, a math-domain error, so its first ORACLE_MARK fails the update."""
    chain, scenario = oracle_workload()
    points = surface(EXPIRY_25DEC26, EXPIRY_29JAN27)
    t = EXPIRY_25DEC26 + 100
    seq = chain.oracle_sequences[1]  # past the underlying's: refused updates took sequences too
    refused = [
        chain.oracle_e6(1, 3000 * E6, points, observed=t + 16),  # ORACLE_TIME_IN_FUTURE
        chain.oracle_e6(1, 3000 * E6, points, observed=t, sequence=1),  # ORACLE_SEQUENCE_NOT_INCREASING
        chain.oracle_e6(1, 3000 * E6, points, observed=t - MAX_ORACLE_AGE_S - 1),  # ORACLE_UPDATE_STALE
        chain.oracle_e6(1, 0, points, observed=t),  # PRICE_OUT_OF_RANGE
        chain.oracle_e6(1, MAX_PRICE_E6 + 1, points, observed=t),  # PRICE_OUT_OF_RANGE
        chain.signed(scenario.keys["alice"], OracleUpdate, underlying_id=1, sequence=seq + 10, observation_time=t, index_price_e6=3000 * E6,
                     surface=points),  # UNAUTHORISED_SIGNER
        chain.oracle_e6(9, 3000 * E6, points, observed=t),  # UNKNOWN_UNDERLYING
        chain.oracle_e6(1, 3000 * E6, (VolPoint(EXPIRY_25DEC26, 1, 0, 0),), observed=t),  # BAD_VOL_SURFACE
        chain.oracle_e6(2, 60_000 * E6, points, observed=t),  # no series: stored at once
    ]
    post(scenario, [(t, refused)])
    # observed before the last accepted update's observation: ORACLE_TIME_BEFORE_LAST
    post(scenario, [(t + 20, [chain.oracle_e6(1, 3001 * E6, points, observed=EXPIRY_25DEC26 + 60)])])
    t += 30
    post(scenario, [(t, [chain.oracle_e6(1, 1, points, observed=t)])])  # FIELD_OUT_OF_RANGE at its first mark
    return scenario


def test_oracle_steps_of_the_workload_equal_python(workload) -> None:
    report = _run(workload)
    print(report.table())
    codes = set(_receipt_codes(workload))
    expected = {FailureCode.OK, FailureCode.ORACLE_TIME_IN_FUTURE, FailureCode.ORACLE_SEQUENCE_NOT_INCREASING,
                FailureCode.ORACLE_UPDATE_STALE, FailureCode.PRICE_OUT_OF_RANGE, FailureCode.UNAUTHORISED_SIGNER,
                FailureCode.UNKNOWN_UNDERLYING, FailureCode.BAD_VOL_SURFACE, FailureCode.ORACLE_TIME_BEFORE_LAST,
                FailureCode.FIELD_OUT_OF_RANGE}
    assert {int(c) for c in expected} <= codes, sorted(codes)
    assert report.kinds["ORACLE_MARK"].run >= 4 * 48 + 36 + 1
    assert report.kinds["ORACLE_CHECK"].run >= 7 + 11
    assert report.kinds["ROLLBACK"].run >= 10
    for kind in KINDS:
        assert report.kinds[kind].gas_max <= GAS_TARGET, (kind, report.kinds[kind].gas_max)


def test_oracle_mark_worst_case_gas(capsys) -> None:
    """The largest underlying (256 series, 16 surface points), marked once inside the first
    expiry's window, then once after every expiry: every price fixed, every series dropped,
    so the last steps carry 256 dropped positions in their registers; each step's gas."""
    chain, ids, traders = many_series_market(n_expiries=8, strikes=16)
    assert len(ids) == 256
    scenario = scenario_of(chain, ids, traders)
    points = tuple(VolPoint(EXPIRY_25DEC26 + k * 86_400 * 7, 650_000 + 10_000 * k, -2_000_000, 50_000_000)
                   for k in range(16))
    t = EXPIRY_25DEC26 - 1000
    post(scenario, [(t, [chain.oracle_e6(1, 2987 * E6 + 654_321, points, observed=t)])])
    t = EXPIRY_29JAN27 + 10
    post(scenario, [(t, [chain.oracle_e6(1, 3011 * E6 + 1, points, observed=t)])])
    report = _run(scenario)
    with capsys.disabled():
        print("\n" + report.table())
    marks = report.kinds["ORACLE_MARK"]
    assert marks.run == 2 * 256
    # Past 64 registers (a settled series each) a step's cursor goes through oracle_cursor.vy:
    # over the 3 M target (README); bounded by the ceiling.
    assert marks.gas_max <= GAS_CEILING and report.kinds["ORACLE_CHECK"].gas_max <= GAS_TARGET


def test_tampered_oracle_proofs_are_refused() -> None:
    """A witness node changed or dropped: where Python refuses the proof, L1 reverts (never
    another post-claim)."""
    chain, scenario = oracle_workload()
    proofs = [p for p in _proofs(scenario) if dispatch_key(p.cursor) in ORACLE.keys and p.nodes]
    runner, deployment = _deployment()
    sample = random.Random(11).sample(proofs, 12)
    checked = tampered_witness_refused(runner, deployment.verifier, sample, seed=11)
    assert checked >= 12, checked


def test_a_few_oracle_steps_on_py_evm() -> None:
    """The same verifier on py-evm (the devnet's EVM) agrees with Python and revm."""
    from bridge.evm_call import EvmRunner

    chain, scenario = oracle_workload()
    proofs = [p for p in _proofs(scenario) if dispatch_key(p.cursor) in ORACLE.keys]
    picked = [next(p for p in proofs if dispatch_key(p.cursor) == ORACLE_CHECK),
              *[p for p in proofs if dispatch_key(p.cursor) == ORACLE_MARK][:2]]
    runner = EvmRunner()
    deployment = deploy_verifier(runner, families=FAMILIES)
    revm, revm_deployment = _deployment()
    for proof in picked:
        slow = run_step(runner, deployment.verifier, proof)
        fast = run_step(revm, revm_deployment.verifier, proof)
        assert slow.post_claim == fast.post_claim == proof.post_claim
