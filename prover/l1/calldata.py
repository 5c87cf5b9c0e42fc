"""A ``StepProof`` as the L1 verifier's calldata.

``step(pre_claim, proof)`` takes ``proof`` = the ABI encoding of a family's
``run(pre_root, cursor, nodes, inputs)`` arguments in the canonical layout (head: pre_root,
then the offsets of cursor, nodes, inputs; the tails in that order), which the verifier
forwards to the family unchanged (``contracts/fault/verifier.vy``).
"""

from __future__ import annotations

from typing import Final

from eth_abi import encode
from eth_utils import keccak

from prover.client.proof import StepProof

RUN_TYPES: Final = ("bytes32", "bytes", "bytes[]", "bytes")
STEP_SELECTOR: Final = keccak(text="step(bytes32,bytes)")[:4]


def encode_inputs(proof: StepProof) -> bytes:
    """The step's L1 inputs (batch data pieces, deposit and forced entries) as the families
    read them; ``b""`` for a step that reads none. (The derivation families define it.)"""
    return b""


def encode_proof(proof: StepProof) -> bytes:
    """The verifier's ``proof`` argument: ``abi.encode(pre_root, cursor, nodes, inputs)``."""
    return encode(list(RUN_TYPES), [proof.pre_root, proof.cursor, list(proof.nodes), encode_inputs(proof)])


def step_calldata(proof: StepProof) -> bytes:
    """The whole calldata of ``verifier.step(pre_claim, proof)``."""
    return STEP_SELECTOR + encode(["bytes32", "bytes"], [proof.pre_claim, encode_proof(proof)])
