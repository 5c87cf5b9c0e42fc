"""The write endpoints (``node/web/API.md``, section Writes): typed data to sign, and submission.

The gateway never holds a key. ``order_typed_data`` / ``cancel_typed_data`` build the same
transaction body the CLI would (``PlaceOrder`` / ``CancelOrder``, ``node.stf.txtypes``) and
answer ``node.stf.eip712.typed_data`` of it for the chain's domain: the exact JSON a wallet
signs with ``eth_signTypedData_v4``. ``submit`` takes that typed data back with the 65-byte
signature, rebuilds the body from the message (the domain must be this chain's), recovers the
signer from the EIP-712 digest (``node.stf.recover``) and requires it to be the address given,
encodes the envelope with the node's codec (``node.stf.tx_codec.encode_tx``) and submits it over
``Trading.SubmitTransaction``. Range checks are the codec's (``check_body``); every trading rule
(ticks, margin, nonces) is the STF's, whose refusal comes back as 422 ``refused``.
"""

from __future__ import annotations

from typing import Any, Final

from eth_utils import to_checksum_address

from node.client import BadInput, parse_side, parse_tif
from node.rpc.generated.optrollup.v1 import query_pb2, trading_pb2
from node.stf.eip712 import FIELD_TYPES, Domain, camel_case, signing_digest, typed_data
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N, BadSignature, check_signature_scalars, recover_checked
from node.stf.tx_codec import check_body, encode_tx
from node.stf.txtypes import CancelAll, CancelOrder, PlaceOrder, Withdraw
from node.web.units import ApiError, address, amount_e6, e6, hex0x, side_name, uint
from node.web.upstream import SUBMIT_TIMEOUT_S, Upstream
from node.web.views import next_nonce

# The kinds a trader signs from the page (by EIP-712 primary type).
SIGNABLE: Final = {FIELD_TYPES[cls][0]: cls for cls in (PlaceOrder, CancelOrder, CancelAll, Withdraw)}


async def domain(up: Upstream) -> Domain:
    info = await up.chain_info()
    return Domain(info.chain_id, bytes(info.verifying_contract))


def _body_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the request body is a JSON object")
    return body


async def _nonce(up: Upstream, sender: bytes, given: Any) -> int:
    if given is not None:
        return uint(given, "nonce")
    acct = await up.call(up.query.GetAccount, query_pb2.AccountRequest(address=sender))
    return next_nonce(acct.nonce_floor, acct.nonce_bitmap)


def _checked(body: Any) -> Any:
    try:
        check_body(body)
    except Exception as exc:  # noqa: BLE001 - the codec's range errors, as a 400
        raise ApiError(400, "bad_request", f"out of range: {exc}") from None
    return body


async def _answer(up: Upstream, sender: bytes, body: Any) -> dict[str, Any]:
    return {"typed_data": typed_data(_checked(body), await domain(up)), "address": hex0x(sender), "nonce": body.nonce}


async def order_typed_data(up: Upstream, request: Any) -> dict[str, Any]:
    """``{address, instrument, side, price, size, client_id?, nonce?, tif?, reduce_only?, expiry?}``."""
    request = _body_dict(request)
    sender = address(request.get("address"))
    for name in ("instrument", "side", "price", "size"):
        if request.get(name) is None:
            raise ApiError(400, "bad_request", f"{name}: required")
    inst = await up.resolve(request["instrument"])
    try:
        side = parse_side(request["side"])
        tif = parse_tif(request.get("tif") or "gtc")
    except BadInput as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    reduce_only = request.get("reduce_only", False)
    if not isinstance(reduce_only, bool):
        raise ApiError(400, "bad_request", "reduce_only: true or false")
    body = PlaceOrder(await _nonce(up, sender, request.get("nonce")), inst.instrument_id, int(side),
                      amount_e6(request["price"], "price"), amount_e6(request["size"], "size"), int(tif), reduce_only,
                      uint(request.get("client_id"), "client_id", default=0), uint(request.get("expiry"), "expiry", default=0))
    return await _answer(up, sender, body)


async def cancel_typed_data(up: Upstream, request: Any) -> dict[str, Any]:
    """``{address, order_id, nonce?}`` or ``{address, client_id, nonce?}``."""
    request = _body_dict(request)
    sender = address(request.get("address"))
    if request.get("order_id") is None and request.get("client_id") is None:
        raise ApiError(400, "bad_request", "order_id (or client_id): required")
    body = CancelOrder(await _nonce(up, sender, request.get("nonce")),
                       uint(request.get("order_id"), "order_id", default=0),
                       uint(request.get("client_id"), "client_id", default=0))
    return await _answer(up, sender, body)


