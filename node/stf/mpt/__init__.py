"""Ethereum hexary Merkle Patricia trie: incremental roots, proofs, partial (witness) tries.

See ``node.stf.mpt.trie`` for the design. Public API::

    Trie()                               # empty trie
    Trie.from_nodes(root_hash, nodes)    # partial trie from RLP nodes (witness / proofs)
    trie.get(key) / trie.set(key, value) / trie.delete(key) / trie.root_hash()
    trie.get_proof(key)                  # list of RLP nodes along key's path
    trie.items()                         # (key, value) pairs in key order
    trie.start_witness() / trie.take_witness()
    verify_proof(root_hash, key, proof)  # value, None (proven absent), or BadProof
"""

from node.stf.mpt.errors import BadProof, EmptyValue, MissingTrieNode, TrieError
from node.stf.mpt.proof import verify_proof
from node.stf.mpt.trie import BLANK_ROOT, Trie

__all__ = [
    "BLANK_ROOT",
    "BadProof",
    "EmptyValue",
    "MissingTrieNode",
    "Trie",
    "TrieError",
    "verify_proof",
]
