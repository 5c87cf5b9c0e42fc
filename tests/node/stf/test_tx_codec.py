"""Wire format (node/stf/tx_codec.py) and sender recovery (node/stf/recover.py).

Unit tests first, then fuzz tests: ``decode_tx`` must return a ``SignedTx`` or raise
``TxDecodeError`` for every byte string, and accept only canonical encodings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import coincurve
import pytest
import rlp
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rlp.codec import length_prefix

from node.stf import eip712, recover, tx_codec
from node.stf.eip712 import Domain, keccak256, signing_digest, typed_data
from node.stf.errors import FailureCode
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N, BadSignature, recover_sender
from node.stf.tx_codec import (
    MAX_TX_BYTES,
    TxDecodeError,
    decode_tx,
    decode_unsigned,
    encode_tx,
    tx_hash,
)
from node.stf.txtypes import (
    CancelAll,
    CancelOrder,
    Deposit,
    ListInstrument,
    Liquidate,
    OracleUpdate,
    PlaceOrder,
    Settle,
    SignedTx,
    TxType,
    VolPoint,
    Withdraw,
)
from node.wallet import address_of, sign_tx

CHAIN_ID = 901
PORTAL = bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512")
DOMAIN = Domain(CHAIN_ID, PORTAL)
SURFACE = 5  # the surface's position in an OracleUpdate envelope
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
SENDER = address_of(KEY)
U64 = 2**64 - 1
U32 = 2**32 - 1
SECP256K1_P = 2**256 - 2**32 - 977

ORDER = PlaceOrder(
    nonce=5,
    instrument_id=7,
    side=1,
    price_e6=1_234_567,
    size_e6=1_000_000,
    time_in_force=0,
    reduce_only=True,
    client_order_id=99,
    expiry=1_700_000_000,
)
ORACLE = OracleUpdate(
    nonce=3,
    underlying_id=1,
    sequence=8,
    observation_time=1_699_999_990,
    index_price_e6=60_000 * 10**6,
    surface=(
        VolPoint(1_700_000_000, 650_000, -120_000, 30_000),
        VolPoint(1_800_000_000, 600_000, 2**63 - 1, 0),
        VolPoint(1_900_000_000, 1, -(2**63), U64),
    ),
)
DEPOSIT = Deposit(deposit_index=12, recipient=bytes(range(20)), amount_e6=5 * 10**6)
SIGNED_BODIES = [
    ORDER,
    PlaceOrder(0, 0, 0, 0, 0, 0, False, 0, 0),
    PlaceOrder(U64, U32, 255, U64, U64, 255, True, U64, U64),
    CancelOrder(nonce=1, order_id=2, client_order_id=0),
    CancelAll(nonce=4, instrument_id=0),
    Withdraw(nonce=9, amount_e6=10**6, recipient=bytes.fromhex("ab" * 20)),
    ORACLE,
    ListInstrument(1, 1, 1_700_000_000, 60_000 * 10**6, True, 5 * 10**6, 100_000),
    Liquidate(nonce=11, account=bytes.fromhex("cd" * 20), instrument_id=U32, size_e6=U64),
    Settle(nonce=12, account=bytes(20), instrument_id=3),
]
VALID_RAWS = [sign_tx(KEY, body, DOMAIN) for body in SIGNED_BODIES] + [encode_tx(DEPOSIT, None)]


def envelope(tx_type: int, items: list) -> bytes:
    return bytes([tx_type]) + rlp.encode(items)


def items_of(raw: bytes) -> list:
    return rlp.decode(raw[1:])


def code_of(raw: bytes) -> FailureCode:
    with pytest.raises(TxDecodeError) as info:
        decode_tx(raw, DOMAIN)
    return info.value.code


def order_items(**changes) -> list:
    """The RLP items of ORDER's signed envelope, with some replaced (by position name)."""
    names = [
        "nonce", "instrument_id", "side", "price_e6", "size_e6", "time_in_force",
        "reduce_only", "client_order_id", "expiry", "y_parity", "r", "s",
    ]  # fmt: skip
    items = items_of(sign_tx(KEY, ORDER, DOMAIN))
    for name, value in changes.items():
        items[names.index(name)] = value
    return items


