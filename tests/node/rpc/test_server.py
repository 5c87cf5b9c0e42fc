"""The gRPC API over a real port: submissions, queries, errors, health, reflection."""

from __future__ import annotations

import logging
import os

import grpc
import pytest
import rlp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from node.rpc.generated.optrollup.v1 import query_pb2, trading_pb2, types_pb2
from node.rpc.server import MAX_BATCH_MESSAGE_BYTES, MAX_BATCH_TXS
from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.hashing import keccak256
from node.stf.recover import SECP256K1_N
from node.stf.tx_codec import decode_tx, encode_tx
from node.stf.txtypes import Deposit
from node.wallet import address_of
from tests.node.rpc.node_fixture import E6, DevNode

TIMEOUT = 10.0
ETH_3000_CALL = 5  # first ETH expiry: strikes 2600, 2800, 3000 (ids 5 call, 6 put), ...


def trailing(error: grpc.RpcError) -> dict:
    return dict(error.trailing_metadata() or ())


def submit(trading, raw: bytes):
    return trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=TIMEOUT)


def expect_error(trading, raw: bytes, status: grpc.StatusCode, code: FailureCode | None) -> dict:
    with pytest.raises(grpc.RpcError) as caught:
        submit(trading, raw)
    assert caught.value.code() == status, caught.value.details()
    meta = trailing(caught.value)
    if code is not None:
        assert meta["failure-code"] == str(int(code)), meta
        assert meta["failure-name"] == code.name
    return meta


def still_serving(node: DevNode, trading) -> None:
    response = submit(trading, node.order("carol", ETH_3000_CALL, 0, 1 * E6, 100_000))
    assert response.receipt.code == 0 and response.receipt.failure_name == "OK"


def test_list_instruments(node):
    _, query = node.stubs()
    listed = query.ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=TIMEOUT)
    assert len(listed.instruments) == node.chain.series_count == 60
    inst = listed.instruments[ETH_3000_CALL - 1]
    assert inst.instrument_id == ETH_3000_CALL
    assert inst.name == "ETH-4DEC26-3000-C" and inst.underlying == "ETH" and inst.is_call
    assert inst.strike_e6 == 3000 * E6 and inst.tick_size_e6 == 100_000 and inst.min_size_e6 == 100_000
    assert inst.mark_e6 > 0
    btc = query.ListInstruments(query_pb2.ListInstrumentsRequest(underlying_id=2), timeout=TIMEOUT)
    assert len(btc.instruments) == 30 and all(i.name.startswith("BTC-") for i in btc.instruments)


def test_submit_order_gets_receipt(node):
    trading, query = node.stubs()
    raw = node.order("alice", ETH_3000_CALL, 1, 90 * E6, 2 * E6)  # sell 2 @ 90, rests
    response = submit(trading, raw)
    tx = decode_tx(raw, node.chain.genesis.domain)
    assert response.tx_hash == tx.tx_hash and response.block_number >= 2
    assert response.receipt.code == 0 and response.receipt.rested_e6 == 2 * E6
    assert response.receipt.order_id > 0
    again = query.GetReceipt(query_pb2.ReceiptRequest(tx_hash=tx.tx_hash), timeout=TIMEOUT)
    assert again == response.receipt
    block = query.GetBlock(query_pb2.BlockRequest(number=response.block_number), timeout=TIMEOUT)
    assert tx.tx_hash in block.tx_hashes and block.number == response.block_number
    assert block.state_root == node.sequencer.sink.get_block(block.number).state_root
    head = query.GetBlock(query_pb2.BlockRequest(), timeout=TIMEOUT)
    assert head.number == node.sequencer.head_number
    orders = query.GetOpenOrders(query_pb2.AccountRequest(address=address_of(node.key("alice"))), timeout=TIMEOUT)
    assert [o.order_id for o in orders.orders] == [response.receipt.order_id]
    assert orders.orders[0].remaining_e6 == 2 * E6 and orders.orders[0].name == "ETH-4DEC26-3000-C"
    book = query.GetOrderBook(query_pb2.OrderBookRequest(instrument_id=ETH_3000_CALL, depth=5), timeout=TIMEOUT)
    assert list(book.asks) == [query_pb2.BookLevel(price_e6=90 * E6, size_e6=2 * E6, order_count=1)]


