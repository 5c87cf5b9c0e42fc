"""The ``Node`` gRPC service (``status.proto``) and health that follows the sequencer.

``GetStatus`` answers from the sequencer's head (number, time, root), its mempool, a
``metrics.TxRate`` observer (transactions per second over the last minute) and a mutable
``NodeInfo`` the node fills in (data directory, durability, the dev tasks, the metrics URL).

``HealthOnHalt`` is a sequencer observer: when the sequencer halts on a failure, or stops
cleanly, it sets every served name of the standard health service (``""`` and each service)
to NOT_SERVING, so a load balancer or an orchestrator stops sending traffic to a node that
can no longer produce blocks; ``GetStatus`` keeps answering, with ``halted`` and the reason.
While the sequencer pauses (its L1 view is too old) health is NOT_SERVING too, and SERVING
again when it resumes; ``GetStatus`` then says ``halted`` with the reason "paused: ...".

``Health`` is the standard health service with ``List`` too: the library's asyncio
servicer leaves it to a synchronous stub that raises, so each call logged a traceback.

The oracle section (``underlyings.oracle_feeds``): each underlying's index age against the
node's clock, stale beyond 60 s; while any is stale ``oracle_stale`` is set and the health
name ``optrollup.oracle`` is NOT_SERVING (``OracleHealth``, checked every few seconds; the
node's own names stay SERVING: the chain goes on at the last marks).

``serve()`` registers them (``add_to_server``, ``Health``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable, Final, Iterable

from grpc_health.v1 import health, health_pb2

from node.metrics import TxRate
from node.rpc import underlyings
from node.rpc.generated.optrollup.v1 import status_pb2, status_pb2_grpc
from node.sequencer.sequencer import BlockObserver, Sequencer
from node.stf.state import State

log = logging.getLogger(__name__)

SERVICE_NAME: Final = status_pb2.DESCRIPTOR.services_by_name["Node"].full_name


def package_version() -> str:
    try:
        return metadata.version("optrollup")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


@dataclass
class NodeInfo:
    """What the node knows about itself beyond the sequencer (set by ``optrollup node``).

    ``oracle`` and ``market_maker`` are anything with a ``running`` attribute (the dev tasks).
    """

    started: float = field(default_factory=time.monotonic)
    data_dir: str = ""
    durability: str = "memory"
    dev: bool = False
    oracle: object | None = None
    market_maker: object | None = None
    metrics_url: str = ""
    l1: Callable[[], dict] | None = None  # the L1Status fields, read at each GetStatus


class StatusServicer(status_pb2_grpc.NodeServicer):
    def __init__(self, sequencer: Sequencer, info: NodeInfo | None = None) -> None:
        self.sequencer = sequencer
        self.info = info if info is not None else NodeInfo()
        self.rate = TxRate()
        sequencer.add_observer(self.rate)

    def status(self) -> status_pb2.StatusResponse:
        sequencer, info = self.sequencer, self.info
        failure = sequencer.failure
        paused = sequencer.paused
        halted = failure is not None or not sequencer.running or bool(paused)
        reason = repr(failure) if failure is not None else (
            "stopped" if not sequencer.running else (f"paused: {paused}" if paused else ""))
        feeds = self.oracle_feeds()
        return status_pb2.StatusResponse(
            chain_id=sequencer.chain_id, head_number=sequencer.head_number, head_time=sequencer.head_time,
            head_root=sequencer.head_root, mempool_depth=len(sequencer.mempool),
            uptime_s=time.monotonic() - info.started, tx_per_s=self.rate.rate(), version=package_version(),
            durability=info.durability, data_dir=info.data_dir, halted=halted, halt_reason=reason,
            oracle_running=bool(getattr(info.oracle, "running", False)),
            market_maker_running=bool(getattr(info.market_maker, "running", False)),
            metrics_url=info.metrics_url, dev=info.dev,
            l1=None if info.l1 is None else status_pb2.L1Status(**info.l1()),
            oracle=feeds, oracle_stale=any(f.stale for f in feeds),
        )

    def oracle_feeds(self) -> list[status_pb2.OracleFeed]:
        return underlyings.oracle_feeds(State(self.sequencer.state.backend), int(self.sequencer.clock()))

    async def GetStatus(self, request, context):
        return self.status()


class Health(health.aio.HealthServicer):
    """``grpc.health.v1.Health`` with ``List``: every name set (``""`` and each service) and its status."""

    async def List(self, request, context) -> health_pb2.HealthListResponse:
        return health_pb2.HealthListResponse(statuses={
            name: health_pb2.HealthCheckResponse(status=status) for name, status in self._server_status.items()})


class HealthOnHalt(BlockObserver):
    """Sets every name in ``names`` NOT_SERVING when the sequencer stops (module docstring)."""

    def __init__(self, health_servicer, names: Iterable[str]) -> None:
        self.health = health_servicer
        self.names = tuple(names)
        self.task: asyncio.Task | None = None

    async def _not_serving(self) -> None:
        await self._set(health_pb2.HealthCheckResponse.NOT_SERVING)

    async def _set(self, status) -> None:
        for name in self.names:
            await self.health.set(name, status)

    def on_pause(self, reason: str) -> None:
        serving = health_pb2.HealthCheckResponse
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - the sequencer checks its L1 view on the loop
            return
        self.task = loop.create_task(self._set(serving.NOT_SERVING if reason else serving.SERVING),
                                     name="health-pause")

    def on_halt(self, failure: BaseException | None) -> None:
        if failure is not None:
            log.error("health: NOT_SERVING (sequencer halted: %r)", failure)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - the sequencer always runs on the loop
            return
        self.task = loop.create_task(self._not_serving(), name="health-not-serving")


class OracleHealth:
    """Sets the health name ``optrollup.oracle`` SERVING while every index is fresh, NOT_SERVING
    while any is stale (``StatusServicer.oracle_feeds``), every ``interval_s``."""

    def __init__(self, servicer: StatusServicer, health_servicer, interval_s: float = 2.0) -> None:
        self.servicer = servicer
        self.health = health_servicer
        self.interval_s = interval_s
        self.task: asyncio.Task | None = None

    async def check(self) -> bool:
        stale = [f.name for f in self.servicer.oracle_feeds() if f.stale]
        serving = health_pb2.HealthCheckResponse
        await self.health.set(underlyings.ORACLE_HEALTH_NAME, serving.NOT_SERVING if stale else serving.SERVING)
        return not stale

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - a read racing a stop: try again next time
                log.debug("oracle health check failed", exc_info=True)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(), name="oracle-health")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()


def add_to_server(sequencer: Sequencer, server, info: NodeInfo | None = None) -> StatusServicer:
    """Register the ``Node`` service on ``server``; returns its servicer (``SERVICE_NAME`` is its name)."""
    servicer = StatusServicer(sequencer, info)
    status_pb2_grpc.add_NodeServicer_to_server(servicer, server)
    return servicer


def watch_health(sequencer: Sequencer, health_servicer, names: Iterable[str]) -> HealthOnHalt:
    """Make ``health_servicer`` follow the sequencer (``HealthOnHalt``) and return the observer."""
    observer = HealthOnHalt(health_servicer, names)
    sequencer.add_observer(observer)
    return observer
