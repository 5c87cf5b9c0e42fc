"""A step's L1 inputs as the bytes the L1 verifier's block steps decode (``inputs`` of ``run``).

The derivation steps (``node.stf.derive_steps``) read batch bytes and queue entries; a
``StepProof`` carries them as chunk proofs (``node.l1.batch_chunks.ChunkProof``) and
``L1Deposit`` / ``L1Forced`` entries. The verifier (``contracts/fault/lib/batch_data.vy``
and ``l1_queues.vy``) reads this flat layout (integers big-endian, fixed widths)::

    inputs  = n_pieces:u8 piece* n_deposits:u8 deposit* n_forced:u8 forced*
    piece   = start:u32 end:u32 first_chunk:u32 n_chunks:u8
              (size:u16 depth:u8)*n_chunks   chunk bytes, concatenated
              branch nodes (32 bytes each, chunk by chunk, leaf upwards)
    deposit = abi_encode(index, recipient, amount_e6, deadline)    (128 bytes: the preimage
              of Portal.deposit_hash(index))
    forced  = index:u256 deadline:u256 size:u16 raw_tx

and nothing after; a step that reads nothing has empty ``inputs`` (``b""``). The record and chunk root are not here: the verifier reads them from the
inbox's storage, and each entry is checked there against the queue's stored hash (the
``l1_block`` of an entry is not part of it: no step reads it).
"""

from __future__ import annotations

from typing import Final, Sequence

from eth_abi import encode as abi_encode

from node.l1.batch_chunks import ChunkProof
from node.stf.l1_inputs import L1Deposit, L1Forced

MAX_ENTRIES: Final = 255  # each list's count is one byte


def _u(value: int, size: int, what: str) -> bytes:
    if not 0 <= value < 1 << (8 * size):
        raise ValueError(f"inputs: {what} {value} does not fit {size} bytes")
    return value.to_bytes(size, "big")


def _count(items: Sequence, what: str) -> bytes:
    return _u(len(items), 1, f"number of {what}")


def encode_piece(piece: ChunkProof) -> bytes:
    """One chunk proof in the layout of the module docstring (any proof whose fields fit
    their widths, so tests can encode broken ones)."""
    if len(piece.branches) != len(piece.chunks):
        raise ValueError("inputs: a piece needs one branch per chunk")
    head = _u(piece.start, 4, "start") + _u(piece.end, 4, "end") + _u(piece.first_chunk, 4, "first chunk")
    head += _count(piece.chunks, "chunks")
    head += b"".join(_u(len(c), 2, "chunk size") + _u(len(b), 1, "branch depth")
                     for c, b in zip(piece.chunks, piece.branches))
    nodes = b""
    for branch in piece.branches:
        for node in branch:
            if len(node) != 32:
                raise ValueError("inputs: a branch node is 32 bytes")
            nodes += node
    return head + b"".join(piece.chunks) + nodes


def encode_deposit(deposit: L1Deposit) -> bytes:
    """``abi_encode(index, recipient, amount_e6, deadline)``: what ``Portal.deposit_hash`` hashes."""
    return abi_encode(["uint256", "address", "uint256", "uint256"],
                      [deposit.index, deposit.recipient, deposit.amount_e6, deposit.deadline])


def encode_forced(forced: L1Forced) -> bytes:
    return (_u(forced.index, 32, "forced index") + _u(forced.deadline, 32, "deadline")
            + _u(len(forced.raw_tx), 2, "forced transaction size") + forced.raw_tx)


def encode_inputs(pieces: Sequence[ChunkProof], deposits: Sequence[L1Deposit], forced: Sequence[L1Forced]) -> bytes:
    """The ``inputs`` bytes of a step reading ``pieces`` of its batch and these queue entries."""
    if not (pieces or deposits or forced):
        return b""
    return (_count(pieces, "pieces") + b"".join(encode_piece(p) for p in pieces)
            + _count(deposits, "deposits") + b"".join(encode_deposit(d) for d in deposits)
            + _count(forced, "forced entries") + b"".join(encode_forced(f) for f in forced))
