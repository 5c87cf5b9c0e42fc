"""A flooding client is rate-limited (RESOURCE_EXHAUSTED) while another client still trades."""

from __future__ import annotations

import grpc
import pytest

from node.rpc.generated.optrollup.v1 import trading_pb2
from node.rpc.server import RateLimiter
from tests.node.rpc.node_fixture import E6, DevNode

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def slow_node():
    dev = DevNode(rate_per_s=5.0, burst=10.0).start()
    try:
        yield dev
    finally:
        dev.close()


def test_flooding_client_is_limited_and_others_are_not(slow_node):
    flood_trading, _ = slow_node.stubs(slow_node.channel())
    other_trading, _ = slow_node.stubs(slow_node.channel())
    # 40 orders on one stream, far above 10 + 5/s: the first ~10 pass, the rest get error acks.
    requests = [trading_pb2.SubmitRequest(raw_tx=slow_node.order("maker", 5, 0, (1 + i) * E6, E6), sequence=i)
                for i in range(40)]
    acks = list(flood_trading.SubmitStream(iter(requests), timeout=TIMEOUT))
    assert [a.sequence for a in acks] == list(range(40))
    limited = [a for a in acks if not a.accepted]
    assert 25 <= len(limited) <= 30
    assert all(a.error.status_code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0] for a in limited)
    with pytest.raises(grpc.RpcError) as caught:
        for _ in range(5):
            flood_trading.SubmitTransaction(
                trading_pb2.SubmitRequest(raw_tx=slow_node.order("maker", 5, 0, E6, E6)), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # Another client (its own connection) is not affected.
    response = other_trading.SubmitTransaction(
        trading_pb2.SubmitRequest(raw_tx=slow_node.order("alice", 5, 1, 95 * E6, E6)), timeout=TIMEOUT)
    assert response.receipt.code == 0


def test_every_transaction_of_a_batch_counts(slow_node):
    trading, _ = slow_node.stubs(slow_node.channel())  # a fresh connection: a full bucket of 10
    raws = [slow_node.order("bob", 5, 0, (1 + i) * E6, E6) for i in range(30)]
    acks = list(trading.SubmitBatchStream(iter([trading_pb2.SubmitBatch(raw_txs=raws, sequence=1)]), timeout=TIMEOUT))
    results = acks[0].results
    assert len(results) == 30
    limited = [r for r in results if not r.accepted]
    assert 18 <= len(limited) <= 20 and all(r.accepted for r in results[:10])
    assert all(r.error.status_code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0] for r in limited)


def test_token_bucket_refills():
    now = [0.0]
    limiter = RateLimiter(rate_per_s=2.0, burst=3.0, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 0.5  # one token back
    assert limiter.allow("a") and not limiter.allow("a")
    now[0] = 100.0  # capped at the burst
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