# --- round trips -------------------------------------------------------------------


@pytest.mark.parametrize("body", SIGNED_BODIES, ids=lambda b: type(b).__name__)
def test_round_trip_signed(body) -> None:
    raw = sign_tx(KEY, body, DOMAIN)
    tx = decode_tx(raw, DOMAIN)
    assert isinstance(tx, SignedTx)
    assert tx.body == body
    assert tx.sender == SENDER
    assert tx.raw == raw
    assert tx.tx_hash == keccak256(raw) == tx_hash(raw)
    decoded_body, signature = decode_unsigned(raw)
    assert decoded_body == body
    assert encode_tx(body, signature) == raw
    assert raw[0] == {
        PlaceOrder: TxType.PLACE_ORDER,
        CancelOrder: TxType.CANCEL_ORDER,
        CancelAll: TxType.CANCEL_ALL,
        Withdraw: TxType.WITHDRAW,
        OracleUpdate: TxType.ORACLE_UPDATE,
        ListInstrument: TxType.LIST_INSTRUMENT,
        Liquidate: TxType.LIQUIDATE,
        Settle: TxType.SETTLE,
    }[type(body)]


def test_round_trip_deposit() -> None:
    raw = encode_tx(DEPOSIT, None)
    assert raw == bytes([0x7E]) + rlp.encode([12, bytes(range(20)), 5 * 10**6])
    tx = decode_tx(raw, DOMAIN)
    assert tx.body == DEPOSIT
    assert tx.sender is None
    assert tx.tx_hash == keccak256(raw)
    assert decode_unsigned(raw) == (DEPOSIT, None)


def test_decoded_types() -> None:
    body = decode_tx(sign_tx(KEY, ORDER, DOMAIN), DOMAIN).body
    assert body.reduce_only is True
    assert type(body.nonce) is int
    oracle = decode_tx(sign_tx(KEY, ORACLE, DOMAIN), DOMAIN).body
    assert type(oracle.surface) is tuple
    assert oracle.surface[0].skew_e6 == -120_000
    assert oracle.surface[2].skew_e6 == -(2**63)


def test_wire_layout_of_a_place_order() -> None:
    raw = sign_tx(KEY, ORDER, DOMAIN)
    y_parity, r, s = decode_unsigned(raw)[1]
    expected = [5, 7, 1, 1_234_567, 1_000_000, 0, 1, 99, 1_700_000_000, y_parity, r, s]
    assert raw == bytes([0x01]) + rlp.encode(expected)


def test_negative_skew_is_a_256_bit_twos_complement() -> None:
    raw = encode_tx(ORACLE, (0, 1, 1))
    surface = items_of(raw)[SURFACE]
    assert surface[0][2] == (2**256 - 120_000).to_bytes(32, "big")
    assert surface[1][2] == (2**63 - 1).to_bytes(8, "big")


def test_accepts_bytearray_and_memoryview() -> None:
    raw = VALID_RAWS[0]
    assert decode_tx(bytearray(raw), DOMAIN).raw == raw
    assert decode_tx(memoryview(raw), DOMAIN).sender == SENDER


@pytest.mark.parametrize("value", [None, "01", 5, [1, 2]])
def test_non_bytes_input(value) -> None:
    with pytest.raises(TxDecodeError) as info:
        decode_tx(value, DOMAIN)
    assert info.value.code == FailureCode.DECODE_ERROR


# --- eth_account interoperability (wallets sign, the rollup recovers) ---------------


@pytest.mark.parametrize("body", SIGNED_BODIES, ids=lambda b: type(b).__name__)
def test_eth_account_signed_tx_recovers_its_signer(body) -> None:
    signed = Account.sign_typed_data(KEY, full_message=typed_data(body, DOMAIN))
    raw = encode_tx(body, (signed.v - 27, signed.r, signed.s))
    tx = decode_tx(raw, DOMAIN)
    assert tx.sender == bytes.fromhex(Account.from_key(KEY).address[2:])
    assert tx.body == body


