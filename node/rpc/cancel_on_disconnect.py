"""Cancel-on-disconnect for the submission streams (opt-in, per stream).

The node cannot sign for a trader, so the trader signs the cancel in advance: it sends, as
request metadata ``cancel-on-disconnect-bin``, a signed ``CancelAll`` envelope (tx type
0x03; ``instrument_id`` 0 cancels on every instrument) for this chain. At stream start
``guard_of`` checks it (INVALID_ARGUMENT unless it decodes as a signed ``CancelAll`` under
the chain id whose signer has an account: a signature for another chain id recovers a
stranger; FAILED_PRECONDITION if its nonce is already used). If the stream then ends
other than by the client's clean half-close (the client cancelled or vanished, a deadline,
an error ending the stream, the server shutting down), ``Guard.fire`` submits the envelope
through the sequencer like any client transaction, without the per-peer and per-account
rate limits (``Mempool.unlimited``; a full mempool still refuses it); a refusal (for
example its nonce was used meanwhile, or the sequencer is stopping) is logged and ignored.

Telling a half-close from a disconnect: grpc.aio ends the request iterator the same way
for both, and reports the cancellation a moment later (measured: well under 1 ms). So a
guarded stream, once its requests end and every ack is sent, waits ``HALF_CLOSE_GRACE_S``
before it counts as cleanly closed; a cancellation arriving meanwhile fires the cancel. A
client should therefore wait for the stream's status before closing its channel.

The trader must keep the nonce free while the stream is open: reserve one (inside the
256-nonce window, see ``node.stf.nonces``) and reopen the stream with a fresh envelope
before its other nonces move the window past it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

import grpc

from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.sequencer import Sequencer, SequencerHalted
from node.stf import keys
from node.stf.nonces import is_nonce_used
from node.stf.tx_codec import TxDecodeError, decode_tx
from node.stf.txtypes import CancelAll, SignedTx

log = logging.getLogger(__name__)

METADATA_KEY: Final = "cancel-on-disconnect-bin"
HALF_CLOSE_GRACE_S: Final = 0.2


class BadCancelEnvelope(ValueError):
    """The opt-in metadata is not a usable signed ``CancelAll``: the stream is refused."""

    def __init__(self, status: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Guard:
    """One stream's pre-signed cancel; ``fire`` submits it (once)."""

    sequencer: Sequencer
    tx: SignedTx
    fired: bool = False

    def fire(self) -> None:
        """Submit the cancel now (synchronous: safe in a ``finally`` of a cancelled task)."""
        if self.fired:
            return
        self.fired = True
        try:
            with self.sequencer.mempool.unlimited():
                _, future = self.sequencer.enqueue(self.tx.raw)
        except (Rejected, MempoolFull, SequencerHalted) as exc:
            log.warning("cancel-on-disconnect for %s refused: %s", self.tx.sender.hex(), exc)
            return
        log.info("cancel-on-disconnect for %s submitted (tx %s)", self.tx.sender.hex(), self.tx.tx_hash.hex())
        future.add_done_callback(self._outcome)

    def _outcome(self, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            log.warning("cancel-on-disconnect for %s not included: %s", self.tx.sender.hex(), future.exception())
            return
        number, receipt = future.result()
        if not receipt.ok:
            log.warning("cancel-on-disconnect for %s failed in block %d: %s", self.tx.sender.hex(), number,
                        receipt.code.name)


def check_envelope(sequencer: Sequencer, raw: bytes) -> SignedTx:
    """The decoded ``CancelAll``; raises ``BadCancelEnvelope`` (see module docstring)."""
    try:
        tx = decode_tx(raw, sequencer.domain)
    except TxDecodeError as exc:
        raise BadCancelEnvelope(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{METADATA_KEY}: not a valid signed transaction: {exc}") from None
    if not isinstance(tx.body, CancelAll) or tx.sender is None:
        raise BadCancelEnvelope(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{METADATA_KEY}: must be a signed CancelAll (tx type 0x03)")
    if sequencer.state.get(keys.account(tx.sender)) is None:
        raise BadCancelEnvelope(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{METADATA_KEY}: its signer {tx.sender.hex()} has no account here "
                                "(signed for another chain id?)")
    if is_nonce_used(sequencer.state, tx.sender, tx.body.nonce):
        raise BadCancelEnvelope(grpc.StatusCode.FAILED_PRECONDITION,
                                f"{METADATA_KEY}: nonce {tx.body.nonce} is already used or below the window")
    return tx


async def confirm_half_close(context) -> bool:
    """After the request stream ended and every ack was sent: True if the client half-closed
    (no cancellation within ``HALF_CLOSE_GRACE_S``); a cancellation raises ``CancelledError``."""
    await asyncio.sleep(HALF_CLOSE_GRACE_S)
    return not context.cancelled()


def guard_of(sequencer: Sequencer, context) -> Guard | None:
    """The stream's ``Guard`` if the client opted in, else ``None``; raises ``BadCancelEnvelope``."""
    raw = next((value for key, value in context.invocation_metadata() or () if key == METADATA_KEY), None)
    if raw is None:
        return None
    return Guard(sequencer, check_envelope(sequencer, raw))
