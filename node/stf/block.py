"""The state-transition function: ``apply_block(state, env, txs) -> BlockResult``.

For each transaction, in block order:

1. decode the envelope and recover the signer (unless the sequencer already did: a
   ``SignedTx`` is taken as decoded); bytes that do not decode yield a failure receipt;
2. use the sender's nonce (deposits carry an L1 queue index instead); a used nonce fails
   the transaction with no effect;
3. run the transaction kind's rule; a ``TxFailure`` rolls back everything the rule wrote
   (the nonce stays used) and becomes a failure receipt.

Then the block's changes go into the trie and the new state root is returned. Nothing a
transaction contains can make this function raise: errors are receipts. It raises only
``InvalidBlock`` for a block header that is out of sequence (the sequencer's or the
derivation's fault, never a trader's) and witness errors when run on an incomplete witness.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from node.stf.hashing import keccak256 as keccak

from node.stf import keys
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import FixedPointOverflow
from node.stf.instruments import list_instrument
from node.stf.liquidation import apply_liquidate
from node.stf.matching import place_order
from node.stf.nonces import use_nonce
from node.stf.optionmath import MathDomainError
from node.stf.oracle import apply_oracle_update
from node.stf.orders import cancel_all, cancel_order
from node.stf.receipts import Fill, Receipt
from node.stf.records import Config, Globals
from node.stf.settlement import apply_settle
from node.stf.state import State
from node.stf.transfers import apply_deposit, apply_withdraw
from node.stf.tx_codec import TxDecodeError, decode_tx
from node.stf.txtypes import (
    CancelAll,
    CancelOrder,
    Deposit,
    ListInstrument,
    Liquidate,
    OracleUpdate,
    PlaceOrder,
    Settle,
    SignedTx,
    Withdraw,
)


class InvalidBlock(ValueError):
    """A block whose number or timestamp does not follow the previous block."""


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """What a block gives every transaction: its number and its time (unix seconds)."""

    number: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class BlockResult:
    """The new state root and one receipt per transaction (``receipts.receipts_hash`` commits to them)."""

    state_root: bytes
    receipts: tuple[Receipt, ...]


def _run_body(state: State, env: BlockEnv, config: Config, tx: SignedTx) -> Receipt:
    body, sender, tx_hash = tx.body, tx.sender, tx.tx_hash
    if isinstance(body, PlaceOrder):
        return place_order(state, env.timestamp, config, sender, tx_hash, body)
    if isinstance(body, CancelOrder):
        return Receipt(tx_hash, FailureCode.OK, order_id=cancel_order(state, sender, body))
    if isinstance(body, CancelAll):
        count = cancel_all(state, sender, body)
        return Receipt(tx_hash, FailureCode.OK, detail=f"{count} orders cancelled")
    if isinstance(body, Withdraw):
        index = apply_withdraw(state, env.number, sender, body)
        return Receipt(tx_hash, FailureCode.OK, order_id=index, detail=f"withdrawal {index}")
    if isinstance(body, OracleUpdate):
        count = apply_oracle_update(state, env.timestamp, config, sender, body)
        return Receipt(tx_hash, FailureCode.OK, detail=f"{count} series marked")
    if isinstance(body, ListInstrument):
        instrument_id = list_instrument(state, env.timestamp, config, sender, body)
        return Receipt(tx_hash, FailureCode.OK, detail=f"instrument {instrument_id}")
    if isinstance(body, Liquidate):
        done = apply_liquidate(state, env.timestamp, sender, body)
        # The transfer as a trade: the liquidated account is the maker (no order: id 0; its
        # penalty as the maker fee), the liquidator the taker, at the auction price.
        transfer = (Fill(0, body.account, sender, body.instrument_id, done.liquidator_side, done.price_e6,
                         done.size_e6, done.penalty_e6, 0),) if done.size_e6 else ()
        return Receipt(
            tx_hash, FailureCode.OK, filled_e6=done.size_e6, fills=transfer,
            detail=(
                f"liquidated {done.size_e6} at {done.price_e6} (discount {done.discount_e6} per contract, "
                f"schedule {done.discount_ppm} ppm), "
                f"penalty {done.penalty_e6}, {done.orders_cancelled} orders cancelled, "
                f"auction {'ended' if done.auction_ended else 'open'}, bad debt {done.bad_debt_e6}"
            ),
        )
    if isinstance(body, Settle):
        settled = apply_settle(state, env.timestamp, sender, body)
        return Receipt(tx_hash, FailureCode.OK, detail=settled.detail, cancelled=settled.cancelled)
    if isinstance(body, Deposit):
        apply_deposit(state, body)
        return Receipt(tx_hash, FailureCode.OK)
    raise TxFailure(FailureCode.UNKNOWN_TX_TYPE, type(body).__name__)


def apply_transaction(state: State, env: BlockEnv, config: Config, tx: bytes | SignedTx) -> Receipt:
    """Apply one transaction; always returns a receipt (see module docstring)."""
    if not isinstance(tx, SignedTx):
        try:
            tx = decode_tx(tx, config.domain)
        except TxDecodeError as exc:
            state.commit_transaction()
            return Receipt(keccak(tx), exc.code, detail=str(exc))
    start = state.snapshot()
    try:
        if tx.sender is not None:
            use_nonce(state, tx.sender, tx.body.nonce)
        after_nonce = state.snapshot()
        try:
            receipt = _run_body(state, env, config, tx)
        except TxFailure as failure:
            state.rollback(after_nonce)
            receipt = Receipt(tx.tx_hash, failure.code, detail=failure.detail)
        except (FixedPointOverflow, MathDomainError) as exc:
            state.rollback(after_nonce)
            receipt = Receipt(tx.tx_hash, FailureCode.FIELD_OUT_OF_RANGE, detail=f"arithmetic: {exc}")
    except TxFailure as failure:
        state.rollback(start)
        receipt = Receipt(tx.tx_hash, failure.code, detail=failure.detail)
    state.commit_transaction()
    return receipt


def apply_block(state: State, env: BlockEnv, txs: Sequence[bytes | SignedTx]) -> BlockResult:
    """Apply a block's transactions in order and return the new state root and receipts."""
    globals_: Globals = state.get(keys.GLOBALS)
    if env.number != globals_.last_block_number + 1:
        raise InvalidBlock(f"block {env.number} after {globals_.last_block_number}")
    if env.timestamp < globals_.last_block_time:
        raise InvalidBlock(f"timestamp {env.timestamp} before {globals_.last_block_time}")
    config: Config = state.get(keys.CONFIG)
    state.commit_transaction()  # the prologue: what every transaction's context holds
    receipts = tuple(apply_transaction(state, env, config, tx) for tx in txs)
    globals_ = state.get(keys.GLOBALS)
    state.put(keys.GLOBALS, replace(globals_, last_block_number=env.number, last_block_time=env.timestamp))
    state.commit_transaction()
    root = state.commit_block()
    return BlockResult(root, receipts)
