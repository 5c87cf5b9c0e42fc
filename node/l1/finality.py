"""Which L2 block is final on L1: what tells the node's store which states it may prune.

A state root is final once ``StateCommitments.CHALLENGE_WINDOW`` seconds have passed since
it was proposed and no dispute game removed it: ``is_final(index)``, evaluated by the
contract at the L1 head (the contract's clock, never the node's). Nothing before a final
root can be disputed any more, so the state at its L2 block (``last_l2_block``) is the
oldest a challenger may need: the pre-state of the batch after it.

Roots are final in index order (each is proposed no earlier than the one before it, all
with the same window, and a game only removes roots that are not final), so ``poll``
finds the highest final index by binary search over the roots not yet known final: at
most ``2 + log2(new roots)`` calls, then one to read that root's L2 block.

``follow_finality(finality, store)`` runs on the node's event loop (the thread that
commits blocks): L1 reads in a worker thread, then ``store.finalized_through(n)`` and the
pruning in bounded chunks with the loop free between them. The sequencer and the follower
both run it when they have a store and an L1.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final, Protocol

from node.l1.reader import L1Reader

log = logging.getLogger(__name__)

DEFAULT_POLL_S: Final = 5.0  # a challenge window is minutes (devnet) to days: no hurry


class Prunable(Protocol):
    """What ``follow_finality`` needs of the store (``node.store.BlockStore``)."""

    def finalized_through(self, number: int, *, prune: bool = True) -> int: ...

    def prune(self) -> int: ...


class L1Finality:
    """The L2 block of the highest root final on L1 (see module docstring)."""

    def __init__(self, reader: L1Reader) -> None:
        self.commitments = reader.contracts["commitments"]
        self.final_index = -1  # highest root index known final
        self.l2_block: int | None = None  # its L2 block

    def poll(self) -> int | None:
        """The L2 block covered by the highest final root (``None``: no root is final yet).
        Blocking (JSON-RPC): run it off the event loop."""
        functions = self.commitments.functions
        low, high = self.final_index, functions.commitment_count().call() - 1
        while low < high:  # invariant: root ``low`` is final (or low is the last known), roots > high are not
            middle = (low + high + 1) // 2
            if functions.is_final(middle).call():
                low = middle
            else:
                high = middle - 1
        if low > self.final_index:
            self.l2_block = functions.commitments(low).call()[1]  # Commitment.last_l2_block
            self.final_index = low
        return self.l2_block


async def follow_finality(finality: L1Finality, store: Prunable, interval_s: float = DEFAULT_POLL_S) -> None:
    """Tell ``store`` every ``interval_s`` which L2 block is final on L1, and prune (until cancelled)."""
    told: int | None = None
    while True:
        try:
            final = await asyncio.to_thread(finality.poll)
        except Exception as exc:  # L1 down or slow: keep everything, try again
            log.warning("finality: cannot read the state commitments (retrying): %s", exc)
            final = None
        if final is not None and final != told:
            store.finalized_through(final, prune=False)
            told = final
            log.info("finality: L2 block %d final on L1 (root %d)", final, finality.final_index)
        while store.prune():  # bounded chunks; other work runs between them
            await asyncio.sleep(0)
        await asyncio.sleep(interval_s)
