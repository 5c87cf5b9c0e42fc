"""The node's gRPC server: ``serve(sequencer, address)`` wires the services and starts it.

It serves the ``Trading`` (``node.rpc.trading``), ``Query`` (``node.rpc.query``) and
``Stream`` services (``protos/optrollup/v1``; the streams are fed by one
``events.EventHub`` observing the sequencer), the ``Node`` status service, the standard
health service (``grpc.health.v1.Health``: SERVING once started) and server reflection;
``Dev`` on development chains. ``NodeServer.stop(grace)`` is graceful: health goes
NOT_SERVING, new calls are refused, calls in flight get ``grace`` seconds.

Every request is parsed by ``undecodable.CheckedRequests``: bytes that are not the
method's message get INVALID_ARGUMENT (never UNKNOWN), logged at most once per interval.

Limits (see ``trading`` for how each is answered; all RESOURCE_EXHAUSTED):

- a request is at most ``max_message_bytes`` (4 KiB); a ``SubmitBatchStream`` message at
  most ``max_batch_bytes`` (128 KiB, gRPC's receive limit for every call) with at most
  ``max_batch_txs`` transactions (256);
- per peer address (``peers.peer_key``: the client's IP, every connection of it together):
  a token bucket of ``burst`` transactions refilled at ``rate_per_s`` (defaults 2,000 and
  1,000/s, a fifth of the node's throughput target, so one address cannot saturate it);
- per signing account, in the mempool (``sender_limits``, ``mempool.SenderLimits``: 1,000
  pending, 500/s with bursts of 1,000, and a share of a nearly full pool);
  ``sender_limits=None`` lifts them (benchmarks).

The listening address is exclusive: ``grpc.so_reuseport`` is off, so a second node on a
port in use fails to start (``OSError`` with the address) instead of splitting the
clients with the first.
"""

from __future__ import annotations

import errno
import socket
from typing import Final

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from node.rpc import query, streams
from node.rpc.events import EventHub
from node.rpc.index_history import IndexHistory
from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc, stream_pb2_grpc, trading_pb2, trading_pb2_grpc
from node.rpc.trading import MAX_BATCH_TXS, MAX_MESSAGE_BYTES, TradingServicer
from node.rpc.undecodable import CheckedRequests
from node.sequencer.mempool import SenderLimits
from node.sequencer.sequencer import Sequencer
from node.sequencer.token_bucket import TokenBuckets

DEFAULT_ADDRESS: Final = "127.0.0.1:50051"
# Per peer address: a fifth of the node's throughput target (5,000 orders/s, the gRPC
# benchmark's), so one address leaves most of it to the others; the burst covers a market
# maker re-quoting every series at once, and is at least a batch (256: admitted whole).
DEFAULT_RATE_PER_S: Final = 1_000.0
DEFAULT_BURST: Final = 2_000.0
DEFAULT_SENDER_LIMITS: Final = SenderLimits()
MAX_BATCH_MESSAGE_BYTES: Final = 128 * 1024
SERVICE_NAMES: Final = (
    trading_pb2.DESCRIPTOR.services_by_name["Trading"].full_name,
    query_pb2.DESCRIPTOR.services_by_name["Query"].full_name,
    streams.SERVICE_NAME,
)


class NodeServer:
    """A running gRPC server: ``port`` is the bound port; ``stop(grace)`` shuts it down."""

    def __init__(self, server: grpc.aio.Server, health_servicer, port: int, events: EventHub | None = None,
                 checked: CheckedRequests | None = None, oracle_health=None) -> None:
        self.server = server
        self.oracle_health = oracle_health
        self.health = health_servicer
        self.port = port
        self.events = events
        self.checked = checked
        self.index_history = None  # node.rpc.index_history.IndexHistory, set by ``serve``

    async def stop(self, grace: float | None = 1.0) -> None:
        if self.oracle_health is not None:
            self.oracle_health.stop()
        await self.health.enter_graceful_shutdown()
        if self.events is not None:
            self.events.detach()  # subscriptions end UNAVAILABLE instead of holding the grace period
        if self.index_history is not None:
            self.index_history.detach()
        await self.server.stop(grace)
        if self.checked is not None:
            self.checked.log.close()

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()


