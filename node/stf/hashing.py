"""Keccak-256 for the STF: the fast, thread-safe implementation shared by all modules."""

from __future__ import annotations

from node.stf.eip712 import keccak256

__all__ = ["keccak256"]
