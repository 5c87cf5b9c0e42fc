"""The block steps' rules on L1 (``contracts/fault/lib/derive_steps.vy``) compute what
``node/stf/derive_steps.py`` computes, step by step, on random and hostile batches.

Every BLOCK_OPEN, NEXT_TX and BLOCK_CLOSE step of traced batches runs in Python from its
proof (``derive_fixture.re_execute``) and through ``contracts/fault/block_rules.vy`` (the
rules with the inputs opened, which the family calls)
with the proof's inputs encoded as the verifier receives them (records and queue hashes
in an L1 storage double): the cursor after the step and the Globals block fields must be
equal. The family contract (``steps_block.vy``) adds the cursor and state codecs around
these rules and is tested on claims in ``test_steps_block.py``.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from eth_abi import decode, encode

from bridge.evm_call import EvmRunner
from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf.cursor import Cursor
from node.stf.derive_steps import BlockPhase
from node.stf.steps import Phase
from prover.client.proof import StepProof
from prover.l1.inputs_codec import encode_inputs
from tests.fault.derive_fixture import (
    Case,
    backlog_scenario,
    block_step_cases,
    hostile_scenario,
    load_l1,
    worst_read_scenario,
)
from tests.fault.l1_fixture import L1Double

POSITION = "(uint256,uint256,uint256,uint256,int256[])"
TIP = "(uint256,uint256,uint256,uint256)"
RESULT = "(bool,uint256,uint256,uint256,uint256,int256[],bytes)"
REVERT = "revert"
SIGNATURE = f"step({POSITION},{TIP},bytes,address,address,address)"


class Rules:
    def __init__(self, runner=None) -> None:
        self.runner = runner if runner is not None else RevmRunner()
        self.build = compile_contract("fault/block_rules.vy")
        self.address = self.runner.deploy(self.build.initcode)
        self.gas: dict[int, int] = {}

    def fresh_l1(self, scenario) -> L1Double:
        l1 = L1Double(self.runner)
        load_l1(l1, scenario)
        return l1

    def call(self, case: Case, proof: StepProof, l1: L1Double):
        """The harness's step on ``case``'s pre-state with ``proof``'s inputs: the decoded
        ``(Result, Tip)``, or ``REVERT``."""
        c, g = case.pre, case.globals_pre
        tip = _tip(g) if g is not None else (0, 0, 0, 0)
        inputs = encode_inputs(proof.pieces, proof.deposits, proof.forced)
        args = [(c.phase, c.block, c.time, c.tx_index, list(c.outer)), tip, inputs] + [l1.address] * 3
        data = self.build.selector(SIGNATURE) + encode([POSITION, TIP, "bytes"] + ["address"] * 3, args)
        result = self.runner.call(self.address, data)
        self.last_data, self.last_gas = data, result.gas_used
        if not result.success:
            return REVERT
        self.gas[c.phase] = max(self.gas.get(c.phase, 0), result.gas_used)
        return decode([RESULT, TIP], result.output)

    def check(self, case: Case, l1: L1Double) -> None:
        c = case.pre
        got = self.call(case, case.proof, l1)
        assert got != REVERT, f"refused a valid step at phase {c.phase}"
        (fresh, phase, block, time, tx_index, outer, tx), tip_after = got
        if fresh:
            got = Cursor(phase, block, time, tx_index, tuple(outer), tx)
        else:
            got = c._replace(phase=phase, outer=tuple(outer))
        assert got == case.post, f"phase {c.phase}: {got} != {case.post}"
        if case.globals_post is not None:
            assert tip_after == _tip(case.globals_post)


def _tip(g) -> tuple[int, int, int, int]:
    return g.last_block_number, g.last_block_time, g.next_deposit_index, g.next_forced_index


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules()


def outcome(case: Case) -> str:
    """What the step did, to show the cases cover every branch of the rules."""
    pre, post = case.pre, case.post
    if pre.phase == BlockPhase.BLOCK_OPEN:
        if post.phase == BlockPhase.HALTED:
            return "halt"
        return "due block" if post.outer[14] > pre.outer[14] else "batch block"
    if pre.phase == Phase.NEXT_TX:
        if post.phase == BlockPhase.BLOCK_CLOSE:
            return "batch ends" if post.outer[10] > pre.outer[10] else "block ends"
        if post.phase == Phase.NEXT_TX:
            return "unsigned skipped"
        if post.outer[4] > pre.outer[4]:
            return "deposit" if post.outer[12] == pre.outer[12] else "deposit ahead of its deadline"
        return "forced" if post.outer[7] > pre.outer[7] else "batch tx"
    return "close"


def _run(rules: Rules, scenario, seen: set[str] | None = None) -> dict[int, int]:
    l1 = rules.fresh_l1(scenario)
    counts: dict[int, int] = {}
    for case in block_step_cases(scenario):
        rules.check(case, l1)
        counts[case.pre.phase] = counts.get(case.pre.phase, 0) + 1
        if seen is not None:
            seen.add(outcome(case))
    return counts


def test_random_and_hostile_batches_step_alike(rules: Rules) -> None:
    seen: set[str] = set()
    for seed in range(1, 9):
        counts = _run(rules, hostile_scenario(seed), seen)
        assert counts.get(BlockPhase.BLOCK_OPEN, 0) > 6 and counts.get(Phase.NEXT_TX, 0) > 40
    assert seen == {"halt", "due block", "batch block", "batch ends", "block ends", "unsigned skipped", "deposit",
                    "deposit ahead of its deadline", "forced", "batch tx", "close"}


@pytest.mark.slow
def test_soak_hostile_batches_step_alike(rules: Rules) -> None:
    for seed in range(100, 300):
        _run(rules, hostile_scenario(seed, n_batches=10))


def test_blocks_of_due_entries_step_alike(rules: Rules) -> None:
    counts = _run(rules, backlog_scenario(forced=100, batches=2))
    assert counts[BlockPhase.BLOCK_OPEN] >= 4


def test_the_widest_read_steps_alike(rules: Rules) -> None:
    """A deposit and a 2 KiB forced transaction read and left, then a 2 KiB transaction
    across four chunks of a 118-chunk batch: the NEXT_TX step that reads the most."""
    scenario = worst_read_scenario()
    l1 = rules.fresh_l1(scenario)
    widest = 0
    for case in block_step_cases(scenario):
        rules.check(case, l1)
        if case.pre.phase == Phase.NEXT_TX:
            read = sum(len(p.chunks) for p in case.proof.pieces)
            if read == 4 and case.proof.deposits and case.proof.forced:
                widest += 1
    assert widest == 1
    assert rules.gas[Phase.NEXT_TX] < 400_000  # the rules alone; the family adds the cursor codec


def _mutations(proof, rng: random.Random):
    """Inputs a step's proof might be sent with instead of its own, each invalid: a piece
    or entry missing, bytes or an entry that L1 does not hold, another batch's bytes."""
    if proof.pieces:
        yield "piece missing", replace(proof, pieces=proof.pieces[1:])
        p = proof.pieces[0]
        if p.chunks:
            chunk = bytearray(p.chunks[0])
            chunk[rng.randrange(len(chunk))] ^= 1
            yield "chunk byte", replace(proof, pieces=(replace(p, chunks=(bytes(chunk),) + p.chunks[1:]),))
            if p.end > p.start + 1:
                yield "range cut", replace(proof, pieces=(replace(p, end=p.end - 1),))
    if proof.deposits:
        d = proof.deposits[0]
        yield "deposit missing", replace(proof, deposits=proof.deposits[1:])
        yield "deposit amount", replace(proof, deposits=(replace(d, amount_e6=d.amount_e6 + 1),))
        yield "deposit deadline", replace(proof, deposits=(replace(d, deadline=d.deadline ^ 1),))
    if proof.forced:
        f = proof.forced[0]
        yield "forced missing", replace(proof, forced=proof.forced[1:])
        yield "forced tx", replace(proof, forced=(replace(f, raw_tx=f.raw_tx + b"\x00"),))


