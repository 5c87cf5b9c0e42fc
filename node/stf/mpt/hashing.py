"""Keccak-256 for the trie: the STF's shared implementation (``node.stf.hashing``)."""

from __future__ import annotations

from typing import Callable

from node.stf.hashing import keccak256

Hasher = Callable[[bytes], bytes]


def new_hasher() -> Hasher:
    """The keccak-256 function a trie uses (thread-safe, so one function serves all tries)."""
    return keccak256


__all__ = ["Hasher", "keccak256", "new_hasher"]
