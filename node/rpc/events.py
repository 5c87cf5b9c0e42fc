"""Event fan-out for the streams: one ``BlockObserver`` on the sequencer, bounded queues per subscriber.

``EventHub.attach()`` registers the hub on the sequencer. After each committed block
(``on_block``, on the event-loop thread, between blocks) the hub:

- pushes the block header to every blocks subscriber;
- appends the block's fills to a bounded ring per instrument (``recent_trades``);
- for each subscribed account (one ``AccountFeed`` per address, shared by its subscribers)
  turns the receipts into fills and order updates (see ``AccountFeed.events``);
- for each subscribed instrument the block may have touched, re-reads the top of the book
  from the head state once (at the largest depth any subscriber asked for) and pushes each
  subscriber the levels that changed within its own depth.

Work done here is per block and per subscribed key, never per subscriber beyond a queue
append: nothing a subscriber does (reading slowly, or not at all) reaches the sequencer.
A subscriber's queue holds at most ``queue_limit`` messages; past that the subscription is
ended with RESOURCE_EXHAUSTED and its backlog dropped, so memory stays bounded. Protobuf
conversion happens in the subscriber's own coroutine (``node.rpc.streams``).

The trade rings live in memory only: they are seeded at ``attach`` by walking the store
(``Sequencer.get_block``) back from the head, at most ``seed_blocks`` blocks and stopping
once ``seed_trades`` fills are found, so after a restart an instrument that last traded
further back starts with an empty ring. At most ``max_subscribers`` subscriptions exist at
once (RESOURCE_EXHAUSTED beyond).

Units are the STF's: ``*_e6`` prices in collateral units x 1e6 per contract, sizes in
contracts x 1e6, times in unix seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import Final, Iterable, Union

import grpc

from node.sequencer.sequencer import BlockObserver, L2Block, Sequencer
from node.stf import accounts, book, keys
from node.stf.errors import FailureCode
from node.stf.receipts import Fill, Receipt
from node.stf.records import Instrument, Order
from node.stf.state import State
from node.stf.txtypes import CancelAll, CancelOrder, Liquidate, PlaceOrder, Settle, SignedTx

log = logging.getLogger(__name__)

DEFAULT_QUEUE_LIMIT: Final = 1_024  # messages per subscriber
DEFAULT_TRADES_PER_INSTRUMENT: Final = 1_000
DEFAULT_SEED_BLOCKS: Final = 1_000  # at most this many recent blocks read at start ...
DEFAULT_SEED_TRADES: Final = 20_000  # ... stopping once this many fills are found
DEFAULT_MAX_SUBSCRIBERS: Final = 10_000
DEFAULT_BOOK_DEPTH: Final = 20
MAX_BOOK_DEPTH: Final = 500

# Reasons for a cancellation that is not a failure (OrderUpdate.reason_code 0).
CANCELLED_BY_OWNER: Final = "CANCELLED_BY_OWNER"
LIQUIDATION: Final = "LIQUIDATION"

# Order statuses (the numbers of stream.proto's OrderStatus).
RESTING: Final = 1
PARTIALLY_FILLED: Final = 2
FILLED: Final = 3
CANCELLED: Final = 4
REJECTED: Final = 5

MAKER: Final = 1  # stream.proto's Liquidity
TAKER: Final = 2
LIQUIDATED: Final = 3
LIQUIDATOR: Final = 4

Level = tuple[int, int, int]  # (price_e6, size_e6, order_count); size 0 in a delta = removed


# ---------------------------------------------------------------------------------------
# Events (plain values; converted to protobuf by the servicer)


@dataclass(frozen=True, slots=True)
class BookEvent:
    """A snapshot (every level within the depth) or a delta (changed levels only), best first."""

    block_number: int
    instrument_id: int
    snapshot: bool
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class BlockEvent:
    number: int
    timestamp: int
    state_root: bytes
    receipts_hash: bytes
    tx_count: int


@dataclass(frozen=True, slots=True)
class FillEvent:
    """One trade from the subscribed account's side: its order, its side and its fee."""

    block_number: int
    timestamp: int
    tx_hash: bytes
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    liquidity: int
    fee_e6: int
    counterparty: bytes
    maker_order_id: int


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """A change of one of the account's orders (``status`` as stream.proto's OrderStatus)."""

    block_number: int
    timestamp: int
    tx_hash: bytes
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    status: int
    filled_e6: int
    remaining_e6: int
    reason_code: int = 0
    reason_name: str = ""


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill on an instrument, for ``GetRecentTrades``."""

    price_e6: int
    size_e6: int
    taker_side: int
    block_number: int
    tx_hash: bytes
    timestamp: int
    position: int = 0  # paging position (query.proto): block x 2^32 + tx index x 2^8 + fill index


Event = Union[BookEvent, BlockEvent, FillEvent, OrderEvent]


class StreamEnded(Exception):
    """The subscription is over: the stream ends with ``status`` and ``message``."""

    def __init__(self, status: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class UnknownInstrument(LookupError):
    """A book subscription for an instrument that is not listed."""


class TooManySubscribers(Exception):
    """The hub already serves ``max_subscribers`` subscriptions."""


# ---------------------------------------------------------------------------------------
# Subscriptions


class Subscription:
    """One subscriber's bounded queue. The hub ``push``es (never blocks); the servicer ``get``s."""

    def __init__(self, hub: "EventHub", kind: str, key: object, limit: int) -> None:
        self.hub = hub
        self.kind = kind
        self.key = key
        self.limit = limit
        self.depth = 0  # book subscriptions: levels per side
        self.last_book: tuple[tuple[Level, ...], tuple[Level, ...]] = ((), ())  # what it was last sent
        self._items: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._end: StreamEnded | None = None

    @property
    def ended(self) -> bool:
        return self._end is not None

    @property
    def queued(self) -> int:
        """Messages waiting to be sent."""
        return len(self._items)

    def push(self, event: Event) -> None:
        """Queue ``event``; past ``limit`` queued messages, end the subscription (backlog dropped)."""
        if self._end is not None:
            return
        if len(self._items) >= self.limit:
            self.hub.unsubscribe(self)
            self.end(grpc.StatusCode.RESOURCE_EXHAUSTED,
                     f"stream: subscriber too slow: more than {self.limit} messages queued; resubscribe",
                     drop_backlog=True)
            return
        self._items.append(event)
        self._ready.set()

    def end(self, status: grpc.StatusCode, message: str, *, drop_backlog: bool = False) -> None:
        """End after the queued messages (or at once, with ``drop_backlog``)."""
        if self._end is not None:
            return
        self._end = StreamEnded(status, message)
        if drop_backlog:
            self._items.clear()
        self._ready.set()

    async def get(self) -> Event:
        """The next event; raises ``StreamEnded`` once the queue is empty and the subscription over."""
        while not self._items:
            if self._end is not None:
                raise self._end
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


