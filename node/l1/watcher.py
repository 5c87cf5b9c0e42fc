"""The sequencer's L1 watcher: deposits and forced transactions, after N confirmations.

``L1Watcher(reader, confirmations)`` polls L1 every ``poll_s`` (the reads in a worker
thread, the changes applied on the event loop between blocks) and keeps the two queues
as confirmed so far: an entry is taken once its L1 block has ``confirmations`` blocks on
top, so a reorganisation shallower than that never reaches the L2 chain. Entries are kept
in queue order and checked to be contiguous (index i at position i); a gap means the node
missed an event: the watcher records it (``invalid``) and the sequencer halts.

**Reorganisations deeper than N.** The watcher keeps the hash of every L1 block it took
entries from and of the last block each poll read (those of the last
``REORG_HORIZON_BLOCKS`` blocks). Each poll first checks that the last block read is
still canonical (one header read: its ancestors are then canonical too); if not, it walks
back its kept blocks to the newest one still canonical (none: the deployment's block),
drops the entries read after it and re-reads L1 from there. A dropped entry that the
re-read does not give back unchanged (same index, fields, L1 block and deadline) is
*orphaned*: if the L2 chain already includes it, ``invalid(...)`` says so and the
sequencer halts rather than continue on a chain whose L1 inputs no longer exist; an
orphaned entry not yet included is simply never credited. A read is checked against the
hash of its last block before and after it, so a reorganisation during a read is retried,
never half-applied.

**The age of the view.** ``stale(now)`` says why the view is too old to build blocks on:
when the newest confirmed L1 block read is older (its timestamp vs the node's clock) than
the forced window minus a quarter of it (``max_view_age_s``), an entry the sequencer has
not seen could fall due before its next batch lands, and derivation would then put it into
that batch's first block where the sequencer did not. The sequencer then pauses (no
blocks, health NOT_SERVING) until the view is fresh again.

The sequencer asks ``queues()`` when it closes a block: every confirmed deposit and forced
transaction (up to the per-block caps of ``node.derivation.rules``), unless
``ignore_queues``, a test switch that plays a censoring sequencer (it takes no L1 entry;
derivation then puts them into the chain at their deadlines, and that sequencer's roots
are wrong). ``on_new_entries`` wakes the sequencer so deposits are credited without
waiting for client traffic.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from typing import Callable, Final, Sequence

from node.derivation.rules import L1Deposit, L1Forced
from node.l1.reader import L1Block, L1Inconsistent, L1Reader

log = logging.getLogger(__name__)

DEFAULT_CONFIRMATIONS: Final = 2
DEFAULT_POLL_S: Final = 0.5
# Block hashes kept for reorganisation checks: 4,096 L1 blocks (~13.6 h at 12 s) is far
# past Ethereum's finality (~13 min); a reorganisation below every kept block re-reads the
# queues from the deployment's block.
REORG_HORIZON_BLOCKS: Final = 4_096
NONE: Final = sys.maxsize  # "no orphaned entry"


def max_view_age_s(window_s: int) -> int:
    """The oldest L1 view (s) the sequencer builds blocks on: the forced window minus a
    quarter of it, the quarter being left for a block's batch to land on L1 (seal interval,
    inclusion, retries: seconds on the devnet's 120 s window, hours on a day-long one)."""
    return window_s - window_s // 4


def extend_queue(queue: list, entries: list, name: str) -> None:
    """Append L1 queue entries, checking they continue the queue (entry i at position i)."""
    _check_continues(len(queue), entries, name)
    queue.extend(entries)


def _check_continues(length: int, entries: Sequence, name: str) -> None:
    for offset, entry in enumerate(entries):
        if entry.index != length + offset:
            raise L1Inconsistent(f"{name} {entry.index} read where {length + offset} was due")


def _first_lost(dropped: Sequence, reread: Sequence) -> int:
    """The lowest queue index among ``dropped`` entries that ``reread`` does not give back
    unchanged (``NONE`` if it gives them all back)."""
    for offset, entry in enumerate(dropped):
        if offset >= len(reread) or reread[offset] != entry:
            return entry.index
    return NONE