def test_inputs_that_differ_from_l1_are_refused(rules: Rules) -> None:
    rng = random.Random(5)
    scenario = hostile_scenario(4)
    l1 = rules.fresh_l1(scenario)
    refused: set[str] = set()
    for case in block_step_cases(scenario):
        for what, proof in _mutations(case.proof, rng):
            assert rules.call(case, proof, l1) == REVERT, f"{what} accepted at phase {case.pre.phase}"
            refused.add(what)
    assert refused == {"piece missing", "chunk byte", "range cut", "deposit missing", "deposit amount",
                       "deposit deadline", "forced missing", "forced tx"}


def test_py_evm_agrees_with_revm(rules: Rules) -> None:
    """The devnet's EVM (py-evm) gives the same results as revm on a batch's block steps."""
    slow = Rules(EvmRunner())
    scenario = hostile_scenario(2, n_batches=2, per_block=2)
    fast_l1, slow_l1 = rules.fresh_l1(scenario), slow.fresh_l1(scenario)
    steps = 0
    for case in block_step_cases(scenario):
        assert slow.call(case, case.proof, slow_l1) == rules.call(case, case.proof, fast_l1)
        steps += 1
    assert steps > 10


def test_the_due_block_cap_halts_alike(rules: Rules) -> None:
    """A backlog longer than 64 blocks of due forced transactions: the 65th BLOCK_OPEN
    halts on the cap (reading no entry) while entries are still due."""
    scenario = backlog_scenario(forced=64 * 32 + 5, batches=1)
    l1 = rules.fresh_l1(scenario)
    last = None
    for case in block_step_cases(scenario):
        rules.check(case, l1)
        if case.pre.phase == BlockPhase.BLOCK_OPEN:
            last = case
    assert last.post.phase == BlockPhase.HALTED and last.pre.outer[14] == 64
    assert not last.proof.forced and not last.proof.deposits
