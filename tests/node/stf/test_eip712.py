"""EIP-712 hashing (node/stf/eip712.py): our digest must be eth_account's, for every kind."""

from __future__ import annotations

import json
import threading
from dataclasses import fields

import pytest
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak as reference_keccak
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf.eip712 import (
    DOMAIN_TYPE,
    FIELD_TYPES,
    Domain,
    camel_case,
    domain_separator,
    encode_type,
    hash_struct,
    keccak256,
    signing_digest,
    typed_data,
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
    VolPoint,
    Withdraw,
)

CHAIN_ID = 901
PORTAL = bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512")
DOMAIN = Domain(CHAIN_ID, PORTAL)
U64 = 2**64 - 1
U32 = 2**32 - 1

SAMPLE_BODIES = [
    PlaceOrder(
        nonce=5,
        instrument_id=7,
        side=1,
        price_e6=1_234_567,
        size_e6=1_000_000,
        time_in_force=3,
        reduce_only=True,
        client_order_id=99,
        expiry=1_700_000_000,
    ),
    PlaceOrder(0, 0, 0, 0, 0, 0, False, 0, 0),
    PlaceOrder(U64, U32, 255, U64, U64, 255, True, U64, U64),
    CancelOrder(nonce=1, order_id=2, client_order_id=3),
    CancelAll(nonce=4, instrument_id=0),
    Withdraw(nonce=9, amount_e6=10**6, recipient=bytes.fromhex("ab" * 20)),
    OracleUpdate(
        nonce=3,
        underlying_id=1,
        sequence=17,
        observation_time=1_699_000_000,
        index_price_e6=60_000 * 10**6,
        surface=(
            VolPoint(expiry=1_700_000_000, atm_vol_e6=650_000, skew_e6=-120_000, curvature_e6=30_000),
            VolPoint(expiry=1_800_000_000, atm_vol_e6=600_000, skew_e6=2**63 - 1, curvature_e6=0),
            VolPoint(expiry=1_900_000_000, atm_vol_e6=1, skew_e6=-(2**63), curvature_e6=U64),
        ),
    ),
    ListInstrument(
        nonce=1,
        underlying_id=1,
        expiry=1_700_000_000,
        strike_e6=60_000 * 10**6,
        is_call=False,
        tick_size_e6=5 * 10**6,
        min_size_e6=100_000,
    ),
    Liquidate(nonce=11, account=bytes.fromhex("cd" * 20), instrument_id=U32, size_e6=U64),
    Settle(nonce=12, account=bytes(20), instrument_id=3),
]


def eth_account_digest(message: dict) -> bytes:
    signable = encode_typed_data(full_message=message)
    return reference_keccak(b"\x19" + signable.version + signable.header + signable.body)


# --- the type strings are the protocol: pin them ---------------------------------


def test_type_strings_are_pinned() -> None:
    assert encode_type(PlaceOrder) == (
        "PlaceOrder(uint64 nonce,uint32 instrumentId,uint8 side,uint64 priceE6,uint64 sizeE6,"
        "uint8 timeInForce,bool reduceOnly,uint64 clientOrderId,uint64 expiry)"
    )
    assert encode_type(CancelOrder) == "CancelOrder(uint64 nonce,uint64 orderId,uint64 clientOrderId)"
    assert encode_type(CancelAll) == "CancelAll(uint64 nonce,uint32 instrumentId)"
    assert encode_type(Withdraw) == "Withdraw(uint64 nonce,uint64 amountE6,address recipient)"
    assert encode_type(OracleUpdate) == (
        "OracleUpdate(uint64 nonce,uint32 underlyingId,uint64 sequence,uint64 observationTime,"
        "uint64 indexPriceE6,VolPoint[] surface)"
        "VolPoint(uint64 expiry,uint64 atmVolE6,int64 skewE6,uint64 curvatureE6)"
    )
    assert encode_type(ListInstrument) == (
        "ListInstrument(uint64 nonce,uint32 underlyingId,uint64 expiry,uint64 strikeE6,"
        "bool isCall,uint64 tickSizeE6,uint64 minSizeE6)"
    )
    assert encode_type(Liquidate) == "Liquidate(uint64 nonce,address account,uint32 instrumentId,uint64 sizeE6)"
    assert encode_type(Settle) == "Settle(uint64 nonce,address account,uint32 instrumentId)"
    assert DOMAIN_TYPE == "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def test_field_tables_follow_the_dataclasses() -> None:
    for cls, (_, members) in FIELD_TYPES.items():
        assert [name for name, _ in members] == [f.name for f in fields(cls)]


def test_camel_case() -> None:
    assert camel_case("nonce") == "nonce"
    assert camel_case("time_in_force") == "timeInForce"
    assert camel_case("price_e6") == "priceE6"
    assert camel_case("atm_vol_e6") == "atmVolE6"


