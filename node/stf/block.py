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

from node.stf import keys
from node.stf.machine import StepIO, run_transaction, tx_cursor
from node.stf.receipts import Receipt
from node.stf.records import Config, Globals
from node.stf.state import State
from node.stf.txtypes import SignedTx


class InvalidBlock(ValueError):
    """A block whose number or timestamp does not follow the previous block."""


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """What a block gives every transaction: its number and its time (unix seconds).

    ``forced_through`` / ``deposits_through``: the queue positions after the block
    (derivation's ``DerivedBlock``), recorded in ``Globals.next_forced_index`` /
    ``next_deposit_index`` when the block closes, as the block steps do
    (``derive_steps.py``); ``None`` keeps what the transactions left (a block built
    without the L1 queues, e.g. in a test or benchmark).
    """

    number: int
    timestamp: int
    forced_through: int | None = None
    deposits_through: int | None = None


@dataclass(frozen=True, slots=True)
class BlockResult:
    """The new state root and one receipt per transaction (``receipts.receipts_hash`` commits to them)."""

    state_root: bytes
    receipts: tuple[Receipt, ...]


def apply_transaction(state: State, env: BlockEnv, config: Config, tx: bytes | SignedTx) -> Receipt:
    """Apply one transaction (the steps of ``machine.py``, driven to its end); always
    returns a receipt (see module docstring). ``config`` is read from the state by the steps."""
    io = StepIO()
    run_transaction(state, tx_cursor(env.number, env.timestamp, 0, tx), io)
    return io.receipts[0]


def apply_block(state: State, env: BlockEnv, txs: Sequence[bytes | SignedTx], stepped: bool = False) -> BlockResult:
    """Apply a block's transactions in order and return the new state root and receipts.
    ``stepped``: every rule through its steps, none through a fast body (for tests that hold
    the two equal)."""
    globals_: Globals = state.get(keys.GLOBALS)
    if env.number != globals_.last_block_number + 1:
        raise InvalidBlock(f"block {env.number} after {globals_.last_block_number}")
    if env.timestamp < globals_.last_block_time:
        raise InvalidBlock(f"timestamp {env.timestamp} before {globals_.last_block_time}")
    state.get(keys.CONFIG)
    state.commit_transaction()  # the prologue: what every transaction's context holds
    io = StepIO()
    number, timestamp = env.number, env.timestamp
    for index, tx in enumerate(txs):
        run_transaction(state, tx_cursor(number, timestamp, index, tx), io, stepped)
    receipts = tuple(io.receipts)
    globals_ = state.get(keys.GLOBALS)
    forced = globals_.next_forced_index if env.forced_through is None else env.forced_through
    deposits = globals_.next_deposit_index if env.deposits_through is None else env.deposits_through
    state.put(keys.GLOBALS, replace(globals_, last_block_number=env.number, last_block_time=env.timestamp,
                                    next_forced_index=forced, next_deposit_index=deposits))
    state.commit_transaction()
    root = state.commit_block()
    return BlockResult(root, receipts)