def check_free(address: str) -> None:
    """``OSError`` if something already listens on ``address`` (``host:port``; port 0 is
    always free): a node calls it before its start-up work, so a busy port fails at once and
    changes nothing. ``bind`` remains the guard (the port may be taken in between)."""
    host, _, port = address.rpartition(":")
    if not port.isdigit() or int(port) == 0:
        return
    try:
        found = socket.getaddrinfo(host.strip("[]") or None, int(port), type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return  # not resolvable: ``bind`` reports it
    for family, kind, proto, _, sockaddr in found:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC: TIME_WAIT is no conflict
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise OSError(f"rpc: cannot listen on {address}: the address is in use (another node?)") from None


def bind(server: grpc.aio.Server, address: str) -> int:
    """Listen on ``address`` (``host:0``: any free port) and return the port; ``OSError``
    if it cannot be bound (in use by another process: the server is built without
    ``SO_REUSEPORT``, so gRPC refuses to share it) or is not the port asked for."""
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if port == 0:
        raise OSError(f"rpc: cannot listen on {address}: the address is in use (another node?) or not available")
    asked = address.rpartition(":")[2]
    if asked.isdigit() and int(asked) not in (0, port):
        raise OSError(f"rpc: asked to listen on {address}, bound port {port}")
    return port


async def serve(
    sequencer: Sequencer,
    address: str = DEFAULT_ADDRESS,
    *,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    burst: float = DEFAULT_BURST,
    sender_limits: SenderLimits | None = DEFAULT_SENDER_LIMITS,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_batch_bytes: int = MAX_BATCH_MESSAGE_BYTES,
    max_batch_txs: int = MAX_BATCH_TXS,
    dev: bool = False,
    info=None,
    proofs=None,
    rollup=None,
) -> NodeServer:
    """Start the services on ``address`` (``host:0`` picks a free port) and return the server.

    The sequencer must be started (``await sequencer.start()``) for submissions to succeed.
    ``rate_per_s`` / ``burst`` limit each peer address, ``sender_limits`` each signing
    account (set on the sequencer's mempool). ``dev=True`` (development chains only) adds
    the ``Dev`` service (``node.rpc.dev_faucet``). The ``Node`` status service
    (``node.rpc.status``; ``info``: its ``NodeInfo``) is always served, and health turns
    NOT_SERVING for every service when the sequencer halts or stops. ``rollup``
    (``node.rpc.rollup.RollupView``, nodes with an L1) answers ``Query.GetRollup``'s L1 part.
    ``OSError`` if the address cannot be bound (``bind``).
    """
    if not burst >= max_batch_txs:
        raise ValueError(f"rpc: burst ({burst:g}) must be at least max_batch_txs ({max_batch_txs}): "
                         "a batch is admitted whole")
    service_names = SERVICE_NAMES
    checked = CheckedRequests()
    server = grpc.aio.server(interceptors=[checked], options=[
        # The largest message any call accepts (a batch); single requests are checked in the servicer.
        ("grpc.max_receive_message_length", max(max_message_bytes, max_batch_bytes)),
        ("grpc.max_send_message_length", 4 * 1024 * 1024),
        ("grpc.so_reuseport", 0),  # a port in use is an error, never shared with another process
    ])
    port = bind(server, address)
    sequencer.mempool.set_sender_limits(sender_limits)
    trading_pb2_grpc.add_TradingServicer_to_server(
        TradingServicer(sequencer, TokenBuckets(rate_per_s, burst), max_message_bytes=max_message_bytes,
                        max_batch_txs=max_batch_txs), server)
    events = EventHub(sequencer).attach()
    index_history = IndexHistory(sequencer).attach()
    query_pb2_grpc.add_QueryServicer_to_server(query.QueryServicer(sequencer, events, proofs, rollup, index_history), server)
    stream_pb2_grpc.add_StreamServicer_to_server(streams.StreamServicer(events), server)
    if dev:
        from node.rpc import dev_faucet  # development only: never registered otherwise

        service_names += (dev_faucet.add_to_server(sequencer, server),)
    from node.rpc import status as node_status

    status_servicer = node_status.add_to_server(sequencer, server, info)
    service_names += (node_status.SERVICE_NAME,)
    health_servicer = node_status.Health()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        service_names + (health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    await server.start()
    for name in ("",) + service_names:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    node_status.watch_health(sequencer, health_servicer, ("",) + service_names)
    oracle_health = node_status.OracleHealth(status_servicer, health_servicer)
    oracle_health.start()
    node_server = NodeServer(server, health_servicer, port, events, checked, oracle_health)
    node_server.index_history = index_history
    return node_server
