"""The dev faucet: system deposits with consecutive indices, capped, dev nodes only."""

from __future__ import annotations

import threading

import grpc
import pytest

from node.rpc.dev_faucet import MAX_FAUCET_E6
from node.rpc.generated.optrollup.v1 import dev_pb2, dev_pb2_grpc, query_pb2
from node.sequencer.dev import DEV_ACCOUNTS
from tests.node.rpc.node_fixture import E6, DevNode

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def dev_node():
    node = DevNode(dev=True).start()
    try:
        yield node
    finally:
        node.close()


def test_concurrent_faucet_calls_get_consecutive_indices(dev_node):
    faucet = dev_pb2_grpc.DevStub(dev_node.channel())
    _, query = dev_node.stubs()
    addresses = [bytes([i + 1]) * 20 for i in range(8)]
    answers: list = []

    def call(address: bytes) -> None:
        answers.append(faucet.Faucet(dev_pb2.FaucetRequest(address=address, amount_e6=7 * E6), timeout=TIMEOUT))

    threads = [threading.Thread(target=call, args=(a,)) for a in addresses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    first = len(DEV_ACCOUNTS)  # the dev accounts' deposits come first
    assert sorted(a.deposit_index for a in answers) == list(range(first, first + len(addresses)))
    assert all(a.receipt.code == 0 and a.block_number >= 1 for a in answers)
    for address in addresses:
        assert query.GetAccount(query_pb2.AccountRequest(address=address), timeout=TIMEOUT).balance_e6 == 7 * E6


@pytest.mark.parametrize("address, amount", [(b"\x01" * 19, E6), (b"\x01" * 20, 0), (b"\x01" * 20, MAX_FAUCET_E6 + 1)])
def test_bad_requests(dev_node, address, amount):
    faucet = dev_pb2_grpc.DevStub(dev_node.channel())
    with pytest.raises(grpc.RpcError) as caught:
        faucet.Faucet(dev_pb2.FaucetRequest(address=address, amount_e6=amount), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    answer = faucet.Faucet(dev_pb2.FaucetRequest(address=b"\x09" * 20, amount_e6=MAX_FAUCET_E6), timeout=TIMEOUT)
    assert answer.receipt.code == 0  # the index count is not disturbed by refusals
