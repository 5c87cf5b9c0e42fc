"""The chunk commitment of a batch's data: what lets the L1 verifier open any byte range of it.

The inbox (``contracts/bridge/batch_inbox.vy``) computes this root in ``append_batch`` and stores, per batch,
the data's length and this root; the verifier then reads one block item or transaction from
the chunks that cover it, each proven by its Merkle branch (``verify_range``), without the
whole batch in calldata.

- The data is split into ``CHUNK_BYTES``-byte chunks, the last one shorter (none if the data
  is empty); leaf ``i`` = ``keccak256(chunk_i)``.
- The leaves are padded with ``bytes32(0)`` leaves to the next power of two; a node is
  ``keccak256(left || right)``; the root of a single leaf is that leaf, the root of empty
  data is ``bytes32(0)``.
- A branch lists the siblings from the leaf up (``depth`` = log2 of the padded leaf count);
  bit ``k`` of the chunk index says whether the node at height ``k`` is a right child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from node.stf.hashing import keccak256

CHUNK_BYTES: Final = 1024  # 32 words: one chunk's keccak costs ~230 gas on L1
ZERO: Final = bytes(32)


class ChunkProofError(ValueError):
    """A chunk proof does not open the claimed range under the root (the message says why)."""


@dataclass(frozen=True, slots=True)
class ChunkProof:
    """The chunks covering bytes ``[start, end)`` of a batch: ``chunks[j]`` is chunk
    ``first_chunk + j`` and ``branches[j]`` its Merkle branch (siblings, leaf upwards)."""

    start: int
    end: int
    first_chunk: int
    chunks: tuple[bytes, ...]
    branches: tuple[tuple[bytes, ...], ...]


def chunk_count(length: int) -> int:
    """How many chunks ``length`` bytes make (ceil(length / CHUNK_BYTES))."""
    return (length + CHUNK_BYTES - 1) // CHUNK_BYTES


def tree_depth(length: int) -> int:
    """The branch length for ``length`` bytes: log2 of the padded leaf count (0 for one leaf)."""
    return max(chunk_count(length) - 1, 0).bit_length()


def _levels(data: bytes) -> list[list[bytes]]:
    """Every level of the tree, leaves first (padded to a power of two), root level last."""
    leaves = [keccak256(data[i:i + CHUNK_BYTES]) for i in range(0, len(data), CHUNK_BYTES)]
    leaves += [ZERO] * ((1 << tree_depth(len(data))) - len(leaves))
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([keccak256(below[i] + below[i + 1]) for i in range(0, len(below), 2)])
    return levels


def chunks_root(data: bytes) -> bytes:
    """The 32-byte chunk root of ``data`` (module docstring)."""
    return _levels(data)[-1][0] if data else ZERO


def prove_range(data: bytes, start: int, end: int) -> ChunkProof:
    """The chunks of ``data`` covering bytes ``[start, end)`` with their branches (no chunk
    for an empty range). ``ValueError`` unless ``0 <= start <= end <= len(data)``."""
    if not 0 <= start <= end <= len(data):
        raise ValueError(f"range [{start}, {end}) is not within the {len(data)} bytes of the batch")
    if start == end:
        return ChunkProof(start, end, start // CHUNK_BYTES, (), ())
    levels = _levels(data)
    first, last = start // CHUNK_BYTES, (end - 1) // CHUNK_BYTES
    chunks, branches = [], []
    for index in range(first, last + 1):
        chunks.append(data[index * CHUNK_BYTES:(index + 1) * CHUNK_BYTES])
        branches.append(tuple(level[(index >> height) ^ 1] for height, level in enumerate(levels[:-1])))
    return ChunkProof(start, end, first, tuple(chunks), tuple(branches))


def _fold(leaf: bytes, index: int, branch: tuple[bytes, ...]) -> bytes:
    node = leaf
    for height, sibling in enumerate(branch):
        node = keccak256(sibling + node) if (index >> height) & 1 else keccak256(node + sibling)
    return node


def verify_range(root: bytes, length: int, proof: ChunkProof) -> bytes:
    """Bytes ``[proof.start, proof.end)`` of the batch whose data is ``length`` bytes with
    chunk root ``root``; ``ChunkProofError`` if the proof does not open exactly that range
    (range outside the data, chunks missing, extra or of the wrong size, a branch of the
    wrong length, or a branch that does not lead to ``root``)."""
    start, end = proof.start, proof.end
    if not 0 <= start <= end <= length:
        raise ChunkProofError(f"range [{start}, {end}) is not within the {length} bytes of the batch")
    if start == end:
        if proof.chunks or proof.branches:
            raise ChunkProofError("an empty range takes no chunk")
        return b""
    first, last = start // CHUNK_BYTES, (end - 1) // CHUNK_BYTES
    if proof.first_chunk != first or len(proof.chunks) != last - first + 1 or len(proof.branches) != len(proof.chunks):
        raise ChunkProofError(f"range [{start}, {end}) needs chunks {first}..{last} with one branch each")
    depth = tree_depth(length)
    for index, (chunk, branch) in enumerate(zip(proof.chunks, proof.branches), start=first):
        size = min(CHUNK_BYTES, length - index * CHUNK_BYTES)
        if len(chunk) != size:
            raise ChunkProofError(f"chunk {index} is {len(chunk)} bytes, the batch's is {size}")
        if len(branch) != depth or any(len(node) != 32 for node in branch):
            raise ChunkProofError(f"chunk {index}: a branch of {depth} 32-byte nodes is due")
        if _fold(keccak256(chunk), index, branch) != root:
            raise ChunkProofError(f"chunk {index} is not under the root 0x{root.hex()}")
    offset = first * CHUNK_BYTES
    return b"".join(proof.chunks)[start - offset:end - offset]
