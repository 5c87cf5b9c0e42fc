"""Orders signed "in the browser" (eth_account over the typed data the gateway answers) and submitted
through the gateway: fills against the dev market maker, cancels, refusals, wrong signers."""

from __future__ import annotations

from decimal import Decimal

from eth_account import Account

from node.rpc.generated.optrollup.v1 import query_pb2
from node.stf.eip712 import typed_data
from node.stf.txtypes import PlaceOrder
from node.web.writes import parse_signature

E6 = 10**6


def _sign(typed: dict, key: bytes) -> str:
    """What a wallet's eth_signTypedData_v4 returns: r || s || v (v 27/28), 0x hex."""
    return "0x" + bytes(Account.sign_typed_data(key, full_message=typed).signature).hex()


def _order(web, name: str, **fields) -> dict:
    status, answer = web.post("/api/typed_data/order", {"address": "0x" + web.node.address(name).hex(), **fields})
    assert status == 200, answer
    return answer


def test_typed_data_is_what_the_cli_signs(web):
    alice = web.node.address("alice")
    answer = _order(web, "alice", instrument="ETH-ATM-C", side="buy", price="12.3", size="0.5", client_id=7,
                    nonce=41)
    status, inst = web.get("/api/instrument/ETH-ATM-C")
    body = PlaceOrder(41, inst["id"], 0, 12_300_000, 500_000, 0, False, 7, 0)
    assert answer["typed_data"] == typed_data(body, web.node.chain.genesis.domain)
    assert answer["address"] == "0x" + alice.hex() and answer["nonce"] == 41


def test_a_signed_order_fills_against_the_dev_maker_and_shows_in_the_account(web):
    alice_key = web.node.key("alice")
    status, inst = web.get("/api/instrument/ETH-ATM-P")
    ask, ask_size = Decimal(inst["ask"]), Decimal(inst["ask_size"])
    answer = _order(web, "alice", instrument=inst["name"], side="buy", price=str(ask), size=inst["min_size"],
                    tif="ioc")
    typed = answer["typed_data"]
    status, receipt = web.post("/api/submit", {"typed_data": typed, "signature": _sign(typed, alice_key),
                                               "address": answer["address"]})
    assert status == 200, receipt
    assert receipt["status"] == "ok" and receipt["filled"] == inst["min_size"] and receipt["resting"] == "0"
    assert receipt["sender"] == answer["address"] and receipt["order_id"] > 0
    assert [(Decimal(f["price"]), f["taker_side"]) for f in receipt["fills"]] == [(ask, "buy")]
    assert Decimal(inst["min_size"]) <= ask_size
    # the node has it: receipt by hash, and the account view shows the position and the fill
    _, query = web.node.stubs()
    pb = query.GetReceipt(query_pb2.ReceiptRequest(tx_hash=bytes.fromhex(receipt["tx_hash"][2:])), timeout=10)
    assert pb.code == 0 and pb.filled_e6 == 100_000
    status, account = web.get("/api/account/" + answer["address"])
    position = next(p for p in account["positions"] if p["id"] == inst["id"])
    assert position["size"] == inst["min_size"] and Decimal(position["avg_entry"]) == ask
    assert Decimal(position["fees"]) > 0 and position["delta"].startswith("-")  # a long put
    fill = account["fills"][0]
    assert (fill["id"], fill["side"], Decimal(fill["price"]), fill["role"], fill["tx"]) == (
        inst["id"], "buy", ask, "taker", receipt["tx_hash"])
    status, trades = web.get(f"/api/trades/{inst['id']}?limit=3")
    assert trades[0]["tx"] == receipt["tx_hash"] and trades[0]["taker_side"] == "buy"
    assert account["next_nonce"] == answer["nonce"] + 1
    # every figure is the Query service's, rescaled
    recent = query.GetRecentTrades(query_pb2.RecentTradesRequest(instrument_id=inst["id"], limit=3), timeout=10)
    assert [(int(t["price_raw"]), int(t["size_raw"]), t["block"], t["time"], t["tx"]) for t in trades] == [
        (t.price_e6, t.size_e6, t.block_number, t.timestamp, "0x" + t.tx_hash.hex()) for t in recent.trades]
    address = bytes.fromhex(answer["address"][2:])
    held = query.GetPositions(query_pb2.AccountRequest(address=address), timeout=10).positions
    risk = query.GetRisk(query_pb2.AccountRequest(address=address), timeout=10)
    assert [(p["id"], Decimal(p["size"]) * E6, Decimal(p["mark"]) * E6, Decimal(p["value"]) * E6)
            for p in account["positions"]] == [(p.instrument_id, p.size_e6, p.mark_e6, p.value_e6) for p in held]
    for field in ("equity", "initial", "maintenance", "available"):
        assert Decimal(account[field]) * E6 == getattr(risk.margin, f"{field}_e6"), field
    assert Decimal(account["greeks"]["delta"]) * 10**18 == int(risk.delta_wad)
    assert account["worst_scenario"] == risk.underlyings[0].worst_scenario != ""


