"""``Query.GetAccountHistory``: an account's transactions and fills, newest first, from the block sink.

The sink's account index (``BlockSink.account_positions``: the LMDB store's ``account_log``,
written with each block; in memory for a node without a data directory, over the blocks it
keeps) gives the positions of the transactions that concern the account
(``node.sequencer.touched``); each is read back from its block and receipt and described
from the account's side (``HistoryEntry`` in ``query.proto``). Paging follows the rule at the
top of ``query.proto``: ``limit`` (0 = 100, at most 1000) entries below ``before_position``.

Whether the account signed a transaction: a placement is its own unless one of its fills has
the account as maker (a taker never trades with itself); other kinds are rare and small, so
their signer is recovered.
"""

from __future__ import annotations

from typing import Final

from node.rpc.generated.optrollup.v1 import query_pb2
from node.sequencer.sequencer import L2Block, Sequencer
from node.stf.receipts import Fill, Receipt
from node.stf.tx_codec import TxDecodeError, decode_tx, decode_unsigned
from node.stf.txtypes import CancelAll, CancelOrder, Deposit, Liquidate, PlaceOrder, Settle, Withdraw

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1_000
TX_INDEX_MASK: Final = (1 << 24) - 1


def page_limit(limit: int) -> int:
    """``limit`` 0 = ``DEFAULT_LIMIT``; at most ``MAX_LIMIT`` (the paging rule of ``query.proto``)."""
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT)


def account_trades(address: bytes, receipt: Receipt) -> list[query_pb2.AccountTrade]:
    """The account's fills in ``receipt``, from its side."""
    out = []
    for fill in receipt.fills:
        out.extend(_sides(address, fill, receipt.order_id))
    return out


def _sides(address: bytes, fill: Fill, taker_order_id: int) -> list[query_pb2.AccountTrade]:
    common = dict(instrument_id=fill.instrument_id, price_e6=fill.price_e6, size_e6=fill.size_e6)
    liquidation = fill.maker_order_id == 0
    out = []
    if fill.maker == address:
        out.append(query_pb2.AccountTrade(**common, side=1 - fill.taker_side, fee_e6=fill.maker_fee_e6,
                                          liquidity="liquidated" if liquidation else "maker",
                                          order_id=fill.maker_order_id))
    if fill.taker == address:
        out.append(query_pb2.AccountTrade(**common, side=fill.taker_side, fee_e6=fill.taker_fee_e6,
                                          liquidity="liquidator" if liquidation else "taker",
                                          order_id=0 if liquidation else taker_order_id))
    return out


def describe(sequencer: Sequencer, address: bytes, block: L2Block, index: int) -> query_pb2.HistoryEntry:
    """One transaction of ``block`` as ``address`` sees it."""
    raw, receipt = block.txs[index], block.receipts[index]
    entry = query_pb2.HistoryEntry(
        position=block.number << 32 | index << 8, block_number=block.number, timestamp=block.timestamp,
        tx_hash=receipt.tx_hash, code=int(receipt.code), failure_name="" if receipt.ok else receipt.code.name,
        fills=account_trades(address, receipt), kind="other")
    try:
        body, _ = decode_unsigned(raw)
    except TxDecodeError:
        return entry
    if isinstance(body, PlaceOrder):
        own = not any(f.maker == address for f in receipt.fills)
        entry.kind, entry.own = ("order", True) if own else ("fill", False)
        if own:
            entry.order_id, entry.instrument_id, entry.side = receipt.order_id, body.instrument_id, body.side
            entry.price_e6, entry.size_e6 = body.price_e6, body.size_e6
            entry.filled_e6, entry.rested_e6 = receipt.filled_e6, receipt.rested_e6
            if receipt.ok and receipt.remainder_code:
                entry.remainder_name = receipt.remainder_code.name
        return entry
    if isinstance(body, Deposit):
        entry.kind, entry.own, entry.amount_e6 = "deposit", body.recipient == address, body.amount_e6
        return entry
    entry.own = _signer(sequencer, raw) == address
    if isinstance(body, CancelOrder):
        entry.kind, entry.order_id = "cancel", receipt.order_id or body.order_id
    elif isinstance(body, CancelAll):
        entry.kind, entry.instrument_id = "cancel_all", body.instrument_id
    elif isinstance(body, Withdraw):
        entry.kind, entry.amount_e6, entry.order_id = "withdraw", body.amount_e6, receipt.order_id
    elif isinstance(body, Liquidate):
        entry.kind, entry.instrument_id, entry.size_e6 = "liquidate", body.instrument_id, body.size_e6
    elif isinstance(body, Settle):
        entry.kind, entry.instrument_id = "settle", body.instrument_id
    return entry


def _signer(sequencer: Sequencer, raw: bytes) -> bytes | None:
    try:
        return decode_tx(raw, sequencer.domain).sender
    except TxDecodeError:
        return None


def history_response(sequencer: Sequencer, address: bytes, before: int, limit: int
                     ) -> query_pb2.AccountHistoryResponse:
    """The page of ``GetAccountHistory`` (see the module docstring)."""
    limit = page_limit(limit)
    head = sequencer.head_number
    positions = sequencer.sink.account_positions(address, before, limit + 1)
    more = len(positions) > limit
    positions = positions[:limit]
    blocks: dict[int, L2Block | None] = {}
    entries = []
    for position in positions:
        number = position >> 32
        if number not in blocks:
            blocks[number] = sequencer.get_block(number)
        block = blocks[number]
        if block is None:  # forgotten by a memory sink since the index was read
            continue
        entries.append(describe(sequencer, address, block, position >> 8 & TX_INDEX_MASK))
    return query_pb2.AccountHistoryResponse(entries=entries, next_before_position=positions[-1] if more else 0,
                                            block_number=head)
