"""WebSocket fan-out of the node's streams (``/api/ws``; ``node/web/API.md``, section Streams).

One ``Channel`` per (channel, key) holds ONE upstream gRPC subscription shared by every browser
subscribed to it, a sequence number and a ring of its last ``RING`` messages:

- ``book``: ``Stream.SubscribeOrderBook`` (depth 20); the snapshot and deltas are applied to a
  local book and every update is published as the FULL aggregated book (as ``/api/book``);
- ``account``: ``Stream.SubscribeAccount``, one message per fill or order update;
- ``blocks``: the hub's own ``Stream.SubscribeBlocks`` (open while a browser is connected), one
  message per block; each new block with transactions also polls ``GetRecentTrades`` for the
  ``trades`` channels (the node has no trade stream; one call per
  subscribed series per block with transactions).

``seq`` is strictly increasing per (channel, key) for the gateway's whole run (a channel closed
``LINGER_S`` after its last subscriber left and reopened later continues its numbering, with a
floor below which it cannot replay). A subscriber giving ``after_seq`` N gets the ring's messages
after N when the ring still holds all of them (nothing is skipped), else a snapshot at the
current seq; without ``after_seq``, a snapshot. When an upstream stream breaks (the node ended a
slow subscriber, or restarted), the channel resubscribes and publishes a snapshot message (with
``snapshot: true``) so nothing is silently lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict, deque
from typing import Any, Awaitable, Callable, Final

import grpc

from node.rpc.generated.optrollup.v1 import query_pb2, stream_pb2
from node.web import views
from node.web.units import ApiError, address, hex0x
from node.web.upstream import Upstream

log = logging.getLogger(__name__)

CHANNELS: Final = ("book", "trades", "account", "blocks")
RING: Final = 256
BOOK_DEPTH: Final = 20
LINGER_S: Final = 30.0
CLIENT_QUEUE: Final = 1024
MAX_SUBSCRIPTIONS: Final = 64
RETRY_S: Final = 0.5
MAX_REMEMBERED: Final = 10_000


def frame(channel: str, key: str, seq: int, data: Any, snapshot: bool = False) -> str:
    message: dict[str, Any] = {"channel": channel, "key": key, "seq": seq}
    if snapshot:
        message["snapshot"] = True
    message["data"] = data
    return json.dumps(message, separators=(",", ":"))


class Subscriber:
    """One browser connection: a bounded queue of text frames, drained by its sender task."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(CLIENT_QUEUE)
        self.overflowed = False

    def put(self, text: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:  # a browser too slow: closed; it reconnects with after_seq
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)


class Channel:
    """One (channel, key): its subscribers, sequence, ring and upstream task."""

    def __init__(self, hub: "Hub", channel: str, key: str, first_seq: int, ref: Any) -> None:
        self.hub, self.channel, self.key, self.ref = hub, channel, key, ref
        self.seq = first_seq
        self.floor = first_seq  # replay is complete for after_seq >= floor
        self.ring: deque[tuple[int, str]] = deque(maxlen=RING)
        self.subscribers: set[Subscriber] = set()
        self.latest: Any = None  # book: the last full book
        self.task: asyncio.Task | None = None
        self.linger: asyncio.TimerHandle | None = None
        self.last_position = 0  # trades: the newest trade published

    def publish(self, data: Any, snapshot: bool = False) -> None:
        self.seq += 1
        text = frame(self.channel, self.key, self.seq, data, snapshot)
        self.ring.append((self.seq, text))
        self.hub.published += 1
        for subscriber in self.subscribers:
            subscriber.put(text)

    def replay(self, after_seq: int) -> list[str] | None:
        """The messages after ``after_seq`` if the ring holds every one of them, else None."""
        if after_seq > self.seq:
            return None
        oldest = self.ring[0][0] if self.ring else self.seq + 1
        if after_seq < self.floor or after_seq + 1 < oldest:
            return None
        return [text for seq, text in self.ring if seq > after_seq]

    async def snapshot_data(self) -> Any:
        up = self.hub.up
        if self.channel == "book":
            return self.latest if self.latest is not None else await views.book(up, self.ref, BOOK_DEPTH, self.seq)
        if self.channel == "trades":
            return await views.trades(up, self.ref, 50)
        if self.channel == "account":
            return await views.account(up, self.ref)
        return self.hub.last_block if self.hub.last_block is not None else await self.hub.head_block()