def test_eth_account_split_form_signature() -> None:
    message = typed_data(ORDER, DOMAIN)
    types = {k: v for k, v in message["types"].items() if k != "EIP712Domain"}
    signed = Account.sign_typed_data(KEY, message["domain"], types, message["message"])
    raw = encode_tx(ORDER, (signed.v - 27, signed.r, signed.s))
    assert decode_tx(raw, DOMAIN).sender == SENDER


@pytest.mark.parametrize("other", [Domain(CHAIN_ID + 1, PORTAL), Domain(CHAIN_ID, bytes(19) + b"\x01")],
                         ids=["chain id", "portal"])
def test_wrong_domain_recovers_another_sender(other) -> None:
    raw = sign_tx(KEY, ORDER, DOMAIN)
    tx = decode_tx(raw, other)  # decodes: no check can tell a wrong domain from another key
    assert tx.sender is not None
    assert tx.sender != SENDER
    assert decode_tx(raw, DOMAIN).sender == SENDER


# --- signatures --------------------------------------------------------------------


def test_high_s_rejected() -> None:
    body, (y_parity, r, s) = decode_unsigned(sign_tx(KEY, ORDER, DOMAIN))
    high = encode_tx(body, (y_parity ^ 1, r, SECP256K1_N - s))
    assert code_of(high) == FailureCode.BAD_SIGNATURE
    with pytest.raises(TxDecodeError) as info:
        decode_unsigned(high)
    assert info.value.code == FailureCode.BAD_SIGNATURE
    # the same point with high s is a valid ECDSA signature: only EIP-2 rejects it
    sig65 = r.to_bytes(32, "big") + (SECP256K1_N - s).to_bytes(32, "big") + bytes([y_parity ^ 1])
    digest = signing_digest(body, DOMAIN)
    public = coincurve.PublicKey.from_signature_and_message(sig65, digest, hasher=None)
    assert keccak256(public.format(compressed=False)[1:])[12:] == SENDER


@pytest.mark.parametrize(
    "signature",
    [
        (2, 1, 1),
        (27, 1, 1),
        (0, 0, 1),
        (0, 1, 0),
        (0, SECP256K1_N, 1),
        (0, 1, SECP256K1_HALF_N + 1),
        (0, 2**256 - 1, 1),
    ],
)
def test_bad_signature_scalars(signature) -> None:
    y_parity, r, s = signature
    raw = envelope(0x01, order_items(y_parity=y_parity, r=r, s=s))
    assert code_of(raw) == FailureCode.BAD_SIGNATURE


def test_signature_scalars_longer_than_32_bytes() -> None:
    raw = envelope(0x01, order_items(r=2**256 + 5))
    assert code_of(raw) == FailureCode.BAD_SIGNATURE


def test_s_at_half_n_is_accepted_statically() -> None:
    decode_unsigned(envelope(0x01, order_items(s=SECP256K1_HALF_N)))


def non_residue_x() -> int:
    """The smallest r that is no curve point's x coordinate: nothing can recover."""
    x = 1
    while pow(x**3 + 7, (SECP256K1_P - 1) >> 1, SECP256K1_P) == 1:
        x += 1
    return x


def test_unrecoverable_signature() -> None:
    raw = envelope(0x01, order_items(y_parity=0, r=non_residue_x(), s=1))
    decode_unsigned(raw)  # statically fine
    assert code_of(raw) == FailureCode.BAD_SIGNATURE
    with pytest.raises(BadSignature):
        recover_sender(b"\x11" * 32, 0, non_residue_x(), 1)


def test_tampered_body_recovers_another_sender() -> None:
    raw = envelope(0x01, order_items(price_e6=1_234_568))
    assert decode_tx(raw, DOMAIN).sender != SENDER