def _member(message: dict[str, Any], name: str, sol_type: str) -> Any:
    key = camel_case(name)
    if key not in message:
        raise ApiError(400, "bad_request", f"typed_data.message.{key}: missing")
    value = message[key]
    if sol_type == "address":
        return address(value)
    if sol_type == "bool":
        if not isinstance(value, bool):
            raise ApiError(400, "bad_request", f"typed_data.message.{key}: true or false")
        return value
    return uint(value, f"typed_data.message.{key}", limit=2 ** int(sol_type[4:]))


def body_of(data: Any, chain_domain: Domain) -> Any:
    """The transaction body of posted typed data; 400 unless it is a signable kind of this chain
    whose types are exactly ours (so the digest is the one the wallet signed)."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise ApiError(400, "bad_request", "typed_data: the object answered by /api/typed_data/... is required")
    cls = SIGNABLE.get(data.get("primaryType"))
    if cls is None:
        raise ApiError(400, "bad_request", f"typed_data.primaryType: one of {', '.join(SIGNABLE)}")
    posted = data.get("domain")
    ours = chain_domain.json()
    if (not isinstance(posted, dict) or posted.get("name") != ours["name"] or posted.get("version") != ours["version"]
            or posted.get("chainId") not in (ours["chainId"], str(ours["chainId"]))
            or str(posted.get("verifyingContract", "")).lower() != ours["verifyingContract"].lower()):
        raise ApiError(400, "bad_request", f"typed_data.domain: not this chain's ({ours})")
    _, members = FIELD_TYPES[cls]
    body = cls(*(_member(data["message"], name, sol_type) for name, sol_type in members))
    if data.get("types") != typed_data(_checked(body), chain_domain)["types"]:
        raise ApiError(400, "bad_request", "typed_data.types: not the types of this transaction kind")
    return body


def parse_signature(text: Any) -> tuple[int, int, int]:
    """``(y_parity, r, s)`` of a 65-byte ``r || s || v`` hex signature (``v`` 0/1 or 27/28), low-s."""
    try:
        raw = bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)
    except (TypeError, ValueError, AttributeError):
        raise ApiError(400, "bad_signature", "signature: 65 bytes of 0x hex (r || s || v)") from None
    if len(raw) != 65:
        raise ApiError(400, "bad_signature", f"signature: 65 bytes (r || s || v), not {len(raw)}")
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if v not in (0, 1, 27, 28):
        raise ApiError(400, "bad_signature", f"signature: v is 0, 1, 27 or 28, not {v}")
    y_parity = v - 27 if v >= 27 else v
    if s > SECP256K1_HALF_N:  # the same signature in its low-s form (the codec accepts only that)
        s, y_parity = SECP256K1_N - s, y_parity ^ 1
    try:
        check_signature_scalars(y_parity, r, s)
    except BadSignature as exc:
        raise ApiError(400, "bad_signature", f"signature: {exc}") from None
    return y_parity, r, s


def receipt_json(response: trading_pb2.SubmitResponse) -> dict[str, Any]:
    r = response.receipt
    return {
        "tx_hash": hex0x(response.tx_hash), "block": response.block_number, "status": "ok" if r.code == 0 else "failed",
        "order_id": r.order_id, "filled": e6(r.filled_e6), "resting": e6(r.rested_e6), "remainder": "" if r.remainder_code == 0 else r.remainder_name,
        "fills": [{"maker_order_id": f.maker_order_id, "price": e6(f.price_e6), "size": e6(f.size_e6),
                   "taker_fee": e6(f.taker_fee_e6), "maker_fee": e6(f.maker_fee_e6),
                   "taker_side": side_name(f.taker_side)} for f in r.fills],
        "cancelled": [c.order_id for c in r.cancelled],
    }


async def submit(up: Upstream, request: Any) -> dict[str, Any]:
    """``{typed_data, signature, address}`` -> the receipt (see the module docstring)."""
    request = _body_dict(request)
    chain_domain = await domain(up)
    body = body_of(request.get("typed_data"), chain_domain)
    y_parity, r, s = parse_signature(request.get("signature"))
    try:
        signer = recover_checked(signing_digest(body, chain_domain), y_parity, r, s)
    except BadSignature as exc:
        raise ApiError(400, "bad_signature", f"signature: {exc}") from None
    if request.get("address") is not None:
        claimed = address(request["address"])
        if claimed != signer:
            raise ApiError(403, "wrong_signer", f"the signature recovers to {to_checksum_address(signer)}, "
                           f"not {to_checksum_address(claimed)}: sign with the account's key", signer=hex0x(signer))
    raw = encode_tx(body, (y_parity, r, s))
    response = await up.call(up.trading.SubmitTransaction, trading_pb2.SubmitRequest(raw_tx=raw),
                             timeout=SUBMIT_TIMEOUT_S)
    answer = receipt_json(response)
    answer["sender"] = hex0x(signer)
    return answer
