"""The block family on L1 (``contracts/fault/steps_block.vy`` + ``block_globals.vy``,
``block_rules.vy``) proves every derivation step of real and hostile batches: through the
verifier, the post-claim of every ``NEXT_TX``, ``BLOCK_OPEN`` and ``BLOCK_CLOSE`` step is
the one Python computes, and a proof whose inputs differ from L1 storage is refused.

The verifier and its families are deployed as the devnet deploys them
(``bridge.fault_contracts.deploy_verifier``, EIP-170 enforced) on revm, with an L1 storage
double as inbox, portal and forced queue (``tests/fault/l1_fixture.py``) loaded with each
batch's record and the queue entries it sees before the batch runs; every step goes through
the differential driver (``prover/l1/differential.py``: Python re-execution from the proof
alone, then ``verifier.step`` with the calldata of ``prover/l1/calldata.py``). The rules
alone are checked field by field in ``test_derive_steps_vyper.py``.
"""

from __future__ import annotations

import random
from dataclasses import replace
from functools import lru_cache
from typing import Final

import pytest

from bridge.evm_call import EvmRunner
from bridge.fault_contracts import BLOCK, FAMILIES
from bridge.revm_call import RevmRunner
from node.stf.cursor import decode_cursor
from node.stf.derive_steps import DEP_POS, FORCED_POS, BlockPhase
from node.stf.l1_inputs import L1Deposit, L1Forced
from node.stf.steps import Phase
from node.wallet import address_of
from prover.client.inputs import MemoryInputs
from prover.client.proof import StepProof
from prover.client.trace import TraceRun
from prover.l1.deploy import FaultDeployment, deploy_verifier
from prover.l1.differential import Driver, Report
from prover.l1.verifier import StepRefused, run_step
from tests.fault.derive_fixture import (
    BLOCK_PHASES,
    Case,
    backlog_scenario,
    deep_state_scenario,
    hostile_scenario,
    load_l1,
    re_execute,
    trace_proofs,
    worst_read_scenario,
)
from tests.fault.l1_fixture import L1Double, RealL1, load_batch
from tests.fault.test_derive_steps_vyper import _mutations, outcome
from tests.prover.workload import Batch, Scenario, clone, encode_blocks

BLOCK_KINDS: Final = ("NEXT_TX", "BLOCK_OPEN", "BLOCK_CLOSE")
GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction


def l1_of(l1: L1Double) -> dict[str, bytes]:
    """The double as the three L1 contracts the block family reads."""
    return {"inbox": l1.address, "portal": l1.address, "forced": l1.address}


def deploy_on_double(runner) -> tuple[L1Double, FaultDeployment]:
    l1 = L1Double(runner)
    return l1, deploy_verifier(runner, l1_of(l1))


@lru_cache(maxsize=1)
def _deployment() -> tuple[RevmRunner, L1Double, FaultDeployment]:
    runner = RevmRunner()  # EIP-170 enforced: the family deploys as on L1
    return (runner, *deploy_on_double(runner))


class _Recording(Driver):
    """The driver, keeping the block steps' proofs (to show which rules' branches ran)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.proofs: list[StepProof] = []

    def check(self, proof: StepProof) -> None:
        if decode_cursor(proof.cursor).phase in BLOCK_PHASES:
            self.proofs.append(proof)
        super().check(proof)


def _run(scenario: Scenario, proofs: list[StepProof] | None = None) -> Report:
    """Every step of ``scenario``'s batches through the driver (the block steps on L1); fails
    on any divergence. The block steps' proofs are appended to ``proofs`` when given."""
    runner, l1, deployment = _deployment()
    driver = _Recording(runner, deployment)
    report = driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches],
                                before=lambda batch, inputs: load_batch(l1, batch, inputs))
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences[:5]]
    for kind in BLOCK_KINDS:
        assert report.kinds[kind].skipped == 0
    if proofs is not None:
        proofs += driver.proofs
    return report


def _outcomes(proofs: list[StepProof]) -> set[str]:
    """What each step did in Python (``test_derive_steps_vyper.outcome``)."""
    return {outcome(Case(p, *re_execute(p))) for p in proofs}


def _gas(report: Report) -> dict[str, int]:
    return {kind: report.kinds[kind].gas_max for kind in BLOCK_KINDS if report.kinds[kind].gas}


def test_the_block_family_is_registered_for_its_phases() -> None:
    assert BLOCK in FAMILIES and set(BLOCK.keys) == {Phase.NEXT_TX, BlockPhase.BLOCK_OPEN, BlockPhase.BLOCK_CLOSE}
    _, _, deployment = _deployment()
    assert set(BLOCK.keys) <= deployment.implemented
    # without the L1 addresses it reads, the family is not deployed (its steps stay skipped)
    assert not set(BLOCK.keys) & deploy_verifier(RevmRunner(), families=[BLOCK]).implemented