@settings(max_examples=40, deadline=None)
@given(key=st.integers(1, SECP256K1_N - 1), digest=st.binary(min_size=32, max_size=32))
def test_recover_matches_coincurve(key, digest) -> None:
    private = coincurve.PrivateKey(key.to_bytes(32, "big"))
    sig65 = private.sign_recoverable(digest, hasher=None)
    r, s = int.from_bytes(sig65[:32], "big"), int.from_bytes(sig65[32:64], "big")
    assert s <= SECP256K1_HALF_N
    expected = keccak256(private.public_key.format(compressed=False)[1:])[12:]
    assert recover_sender(digest, sig65[64], r, s) == expected


# --- canonical form and shape: DECODE_ERROR ----------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": b"\x00\x05"},  # leading zero
        {"instrument_id": b"\x00"},  # zero written as 0x00 instead of the empty string
        {"reduce_only": b"\x00"},
        {"reduce_only": b"\x00\x01"},
        {"r": b"\x00" + (1).to_bytes(32, "big")},
        {"y_parity": b"\x00"},
        {"price_e6": [b"\x01"]},  # a list where an integer belongs
        {"s": []},
    ],
)
def test_non_canonical_fields(changes) -> None:
    assert code_of(envelope(0x01, order_items(**changes))) == FailureCode.DECODE_ERROR


def test_extra_and_missing_fields() -> None:
    items = order_items()
    assert code_of(envelope(0x01, items + [b""])) == FailureCode.DECODE_ERROR
    assert code_of(envelope(0x01, items[:-1])) == FailureCode.DECODE_ERROR
    assert code_of(envelope(0x01, [items])) == FailureCode.DECODE_ERROR
    assert code_of(bytes([0x01]) + rlp.encode(b"not a list")) == FailureCode.DECODE_ERROR
    deposit_items = items_of(encode_tx(DEPOSIT, None))
    signed_deposit = envelope(0x7E, deposit_items + [0, 1, 1])
    assert code_of(signed_deposit) == FailureCode.DECODE_ERROR


def test_non_canonical_rlp_prefixes() -> None:
    items = [rlp.encode(item) for item in items_of(sign_tx(KEY, CancelAll(4, 0), DOMAIN))]
    assert items[0] == b"\x04"
    canonical = b"".join(items)
    assert decode_tx(b"\x03" + length_prefix(len(canonical), 0xC0) + canonical, DOMAIN)
    # a single byte < 0x80 written as a one-byte string: 0x81 0x04 instead of 0x04
    payload = b"\x81\x04" + b"".join(items[1:])
    assert code_of(b"\x03" + length_prefix(len(payload), 0xC0) + payload) == FailureCode.DECODE_ERROR
    # a list length in long form although it is < 56
    short = encode_tx(CancelAll(4, 0), (0, 1, 1))[1:]
    assert short[0] < 0xF8
    long_form = bytes([0xF8, short[0] - 0xC0]) + short[1:]
    assert code_of(b"\x03" + long_form) == FailureCode.DECODE_ERROR
    # a string length in long form although it is < 56 (the 32-byte r)
    r_item = items[3]
    assert r_item[0] == 0xA0
    payload = b"".join(items[:3]) + b"\xb8\x20" + r_item[1:] + items[4]
    assert code_of(b"\x03" + length_prefix(len(payload), 0xC0) + payload) == FailureCode.DECODE_ERROR
    # a length with a leading zero byte
    payload = canonical
    assert code_of(b"\x03\xf9\x00" + bytes([len(payload)]) + payload) == FailureCode.DECODE_ERROR


def test_trailing_and_truncated_bytes() -> None:
    raw = VALID_RAWS[0]
    assert code_of(raw + b"\x00") == FailureCode.DECODE_ERROR
    assert code_of(raw + raw) == FailureCode.DECODE_ERROR
    for cut in range(1, len(raw)):
        assert code_of(raw[:cut]) == FailureCode.DECODE_ERROR


