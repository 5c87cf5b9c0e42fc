"""Typed exceptions raised by the Merkle Patricia trie."""

from __future__ import annotations


class TrieError(Exception):
    """Base class of every error raised by ``node.stf.mpt``."""


class MissingTrieNode(TrieError, KeyError):
    """An operation on a partial trie needed a node that only exists as a hash reference.

    ``node_hash`` is the keccak-256 hash of the missing node's RLP encoding.
    """

    def __init__(self, node_hash: bytes) -> None:
        super().__init__(node_hash)
        self.node_hash = node_hash

    def __str__(self) -> str:
        return f"missing trie node 0x{self.node_hash.hex()}"


class BadProof(TrieError, ValueError):
    """A proof or witness is malformed, non-canonical or does not match its root hash."""


class EmptyValue(TrieError, ValueError):
    """``Trie.set`` was given an empty value (use ``Trie.delete`` to remove a key)."""