def test_every_block_step_of_random_and_hostile_batches_equals_python() -> None:
    """Random batches (deposits declared or only due, forced entries signed, garbage and
    unsigned, batches cut short, empty batches of due entries) and damaged ones (flipped and
    cut bytes, garbage, nested and oversized items, header integers past uint64, a declared
    last block short of what they hold)."""
    steps = {kind: 0 for kind in BLOCK_KINDS}
    gas: dict[str, int] = {}
    proofs: list[StepProof] = []
    for seed in range(1, 6):
        report = _run(hostile_scenario(seed), proofs)
        for kind in BLOCK_KINDS:
            steps[kind] += report.kinds[kind].run
        gas = {k: max(gas.get(k, 0), g) for k, g in _gas(report).items()}
    print(steps, gas)
    assert steps["BLOCK_OPEN"] > 30 and steps["NEXT_TX"] > 200 and steps["BLOCK_CLOSE"] > 20
    assert max(gas.values()) <= GAS_TARGET
    assert _outcomes(proofs) == {"halt", "due block", "batch block", "batch ends", "block ends", "unsigned skipped",
                                 "deposit", "deposit ahead of its deadline", "forced", "batch tx", "close"}


@pytest.mark.slow
def test_soak_hostile_batches_equal_python() -> None:
    """``make soak``: 200 more hostile chains of 10 batches, every block step on L1."""
    for seed in range(100, 300):
        _run(hostile_scenario(seed, n_batches=10))


def test_time_clamps_and_queue_limits_equal_python() -> None:
    """Block timestamps past both clamp bounds and going backwards, queue positions declared
    past what the batch sees, past the per-block cap (256 deposits) and behind the start."""
    scenario = Scenario.market()
    chain, alice = scenario.chain, scenario.keys["alice"]
    t = chain.time + 10_000  # the batch's L1 time: genesis' block time is below t - MAX_TIMESTAMP_LAG_S
    start = len(scenario.deposits)
    for i in range(300):
        scenario.deposits.append(L1Deposit(start + i, address_of(alice), (i + 1) * 10**6, t + 600, 0))
    scenario.forced += [L1Forced(0, chain.withdraw(alice, 1), t + 600, 0), L1Forced(1, b"\x01garbage", t + 600, 0)]
    blocks = [(t - 100_000, start + 300, 5, [chain.withdraw(alice, 2)]),  # lag bound; 256 deposits (cap); forced: 2 seen
              (t + 5_000, start, 0, [chain.withdraw(alice, 3)]),  # drift bound; declared behind the start
              (0, start + 300, 2, [])]  # backwards: the previous time; the other 44 deposits
    scenario.batches = [Batch(0, blocks, t, encode_blocks(blocks), len(scenario.deposits), 2)]
    proofs: list[StepProof] = []
    _run(scenario, proofs)
    closes = [decode_cursor(p.cursor) for p in proofs if decode_cursor(p.cursor).phase == BlockPhase.BLOCK_CLOSE]
    assert [c.time for c in closes] == [t - 3_600, t + 60, t + 60]
    assert [c.outer[DEP_POS] - start for c in closes] == [256, 256, 300]
    assert [c.outer[FORCED_POS] for c in closes] == [2, 2, 2]


def test_blocks_of_due_entries_equal_python() -> None:
    """Empty batches after a backlog of due forced entries: blocks of due entries only."""
    report = _run(backlog_scenario(forced=100, batches=2))
    assert report.kinds["BLOCK_OPEN"].run >= 4 and report.kinds["NEXT_TX"].run > 100


def test_the_due_block_cap_halts_alike() -> None:
    """A backlog longer than 64 blocks of due forced entries: the 65th BLOCK_OPEN halts on
    the cap while entries are still due."""
    report = _run(backlog_scenario(forced=64 * 32 + 5, batches=1))
    assert report.kinds["BLOCK_OPEN"].run == 65 and report.kinds["BLOCK_CLOSE"].run == 64


def test_worst_steps_stay_under_the_gas_target() -> None:
    """The widest NEXT_TX read (a deposit and a 2 KiB forced entry read and left, a 2 KiB
    transaction over four chunks of a 118-chunk batch) and the block steps around it."""
    gas = _gas(_run(worst_read_scenario()))
    print(gas)
    assert set(gas) == set(BLOCK_KINDS)
    assert max(gas.values()) <= GAS_TARGET


def test_block_steps_over_a_deep_state_trie() -> None:
    """Globals under three full branches (a state of ~10^5 records): the BLOCK_OPEN and
    BLOCK_CLOSE witnesses are longest."""
    scenario = deep_state_scenario()
    depth = max(len(p.nodes) for p in trace_proofs(scenario) if decode_cursor(p.cursor).phase in BLOCK_PHASES)
    assert depth >= 6
    gas = _gas(_run(scenario))
    print(gas)
    assert max(gas.values()) <= GAS_TARGET


