"""The L2 genesis that L1 commits to, and the check every node makes against it at start.

``StateCommitments`` is deployed with the L2 genesis state root (``GENESIS_STATE_ROOT``,
immutable): the state at L2 block 0, which every later root builds on and a dispute game
starts from. A follower, and a sequencer started with an L1, compare their own block-0
root with it before doing anything else and refuse to run on another chain
(``GenesisMismatch``, naming both roots).
"""

from __future__ import annotations

from node.stf.genesis import Genesis, initialise
from node.stf.backends import MemoryBackend
from node.stf.state import State


class GenesisMismatch(RuntimeError):
    """This node's L2 genesis is not the one the L1 contracts committed to."""


def genesis_state_root(genesis: Genesis) -> bytes:
    """The state root of ``genesis`` (32 bytes): what ``bridge.deploy`` commits on L1."""
    return initialise(State(MemoryBackend()), genesis)


def check_genesis(committed: bytes, ours: bytes | None) -> None:
    """Raise ``GenesisMismatch`` unless ``ours`` (this node's block-0 state root) is
    ``committed`` (``StateCommitments.GENESIS_STATE_ROOT``)."""
    if ours != committed:
        shown = "none" if ours is None else f"0x{ours.hex()}"
        raise GenesisMismatch(f"the L2 genesis state root is {shown}, but the L1 contracts committed to "
                              f"0x{committed.hex()}: this node is not on the deployment's chain")
