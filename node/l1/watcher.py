"""The sequencer's L1 watcher: deposits and forced transactions, after N confirmations.

``L1Watcher(reader, confirmations)`` polls L1 every ``poll_s`` (in a worker thread) and
keeps the two queues as confirmed so far: an entry is taken once its L1 block has
``confirmations`` blocks on top, so a reorganisation shallower than that never reaches
the L2 chain. Entries are kept in queue order and checked to be contiguous (index i at
position i); a gap means the node missed an event and stops with ``L1Inconsistent``.

The sequencer asks ``queues()`` when it closes a block and builds the block with
``rules.build_block``: every confirmed deposit, and every confirmed forced transaction
(unless ``ignore_forced``, a test switch that plays a censoring sequencer: then forced
transactions still enter at their deadline, by the derivation rule both sides apply).
``on_new_entries`` wakes the sequencer so deposits are credited without waiting for
client traffic.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Final

from node.derivation.rules import L1Deposit, L1Forced
from node.l1.reader import L1Reader

log = logging.getLogger(__name__)

DEFAULT_CONFIRMATIONS: Final = 2
DEFAULT_POLL_S: Final = 0.5


class L1Inconsistent(RuntimeError):
    """The L1 queues read are not contiguous (a missed event, or a reorganisation deeper than N)."""


def extend_queue(queue: list, entries: list, name: str) -> None:
    """Append L1 queue entries, checking they continue the queue (entry i at position i)."""
    for entry in entries:
        if entry.index != len(queue):
            raise L1Inconsistent(f"{name} {entry.index} read where {len(queue)} was due")
        queue.append(entry)


class L1Watcher:
    """Confirmed L1 queue entries for the sequencer (see module docstring)."""

    def __init__(self, reader: L1Reader, *, confirmations: int = DEFAULT_CONFIRMATIONS,
                 poll_s: float = DEFAULT_POLL_S, ignore_forced: bool = False,
                 on_new_entries: Callable[[], None] | None = None) -> None:
        self.reader = reader
        self.confirmations = confirmations
        self.poll_s = poll_s
        self.ignore_forced = ignore_forced
        self.on_new_entries = on_new_entries or (lambda: None)
        self.deposits: list[L1Deposit] = []
        self.forced: list[L1Forced] = []
        self.l1_block = reader.first_block - 1
        self.last_error = ""
        self._stopping = False

    def poll(self) -> bool:
        """Read newly confirmed L1 blocks; True if new entries arrived. Blocking (JSON-RPC)."""
        last = self.reader.head() - self.confirmations
        first = self.l1_block + 1
        if last < first:
            return False
        deposits = self.reader.deposits(first, last)
        forced = self.reader.forced(first, last)
        extend_queue(self.deposits, deposits, "deposit")
        extend_queue(self.forced, forced, "forced transaction")
        self.l1_block = last
        if deposits or forced:
            log.info("l1 watcher: %d deposits, %d forced transactions confirmed (L1 block %d)",
                     len(deposits), len(forced), last)
        return bool(deposits or forced)

    def queues(self) -> tuple[list[L1Deposit], list[L1Forced], int]:
        """The confirmed queues and how far the sequencer should take the forced one voluntarily."""
        return self.deposits, self.forced, (0 if self.ignore_forced else len(self.forced))

    async def run(self) -> None:
        while not self._stopping:
            try:
                if await asyncio.to_thread(self.poll):
                    self.on_new_entries()
                self.last_error = ""
            except L1Inconsistent:
                raise
            except Exception as exc:  # the L1 node is down or slow: keep the last state, retry
                if str(exc) != self.last_error:
                    log.warning("l1 watcher: %s (retrying)", exc)
                self.last_error = str(exc)
            await asyncio.sleep(self.poll_s)

    def stop(self) -> None:
        self._stopping = True
