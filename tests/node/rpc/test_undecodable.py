"""Bytes that are not the method's request message: INVALID_ARGUMENT on every method, and a
few log lines (no traceback), however many such requests arrive."""

from __future__ import annotations

import asyncio
import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from node.rpc.generated.optrollup.v1 import (
    dev_pb2,
    query_pb2,
    status_pb2,
    stream_pb2,
    trading_pb2,
)
from node.rpc.generated.optrollup.v1 import query_pb2_grpc
from node.rpc.undecodable import ThrottledLog
from tests.node.rpc.node_fixture import E6, DevNode

TIMEOUT = 10.0
# Not protobuf: a truncated tag, a length-delimited field longer than the bytes, a field
# without its value, a 4 GiB length, and an end-group tag without a start.
GARBAGE = (b"\xff", b"\x0a\x05ab", b"\x08", b"\x12\xff\xff\xff\xff\x0f", b"\x0c")
SERVICES = (
    trading_pb2.DESCRIPTOR.services_by_name["Trading"],
    query_pb2.DESCRIPTOR.services_by_name["Query"],
    stream_pb2.DESCRIPTOR.services_by_name["Stream"],
    status_pb2.DESCRIPTOR.services_by_name["Node"],
    dev_pb2.DESCRIPTOR.services_by_name["Dev"],
    health_pb2.DESCRIPTOR.services_by_name["Health"],
    reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"],
)
METHODS = [(f"/{s.full_name}/{m.name}", m.client_streaming, m.server_streaming)
           for s in SERVICES for m in s.methods]


def call_raw(channel: grpc.Channel, path: str, client_streaming: bool, server_streaming: bool,
             payload: bytes) -> grpc.RpcError:
    """Send ``payload`` as the request bytes of ``path`` (no serializer) and return the error."""
    with pytest.raises(grpc.RpcError) as caught:
        if client_streaming and server_streaming:
            list(channel.stream_stream(path)(iter([payload]), timeout=TIMEOUT))
        elif client_streaming:
            channel.stream_unary(path)(iter([payload]), timeout=TIMEOUT)
        elif server_streaming:
            list(channel.unary_stream(path)(payload, timeout=TIMEOUT))
        else:
            channel.unary_unary(path)(payload, timeout=TIMEOUT)
    return caught.value


def test_every_served_service_is_covered(node):
    """Reflection lists what the node serves: every service of it is in ``SERVICES``."""
    stub = reflection_pb2_grpc.ServerReflectionStub(node.channel())
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    response = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=TIMEOUT)))
    served = {s.name for s in response.list_services_response.service}
    assert served == {s.full_name for s in SERVICES}
    assert sum(c for _, c, _ in METHODS) == 3  # SubmitStream, SubmitBatchStream, ServerReflectionInfo


@pytest.mark.parametrize("path,client_streaming,server_streaming", METHODS, ids=[p for p, _, _ in METHODS])
def test_garbage_gets_invalid_argument(node, path, client_streaming, server_streaming):
    channel = node.channel()
    for payload in GARBAGE:
        error = call_raw(channel, path, client_streaming, server_streaming, payload)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (path, payload, error.code(), error.details())
        assert "not a valid" in error.details() and path in error.details()
    # As the raw bytes of the same call, a valid request still works (the unary methods).
    if path == "/optrollup.v1.Query/GetChainInfo":
        raw = channel.unary_unary(path)(query_pb2.ChainInfoRequest().SerializeToString(), timeout=TIMEOUT)
        assert query_pb2.ChainInfo.FromString(raw).chain_id == node.sequencer.chain_id


def test_garbage_after_good_messages_ends_a_stream(node):
    """A SubmitStream whose third message is garbage: two acks, then INVALID_ARGUMENT."""
    channel = node.channel()
    good = [trading_pb2.SubmitRequest(raw_tx=node.order("bob", 5, 0, (1 + i) * E6, 100_000), sequence=i)
            .SerializeToString() for i in range(2)]
    call = channel.stream_stream("/optrollup.v1.Trading/SubmitStream")(iter(good + [b"\xff"]), timeout=TIMEOUT)
    acks = []
    with pytest.raises(grpc.RpcError) as caught:
        for raw in call:
            acks.append(trading_pb2.SubmitAck.FromString(raw))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [a.sequence for a in acks] == [0, 1] and all(a.accepted for a in acks)


def test_a_flood_of_garbage_logs_a_few_lines_without_tracebacks(caplog):
    dev = DevNode(dev=True).start()  # its own node: no earlier test has opened a log interval
    try:
        channel = dev.channel()
        with caplog.at_level(logging.DEBUG):
            for _ in range(100):
                call_raw(channel, "/optrollup.v1.Query/GetAccount", False, False, b"\xff")
            for path, client_streaming, server_streaming in METHODS:
                call_raw(channel, path, client_streaming, server_streaming, b"\x0c")
        assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        # One line for the first; the rest are counted into one line per interval (not yet due).
        assert len(lines) == 1 and "undecodable request to /optrollup.v1.Query/GetAccount" in lines[0], lines
        assert dev.server.checked.log.total == 100 + len(METHODS)
        info = query_pb2_grpc.QueryStub(channel).GetChainInfo(query_pb2.ChainInfoRequest(), timeout=TIMEOUT)
        assert info.chain_id == dev.sequencer.chain_id  # the node still answers
    finally:
        dev.close()


def test_throttled_log_counts_between_lines(caplog):
    logger = logging.getLogger("test.throttled")

    async def run() -> None:
        throttled = ThrottledLog(interval_s=0.05, logger=logger)
        for _ in range(5):
            throttled.note("/m", "ipv4:1.2.3.4:5", "bad")
        await asyncio.sleep(0.08)  # one summary line: 4 more
        await asyncio.sleep(0.05)  # a quiet interval: no line, the window closes
        throttled.note("/m", "ipv4:1.2.3.4:5", "bad again")  # logged at once
        throttled.close()

    with caplog.at_level(logging.WARNING, logger="test.throttled"):
        asyncio.run(run())
    lines = [r.getMessage() for r in caplog.records if r.name == "test.throttled"]
    assert len(lines) == 3, lines
    assert "from ipv4:1.2.3.4:5: bad" in lines[0]
    assert "4 more undecodable requests" in lines[1]
    assert "bad again" in lines[2]
