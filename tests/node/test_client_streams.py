"""The client's streams (``watch_account``, ``watch_book``, ``watch_blocks``) against a dev node,
and the local book (``LocalBook`` / ``book_views``) fed hand-made messages.

Determinism: a test trades only after the node has registered its subscriptions
(``wait_for_subscribers``), every test ends with no subscription left open, and a watchdog ends
every stream (UNAVAILABLE) if a test would otherwise block for good.
"""

from __future__ import annotations

import contextlib
import threading
import time

import grpc
import pytest

from node.client import (
    AccountFill,
    BadInput,
    BlockHeader,
    BookLevel,
    BookView,
    Client,
    LocalBook,
    NodeUnavailable,
    NotFound,
    OrderUpdate,
    RateLimited,
    StreamGap,
    TxFailed,
    Watch,
    book_views,
)
from node.rpc.generated.optrollup.v1 import query_pb2, stream_pb2
from tests.node.rpc.node_fixture import E6, T0, DevNode

BLOCK_TIME = T0 + 60  # the fixture's sequencer clock
WATCHDOG_S = 30.0
# One instrument per test (ETH, second expiry): no two tests share a book.
TRADE_INST, BOOK_INST, CLOSE_INST = 12, 13, 14


@pytest.fixture(autouse=True)
def no_subscription_left(request):
    yield
    if "node" in request.fixturenames:
        wait_for_subscribers(request.getfixturevalue("node"), 0)


def wait_for_subscribers(node: DevNode, count: int, timeout: float = 10.0) -> None:
    """Block until the node's event hub holds exactly ``count`` subscriptions."""
    hub = node.server.events
    deadline = time.monotonic() + timeout
    while hub.subscriber_count() != count:
        assert time.monotonic() < deadline, f"{hub.subscriber_count()} subscriptions, expected {count}"
        time.sleep(0.01)


@contextlib.contextmanager
def watchdog(node: DevNode, seconds: float = WATCHDOG_S):
    """End every stream of ``node`` (UNAVAILABLE) if the block has not finished in ``seconds``."""
    hub = node.server.events
    timer = threading.Timer(seconds, lambda: node.loop.call_soon_threadsafe(
        hub._end_all, grpc.StatusCode.UNAVAILABLE, "test watchdog: a stream blocked for too long"))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def client(node: DevNode, name: str | None = None) -> Client:
    return Client(node.target, None if name is None else node.key(name))


# ---------------------------------------------------------------------------------------
# Accounts


def test_a_trade_gives_exact_fill_events_on_both_sides(node):
    alice, bob = client(node, "alice"), client(node, "bob")
    with alice, bob, watchdog(node), alice.watch_account() as maker_events, \
            bob.watch_account(node.address("bob")) as taker_events:
        wait_for_subscribers(node, 2)
        rest = alice.sell(TRADE_INST, "1.5", "30")
        take = bob.buy(TRADE_INST, "1", "30")
        (fill,) = take.fills
        assert (fill.maker_fee_e6, fill.taker_fee_e6) == (300_000, 900_000)  # 0.3 and 0.9 per contract here

        maker = [next(maker_events) for _ in range(3)]
        assert maker == [
            OrderUpdate(1, rest.block_number, BLOCK_TIME, rest.tx_hash, rest.order_id, TRADE_INST, 1, 30 * E6,
                        "resting", 0, 1_500_000, 0, ""),
            AccountFill(2, take.block_number, BLOCK_TIME, take.tx_hash, rest.order_id, TRADE_INST, 1, 30 * E6, E6,
                        300_000, "maker", node.address("bob"), rest.order_id),
            OrderUpdate(3, take.block_number, BLOCK_TIME, take.tx_hash, rest.order_id, TRADE_INST, 1, 30 * E6,
                        "partially_filled", E6, 500_000, 0, ""),
        ]
        taker = [next(taker_events) for _ in range(2)]
        assert taker == [
            AccountFill(1, take.block_number, BLOCK_TIME, take.tx_hash, take.order_id, TRADE_INST, 0, 30 * E6, E6,
                        900_000, "taker", node.address("alice"), rest.order_id),
            OrderUpdate(2, take.block_number, BLOCK_TIME, take.tx_hash, take.order_id, TRADE_INST, 0, 30 * E6,
                        "filled", E6, 0, 0, ""),
        ]

        alice.cancel(rest.order_id)  # the rest of the maker order, cancelled by its owner
        cancelled = next(maker_events)
        assert (cancelled.sequence, cancelled.status, cancelled.remaining_e6, cancelled.reason_name) == (
            4, "cancelled", 500_000, "CANCELLED_BY_OWNER")


