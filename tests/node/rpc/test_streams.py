"""The Stream service, recent trades and cancel-on-disconnect, over a real port (DevNode)."""

from __future__ import annotations

import asyncio
import queue
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node.rpc.events import BlockEvent, EventHub, StreamEnded, side_delta
from node.rpc.generated.optrollup.v1 import query_pb2, stream_pb2, stream_pb2_grpc, trading_pb2, types_pb2
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import CancelAll
from node.wallet import sign_tx
from tests.node.rpc.node_fixture import E6

TIMEOUT = 10.0
STREAM_TIMEOUT = 30.0
BUY, SELL = 0, 1
# ETH series of the second expiry (ids 11-20), one per test: no two tests share a book.
BLOCKS_INST, COD_INST, COD_BATCH_INST, SLOW_INST, BOOK_INST, ACCOUNT_INST, ACCOUNT2_INST, TRADES_INST = range(12, 20)


def submit(trading, raw: bytes) -> trading_pb2.SubmitResponse:
    return trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=TIMEOUT)


def stream_stub(node, channel=None) -> stream_pb2_grpc.StreamStub:
    return stream_pb2_grpc.StreamStub(channel or node.channel())


def book_levels(query, instrument_id: int, depth: int) -> tuple[list, list, int]:
    book = query.GetOrderBook(query_pb2.OrderBookRequest(instrument_id=instrument_id, depth=depth), timeout=TIMEOUT)
    as_tuples = lambda levels: [(l.price_e6, l.size_e6, l.order_count) for l in levels]  # noqa: E731
    return as_tuples(book.bids), as_tuples(book.asks), book.block_number


class LocalBook:
    """A client's copy of a book stream: the snapshot, then the deltas applied."""

    def __init__(self) -> None:
        self.sides: list[dict[int, tuple[int, int]]] = [{}, {}]
        self.sequence = 0
        self.block_number = 0

    def apply(self, update: stream_pb2.BookUpdate) -> None:
        assert update.sequence == self.sequence + 1, "a gap in the book stream"
        assert update.block_number >= self.block_number
        self.sequence, self.block_number = update.sequence, update.block_number
        if update.snapshot:
            self.sides = [{}, {}]
        for side, levels in ((BUY, update.bids), (SELL, update.asks)):
            for level in levels:
                if level.size_e6 == 0:
                    assert not update.snapshot
                    self.sides[side].pop(level.price_e6)
                else:
                    self.sides[side][level.price_e6] = (level.size_e6, level.order_count)

    def levels(self, side: int) -> list[tuple[int, int, int]]:
        prices = sorted(self.sides[side], reverse=side == BUY)
        return [(p, *self.sides[side][p]) for p in prices]


# ---------------------------------------------------------------------------------------
# Order book


