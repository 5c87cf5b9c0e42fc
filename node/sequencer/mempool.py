"""The door: what a client's bytes must pass before the sequencer queues them; and the queue.

``Mempool.check(raw)`` runs, in this order (the first failure decides):

1. size: more than ``MAX_TX_BYTES`` -> ``TX_TOO_LARGE`` (the gRPC layer already caps a
   whole request at a few KiB);
2. ``tx_codec.decode_tx`` under the genesis EIP-712 domain: strict decoding and sender
   recovery -> its ``FailureCode`` (``DECODE_ERROR``, ``BAD_SIGNATURE``, ...);
3. an unsigned deposit (0x7E) -> ``UNAUTHORISED_SIGNER``: deposits come only from L1,
   through ``Sequencer.submit_system``;
4. a cheap stateful pre-check of the nonce (``nonces.is_nonce_used``) against the head
   state, plus the ``(sender, nonce)`` pairs already queued: an obvious replay is refused
   at the door (``NONCE_ALREADY_USED`` / ``NONCE_OUT_OF_RANGE``) instead of costing a
   failure receipt. The STF remains the authority: a nonce that passes here and is used by
   an earlier transaction of the same block still fails there.

Steps 1-3 are ``door_decode``, a pure function of the bytes and the domain, which
``recovery.RecoveryPool`` runs in worker processes; step 4 always runs on the event loop,
in arrival order (``Sequencer.admit``).

Then ``add`` queues the transaction, unless (``MempoolFull``, mapped to RESOURCE_EXHAUSTED):

- the pool holds ``max_pending`` transactions (default 20,000);
- with ``SenderLimits`` set (the gRPC server sets them: ``set_sender_limits``), the
  signing account (``SenderLimited``, a ``MempoolFull``) already holds
  ``limits.max_pending`` pending transactions (default 1,000); or the pool is at least
  three quarters full and the account holds ``max_pending // 64`` (312 of 20,000) or
  more, so the last quarter is shared by many senders; or the account is over its token
  bucket (``limits.rate_per_s`` transactions per second, ``limits.burst`` at once;
  defaults 500/s and 1,000).

System transactions (``system=True``: L1 deposits, the dev node's set-up) are never
refused, and ``unlimited()`` lifts the per-account limits for one synchronous ``add`` (a
stream's pre-signed cancel-on-disconnect).

``take(n)`` chooses the next block's transactions. If at most ``n`` are pending it takes
them all, in arrival order (FIFO). Otherwise each sender gets a fair share: pending system
transactions first, then a quota ``q`` per signing account (the largest with
``sum(min(pending_a, q)) <= room``: water-filling, so an account with fewer than ``q``
pending gets them all), and the slots left over go one each to the accounts over the
quota whose next transaction arrived first. The chosen transactions (a prefix of each
account's own queue, so an account's transactions keep their order) go into the block in
arrival order. So one sender with a backlog cannot delay another's transaction beyond the
next block.

Kinds of refusal: ``Rejected.invalid`` is True for input that can never be valid (maps to
INVALID_ARGUMENT), False for a valid transaction the state refuses (FAILED_PRECONDITION).
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Callable, Final, Iterator

from node.sequencer.token_bucket import TokenBuckets
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.nonces import is_nonce_used
from node.stf import keys
from node.stf.hashing import keccak256
from node.stf.state import State
from node.stf.tx_codec import MAX_TX_BYTES, TxDecodeError, decode_tx
from node.stf.txtypes import SignedTx

DEFAULT_MAX_PENDING: Final = 20_000
# Per signing account: a block's worth pending (an honest trader waits for its acks long
# before that), and a rate a market maker re-quoting every series stays under.
DEFAULT_MAX_PENDING_PER_SENDER: Final = 1_000
DEFAULT_ACCOUNT_RATE_PER_S: Final = 500.0
DEFAULT_ACCOUNT_BURST: Final = 1_000.0
# Once the pool is NEARLY_FULL_NUM/NEARLY_FULL_DEN full, an account holding
# max_pending // SHARE_DIVISOR is refused: the last quarter takes at least 16 senders to fill.
NEARLY_FULL_NUM: Final = 3
NEARLY_FULL_DEN: Final = 4
SHARE_DIVISOR: Final = 64
SYSTEM: Final = b"system"  # the queue key of system transactions (not a 20-byte address)


class Rejected(Exception):
    """A transaction refused at the door, with the failure code a receipt would carry."""

    def __init__(self, code: FailureCode, message: str, *, invalid: bool, tx_hash: bytes = b"") -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.invalid = invalid
        self.tx_hash = tx_hash


class MempoolFull(Exception):
    """The queue holds ``max_pending`` transactions; try again shortly."""


class SenderLimited(MempoolFull):
    """The signing account is over one of its ``SenderLimits``; try again shortly."""


@dataclass(frozen=True, slots=True)
class SenderLimits:
    """What one signing account may hold in the pool and add per second (``rate_per_s``
    None: no rate limit)."""

    max_pending: int = DEFAULT_MAX_PENDING_PER_SENDER
    rate_per_s: float | None = DEFAULT_ACCOUNT_RATE_PER_S
    burst: float = DEFAULT_ACCOUNT_BURST

    def __post_init__(self) -> None:
        if self.max_pending < 1 or (self.rate_per_s is not None and not (self.rate_per_s > 0 and self.burst >= 1)):
            raise ValueError("mempool: max_pending >= 1, and rate_per_s > 0 with burst >= 1")


@dataclass(slots=True)
class Pending:
    """A queued transaction and whatever the submitter waits on (an asyncio future)."""

    tx: SignedTx
    waiter: Any


def door_decode(raw: bytes, domain: Domain) -> SignedTx:
    """The door's stateless steps 1-3 under the EIP-712 ``domain``: the ``SignedTx`` or ``Rejected``
    (invalid). No state: this is what ``recovery.RecoveryPool`` runs in its workers."""
    if len(raw) > MAX_TX_BYTES:
        raise Rejected(FailureCode.TX_TOO_LARGE, f"{len(raw)} bytes > {MAX_TX_BYTES}",
                       invalid=True, tx_hash=keccak256(raw))
    try:
        tx = decode_tx(raw, domain)
    except TxDecodeError as exc:
        raise Rejected(exc.code, exc.message, invalid=True, tx_hash=keccak256(raw)) from None
    if tx.sender is None:
        raise Rejected(FailureCode.UNAUTHORISED_SIGNER, "mempool: deposits come only from L1",
                       invalid=True, tx_hash=tx.tx_hash)
    return tx


class Mempool:
    """Checked transactions waiting for a block, one FIFO per sender (see module docstring)."""

    def __init__(self, domain: Domain, max_pending: int = DEFAULT_MAX_PENDING, *,
                 sender_limits: SenderLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.domain = domain
        self.max_pending = max_pending
        self.clock = clock
        self._queues: dict[bytes, deque[tuple[int, Pending]]] = {}  # sender (or SYSTEM) -> (arrival, item)
        self._count = 0
        self._arrivals = 0
        self._queued_nonces: set[tuple[bytes, int]] = set()
        self._unlimited = False
        self.sender_limits: SenderLimits | None = None
        self._account_buckets: TokenBuckets | None = None
        self.set_sender_limits(sender_limits)

    def __len__(self) -> int:
        return self._count

    def set_sender_limits(self, limits: SenderLimits | None) -> None:
        """Apply ``limits`` to every signing account from now on (``None``: no per-account limits)."""
        self.sender_limits = limits
        self._account_buckets = (None if limits is None or limits.rate_per_s is None
                                 else TokenBuckets(limits.rate_per_s, limits.burst, self.clock))

    def pending_of(self, sender: bytes) -> int:
        """Transactions of ``sender`` waiting for a block."""
        queue = self._queues.get(sender)
        return 0 if queue is None else len(queue)

    # -- the door ----------------------------------------------------------------------

    def decode(self, raw: bytes) -> SignedTx:
        """Steps 1-3: stateless checks (``door_decode``). Raises ``Rejected`` (invalid)."""
        return door_decode(raw, self.domain)

    def precheck(self, state: State, tx: SignedTx) -> None:
        """Step 4: the nonce against the head state and the queue. Raises ``Rejected`` (not invalid)."""
        sender, nonce = tx.sender, tx.body.nonce
        if sender is None:
            return
        if (sender, nonce) in self._queued_nonces:
            raise Rejected(FailureCode.NONCE_ALREADY_USED, f"mempool: nonce {nonce} already queued",
                           invalid=False, tx_hash=tx.tx_hash)
        if is_nonce_used(state, sender, nonce):
            account = state.get(keys.account(sender))
            code = (FailureCode.NONCE_OUT_OF_RANGE if nonce < account.nonce_floor
                    else FailureCode.NONCE_ALREADY_USED)
            raise Rejected(code, f"mempool: nonce {nonce} already used or below the window",
                           invalid=False, tx_hash=tx.tx_hash)

    def check(self, state: State, raw: bytes) -> SignedTx:
        """All door checks; the decoded transaction, or ``Rejected``."""
        tx = self.decode(raw)
        self.precheck(state, tx)
        return tx

    # -- the queue ---------------------------------------------------------------------

    @contextmanager
    def unlimited(self) -> Iterator[None]:
        """Within the block, ``add`` skips the per-account limits (not ``max_pending``)."""
        self._unlimited = True
        try:
            yield
        finally:
            self._unlimited = False

    def _check_sender(self, sender: bytes) -> None:
        """The per-account limits (module docstring); raises ``SenderLimited``."""
        limits = self.sender_limits
        held = self.pending_of(sender)
        if held >= limits.max_pending:
            raise SenderLimited(f"mempool: account 0x{sender.hex()} has {held} transactions pending "
                                f"(at most {limits.max_pending} per account)")
        share = max(1, self.max_pending // SHARE_DIVISOR)
        if self._count * NEARLY_FULL_DEN >= self.max_pending * NEARLY_FULL_NUM and held >= share:
            raise SenderLimited(f"mempool: {self._count} of {self.max_pending} pending; account 0x{sender.hex()} "
                                f"holds {held} (at most {share} per account once the pool is "
                                f"{NEARLY_FULL_NUM}/{NEARLY_FULL_DEN} full)")
        if self._account_buckets is not None and not self._account_buckets.allow(sender):
            raise SenderLimited(f"rate limit: account 0x{sender.hex()} over {limits.rate_per_s:g} transactions/s "
                                f"(burst {limits.burst:g})")

    def add(self, tx: SignedTx, waiter: Any = None, *, system: bool = False) -> None:
        """Queue ``tx`` behind its sender's. ``system`` transactions (L1 deposits) bypass every bound."""
        if system:
            key = SYSTEM
        else:
            if self._count >= self.max_pending:
                raise MempoolFull(f"mempool: {self.max_pending} transactions pending")
            key = tx.sender
            if self.sender_limits is not None and not self._unlimited and key is not None:
                self._check_sender(key)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append((self._arrivals, Pending(tx, waiter)))
        self._arrivals += 1
        self._count += 1
        if tx.sender is not None:
            self._queued_nonces.add((tx.sender, tx.body.nonce))

    def _quotas(self, count: int) -> dict[bytes, int]:
        """How many of each sender's oldest transactions the next ``count`` slots take."""
        queues = self._queues
        if self._count <= count:
            return {key: len(queue) for key, queue in queues.items()}
        quotas: dict[bytes, int] = {}
        room = count
        system = queues.get(SYSTEM)
        if system:
            quotas[SYSTEM] = min(len(system), room)
            room -= quotas[SYSTEM]
        senders = sorted((len(queue), queue[0][0], key) for key, queue in queues.items() if key != SYSTEM)
        for index, (held, _, key) in enumerate(senders):
            left = len(senders) - index
            if held * left > room:  # this one and all larger ones get the same quota
                quota, extra = divmod(room, left)
                rest = [key for _, _, key in senders[index:]]
                for key in rest:
                    quotas[key] = quota
                for key in sorted(rest, key=lambda k: queues[k][quota][0])[:extra]:
                    quotas[key] += 1  # the leftover slots: the earliest next transactions
                break
            quotas[key] = held
            room -= held
        return quotas

    def take(self, count: int, max_bytes: int | None = None) -> list[Pending]:
        """Remove and return the next block's transactions (module docstring): at most
        ``count``, in arrival order, and fewer if the next one would take their envelopes
        past ``max_bytes`` (at least one)."""
        if count <= 0 or not self._count:
            return []
        quotas = self._quotas(count)
        queues, nonces = self._queues, self._queued_nonces
        # (listed before any queue changes: a deque's iterator must not see it mutate)
        chosen = list(heapq.merge(*(_tagged(key, islice(queues[key], quota)) for key, quota in quotas.items()
                                    if quota)))
        out: list[Pending] = []
        size = 0
        for _, key, item in chosen:
            if max_bytes is not None and out and size + len(item.tx.raw) > max_bytes:
                break
            size += len(item.tx.raw)
            out.append(item)
            queue = queues[key]
            queue.popleft()  # each queue gives its oldest first: ``item`` is its head
            if not queue:
                del queues[key]
            if item.tx.sender is not None:
                nonces.discard((item.tx.sender, item.tx.body.nonce))
        self._count -= len(out)
        return out


def _tagged(key: bytes, items: Iterator[tuple[int, Pending]]) -> Iterator[tuple[int, bytes, Pending]]:
    """``(arrival, key, item)`` for merging queues by arrival (arrivals are unique)."""
    for arrival, item in items:
        yield arrival, key, item