def test_address_must_be_20_bytes() -> None:
    for recipient in (b"\x01" * 19, b"\x01" * 21, b""):
        raw = envelope(0x7E, [1, recipient, 5])
        assert code_of(raw) == FailureCode.DECODE_ERROR
        raw = envelope(0x04, [1, 5, recipient, 0, 1, 1])
        assert code_of(raw) == FailureCode.DECODE_ERROR


def test_surface_shape() -> None:
    base = items_of(encode_tx(ORACLE, (0, 1, 1)))
    for surface in (b"", [b""], [[1, 2, 3]], [[1, 2, 3, 4, 5]], [[1, 2, [3], 4]]):
        items = list(base)
        items[SURFACE] = surface
        assert code_of(envelope(0x05, items)) == FailureCode.DECODE_ERROR


def test_deeply_nested_input_is_a_decode_error() -> None:
    nested = b"\xc0"
    while len(nested) < MAX_TX_BYTES - 8:
        nested = length_prefix(len(nested), 0xC0) + nested
    for tx_type in (0x01, 0x05, 0x7E):
        assert code_of(bytes([tx_type]) + nested) == FailureCode.DECODE_ERROR


# --- envelope: size and type ---------------------------------------------------------


def test_empty_input() -> None:
    assert code_of(b"") == FailureCode.DECODE_ERROR


@pytest.mark.parametrize("tx_type", [0x00, 0x09, 0x7D, 0x7F, 0xC0, 0xFF])
def test_unknown_type(tx_type) -> None:
    assert code_of(bytes([tx_type]) + VALID_RAWS[0][1:]) == FailureCode.UNKNOWN_TX_TYPE


def test_too_large() -> None:
    assert code_of(b"\x01" * (MAX_TX_BYTES + 1)) == FailureCode.TX_TOO_LARGE
    assert code_of(VALID_RAWS[0] + b"\x00" * MAX_TX_BYTES) == FailureCode.TX_TOO_LARGE
    at_limit = b"\x01" + b"\x00" * (MAX_TX_BYTES - 1)
    assert code_of(at_limit) == FailureCode.DECODE_ERROR


def test_largest_oracle_update_fits() -> None:
    point = VolPoint(U64, U64, -(2**63), U64)
    body = OracleUpdate(U64, U32, U64, U64, U64, (point,) * 16)
    raw = sign_tx(KEY, body, DOMAIN)
    assert len(raw) <= MAX_TX_BYTES
    assert decode_tx(raw, DOMAIN).body == body


# --- ranges: FIELD_OUT_OF_RANGE ----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": 2**64},
        {"instrument_id": 2**32},
        {"side": 256},
        {"time_in_force": 2**8},
        {"price_e6": 2**64},
        {"size_e6": 2**200},
        {"client_order_id": 2**64},
        {"expiry": 2**64},
        {"reduce_only": 2},
        {"reduce_only": 255},
    ],
)
def test_order_fields_out_of_range(changes) -> None:
    assert code_of(envelope(0x01, order_items(**changes))) == FailureCode.FIELD_OUT_OF_RANGE


def test_side_and_time_in_force_values_are_the_stf_s_business() -> None:
    # uint8 on the wire; BAD_SIDE / BAD_TIME_IN_FORCE are order-handler codes
    body = decode_unsigned(envelope(0x01, order_items(side=7, time_in_force=9)))[0]
    assert (body.side, body.time_in_force) == (7, 9)


@pytest.mark.parametrize("skew_word", [2**63, 2**255, 2**256 - 2**63 - 1, 2**256, 2**300])
def test_skew_out_of_int64(skew_word) -> None:
    items = items_of(encode_tx(ORACLE, (0, 1, 1)))
    items[SURFACE][0][2] = skew_word
    assert code_of(envelope(0x05, items)) == FailureCode.FIELD_OUT_OF_RANGE


