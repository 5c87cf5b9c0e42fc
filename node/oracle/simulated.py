"""The devnet's simulated market as an HTTP source (``optrollup prices``), and its L1 feeds.

``SimulatedMarket`` moves each underlying's index and one (ATM vol, skew, curvature) point
with the dev oracle's price path (``node.sequencer.dev_oracle.PricePath``: a geometric
Brownian motion per underlying, moves capped per step, the vol mean-reverting) once per
``tick()``. ``document(now)`` is the ``http_source`` JSON: the index, and a flat surface
with that point at each expiry of the listing schedule (``schedule.expiries``; at most
``MAX_SURFACE_POINTS``), so every series the lister lists is priced on its own expiry.

``PricesServer`` serves ``GET /prices`` (the document) and ``GET /health`` from a thread,
and ticks the market every ``interval_s``; with ``feeds`` it also posts each index to its
L1 feed (``bridge.price_feed.FeedPoster``) every ``feed_interval_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable

from node.oracle.json_http import json_handler
from node.oracle.schedule import Schedule, expiries
from node.sequencer.dev_oracle import PricePath
from node.stf.params import MAX_SURFACE_POINTS
from node.stf.records import Underlying
from node.stf.txtypes import VolPoint

log = logging.getLogger(__name__)


class SimulatedMarket:
    """Per underlying name: an index (e6) and one vol point, moved by ``tick()`` (thread-safe)."""

    def __init__(self, start: dict[str, tuple[int, int]], *, seed: int | str = 0, interval_s: float = 1.0,
                 speed: float = 1.0, schedule: Schedule = Schedule()) -> None:
        if not start:
            raise ValueError("prices: at least one underlying")
        self.names = tuple(name.upper() for name in start)
        self.path = PricePath(seed, interval_s=interval_s, speed=speed,
                              base_vols_e6={k: vol for k, (_, vol) in enumerate(start.values(), 1)})
        self.state = {name.upper(): (index, VolPoint(0, vol, 0, 0)) for name, (index, vol) in start.items()}
        self.schedule = schedule
        self.lock = threading.Lock()
        self.ticks = 0

    def tick(self) -> None:
        with self.lock:
            for uid, name in enumerate(self.names, 1):
                index, point = self.state[name]
                step = self.path.step(uid, Underlying(name.encode(), index, 0, (point,)))
                if step is not None:
                    self.state[name] = (step.index_price_e6, step.surface[0])
            self.ticks += 1

    def index_e6(self, name: str) -> int:
        with self.lock:
            return self.state[name.upper()][0]

    def document(self, now: int) -> dict:
        """The ``http_source`` document at ``now`` (module docstring)."""
        times = list(expiries(now, self.schedule))[:MAX_SURFACE_POINTS]
        with self.lock:
            return {"time": now, "underlyings": {
                name: {"index_e6": index, "surface": [
                    {"expiry": t, "atm_vol_e6": p.atm_vol_e6, "skew_e6": p.skew_e6, "curvature_e6": p.curvature_e6}
                    for t in times]}
                for name, (index, p) in self.state.items()}}


class PricesServer:
    """Serves a ``SimulatedMarket`` over HTTP and ticks it (module docstring). ``start()``, ``close()``."""

    def __init__(self, market: SimulatedMarket, address: tuple[str, int], *, interval_s: float = 1.0,
                 feeds: dict[str, object] | None = None, feed_interval_s: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.market = market
        self.interval_s = interval_s
        self.feeds = feeds or {}
        self.feed_interval_s = feed_interval_s
        self.clock = clock
        self.stopping = threading.Event()
        self.feed_errors = 0
        self.feed_posts = 0
        server = self

        def route(path: str) -> tuple[int, object]:
            if path.split("?")[0] in ("/", "/prices"):
                return 200, server.market.document(int(server.clock()))
            if path == "/health":
                return 200, {"ticks": server.market.ticks, "feed_posts": server.feed_posts,
                             "feed_errors": server.feed_errors}
            return 404, {"error": "not found: GET /prices or /health"}

        self.httpd = ThreadingHTTPServer(address, json_handler(route))
        self.threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/prices"

    def _ticker(self) -> None:
        while not self.stopping.wait(self.interval_s):
            self.market.tick()

    def _poster(self) -> None:
        while not self.stopping.wait(self.feed_interval_s):
            for name, poster in self.feeds.items():
                try:
                    poster.post(self.market.index_e6(name))
                    self.feed_posts += 1
                except Exception as exc:  # noqa: BLE001 - an L1 hiccup: the next round tries again
                    self.feed_errors += 1
                    log.warning("prices: cannot post %s to its L1 feed: %s", name, exc)

    def start(self) -> "PricesServer":
        targets = [self.httpd.serve_forever, self._ticker] + ([self._poster] if self.feeds else [])
        for target in targets:
            thread = threading.Thread(target=target, daemon=True, name=f"prices-{target.__name__}")
            thread.start()
            self.threads.append(thread)
        return self

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self.threads:
            thread.join(10)
