"""Prometheus metrics of a node, served over HTTP (``optrollup node --metrics ADDR``).

Each node has its own ``CollectorRegistry`` (never the process-wide default), so tests can
run several nodes in one process. ``NodeMetrics(sequencer, store=...)`` registers:

=========================================  =========  ==========================================
name                                       type       what
=========================================  =========  ==========================================
optrollup_transactions_total{outcome}      counter    included transactions by receipt outcome
                                                      (``OK`` or the ``FailureCode`` name)
optrollup_blocks_total{outcome}            counter    ``committed`` blocks; a failed block by
                                                      its exception type (the sequencer halts)
optrollup_block_seconds                    histogram  apply + persist + acknowledge one block
optrollup_block_interval_seconds           histogram  wall time between consecutive blocks
optrollup_block_transactions               histogram  transactions per block
optrollup_block_bytes                      histogram  raw transaction bytes per block
optrollup_submit_ack_seconds               histogram  client transaction: door to its soft
                                                      confirmation (or refusal)
optrollup_mempool_depth                    gauge      queued transactions (read at scrape time)
optrollup_head_block                       gauge      head block number
optrollup_halted                           gauge      1 once the sequencer halted on a failure
optrollup_store_size_bytes                 gauge      bytes in use in the LMDB store (with one)
optrollup_stream_subscribers               gauge      open stream subscriptions (``watch_subscribers``)
optrollup_oracle_index_age_seconds         gauge      the oldest underlying index's age: the node's clock minus its
                                                      last update's block time (-1 before any index); stale above 60
=========================================  =========  ==========================================

Hooks: ``NodeMetrics`` is a ``BlockObserver`` (blocks, transactions) and wraps the
sequencer instance's doors, ``enqueue`` and ``admit`` (ack latency: a done-callback on the
block future; a refusal by ``admit``'s asynchronous door counts too), and, through
``BlockTimer``, its ``close_block`` (the block's start time), without changing the
``Sequencer`` class. Gauges are callbacks read by the HTTP thread at scrape time (an
``int``/``len`` read; the store size comes from the LMDB environment's info and stat).

``TxRate`` (transactions per second over the last minute) needs no Prometheus and feeds
``optrollup status``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import Callable, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest, start_http_server

from node.sequencer.sequencer import BlockObserver, L2Block, Sequencer
from node.stf.instruments import listed_underlyings
from node.stf.state import State

log = logging.getLogger(__name__)

DEFAULT_METRICS_ADDRESS: Final = "127.0.0.1:9100"
BLOCK_SECONDS_BUCKETS: Final = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
INTERVAL_BUCKETS: Final = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
BLOCK_TXS_BUCKETS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000)
BLOCK_BYTES_BUCKETS: Final = (256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304)
ACK_BUCKETS: Final = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
RATE_WINDOW_S: Final = 60.0


class BlockTimer:
    """Notes when the sequencer starts closing each block (wraps the instance's ``close_block``).

    Observers run inside ``close_block`` after the commit, so ``elapsed()`` there is the
    block's apply + persist + acknowledge time. One timer per sequencer (``of``).
    """

    def __init__(self, sequencer: Sequencer) -> None:
        self.started = time.perf_counter()
        original = sequencer.close_block

        def close_block():
            self.started = time.perf_counter()
            return original()

        sequencer.close_block = close_block
        sequencer._block_timer = self

    @classmethod
    def of(cls, sequencer: Sequencer) -> "BlockTimer":
        return getattr(sequencer, "_block_timer", None) or cls(sequencer)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class TxRate(BlockObserver):
    """Transactions per second over the last ``window_s`` seconds of committed blocks."""

    def __init__(self, window_s: float = RATE_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self.started = clock()
        self._blocks: deque[tuple[float, int]] = deque()
        self._count = 0

    def _trim(self, now: float) -> None:
        while self._blocks and self._blocks[0][0] < now - self.window_s:
            self._count -= self._blocks.popleft()[1]

    def on_block(self, block: L2Block, txs) -> None:
        now = self.clock()
        self._blocks.append((now, len(block.txs)))
        self._count += len(block.txs)
        self._trim(now)

    def rate(self) -> float:
        """Transactions per second over the window (or since start, if shorter)."""
        now = self.clock()
        self._trim(now)
        span = min(self.window_s, now - self.started)
        return self._count / span if span > 0 else 0.0


def store_size_bytes(store) -> float:
    """Bytes in use in an LMDB ``BlockStore`` (last page x page size); NaN if it is closed."""
    try:
        env = store.env
        return float((env.info()["last_pgno"] + 1) * env.stat()["psize"])
    except Exception:  # closed or closing: a scrape must not fail
        return math.nan


class NodeMetrics(BlockObserver):
    """The node's metrics (module docstring). ``attach()`` installs the hooks once."""

    def __init__(self, sequencer: Sequencer, *, store=None, registry: CollectorRegistry | None = None) -> None:
        self.sequencer = sequencer
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.transactions = Counter("optrollup_transactions", "Included transactions by receipt outcome",
                                    ["outcome"], registry=r)
        self.blocks = Counter("optrollup_blocks", "Blocks by outcome (committed, or the failure's type)",
                              ["outcome"], registry=r)
        self.block_seconds = Histogram("optrollup_block_seconds", "Apply, persist and acknowledge one block (s)",
                                       buckets=BLOCK_SECONDS_BUCKETS, registry=r)
        self.block_interval = Histogram("optrollup_block_interval_seconds", "Wall time between blocks (s)",
                                        buckets=INTERVAL_BUCKETS, registry=r)
        self.block_txs = Histogram("optrollup_block_transactions", "Transactions per block",
                                   buckets=BLOCK_TXS_BUCKETS, registry=r)
        self.block_bytes = Histogram("optrollup_block_bytes", "Raw transaction bytes per block",
                                     buckets=BLOCK_BYTES_BUCKETS, registry=r)
        self.ack_seconds = Histogram("optrollup_submit_ack_seconds",
                                     "Client transaction: door to soft confirmation or refusal (s)",
                                     buckets=ACK_BUCKETS, registry=r)
        Gauge("optrollup_mempool_depth", "Queued transactions", registry=r).set_function(
            lambda: len(sequencer.mempool))
        Gauge("optrollup_head_block", "Head block number", registry=r).set_function(lambda: sequencer.head_number)
        Gauge("optrollup_halted", "1 once the sequencer halted on a failure", registry=r).set_function(
            lambda: 0 if sequencer.failure is None else 1)
        if store is not None:
            Gauge("optrollup_store_size_bytes", "Bytes in use in the LMDB store", registry=r).set_function(
                lambda: store_size_bytes(store))
        self._oracle_times: tuple[int, ...] = ()
        self._read_oracle_times()
        Gauge("optrollup_oracle_index_age_seconds", "Age of the oldest underlying index (s); -1 before any",
              registry=r).set_function(self._oracle_age)
        self._timer: BlockTimer | None = None
        self._last_block_at: float | None = None
        self._committed = self.blocks.labels("committed")
        self._outcomes: dict[str, object] = {}

    def attach(self) -> "NodeMetrics":
        """Observe the sequencer and wrap its doors, ``enqueue`` and ``admit`` (ack latency). Call once."""
        if self._timer is not None:
            return self
        self._timer = BlockTimer.of(self.sequencer)
        sequencer = self.sequencer
        observe = self.ack_seconds.observe
        clock = time.perf_counter
        inside = [0]  # ``admit`` may call ``enqueue``: time each submission once

        def timed(original, future_of):
            def door(raw: bytes):
                inside[0] += 1
                try:
                    result = original(raw)
                finally:
                    inside[0] -= 1
                if inside[0] == 0:
                    started = clock()
                    future_of(result).add_done_callback(lambda _f: observe(clock() - started))
                return result
            return door

        sequencer.enqueue = timed(sequencer.enqueue, lambda result: result[1])
        if hasattr(sequencer, "admit"):  # the asynchronous door (signature recovery in workers)
            sequencer.admit = timed(sequencer.admit, lambda future: future)
        sequencer.add_observer(self)
        return self

    def watch_subscribers(self, count: Callable[[], int]) -> None:
        """Add ``optrollup_stream_subscribers``, read from ``count()`` (e.g. ``EventHub.subscriber_count``)."""
        def read() -> float:
            try:
                return float(count())
            except RuntimeError:  # the loop changed a dict mid-count: skip this scrape
                return math.nan

        Gauge("optrollup_stream_subscribers", "Open stream subscriptions", registry=self.registry).set_function(read)

    def _read_oracle_times(self) -> None:
        """Each underlying's last oracle block time (ids from 1 up), read on the loop at each block."""
        view = State(self.sequencer.state.backend)
        self._oracle_times = tuple(u.oracle_time for _, u in listed_underlyings(view))

    def _oracle_age(self) -> float:
        times = self._oracle_times
        if not times or min(times) == 0:
            return -1.0
        return max(self.sequencer.clock() - min(times), 0.0)

    def on_block(self, block: L2Block, txs) -> None:
        self._read_oracle_times()
        now = time.perf_counter()
        if self._timer is not None:
            self.block_seconds.observe(now - self._timer.started)
        if self._last_block_at is not None:
            self.block_interval.observe(now - self._last_block_at)
        self._last_block_at = now
        self._committed.inc()
        self.block_txs.observe(len(block.txs))
        self.block_bytes.observe(sum(len(raw) for raw in block.txs))
        counts: dict[str, int] = {}
        for receipt in block.receipts:
            name = receipt.code.name
            counts[name] = counts.get(name, 0) + 1
        for name, count in counts.items():
            child = self._outcomes.get(name)
            if child is None:
                child = self._outcomes[name] = self.transactions.labels(name)
            child.inc(count)

    def on_halt(self, failure: BaseException | None) -> None:
        if failure is not None:
            self.blocks.labels(type(failure).__name__).inc()

    def exposition(self) -> bytes:
        """The text exposition (what ``/metrics`` serves)."""
        return generate_latest(self.registry)


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` -> (host, port); ``ValueError`` if malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65_535:
        raise ValueError(f"metrics: bad address {address!r} (want host:port)")
    return host.strip("[]"), int(port)


class MetricsServer:
    """``/metrics`` over HTTP in a daemon thread (prometheus_client's WSGI server)."""

    def __init__(self, registry: CollectorRegistry, address: str = DEFAULT_METRICS_ADDRESS) -> None:
        host, port = parse_address(address)
        self.httpd, self.thread = start_http_server(port, addr=host, registry=registry)
        self.host = host
        self.port = self.httpd.server_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