@pytest.mark.parametrize("length", [0, 17])
def test_surface_length(length) -> None:
    body = ORACLE
    items = items_of(encode_tx(body, (0, 1, 1)))
    items[SURFACE] = [items[SURFACE][0]] * length
    assert code_of(envelope(0x05, items)) == FailureCode.FIELD_OUT_OF_RANGE


def test_deposit_amount_out_of_range() -> None:
    assert code_of(envelope(0x7E, [1, b"\x01" * 20, 2**64])) == FailureCode.FIELD_OUT_OF_RANGE
    assert code_of(envelope(0x7E, [2**64, b"\x01" * 20, 1])) == FailureCode.FIELD_OUT_OF_RANGE


def test_decode_error_takes_precedence_over_range() -> None:
    # instrument_id out of range comes first on the wire, the bad bool later: DECODE_ERROR wins
    raw = envelope(0x01, order_items(instrument_id=2**40, reduce_only=b"\x00"))
    assert code_of(raw) == FailureCode.DECODE_ERROR
    # a range error beats a bad signature
    raw = envelope(0x01, order_items(side=256, s=SECP256K1_N - 1))
    assert code_of(raw) == FailureCode.FIELD_OUT_OF_RANGE


# --- encode_tx refuses what the decoder would refuse ---------------------------------


@pytest.mark.parametrize(
    "body",
    [
        PlaceOrder(-1, 0, 0, 0, 0, 0, False, 0, 0),
        PlaceOrder(0, 2**32, 0, 0, 0, 0, False, 0, 0),
        PlaceOrder(0, 0, 256, 0, 0, 0, False, 0, 0),
        PlaceOrder(0, 0, 0, 0, 0, 0, 2, 0, 0),
        Withdraw(0, 1, b"\x01" * 19),
        OracleUpdate(0, 0, 0, 0, 0, ()),
        OracleUpdate(0, 0, 0, 0, 0, (VolPoint(0, 0, 2**63, 0),)),
        OracleUpdate(0, 0, 0, 0, 0, (VolPoint(0, 0, 0, 0),) * 17),
        OracleUpdate(0, 0, 2**64, 0, 0, (VolPoint(0, 0, 0, 0),)),
        OracleUpdate(0, 0, 0, -1, 0, (VolPoint(0, 0, 0, 0),)),
    ],
)
def test_encode_rejects_out_of_range(body) -> None:
    with pytest.raises(ValueError):
        encode_tx(body, (0, 1, 1))


def test_encode_signature_rules() -> None:
    with pytest.raises(ValueError):
        encode_tx(ORDER, None)
    with pytest.raises(ValueError):
        encode_tx(DEPOSIT, (0, 1, 1))
    with pytest.raises(ValueError):
        encode_tx(ORDER, (2, 1, 1))
    with pytest.raises(ValueError):
        encode_tx(ORDER, (0, 2**256, 1))
    with pytest.raises(ValueError):
        encode_tx(VolPoint(0, 0, 0, 0), None)


# --- property tests: round trips of random bodies -------------------------------------

u64 = st.integers(0, U64)
u32 = st.integers(0, U32)
u8 = st.integers(0, 255)
i64 = st.integers(-(2**63), 2**63 - 1)
address = st.binary(min_size=20, max_size=20)
signed_bodies = st.one_of(
    st.builds(PlaceOrder, u64, u32, u8, u64, u64, u8, st.booleans(), u64, u64),
    st.builds(CancelOrder, u64, u64, u64),
    st.builds(CancelAll, u64, u32),
    st.builds(Withdraw, u64, u64, address),
    st.builds(
        OracleUpdate,
        u64,
        u32,
        u64,
        u64,
        u64,
        st.lists(st.builds(VolPoint, u64, u64, i64, u64), min_size=1, max_size=16).map(tuple),
    ),
    st.builds(ListInstrument, u64, u32, u64, u64, st.booleans(), u64, u64),
)
signatures = st.tuples(st.integers(0, 1), st.integers(1, SECP256K1_N - 1), st.integers(1, SECP256K1_HALF_N))