# ---------------------------------------------------------------------------------------
# Books


def clamp_depth(depth: int) -> int:
    """Levels per side: 0 means ``DEFAULT_BOOK_DEPTH``; at most ``MAX_BOOK_DEPTH``."""
    return min(depth or DEFAULT_BOOK_DEPTH, MAX_BOOK_DEPTH)


def read_side(state: State, instrument_id: int, side: int, depth: int) -> tuple[Level, ...]:
    """The best ``depth`` levels of one side as ``(price_e6, size_e6, order_count)``, best first."""
    return tuple(
        (price, level.total_size_e6, len(book.level_orders(state, instrument_id, side, price)))
        for price, level in book.side_levels(state, instrument_id, side, depth)
    )


def side_delta(old: tuple[Level, ...], new: tuple[Level, ...], side: int) -> tuple[Level, ...]:
    """Levels that differ between ``old`` and ``new`` (removed ones with size 0), best first."""
    before = {price: (size, count) for price, size, count in old}
    after = {price: (size, count) for price, size, count in new}
    changed = [(p, s, c) for p, s, c in new if before.get(p) != (s, c)]
    changed += [(p, 0, 0) for p in before if p not in after]
    return tuple(sorted(changed, key=lambda level: -level[0] if side == book.BUY else level[0]))


