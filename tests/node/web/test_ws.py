"""``/api/ws``: one upstream subscription per key shared by every browser, consecutive seq per
(channel, key), resume with ``after_seq`` without a gap, snapshots, unsubscribe, bad requests."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp

from node.rpc.generated.optrollup.v1 import trading_pb2
from node.web.hub import RING, Channel

E6 = 10**6


async def _next(ws, predicate=lambda m: True, timeout: float = 15.0) -> dict:
    """The next frame satisfying ``predicate`` (frames before it are dropped)."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, message
            frame = json.loads(message.data)
            if predicate(frame):
                return frame


def _data_of(channel: str, key: str):
    return lambda f: "op" not in f and f.get("channel") == channel and f.get("key") == key


def _submit(web, raw: bytes):
    trading, _ = web.node.stubs()
    return trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=30)


def _run(coro):
    return asyncio.run(coro)


def test_book_snapshot_then_every_update_as_the_full_book(web):
    status, inst = web.get("/api/instrument/ETH-ATM-C")
    hub = web.web.gateway.hub

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(web.ws_url()) as a, session.ws_connect(web.ws_url()) as b:
                before = hub.upstream_subscriptions
                for ws in (a, b):
                    await ws.send_json({"op": "subscribe", "channel": "book", "key": str(inst["id"])})
                    ack = await _next(ws, lambda f: f.get("op") == "subscribed")
                    assert ack["key"] == inst["name"]
                snapshots = [await _next(ws, _data_of("book", inst["name"])) for ws in (a, b)]
                assert all(s["snapshot"] is True for s in snapshots)
                assert hub.upstream_subscriptions == before + 1  # one upstream stream for both browsers
                status, book = web.get(f"/api/book/{inst['id']}")
                assert snapshots[0]["data"]["bids"] == book["bids"] and snapshots[0]["data"]["asks"] == book["asks"]
                # another client's order changes the book: both browsers get the same full book, same seq
                price = Decimal(inst["tick"]) * 3
                await asyncio.to_thread(_submit, web, web.node.order("carol", inst["id"], 0, int(price * E6), 700_000))
                updates = []
                for ws in (a, b):
                    updates.append(await _next(ws, lambda f: _data_of("book", inst["name"])(f) and any(
                        Decimal(l["price"]) == price for l in f["data"]["bids"])))
                assert updates[0]["seq"] == updates[1]["seq"] > snapshots[0]["seq"]
                assert "snapshot" not in updates[0] and updates[0]["data"] == updates[1]["data"]
                level = next(l for l in updates[0]["data"]["bids"] if Decimal(l["price"]) == price)
                assert (level["size"], level["orders"]) == ("0.7", 1)
                status, book = web.get(f"/api/book/{inst['id']}")
                assert updates[0]["data"]["bids"] == book["bids"] and book["seq"] >= updates[0]["seq"]

    _run(scenario())


def test_resume_with_after_seq_replays_what_was_missed_without_a_gap(web):
    status, inst = web.get("/api/instrument/BTC-ATM-P")
    key = inst["name"]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(web.ws_url()) as ws:
                await ws.send_json({"op": "subscribe", "channel": "book", "key": key})
                first = await _next(ws, _data_of("book", key))
                last = first["seq"]
            # disconnected: two more orders change the book twice
            tick = int(Decimal(inst["tick"]) * E6)
            for k in (1, 2):
                await asyncio.to_thread(_submit, web, web.node.order("carol", inst["id"], 0, k * tick, 100_000))
            channel = web.web.gateway.hub.channels[("book", key)]
            async with asyncio.timeout(10):  # the gateway has published the book holding both orders
                while not (channel.latest and {str(tick), str(2 * tick)} <= {l["price_raw"] for l in
                                                                              channel.latest["bids"]}):
                    await asyncio.sleep(0.02)
            end = channel.seq
            assert end >= last + 2
            async with session.ws_connect(web.ws_url()) as ws:
                await ws.send_json({"op": "subscribe", "channel": "book", "key": key, "after_seq": last})
                replayed = [await _next(ws, _data_of("book", key)) for _ in range(end - last)]
                assert [f["seq"] for f in replayed] == list(range(last + 1, end + 1))
                assert not any(f.get("snapshot") for f in replayed)
                status, book = web.get(f"/api/book/{key}")
                assert replayed[-1]["data"]["bids"] == book["bids"]
                # a seq the gateway never sent (another gateway run): a snapshot at the current seq
                await ws.send_json({"op": "subscribe", "channel": "book", "key": key, "after_seq": channel.seq + 50})
                snap = await _next(ws, _data_of("book", key))
                assert snap["snapshot"] is True and snap["seq"] == channel.seq

    _run(scenario())


def test_the_ring_is_bounded_and_too_old_a_seq_gets_a_snapshot():
    channel = Channel(hub=type("FakeHub", (), {"published": 0})(), channel="blocks", key="", first_seq=10, ref=None)
    for n in range(RING + 5):
        channel.publish({"number": n})
    assert channel.seq == 10 + RING + 5 and len(channel.ring) == RING
    assert channel.replay(channel.seq) == []
    replay = channel.replay(channel.seq - RING)
    assert [json.loads(t)["seq"] for t in replay] == list(range(channel.seq - RING + 1, channel.seq + 1))
    assert channel.replay(channel.seq - RING - 1) is None  # one message too old: snapshot
    assert channel.replay(9) is None and channel.replay(channel.seq + 1) is None