def test_two_accounts_trade_and_read_back(node):
    trading, query = node.stubs()
    put = ETH_3000_CALL + 1
    alice, bob = address_of(node.key("alice")), address_of(node.key("bob"))
    before = {a: query.GetAccount(query_pb2.AccountRequest(address=a), timeout=TIMEOUT) for a in (alice, bob)}
    maker = submit(trading, node.order("alice", put, 1, 70 * E6, 1 * E6))
    assert maker.receipt.rested_e6 == 1 * E6
    taker = submit(trading, node.order("bob", put, 0, 70 * E6, 1 * E6))
    assert taker.receipt.filled_e6 == 1 * E6 and len(taker.receipt.fills) == 1
    fill = taker.receipt.fills[0]
    assert (fill.maker, fill.taker, fill.price_e6, fill.size_e6) == (alice, bob, 70 * E6, 1 * E6)
    after = {a: query.GetAccount(query_pb2.AccountRequest(address=a), timeout=TIMEOUT) for a in (alice, bob)}
    premium = 70 * E6  # 1 contract x 70
    assert after[alice].balance_e6 == before[alice].balance_e6 + premium - fill.maker_fee_e6
    assert after[bob].balance_e6 == before[bob].balance_e6 - premium - fill.taker_fee_e6
    for address, size in ((alice, -E6), (bob, E6)):
        positions = query.GetPositions(query_pb2.AccountRequest(address=address), timeout=TIMEOUT).positions
        assert [(p.instrument_id, p.size_e6) for p in positions] == [(put, size)]
        assert positions[0].value_e6 == size * positions[0].mark_e6 // E6
        account = node.sequencer.state.get(keys.account(address))  # the head state itself
        margin = after[address].margin
        assert margin.cash_e6 == account.balance_e6 == after[address].balance_e6
        assert margin.equity_e6 == margin.cash_e6 + margin.value_e6
        assert margin.available_e6 == margin.equity_e6 - margin.initial_e6
    assert after[alice].margin.maintenance_e6 > 0 and after[alice].margin.initial_e6 > after[alice].margin.maintenance_e6
    book = query.GetOrderBook(query_pb2.OrderBookRequest(instrument_id=put), timeout=TIMEOUT)
    assert not book.asks and not book.bids


def test_stream_acks_in_order_with_error_ack(node):
    trading, _ = node.stubs()
    good = [node.order("maker", ETH_3000_CALL + 2, 0, (10 + i) * E6, E6) for i in range(20)]
    bad = b"\x01\xc0"  # a place-order envelope with an empty list: DECODE_ERROR
    requests = [trading_pb2.SubmitRequest(raw_tx=r, sequence=100 + i) for i, r in enumerate(good[:10] + [bad] + good[10:])]
    acks = list(trading.SubmitStream(iter(requests), timeout=TIMEOUT))
    assert [a.sequence for a in acks] == [r.sequence for r in requests]
    assert [a.accepted for a in acks] == [True] * 10 + [False] + [True] * 10
    error = acks[10].error
    assert error.status_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert error.failure_code == FailureCode.DECODE_ERROR and error.failure_name == "DECODE_ERROR"
    assert all(a.receipt.rested_e6 == E6 and a.block_number > 0 for a in acks if a.accepted)
    blocks = [a.block_number for a in acks if a.accepted]
    assert blocks == sorted(blocks)


def test_stream_failure_receipt_ack(node):
    trading, _ = node.stubs()
    requests = [
        trading_pb2.SubmitRequest(raw_tx=node.order("maker", 9_999, 0, E6, E6), sequence=1),
        trading_pb2.SubmitRequest(raw_tx=node.order("maker", ETH_3000_CALL + 2, 0, 5 * E6, E6), sequence=2),
    ]
    first, second = list(trading.SubmitStream(iter(requests), timeout=TIMEOUT))
    assert not first.accepted and first.error.status_code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert first.error.failure_code == FailureCode.UNKNOWN_INSTRUMENT
    assert first.receipt.code == FailureCode.UNKNOWN_INSTRUMENT and first.block_number > 0
    assert second.accepted