class Hub:
    """The fan-out (module docstring). ``start()`` opens the blocks subscription, ``close()`` ends all."""

    def __init__(self, up: Upstream) -> None:
        self.up = up
        self.channels: dict[tuple[str, str], Channel] = {}
        self.last_seqs: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.last_block: dict[str, Any] | None = None
        self.blocks_task: asyncio.Task | None = None
        self.published = 0
        self.upstream_subscriptions = 0  # gRPC stream calls opened (tests: one per key)
        self._names: dict[int, str] = {}
        self.closed = False
        self.sockets = 0
        self._blocks_linger: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.channels[("blocks", "")] = Channel(self, "blocks", "", 0, None)

    def attach_socket(self) -> None:
        """A browser connected: the blocks subscription runs while any is (and ``LINGER_S`` after)."""
        self.sockets += 1
        if self._blocks_linger is not None:
            self._blocks_linger.cancel()
            self._blocks_linger = None
        if (self.blocks_task is None or self.blocks_task.done()) and not self.closed:
            channel = self.channels[("blocks", "")]
            channel.floor = channel.seq  # blocks while it was off cannot be replayed
            self.blocks_task = asyncio.get_running_loop().create_task(self._run_blocks(), name="web-blocks")

    def detach_socket(self) -> None:
        self.sockets -= 1
        if self.sockets == 0 and not self.closed:
            self._blocks_linger = asyncio.get_running_loop().call_later(LINGER_S, self._stop_blocks)

    def _stop_blocks(self) -> None:
        self._blocks_linger = None
        if self.sockets == 0 and self.blocks_task is not None:
            self.blocks_task.cancel()
            self.blocks_task = None

    async def close(self) -> None:
        self.closed = True
        if self._blocks_linger is not None:
            self._blocks_linger.cancel()
        tasks = [c.task for c in self.channels.values() if c.task is not None]
        if self.blocks_task is not None:
            tasks.append(self.blocks_task)
        for channel in self.channels.values():
            if channel.linger is not None:
                channel.linger.cancel()
            for subscriber in channel.subscribers:
                with contextlib.suppress(asyncio.QueueFull):
                    subscriber.queue.put_nowait(None)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- subscriptions ---------------------------------------------------------------------------

    async def canonical(self, channel: str, key: Any) -> tuple[str, Any]:
        """``(key, ref)`` of a subscription: the series name (and id) or the lowercase address."""
        if channel not in CHANNELS:
            raise ApiError(400, "bad_request", f"channel: one of {', '.join(CHANNELS)}")
        if channel == "blocks":
            return "", None
        if channel == "account":
            raw = address(key)
            return hex0x(raw), raw
        inst = await self.up.resolve(key)
        return inst.name, inst.instrument_id

    async def subscribe(self, subscriber: Subscriber, channel_name: str, key: str, ref: Any,
                        after_seq: int | None) -> Channel:
        """Attach ``subscriber``: replay after ``after_seq`` or a snapshot first (module docstring)."""
        channel = self.channels.get((channel_name, key))
        if channel is None:
            first = self.last_seqs.pop((channel_name, key), 0)
            channel = self.channels[(channel_name, key)] = Channel(self, channel_name, key, first, ref)
            try:
                await self._open(channel)
            except BaseException:
                self.channels.pop((channel_name, key), None)
                self.last_seqs[(channel_name, key)] = channel.seq
                raise
        if channel.linger is not None:
            channel.linger.cancel()
            channel.linger = None
        replay = channel.replay(after_seq) if after_seq is not None else None
        if replay is not None:
            channel.subscribers.add(subscriber)
            for text in replay:
                subscriber.put(text)
            return channel
        seq = channel.seq
        data = await channel.snapshot_data()
        # messages published while the snapshot was read come after it (the page keys on seq)
        missed = [text for s, text in channel.ring if s > seq]
        subscriber.put(frame(channel_name, key, seq, data, snapshot=True))
        for text in missed:
            subscriber.put(text)
        channel.subscribers.add(subscriber)
        return channel

    def unsubscribe(self, subscriber: Subscriber, channel: Channel) -> None:
        channel.subscribers.discard(subscriber)
        if not channel.subscribers and channel.channel != "blocks" and channel.linger is None and not self.closed:
            channel.linger = asyncio.get_running_loop().call_later(LINGER_S, self._drop, channel)

    def _drop(self, channel: Channel) -> None:
        channel.linger = None
        if channel.subscribers:
            return
        self.channels.pop((channel.channel, channel.key), None)
        self.last_seqs[(channel.channel, channel.key)] = channel.seq
        while len(self.last_seqs) > MAX_REMEMBERED:
            self.last_seqs.popitem(last=False)
        if channel.task is not None:
            channel.task.cancel()

    async def _open(self, channel: Channel) -> None:
        loop = asyncio.get_running_loop()
        if channel.channel == "book":
            channel.task = loop.create_task(self._run_stream(channel, self._book_call, self._on_book), name="web-book")
        elif channel.channel == "account":
            channel.task = loop.create_task(self._run_stream(channel, self._account_call, self._on_account),
                                            name="web-account")
        elif channel.channel == "trades":
            newest = await self.up.call(self.up.query.GetRecentTrades,
                                        query_pb2.RecentTradesRequest(instrument_id=channel.ref, limit=1))
            channel.last_position = newest.trades[0].position if newest.trades else 0

    # -- upstream streams --------------------------------------------------------------------------

    def _book_call(self, channel: Channel):
        return self.up.stream.SubscribeOrderBook(
            stream_pb2.SubscribeOrderBookRequest(instrument_id=channel.ref, depth=BOOK_DEPTH))

    def _account_call(self, channel: Channel):
        return self.up.stream.SubscribeAccount(stream_pb2.SubscribeAccountRequest(address=channel.ref))

    async def _run_stream(self, channel: Channel, open_call: Callable[[Channel], Any],
                          on_message: Callable[[Channel, Any, dict], Awaitable[None]]) -> None:
        broken = False
        while not self.closed:
            state: dict = {}
            call = open_call(channel)
            self.upstream_subscriptions += 1
            try:
                if broken and channel.channel == "account":  # events may be missing: say so
                    channel.publish(await channel.snapshot_data(), snapshot=True)
                async for message in call:
                    await on_message(channel, message, state)
                return  # the node ended the stream cleanly (it stops)
            except asyncio.CancelledError:
                call.cancel()
                raise
            except (grpc.aio.AioRpcError, ApiError) as exc:
                log.info("web: %s %s upstream ended (%s), resubscribing", channel.channel, channel.key, exc)
            broken = True
            await asyncio.sleep(RETRY_S)

    async def _on_book(self, channel: Channel, update: stream_pb2.BookUpdate, state: dict) -> None:
        if update.snapshot:
            state["bids"] = {l.price_e6: l for l in update.bids}
            state["asks"] = {l.price_e6: l for l in update.asks}
        else:
            for side, levels in (("bids", update.bids), ("asks", update.asks)):
                book = state.setdefault(side, {})
                for level in levels:
                    if level.size_e6:
                        book[level.price_e6] = level
                    else:
                        book.pop(level.price_e6, None)
        bids = sorted(state.get("bids", {}).values(), key=lambda l: -l.price_e6)[:BOOK_DEPTH]
        asks = sorted(state.get("asks", {}).values(), key=lambda l: l.price_e6)[:BOOK_DEPTH]
        data = views.book_json(channel.ref, channel.key, update.block_number, channel.seq + 1, bids, asks)
        channel.latest = data
        channel.publish(data)

    async def _on_account(self, channel: Channel, event: stream_pb2.AccountEvent, state: dict) -> None:
        instrument_id = event.fill.instrument_id if event.WhichOneof("event") == "fill" else event.order.instrument_id
        if instrument_id not in self._names:
            self._names = {i.instrument_id: i.name for i in (await self.up.instruments()).instruments}
        channel.publish(views.account_event_json(event, self._names))

    # -- blocks: the blocks channel, trades polling, index sampling ----------------------------------

    async def head_block(self) -> dict[str, Any]:
        block = await self.up.call(self.up.query.GetBlock, query_pb2.BlockRequest())
        return {"number": block.number, "hash": hex0x(block.state_root), "time": block.timestamp,
                "txs": block.tx_count}

    async def _run_blocks(self) -> None:
        channel = self.channels[("blocks", "")]
        broken = False
        while not self.closed:
            call = self.up.stream.SubscribeBlocks(stream_pb2.SubscribeBlocksRequest())
            self.upstream_subscriptions += 1
            try:
                if broken:  # blocks may be missing: the head as a snapshot message
                    self.last_block = await self.head_block()
                    channel.publish(self.last_block, snapshot=True)
                async for header in call:
                    data = {"number": header.number, "hash": hex0x(header.state_root), "time": header.timestamp,
                            "txs": header.tx_count}
                    self.last_block = data
                    channel.publish(data)
                    if header.tx_count:
                        await self._after_block()
                return
            except asyncio.CancelledError:
                call.cancel()
                raise
            except grpc.aio.AioRpcError as exc:
                log.info("web: blocks upstream ended (%s), resubscribing", exc.code())
            except ApiError as exc:
                log.info("web: reading after a block failed (%s)", exc.message)
            broken = True
            await asyncio.sleep(RETRY_S)

    async def _after_block(self) -> None:
        for channel in [c for c in self.channels.values() if c.channel == "trades"]:
            recent = await self.up.call(self.up.query.GetRecentTrades,
                                        query_pb2.RecentTradesRequest(instrument_id=channel.ref, limit=1000))
            fresh = [t for t in recent.trades if t.position > channel.last_position]
            for trade in reversed(fresh):  # oldest first
                channel.publish(views.trade_json(trade))
            if fresh:
                channel.last_position = fresh[0].position