def test_book_stream_snapshot_then_deltas_reproduce_the_book(node):
    trading, query = node.stubs()
    depth = 3
    # A book before subscribing: two bids, one ask.
    for raw in (node.order("maker", BOOK_INST, BUY, 10 * E6, E6), node.order("maker", BOOK_INST, BUY, 9 * E6, 2 * E6),
                node.order("carol", BOOK_INST, SELL, 20 * E6, E6)):
        submit(trading, raw)
    updates = stream_stub(node).SubscribeOrderBook(
        stream_pb2.SubscribeOrderBookRequest(instrument_id=BOOK_INST, depth=depth), timeout=STREAM_TIMEOUT)
    local = LocalBook()
    snapshot = next(updates)
    assert snapshot.snapshot and snapshot.sequence == 1 and snapshot.instrument_id == BOOK_INST
    local.apply(snapshot)
    bids, asks, number = book_levels(query, BOOK_INST, depth)
    assert (local.levels(BUY), local.levels(SELL), local.block_number) == (bids, asks, number)

    bob_order = {}
    steps = [
        ("bid joins a level", lambda: node.order("bob", BOOK_INST, BUY, 10 * E6, E6)),
        ("third bid level", lambda: node.order("bob", BOOK_INST, BUY, 7 * E6, E6)),
        ("bid inside the depth", lambda: node.order("bob", BOOK_INST, BUY, 8 * E6, E6)),  # pushes 7 out
        ("ask level", lambda: node.order("alice", BOOK_INST, SELL, 21 * E6, 3 * E6)),
        ("partial fill of the best bid", lambda: node.order("alice", BOOK_INST, SELL, 10 * E6, 1_500_000)),
        ("sweep through two ask levels", lambda: node.order("bob", BOOK_INST, BUY, 21 * E6, 2 * E6)),
        ("cancel one order", lambda: node.cancel("bob", bob_order["bid 8"])),  # 7 comes back
        ("cancel all of maker's", lambda: node.cancel_all("maker", BOOK_INST)),
        ("a failure changes nothing", lambda: node.order("bob", BOOK_INST, BUY, 10 * E6 + 1, E6)),
        ("new best ask", lambda: node.order("carol", BOOK_INST, SELL, 15 * E6, E6)),
    ]
    for name, make in steps:
        response = submit_any(trading, make())
        if name == "bid inside the depth":
            bob_order["bid 8"] = response.receipt.order_id
        bids, asks, number = book_levels(query, BOOK_INST, depth)
        assert number == response.block_number, "no other traffic in this test"
        if (local.levels(BUY), local.levels(SELL)) != (bids, asks):
            update = next(updates)
            assert not update.snapshot and update.block_number == response.block_number, name
            assert all(l.size_e6 == 0 or l.order_count > 0 for l in list(update.bids) + list(update.asks))
            local.apply(update)
        assert (local.levels(BUY), local.levels(SELL)) == (bids, asks), name
    assert local.sequence >= 8
    updates.cancel()


def submit_any(trading, raw: bytes):
    """Submit, returning the response even for a failure receipt (as a SubmitResponse)."""
    try:
        return submit(trading, raw)
    except grpc.RpcError as exc:
        meta = dict(exc.trailing_metadata() or ())
        receipt = types_pb2.Receipt.FromString(meta["receipt-bin"])
        return trading_pb2.SubmitResponse(tx_hash=receipt.tx_hash, block_number=receipt.block_number, receipt=receipt)


