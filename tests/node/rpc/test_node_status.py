"""The Node status service, and health that turns NOT_SERVING when the sequencer halts or stops."""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node.rpc.generated.optrollup.v1 import status_pb2, status_pb2_grpc, trading_pb2
from node.rpc.status import SERVICE_NAME
from node.rpc.server import SERVICE_NAMES
from tests.node.rpc.node_fixture import E6, DevNode

TIMEOUT = 10.0
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def health_of(channel, service: str = "") -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                     timeout=TIMEOUT).status


def wait_for(predicate, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_status_reports_the_head_and_the_node(node):
    channel = node.channel()
    trading, _ = node.stubs(channel)
    trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=node.order("alice", 5, 0, E6, E6)), timeout=TIMEOUT)
    status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
    sequencer = node.sequencer
    assert status.chain_id == 901 and status.head_number == sequencer.head_number >= 2
    assert status.head_root == sequencer.head_root and status.head_time == sequencer.head_time
    assert status.mempool_depth == 0 and not status.halted and status.halt_reason == ""
    assert status.durability == "memory" and status.data_dir == "" and status.uptime_s > 0
    assert status.tx_per_s > 0  # the order's block is within the last minute
    assert status.version and not status.oracle_running and not status.market_maker_running
    assert health_of(channel, SERVICE_NAME) == SERVING


def test_health_goes_not_serving_when_the_sequencer_halts():
    node = DevNode().start()
    try:
        channel = node.channel()
        assert health_of(channel) == SERVING

        def broken(block):
            raise OSError("disk full")

        node.sequencer.sink.put_block = broken
        trading, _ = node.stubs(channel)
        with pytest.raises(grpc.RpcError) as caught:
            trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=node.order("alice", 5, 0, E6, E6)),
                                      timeout=TIMEOUT)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        for name in ("",) + SERVICE_NAMES + (SERVICE_NAME,):
            assert wait_for(lambda: health_of(channel, name) == NOT_SERVING), name
        status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert status.halted and "disk full" in status.halt_reason  # the status service still answers
    finally:
        node.close()


def test_health_goes_not_serving_on_a_clean_stop():
    node = DevNode().start()
    try:
        channel = node.channel()
        node.call(node.sequencer.stop())
        assert wait_for(lambda: health_of(channel) == NOT_SERVING)
        status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert status.halted and status.halt_reason == "stopped"
    finally:
        node.close()