def test_bad_inputs_get_the_right_status(node):
    trading, _ = node.stubs()
    domain = node.chain.genesis.domain
    expect_error(trading, os.urandom(64), grpc.StatusCode.INVALID_ARGUMENT, None)
    expect_error(trading, b"", grpc.StatusCode.INVALID_ARGUMENT, FailureCode.DECODE_ERROR)
    expect_error(trading, b"\x01" + os.urandom(40), grpc.StatusCode.INVALID_ARGUMENT, FailureCode.DECODE_ERROR)
    # A high-s signature (EIP-2): BAD_SIGNATURE.
    raw = node.order("carol", ETH_3000_CALL, 0, E6, 100_000)
    items = rlp.decode(raw[1:])
    y, r, s = (int.from_bytes(items[i], "big") for i in (-3, -2, -1))
    body = decode_tx(raw, domain).body
    expect_error(trading, encode_tx(body, (y ^ 1, r, SECP256K1_N - s)), grpc.StatusCode.INVALID_ARGUMENT,
                 FailureCode.BAD_SIGNATURE)
    # A replay of an included transaction: refused at the door.
    fresh = node.order("carol", ETH_3000_CALL, 0, E6, 100_000)
    assert submit(trading, fresh).receipt.code == 0
    expect_error(trading, fresh, grpc.StatusCode.FAILED_PRECONDITION, FailureCode.NONCE_ALREADY_USED)
    # Deposits come only from L1.
    deposit = encode_tx(Deposit(99, address_of(node.key("carol")), 10**12), None)
    expect_error(trading, deposit, grpc.StatusCode.INVALID_ARGUMENT, FailureCode.UNAUTHORISED_SIGNER)
    # Unknown instrument and zero size: valid transactions the state rejects, with the receipt attached.
    meta = expect_error(trading, node.order("carol", 12_345, 0, E6, E6), grpc.StatusCode.FAILED_PRECONDITION,
                        FailureCode.UNKNOWN_INSTRUMENT)
    receipt = types_pb2.Receipt.FromString(meta["receipt-bin"])
    assert receipt.code == FailureCode.UNKNOWN_INSTRUMENT and int(meta["block-number"]) == receipt.block_number
    assert meta["tx-hash-bin"] == receipt.tx_hash
    expect_error(trading, node.order("carol", ETH_3000_CALL, 0, E6, 0), grpc.StatusCode.FAILED_PRECONDITION,
                 FailureCode.SIZE_BELOW_MINIMUM)
    # Larger than a transaction may be (but within the message limit) / than a message may be.
    expect_error(trading, b"\x01" + bytes(3000), grpc.StatusCode.INVALID_ARGUMENT, FailureCode.TX_TOO_LARGE)
    expect_error(trading, bytes(5000), grpc.StatusCode.RESOURCE_EXHAUSTED, None)
    still_serving(node, trading)


def test_query_errors(node):
    _, query = node.stubs()
    for call, request in (
        (query.GetAccount, query_pb2.AccountRequest(address=b"\x01" * 19)),
        (query.GetReceipt, query_pb2.ReceiptRequest(tx_hash=b"\x00" * 32)),
        (query.GetOrderBook, query_pb2.OrderBookRequest(instrument_id=4_000)),
        (query.GetBlock, query_pb2.BlockRequest(number=10**9)),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            call(request, timeout=TIMEOUT)
        assert caught.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
    empty = query.GetAccount(query_pb2.AccountRequest(address=b"\x42" * 20), timeout=TIMEOUT)
    assert empty.balance_e6 == 0 and empty.margin.equity_e6 == 0


def test_health_and_reflection(node):
    channel = node.channel()
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "optrollup.v1.Trading", "optrollup.v1.Query"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                             timeout=TIMEOUT))
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"optrollup.v1.Trading", "optrollup.v1.Query", "grpc.health.v1.Health"} <= names
    files = list(stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol="optrollup.v1.Trading")]), timeout=TIMEOUT))
    assert files[0].file_descriptor_response.file_descriptor_proto


def test_health_list_names_every_service(node, caplog):
    with caplog.at_level(logging.WARNING):
        listed = health_pb2_grpc.HealthStub(node.channel()).List(health_pb2.HealthListRequest(), timeout=TIMEOUT)
    assert {"", "optrollup.v1.Trading", "optrollup.v1.Query", "optrollup.v1.Stream", "optrollup.v1.Node",
            "optrollup.v1.Dev", "optrollup.oracle"} == set(listed.statuses)  # the last: the index is fresh
    assert all(s.status == health_pb2.HealthCheckResponse.SERVING for s in listed.statuses.values())
    assert not caplog.records  # the library's stub raised here, logging a traceback per call