def test_watch_account_needs_an_address(node):
    with client(node) as anonymous:
        with pytest.raises(BadInput, match="no address"):
            anonymous.watch_account()
        with pytest.raises(BadInput, match="20 bytes"):
            anonymous.watch_account("0x1234")


# ---------------------------------------------------------------------------------------
# Books


def as_book(view: BookView):
    return view.bids, view.asks, view.block_number


def test_watch_book_reproduces_get_order_book(node):
    maker, bob, carol = client(node, "maker"), client(node, "bob"), client(node, "carol")
    depth = 3
    with maker, bob, carol, watchdog(node):
        maker.buy(BOOK_INST, "1", "10")
        maker.buy(BOOK_INST, "2", "9")
        carol.sell(BOOK_INST, "1", "20")
        with maker.watch_book("ETH-11DEC26-2800-C", depth) as views:
            view = next(views)  # the snapshot: subscribed from here on
            book = maker.book(BOOK_INST, depth)
            assert view.snapshot and view.sequence == 1 and view.name == book.name == "ETH-11DEC26-2800-C"
            assert as_book(view) == (book.bids, book.asks, book.block_number)
            assert view.bids == (BookLevel(10 * E6, E6, 1), BookLevel(9 * E6, 2 * E6, 1))

            orders = {}
            steps = [
                lambda: bob.buy(BOOK_INST, "1", "10"),  # joins the best bid
                lambda: bob.buy(BOOK_INST, "1", "7"),  # a third level
                lambda: orders.setdefault("8", bob.buy(BOOK_INST, "1", "8")),  # pushes 7 below the depth
                lambda: carol.sell(BOOK_INST, "3", "21"),
                lambda: carol.sell(BOOK_INST, "1.5", "10"),  # partly fills the best bid
                lambda: bob.buy(BOOK_INST, "2", "21"),  # sweeps two ask levels
                lambda: bob.cancel(orders["8"].order_id),  # 7 comes back
                lambda: maker.cancel_all(BOOK_INST),
                lambda: carol.sell(BOOK_INST, "1", "15"),
            ]
            for number, step in enumerate(steps):
                receipt = step()
                book = maker.book(BOOK_INST, depth)
                assert book.block_number == receipt.block_number, "no other traffic on this node"
                if (view.bids, view.asks) != (book.bids, book.asks):
                    view = next(views)
                    assert not view.snapshot and view.block_number == receipt.block_number, number
                assert (view.bids, view.asks) == (book.bids, book.asks), number
            assert view.sequence == 1 + len(steps)  # every step here changed the top 3 levels
            assert view.asks == (BookLevel(15 * E6, E6, 1), BookLevel(21 * E6, 2 * E6, 1))


def update(sequence: int, block: int, bids=(), asks=(), snapshot: bool = False) -> stream_pb2.BookUpdate:
    level = lambda p, s, c: query_pb2.BookLevel(price_e6=p, size_e6=s, order_count=c)  # noqa: E731
    return stream_pb2.BookUpdate(sequence=sequence, block_number=block, instrument_id=7, snapshot=snapshot,
                                 bids=[level(*l) for l in bids], asks=[level(*l) for l in asks])


def test_local_book_applies_deltas_and_detects_a_gap():
    messages = [
        update(1, 10, bids=[(10, 1, 1), (9, 2, 1)], asks=[(12, 1, 1)], snapshot=True),
        update(2, 11, bids=[(11, 3, 2), (9, 0, 0)]),  # a new best bid; 9 gone
        update(3, 12, asks=[(12, 0, 0), (13, 4, 1)]),
        update(5, 14, bids=[(8, 1, 1)]),  # message 4 is missing
    ]
    views = book_views(messages, "X")
    assert next(views) == BookView(7, "X", (BookLevel(10, 1, 1), BookLevel(9, 2, 1)), (BookLevel(12, 1, 1),),
                                   10, 1, True)
    assert next(views) == BookView(7, "X", (BookLevel(11, 3, 2), BookLevel(10, 1, 1)), (BookLevel(12, 1, 1),),
                                   11, 2, False)
    assert next(views).asks == (BookLevel(13, 4, 1),)
    with pytest.raises(StreamGap) as gap:
        next(views)
    assert (gap.value.expected, gap.value.received) == (4, 5)

    with pytest.raises(StreamGap, match="snapshot"):
        LocalBook().apply(update(1, 10, bids=[(10, 1, 1)]))  # a delta first
    with pytest.raises(StreamGap):
        LocalBook().apply(update(2, 10, snapshot=True))  # not message 1
    book = LocalBook()
    book.apply(update(1, 10, bids=[(10, 1, 1)], snapshot=True))
    with pytest.raises(StreamGap):
        book.apply(update(1, 11, bids=[(10, 2, 1)]))  # a repeated message


