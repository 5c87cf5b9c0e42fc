"""Oracle benchmark: update latency from the source to the block, through the whole path.

A dev node (dev chain, in-memory state, gRPC) runs in a thread of this process with the
real clock; ``optrollup prices``' simulated market is served over HTTP by another thread;
a ``node.oracle.feeder.Feeder`` signs with the dev oracle key. Each round reads the node's
underlyings, fetches the HTTP source, runs the guards and submits one ``OracleUpdate`` per
underlying (ETH, BTC), each waiting for its block (the sequencer's default block time).

Figures (``ROUNDS`` rounds each, before and after the lister's schedule is listed):

- ``oracle.update_latency_ms_p50`` / ``_p99``: from the round's start (the source read) to
  the update's receipt, per underlying; ``series`` says how many series each update marks
  (one Black-Scholes price and scenario vector per series, in the block);
- ``oracle.round_ms_p50``: one whole round (both underlyings, sequential).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Final

from bench.common import emit

ROUNDS: Final = 20


class _Node:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="bench-node")
        self.server = None
        self.sequencer = None

    def call(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        from node.rpc.server import serve
        from node.sequencer.dev import bootstrap, dev_chain
        from node.sequencer.sequencer import Sequencer

        chain = dev_chain(int(time.time()))
        self.sequencer = Sequencer.from_genesis(chain.genesis)
        await self.sequencer.start()
        await bootstrap(self.sequencer, chain)
        self.server = await serve(self.sequencer, "127.0.0.1:0", dev=True)

    def start(self) -> "_Node":
        self.thread.start()
        self.call(self._start())
        return self

    def close(self) -> None:
        self.call(self.server.stop(0.5))
        self.call(self.sequencer.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _measure(feeder, market, label: str, series: int) -> None:
    latencies, rounds = [], []
    for _ in range(ROUNDS):
        market.tick()
        started = time.perf_counter()
        outcomes = feeder.round()
        rounds.append(time.perf_counter() - started)
        assert all(o.decision.post and not o.refused for o in outcomes), [o.decision.withheld or o.refused
                                                                           for o in outcomes]
        latencies += [feeder.feeds[o.decision.underlying].latency_s for o in outcomes]
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    emit("oracle", "update_latency_ms_p50", statistics.median(latencies) * 1000, "ms", series=series, case=label)
    emit("oracle", "update_latency_ms_p99", p99 * 1000, "ms", series=series, case=label)
    emit("oracle", "round_ms_p50", statistics.median(rounds) * 1000, "ms", series=series, case=label,
         underlyings=2)


def run() -> None:
    from node.client import Client
    from node.oracle.feeder import Feeder
    from node.oracle.guards import GuardConfig
    from node.oracle.http_source import HttpJsonSource
    from node.oracle.lister import Lister
    from node.oracle.schedule import Schedule
    from node.oracle.simulated import PricesServer, SimulatedMarket
    from node.sequencer.dev import ADMIN_KEY, ORACLE_KEY

    node = _Node().start()
    market = SimulatedMarket({"ETH": (3_000 * 10**6, 650_000), "BTC": (100_000 * 10**6, 550_000)}, seed=3)
    prices = PricesServer(market, ("127.0.0.1", 0), interval_s=3600).start()
    target = f"127.0.0.1:{node.server.port}"
    try:
        with Client(target, ORACLE_KEY) as oracle, Client(target, ADMIN_KEY) as admin:
            feeder = Feeder(oracle, [HttpJsonSource(prices.url)], GuardConfig())
            per_underlying = lambda: max(u.series for u in oracle.underlyings()[0])  # noqa: E731
            _measure(feeder, market, "dev chain", per_underlying())
            Lister(admin, Schedule()).run_once()
            _measure(feeder, market, "dev chain + the lister's schedule", per_underlying())
    finally:
        prices.close()
        node.close()


if __name__ == "__main__":
    run()
