"""The block family on L1 (``contracts/fault/steps_block.vy``) proves every derivation step
of real and hostile batches: the post-claim it computes from a step's proof is the one the
Python trace reached, and a proof whose inputs differ from L1 storage is refused.

The family is deployed on revm with an L1 storage double as inbox, portal and forced
queue (``tests/fault/l1_fixture.py``) holding the scenario's records and queues; each
step's proof comes from the prover's trace (``prover.client.trace.TraceRun``) and is sent
as the family's ``run`` arguments: pre-root, cursor, witness nodes, and the inputs encoded
by ``prover.l1.inputs_codec``. The rules alone are checked field by field in
``test_derive_steps_vyper.py``; this file checks the whole step on claims, with gas.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from eth_abi import decode, encode

from bridge.evm_call import EvmRunner
from bridge.revm_call import RevmRunner
from bridge.vyper_build import CONTRACTS_DIR, compile_contract
from node.stf.cursor import decode_cursor
from node.stf.derive_steps import BlockPhase
from node.stf.hashing import keccak256
from node.stf.steps import Phase
from node.wallet import address_of
from prover.client.inputs import MemoryInputs
from prover.client.proof import StepProof
from prover.client.trace import TraceRun
from prover.l1.inputs_codec import encode_inputs
from tests.fault.derive_fixture import (
    BLOCK_PHASES,
    backlog_scenario,
    deep_state_scenario,
    hostile_scenario,
    load_l1,
    trace_proofs,
    worst_read_scenario,
)
from tests.fault.l1_fixture import L1Double, RealL1
from tests.prover.workload import Scenario, clone, encode_blocks
from tests.fault.test_derive_steps_vyper import _mutations


# The family is built on the verifier's shared libraries (cursor, records, keys, trie);
# until they are in the tree the family does not compile.
FOUNDATION = [CONTRACTS_DIR / "fault" / "lib" / f"{name}.vy" for name in ("cursor", "records", "keys", "trie")]
pytestmark = pytest.mark.skipif(not all(f.is_file() for f in FOUNDATION), reason="the verifier's libraries are missing")

RUN = "run(bytes32,bytes,bytes[],bytes)"
REVERT = "revert"
GAS_TARGET = 3_000_000


class Family:
    def __init__(self, runner=None) -> None:
        self.runner = runner if runner is not None else RevmRunner()
        self.build = compile_contract("fault/steps_block.vy")
        self.gas: dict[int, int] = {}

    def deploy(self, scenario) -> None:
        """Deploy on an L1 double holding ``scenario``'s records and queues."""
        l1 = L1Double(self.runner)
        load_l1(l1, scenario)
        self.deploy_on(l1.address, l1.address, l1.address)

    def deploy_on(self, inbox: bytes, portal: bytes, forced_queue: bytes) -> None:
        helpers = [self.runner.deploy(compile_contract(f"fault/{name}.vy").initcode)
                   for name in ("block_rules", "block_globals", "block_tip")]
        self.address = self.runner.deploy(self.build.initcode, encode(
            ["address"] * 6, [inbox, portal, forced_queue] + helpers))

    def run(self, proof: StepProof):
        """The family's post-claim for ``proof``, or ``REVERT``."""
        inputs = encode_inputs(proof.pieces, proof.deposits, proof.forced)
        data = self.build.selector(RUN) + encode(["bytes32", "bytes", "bytes[]", "bytes"],
                                                 [proof.pre_root, proof.cursor, list(proof.nodes), inputs])
        result = self.runner.call(self.address, data)
        if not result.success:
            return REVERT
        phase = decode_cursor(proof.cursor).phase
        self.gas[phase] = max(self.gas.get(phase, 0), result.gas_used)
        root, cursor_rlp = decode(["bytes32", "bytes"], result.output)
        return keccak256(root + keccak256(cursor_rlp))


@pytest.fixture(scope="module")
def family() -> Family:
    return Family()


def _block_proofs(scenario):
    for proof in trace_proofs(scenario):
        if decode_cursor(proof.cursor).phase in BLOCK_PHASES:
            yield proof


def _prove_all(family: Family, scenario) -> int:
    family.deploy(scenario)
    steps = 0
    for proof in _block_proofs(scenario):
        assert family.run(proof) == proof.post_claim, f"step {proof.position} ({proof.kind}) of batch {proof.batch}"
        steps += 1
    return steps