def touched_instruments(txs: Iterable[SignedTx], receipts: Iterable[Receipt]) -> set[int] | None:
    """Instruments whose book a block may have changed; ``None`` when it may be any of them.

    Only successful transactions change books (a failure keeps nothing but its nonce).
    """
    out: set[int] = set()
    for tx, receipt in zip(txs, receipts):
        if not receipt.ok:
            continue
        body = tx.body
        if isinstance(body, PlaceOrder):
            out.add(body.instrument_id)
        elif isinstance(body, CancelAll) and body.instrument_id:
            out.add(body.instrument_id)
        elif isinstance(body, (CancelOrder, CancelAll, Liquidate, Settle)):
            return None
        out.update(fill.instrument_id for fill in receipt.fills)
    return out


# ---------------------------------------------------------------------------------------
# Accounts


@dataclass(slots=True)
class TrackedOrder:
    """An open order of a subscribed account, as the feed last knew it."""

    instrument_id: int
    side: int
    price_e6: int
    remaining_e6: int


class AccountFeed:
    """Turns receipts into one account's fills and order updates.

    ``orders`` maps the account's open order ids to what the feed knows of them: seeded from
    the state at subscribe time, then kept by the placements, fills and cancellations seen
    (needed for cancellations that name only an order id, e.g. an expired maker order, and
    for a ``CancelAll``, whose receipt lists nothing). Bounded by the STF's open-order limit.
    """

    def __init__(self, address: bytes, state: State) -> None:
        self.address = address
        self.subscribers: list[Subscription] = []
        self.orders: dict[int, TrackedOrder] = {}
        for order_id in accounts.load(state, address).open_orders:
            order: Order = state.get(keys.order(order_id))
            self.orders[order_id] = TrackedOrder(order.instrument_id, order.side, order.price_e6, order.remaining_e6)

    def events(self, block: L2Block, txs: tuple[SignedTx, ...]) -> list[Event]:
        """The account's events of ``block``, in receipt order (see stream.proto)."""
        out: list[Event] = []
        for tx, receipt in zip(txs, block.receipts):
            ctx = (block.number, block.timestamp, receipt.tx_hash)
            own = tx.sender == self.address
            if own and isinstance(tx.body, PlaceOrder):
                self._placement(ctx, tx.body, receipt, out)
                continue
            self._maker_fills(ctx, receipt.fills, out)
            self._cancellations(ctx, receipt.cancelled, out)
            if not receipt.ok:
                continue
            if own and isinstance(tx.body, CancelOrder):
                self._cancel(ctx, receipt.order_id, 0, CANCELLED_BY_OWNER, out)
            elif own and isinstance(tx.body, CancelAll):
                self._cancel_all(ctx, tx.body.instrument_id, CANCELLED_BY_OWNER, out)
            elif isinstance(tx.body, Liquidate) and tx.body.account == self.address:
                self._cancel_all(ctx, 0, LIQUIDATION, out)
        return out

    def _placement(self, ctx: tuple, body: PlaceOrder, receipt: Receipt, out: list[Event]) -> None:
        """The account's own order: taker fills, the cancellations it caused, then its status."""
        head = (body.instrument_id, body.side, body.price_e6)
        if not receipt.ok:
            out.append(OrderEvent(*ctx, 0, *head, REJECTED, 0, 0, int(receipt.code), receipt.code.name))
            return
        order_id = receipt.order_id
        for fill in receipt.fills:
            out.append(FillEvent(*ctx, order_id, fill.instrument_id, fill.taker_side, fill.price_e6, fill.size_e6,
                                 TAKER, fill.taker_fee_e6, fill.maker, fill.maker_order_id))
        self._cancellations(ctx, receipt.cancelled, out)
        filled, rested = receipt.filled_e6, receipt.rested_e6
        if rested:
            self.orders[order_id] = TrackedOrder(*head, rested)
            out.append(OrderEvent(*ctx, order_id, *head, RESTING, filled, rested))
        elif filled == body.size_e6:
            out.append(OrderEvent(*ctx, order_id, *head, FILLED, filled, 0))
        else:
            code = receipt.remainder_code
            out.append(OrderEvent(*ctx, order_id, *head, CANCELLED, filled, body.size_e6 - filled,
                                  int(code), code.name))

    def _maker_fills(self, ctx: tuple, fills: tuple[Fill, ...], out: list[Event]) -> None:
        for fill in fills:
            if fill.maker_order_id == 0:  # a liquidation: the maker is the liquidated account
                self._liquidation_fill(ctx, fill, out)
                continue
            if fill.maker != self.address:
                continue
            side = 1 - fill.taker_side
            out.append(FillEvent(*ctx, fill.maker_order_id, fill.instrument_id, side, fill.price_e6, fill.size_e6,
                                 MAKER, fill.maker_fee_e6, fill.taker, fill.maker_order_id))
            tracked = self.orders.get(fill.maker_order_id)
            if tracked is None:  # cannot happen while the feed is consistent; say what we know
                log.warning("events: fill of untracked order %d of %s", fill.maker_order_id, self.address.hex())
                continue
            tracked.remaining_e6 -= fill.size_e6
            status = PARTIALLY_FILLED if tracked.remaining_e6 > 0 else FILLED
            if status == FILLED:
                del self.orders[fill.maker_order_id]
            out.append(OrderEvent(*ctx, fill.maker_order_id, tracked.instrument_id, tracked.side, tracked.price_e6,
                                  status, fill.size_e6, max(tracked.remaining_e6, 0)))

    def _liquidation_fill(self, ctx: tuple, fill: Fill, out: list[Event]) -> None:
        """A position transfer (``Liquidate`` receipt): no order is involved on either side."""
        if fill.maker == self.address:
            out.append(FillEvent(*ctx, 0, fill.instrument_id, 1 - fill.taker_side, fill.price_e6, fill.size_e6,
                                 LIQUIDATED, fill.maker_fee_e6, fill.taker, 0))
        elif fill.taker == self.address:
            out.append(FillEvent(*ctx, 0, fill.instrument_id, fill.taker_side, fill.price_e6, fill.size_e6,
                                 LIQUIDATOR, fill.taker_fee_e6, fill.maker, 0))

    def _cancellations(self, ctx: tuple, cancelled: tuple[tuple[int, FailureCode], ...], out: list[Event]) -> None:
        for order_id, code in cancelled:
            if order_id in self.orders:
                self._cancel(ctx, order_id, int(code), code.name, out)

    def _cancel(self, ctx: tuple, order_id: int, code: int, name: str, out: list[Event]) -> None:
        tracked = self.orders.pop(order_id, None)
        if tracked is None:
            return
        out.append(OrderEvent(*ctx, order_id, tracked.instrument_id, tracked.side, tracked.price_e6, CANCELLED,
                              0, tracked.remaining_e6, code, name))

    def _cancel_all(self, ctx: tuple, instrument_id: int, name: str, out: list[Event]) -> None:
        for order_id, tracked in list(self.orders.items()):
            if not instrument_id or tracked.instrument_id == instrument_id:
                self._cancel(ctx, order_id, 0, name, out)


