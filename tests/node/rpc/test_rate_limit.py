"""Rate limits over a real port: per peer address (every connection of an address shares one
bucket) and per signing account (whatever address it comes from); RESOURCE_EXHAUSTED over
them, while other addresses and accounts still trade."""

from __future__ import annotations

import queue
import time

import grpc
import pytest

from node.rpc.generated.optrollup.v1 import query_pb2, trading_pb2
from node.rpc.peers import peer_key
from node.sequencer.mempool import SenderLimits
from tests.node.rpc.node_fixture import E6, DevNode
from tests.node.rpc.source_proxy import SourceProxy

TIMEOUT = 10.0
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.fixture(scope="module")
def slow_node():
    """5 transactions/s per address, bursts of 10 (so batches of at most 10); no per-account limits."""
    dev = DevNode(rate_per_s=5.0, burst=10.0, max_batch_txs=10, sender_limits=None).start()
    try:
        yield dev
    finally:
        dev.close()


@pytest.fixture
def proxies(slow_node):
    """``proxies(ip)``: a ``SourceProxy`` to the node from loopback address ``ip``."""
    opened: list[SourceProxy] = []

    def open_(node: DevNode, ip: str) -> SourceProxy:
        opened.append(SourceProxy(node.target, ip).start())
        return opened[-1]

    yield open_
    for proxy in opened:
        proxy.close()


def channel_to(node: DevNode, target: str) -> grpc.Channel:
    channel = grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    node.channels.append(channel)
    return channel


def stream(node: DevNode, channel: grpc.Channel, raws: list[bytes]) -> list:
    trading, _ = node.stubs(channel)
    requests = [trading_pb2.SubmitRequest(raw_tx=raw, sequence=i) for i, raw in enumerate(raws)]
    return list(trading.SubmitStream(iter(requests), timeout=TIMEOUT))


def test_peer_key_is_the_address_without_the_port():
    assert peer_key("ipv4:203.0.113.7:51234") == peer_key("ipv4:203.0.113.7:40000") == "ipv4:203.0.113.7"
    assert peer_key("ipv6:%5B2001:db8:1:2::9%5D:443") == peer_key("ipv6:[2001:db8:1:2:ffff::1]:80") \
        == "ipv6:2001:db8:1:2::/64"  # a client's whole /64
    assert peer_key("ipv6:[::ffff:10.0.0.1]:3") == "ipv4:10.0.0.1"
    assert peer_key("unix:/run/node.sock") == "unix:/run/node.sock"


def test_every_connection_of_an_address_shares_its_bucket(slow_node, proxies):
    # Four connections from 127.0.0.1 (one account each), 10 orders each: about one burst
    # passes in all, where a bucket per connection would let all 40 through.
    acks = []
    for name in ("maker", "alice", "bob", "carol"):
        acks += stream(slow_node, slow_node.channel(),
                       [slow_node.order(name, 5, 0, (1 + i) * E6, E6) for i in range(10)])
    accepted = sum(a.accepted for a in acks)
    assert 10 <= accepted <= 15, accepted
    limited = [a for a in acks if not a.accepted]
    assert all(a.error.status_code == EXHAUSTED.value[0] and "rate limit" in a.error.message for a in limited)
    with pytest.raises(grpc.RpcError) as caught:
        for _ in range(5):
            slow_node.stubs(slow_node.channel())[0].SubmitTransaction(
                trading_pb2.SubmitRequest(raw_tx=slow_node.order("maker", 5, 0, E6, E6)), timeout=TIMEOUT)
    assert caught.value.code() == EXHAUSTED
    # Another address is not affected.
    trading, _ = slow_node.stubs(channel_to(slow_node, proxies(slow_node, "127.0.0.2").target))
    response = trading.SubmitTransaction(
        trading_pb2.SubmitRequest(raw_tx=slow_node.order("alice", 5, 1, 95 * E6, E6)), timeout=TIMEOUT)
    assert response.receipt.code == 0