def test_domain_separator_matches_eth_account() -> None:
    message = typed_data(SAMPLE_BODIES[0], DOMAIN)
    assert encode_typed_data(full_message=message).header == domain_separator(DOMAIN)
    assert message["domain"] == {
        "name": "OptRollup", "version": "1", "chainId": CHAIN_ID, "verifyingContract": to_checksum_address(PORTAL),
    }
    assert message["types"]["EIP712Domain"] == [
        {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
    ]


# --- digests equal eth_account's ---------------------------------------------------


@pytest.mark.parametrize("body", SAMPLE_BODIES, ids=lambda b: type(b).__name__)
def test_digest_equals_eth_account(body) -> None:
    message = typed_data(body, DOMAIN)
    signable = encode_typed_data(full_message=message)
    assert signable.body == hash_struct(body)
    assert signing_digest(body, DOMAIN) == eth_account_digest(message)


@pytest.mark.parametrize("body", SAMPLE_BODIES, ids=lambda b: type(b).__name__)
def test_digest_equals_eth_account_split_form(body) -> None:
    message = typed_data(body, DOMAIN)
    types = {k: v for k, v in message["types"].items() if k != "EIP712Domain"}
    signable = encode_typed_data(message["domain"], types, message["message"])
    digest = reference_keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert digest == signing_digest(body, DOMAIN)


def test_typed_data_is_json() -> None:
    for body in SAMPLE_BODIES:
        message = typed_data(body, DOMAIN)
        assert json.loads(json.dumps(message)) == message
    withdraw = typed_data(SAMPLE_BODIES[5], DOMAIN)["message"]
    assert withdraw["recipient"] == to_checksum_address("0x" + "ab" * 20)
    oracle = typed_data(SAMPLE_BODIES[6], DOMAIN)
    assert oracle["primaryType"] == "OracleUpdate"
    assert oracle["message"]["surface"][0]["skewE6"] == -120_000
    assert set(oracle["types"]) == {"EIP712Domain", "OracleUpdate", "VolPoint"}


def test_chain_id_and_portal_are_bound() -> None:
    body = SAMPLE_BODIES[0]
    other_portal = Domain(CHAIN_ID, bytes.fromhex("9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"))
    digests = {signing_digest(body, d) for d in (DOMAIN, Domain(CHAIN_ID + 1, PORTAL), other_portal)}
    assert len(digests) == 3
    assert domain_separator(DOMAIN) != domain_separator(other_portal)


@pytest.mark.parametrize("chain_id", [-1, 2**256, "1", None])
def test_bad_chain_id(chain_id) -> None:
    with pytest.raises(ValueError):
        Domain(chain_id, PORTAL)


@pytest.mark.parametrize("contract", [b"", bytes(19), bytes(21), "0x" + "00" * 20, None])
def test_bad_verifying_contract(contract) -> None:
    with pytest.raises(ValueError):
        Domain(CHAIN_ID, contract)


@pytest.mark.parametrize("domain", [CHAIN_ID, (CHAIN_ID, PORTAL), None])
def test_a_domain_is_required(domain) -> None:
    with pytest.raises(ValueError):
        signing_digest(SAMPLE_BODIES[0], domain)
    with pytest.raises(ValueError):
        typed_data(SAMPLE_BODIES[0], domain)


def test_unsigned_kinds_have_no_digest() -> None:
    deposit = Deposit(deposit_index=0, recipient=b"\x01" * 20, amount_e6=1)
    with pytest.raises(ValueError):
        signing_digest(deposit, DOMAIN)
    with pytest.raises(ValueError):
        typed_data(deposit, DOMAIN)
    with pytest.raises(ValueError):
        typed_data(VolPoint(1, 1, 1, 1), DOMAIN)


def test_surface_order_matters() -> None:
    body = SAMPLE_BODIES[6]
    swapped = OracleUpdate(body.nonce, body.underlying_id, body.sequence, body.observation_time,
                           body.index_price_e6, body.surface[::-1])
    assert signing_digest(body, DOMAIN) != signing_digest(swapped, DOMAIN)


# --- property: random bodies ------------------------------------------------------

u64 = st.integers(0, U64)
u32 = st.integers(0, U32)
u8 = st.integers(0, 255)
i64 = st.integers(-(2**63), 2**63 - 1)
vol_points = st.builds(VolPoint, u64, u64, i64, u64)
signed_bodies = st.one_of(
    st.builds(PlaceOrder, u64, u32, u8, u64, u64, u8, st.booleans(), u64, u64),
    st.builds(CancelOrder, u64, u64, u64),
    st.builds(CancelAll, u64, u32),
    st.builds(Withdraw, u64, u64, st.binary(min_size=20, max_size=20)),
    st.builds(OracleUpdate, u64, u32, u64, u64, u64, st.lists(vol_points, min_size=1, max_size=16).map(tuple)),
    st.builds(ListInstrument, u64, u32, u64, u64, st.booleans(), u64, u64),
    st.builds(Liquidate, u64, st.binary(min_size=20, max_size=20), u32, u64),
    st.builds(Settle, u64, st.binary(min_size=20, max_size=20), u32),
)
domains = st.builds(Domain, st.integers(0, 2**256 - 1), st.binary(min_size=20, max_size=20))


@settings(max_examples=60, deadline=None)
@given(body=signed_bodies, domain=domains)
def test_random_digests_equal_eth_account(body, domain) -> None:
    assert signing_digest(body, domain) == eth_account_digest(typed_data(body, domain))


# --- keccak -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=700))
def test_keccak_matches_eth_hash(data) -> None:
    assert keccak256(data) == reference_keccak(data)
    assert keccak256(data) == reference_keccak(data)  # a reused sponge starts clean


def test_keccak_known_vector() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_keccak_concurrent_callers() -> None:
    inputs = [bytes([i]) * (i * 7) for i in range(64)]
    expected = [reference_keccak(d) for d in inputs]
    failures = []

    def worker() -> None:
        for _ in range(200):
            if [keccak256(d) for d in inputs] != expected:
                failures.append(1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures

