"""Client-side signing (node/wallet.py): same signatures and addresses as eth_account."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from node.stf.eip712 import Domain, signing_digest, typed_data
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N, recover_sender
from node.stf.tx_codec import decode_tx, decode_unsigned
from node.stf.txtypes import CancelAll, Deposit, OracleUpdate, PlaceOrder, VolPoint, Withdraw
from node.wallet import address_of, sign_digest, sign_tx

DOMAIN = Domain(901, bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512"))
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ORDER = PlaceOrder(5, 7, 0, 2_500_000, 3_000_000, 1, False, 42, 0)
BODIES = [
    ORDER,
    CancelAll(1, 3),
    Withdraw(2, 10**6, b"\x42" * 20),
    OracleUpdate(3, 1, 4, 1_699_999_000, 60_000 * 10**6, (VolPoint(1_700_000_000, 650_000, -50_000, 10_000),)),
]
keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))


def test_address_matches_eth_account() -> None:
    assert address_of(KEY) == bytes.fromhex(Account.from_key(KEY).address[2:])


@settings(max_examples=30, deadline=None)
@given(key=keys)
def test_random_addresses_match_eth_account(key) -> None:
    assert address_of(key) == bytes.fromhex(Account.from_key(key).address[2:])


@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_signature_equals_eth_account(body) -> None:
    signed = Account.sign_typed_data(KEY, full_message=typed_data(body, DOMAIN))
    _, signature = decode_unsigned(sign_tx(KEY, body, DOMAIN))
    assert signature == (signed.v - 27, signed.r, signed.s)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_signed_tx_decodes_to_its_signer(body) -> None:
    tx = decode_tx(sign_tx(KEY, body, DOMAIN), DOMAIN)
    assert tx.sender == address_of(KEY)
    assert tx.body == body


def test_signing_is_deterministic() -> None:
    assert sign_tx(KEY, ORDER, DOMAIN) == sign_tx(KEY, ORDER, DOMAIN)
    assert sign_tx(KEY, ORDER, DOMAIN) != sign_tx(KEY, ORDER, Domain(DOMAIN.chain_id + 1, DOMAIN.verifying_contract))


@settings(max_examples=40, deadline=None)
@given(key=keys, digest=st.binary(min_size=32, max_size=32))
def test_sign_digest_is_low_s_and_recovers(key, digest) -> None:
    y_parity, r, s = sign_digest(key, digest)
    assert y_parity in (0, 1)
    assert 0 < r < SECP256K1_N
    assert 0 < s <= SECP256K1_HALF_N
    assert recover_sender(digest, y_parity, r, s) == address_of(key)


def test_sign_digest_matches_eth_account_on_a_raw_digest() -> None:
    digest = signing_digest(ORDER, DOMAIN)
    signed = Account.unsafe_sign_hash(digest, KEY)
    assert sign_digest(KEY, digest) == (signed.v - 27, signed.r, signed.s)


def test_deposits_are_not_signed() -> None:
    with pytest.raises(ValueError):
        sign_tx(KEY, Deposit(0, b"\x01" * 20, 1), DOMAIN)


BAD_KEYS = [b"", b"\x00" * 32, SECP256K1_N.to_bytes(32, "big"), b"\x01" * 31, "00" * 32]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_private_keys(key) -> None:
    with pytest.raises(ValueError):
        address_of(key)
    with pytest.raises(ValueError):
        sign_tx(key, ORDER, DOMAIN)


def test_out_of_range_body_is_refused_before_signing() -> None:
    with pytest.raises(ValueError):
        sign_tx(KEY, PlaceOrder(2**64, 7, 0, 1, 1, 0, False, 0, 0), DOMAIN)
