"""The README documents every failure code under its stable number, and the transaction
formats exactly as the code signs and decodes them (so an integrator can trust it)."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from node.stf.eip712 import DOMAIN_NAME, DOMAIN_TYPE, DOMAIN_VERSION, Domain, camel_case, encode_type, typed_data
from node.stf.errors import FailureCode
from node.stf.oracle import MAX_ORACLE_AGE_S, MAX_ORACLE_FUTURE_S
from node.stf.tx_codec import BODY_TYPES, decode_tx, encode_tx
from node.stf.txtypes import (
    CancelAll, CancelOrder, Deposit, ListInstrument, Liquidate, OracleUpdate, PlaceOrder, Settle, TxType, VolPoint,
    Withdraw,
)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_failure_code_is_documented() -> None:
    for code in FailureCode:
        assert f"| {code.value} | `{code.name}` |" in README, code


def test_no_placeholder_left() -> None:
    assert "PLACEHOLDER" not in README


# --- the transaction formats as an integrator reads them ------------------------------

TX_ROW = re.compile(r"^\| `0x([0-9A-F]{2})` \| [^|]+ \| [^|]+ \| (?:`([^`]+)`|—) \|$", re.MULTILINE)
STRUCT = re.compile(r"(\w+)\(([^)]*)\)")
PORTAL = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")


def readme_tx_table() -> dict[int, str]:
    """type byte -> the README's EIP-712 string ('' for the unsigned deposit)."""
    return {int(byte, 16): text or "" for byte, text in TX_ROW.findall(README)}


def readme_types(encode_type: str) -> tuple[str, dict[str, list[dict[str, str]]]]:
    """The primary type and the ``types`` of ``eth_signTypedData_v4`` parsed from an encodeType string."""
    structs = STRUCT.findall(encode_type)
    types = {name: [dict(zip(("type", "name"), member.split(" "))) for member in members.split(",")]
             for name, members in structs}
    return structs[0][0], types


def test_the_type_byte_table_is_the_code() -> None:
    table = readme_tx_table()
    assert set(table) == {int(t) for t in TxType}
    for tx_type, text in table.items():
        cls = BODY_TYPES[tx_type]
        assert text == ("" if cls is Deposit else encode_type(cls)), hex(tx_type)


def test_the_domain_is_documented_exactly() -> None:
    assert f"`{DOMAIN_TYPE}`" in README
    assert f'`name = "{DOMAIN_NAME}"`, `version = "{DOMAIN_VERSION}"`' in README


def test_the_oracle_bounds_are_documented() -> None:
    assert f"`observationTime > now + {MAX_ORACLE_FUTURE_S} s`" in README
    assert f"`observationTime < now − {MAX_ORACLE_AGE_S} s`" in README


def test_the_documented_wallet_payload_is_ours() -> None:
    block = re.search(r"```json\n(.*?)```", README[README.index("**Signature and domain.**"):], re.DOTALL)
    payload = json.loads(block.group(1).replace("0x<the portal address>", to_checksum_address(PORTAL)))
    message = payload["message"]
    body = PlaceOrder(*(message[camel_case(f.name)] for f in fields(PlaceOrder)))
    assert payload == typed_data(body, Domain(payload["domain"]["chainId"], PORTAL))


@pytest.mark.parametrize("body", [
    PlaceOrder(3, 5, 1, 60 * 10**6, 10**6, 3, True, 77, 1_800_000_000),
    CancelOrder(4, 0, 77),
    CancelAll(5, 0),
    Withdraw(6, 10**6, b"\x42" * 20),
    OracleUpdate(7, 1, 12, 1_799_999_990, 3_000 * 10**6, (VolPoint(1_800_000_000, 650_000, -50_000, 10_000),)),
    ListInstrument(8, 1, 1_800_000_000, 3_000 * 10**6, True, 100_000, 100_000),
    Liquidate(9, b"\x07" * 20, 5, 10**6),
    Settle(10, b"\x08" * 20, 5),
], ids=lambda body: type(body).__name__)
def test_a_wallet_signing_the_readme_typed_data_is_recovered(body) -> None:
    """``eth_signTypedData_v4`` over types and domain taken from the README text alone."""
    wallet = Account.create()
    tx_type = next(t for t, cls in BODY_TYPES.items() if cls is type(body))
    primary, types = readme_types(readme_tx_table()[tx_type])
    _, domain_types = readme_types(re.search(r"`(EIP712Domain\([^`]*\))`", README).group(1))
    domain = Domain(901, PORTAL)
    payload = {
        "types": {**domain_types, **types}, "primaryType": primary,
        "domain": {"name": "OptRollup", "version": "1", "chainId": 901, "verifyingContract": to_checksum_address(PORTAL)},
        "message": typed_data(body, domain)["message"],
    }
    signed = Account.sign_typed_data(wallet.key, full_message=payload)
    raw = encode_tx(body, (signed.v - 27, signed.r, signed.s))
    tx = decode_tx(raw, domain)
    assert tx.sender == bytes.fromhex(wallet.address[2:]) and tx.body == body

