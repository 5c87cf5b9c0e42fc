"""Verification of Merkle Patricia proofs (inclusion and absence).

A proof is the list of RLP-encoded nodes on a key's path from the root, as returned by
``Trie.get_proof`` or (after ``rlp.encode`` of each node) py-trie's
``HexaryTrie.get_proof``. Nodes embedded in their parent (RLP shorter than 32 bytes) may
appear as their own proof item, as py-trie puts them, or be omitted: either way their
content is authenticated by the parent's hash.
"""

from __future__ import annotations

from typing import Sequence

import rlp

from node.stf.mpt.errors import BadProof
from node.stf.mpt.hashing import keccak256
from node.stf.mpt.nibbles import key_to_nibbles
from node.stf.mpt.decode import classify, decode_rlp
from node.stf.mpt.trie import BLANK_ROOT


def verify_proof(root_hash: bytes, key: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The value of ``key`` under ``root_hash`` according to ``proof``, ``None`` if absent.

    Checks node by node that the first item hashes to ``root_hash`` and each next node is
    the one its parent references. Raises ``BadProof`` if the proof is malformed, does not
    match, stops early or carries items past the end of the key's path.
    """
    if root_hash == BLANK_ROOT:
        if proof:
            raise BadProof("nodes in a proof against the empty root")
        return None
    if not proof:
        raise BadProof("empty proof for a non-empty root")
    path = key_to_nibbles(key)
    index = 0
    encoded = proof[0]
    if keccak256(encoded) != root_hash:
        raise BadProof("first proof node does not hash to the root")
    item = decode_rlp(encoded)
    pos = 0
    after_extension = False
    while True:
        kind, fields = classify(item)
        if after_extension and kind != "branch":
            raise BadProof("extension child is not a branch")
        after_extension = kind == "extension"
        if kind == "leaf":
            value: bytes | None = fields[1] if fields[0] == path[pos:] else None
            break
        if kind == "extension":
            ext = fields[0]
            if path[pos : pos + len(ext)] != ext:
                value = None
                break
            pos += len(ext)
            child = fields[1]
        else:  # branch
            if pos == len(path):
                value = fields[16] or None
                break
            child = fields[path[pos]]
            pos += 1
            if child == b"":
                value = None
                break
        if isinstance(child, list):  # embedded: its content came with the parent
            inline = rlp.encode(child)
            if len(inline) >= 32:
                raise BadProof("embedded node of 32 bytes or more")
            if index + 1 < len(proof) and proof[index + 1] == inline:
                index += 1
            item = child
            continue
        index += 1
        if index >= len(proof):
            raise BadProof(f"proof ends before node 0x{child.hex()}")
        encoded = proof[index]
        if keccak256(encoded) != child:
            raise BadProof(f"proof node {index} does not match its parent's reference")
        if len(encoded) < 32:
            raise BadProof("node shorter than 32 bytes referenced by hash")
        item = decode_rlp(encoded)
    if index != len(proof) - 1:
        raise BadProof("proof has nodes past the end of the key's path")
    return value
