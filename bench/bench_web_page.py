"""Web page benchmark: the page (node/web/static) in headless Chromium against a real dev node.

The node (``optrollup node --dev --no-oracle --web``) runs in a subprocess; the page is driven
by Playwright with Debian's ``chromium`` (``make browser`` installs it; without it this bench
prints a note on stderr and no figure).

Figures:

- ``web_page.chain_first_render_ms_p50`` / ``_max``: from navigation start to the option chain
  drawn with its data (the view's ``data-ready``: index, smile, 30 series), each load in a fresh
  browser context (no cache), ``LOADS`` loads.
- ``web_page.book_ack_to_screen_ms_p50`` / ``_p99``: another client (Python, gRPC) changes the book
  of the ETH at-the-money call (a bid placed inside the spread, then cancelled, ``UPDATES``
  times); from the node's acknowledgement of the transaction (its block committed) to the
  browser having painted the new book (the first animation frame after the redraw): the
  gateway's upstream stream, the WebSocket fan-out, the page's redraw and paint. Clocks: the
  same machine's wall clock on both sides (ms).
- ``web_page.book_frame_to_paint_ms_p50`` / ``_p99``: the page's own part: from the WebSocket
  frame's arrival to the paint.

Client, node and browser share this machine's cores with whatever else runs: read the
figures as a ceiling of what a person sees on a laptop against a local node.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from typing import Final

from bench.common import emit

LOADS: Final = 10
UPDATES: Final = 60
PACE_S: Final = 0.15
CHROMIUM: Final = "/usr/bin/chromium"
LAUNCH_ARGS: Final = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT_S: Final = 60


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Node:
    """``optrollup node --dev --no-oracle --web 127.0.0.1:0`` in a subprocess: ``url``, ``grpc``."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "node", "--dev", "--no-oracle", "--listen", "127.0.0.1:0",
             "--web", "127.0.0.1:0", "--metrics", "off"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = self.grpc = ""
        deadline = time.monotonic() + START_TIMEOUT_S
        lines = []
        while time.monotonic() < deadline and not self.grpc:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if m := re.match(r"web page on (http://\S+?)/? ", line):
                self.url = m.group(1)
            if line.startswith("listening on "):
                self.grpc = line.split()[-1]
        if not (self.url and self.grpc):
            self.close()
            raise RuntimeError(f"the node did not start: {''.join(lines)[-2000:]}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _first_render(browser, url: str) -> list[float]:
    times = []
    for _ in range(LOADS):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/#/chain/ETH")
        page.wait_for_selector("#view[data-ready=chain]", timeout=30_000)
        times.append(page.evaluate("window.__optrollup.firstReady"))
        context.close()
    return times


def _book_latency(browser, node: _Node) -> tuple[list[float], list[float]]:
    from node.client import Client
    from node.sequencer.dev import dev_key

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    ack_to_paint, frame_to_paint = [], []
    with Client(node.grpc, dev_key("carol")) as carol:
        inst = carol.instrument("ETH-ATM-C")
        page.goto(f"{node.url}/#/instrument/{inst.name}")
        page.wait_for_selector("#view[data-ready=instrument]", timeout=30_000)
        page.wait_for_function("(window.__optrollup.bookFrames || []).length > 0", timeout=30_000)
        book = carol.book(inst.name)
        price = Decimal(book.bids[0].price_e6 + inst.tick_size_e6) / 10**6
        for i in range(UPDATES):
            receipt = carol.buy(inst.name, "0.1", str(price)) if i % 2 == 0 else carol.cancel(order_id)
            acked_ms = time.time() * 1000
            if i % 2 == 0:
                order_id = receipt.order_id
            block = receipt.block_number
            frame = page.wait_for_function(
                f"(window.__optrollup.bookFrames || []).find(f => f.block >= {block}) || null", timeout=10_000).json_value()
            ack_to_paint.append(frame["wall"] - acked_ms)
            frame_to_paint.append(frame["painted"] - frame["recv"])
            time.sleep(PACE_S)
    context.close()
    return ack_to_paint, frame_to_paint


def run() -> None:
    if not os.path.exists(CHROMIUM):
        print("bench_web_page: no chromium (make browser installs it): no figure", file=sys.stderr)
        return
    from playwright.sync_api import sync_playwright

    node = _Node()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                loads = _first_render(browser, node.url)
                emit("web_page", "chain_first_render_ms_p50", statistics.median(loads), "ms", loads=LOADS)
                emit("web_page", "chain_first_render_ms_max", max(loads), "ms", loads=LOADS)
                ack, paint = _book_latency(browser, node)
                emit("web_page", "book_ack_to_screen_ms_p50", _pct(ack, 0.5), "ms", updates=len(ack))
                emit("web_page", "book_ack_to_screen_ms_p99", _pct(ack, 0.99), "ms", updates=len(ack))
                emit("web_page", "book_frame_to_paint_ms_p50", _pct(paint, 0.5), "ms", updates=len(paint))
                emit("web_page", "book_frame_to_paint_ms_p99", _pct(paint, 0.99), "ms", updates=len(paint))
            finally:
                browser.close()
    finally:
        node.close()


if __name__ == "__main__":
    run()
