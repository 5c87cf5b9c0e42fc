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

from node.stf.cursor import decode_cursor
from prover.client.proof import StepProof
from prover.l1 import inputs_codec
from prover.l1.place_advice import place_advice

RUN_TYPES: Final = ("bytes32", "bytes", "bytes[]", "bytes")
STEP_SELECTOR: Final = keccak(text="step(bytes32,bytes)")[:4]
NO_WITNESS_PHASES: Final = frozenset((2, 4, 102))  # ROLLBACK, RESTORE, HALTED: steps_control reads no state
PLACE_PHASES: Final = frozenset(range(20, 30))  # node/stf/matching.py PlacePhase: inputs = the book advice
BLOCK_PHASES: Final = frozenset((3, 100, 101))  # NEXT_TX, BLOCK_OPEN, BLOCK_CLOSE: inputs = batch pieces, entries
MAX_BLOB: Final = 24_640  # contracts/fault/lib/trie.vy MAX_NODE: one blob of concatenated witness nodes


def encode_inputs(proof: StepProof) -> bytes:
    """The step's L1 inputs as its family reads them: the book advice for the place phases
    (``prover/l1/place_advice.py``; 32 bytes for a step that may rest an order), ``b""`` for a
    step that reads none; for the block phases the batch data pieces, deposit and forced
    entries the step read (``prover/l1/inputs_codec.py``, ``b""`` if none)."""
    phase = decode_cursor(proof.cursor).phase
    if phase in PLACE_PHASES:
        return place_advice(proof)
    if phase in BLOCK_PHASES:
        return inputs_codec.encode_inputs(proof.pieces, proof.deposits, proof.forced)
    return b""


def witness_nodes(proof: StepProof) -> list[bytes]:
    """The witness nodes the step's family reads: none for the control steps (a rollback's
    witness holds the nodes the prover walked to undo writes, which the step's result does
    not depend on; ``steps_control.vy`` takes an empty list, which keeps its memory small)."""
    if decode_cursor(proof.cursor).phase in NO_WITNESS_PHASES:
        return []
    return pack_nodes(proof.nodes)


def pack_nodes(nodes: tuple[bytes, ...] | list[bytes]) -> list[bytes]:
    """The witness as the families take it (``trie.add_nodes``): blobs of concatenated RLP
    nodes (each self-delimiting), filled greedily in order, each at most ``MAX_BLOB`` bytes
    (a node is never longer). Vyper copies a ``bytes[]`` argument whole to memory at its
    declared bound, so a few long elements cost far less than many node-sized ones."""
    blobs: list[bytes] = []
    for node in nodes:
        if blobs and len(blobs[-1]) + len(node) <= MAX_BLOB:
            blobs[-1] += node
        else:
            blobs.append(bytes(node))
    return blobs


def encode_proof(proof: StepProof) -> bytes:
    """The verifier's ``proof`` argument: ``abi.encode(pre_root, cursor, nodes, inputs)``.

    The ONLY encoder of a step's calldata: each family's ``run`` bounds its ``nodes`` and
    ``inputs`` (``steps_control`` takes no witness at all and reverts on any), so a proof
    encoded otherwise (e.g. every step's witness packed) is refused on L1 though Python
    accepts it."""
    return encode(list(RUN_TYPES), [proof.pre_root, proof.cursor, witness_nodes(proof), encode_inputs(proof)])


def step_calldata(proof: StepProof) -> bytes:
    """The whole calldata of ``verifier.step(pre_claim, proof)``."""
    return STEP_SELECTOR + encode(["bytes32", "bytes"], [proof.pre_claim, encode_proof(proof)])