class FakeCall:
    """A stand-in for a gRPC streaming call: yields ``messages``, records ``cancel``."""

    def __init__(self, messages) -> None:
        self.messages = iter(messages)
        self.cancelled = False

    def __next__(self):
        return next(self.messages)

    def cancel(self) -> None:
        self.cancelled = True


def test_a_gap_in_a_watch_cancels_the_call_and_raises():
    call = FakeCall([update(1, 10, snapshot=True), update(3, 12)])
    watch = Watch(call, LocalBook("X").apply, "test")
    assert next(watch).snapshot
    with pytest.raises(StreamGap):
        next(watch)
    assert call.cancelled and watch.closed
    assert list(watch) == []


# ---------------------------------------------------------------------------------------
# Blocks, ending streams, typed errors


def test_watch_blocks(node):
    with client(node, "carol") as carol, watchdog(node), carol.watch_blocks() as headers:
        wait_for_subscribers(node, 1)
        receipts = [carol.buy(CLOSE_INST, "0.1", "1") for _ in range(3)]
        got = [next(headers) for _ in range(3)]
        assert [h.sequence for h in got] == [1, 2, 3]
        assert [h.number for h in got] == [r.block_number for r in receipts]
        assert all(isinstance(h, BlockHeader) and h.tx_count == 1 and h.timestamp == BLOCK_TIME for h in got)
        carol.cancel_all(CLOSE_INST)


def test_streams_end_cleanly_when_the_caller_stops(node):
    with client(node, "alice") as alice, watchdog(node):
        watch = alice.watch_blocks()
        wait_for_subscribers(node, 1)
        threading.Timer(0.1, watch.close).start()  # from another thread, while next() blocks
        assert list(watch) == []
        wait_for_subscribers(node, 0)  # the node dropped the subscription

        for view in alice.watch_book(CLOSE_INST):  # breaking out of a for loop cancels the call
            assert view.snapshot
            break
        wait_for_subscribers(node, 0)
        with alice.watch_account():
            wait_for_subscribers(node, 1)
        wait_for_subscribers(node, 0)


def test_stream_errors_are_typed(node):
    with client(node, "alice") as alice:
        with pytest.raises(BadInput, match="unknown instrument"):
            alice.watch_book(9_999)
        with pytest.raises(BadInput, match="depth"):
            alice.watch_book(CLOSE_INST, 501)
        request = stream_pb2.SubscribeOrderBookRequest(instrument_id=9_999)  # past the client's own check
        with pytest.raises(NotFound):
            next(alice._watch(alice._stream.SubscribeOrderBook, request, LocalBook().apply))
        hub = node.server.events
        limit, hub.max_subscribers = hub.max_subscribers, 0
        try:
            with pytest.raises(RateLimited):
                next(alice.watch_blocks())
        finally:
            hub.max_subscribers = limit
        with pytest.raises(TxFailed):  # (the ordinary calls are unchanged)
            alice.buy(CLOSE_INST, "1", "1.00001")

    with Client("127.0.0.1:1") as nowhere:
        with pytest.raises(NodeUnavailable, match="cannot reach the node"):
            next(nowhere.watch_blocks())


def test_a_node_stopping_ends_the_stream_unavailable():
    dev = DevNode(dev=True).start()
    try:
        with Client(dev.target) as c:
            headers = c.watch_blocks()
            wait_for_subscribers(dev, 1)
            dev.call(dev.server.stop(0.5), timeout=10)
            with pytest.raises(NodeUnavailable, match="ended the stream: .*(shutting down|stopped)"):
                next(headers)
            assert headers.closed
    finally:
        dev.close()
