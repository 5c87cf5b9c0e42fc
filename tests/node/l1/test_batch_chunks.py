"""The chunk commitment (``node.l1.batch_chunks``): the tree as specified, a range proof
opens exactly its bytes and is refused after any change. (The inbox computes the same root:
``tests/contracts/test_bridge_contracts.py``.)"""

from __future__ import annotations

import random

import pytest
from node.l1.batch_chunks import (
    CHUNK_BYTES,
    ZERO,
    ChunkProof,
    ChunkProofError,
    chunks_root,
    prove_range,
    tree_depth,
    verify_range,
)
from node.stf.hashing import keccak256

MAX_DATA_BYTES = 120_000  # BatchInbox.MAX_BATCH_BYTES


def test_the_tree_by_hand():
    a, b, c = b"a" * CHUNK_BYTES, b"b" * CHUNK_BYTES, b"c"
    assert chunks_root(b"") == ZERO
    assert chunks_root(c) == keccak256(c)
    assert chunks_root(a + b) == keccak256(keccak256(a) + keccak256(b))
    assert chunks_root(a + b + c) == keccak256(keccak256(keccak256(a) + keccak256(b)) + keccak256(keccak256(c) + ZERO))
    assert [tree_depth(n) for n in (0, 1, 1024, 1025, 4096, 4097, MAX_DATA_BYTES)] == [0, 0, 0, 1, 2, 3, 7]


@pytest.mark.parametrize("size", (1, 1023, 1024, 1025, 5000, 18_160))
def test_every_range_opens_to_its_bytes(size):
    data = random.Random(size).randbytes(size)
    root = chunks_root(data)
    rng = random.Random(size + 1)
    edges = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, size - 1, size]
    for _ in range(40):
        start, end = sorted(min(max(rng.choice((rng.randrange(size + 1), rng.choice(edges))), 0), size)
                            for _ in range(2))
        proof = prove_range(data, start, end)
        assert verify_range(root, size, proof) == data[start:end]


def _changed(proof: ChunkProof, rng: random.Random) -> list[ChunkProof]:
    """Proofs that differ from ``proof`` in one way each."""
    out = [ChunkProof(proof.start, proof.end + CHUNK_BYTES, proof.first_chunk, proof.chunks, proof.branches),
           ChunkProof(proof.start - CHUNK_BYTES, proof.end, proof.first_chunk, proof.chunks, proof.branches),
           ChunkProof(proof.start, proof.end, proof.first_chunk + 1, proof.chunks, proof.branches),
           ChunkProof(proof.start, proof.end, proof.first_chunk, proof.chunks[:-1], proof.branches[:-1]),
           ChunkProof(proof.start, proof.end, proof.first_chunk, proof.chunks + proof.chunks[-1:],
                      proof.branches + proof.branches[-1:])]
    for j, chunk in enumerate(proof.chunks):
        flipped = bytearray(chunk)
        flipped[rng.randrange(len(chunk))] ^= 1 << rng.randrange(8)
        out.append(ChunkProof(proof.start, proof.end, proof.first_chunk,
                              proof.chunks[:j] + (bytes(flipped),) + proof.chunks[j + 1:], proof.branches))
        out.append(ChunkProof(proof.start, proof.end, proof.first_chunk,
                              proof.chunks[:j] + (chunk + b"\x00",) + proof.chunks[j + 1:], proof.branches))
        branch = proof.branches[j]
        for k in range(len(branch)):
            node = bytearray(branch[k])
            node[rng.randrange(32)] ^= 1
            bad = branch[:k] + (bytes(node),) + branch[k + 1:]
            out.append(ChunkProof(proof.start, proof.end, proof.first_chunk, proof.chunks,
                                  proof.branches[:j] + (bad,) + proof.branches[j + 1:]))
        out.append(ChunkProof(proof.start, proof.end, proof.first_chunk, proof.chunks,
                              proof.branches[:j] + (branch + (ZERO,),) + proof.branches[j + 1:]))
    return out


def test_any_change_is_refused():
    rng = random.Random(7)
    data = rng.randbytes(5000)
    root = chunks_root(data)
    proof = prove_range(data, 1000, 2100)  # chunks 0..2 of 5
    assert verify_range(root, len(data), proof) == data[1000:2100]
    for bad in _changed(proof, rng):
        with pytest.raises(ChunkProofError):
            verify_range(root, len(data), bad)
    with pytest.raises(ChunkProofError):
        verify_range(root, len(data) + 4 * CHUNK_BYTES, proof)  # another length: another depth
    with pytest.raises(ChunkProofError):
        verify_range(chunks_root(data[:-1] + b"\x00"), len(data), proof)
    with pytest.raises(ChunkProofError, match="not within"):
        verify_range(root, len(data), ChunkProof(4990, 5001, 4, proof.chunks, proof.branches))
    with pytest.raises(ValueError):
        prove_range(data, 10, 5001)