def test_a_resting_order_is_cancelled_through_the_gateway(web):
    bob = web.node.key("bob")
    status, inst = web.get("/api/instrument/BTC-ATM-C")
    answer = _order(web, "bob", instrument=inst["id"], side="buy", price=inst["tick"], size=inst["min_size"],
                    client_id=99)
    status, placed = web.post("/api/submit", {"typed_data": answer["typed_data"], "address": answer["address"],
                                              "signature": _sign(answer["typed_data"], bob)})
    assert status == 200 and placed["resting"] == inst["min_size"] and placed["filled"] == "0"
    status, account = web.get("/api/account/" + answer["address"])
    assert [(o["order_id"], o["client_id"], o["side"]) for o in account["orders"]] == [(placed["order_id"], 99, "buy")]
    status, cancel = web.post("/api/typed_data/cancel", {"address": answer["address"], "order_id": placed["order_id"]})
    assert status == 200 and cancel["typed_data"]["primaryType"] == "CancelOrder"
    status, done = web.post("/api/submit", {"typed_data": cancel["typed_data"], "address": cancel["address"],
                                            "signature": _sign(cancel["typed_data"], bob)})
    assert status == 200 and done["status"] == "ok" and done["order_id"] == placed["order_id"]
    status, account = web.get("/api/account/" + answer["address"])
    assert account["orders"] == []


def test_a_refused_order_is_422_with_the_stf_reason(web):
    carol_key = web.node.key("carol")
    answer = _order(web, "carol", instrument="ETH-ATM-C", side="buy", price="1.23", size="0.1")  # off the 0.1 tick
    status, refused = web.post("/api/submit", {"typed_data": answer["typed_data"], "address": answer["address"],
                                               "signature": _sign(answer["typed_data"], carol_key)})
    assert status == 422 and refused["code"] == "refused" and refused["status"] == "failed"
    assert (refused["failure_name"], refused["failure_code"]) == ("PRICE_OFF_TICK", 202)
    assert refused["error"].startswith("PRICE_OFF_TICK: ") and "tick" in refused["error"]
    assert refused["reason"] == refused["error"] and refused["tx_hash"].startswith("0x") and refused["block"] > 0


def test_a_signature_by_another_key_is_403(web):
    answer = _order(web, "alice", instrument="ETH-ATM-C", side="buy", price="1", size="0.1")
    forged = _sign(answer["typed_data"], web.node.key("bob"))
    status, body = web.post("/api/submit", {"typed_data": answer["typed_data"], "address": answer["address"],
                                            "signature": forged})
    assert status == 403 and body["code"] == "wrong_signer"
    assert body["signer"] == "0x" + web.node.address("bob").hex()


def test_tampered_typed_data_or_signature_is_refused(web):
    alice = web.node.key("alice")
    answer = _order(web, "alice", instrument="ETH-ATM-C", side="buy", price="1", size="0.1")
    typed, signature = answer["typed_data"], _sign(answer["typed_data"], alice)
    changed = {**typed, "message": {**typed["message"], "sizeE6": 10_000_000}}  # signed 0.1, asks 10
    status, body = web.post("/api/submit", {"typed_data": changed, "signature": signature, "address": answer["address"]})
    assert status == 403 and body["code"] == "wrong_signer"
    other_chain = {**typed, "domain": {**typed["domain"], "chainId": 1}}
    status, body = web.post("/api/submit", {"typed_data": other_chain, "signature": signature})
    assert status == 400 and "domain" in body["error"]
    for bad in ("0x1234", "nothex", "0x" + "00" * 65, None):
        status, body = web.post("/api/submit", {"typed_data": typed, "signature": bad, "address": answer["address"]})
        assert status == 400 and body["code"] == "bad_signature", bad


def test_high_s_signatures_are_normalised():
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    r, s = 5, 7
    high = "0x" + r.to_bytes(32, "big").hex() + (n - s).to_bytes(32, "big").hex() + "1b"
    assert parse_signature(high) == (1, r, s)


def test_bad_write_bodies_are_400(web):
    alice = "0x" + web.node.address("alice").hex()
    cases = [
        ({"address": alice, "instrument": "ETH-ATM-C", "side": "buy", "price": "1.0000001", "size": "1"}, "bad_request"),
        ({"address": alice, "instrument": "ETH-ATM-C", "side": "hold", "price": "1", "size": "1"}, "bad_request"),
        ({"address": alice, "instrument": "ETH-ATM-C", "side": "buy", "price": "-1", "size": "1"}, "bad_request"),
        ({"address": alice, "instrument": "ETH-ATM-C", "side": "buy", "price": "1"}, "bad_request"),
        ({"address": "0xabc", "instrument": "ETH-ATM-C", "side": "buy", "price": "1", "size": "1"}, "bad_address"),
        ({"address": alice, "instrument": "ETH-ATM-C", "side": "buy", "price": "1", "size": "1", "nonce": -3},
         "bad_request"),
    ]
    for body, code in cases:
        status, answer = web.post("/api/typed_data/order", body)
        assert (status, answer["code"]) == (400, code), body
    status, answer = web.post("/api/typed_data/order", {"address": alice, "instrument": "XYZ-1", "side": "buy",
                                                        "price": "1", "size": "1"})
    assert (status, answer["code"]) == (404, "unknown_instrument")
    status, answer = web.post("/api/submit", raw=b"{not json")
    assert (status, answer["code"]) == (400, "bad_request")
    status, answer = web.post("/api/submit", {"typed_data": {"primaryType": "OracleUpdate", "message": {}},
                                              "signature": "0x" + "11" * 65})
    assert status == 400 and "primaryType" in answer["error"]
    status, answer = web.post("/api/typed_data/cancel", {"address": alice})
    assert (status, answer["code"]) == (400, "bad_request")
