"""The Python client against a real dev node: trading, exact balances after fees, typed errors, nonces."""

from __future__ import annotations

import threading
from decimal import Decimal

import grpc
import pytest

from node.client import (
    BadInput,
    Client,
    InvalidRequest,
    NodeError,
    NodeUnavailable,
    NotFound,
    TxFailed,
    as_json,
    format_e6,
    from_e6,
    to_e6,
)
from node.rpc.dev_faucet import MAX_FAUCET_E6
from node.sequencer.dev import DEV_DOMAIN
from node.stf.errors import FailureCode
from node.stf.hashing import keccak256
from node.wallet import address_of
from tests.node.rpc.node_fixture import E6, DevNode

ETH_3000_CALL = 5
NAME = "ETH-4DEC26-3000-C"  # id 5 on the fixture's chain (first expiry)
FUNDS = 10_000


def fresh_key(label: str) -> bytes:
    return keccak256(b"test-client-" + label.encode())


def funded(node, label: str, amount: int = FUNDS) -> Client:
    """A client on a new account credited ``amount`` collateral units by the dev faucet."""
    client = Client(node.target, fresh_key(label))
    _, receipt = client.faucet(amount)
    assert receipt.ok
    return client


# -- units ---------------------------------------------------------------------------------


def test_to_e6_is_exact():
    assert to_e6("1.5") == 1_500_000 and to_e6(Decimal("0.000001")) == 1 and to_e6(3) == 3 * E6
    assert to_e6(" 123.450000 ") == 123_450_000 and to_e6("-2") == -2 * E6 and to_e6("1e2") == 100 * E6
    for bad in ("1.0000001", "abc", "NaN", "Infinity", "", 1.5, True, None):
        with pytest.raises(BadInput):
            to_e6(bad)
    assert isinstance(BadInput("x"), ValueError)


def test_display_helpers():
    assert format_e6(1_500_000) == "1.5" and format_e6(123_450_000, 2) == "123.45"
    assert format_e6(-300_000, 2) == "-0.30" and format_e6(7 * E6) == "7" and format_e6(1) == "0.000001"
    assert from_e6(-1_500_001) == Decimal("-1.500001")


# -- reads ---------------------------------------------------------------------------------


def test_chain_info_and_instruments(node):
    with Client(node.target) as client:
        assert client.domain == DEV_DOMAIN == client.chain_info().domain
        listed = client.instruments()
        assert len(listed) == 60 and listed[ETH_3000_CALL - 1].name == NAME
        assert client.instrument(NAME) == client.instrument(ETH_3000_CALL) == client.instrument(NAME.lower())
        assert client.instrument("5").instrument_id == 5
        assert {i.underlying for i in client.instruments("btc")} == {"BTC"}
        assert len(client.instruments(2)) == 30
        with pytest.raises(BadInput, match="unknown instrument"):
            client.instrument("ETH-4DEC26-3100-C")
        with pytest.raises(BadInput):
            client.account()  # no key, no address


# -- trading -------------------------------------------------------------------------------


def test_two_accounts_trade_exact_balances(node):
    maker, taker = funded(node, "maker-1"), funded(node, "taker-1")
    rested = maker.place_order(NAME, "sell", "1.5", "90", client_order_id=7)
    assert rested.ok and rested.rested_e6 == 1_500_000 and rested.filled_e6 == 0
    filled = taker.buy(ETH_3000_CALL, Decimal("1"), "90", time_in_force="ioc")
    assert filled.ok and filled.filled_e6 == E6 and filled.rested_e6 == 0
    (fill,) = filled.fills
    # fees: per contract, the rate x the index (3000), capped at 12.5% of the price (not reached):
    # maker 100 ppm -> 0.30, taker 300 ppm -> 0.90
    assert (fill.maker_order_id, fill.price_e6, fill.size_e6) == (rested.order_id, 90 * E6, E6)
    assert (fill.maker_fee_e6, fill.taker_fee_e6) == (300_000, 900_000)
    assert fill.maker == maker.address and fill.taker == taker.address
    assert maker.account().balance_e6 == (FUNDS + 90) * E6 - 300_000
    assert taker.account().balance_e6 == (FUNDS - 90) * E6 - 900_000
    (short,) = maker.positions()
    (long,) = taker.positions()
    assert (short.instrument_id, short.name, short.size_e6) == (ETH_3000_CALL, NAME, -E6)
    assert (long.name, long.size_e6) == (NAME, E6) and long.mark_e6 > 0
    assert long.value_e6 == long.mark_e6 and short.value_e6 == -long.mark_e6
    (order,) = maker.open_orders()
    assert (order.order_id, order.side, order.remaining_e6, order.client_order_id) == (rested.order_id, 1, 500_000, 7)
    book = taker.book(NAME)
    assert book.bids == () and [(l.price_e6, l.size_e6, l.order_count) for l in book.asks] == [(90 * E6, 500_000, 1)]
    info = taker.account()
    assert info.margin.cash_e6 == info.balance_e6 and info.margin.equity_e6 == info.balance_e6 + long.value_e6
    assert info.positions == 1 and info.open_orders == 0
    assert taker.receipt(filled.tx_hash) == filled
    assert taker.receipt("0x" + filled.tx_hash.hex()) == filled
    cancelled = maker.cancel(client_order_id=7)
    assert cancelled.ok and maker.open_orders() == ()
    for c in (maker, taker):
        c.close()


