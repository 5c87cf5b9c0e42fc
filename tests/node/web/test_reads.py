"""The read endpoints answer what the node's Query service answers, rescaled exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from node.rpc.generated.optrollup.v1 import query_pb2, trading_pb2
from node.stf.txtypes import Withdraw
from node.wallet import sign_tx
from tests.node.rpc.node_fixture import T0

E6 = 10**6


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def test_info_names_the_chain_and_its_signing_domain(web):
    _, query = web.node.stubs()
    chain = query.GetChainInfo(query_pb2.ChainInfoRequest(), timeout=10)
    status, info = web.get("/api/info")
    assert status == 200
    assert info["chain_id"] == chain.chain_id == 901
    assert info["mode"] == "sequencer" and info["read_only"] is False and info["dev"] is True
    assert info["head"]["number"] >= chain.block_number and info["head"]["hash"].startswith("0x")
    assert info["collateral"] == {"symbol": "USDC", "decimals": 6}
    assert info["domain"] == {"name": "OptRollup", "version": "1", "chainId": 901,
                              "verifyingContract": "0x" + chain.verifying_contract.hex()}


def test_underlyings_and_the_chain_equal_the_query_service(web):
    _, query = web.node.stubs()
    status, underlyings = web.get("/api/underlyings")
    assert status == 200
    assert [(u["id"], u["name"], u["index"], u["series"]) for u in underlyings] == [
        (1, "ETH", "3000", 30), (2, "BTC", "100000", 30)]
    surface = query.ListUnderlyings(query_pb2.ListUnderlyingsRequest(), timeout=10).underlyings[0].surface
    assert [(p["expiry"], Decimal(p["atm_vol"]) * E6) for p in underlyings[0]["surface"]] == [
        (p.expiry, p.atm_vol_e6) for p in surface] and surface
    status, chain = web.get("/api/chain?underlying=eth")
    assert status == 200 and chain["underlying"] == "ETH" and chain["index_raw"] == "3000000000"
    listed = {i.instrument_id: i for i in
              query.ListInstruments(query_pb2.ListInstrumentsRequest(underlying_id=1), timeout=10).instruments}
    seen = 0
    assert [e["expiry"] for e in chain["expiries"]] == sorted({i.expiry for i in listed.values()})
    for expiry in chain["expiries"]:
        strikes = [Decimal(s["strike"]) for s in expiry["series"]]
        assert strikes == sorted(strikes)
        for s in expiry["series"]:
            i = listed[s["id"]]
            seen += 1
            assert s["name"] == i.name and expiry["label"] == i.name.split("-")[1]
            assert s["type"] == ("call" if i.is_call else "put") and _d(s["strike"]) * E6 == i.strike_e6
            assert int(s["mark_raw"]) == i.mark_e6 and _d(s["mark"]) * E6 == i.mark_e6 > 0
            assert _d(s["iv"]) * E6 == i.vol_e6 and Decimal(s["iv"]) == Decimal("0.65")  # the dev surface is flat
            assert _d(s["delta"]) * 10**18 == int(i.delta_wad) and _d(s["vega"]) * 10**18 == int(i.vega_wad)
            assert _d(s["ask"]) * E6 == i.best_ask_e6 > i.mark_e6  # the dev maker quotes around the mark
            assert _d(s["ask_size"]) * E6 == i.best_ask_size_e6 > 0
            assert (s["bid"] is None) == (i.best_bid_e6 == 0)
            assert (0 < Decimal(s["delta"]) < 1) if i.is_call else (-1 < Decimal(s["delta"]) < 0)
    assert seen == len(listed) == 30


def test_instrument_book_and_trades_by_id_name_and_alias(web):
    _, query = web.node.stubs()
    status, by_alias = web.get("/api/instrument/eth-atm-c")
    assert status == 200 and by_alias["type"] == "call" and by_alias["underlying"] == "ETH"
    status, by_id = web.get(f"/api/instrument/{by_alias['id']}")
    status_name, by_name = web.get(f"/api/instrument/{by_alias['name'].lower()}")
    assert status == status_name == 200
    assert by_id["name"] == by_name["name"] == by_alias["name"]
    assert by_id["tick"] == "0.1" and by_id["min_size"] == "0.1" and by_id["settled"] is False
    assert by_id["expiry"] > T0
    book = query.GetOrderBook(query_pb2.OrderBookRequest(instrument_id=by_id["id"]), timeout=10)
    status, web_book = web.get(f"/api/book/{by_id['name']}")
    assert status == 200 and web_book["instrument"] == by_id["id"] and web_book["name"] == by_id["name"]
    for side, levels in (("bids", book.bids), ("asks", book.asks)):
        assert [(int(l["price_raw"]), int(l["size_raw"]), l["orders"]) for l in web_book[side]] == [
            (l.price_e6, l.size_e6, l.order_count) for l in levels]
    assert web_book["asks"] and Decimal(web_book["asks"][0]["price"]) == Decimal(by_id["ask"])
    status, trades = web.get(f"/api/trades/{by_id['id']}?limit=5")
    assert status == 200 and isinstance(trades, list)


def test_account_of_a_dev_account(web):
    _, query = web.node.stubs()
    alice = web.node.address("alice")
    pb = query.GetAccount(query_pb2.AccountRequest(address=alice), timeout=10)
    status, account = web.get("/api/account/0x" + alice.hex().upper())
    assert status == 200 and account["address"] == "0x" + alice.hex()
    assert int(account["balance_raw"]) == pb.balance_e6 and Decimal(account["balance"]) * E6 == pb.balance_e6
    assert Decimal(account["equity"]) * E6 == pb.margin.equity_e6
    assert account["next_nonce"] == pb.nonce_floor
    unknown = "0x" + "ab" * 20
    status, empty = web.get(f"/api/account/{unknown}")
    assert status == 200 and empty["balance"] == "0" and empty["positions"] == [] and empty["fills"] == []


def test_rollup_without_l1_is_unavailable_but_lists_withdrawals(web):
    status, rollup = web.get("/api/rollup")
    assert status == 200 and rollup["available"] is False and rollup["l1"] is None
    assert all(rollup[k] == [] for k in ("batches", "roots", "withdrawals", "deposits_in_flight",
                                          "forced_queue", "disputes"))
    trading, _ = web.node.stubs()
    bob = web.node.address("bob")
    raw = sign_tx(web.node.key("bob"), Withdraw(web.node.next_nonce(web.node.key("bob")), 5 * E6, bob),
                  web.node.chain.genesis.domain)
    response = trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=30)
    assert response.receipt.code == 0
    status, rollup = web.get("/api/rollup")
    [withdrawal] = rollup["withdrawals"]
    assert (withdrawal["index"], withdrawal["amount"], withdrawal["recipient"], withdrawal["l2_block"]) == (
        response.receipt.order_id, "5", "0x" + bob.hex(), response.block_number)
    assert withdrawal["claimed"] is None and withdrawal["root"] is None  # no L1: nothing to claim on


def test_dev_keys_sign_for_their_addresses(web):
    status, keys = web.get("/api/dev/keys")
    assert status == 200
    by_label = {k["label"]: k for k in keys}
    assert by_label["alice"]["address"] == "0x" + web.node.address("alice").hex()
    assert bytes.fromhex(by_label["alice"]["private_key"][2:]) == web.node.key("alice")


@pytest.mark.parametrize("path, status, code", [
    ("/api/instrument/ETH-1JAN99-1-C", 404, "unknown_instrument"),
    ("/api/instrument/9999", 404, "unknown_instrument"),
    ("/api/book/nope", 404, "unknown_instrument"),
    ("/api/trades/BTC-ATM-X", 404, "unknown_instrument"),
    ("/api/account/0x1234", 400, "bad_address"),
    ("/api/account/0x" + "zz" * 20, 400, "bad_address"),
    ("/api/chain?underlying=DOGE", 404, "unknown_underlying"),
    ("/api/chain", 400, "bad_request"),
    ("/api/index_history?underlying=DOGE", 404, "unknown_underlying"),
    ("/api/book/5?depth=-1", 400, "bad_request"),
    ("/api/nothing", 404, "not_found"),
    ("/api/submit", 405, "method_not_allowed"),
])
def test_bad_reads_answer_a_status_and_a_message(web, path, status, code):
    got, body = web.get(path)
    assert (got, body["code"]) == (status, code)
    assert isinstance(body["error"], str) and body["error"] and "Traceback" not in body["error"]


def test_wrong_method_on_a_read_is_405(web):
    status, body = web.post("/api/info", {})
    assert status == 405 and body["code"] == "method_not_allowed"


def test_the_page_is_served_from_the_package(web):
    status, text = web.get("/")
    assert status == 200 and "<html" in text.lower()
    status, text = web.get("/../pyproject.toml")
    assert status == 404