def test_account_trades_and_blocks_channels(web):
    status, inst = web.get("/api/instrument/ETH-ATM-P")
    name = "bob"
    address = "0x" + web.node.address(name).hex()

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(web.ws_url()) as ws:
                for channel, key in (("account", address.upper().replace("0X", "0x")), ("trades", inst["name"]),
                                     ("blocks", "")):
                    await ws.send_json({"op": "subscribe", "channel": channel, "key": key})
                    ack = await _next(ws, lambda f: f.get("op") == "subscribed")
                    assert ack["channel"] == channel
                    snapshot = await _next(ws, lambda f: "op" not in f and f.get("channel") == channel)
                    assert snapshot["snapshot"] is True
                ask = int(Decimal(inst["ask"]) * E6)
                receipt = await asyncio.to_thread(_submit, web, web.node.order(name, inst["id"], 0, ask, 100_000,
                                                                              tif=1))
                assert receipt.receipt.code == 0 and receipt.receipt.filled_e6 == 100_000
                tx = "0x" + receipt.tx_hash.hex()
                frames: list[dict] = []

                def find(channel, kind=None):
                    return [f for f in frames if "op" not in f and f["channel"] == channel and not f.get("snapshot")
                            and (kind is None or f["data"].get("type") == kind)]

                async with asyncio.timeout(15):  # frames of several channels interleave
                    while not (find("account", "order") and find("trades") and any(
                            b["data"]["number"] >= receipt.block_number for b in find("blocks"))):
                        frames.append(json.loads((await ws.receive()).data))
                fill, order = find("account", "fill")[0], find("account", "order")[0]
                assert fill["key"] == address and fill["data"]["tx"] == tx and fill["data"]["role"] == "taker"
                assert (fill["data"]["side"], fill["data"]["size"], fill["data"]["name"]) == ("buy", "0.1", inst["name"])
                assert order["seq"] == fill["seq"] + 1 and order["data"]["status"] == "filled"
                trade = find("trades")[0]
                assert trade["data"]["tx"] == tx and Decimal(trade["data"]["price"]) * E6 == ask
                seqs = [b["seq"] for b in find("blocks")]
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
                block = next(b for b in find("blocks") if b["data"]["number"] == receipt.block_number)
                assert block["data"]["txs"] >= 1 and block["data"]["hash"].startswith("0x")
                # unsubscribe: acknowledged, and the hub forgets this browser
                await ws.send_json({"op": "unsubscribe", "channel": "trades", "key": inst["name"]})
                ack = await _next(ws, lambda f: f.get("op") == "unsubscribed")
                assert ack["key"] == inst["name"]
                assert not web.web.gateway.hub.channels[("trades", inst["name"])].subscribers

    _run(scenario())


def test_bad_subscriptions_get_an_error_frame(web):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(web.ws_url()) as ws:
                for op, code in (({"op": "subscribe", "channel": "book", "key": "ETH-1JAN99-1-C"}, "unknown_instrument"),
                                 ({"op": "subscribe", "channel": "account", "key": "0x12"}, "bad_address"),
                                 ({"op": "subscribe", "channel": "gossip", "key": "x"}, "bad_request"),
                                 ({"op": "subscribe", "channel": "book", "key": "5", "after_seq": -1}, "bad_request"),
                                 ({"op": "dance"}, "bad_request")):
                    await ws.send_json(op)
                    error = await _next(ws)
                    assert (error["op"], error["code"]) == ("error", code) and error["error"], op
                await ws.send_str("not json")
                assert (await _next(ws))["code"] == "bad_request"
                await ws.send_json({"op": "ping"})
                assert (await _next(ws)) == {"op": "pong"}

    _run(scenario())


def test_a_broken_upstream_stream_is_resubscribed_and_says_so_with_a_snapshot(web):
    """The node ends every stream (as for a slow subscriber): the gateway resubscribes; the account
    channel publishes a snapshot message (events may have been missed) and keeps numbering."""
    import grpc

    carol = "0x" + web.node.address("carol").hex()
    hub = web.web.gateway.hub

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(web.ws_url()) as ws:
                await ws.send_json({"op": "subscribe", "channel": "account", "key": carol})
                first = await _next(ws, _data_of("account", carol))
                assert first["snapshot"] is True
                opened = hub.upstream_subscriptions
                events = web.node.server.events

                async def end_streams():
                    events._end_all(grpc.StatusCode.RESOURCE_EXHAUSTED, "stream: subscriber too slow (test)")  # noqa: SLF001

                web.node.call(end_streams())
                again = await _next(ws, _data_of("account", carol))
                assert again["snapshot"] is True and again["seq"] == first["seq"] + 1
                assert again["data"]["address"] == carol and hub.upstream_subscriptions > opened
                await asyncio.to_thread(_submit, web, web.node.order("carol", 1, 0, 100_000, 100_000))
                event = await _next(ws, _data_of("account", carol))
                assert event["seq"] == again["seq"] + 1 and event["data"]["type"] == "order"
                assert event["data"]["status"] == "resting"

    _run(scenario())