def test_risk(node):
    with funded(node, "risk-1") as seller, funded(node, "risk-2") as buyer:
        seller.sell(NAME, "2", "100")
        buyer.buy(NAME, "2", "100")
        risk = buyer.risk()
        assert risk.margin == buyer.account().margin and risk.complete
        (eth,) = risk.underlyings
        assert eth.underlying == "ETH" and eth.index_e6 == 3000 * E6
        assert 0 < eth.delta_wad < 2 * 10**18 and eth.gamma_wad > 0 and eth.vega_wad > 0 and eth.theta_wad < 0
        assert (risk.delta_wad, risk.vega_wad) == (eth.delta_wad, eth.vega_wad)
        assert eth.maintenance_e6 == eth.worst_loss_e6 + eth.addon_e6 == risk.margin.maintenance_e6
        assert eth.worst_scenario.startswith("spot ")
        short = seller.risk().underlyings[0]
        assert short.delta_wad == -eth.delta_wad and short.addon_e6 > 0  # a naked short pays the add-on
        assert as_json(risk)["delta_wad"] == str(eth.delta_wad)
        assert funded(node, "risk-3").risk().underlyings == ()


def test_cancel_all_and_withdraw(node):
    with funded(node, "cancel-1") as client:
        for price in ("80", "81", "82.5"):
            assert client.sell(NAME, "0.1", price, time_in_force="post_only").rested_e6 == 100_000
        client.buy(6, "0.2", "1")
        assert len(client.open_orders()) == 4
        client.cancel_all(NAME)
        assert [o.instrument_id for o in client.open_orders()] == [6]
        client.cancel_all()
        assert client.open_orders() == ()
        before = client.account().balance_e6
        assert client.withdraw("12.345678").ok
        assert client.account().balance_e6 == before - 12_345_678


# -- errors ----------------------------------------------------------------------------------


def test_failures_are_typed(node):
    with funded(node, "errors-1") as client:
        with pytest.raises(TxFailed) as caught:
            client.cancel(999_999)
        error = caught.value
        assert error.status == grpc.StatusCode.FAILED_PRECONDITION
        assert error.failure_code == FailureCode.UNKNOWN_ORDER and error.failure_name == "UNKNOWN_ORDER"
        assert error.receipt is not None and error.receipt.code == FailureCode.UNKNOWN_ORDER
        assert client.receipt(error.receipt.tx_hash) == error.receipt
        client.sell(NAME, "1", "50")
        with funded(node, "errors-2") as other:
            with pytest.raises(TxFailed) as crossed:
                other.buy(NAME, "1", "60", time_in_force="post_only")
            assert crossed.value.failure_code == FailureCode.POST_ONLY_WOULD_CROSS
            with pytest.raises(TxFailed) as broke:
                other.withdraw(FUNDS + 1)
            assert broke.value.failure_code == FailureCode.INSUFFICIENT_BALANCE
        with pytest.raises(TxFailed) as off_tick:
            client.sell(NAME, "1", "50.05")
        assert off_tick.value.failure_code == FailureCode.PRICE_OFF_TICK
        with pytest.raises(NotFound):
            client.receipt(b"\x01" * 32)
        with pytest.raises(InvalidRequest):
            client.faucet(from_e6(MAX_FAUCET_E6 + 1))
        for call in (lambda: client.sell(NAME, "1.0000001", "50"), lambda: client.sell(NAME, "1", "-5"),
                     lambda: client.place_order(NAME, "hold", "1", "5"), lambda: client.cancel(),
                     lambda: client.place_order(NAME, "buy", "1", "5", time_in_force="gtd"),
                     lambda: client.receipt("0x12")):
            with pytest.raises(BadInput):
                call()
        assert issubclass(TxFailed, NodeError) and issubclass(NodeUnavailable, NodeError)


def test_node_unreachable():
    with Client("127.0.0.1:1", fresh_key("x"), timeout=5) as client:
        with pytest.raises(NodeUnavailable, match="cannot reach the node at 127.0.0.1:1"):
            client.account()
        with pytest.raises(NodeUnavailable):
            client.buy(1, "1", "1")


def test_faucet_only_on_dev_nodes():
    plain = DevNode().start()
    try:
        with Client(plain.target) as client, pytest.raises(NodeError) as caught:
            client.faucet("1", address_of(fresh_key("nofaucet")))
        assert caught.value.status == grpc.StatusCode.UNIMPLEMENTED
    finally:
        plain.close()


# -- nonces ----------------------------------------------------------------------------------


def test_concurrent_submissions_share_the_nonce_window(node):
    with funded(node, "threads-1") as client:
        receipts, errors = [], []

        def place(i: int) -> None:
            try:
                receipts.append(client.buy(ETH_3000_CALL, "0.1", str(1 + i / 10)))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=place, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors and len(receipts) == 12 and all(r.ok for r in receipts)
        assert client.account().nonce_floor == 0 and len(client.open_orders()) == 12
        # a second client on the same key reads the used nonces from the window and skips them
        with Client(node.target, client.key) as again:
            assert again.cancel_all().ok


def test_nonce_collision_is_retried(node):
    key = funded(node, "collide-1").key
    first, second = Client(node.target, key), Client(node.target, key)
    try:
        first._seed_nonces()
        second._seed_nonces()  # both would start at the same nonce
        assert first.buy(ETH_3000_CALL, "0.1", "1").ok
        assert second.buy(ETH_3000_CALL, "0.1", "1.1").ok  # refused as a replay, re-read, retried
        assert len(first.open_orders()) == 2
    finally:
        first.close()
        second.close()


def test_dev_service_is_registered_with_health_and_reflection(node):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(node.target) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="optrollup.v1.Dev"), timeout=10)
        assert status.status == health_pb2.HealthCheckResponse.SERVING
        answer = next(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
        assert "optrollup.v1.Dev" in {s.name for s in answer.list_services_response.service}
