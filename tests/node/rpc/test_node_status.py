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


def test_status_and_health_report_a_stale_oracle():
    from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc
    from node.rpc.underlyings import ORACLE_HEALTH_NAME
    from tests.node.rpc.node_fixture import T0

    node = DevNode().start()
    try:
        channel = node.channel()
        stub = status_pb2_grpc.NodeStub(channel)
        status = stub.GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert [(f.name, f.index_e6, f.oracle_time, f.age_s, f.stale) for f in status.oracle] == [
            ("ETH", 3_000 * E6, T0 + 60, 0, False), ("BTC", 100_000 * E6, T0 + 60, 0, False)]
        assert not status.oracle_stale
        assert wait_for(lambda: health_of(channel, ORACLE_HEALTH_NAME) == SERVING)
        listed = query_pb2_grpc.QueryStub(channel).ListUnderlyings(query_pb2.ListUnderlyingsRequest(), timeout=TIMEOUT)
        eth = listed.underlyings[0]
        assert (eth.underlying_id, eth.name, eth.index_e6, eth.oracle_sequence, eth.observation_time, eth.series) == (
            1, "ETH", 3_000 * E6, 1, T0, 30)
        assert len(eth.surface) == 3 and eth.surface[0].atm_vol_e6 == 650_000
        assert listed.block_number == node.sequencer.head_number and listed.block_time == T0 + 60
        node.sequencer.clock = lambda: T0 + 60 + 61  # no update for 61 s: stale
        status = stub.GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert [(f.age_s, f.stale) for f in status.oracle] == [(61, True), (61, True)] and status.oracle_stale
        assert wait_for(lambda: health_of(channel, ORACLE_HEALTH_NAME) == NOT_SERVING, 5.0)
        assert health_of(channel) == SERVING  # the chain itself goes on
    finally:
        node.close()
