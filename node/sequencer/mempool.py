"""The door: what a client's bytes must pass before the sequencer queues them.

``Mempool.check(raw)`` runs, in this order (the first failure decides):

1. size: more than ``MAX_TX_BYTES`` -> ``TX_TOO_LARGE`` (the gRPC layer already caps a
   whole request at a few KiB);
2. ``tx_codec.decode_tx`` under the genesis chain id: strict decoding and sender
   recovery -> its ``FailureCode`` (``DECODE_ERROR``, ``BAD_SIGNATURE``, ...);
3. an unsigned deposit (0x7E) -> ``UNAUTHORISED_SIGNER``: deposits come only from L1,
   through ``Sequencer.submit_system``;
4. a cheap stateful pre-check of the nonce (``nonces.is_nonce_used``) against the head
   state, plus the ``(sender, nonce)`` pairs already queued: an obvious replay is refused
   at the door (``NONCE_ALREADY_USED`` / ``NONCE_OUT_OF_RANGE``) instead of costing a
   failure receipt. The STF remains the authority: a nonce that passes here and is used by
   an earlier transaction of the same block still fails there.

Steps 1-3 are ``door_decode``, a pure function of the bytes and the chain id, which
``recovery.RecoveryPool`` runs in worker processes; step 4 always runs on the event loop,
in arrival order (``Sequencer.admit``). Then ``add`` queues the transaction. The queue is FIFO by arrival and is never reordered
by content; ``take(n)`` removes the oldest ``n``. ``max_pending`` bounds it
(``MempoolFull``, mapped to RESOURCE_EXHAUSTED).

Kinds of refusal: ``Rejected.invalid`` is True for input that can never be valid (maps to
INVALID_ARGUMENT), False for a valid transaction the state refuses (FAILED_PRECONDITION).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from node.stf.errors import FailureCode
from node.stf.nonces import is_nonce_used
from node.stf import keys
from node.stf.hashing import keccak256
from node.stf.state import State
from node.stf.tx_codec import MAX_TX_BYTES, TxDecodeError, decode_tx
from node.stf.txtypes import SignedTx

DEFAULT_MAX_PENDING: Final = 20_000


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


@dataclass(slots=True)
class Pending:
    """A queued transaction and whatever the submitter waits on (an asyncio future)."""

    tx: SignedTx
    waiter: Any


def door_decode(raw: bytes, chain_id: int) -> SignedTx:
    """The door's stateless steps 1-3 under ``chain_id``: the ``SignedTx`` or ``Rejected``
    (invalid). No state: this is what ``recovery.RecoveryPool`` runs in its workers."""
    if len(raw) > MAX_TX_BYTES:
        raise Rejected(FailureCode.TX_TOO_LARGE, f"{len(raw)} bytes > {MAX_TX_BYTES}",
                       invalid=True, tx_hash=keccak256(raw))
    try:
        tx = decode_tx(raw, chain_id)
    except TxDecodeError as exc:
        raise Rejected(exc.code, exc.message, invalid=True, tx_hash=keccak256(raw)) from None
    if tx.sender is None:
        raise Rejected(FailureCode.UNAUTHORISED_SIGNER, "mempool: deposits come only from L1",
                       invalid=True, tx_hash=tx.tx_hash)
    return tx


class Mempool:
    """FIFO queue of checked transactions for one chain (see module docstring)."""

    def __init__(self, chain_id: int, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.chain_id = chain_id
        self.max_pending = max_pending
        self._queue: deque[Pending] = deque()
        self._queued_nonces: set[tuple[bytes, int]] = set()

    def __len__(self) -> int:
        return len(self._queue)

    # -- the door ----------------------------------------------------------------------

    def decode(self, raw: bytes) -> SignedTx:
        """Steps 1-3: stateless checks (``door_decode``). Raises ``Rejected`` (invalid)."""
        return door_decode(raw, self.chain_id)

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

    def add(self, tx: SignedTx, waiter: Any = None, *, system: bool = False) -> None:
        """Queue ``tx`` at the back. ``system`` transactions (L1 deposits) bypass the size bound."""
        if not system and len(self._queue) >= self.max_pending:
            raise MempoolFull(f"mempool: {self.max_pending} transactions pending")
        self._queue.append(Pending(tx, waiter))
        if tx.sender is not None:
            self._queued_nonces.add((tx.sender, tx.body.nonce))

    def take(self, count: int, max_bytes: int | None = None) -> list[Pending]:
        """Remove and return the oldest ``count`` transactions (fewer if fewer are queued, or
        if the next one would take their envelopes past ``max_bytes``; at least one)."""
        queue, nonces = self._queue, self._queued_nonces
        out = []
        size = 0
        for _ in range(min(count, len(queue))):
            if max_bytes is not None and out and size + len(queue[0].tx.raw) > max_bytes:
                break
            item = queue.popleft()
            size += len(item.tx.raw)
            if item.tx.sender is not None:
                nonces.discard((item.tx.sender, item.tx.body.nonce))
            out.append(item)
        return out
