"""Run the proofs of one step family on its L1 contract and compare with Python.

A ``FamilyRunner`` deploys one family contract (``contracts/fault/steps_*.vy``) on revm and
calls ``run(pre_root, cursor, nodes, inputs)`` with a ``StepProof``'s parts; the post-claim
``keccak(post_root || keccak(post_cursor))`` must equal the proof's (Python's). Workloads are
traced with a proof per step (``prover.client.trace.TraceRun``) and the steps of the
family's phases are kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from eth_abi import decode, encode

from bridge.revm_call import RevmRunner
from bridge.vyper_build import CONTRACTS_DIR, compile_contract
from node.stf.cursor import decode_cursor
from node.stf.hashing import keccak256
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun
from tests.prover.workload import Scenario, clone

RUN_SIGNATURE = "run(bytes32,bytes,bytes[],bytes)"
FOUNDATION = ("fault/lib/trie.vy", "fault/lib/state.vy", "fault/lib/cursor.vy", "fault/lib/machine.vy")


def foundation_missing() -> list[str]:
    """The shared modules a family links that are not in this tree yet."""
    return [m for m in FOUNDATION if not (CONTRACTS_DIR / m).is_file()]
RUN_OUT = ["bytes32", "bytes"]


@dataclass
class Tally:
    """Per phase: steps run, the largest gas; divergences (phase, position, why)."""

    steps: Counter = field(default_factory=Counter)
    gas: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    divergences: list[tuple[int, int, str]] = field(default_factory=list)


class FamilyRunner:
    """One family contract deployed on revm."""

    def __init__(self, source: str, phases: set[int], helpers: tuple[str, ...] = ()) -> None:
        """``helpers``: contracts deployed first, whose addresses are the family's
        constructor arguments (in order), as ``prover/l1/deploy.py::Family`` deploys them."""
        self.build = compile_contract(source)
        self.runner = RevmRunner()
        addresses = [self.runner.deploy(compile_contract(h).initcode) for h in helpers]
        args = encode(["address"] * len(addresses), addresses)
        self.address = self.runner.deploy(self.build.initcode, args)
        self.phases = phases
        self.selector = self.build.selector(RUN_SIGNATURE)

    def __repr__(self) -> str:
        return f"FamilyRunner({sorted(self.phases)})"

    def call(self, pre_root: bytes, cursor: bytes, nodes: list[bytes], inputs: bytes = b""):
        """``(success, post_claim or revert output, gas)``."""
        data = self.selector + encode(["bytes32", "bytes", "bytes[]", "bytes"], [pre_root, cursor, nodes, inputs])
        result = self.runner.call(self.address, data)
        if not result.success:
            return False, result.output, result.gas_used
        post_root, post_cursor = decode(RUN_OUT, result.output)
        return True, keccak256(post_root + keccak256(post_cursor)), result.gas_used

    def check(self, proof: StepProof, tally: Tally) -> None:
        phase = decode_cursor(proof.cursor).phase
        ok, claim, gas = self.call(proof.pre_root, proof.cursor, list(proof.nodes))
        tally.steps[phase] += 1
        tally.gas[phase] = max(tally.gas[phase], gas)
        if not ok:
            tally.divergences.append((phase, proof.position, f"reverted: {claim[:200]!r}"))
        elif claim != proof.post_claim:
            tally.divergences.append((phase, proof.position, "post-claim differs"))


def family_proofs(scenario: Scenario, phases: set[int]) -> list[StepProof]:
    """The proof of every step at one of ``phases`` in every batch of ``scenario``."""
    traced = clone(scenario.chain.backend)
    out: list[StepProof] = []
    for batch in scenario.batches:
        boundaries: list[Boundary] = []
        proofs: list[StepProof] = []
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(boundaries.append, on_proof=proofs.append)
        out += [p for p in proofs if decode_cursor(p.cursor).phase in phases]
    return out


def run_family(family: FamilyRunner, scenario: Scenario) -> Tally:
    """Every step of ``family``'s phases in ``scenario`` on L1; fails on any divergence."""
    tally = Tally()
    for proof in family_proofs(scenario, family.phases):
        family.check(proof, tally)
    assert not tally.divergences, tally.divergences[:5]
    return tally
