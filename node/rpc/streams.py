"""The ``Stream`` service (``stream.proto``): thin server-streaming RPCs over ``events.EventHub``.

Each RPC subscribes (synchronously, so the subscription starts exactly at the head block),
then converts the queued events to protobuf and yields them, numbering them 1, 2, ...
When the hub ends a subscription (a slow subscriber, a halt, shutdown) the RPC ends with
the hub's status; when the client goes away the subscription is dropped.

Also ``recent_trades_response`` for ``Query.GetRecentTrades`` (served by ``QueryServicer``).
"""

from __future__ import annotations

from typing import AsyncIterator, Final

import grpc

from node.rpc.events import (
    BlockEvent, BookEvent, EventHub, FillEvent, OrderEvent, StreamEnded, Subscription, TooManySubscribers,
    UnknownInstrument,
)
from node.rpc.generated.optrollup.v1 import query_pb2, stream_pb2, stream_pb2_grpc
from node.stf import keys
from node.stf.state import State

DEFAULT_TRADES_LIMIT: Final = 100
MAX_TRADES_LIMIT: Final = 1_000
SERVICE_NAME: Final = stream_pb2.DESCRIPTOR.services_by_name["Stream"].full_name


def _levels(levels) -> list[query_pb2.BookLevel]:
    return [query_pb2.BookLevel(price_e6=p, size_e6=s, order_count=c) for p, s, c in levels]


def book_update_pb(event: BookEvent, sequence: int) -> stream_pb2.BookUpdate:
    return stream_pb2.BookUpdate(sequence=sequence, block_number=event.block_number,
                                 instrument_id=event.instrument_id, snapshot=event.snapshot,
                                 bids=_levels(event.bids), asks=_levels(event.asks))


def block_header_pb(event: BlockEvent, sequence: int) -> stream_pb2.BlockHeader:
    return stream_pb2.BlockHeader(sequence=sequence, number=event.number, timestamp=event.timestamp,
                                  state_root=event.state_root, receipts_hash=event.receipts_hash,
                                  tx_count=event.tx_count)


def account_event_pb(event: FillEvent | OrderEvent, sequence: int) -> stream_pb2.AccountEvent:
    common = dict(sequence=sequence, block_number=event.block_number, tx_hash=event.tx_hash,
                  timestamp=event.timestamp)
    if isinstance(event, FillEvent):
        return stream_pb2.AccountEvent(**common, fill=stream_pb2.AccountFill(
            order_id=event.order_id, instrument_id=event.instrument_id, side=event.side,
            price_e6=event.price_e6, size_e6=event.size_e6, liquidity=event.liquidity, fee_e6=event.fee_e6,
            counterparty=event.counterparty, maker_order_id=event.maker_order_id))
    return stream_pb2.AccountEvent(**common, order=stream_pb2.OrderUpdate(
        order_id=event.order_id, instrument_id=event.instrument_id, side=event.side, price_e6=event.price_e6,
        status=event.status, filled_e6=event.filled_e6, remaining_e6=event.remaining_e6,
        reason_code=event.reason_code, reason_name=event.reason_name))


class StreamServicer(stream_pb2_grpc.StreamServicer):
    """Subscriptions over the hub (see module docstring)."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub

    async def _drain(self, sub: Subscription, convert, context) -> AsyncIterator:
        """Yield ``convert(event, sequence)`` for each event until the hub ends ``sub``."""
        sequence = 0
        try:
            while True:
                try:
                    event = await sub.get()
                except StreamEnded as end:
                    await context.abort(end.status, end.message)
                sequence += 1
                yield convert(event, sequence)
        finally:
            self.hub.unsubscribe(sub)

    async def SubscribeOrderBook(self, request, context):
        try:
            sub = self.hub.subscribe_book(request.instrument_id, request.depth)
        except UnknownInstrument as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except TooManySubscribers as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        async for message in self._drain(sub, book_update_pb, context):
            yield message

    async def SubscribeAccount(self, request, context):
        if len(request.address) != 20:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an address is 20 bytes")
        try:
            sub = self.hub.subscribe_account(request.address)
        except TooManySubscribers as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        async for message in self._drain(sub, account_event_pb, context):
            yield message

    async def SubscribeBlocks(self, request, context):
        try:
            sub = self.hub.subscribe_blocks()
        except TooManySubscribers as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        async for message in self._drain(sub, block_header_pb, context):
            yield message


async def recent_trades_response(hub: EventHub, view: State, head_number: int, request,
                                 context) -> query_pb2.RecentTradesResponse:
    """``Query.GetRecentTrades``: NOT_FOUND for an unknown instrument; paged as ``query.proto`` says
    (``limit`` 0 = 100, at most 1000; ``before_position``), over the hub's ring of recent fills."""
    if view.get(keys.instrument(request.instrument_id)) is None:
        await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown instrument {request.instrument_id}")
    limit = min(request.limit or DEFAULT_TRADES_LIMIT, MAX_TRADES_LIMIT)
    found = hub.recent_trades(request.instrument_id, limit + 1, request.before_position)
    more = len(found) > limit
    trades = [
        query_pb2.Trade(price_e6=t.price_e6, size_e6=t.size_e6, taker_side=t.taker_side,
                        block_number=t.block_number, tx_hash=t.tx_hash, timestamp=t.timestamp, position=t.position)
        for t in found[:limit]
    ]
    return query_pb2.RecentTradesResponse(instrument_id=request.instrument_id, trades=trades,
                                          block_number=head_number,
                                          next_before_position=trades[-1].position if more else 0)