def test_book_stream_unknown_instrument(node):
    updates = stream_stub(node).SubscribeOrderBook(stream_pb2.SubscribeOrderBookRequest(instrument_id=9_999),
                                                   timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as caught:
        next(updates)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_side_delta_orders_and_removals():
    old = ((10, 5, 1), (9, 2, 1), (8, 1, 1))
    new = ((11, 1, 1), (10, 5, 1), (9, 3, 2))
    assert side_delta(old, new, BUY) == ((11, 1, 1), (9, 3, 2), (8, 0, 0))
    assert side_delta(new, new, SELL) == ()
    assert side_delta(((20, 1, 1),), ((19, 1, 1),), SELL) == ((19, 1, 1), (20, 0, 0))


# ---------------------------------------------------------------------------------------
# Accounts


def _events(stream, count: int) -> list[stream_pb2.AccountEvent]:
    return [next(stream) for _ in range(count)]


def test_account_stream_fills_and_order_updates_both_sides(node):
    trading, _ = node.stubs()
    alice, bob = node.address("alice"), node.address("bob")
    resting = submit(trading, node.order("alice", ACCOUNT_INST, SELL, 30 * E6, 2 * E6)).receipt.order_id  # before
    stub = stream_stub(node)
    maker_stream = stub.SubscribeAccount(stream_pb2.SubscribeAccountRequest(address=alice), timeout=STREAM_TIMEOUT)
    taker_stream = stub.SubscribeAccount(stream_pb2.SubscribeAccountRequest(address=bob), timeout=STREAM_TIMEOUT)
    time.sleep(0.2)  # let both subscriptions start before the trades
    second = submit(trading, node.order("alice", ACCOUNT_INST, SELL, 31 * E6, E6))
    take1 = submit(trading, node.order("bob", ACCOUNT_INST, BUY, 30 * E6, 500_000))  # partial: 0.5 of 2
    take2 = submit(trading, node.order("bob", ACCOUNT_INST, BUY, 31 * E6, 2 * E6))  # 1.5 @30, 0.5 @31
    ioc = submit(trading, node.order("bob", ACCOUNT_INST, BUY, 31 * E6, E6, tif=1))  # 0.5 @31, rest cancelled
    failed = submit_any(trading, node.order("bob", ACCOUNT_INST, BUY, 31 * E6 + 1, E6))  # off tick
    assert failed.receipt.code == FailureCode.PRICE_OFF_TICK

    maker = _events(maker_stream, 1 + 2 + 2 + 2 + 2)
    assert [e.sequence for e in maker] == list(range(1, len(maker) + 1))
    kinds = [(e.WhichOneof("event"), e.block_number) for e in maker]
    assert kinds == [("order", second.block_number)] + [("fill", take1.block_number), ("order", take1.block_number)] \
        + [(k, take2.block_number) for k in ("fill", "order", "fill", "order")] \
        + [("fill", ioc.block_number), ("order", ioc.block_number)]
    placed = maker[0].order
    assert (placed.order_id, placed.status, placed.remaining_e6, placed.price_e6) == (
        second.receipt.order_id, stream_pb2.ORDER_STATUS_RESTING, E6, 31 * E6)
    maker_fills = [e for e in maker if e.WhichOneof("event") == "fill"]
    receipt_fills = list(take1.receipt.fills) + list(take2.receipt.fills) + list(ioc.receipt.fills)
    assert len(maker_fills) == len(receipt_fills) == 4
    for event, fill, tx in zip(maker_fills, receipt_fills, (take1, take2, take2, ioc)):
        f = event.fill
        assert (f.order_id, f.maker_order_id, f.price_e6, f.size_e6, f.fee_e6, f.counterparty, f.side, f.liquidity) == (
            fill.maker_order_id, fill.maker_order_id, fill.price_e6, fill.size_e6, fill.maker_fee_e6, bob, SELL,
            stream_pb2.LIQUIDITY_MAKER)
        assert event.tx_hash == tx.tx_hash and f.instrument_id == ACCOUNT_INST
    assert [(f.fill.order_id, f.fill.price_e6, f.fill.size_e6) for f in maker_fills] == [
        (resting, 30 * E6, 500_000), (resting, 30 * E6, 1_500_000),
        (second.receipt.order_id, 31 * E6, 500_000), (second.receipt.order_id, 31 * E6, 500_000)]
    statuses = [(e.order.order_id, e.order.status, e.order.filled_e6, e.order.remaining_e6)
                for e in maker if e.WhichOneof("event") == "order"][1:]
    assert statuses == [
        (resting, stream_pb2.ORDER_STATUS_PARTIALLY_FILLED, 500_000, 1_500_000),
        (resting, stream_pb2.ORDER_STATUS_FILLED, 1_500_000, 0),
        (second.receipt.order_id, stream_pb2.ORDER_STATUS_PARTIALLY_FILLED, 500_000, 500_000),
        (second.receipt.order_id, stream_pb2.ORDER_STATUS_FILLED, 500_000, 0),
    ]

    taker = _events(taker_stream, 2 + 3 + 2 + 1)
    assert [e.sequence for e in taker] == list(range(1, 9))
    t1_fill, t1_status, t2_fill_a, t2_fill_b, t2_status, ioc_fill, ioc_status, rejected = taker
    for event, fill in ((t1_fill, take1.receipt.fills[0]), (t2_fill_a, take2.receipt.fills[0]),
                        (t2_fill_b, take2.receipt.fills[1]), (ioc_fill, ioc.receipt.fills[0])):
        f = event.fill
        assert (f.price_e6, f.size_e6, f.fee_e6, f.counterparty, f.side, f.liquidity, f.maker_order_id) == (
            fill.price_e6, fill.size_e6, fill.taker_fee_e6, alice, BUY, stream_pb2.LIQUIDITY_TAKER,
            fill.maker_order_id)
        assert f.fee_e6 > 0
    assert t1_fill.fill.order_id == take1.receipt.order_id
    assert (t1_status.order.status, t1_status.order.filled_e6, t1_status.order.remaining_e6) == (
        stream_pb2.ORDER_STATUS_FILLED, 500_000, 0)
    assert (t2_status.order.status, t2_status.order.filled_e6) == (stream_pb2.ORDER_STATUS_FILLED, 2 * E6)
    assert (ioc_status.order.status, ioc_status.order.filled_e6, ioc_status.order.remaining_e6,
            ioc_status.order.reason_name) == (stream_pb2.ORDER_STATUS_CANCELLED, 500_000, 500_000, "NO_LIQUIDITY")
    assert ioc_status.order.reason_code == FailureCode.NO_LIQUIDITY
    assert (rejected.order.status, rejected.order.reason_code, rejected.block_number) == (
        stream_pb2.ORDER_STATUS_REJECTED, FailureCode.PRICE_OFF_TICK, failed.block_number)
    maker_stream.cancel()
    taker_stream.cancel()


def test_account_stream_cancellations(node):
    trading, _ = node.stubs()
    carol = node.address("carol")
    before = submit(trading, node.order("carol", ACCOUNT_INST, BUY, 5 * E6, E6)).receipt.order_id  # seeded
    stream = stream_stub(node).SubscribeAccount(stream_pb2.SubscribeAccountRequest(address=carol),
                                                timeout=STREAM_TIMEOUT)
    time.sleep(0.2)
    a = submit(trading, node.order("carol", ACCOUNT_INST, BUY, 4 * E6, E6)).receipt.order_id
    b = submit(trading, node.order("carol", ACCOUNT2_INST, BUY, 4 * E6, E6)).receipt.order_id
    submit(trading, node.cancel("carol", a))
    self_trade = submit(trading, node.order("carol", ACCOUNT_INST, SELL, 5 * E6, E6, tif=1))  # hits its own bid
    submit(trading, node.cancel_all("carol", ACCOUNT2_INST))
    events = _events(stream, 2 + 1 + 2 + 1)
    orders = [(e.order.order_id, e.order.status, e.order.remaining_e6, e.order.reason_code, e.order.reason_name)
              for e in events]
    assert orders == [
        (a, stream_pb2.ORDER_STATUS_RESTING, E6, 0, ""),
        (b, stream_pb2.ORDER_STATUS_RESTING, E6, 0, ""),
        (a, stream_pb2.ORDER_STATUS_CANCELLED, E6, 0, "CANCELLED_BY_OWNER"),
        (before, stream_pb2.ORDER_STATUS_CANCELLED, E6, FailureCode.SELF_TRADE, "SELF_TRADE"),
        (self_trade.receipt.order_id, stream_pb2.ORDER_STATUS_CANCELLED, E6, FailureCode.NO_LIQUIDITY,
         "NO_LIQUIDITY"),
        (b, stream_pb2.ORDER_STATUS_CANCELLED, E6, 0, "CANCELLED_BY_OWNER"),
    ]
    assert events[3].order.instrument_id == ACCOUNT_INST and events[5].order.instrument_id == ACCOUNT2_INST
    stream.cancel()


def test_account_stream_rejects_a_bad_address(node):
    stream = stream_stub(node).SubscribeAccount(stream_pb2.SubscribeAccountRequest(address=b"\x01" * 19),
                                                timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as caught:
        next(stream)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# ---------------------------------------------------------------------------------------
# Blocks, slow subscribers, recent trades


def test_blocks_stream_consecutive_numbers(node):
    trading, query = node.stubs()
    headers = stream_stub(node).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest(), timeout=STREAM_TIMEOUT)
    time.sleep(0.2)
    responses = [submit(trading, node.order("carol", BLOCKS_INST, BUY, E6, 100_000)) for _ in range(5)]
    received = []
    while not received or received[-1].number < responses[-1].block_number:
        received.append(next(headers))
    assert [h.sequence for h in received] == list(range(1, len(received) + 1))
    numbers = [h.number for h in received]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert {r.block_number for r in responses} <= set(numbers)
    last = received[-1]
    block = query.GetBlock(query_pb2.BlockRequest(number=last.number), timeout=TIMEOUT)
    assert (last.timestamp, last.state_root, last.receipts_hash, last.tx_count) == (
        block.timestamp, block.state_root, block.receipts_hash, block.tx_count)
    headers.cancel()


def test_slow_subscriber_is_cut_off_without_affecting_trading(node):
    trading, _ = node.stubs()
    hub: EventHub = node.server.events
    limit, hub.queue_limit = hub.queue_limit, 4
    try:
        # A small HTTP/2 window and a client that does not read: the server's queue fills up.
        channel = grpc.insecure_channel(node.target, options=[
            ("grpc.use_local_subchannel_pool", 1), ("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)])
        node.channels.append(channel)
        slow = stream_pb2_grpc.StreamStub(channel).SubscribeOrderBook(
            stream_pb2.SubscribeOrderBookRequest(instrument_id=SLOW_INST, depth=50), timeout=STREAM_TIMEOUT)
        first = next(slow)  # the subscription is live
        assert first.snapshot
        count_before = hub.subscriber_count()
        started = time.monotonic()
        responses = [submit(trading, node.order("maker", SLOW_INST, BUY, (1 + i) * 100_000, E6)) for i in range(120)]
        elapsed = time.monotonic() - started
        assert all(r.receipt.code == 0 for r in responses)
        deadline = time.monotonic() + 5
        while hub.subscriber_count() >= count_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.subscriber_count() == count_before - 1, "the slow subscriber was dropped"
        with pytest.raises(grpc.RpcError) as caught:
            for _ in slow:
                pass
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "too slow" in caught.value.details()
        assert elapsed < 10
    finally:
        hub.queue_limit = limit
    submit(trading, node.cancel_all("maker", SLOW_INST))


def test_subscription_overflow_and_halt_in_process():
    class FakeSequencer:
        head_number = 0

        def add_observer(self, observer) -> None:
            pass

        def remove_observer(self, observer) -> None:
            pass

    async def run() -> None:
        hub = EventHub(FakeSequencer(), queue_limit=2)
        slow, fast = hub.subscribe_blocks(), hub.subscribe_blocks()
        for number in (1, 2, 3):
            event = BlockEvent(number, 0, b"", b"", 0)
            slow.push(event)
            fast.push(event)
            if number < 3:
                assert (await fast.get()).number == number
        with pytest.raises(StreamEnded) as ended:
            await slow.get()  # the backlog is dropped: the end comes first
        assert ended.value.status == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert hub.block_subs == [fast]
        hub.on_halt(None)
        assert (await fast.get()).number == 3  # a halt lets the queued messages drain
        with pytest.raises(StreamEnded) as ended:
            await fast.get()
        assert ended.value.status == grpc.StatusCode.UNAVAILABLE
        late = hub.subscribe_blocks()
        with pytest.raises(StreamEnded):
            await late.get()

    asyncio.run(run())


def test_recent_trades(node):
    trading, query = node.stubs()
    inst = TRADES_INST
    submit(trading, node.order("alice", inst, SELL, 40 * E6, 3 * E6))
    fills = []
    for size in (500_000, 700_000, 300_000):
        response = submit(trading, node.order("bob", inst, BUY, 40 * E6, size))
        fills.append((size, response.block_number, response.tx_hash))
    submit(trading, node.order("bob", inst, BUY, 35 * E6, 2 * E6))
    sell = submit(trading, node.order("alice", inst, SELL, 35 * E6, 300_000))  # a taker sell
    assert len(sell.receipt.fills) == 1
    recent = query.GetRecentTrades(query_pb2.RecentTradesRequest(instrument_id=inst), timeout=TIMEOUT)
    got = [(t.price_e6, t.size_e6, t.taker_side, t.block_number, t.tx_hash) for t in recent.trades]
    expected = [(f.price_e6, f.size_e6, f.taker_side, sell.block_number, sell.tx_hash) for f in sell.receipt.fills]
    expected += [(40 * E6, size, BUY, number, tx_hash) for size, number, tx_hash in reversed(fills)]
    assert got == expected
    block = query.GetBlock(query_pb2.BlockRequest(number=sell.block_number), timeout=TIMEOUT)
    assert recent.trades[0].timestamp == block.timestamp and recent.instrument_id == inst
    two = query.GetRecentTrades(query_pb2.RecentTradesRequest(instrument_id=inst, limit=2), timeout=TIMEOUT)
    assert list(two.trades) == list(recent.trades[:2])
    none = query.GetRecentTrades(query_pb2.RecentTradesRequest(instrument_id=20), timeout=TIMEOUT)
    assert list(none.trades) == []
    with pytest.raises(grpc.RpcError) as caught:
        query.GetRecentTrades(query_pb2.RecentTradesRequest(instrument_id=9_999), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_recent_trades_are_seeded_from_the_store(node):
    trading, _ = node.stubs()
    submit(trading, node.order("alice", TRADES_INST, SELL, 41 * E6, 100_000))
    submit(trading, node.order("bob", TRADES_INST, BUY, 41 * E6, 100_000))

    async def fresh_hub(**kwargs) -> EventHub:
        hub = EventHub(node.sequencer, **kwargs)
        hub._seed_trades()  # what attach() does, without observing
        return hub

    live = node.server.events
    seeded = node.call(fresh_hub())
    assert list(seeded.trades[TRADES_INST]) == list(live.trades[TRADES_INST])
    assert seeded.recent_trades(TRADES_INST, 3) == live.recent_trades(TRADES_INST, 3)
    one = node.call(fresh_hub(seed_trades=1))  # stops at the newest block with a fill
    assert list(one.trades[TRADES_INST]) == [live.trades[TRADES_INST][-1]]


def test_subscriber_limit(node):
    hub: EventHub = node.server.events
    limit, hub.max_subscribers = hub.max_subscribers, hub.subscriber_count()
    try:
        with pytest.raises(grpc.RpcError) as caught:
            next(stream_stub(node).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest(), timeout=TIMEOUT))
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        hub.max_subscribers = limit


def test_health_and_reflection_list_the_stream_service(node):
    health = health_pb2_grpc.HealthStub(node.channel())
    reply = health.Check(health_pb2.HealthCheckRequest(service="optrollup.v1.Stream"), timeout=TIMEOUT)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


# ---------------------------------------------------------------------------------------
# Cancel-on-disconnect


def _held_requests(items: queue.Queue):
    """A request iterator that stays open until ``None`` is queued (then half-closes)."""
    while True:
        item = items.get()
        if item is None:
            return
        yield item


def _open_orders(query, address: bytes, instrument_id: int) -> list[int]:
    orders = query.GetOpenOrders(query_pb2.AccountRequest(address=address), timeout=TIMEOUT).orders
    return [o.order_id for o in orders if o.instrument_id == instrument_id]


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize("batched", [False, True])
def test_cancel_on_disconnect_abrupt_close_cancels(node, batched):
    inst = COD_BATCH_INST if batched else COD_INST
    _, query = node.stubs()
    maker = node.address("maker")
    cancel = node.cancel_all("maker")  # reserved nonce
    channel = node.channel()
    trading, _ = node.stubs(channel)
    items: queue.Queue = queue.Queue()
    metadata = (("cancel-on-disconnect-bin", cancel),)
    orders = [node.order("maker", inst, side, price * E6, E6) for side, price in ((BUY, 5), (BUY, 6), (SELL, 9))]
    if batched:
        acks = trading.SubmitBatchStream(_held_requests(items), metadata=metadata, timeout=STREAM_TIMEOUT)
        items.put(trading_pb2.SubmitBatch(raw_txs=orders, sequence=1))
        assert all(r.accepted for r in next(acks).results)
    else:
        acks = trading.SubmitStream(_held_requests(items), metadata=metadata, timeout=STREAM_TIMEOUT)
        for sequence, raw in enumerate(orders):
            items.put(trading_pb2.SubmitRequest(raw_tx=raw, sequence=sequence))
        assert all(next(acks).accepted for _ in orders)
    assert len(_open_orders(query, maker, inst)) == 3
    channel.close()  # abrupt: no half-close
    items.put(None)
    assert _wait_for(lambda: not _open_orders(query, maker, inst)), "orders cancelled on disconnect"
    bids, asks, _ = book_levels(query, inst, 10)
    assert bids == [] and asks == []


def test_cancel_on_disconnect_clean_close_keeps_orders(node):
    trading, query = node.stubs()
    maker = node.address("maker")
    cancel = node.cancel_all("maker")
    orders = [node.order("maker", COD_INST, BUY, price * E6, E6) for price in (3, 4)]
    requests = [trading_pb2.SubmitRequest(raw_tx=raw, sequence=i) for i, raw in enumerate(orders)]
    acks = list(trading.SubmitStream(iter(requests), metadata=(("cancel-on-disconnect-bin", cancel),),
                                     timeout=TIMEOUT))
    assert [a.accepted for a in acks] == [True, True]
    placed = {a.receipt.order_id for a in acks}
    batch = [node.order("maker", COD_INST, BUY, 2 * E6, E6)]
    batch_acks = list(trading.SubmitBatchStream(iter([trading_pb2.SubmitBatch(raw_txs=batch, sequence=1)]),
                                                metadata=(("cancel-on-disconnect-bin", cancel),), timeout=TIMEOUT))
    assert batch_acks[0].results[0].accepted
    placed.add(batch_acks[0].results[0].receipt.order_id)
    time.sleep(0.3)
    assert placed <= set(_open_orders(query, maker, COD_INST))
    submit(trading, node.cancel_all("maker", COD_INST))


def test_cancel_on_disconnect_bad_envelopes(node):
    trading, _ = node.stubs()
    genesis = node.chain.genesis
    key = node.key("maker")
    place = node.order("maker", COD_INST, BUY, E6, E6)
    wrong_chain = sign_tx(key, CancelAll(10**6, 0), Domain(genesis.chain_id + 1, genesis.verifying_contract))
    unsigned = encode_tx(CancelAll(10**6, 0), (0, 1, 1))
    used = node.cancel_all("maker", COD_INST)
    submit(trading, used)  # its nonce is now used
    for envelope, status in ((b"\x03\xc0", grpc.StatusCode.INVALID_ARGUMENT),
                             (place, grpc.StatusCode.INVALID_ARGUMENT),
                             (wrong_chain, grpc.StatusCode.INVALID_ARGUMENT),
                             (unsigned, grpc.StatusCode.INVALID_ARGUMENT),
                             (used, grpc.StatusCode.FAILED_PRECONDITION)):
        for call in (trading.SubmitStream, trading.SubmitBatchStream):
            with pytest.raises(grpc.RpcError) as caught:
                list(call(iter([]), metadata=(("cancel-on-disconnect-bin", envelope),), timeout=TIMEOUT))
            assert caught.value.code() == status, (envelope, caught.value.details())
            assert "cancel-on-disconnect-bin" in caught.value.details()