def test_a_batch_is_admitted_or_refused_whole(slow_node, proxies):
    trading, _ = slow_node.stubs(channel_to(slow_node, proxies(slow_node, "127.0.0.3").target))  # a full bucket
    raws = [slow_node.order("bob", 5, 0, (1 + i) * E6, E6) for i in range(18)]
    batches = [trading_pb2.SubmitBatch(raw_txs=raws[:8], sequence=1),  # 8 of the 10 tokens
               trading_pb2.SubmitBatch(raw_txs=raws[8:16], sequence=2),  # refused whole: 2 left
               trading_pb2.SubmitBatch(raw_txs=raws[16:], sequence=3)]  # 2: admitted
    first, second, third = list(trading.SubmitBatchStream(iter(batches), timeout=TIMEOUT))
    assert len(first.results) == 8 and all(r.accepted for r in first.results)
    assert second.sequence == 2 and not second.results
    assert second.error.status_code == EXHAUSTED.value[0] and "batch of 8 refused" in second.error.message
    assert len(third.results) == 2 and all(r.accepted for r in third.results)


def test_a_burst_smaller_than_a_batch_is_refused():
    dev = DevNode(rate_per_s=5.0, burst=10.0)  # batches of 256 could never pass
    try:
        with pytest.raises(ValueError, match="burst"):
            dev.start()
    finally:
        dev.close()


@pytest.fixture(scope="module")
def account_node():
    """No per-address limit to speak of; each account 5 transactions/s, bursts of 10."""
    dev = DevNode(rate_per_s=1e6, burst=1e6, sender_limits=SenderLimits(max_pending=100, rate_per_s=5.0,
                                                                         burst=10.0)).start()
    try:
        yield dev
    finally:
        dev.close()


def test_an_account_is_limited_whatever_address_it_uses(account_node, proxies):
    elsewhere = channel_to(account_node, proxies(account_node, "127.0.0.4").target)
    acks = []
    for channel in (account_node.channel(), elsewhere):  # bob from two addresses, 8 orders each
        acks += stream(account_node, channel, [account_node.order("bob", 5, 0, (1 + i) * E6, E6) for i in range(8)])
    assert 10 <= sum(a.accepted for a in acks) <= 12
    limited = [a for a in acks if not a.accepted]
    assert limited and all(a.error.status_code == EXHAUSTED.value[0] and "account 0x" in a.error.message
                           for a in limited)
    # Another account on the same connection is not affected.
    assert all(a.accepted for a in stream(account_node, elsewhere,
                                          [account_node.order("carol", 5, 0, (1 + i) * E6, E6) for i in range(5)]))


def test_cancel_on_disconnect_is_not_rate_limited(account_node):
    """An account that used its whole burst and then vanishes still gets its orders cancelled."""
    _, query = account_node.stubs()
    maker = account_node.address("maker")
    cancel = account_node.cancel_all("maker")
    channel = account_node.channel()
    trading, _ = account_node.stubs(channel)
    items: queue.Queue = queue.Queue()

    def requests():
        while (item := items.get()) is not None:
            yield item

    acks = trading.SubmitStream(requests(), metadata=(("cancel-on-disconnect-bin", cancel),), timeout=30)
    for sequence in range(10):
        items.put(trading_pb2.SubmitRequest(raw_tx=account_node.order("maker", 7, 0, (1 + sequence) * E6, E6),
                                            sequence=sequence))
    assert all(next(acks).accepted for _ in range(10))
    items.put(trading_pb2.SubmitRequest(raw_tx=account_node.order("maker", 7, 0, E6, E6), sequence=10))
    assert next(acks).error.status_code == EXHAUSTED.value[0]  # the burst is used up
    channel.close()  # abrupt: no half-close
    items.put(None)

    def open_orders() -> int:
        return query.GetAccount(query_pb2.AccountRequest(address=maker), timeout=TIMEOUT).open_orders

    deadline = time.monotonic() + 5
    while open_orders() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_orders() == 0
