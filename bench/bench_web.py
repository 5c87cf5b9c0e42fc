"""Web gateway benchmark (issue 15): request latency of the JSON API and WebSocket fan-out latency.

The node is the real ``optrollup node --dev --web 127.0.0.1:0`` in a subprocess (no dev oracle,
no market maker: the head moves only with the benchmark's orders), so client and server do not
share a GIL. Figures:

- ``web.<endpoint>_ms_p50`` / ``_p99`` for ``info``, ``chain`` (the ETH option chain: 30 series
  with marks, Greeks and book tops), ``book`` and ``account``: ``REQUESTS`` sequential GETs each
  over one keep-alive connection (aiohttp), time to the whole JSON body.
- ``web.ws_book_ms_p50`` / ``_p99``: ``BROWSERS`` WebSocket clients subscribed to one series'
  book; one gRPC client sends ``ORDERS`` resting bids, each at a new price, paced at
  ``PACE_PER_S``; time from sending the order to each browser receiving the full book that holds
  its level (the order's door, block and commit, the node's book stream, the gateway's fan-out).
  ``web.ws_ack_ms_p50`` is the same orders' gRPC acknowledgement (the soft confirmation) for
  comparison: the difference is what the stream and the fan-out add.

On this machine the client and the node share 2 cores with other work: read the figures as a
ceiling on latency.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Final

from bench.common import emit

REQUESTS: Final = 200
BROWSERS: Final = 20
ORDERS: Final = 100
PACE_PER_S: Final = 20.0
E6: Final = 10**6
START_TIMEOUT_S: Final = 90


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _start() -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "node", "--dev", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0",
         "--no-oracle", "--no-market-maker", "--metrics", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = target = ""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and not target:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("web page on "):
            url = line.split()[3]
        elif line.startswith("listening on "):
            target = line.split()[-1]
    if not (url and target):
        proc.kill()
        raise RuntimeError("bench_web: the node did not start")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # never block the node on a full pipe
    return proc, url, target


async def _requests(url: str, address: str) -> None:
    import aiohttp

    paths = {"info": "api/info", "chain": "api/chain?underlying=ETH", "book": "api/book/ETH-ATM-C",
             "account": f"api/account/{address}"}
    async with aiohttp.ClientSession() as session:
        for name, path in paths.items():
            times = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                async with session.get(url + path) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                times.append((time.perf_counter() - start) * 1000)
            emit("web", f"{name}_ms_p50", statistics.median(times), "ms", requests=REQUESTS)
            emit("web", f"{name}_ms_p99", _percentile(times, 0.99), "ms", requests=REQUESTS)


async def _fanout(url: str, target: str) -> None:
    import aiohttp
    import grpc

    from node.rpc.generated.optrollup.v1 import trading_pb2, trading_pb2_grpc
    from node.sequencer.dev import dev_key
    from node.stf.eip712 import Domain
    from node.stf.txtypes import PlaceOrder
    from node.wallet import sign_tx

    async with aiohttp.ClientSession() as session:
        async with session.get(url + "api/info") as response:
            domain_json = (await response.json())["domain"]
        async with session.get(url + "api/instrument/ETH-ATM-C") as response:
            inst = await response.json()
        domain = Domain(domain_json["chainId"], bytes.fromhex(domain_json["verifyingContract"][2:]))
        tick = int(Decimal(inst["tick"]) * E6)
        key = dev_key("carol")
        prices = [(k + 1) * tick for k in range(ORDERS)]  # far below the mark: each rests at a new level
        raws = [sign_tx(key, PlaceOrder(nonce, inst["id"], 0, price, 100_000, 0, False, 0, 0), domain)
                for nonce, price in enumerate(prices)]
        sent: dict[str, float] = {}
        seen: list[float] = []
        ready = asyncio.Event()
        subscribed = 0

        async def browser() -> None:
            nonlocal subscribed
            async with session.ws_connect(url.replace("http://", "ws://") + "api/ws") as ws:
                await ws.send_json({"op": "subscribe", "channel": "book", "key": inst["name"]})
                known: set[str] = set()
                async for message in ws:
                    frame = message.json()
                    if frame.get("op") == "subscribed":
                        subscribed += 1
                        if subscribed == BROWSERS:
                            ready.set()
                        continue
                    now = time.perf_counter()
                    for level in frame["data"]["bids"]:
                        price = level["price_raw"]
                        if price in sent and price not in known:
                            known.add(price)
                            seen.append((now - sent[price]) * 1000)
                    if len(known) == ORDERS:
                        return

        browsers = [asyncio.create_task(browser()) for _ in range(BROWSERS)]
        await asyncio.wait_for(ready.wait(), 30)
        await asyncio.sleep(0.5)  # every snapshot delivered
        acks = []
        async with grpc.aio.insecure_channel(target) as channel:
            stub = trading_pb2_grpc.TradingStub(channel)
            start = time.perf_counter()
            for i, (raw, price) in enumerate(zip(raws, prices)):
                delay = start + i / PACE_PER_S - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent[str(price)] = time.perf_counter()
                response = await stub.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=30)
                acks.append((time.perf_counter() - sent[str(price)]) * 1000)
                assert response.receipt.code == 0, response.receipt.failure_name
        await asyncio.wait_for(asyncio.gather(*browsers), 60)
        emit("web", "ws_book_ms_p50", statistics.median(seen), "ms", browsers=BROWSERS, orders=ORDERS)
        emit("web", "ws_book_ms_p99", _percentile(seen, 0.99), "ms", browsers=BROWSERS, orders=ORDERS)
        emit("web", "ws_ack_ms_p50", statistics.median(acks), "ms", orders=ORDERS)


def run() -> None:
    proc, url, target = _start()
    try:
        from node.sequencer.dev import dev_key
        from node.wallet import address_of

        asyncio.run(_requests(url, "0x" + address_of(dev_key("alice")).hex()))
        asyncio.run(_fanout(url, target))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


if __name__ == "__main__":
    run()