def _block_proofs(scenario: Scenario) -> list[StepProof]:
    return [p for p in trace_proofs(scenario) if decode_cursor(p.cursor).phase in BLOCK_PHASES]


def _l1(runner, verifier: bytes, proof: StepProof) -> bytes | None:
    try:
        return run_step(runner, verifier, proof).post_claim
    except StepRefused:
        return None


def test_py_evm_proves_the_same_post_claims() -> None:
    """The devnet's EVM (py-evm) runs the verifier to the same post-claims (the first steps
    of each block phase and of each input kind: py-evm takes seconds a step)."""
    runner = EvmRunner()
    l1, deployment = deploy_on_double(runner)
    scenario = hostile_scenario(3, n_batches=1, per_block=2)
    load_l1(l1, scenario)
    firsts: dict[tuple, StepProof] = {}
    for proof in _block_proofs(scenario):
        firsts.setdefault((decode_cursor(proof.cursor).phase, bool(proof.pieces), bool(proof.deposits),
                           bool(proof.forced)), proof)
    assert {k[0] for k in firsts} == set(BLOCK_PHASES)
    for proof in firsts.values():
        assert _l1(runner, deployment.verifier, proof) == proof.post_claim, proof.kind


def test_block_steps_against_the_real_l1_contracts() -> None:
    """A batch appended to the real inbox, a deposit queued on the real portal and forced
    transactions on the real forced queue (at chosen L1 times): every block step of its
    trace proves its post-claim with the verifier reading those contracts; an entry
    differing from what they store is refused."""
    scenario = Scenario.market()
    chain, keys_ = scenario.chain, scenario.keys
    runner = RevmRunner()
    l1 = RealL1(runner)
    l1.at(chain.time)
    # stand-ins for the set-up deposits the scenario's state already applied (never read)
    deposits = [l1.deposit(b"\x11" * 20, 1) for _ in scenario.deposits]
    deposits.append(l1.deposit(address_of(keys_["alice"]), 5 * 10**6))
    forced = [l1.force(chain.withdraw(keys_["alice"], 1)), l1.force(b"\x01not a transaction")]
    l1.at(chain.time + 30)
    start = len(scenario.deposits)
    data = encode_blocks([(chain.time + 20, start + 1, 1, [chain.withdraw(keys_["bob"], 2)]),
                          (chain.time + 25, start + 1, 2, [chain.withdraw(keys_["carol"], 3)])])
    record = l1.append(data, 2**63)
    deployment = deploy_verifier(runner, {"inbox": l1.inbox, "portal": l1.portal, "forced": l1.forced})
    proofs: list[StepProof] = []
    TraceRun(clone(chain.backend), record.index, MemoryInputs(record, data, deposits, forced)).run(
        on_proof=proofs.append)
    block_proofs = [p for p in proofs if decode_cursor(p.cursor).phase in BLOCK_PHASES]
    assert any(p.deposits for p in block_proofs) and any(p.forced for p in block_proofs)
    for proof in block_proofs:
        assert _l1(runner, deployment.verifier, proof) == proof.post_claim, f"step {proof.position} ({proof.kind})"
        if proof.deposits:
            d = proof.deposits[0]
            assert _l1(runner, deployment.verifier, replace(proof, deposits=(replace(d, amount_e6=d.amount_e6 - 1),))) is None
        if proof.forced:
            f = proof.forced[0]
            assert _l1(runner, deployment.verifier, replace(proof, forced=(replace(f, deadline=f.deadline + 1),))) is None


def test_proofs_whose_inputs_differ_from_l1_are_refused() -> None:
    """A batch byte, a range cut, a missing piece, a queue entry changed or missing, an
    entry of another position, a witness node missing: refused."""
    rng = random.Random(7)
    runner, l1, deployment = _deployment()
    scenario = hostile_scenario(4)
    load_l1(l1, scenario)
    refused: set[str] = set()
    for proof in _block_proofs(scenario):
        mutations = list(_mutations(proof, rng))
        if proof.deposits and proof.deposits[0].index + 1 < len(scenario.deposits):
            other = scenario.deposits[proof.deposits[0].index + 1]
            mutations.append(("deposit of another position", replace(proof, deposits=(other,))))
        if proof.forced and proof.forced[0].index + 1 < len(scenario.forced):
            other = scenario.forced[proof.forced[0].index + 1]
            mutations.append(("forced of another position", replace(proof, forced=(other,))))
        if proof.nodes:
            mutations.append(("witness node missing", replace(proof, nodes=proof.nodes[1:])))
        for what, mutated in mutations:
            assert _l1(runner, deployment.verifier, mutated) is None, f"{what} accepted at {proof.kind}"
            refused.add(what)
    assert {"piece missing", "chunk byte", "range cut", "deposit missing", "deposit amount", "deposit deadline",
            "forced missing", "forced tx", "deposit of another position", "forced of another position",
            "witness node missing"} <= refused