# ---------------------------------------------------------------------------------------
# The hub


class EventHub(BlockObserver):
    """Fans committed blocks out to subscriptions (see module docstring)."""

    def __init__(self, sequencer: Sequencer, *, queue_limit: int = DEFAULT_QUEUE_LIMIT,
                 trades_per_instrument: int = DEFAULT_TRADES_PER_INSTRUMENT,
                 seed_blocks: int = DEFAULT_SEED_BLOCKS, seed_trades: int = DEFAULT_SEED_TRADES,
                 max_subscribers: int = DEFAULT_MAX_SUBSCRIBERS) -> None:
        if queue_limit < 1 or trades_per_instrument < 1:
            raise ValueError("events: queue_limit and trades_per_instrument must be >= 1")
        self.sequencer = sequencer
        self.queue_limit = queue_limit
        self.trades_per_instrument = trades_per_instrument
        self.seed_blocks = seed_blocks
        self.seed_trades = seed_trades
        self.max_subscribers = max_subscribers
        self.trades: dict[int, deque[Trade]] = {}
        self.block_subs: list[Subscription] = []
        self.book_subs: dict[int, list[Subscription]] = {}
        self.account_feeds: dict[bytes, AccountFeed] = {}
        self.halted: StreamEnded | None = None

    def attach(self) -> "EventHub":
        """Seed the trade rings from the store and start observing the sequencer."""
        self._seed_trades()
        self.sequencer.add_observer(self)
        return self

    def _seed_trades(self) -> None:
        """Newest blocks first until enough fills are found, then recorded oldest first."""
        blocks: list[L2Block] = []
        found = 0
        number = self.sequencer.head_number
        while number >= 1 and len(blocks) < self.seed_blocks and found < self.seed_trades:
            block = self.sequencer.get_block(number)
            if block is None:
                break
            blocks.append(block)
            found += sum(len(r.fills) for r in block.receipts)
            number -= 1
        for block in reversed(blocks):
            self._record_trades(block)

    def detach(self, message: str = "stream: node shutting down") -> None:
        """Stop observing and end every subscription UNAVAILABLE."""
        self.sequencer.remove_observer(self)
        self._end_all(grpc.StatusCode.UNAVAILABLE, message)

    def _view(self) -> State:
        return State(self.sequencer.state.backend)

    # -- subscribing (synchronous, on the loop: consistent with the head block) -------------

    def _new(self, kind: str, key: object) -> Subscription:
        if self.subscriber_count() >= self.max_subscribers:
            raise TooManySubscribers(f"stream: {self.max_subscribers} subscriptions already open")
        sub = Subscription(self, kind, key, self.queue_limit)
        if self.halted is not None:
            sub.end(self.halted.status, self.halted.message)
        return sub

    def subscribe_blocks(self) -> Subscription:
        sub = self._new("blocks", None)
        self.block_subs.append(sub)
        return sub

    def subscribe_book(self, instrument_id: int, depth: int) -> Subscription:
        """A book subscription whose first queued event is the snapshot at the head block."""
        view = self._view()
        inst: Instrument | None = view.get(keys.instrument(instrument_id))
        if inst is None:
            raise UnknownInstrument(f"unknown instrument {instrument_id}")
        sub = self._new("book", instrument_id)
        sub.depth = clamp_depth(depth)
        sub.last_book = (read_side(view, instrument_id, book.BUY, sub.depth),
                         read_side(view, instrument_id, book.SELL, sub.depth))
        sub.push(BookEvent(self.sequencer.head_number, instrument_id, True, *sub.last_book))
        self.book_subs.setdefault(instrument_id, []).append(sub)
        return sub

    def subscribe_account(self, address: bytes) -> Subscription:
        sub = self._new("account", address)
        feed = self.account_feeds.get(address)
        if feed is None:
            feed = self.account_feeds[address] = AccountFeed(address, self._view())
        feed.subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget ``sub`` (idempotent); drops an account feed or book entry nobody uses."""
        if sub.kind == "blocks":
            _discard(self.block_subs, sub)
        elif sub.kind == "book":
            subs = self.book_subs.get(sub.key, [])
            _discard(subs, sub)
            if not subs:
                self.book_subs.pop(sub.key, None)
        elif sub.kind == "account":
            feed = self.account_feeds.get(sub.key)
            if feed is not None:
                _discard(feed.subscribers, sub)
                if not feed.subscribers:
                    del self.account_feeds[sub.key]

    def subscriber_count(self) -> int:
        return (len(self.block_subs) + sum(len(s) for s in self.book_subs.values())
                + sum(len(f.subscribers) for f in self.account_feeds.values()))

    # -- reads ----------------------------------------------------------------------------

    def recent_trades(self, instrument_id: int, limit: int, before: int = 0) -> list[Trade]:
        """Up to ``limit`` most recent fills on ``instrument_id`` with a position below ``before``
        (0: from the newest), newest first."""
        ring = self.trades.get(instrument_id)
        if not ring:
            return []
        start = len(ring)
        if before:  # positions increase along the ring: find the first at or above ``before``
            low, high = 0, len(ring)
            while low < high:
                middle = (low + high) // 2
                if ring[middle].position < before:
                    low = middle + 1
                else:
                    high = middle
            start = low
        return [ring[start - 1 - i] for i in range(min(limit, start))]

    # -- the observer -----------------------------------------------------------------------

    def on_block(self, block: L2Block, txs: tuple[SignedTx, ...]) -> None:
        try:
            self._record_trades(block)
            self._publish_header(block)
            self._publish_accounts(block, txs)
            self._publish_books(block, txs)
        except Exception:  # a bug here must end the streams, not silently stall them
            log.exception("events: block %d could not be published; ending all streams", block.number)
            self._end_all(grpc.StatusCode.INTERNAL, f"stream: internal error at block {block.number}")

    def on_halt(self, failure: BaseException | None) -> None:
        message = "stream: the sequencer stopped" if failure is None else f"stream: the sequencer halted: {failure!r}"
        self.halted = StreamEnded(grpc.StatusCode.UNAVAILABLE, message)
        self._end_all(grpc.StatusCode.UNAVAILABLE, message)

    def _end_all(self, status: grpc.StatusCode, message: str) -> None:
        subs = list(self.block_subs) + [s for subs in self.book_subs.values() for s in subs]
        subs += [s for feed in self.account_feeds.values() for s in feed.subscribers]
        self.block_subs, self.book_subs, self.account_feeds = [], {}, {}
        for sub in subs:
            sub.end(status, message)

    def _record_trades(self, block: L2Block) -> None:
        for index, receipt in enumerate(block.receipts):
            for item, fill in enumerate(receipt.fills):
                ring = self.trades.get(fill.instrument_id)
                if ring is None:
                    ring = self.trades[fill.instrument_id] = deque(maxlen=self.trades_per_instrument)
                ring.append(Trade(fill.price_e6, fill.size_e6, fill.taker_side, block.number, receipt.tx_hash,
                                  block.timestamp, block.number << 32 | index << 8 | item))

    def _publish_header(self, block: L2Block) -> None:
        if not self.block_subs:
            return
        event = BlockEvent(block.number, block.timestamp, block.state_root, block.receipts_hash, len(block.txs))
        for sub in list(self.block_subs):
            sub.push(event)

    def _publish_accounts(self, block: L2Block, txs: tuple[SignedTx, ...]) -> None:
        for feed in list(self.account_feeds.values()):
            for event in feed.events(block, txs):
                for sub in list(feed.subscribers):
                    sub.push(event)

    def _publish_books(self, block: L2Block, txs: tuple[SignedTx, ...]) -> None:
        if not self.book_subs:
            return
        touched = touched_instruments(txs, block.receipts)
        instruments = list(self.book_subs) if touched is None else [i for i in touched if i in self.book_subs]
        view = self._view() if instruments else None
        for instrument_id in instruments:
            subs = list(self.book_subs[instrument_id])
            depth = max(sub.depth for sub in subs)
            bids = read_side(view, instrument_id, book.BUY, depth)
            asks = read_side(view, instrument_id, book.SELL, depth)
            for sub in subs:
                self._push_delta(sub, block.number, bids[:sub.depth], asks[:sub.depth])

    @staticmethod
    def _push_delta(sub: Subscription, number: int, bids: tuple[Level, ...], asks: tuple[Level, ...]) -> None:
        old_bids, old_asks = sub.last_book
        bid_delta = side_delta(old_bids, bids, book.BUY)
        ask_delta = side_delta(old_asks, asks, book.SELL)
        if not bid_delta and not ask_delta:
            return
        sub.last_book = (bids, asks)
        sub.push(BookEvent(number, sub.key, False, bid_delta, ask_delta))


def _discard(items: list, item: object) -> None:
    if item in items:
        items.remove(item)