def _index(index: int) -> str:
    return "none" if index == NONE else str(index)


@dataclass
class _Read:
    """One poll's reads: where to rewind to first (a reorganisation), then the new range."""

    rewind_to: int | None                      # keep entries in L1 blocks <= this; None: no reorg
    last: int                                  # the last L1 block read (the view)
    deposits: list[L1Deposit] = field(default_factory=list)
    forced: list[L1Forced] = field(default_factory=list)
    blocks: dict[int, L1Block] = field(default_factory=dict)  # headers of the blocks used


class L1Watcher:
    """Confirmed L1 queue entries for the sequencer (see module docstring)."""

    def __init__(self, reader: L1Reader, *, confirmations: int = DEFAULT_CONFIRMATIONS,
                 poll_s: float = DEFAULT_POLL_S, ignore_queues: bool = False,
                 on_new_entries: Callable[[], None] | None = None) -> None:
        self.reader = reader
        self.confirmations = confirmations
        self.poll_s = poll_s
        self.ignore_queues = ignore_queues
        self.on_new_entries = on_new_entries or (lambda: None)
        self.window_s = reader.forced_window()
        self.deposits: list[L1Deposit] = []
        self.forced: list[L1Forced] = []
        self.l1_block = reader.first_block - 1   # the last (confirmed) L1 block read
        self.view_time: int | None = None        # its timestamp (unix s)
        self.last_error = ""
        self.failure = ""                        # why the queues cannot be trusted any more
        # the lowest queue indices a reorganisation dropped (``NONE``: none)
        self.orphaned_deposit = NONE
        self.orphaned_forced = NONE
        self._kept: dict[int, L1Block] = {}      # L1 block -> header, for reorganisation checks
        self._stopping = False

    # -- reading (blocking JSON-RPC; a worker thread) ----------------------------------------

    def read(self) -> _Read | None:
        """Read what changed on L1 since the last ``apply`` (``None``: nothing). Blocking."""
        rewind_to = self._fork_point()
        start = self.l1_block if rewind_to is None else rewind_to
        last = self.reader.head() - self.confirmations
        if last <= start:
            if rewind_to is None:
                return None
            last = start
        pinned = self.reader.block(last)
        read = _Read(rewind_to, last)
        if last > start:
            read.deposits = self.reader.deposits(start + 1, last)
            read.forced = self.reader.forced(start + 1, last)
        used = {e.l1_block for e in read.deposits} | {e.l1_block for e in read.forced}
        read.blocks = {n: self.reader.block(n) for n in sorted(used) if n != last}
        if self.reader.block(last).block_hash != pinned.block_hash:
            raise RuntimeError(f"L1 block {last} changed during the read (a reorganisation): retrying")
        read.blocks[last] = pinned
        return read

    def _fork_point(self) -> int | None:
        """``None`` if the last block read is still canonical, else the newest kept block that
        is (none: the block before the deployment's, to re-read everything)."""
        if self.l1_block not in self._kept:
            return None
        if self.reader.block(self.l1_block).block_hash == self._kept[self.l1_block].block_hash:
            return None
        for number in sorted(self._kept, reverse=True):
            if number < self.l1_block and self.reader.block(number).block_hash == self._kept[number].block_hash:
                return number
        return self.reader.first_block - 1

    # -- applying (on the event loop, between blocks) ------------------------------------------

    def apply(self, read: _Read | None) -> bool:
        """Apply a ``read()``: rewind past orphaned blocks, then append; True if entries arrived.
        All or nothing: a gap (``L1Inconsistent``) changes nothing."""
        if read is None:
            return False
        keep_deposits, keep_forced = len(self.deposits), len(self.forced)
        if read.rewind_to is not None:
            keep_deposits = sum(1 for d in self.deposits if d.l1_block <= read.rewind_to)
            keep_forced = sum(1 for f in self.forced if f.l1_block <= read.rewind_to)
        _check_continues(keep_deposits, read.deposits, "deposit")
        _check_continues(keep_forced, read.forced, "forced transaction")
        if read.rewind_to is not None:
            self._rewind(read, keep_deposits, keep_forced)
        self.deposits.extend(read.deposits)
        self.forced.extend(read.forced)
        self._kept.update(read.blocks)
        for number in [n for n in self._kept if n <= read.last - REORG_HORIZON_BLOCKS]:
            del self._kept[number]
        self.l1_block, self.view_time = read.last, read.blocks[read.last].timestamp
        if read.deposits or read.forced:
            log.info("l1 watcher: %d deposits, %d forced transactions confirmed (L1 block %d)",
                     len(read.deposits), len(read.forced), read.last)
        return bool(read.deposits or read.forced)

    def _rewind(self, read: _Read, keep_deposits: int, keep_forced: int) -> None:
        """Drop the entries read after the fork point; note those the re-read lost or changed."""
        lost_deposit = _first_lost(self.deposits[keep_deposits:], read.deposits)
        lost_forced = _first_lost(self.forced[keep_forced:], read.forced)
        log.error("l1 watcher: L1 reorganised below block %d (deeper than %d confirmations): re-read from "
                  "block %d; orphaned: deposits from %s, forced transactions from %s", self.l1_block,
                  self.confirmations, read.rewind_to + 1, _index(lost_deposit), _index(lost_forced))
        self.orphaned_deposit = min(self.orphaned_deposit, lost_deposit)
        self.orphaned_forced = min(self.orphaned_forced, lost_forced)
        del self.deposits[keep_deposits:]
        del self.forced[keep_forced:]
        for number in [n for n in self._kept if n > read.rewind_to]:
            del self._kept[number]

    def poll(self) -> bool:
        """``apply(read())`` in the calling thread; True if new entries arrived. Blocking."""
        return self.apply(self.read())

    # -- what the sequencer asks ----------------------------------------------------------------

    def queues(self) -> tuple[list[L1Deposit], list[L1Forced], int, int]:
        """The confirmed queues and how far the sequencer takes each (all, or none if ``ignore_queues``)."""
        if self.ignore_queues:
            return self.deposits, self.forced, 0, 0
        return self.deposits, self.forced, len(self.deposits), len(self.forced)

    def stale(self, now: float) -> str:
        """Why the view is too old to build blocks on at ``now`` (unix s); ``""`` if fresh."""
        if self.view_time is None:
            return "no L1 block read yet"
        age, limit = now - self.view_time, max_view_age_s(self.window_s)
        if age <= limit:
            return ""
        return (f"L1 view too old: the newest confirmed L1 block read ({self.l1_block}) is {age:.0f} s old, "
                f"over {limit} s (the forced window {self.window_s} s minus a quarter)")

    def invalid(self, deposits_included: int, forced_included: int) -> str:
        """Why a chain that includes deposits ``[0, deposits_included)`` and forced transactions
        ``[0, forced_included)`` cannot continue on these queues (``""`` if it can)."""
        if self.failure:
            return self.failure
        if self.orphaned_deposit < deposits_included or self.orphaned_forced < forced_included:
            return (f"an L1 reorganisation deeper than {self.confirmations} confirmations orphaned queue entries "
                    f"the L2 chain already includes (deposits from {self.orphaned_deposit}, forced transactions "
                    f"from {self.orphaned_forced}; included: {deposits_included} and {forced_included})")
        return ""

    async def run(self) -> None:
        while not self._stopping:
            try:
                if self.apply(await asyncio.to_thread(self.read)):
                    self.on_new_entries()
                self.last_error = ""
            except L1Inconsistent as exc:  # the sequencer halts on it (``invalid``)
                log.error("l1 watcher: stopped: %s", exc)
                self.failure = self.last_error = str(exc)
                return
            except Exception as exc:  # the L1 node is down or slow: keep the last state, retry
                if str(exc) != self.last_error:
                    log.warning("l1 watcher: %s (retrying)", exc)
                self.last_error = str(exc)
            await asyncio.sleep(self.poll_s)

    def stop(self) -> None:
        self._stopping = True
