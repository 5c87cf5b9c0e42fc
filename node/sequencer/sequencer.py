"""The sequencer: FIFO ordering, an L2 block every few milliseconds, soft confirmations.

``Sequencer`` owns the head ``State`` (on any ``StateBackend``: ``MemoryBackend``
or the LMDB backend) and runs one asyncio task:

- submitters call ``await submit(raw)``: the mempool's door checks run at once
  (``mempool.Rejected`` / ``MempoolFull`` raise immediately), then the transaction is
  queued (first come, first served; under a backlog the mempool gives every account an
  equal share of each block, see ``mempool``) and the call waits for its block;
- a block closes ``block_time_ms`` after the first transaction of the block arrived, or as
  soon as ``max_block_txs`` are queued (no empty blocks are produced);
- closing a block: ``BlockEnv(head + 1, max(clock(), last time))`` (unix seconds from the
  injected ``clock``), ``apply_block`` over the pre-decoded ``SignedTx``s, the receipts
  hash, then ``BlockSink.put_block`` (the store persists the block in one write), and only
  then each submitter's future is resolved with ``(block_number, receipt)``: a soft
  confirmation is never sent for a block that was not committed.

Everything runs on the event loop thread and a block is applied without awaiting, so
queries (which read ``self.state`` between blocks) always see the last committed block.
A block of ``max_block_txs`` orders blocks the loop for its STF time (~0.1 ms per order);
the block-size bound keeps that pause short.

Observers (``add_observer``) hear of every committed block, with its decoded
transactions, after its submitters' futures are resolved, and of a halt: the streams,
metrics and health use this. An observer that raises is logged and dropped; it never
affects block production.

If applying or persisting a block raises (a bug or a disk failure, never a trader's
input: the STF is total) the sequencer halts: the block's submitters and every later
one get ``SequencerHalted``, and ``failure`` keeps the exception for the operator.

With an L1 (``set_l1``): every block starts with the confirmed L1 entries not yet in the
chain (``rules.build_block``, up to the per-block caps), and before each block, and every
``L1_CHECK_S`` while running, ``check_l1`` asks the watcher about its view: too old
(``L1Queues.stale``) pauses block production (``paused`` holds the reason; observers hear
``on_pause``, health goes NOT_SERVING; submissions wait in the mempool) until it is fresh
again; a view that no longer supports the chain (a reorganisation orphaned an included
entry, a queue gap: ``L1Queues.invalid``) halts the sequencer (``L1ViewInvalid``).

Signature recovery: ``enqueue(raw)`` runs the whole door in the calling coroutine (in
process, synchronous). ``admit(raw)`` is the asynchronous door the gRPC server uses: with
``recovery_workers=0`` it is ``enqueue``; with ``recovery_workers=N`` the stateless half
(decode, EIP-712 digest, secp256k1 recovery: ~80 us of an order's CPU) runs in a
``recovery.RecoveryPool`` of N processes, micro-batched per loop tick, and only the
stateful half (nonce pre-check, queueing) runs here.

FIFO with asynchronous recovery: ``admit`` appends each submission to a FIFO of
admissions *when it arrives* (synchronously, on the loop thread), and a submission leaves
that FIFO for the mempool only from its head, once its own recovery is done and every
earlier submission has left: a later envelope whose chunk finished first waits. So a
transaction's place in the mempool (hence in the blocks) is its arrival order, as with
``enqueue``; the nonce pre-check sees the state and the queue as of that moment. Mixing
``enqueue`` with ``admit`` calls in flight lets the ``enqueue`` jump ahead of them: the
server uses only ``admit``. Admissions waiting for their recovery are not counted by
``max_pending`` (the servers' per-stream in-flight limits bound them).

Default ``DEFAULT_RECOVERY_WORKERS = 0`` (in process), by measurement (bench_grpc, this
2-core machine shared with other work, medians of 2-4 noisy runs): a worker takes ~55 us
of CPU per order off the node's main process (batch path: ~180 -> ~120 us per order,
-32%), but the bench's clients run on the same two cores, so the worker competes with
them and throughput does not rise (SubmitBatchStream ~6,100-6,800 orders/s in process vs
~4,500-6,500 with 1-2 workers on a quiet machine; single orders ~2,000-3,400 vs
~1,800-2,000). On a node with a spare core and remote clients, ``--recovery-workers 1``
(or more) raises the main loop's ceiling by up to ~1.45x.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Callable, Final, Protocol, Sequence

from node.stf import keys
from node.stf.backends import MemoryBackend, StateBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.eip712 import Domain
from node.stf.genesis import Genesis, initialise
from node.stf.hashing import keccak256
from node.stf.receipts import Receipt, receipts_hash
from node.stf.records import Config, Globals
from node.stf.state import State
from node.stf.tx_codec import TxDecodeError, decode_tx
from node.stf.txtypes import Deposit, SignedTx

from node.derivation.rules import ChainTip, DerivedBlock, L1Deposit, L1Forced, L1View, build_block
from node.sequencer.mempool import DEFAULT_MAX_PENDING, Mempool, MempoolFull, Pending, Rejected
from node.sequencer.recovery import RecoveryPool
from node.sequencer.touched import accounts_of

log = logging.getLogger(__name__)

DEFAULT_BLOCK_TIME_MS: Final = 5
DEFAULT_MAX_BLOCK_TXS: Final = 1_000
# Sequenced bytes per block: a block must fit one L1 batch (node.l1.batcher), whatever its
# transactions (1,000 orders are ~90 KB; 1,000 maximal 2 KiB envelopes would not fit).
MAX_BLOCK_BYTES: Final = 96_000
DEFAULT_MEMORY_BLOCKS: Final = 10_000  # blocks (with receipts) a MemoryBlockSink keeps
# Recovery processes for the node (``optrollup node``, the gRPC bench); ``Sequencer`` itself
# defaults to 0 (in process) so that embedding it starts no processes. See the module docstring.
DEFAULT_RECOVERY_WORKERS: Final = 0
# How often a running sequencer with an L1 re-checks its L1 view (pause, resume, halt), so
# health follows the view within this delay even when no transaction arrives.
L1_CHECK_S: Final = 0.5


class SequencerHalted(RuntimeError):
    """The sequencer stopped (shut down, or a block could not be applied or stored)."""


class L1ViewInvalid(RuntimeError):
    """The L1 inputs the chain already used are gone or inconsistent (the sequencer halts)."""


@dataclass(frozen=True, slots=True)
class L2Block:
    """A sequenced block: header fields, its transactions (raw envelopes) and receipts.

    With an L1 (``node.derivation.rules``): the block's first ``l1_tx_count`` transactions
    came from the L1 queues, which it consumed up to ``deposits_through`` and
    ``forced_through`` (exclusive queue indices); the rest were sequenced.
    """

    number: int
    timestamp: int
    state_root: bytes
    receipts_hash: bytes
    txs: tuple[bytes, ...]
    receipts: tuple[Receipt, ...]
    deposits_through: int = 0
    forced_through: int = 0
    l1_tx_count: int = 0
    # Per transaction, the accounts it concerns (``node.sequencer.touched``), for the history
    # index; empty when not computed (a block read back from a sink).
    accounts: tuple[tuple[bytes, ...], ...] = ()


class BlockObserver:
    """Told of each committed block and of a halt, on the event loop thread. Must not block
    for long (it runs between blocks); the default methods do nothing."""

    def on_block(self, block: L2Block, txs: tuple[SignedTx, ...]) -> None:
        """``block`` is committed; ``txs[i]`` is the decoded ``block.txs[i]``."""

    def on_halt(self, failure: BaseException | None) -> None:
        """The sequencer stopped: ``failure`` is the cause, or ``None`` for a clean stop."""

    def on_pause(self, reason: str) -> None:
        """Block production paused (``reason``: why) or resumed (``reason == ""``)."""


class BlockSink(ABC):
    """Where committed blocks go. The LMDB store implements this and persists each block
    (with the state changes its backend holds) in one write transaction; ``put_block``
    returns only once the block is durable, and the sequencer acknowledges after it."""

    @abstractmethod
    def put_block(self, block: L2Block) -> None:
        """Persist ``block``; raise if it cannot be persisted (the sequencer then halts)."""

    @abstractmethod
    def get_block(self, number: int) -> L2Block | None:
        """Block ``number``, or ``None``."""

    @abstractmethod
    def get_receipt(self, tx_hash: bytes) -> tuple[int, Receipt] | None:
        """``(block_number, receipt)`` of an included transaction, or ``None``."""

    def account_positions(self, address: bytes, before: int, limit: int) -> list[int]:
        """Positions (``history_position``) of the transactions that concern ``address``
        (``L2Block.accounts``), below ``before`` (0: from the newest), newest first, at most
        ``limit``. A sink without an index answers ``[]``."""
        return []


def history_position(block_number: int, tx_index: int, item: int = 0) -> int:
    """The paging position of ``query.proto``: block x 2^32 + transaction index x 2^8 + item."""
    return block_number << 32 | tx_index << 8 | item


class MemoryBlockSink(BlockSink):
    """Blocks and a receipt index in memory (development), bounded: only the last
    ``max_blocks`` blocks (default ``DEFAULT_MEMORY_BLOCKS``) and their receipts are kept;
    older ones are forgotten (``get_block`` / ``get_receipt`` answer ``None``), so a long-running
    in-memory dev node does not grow without bound. The state itself is not affected."""

    def __init__(self, max_blocks: int | None = None) -> None:
        self.max_blocks = DEFAULT_MEMORY_BLOCKS if max_blocks is None else max_blocks
        if self.max_blocks < 1:
            raise ValueError("sequencer: max_blocks >= 1")
        self.blocks: dict[int, L2Block] = {}
        self.receipts: dict[bytes, tuple[int, Receipt]] = {}
        self.by_account: dict[bytes, deque[int]] = {}  # positions, oldest first

    def put_block(self, block: L2Block) -> None:
        self.blocks[block.number] = block
        for receipt in block.receipts:
            self.receipts.setdefault(receipt.tx_hash, (block.number, receipt))
        for index, addresses in enumerate(block.accounts):
            for address in addresses:
                self.by_account.setdefault(address, deque()).append(history_position(block.number, index))
        while len(self.blocks) > self.max_blocks:
            number = next(iter(self.blocks))  # the oldest (blocks arrive in order)
            old = self.blocks.pop(number)
            for receipt in old.receipts:
                if self.receipts.get(receipt.tx_hash, (None,))[0] == number:
                    del self.receipts[receipt.tx_hash]
            for address in {a for addresses in old.accounts for a in addresses}:
                positions = self.by_account[address]
                while positions and positions[0] >> 32 <= number:
                    positions.popleft()
                if not positions:
                    del self.by_account[address]

    def account_positions(self, address: bytes, before: int, limit: int) -> list[int]:
        out = []
        for position in reversed(self.by_account.get(address, ())):
            if before and position >= before:
                continue
            out.append(position)
            if len(out) == limit:
                break
        return out

    def get_block(self, number: int) -> L2Block | None:
        return self.blocks.get(number)

    def get_receipt(self, tx_hash: bytes) -> tuple[int, Receipt] | None:
        return self.receipts.get(tx_hash)


class Sequencer:
    """Orders, executes and confirms transactions (see module docstring)."""

    def __init__(
        self,
        state: State,
        *,
        sink: BlockSink | None = None,
        clock: Callable[[], float] = time.time,
        block_time_ms: float = DEFAULT_BLOCK_TIME_MS,
        max_block_txs: int = DEFAULT_MAX_BLOCK_TXS,
        max_pending: int = DEFAULT_MAX_PENDING,
        recovery_workers: int = 0,
    ) -> None:
        if max_block_txs < 1 or block_time_ms < 0:
            raise ValueError("sequencer: max_block_txs >= 1 and block_time_ms >= 0")
        self.state = state
        config: Config = state.get(keys.CONFIG)
        if config is None:
            raise ValueError("sequencer: the state has no genesis (initialise it first)")
        self.chain_id = config.chain_id
        self.domain = config.domain  # what every transaction of this chain is signed for
        self.sink = sink or MemoryBlockSink()
        self.clock = clock
        self.block_time_s = block_time_ms / 1000
        self.max_block_txs = max_block_txs
        self.mempool = Mempool(self.domain, max_pending)
        globals_: Globals = state.get(keys.GLOBALS)
        self.head_number = globals_.last_block_number
        self.head_time = globals_.last_block_time
        self.head_root = state.root()
        if self.head_number == 0 and self.sink.get_block(0) is None:
            self.sink.put_block(L2Block(0, self.head_time, self.head_root, receipts_hash([]), (), ()))
        head_block = self.sink.get_block(self.head_number)
        self.head_deposits_through = head_block.deposits_through if head_block is not None else 0
        self.head_forced_through = head_block.forced_through if head_block is not None else 0
        self.l1: L1Queues | None = None
        self.replica = False
        self.failure: BaseException | None = None
        self.paused = ""  # why block production is paused ("" when it is not)
        self._resumed: asyncio.Event | None = None
        self._l1_task: asyncio.Task | None = None
        self._task: asyncio.Task | None = None
        self._has_txs: asyncio.Event | None = None
        self._full: asyncio.Event | None = None
        self._stopping = False
        self._observers: list[BlockObserver] = []
        if recovery_workers < 0:
            raise ValueError("sequencer: recovery_workers >= 0")
        self.recovery_workers = recovery_workers
        self.recovery: RecoveryPool | None = None
        self._admitting: deque[tuple[asyncio.Future, asyncio.Future]] = deque()

    def add_observer(self, observer: BlockObserver) -> None:
        """Tell ``observer`` of every block committed from now on, and of a halt."""
        self._observers.append(observer)

    def remove_observer(self, observer: BlockObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _notify(self, method: str, *args) -> None:
        for observer in tuple(self._observers):
            try:
                getattr(observer, method)(*args)
            except Exception:  # an observer's bug never stops the chain
                log.exception("sequencer: observer %r failed in %s; removed", observer, method)
                self.remove_observer(observer)

    @classmethod
    def from_genesis(cls, genesis: Genesis, backend: StateBackend | None = None, **kwargs) -> "Sequencer":
        """A sequencer over a fresh state initialised with ``genesis``."""
        state = State(backend if backend is not None else MemoryBackend())
        initialise(state, genesis)
        return cls(state, **kwargs)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        self._has_txs = asyncio.Event()
        self._full = asyncio.Event()
        self._resumed = asyncio.Event()
        if not self.paused:
            self._resumed.set()
        if len(self.mempool):
            self._has_txs.set()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sequencer")
        self._start_l1_checks()
        if self.recovery_workers and self.recovery is None:
            self.recovery = RecoveryPool(self.domain, self.recovery_workers)
            self.recovery.start()

    async def stop(self, drain: bool = True) -> None:
        """Stop producing blocks. With ``drain``, the queued transactions get one last block first."""
        if self._task is None:
            return
        self._stopping = True
        self._has_txs.set()
        self._full.set()
        self._resumed.set()
        if self._l1_task is not None:
            self._l1_task.cancel()
            self._l1_task = None
        task, self._task = self._task, None
        if not drain:
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        self._fail_pending(SequencerHalted("sequencer: stopped"))
        if self.recovery is not None:
            self.recovery.close()  # admissions still in flight resolve in process, then are refused
            self.recovery = None
        if self.failure is None:
            self._notify("on_halt", None)

    @property
    def running(self) -> bool:
        return self._task is not None and self.failure is None

    # -- submission ----------------------------------------------------------------------

    # -- L1 ------------------------------------------------------------------------------

    def set_l1(self, queues: "L1Queues") -> None:
        """Build every block from now on with the L1 queues (``node.derivation.rules``):
        confirmed deposits and forced transactions first, then the sequenced ones; check
        the L1 view before each block and every ``L1_CHECK_S`` (module docstring)."""
        self.l1 = queues
        self._start_l1_checks()

    def _start_l1_checks(self) -> None:
        if self.l1 is not None and self._task is not None and self._l1_task is None:
            self._l1_task = asyncio.get_running_loop().create_task(self._check_l1_often(), name="sequencer-l1")

    async def _check_l1_often(self) -> None:
        while self.failure is None and not self._stopping:
            if self.check_l1() and self._l1_work():
                self.wake()
            await asyncio.sleep(L1_CHECK_S)

    def check_l1(self) -> bool:
        """Whether a block may be built on the L1 view now (always, without an L1). Halts the
        sequencer if the view no longer supports the chain; pauses or resumes block
        production as the view gets too old or fresh again (module docstring)."""
        if self.l1 is None:
            return True
        if self.failure is not None:
            return False
        invalid = self.l1.invalid(self.head_deposits_through, self.head_forced_through)
        if invalid:
            self.halt(L1ViewInvalid(invalid))
            return False
        reason = self.l1.stale(self.clock())
        was_paused, self.paused = bool(self.paused), reason
        if bool(reason) != was_paused:
            if reason:
                log.error("sequencer: paused (no blocks, health NOT_SERVING): %s", reason)
            else:
                log.warning("sequencer: resumed: the L1 view is fresh again")
            if self._resumed is not None and reason:
                self._resumed.clear()
            elif self._resumed is not None:
                self._resumed.set()
            self._notify("on_pause", reason)
        return not reason

    def halt(self, failure: Exception) -> None:
        """Stop producing blocks for good: queued submitters get ``SequencerHalted``, observers
        ``on_halt(failure)``, and ``failure`` keeps the cause for the operator."""
        if self.failure is not None:
            return
        log.error("sequencer: halted: %s", failure)
        self._halt(failure, SequencerHalted(f"sequencer: halted: {failure}"), [])
        for event in (self._has_txs, self._resumed):
            if event is not None:
                event.set()

    def _halt(self, failure: BaseException, error: SequencerHalted, batch: list[Pending]) -> None:
        self.failure = failure
        for pending in batch:
            if pending.waiter is not None and not pending.waiter.done():
                pending.waiter.set_exception(error)
        self._fail_pending(error)
        self._notify("on_halt", failure)

    def set_replica(self, sequencer_target: str = "") -> None:
        """Make this a read replica: blocks come only from ``import_block`` (derivation). A
        submission is refused with a message naming ``sequencer_target`` (its gRPC address) if known."""
        self.replica = True
        self.replica_message = ("this node is a read replica (it follows L1): send transactions to the sequencer"
                                + (f" at {sequencer_target}" if sequencer_target else ""))

    def wake(self) -> None:
        """New L1 entries arrived: close a block even if no client transaction is waiting."""
        if self._has_txs is not None:
            self._has_txs.set()

    def tip(self) -> ChainTip:
        return ChainTip(self.head_number, self.head_time, self.head_deposits_through, self.head_forced_through)

    def tip_at(self, number: int) -> ChainTip | None:
        """The tip as it was after block ``number`` (``None`` if that block is not kept)."""
        block = self.get_block(number)
        if block is None:
            return None
        return ChainTip(block.number, block.timestamp, block.deposits_through, block.forced_through)

    def _l1_work(self) -> bool:
        """Whether confirmed L1 entries wait for a block (cursors: O(1))."""
        if self.l1 is None:
            return False
        _, _, deposits_taken, forced_taken = self.l1.queues()
        return deposits_taken > self.head_deposits_through or forced_taken > self.head_forced_through

    def state_root_at(self, number: int) -> bytes | None:
        block = self.get_block(number)
        return None if block is None else block.state_root

    def import_block(self, derived: DerivedBlock) -> bytes:
        """Replica: apply and store a derived block; returns its state root. Raises
        ``InvalidBlock`` if it does not follow the head (a derivation bug)."""
        txs = [_decoded_or_raw(raw, self.domain) for raw in derived.txs]
        result = apply_block(self.state, BlockEnv(derived.number, derived.timestamp, derived.forced_through, derived.deposits_through), txs)
        block = L2Block(derived.number, derived.timestamp, result.state_root, receipts_hash(list(result.receipts)),
                        derived.txs, result.receipts, derived.deposits_through, derived.forced_through,
                        len(derived.txs), _accounts(txs, result.receipts))
        self.sink.put_block(block)
        self._advance(block)
        if self._observers:
            self._notify("on_block", block, tuple(_as_signed(tx) for tx in txs))
        return result.state_root

    def _advance(self, block: L2Block) -> None:
        self.head_number, self.head_time, self.head_root = block.number, block.timestamp, block.state_root
        self.head_deposits_through, self.head_forced_through = block.deposits_through, block.forced_through

    def _ensure_open(self) -> None:
        if self.replica:
            raise SequencerHalted(self.replica_message)
        if self.failure is not None:
            raise SequencerHalted(f"sequencer: halted: {self.failure!r}")
        if self._task is None or self._stopping:
            raise SequencerHalted("sequencer: not running")

    def enqueue(self, raw: bytes) -> tuple[SignedTx, asyncio.Future]:
        """Door checks and queueing, without waiting: the decoded tx and a future of
        ``(block_number, receipt)``. Raises ``Rejected``, ``MempoolFull`` or ``SequencerHalted``."""
        self._ensure_open()
        tx = self.mempool.check(self.state, raw)
        return tx, self._queue(tx, system=False)

    def admit(self, raw: bytes) -> asyncio.Future:
        """The asynchronous door (see module docstring): a future of ``(block_number, receipt)``
        which raises ``Rejected``, ``MempoolFull`` or ``SequencerHalted`` if the transaction is
        refused. Without a recovery pool the door runs now (and its refusals raise here)."""
        self._ensure_open()
        if self.recovery is None and not self._admitting:
            return self.enqueue(raw)[1]
        waiter = asyncio.get_running_loop().create_future()
        decoded = self.recovery.decode_soon(raw) if self.recovery is not None else _decoded_now(self, raw)
        self._admitting.append((decoded, waiter))
        decoded.add_done_callback(self._admit_ready)
        return waiter

    def _admit_ready(self, _decoded: asyncio.Future) -> None:
        """Move the recovered submissions at the head of the admission FIFO to the mempool."""
        admitting = self._admitting
        while admitting and admitting[0][0].done():
            decoded, waiter = admitting.popleft()
            try:
                self._ensure_open()
                tx = decoded.result()
                self.mempool.precheck(self.state, tx)
                self._queue(tx, system=False, waiter=waiter)
            except (Rejected, MempoolFull, SequencerHalted) as exc:
                if not waiter.done():
                    waiter.set_exception(exc)

    async def submit(self, raw: bytes) -> tuple[int, Receipt]:
        """Submit a client transaction and wait for its block: ``(block_number, receipt)``."""
        return await self.admit(raw)

    def submit_system(self, raw: bytes) -> asyncio.Future:
        """Queue a transaction from a trusted source (an L1 deposit, the dev node's set-up):
        decoded strictly but without the door's client rules. Returns the future."""
        self._ensure_open()
        try:
            tx = decode_tx(raw, self.domain)
        except TxDecodeError as exc:
            raise ValueError(f"sequencer: bad system transaction: {exc}") from None
        if self.l1 is not None and isinstance(tx.body, Deposit):
            raise ValueError("sequencer: with an L1, deposits come only from the L1 portal")
        return self._queue(tx, system=True)

    def _queue(self, tx: SignedTx, system: bool, waiter: asyncio.Future | None = None) -> asyncio.Future:
        future = waiter if waiter is not None else asyncio.get_running_loop().create_future()
        self.mempool.add(tx, future, system=system)
        self._has_txs.set()
        if len(self.mempool) >= self.max_block_txs:
            self._full.set()
        return future

    # -- block production ------------------------------------------------------------------

    async def _run(self) -> None:
        has_txs, full = self._has_txs, self._full
        while True:
            await has_txs.wait()
            if not full.is_set() and not self._stopping and self.block_time_s > 0:
                try:
                    await asyncio.wait_for(full.wait(), self.block_time_s)
                except TimeoutError:
                    pass
            if self.failure is not None:
                return
            if self.paused:
                if self._stopping:  # no last block on a stale view: stop() refuses the queued ones
                    return
                await self._resumed.wait()  # check_l1 sets it when the view is fresh (halt and stop too)
                continue
            if self.mempool or self._l1_work():
                self.close_block()
                if self.failure is not None:
                    return
            if len(self.mempool) < self.max_block_txs:
                full.clear()
            if not self.mempool and not self._l1_work():
                has_txs.clear()
                if self._stopping:
                    return
            await asyncio.sleep(0)  # let submitters and queries in between blocks

    def close_block(self) -> L2Block | None:
        """Apply the oldest ``max_block_txs`` queued transactions as the next block, persist it,
        then resolve their submitters' futures. Synchronous: no other coroutine runs meanwhile.
        With an L1, nothing is built unless ``check_l1`` allows it."""
        if not self.check_l1():
            return None
        batch: list[Pending] = self.mempool.take(self.max_block_txs, MAX_BLOCK_BYTES)
        l1_txs: list[SignedTx | bytes] = []
        positions = (self.head_deposits_through, self.head_forced_through)
        number = self.head_number + 1
        timestamp = max(int(self.clock()), self.head_time)
        if self.l1 is not None:
            deposits, forced, deposits_taken, forced_taken = self.l1.queues()
            derived = build_block(self.tip(), timestamp, deposits_taken, forced_taken, (),
                                  L1View.of(0, deposits, forced))  # (no L1 time: building applies no deadline)
            l1_txs = [_decoded_or_raw(raw, self.domain) for raw in derived.txs]
            positions = (derived.deposits_through, derived.forced_through)
        if not batch and not l1_txs:
            return None
        try:
            txs = l1_txs + [p.tx for p in batch]
            if self.l1 is not None:
                result = apply_block(self.state, BlockEnv(number, timestamp, positions[1], positions[0]), txs)
            else:  # no L1 queue: system deposits move the position, and the header records it
                result = apply_block(self.state, BlockEnv(number, timestamp), txs)
                globals_ = self.state.get(keys.GLOBALS)
                positions = (globals_.next_deposit_index, globals_.next_forced_index)
            block = L2Block(number, timestamp, result.state_root, receipts_hash(list(result.receipts)),
                            tuple(_raw_of(tx) for tx in txs), result.receipts, *positions, len(l1_txs),
                            _accounts(txs, result.receipts))
            self.sink.put_block(block)
        except BaseException as exc:  # a bug or the disk: halt rather than confirm an unstored block
            self._halt(exc, SequencerHalted(f"sequencer: block {number} failed: {exc!r}"), batch)
            if not isinstance(exc, Exception):
                raise
            return None
        self._advance(block)
        for pending, receipt in zip(batch, result.receipts[len(l1_txs):]):
            waiter = pending.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result((number, receipt))
        if self._observers:
            self._notify("on_block", block, tuple(_as_signed(tx) for tx in txs))
        return block

    def _fail_pending(self, error: BaseException) -> None:
        for pending in self.mempool.take(len(self.mempool)):
            if pending.waiter is not None and not pending.waiter.done():
                pending.waiter.set_exception(error)

    # -- reads --------------------------------------------------------------------------

    def get_receipt(self, tx_hash: bytes) -> tuple[int, Receipt] | None:
        return self.sink.get_receipt(tx_hash)

    def get_block(self, number: int | None = None) -> L2Block | None:
        return self.sink.get_block(self.head_number if number is None else number)


def _decoded_now(sequencer: Sequencer, raw: bytes) -> asyncio.Future:
    """An already-resolved door verdict (the pool is gone but admissions are still queued)."""
    future = asyncio.get_running_loop().create_future()
    try:
        future.set_result(sequencer.mempool.decode(raw))
    except Rejected as exc:
        future.set_exception(exc)
    return future


class L1Queues(Protocol):
    """The sequencer's view of L1 (``node.l1.watcher.L1Watcher``)."""

    def queues(self) -> tuple[Sequence[L1Deposit], Sequence[L1Forced], int, int]:
        """The confirmed deposits and forced transactions, and how far the sequencer takes each."""

    def stale(self, now: float) -> str:
        """Why the view is too old to build blocks on at ``now`` (unix s); ``""`` if fresh."""

    def invalid(self, deposits_included: int, forced_included: int) -> str:
        """Why a chain including that many entries of each queue cannot continue (``""``: it can)."""


def _decoded_or_raw(raw: bytes, domain: Domain) -> SignedTx | bytes:
    """An L1-derived transaction decoded now, or its bytes if they do not decode (the STF
    then gives it a failure receipt, as derivation does)."""
    try:
        return decode_tx(raw, domain)
    except TxDecodeError:
        return raw


def _accounts(txs, receipts) -> tuple[tuple[bytes, ...], ...]:
    return tuple(accounts_of(tx, receipt) for tx, receipt in zip(txs, receipts))


def _raw_of(tx: SignedTx | bytes) -> bytes:
    return tx if isinstance(tx, bytes) else tx.raw


def _as_signed(tx: SignedTx | bytes) -> SignedTx:
    """What observers get for a transaction that did not decode: no body, no sender."""
    return tx if isinstance(tx, SignedTx) else SignedTx(None, tx, keccak256(tx), None)


def tx_hash_of(raw: bytes) -> bytes:
    """keccak-256 of a raw envelope (the transaction hash, also for refused bytes)."""
    return keccak256(raw)