def test_batch_stream_results_in_order_with_bad_tx(node):
    trading, _ = node.stubs()
    domain = node.chain.genesis.domain
    good = [node.order("maker", ETH_3000_CALL + 3, 0, (10 + i) * E6, E6) for i in range(10)]
    bad = b"\x01\xc0"  # DECODE_ERROR
    unknown = node.order("maker", 9_999, 0, E6, E6)  # included, failure receipt
    first = good[:4] + [bad] + good[4:6] + [unknown] + good[6:8]
    second = good[8:]
    batches = [trading_pb2.SubmitBatch(raw_txs=first, sequence=7), trading_pb2.SubmitBatch(raw_txs=second, sequence=8),
               trading_pb2.SubmitBatch(sequence=9)]
    acks = list(trading.SubmitBatchStream(iter(batches), timeout=TIMEOUT))
    assert [a.sequence for a in acks] == [7, 8, 9]
    assert [len(a.results) for a in acks] == [len(first), len(second), 0]
    results = list(acks[0].results)
    assert [r.accepted for r in results] == [True] * 4 + [False, True, True, False, True, True]
    assert [r.tx_hash for r in results] == [keccak256(raw) for raw in first]
    decode_error = results[4]
    assert decode_error.error.status_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert decode_error.error.failure_code == FailureCode.DECODE_ERROR and decode_error.block_number == 0
    assert not decode_error.HasField("receipt")
    failed = results[7]
    assert failed.error.status_code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert failed.error.failure_code == FailureCode.UNKNOWN_INSTRUMENT and failed.error.failure_name == "UNKNOWN_INSTRUMENT"
    assert failed.receipt.code == FailureCode.UNKNOWN_INSTRUMENT and failed.block_number > 0
    accepted = [r for a in acks for r in a.results if r.accepted]
    assert len(accepted) == 10
    assert all(r.receipt.rested_e6 == E6 and r.receipt.code == 0 and r.block_number > 0 for r in accepted)
    assert all(r.receipt.tx_hash == r.tx_hash and r.receipt.block_number == r.block_number for r in accepted)
    blocks = [r.block_number for r in accepted]
    assert blocks == sorted(blocks)
    assert [r.tx_hash for r in accepted] == [decode_tx(raw, domain).tx_hash for raw in good]
    # A replay inside a batch is refused at the door; its neighbours are unaffected.
    again = list(trading.SubmitBatchStream(iter([trading_pb2.SubmitBatch(
        raw_txs=[good[0], node.order("maker", ETH_3000_CALL + 3, 0, 30 * E6, E6)], sequence=1)]), timeout=TIMEOUT))
    replay, fresh = again[0].results
    assert not replay.accepted and replay.error.failure_code == FailureCode.NONCE_ALREADY_USED
    assert replay.error.status_code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert fresh.accepted


def test_oversized_batches_are_refused(node):
    trading, _ = node.stubs()
    too_many = trading_pb2.SubmitBatch(raw_txs=[b"\x01\xc0"] * (MAX_BATCH_TXS + 1), sequence=1)
    after = trading_pb2.SubmitBatch(raw_txs=[node.order("carol", ETH_3000_CALL, 0, E6, 100_000)], sequence=2)
    refused, ok = list(trading.SubmitBatchStream(iter([too_many, after]), timeout=TIMEOUT))
    assert refused.sequence == 1 and not refused.results
    assert refused.error.status_code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    assert ok.sequence == 2 and [r.accepted for r in ok.results] == [True]
    # A message above the batch byte limit ends the stream.
    huge = trading_pb2.SubmitBatch(raw_txs=[bytes(MAX_BATCH_MESSAGE_BYTES)], sequence=3)
    with pytest.raises(grpc.RpcError) as caught:
        list(trading.SubmitBatchStream(iter([huge]), timeout=TIMEOUT))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # The per-request limit still holds on SubmitStream (and on SubmitTransaction, above).
    with pytest.raises(grpc.RpcError) as caught:
        list(trading.SubmitStream(iter([trading_pb2.SubmitRequest(raw_tx=bytes(5000))]), timeout=TIMEOUT))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    still_serving(node, trading)


def test_serve_refuses_a_port_in_use(node):
    """No SO_REUSEPORT: a second server on the node's port is an error, not a second listener
    that the kernel would hand half of the new connections to."""
    from node.rpc.server import serve
    from node.sequencer.sequencer import Sequencer

    other = Sequencer.from_genesis(node.chain.genesis)
    with pytest.raises(OSError, match=f"cannot listen on {node.target}: the address is in use"):
        node.call(serve(other, node.target))
    channels = [node.channel() for _ in range(8)]  # every new connection still reaches the node
    for channel in channels:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