@settings(max_examples=200, deadline=None)
@given(body=signed_bodies, signature=signatures)
def test_random_round_trip(body, signature) -> None:
    raw = encode_tx(body, signature)
    assert decode_unsigned(raw) == (body, signature)


@settings(max_examples=100, deadline=None)
@given(body=st.builds(Deposit, u64, address, u64))
def test_random_deposit_round_trip(body) -> None:
    raw = encode_tx(body, None)
    assert decode_tx(raw, DOMAIN) == SignedTx(body, raw, keccak256(raw), None)


@settings(max_examples=30, deadline=None)
@given(body=signed_bodies, key=st.integers(1, SECP256K1_N - 1))
def test_random_signed_round_trip(body, key) -> None:
    private_key = key.to_bytes(32, "big")
    tx = decode_tx(sign_tx(private_key, body, DOMAIN), DOMAIN)
    assert (tx.body, tx.sender) == (body, address_of(private_key))


# --- fuzz: nothing but TxDecodeError, and only canonical encodings accepted ------------


def decode_is_total(raw: bytes) -> None:
    """decode_tx returns or raises TxDecodeError; anything accepted re-encodes to itself."""
    try:
        tx = decode_tx(raw, DOMAIN)
    except TxDecodeError as exc:
        assert isinstance(exc.code, FailureCode)
        try:
            body, signature = decode_unsigned(raw)
        except TxDecodeError as static_exc:
            assert static_exc.code == exc.code
        else:  # only recovery can fail after the static checks
            assert exc.code == FailureCode.BAD_SIGNATURE
        return
    body, signature = decode_unsigned(raw)
    assert tx.body == body
    assert encode_tx(body, signature) == raw  # canonical: decode then re-encode is identity
    assert len(raw) <= MAX_TX_BYTES


type_bytes = st.sampled_from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x7E])


@settings(max_examples=400, deadline=None)
@given(raw=st.binary(max_size=2100))
def test_fuzz_random_bytes(raw) -> None:
    decode_is_total(raw)


@settings(max_examples=400, deadline=None)
@given(tx_type=type_bytes, rest=st.binary(max_size=300))
def test_fuzz_random_bytes_with_a_valid_type(tx_type, rest) -> None:
    decode_is_total(bytes([tx_type]) + rest)


rlp_values = st.recursive(
    st.one_of(
        st.binary(max_size=40),
        st.integers(0, 2**70),
        st.sampled_from([b"", b"\x00", b"\x01", b"\x02", b"\x00\x01", b"\x01" * 20]),
    ),
    lambda children: st.lists(children, max_size=14),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx_type=type_bytes, value=rlp_values)
def test_fuzz_random_rlp_structures(tx_type, value) -> None:
    decode_is_total(bytes([tx_type]) + rlp.encode(value))


@st.composite
def mutated(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(VALID_RAWS)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["flip", "truncate", "append", "insert", "delete", "set"]))
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del raw[at:]
        elif op == "append":
            raw += draw(st.binary(min_size=1, max_size=40))
        elif op == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and raw:
            del raw[at]
        elif op == "set" and raw:
            raw[at] = draw(st.integers(0, 255))
    return bytes(raw)


@settings(max_examples=600, deadline=None)
@given(raw=mutated())
def test_fuzz_mutations_of_valid_encodings(raw) -> None:
    decode_is_total(raw)


def test_every_single_bit_flip_of_an_order() -> None:
    raw = VALID_RAWS[0]
    for position in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[position] ^= 1 << bit
            decode_is_total(bytes(flipped))


# --- purity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [eip712, recover, tx_codec], ids=lambda m: m.__name__)
def test_stf_modules_are_pure(module) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    banned = {"os", "time", "random", "datetime", "threading", "asyncio", "socket", "secrets"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {alias.name.split(".")[0] for alias in node.names} & banned
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in banned
        elif isinstance(node, ast.BinOp | ast.AugAssign):
            assert not isinstance(node.op, ast.Div)
        elif isinstance(node, ast.Constant):
            assert not isinstance(node.value, float)