def test_every_block_step_of_random_and_hostile_batches_proves_its_post_claim(family: Family) -> None:
    steps = sum(_prove_all(family, hostile_scenario(seed)) for seed in range(1, 6))
    assert steps > 300
    assert max(family.gas.values()) <= GAS_TARGET


def test_blocks_of_due_entries_prove(family: Family) -> None:
    assert _prove_all(family, backlog_scenario(forced=100, batches=2)) > 100


def test_worst_steps_stay_under_the_gas_target(family: Family) -> None:
    """The widest NEXT_TX read (a deposit and a 2 KiB forced entry read and left, a 2 KiB
    transaction over four chunks of a 118-chunk batch) and the block steps around it."""
    family.gas = {}
    _prove_all(family, worst_read_scenario())
    assert set(family.gas) == {BlockPhase.BLOCK_OPEN, Phase.NEXT_TX, BlockPhase.BLOCK_CLOSE}
    assert max(family.gas.values()) <= GAS_TARGET


def test_block_steps_over_a_deep_state_trie(family: Family) -> None:
    """Globals under three full branches (a state of ~10^5 records): the BLOCK_OPEN and
    BLOCK_CLOSE witnesses are longest."""
    family.gas = {}
    scenario = deep_state_scenario()
    depth = max(len(p.nodes) for p in _block_proofs(scenario))
    assert depth >= 6
    _prove_all(family, scenario)
    assert max(family.gas.values()) <= GAS_TARGET


def test_py_evm_proves_the_same_post_claims() -> None:
    """The devnet's EVM (py-evm) runs the family to the same post-claims (a few steps of
    each block phase: py-evm takes seconds a step)."""
    slow = Family(EvmRunner())
    scenario = hostile_scenario(3, n_batches=1, per_block=2)
    slow.deploy(scenario)
    firsts = {}
    for proof in _block_proofs(scenario):
        firsts.setdefault(proof.kind, proof)
    for proof in firsts.values():
        assert slow.run(proof) == proof.post_claim
    assert set(slow.gas) == {BlockPhase.BLOCK_OPEN, Phase.NEXT_TX, BlockPhase.BLOCK_CLOSE}


def test_block_steps_against_the_real_l1_contracts(family: Family) -> None:
    """A batch appended to the real inbox, a deposit queued on the real portal and a forced
    transaction on the real forced queue (at chosen L1 times): every block step of its trace
    proves its post-claim with the family reading those contracts; an entry differing from
    what they store is refused."""
    scenario = Scenario.market()
    chain, keys_ = scenario.chain, scenario.keys
    l1 = RealL1(family.runner)
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
    inputs = MemoryInputs(record, data, deposits, forced)
    family.deploy_on(l1.inbox, l1.portal, l1.forced)
    proofs: list[StepProof] = []
    TraceRun(clone(chain.backend), record.index, inputs).run(on_proof=proofs.append)
    block_proofs = [p for p in proofs if decode_cursor(p.cursor).phase in BLOCK_PHASES]
    assert any(p.deposits for p in block_proofs) and any(p.forced for p in block_proofs)
    for proof in block_proofs:
        assert family.run(proof) == proof.post_claim, f"step {proof.position} ({proof.kind})"
        if proof.deposits:
            d = proof.deposits[0]
            assert family.run(replace(proof, deposits=(replace(d, amount_e6=d.amount_e6 - 1),))) == REVERT
        if proof.forced:
            f = proof.forced[0]
            assert family.run(replace(proof, forced=(replace(f, deadline=f.deadline + 1),))) == REVERT


def test_proofs_whose_inputs_differ_from_l1_are_refused(family: Family) -> None:
    rng = random.Random(7)
    scenario = hostile_scenario(4)
    family.deploy(scenario)
    refused = set()
    for proof in _block_proofs(scenario):
        for what, mutated in _mutations(proof, rng):
            assert family.run(mutated) == REVERT, f"{what} accepted at {proof.kind}"
            refused.add(what)
        if proof.nodes:
            assert family.run(replace(proof, nodes=proof.nodes[1:])) == REVERT, "a witness node missing"
    assert {"piece missing", "deposit amount", "forced tx"} <= refused


# Until the family is ported (this assignment wins over any earlier one in this module).
pytestmark = pytest.mark.skip(reason=(
    "the block family (steps_block, block_rules, block_globals, block_tip) was written against earlier drafts of the shared foundation; it is not yet ported to the merged one (trie_store, buffered state.vy, cursor.vy): issue 11's next step"))
