"""EIP-712 typed-data hashing of transaction bodies: what a trader's wallet signs.

Every signed transaction kind is one EIP-712 struct whose members are the body's
dataclass fields, in the same order, renamed to camelCase::

    PlaceOrder(uint64 nonce,uint32 instrumentId,uint8 side,uint64 priceE6,uint64 sizeE6,
               uint8 timeInForce,bool reduceOnly,uint64 clientOrderId,uint64 expiry)
    CancelOrder(uint64 nonce,uint64 orderId,uint64 clientOrderId)
    CancelAll(uint64 nonce,uint32 instrumentId)
    Withdraw(uint64 nonce,uint64 amountE6,address recipient)
    OracleUpdate(uint64 nonce,uint32 underlyingId,uint64 sequence,uint64 observationTime,
                 uint64 indexPriceE6,VolPoint[] surface)
    VolPoint(uint64 expiry,uint64 atmVolE6,int64 skewE6,uint64 curvatureE6)
    ListInstrument(uint64 nonce,uint32 underlyingId,uint64 expiry,uint64 strikeE6,bool isCall,
                   uint64 tickSizeE6,uint64 minSizeE6)
    Liquidate(uint64 nonce,address account,uint32 instrumentId,uint64 sizeE6)
    Settle(uint64 nonce,address account,uint32 instrumentId)

The domain binds a signature to one deployment::

    EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)

with ``name = "OptRollup"``, ``version = "1"``, the L2 chain id and, as
``verifyingContract``, the address of the deployment's L1 portal. Both come from the
genesis (``records.Config``), which the L1 commits to through the genesis state root, so a
``Domain`` is read from the chain, never configured beside it. The signing digest is the
standard ``keccak256(0x19 0x01 || domainSeparator(domain) || hashStruct(body))``.

A signature made for another domain (another chain id or another portal) still recovers,
but to a different, unrelated address: the STF then runs the transaction as that
address's (typically unfunded, so it fails on balance or margin), never as the signer's.
No check can tell a wrong domain from a different key.

The Solidity types above are also the wire ranges enforced by ``tx_codec`` (``uintN``
below ``2**N``, ``int64`` within int64, ``bool`` exactly 0 or 1, ``address`` 20 bytes).
``FIELD_TYPES`` is the single table both modules are driven by.

Hashing follows the EIP-712 spec: ``hashStruct(s) = keccak256(typeHash || encodeData(s))``
where every static member is one 32-byte word (unsigned integers and booleans big-endian,
``int64`` sign-extended two's complement, ``address`` left-padded) and a ``VolPoint[]``
member is ``keccak256`` of the concatenated ``hashStruct`` of its elements. Type hashes
and domain separators are precomputed; this module is on the signature-recovery hot path.

Callers must pass bodies whose fields are in range (``tx_codec.decode_tx`` guarantees it,
``tx_codec.check_body`` checks it); this module does not re-validate them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from struct import Struct
from typing import Any, Callable, Final

from eth_utils import to_checksum_address

from node.stf.hashing import keccak256
from node.stf.txtypes import (
    CancelAll,
    CancelOrder,
    ListInstrument,
    Liquidate,
    OracleUpdate,
    PlaceOrder,
    Settle,
    TxBody,
    VolPoint,
    Withdraw,
)

DOMAIN_NAME: Final = "OptRollup"
DOMAIN_VERSION: Final = "1"

UINT256_LIMIT: Final = 2**256

# Struct name and (dataclass field, Solidity type) members, in wire and hashing order.
FIELD_TYPES: Final[dict[type, tuple[str, tuple[tuple[str, str], ...]]]] = {
    PlaceOrder: (
        "PlaceOrder",
        (
            ("nonce", "uint64"),
            ("instrument_id", "uint32"),
            ("side", "uint8"),
            ("price_e6", "uint64"),
            ("size_e6", "uint64"),
            ("time_in_force", "uint8"),
            ("reduce_only", "bool"),
            ("client_order_id", "uint64"),
            ("expiry", "uint64"),
        ),
    ),
    CancelOrder: (
        "CancelOrder",
        (("nonce", "uint64"), ("order_id", "uint64"), ("client_order_id", "uint64")),
    ),
    CancelAll: ("CancelAll", (("nonce", "uint64"), ("instrument_id", "uint32"))),
    Withdraw: (
        "Withdraw",
        (("nonce", "uint64"), ("amount_e6", "uint64"), ("recipient", "address")),
    ),
    VolPoint: (
        "VolPoint",
        (
            ("expiry", "uint64"),
            ("atm_vol_e6", "uint64"),
            ("skew_e6", "int64"),
            ("curvature_e6", "uint64"),
        ),
    ),
    OracleUpdate: (
        "OracleUpdate",
        (
            ("nonce", "uint64"),
            ("underlying_id", "uint32"),
            ("sequence", "uint64"),
            ("observation_time", "uint64"),
            ("index_price_e6", "uint64"),
            ("surface", "VolPoint[]"),
        ),
    ),
    ListInstrument: (
        "ListInstrument",
        (
            ("nonce", "uint64"),
            ("underlying_id", "uint32"),
            ("expiry", "uint64"),
            ("strike_e6", "uint64"),
            ("is_call", "bool"),
            ("tick_size_e6", "uint64"),
            ("min_size_e6", "uint64"),
        ),
    ),
    Liquidate: (
        "Liquidate",
        (
            ("nonce", "uint64"),
            ("account", "address"),
            ("instrument_id", "uint32"),
            ("size_e6", "uint64"),
        ),
    ),
    Settle: (
        "Settle",
        (("nonce", "uint64"), ("account", "address"), ("instrument_id", "uint32")),
    ),
}

# Struct types referenced by an array member: ``VolPoint[]`` -> VolPoint.
_STRUCT_BY_NAME: Final = {name: cls for cls, (name, _) in FIELD_TYPES.items()}

DOMAIN_FIELDS: Final = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
ADDRESS_BYTES: Final = 20


def camel_case(field_name: str) -> str:
    """``time_in_force`` -> ``timeInForce``, ``price_e6`` -> ``priceE6``."""
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _member_list(members: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{sol_type} {camel_case(name)}" for name, sol_type in members)


def encode_type(cls: type) -> str:
    """EIP-712 ``encodeType``: the primary type, then referenced struct types by name."""
    name, members = FIELD_TYPES[cls]
    referenced = sorted(
        {sol_type[:-2] for _, sol_type in members if sol_type.endswith("[]")}
    )
    text = f"{name}({_member_list(members)})"
    for ref in referenced:
        ref_name, ref_members = FIELD_TYPES[_STRUCT_BY_NAME[ref]]
        text += f"{ref_name}({_member_list(ref_members)})"
    return text


TYPE_HASHES: Final[dict[type, bytes]] = {
    cls: keccak256(encode_type(cls).encode()) for cls in FIELD_TYPES
}
DOMAIN_TYPE: Final = "EIP712Domain(" + _member_list(DOMAIN_FIELDS) + ")"
DOMAIN_TYPE_HASH: Final = keccak256(DOMAIN_TYPE.encode())
_NAME_HASH: Final = keccak256(DOMAIN_NAME.encode())
_VERSION_HASH: Final = keccak256(DOMAIN_VERSION.encode())


@dataclass(frozen=True, slots=True)
class Domain:
    """The EIP-712 domain of one deployment: what every signature is bound to.

    ``chain_id``: the L2 chain id (uint256). ``verifying_contract``: the 20-byte address
    of the deployment's L1 portal. Both are genesis values (``records.Config.domain``).
    ``ValueError`` if either is out of range. ``separator`` is the precomputed
    ``hashStruct(EIP712Domain)`` (not part of equality).
    """

    chain_id: int
    verifying_contract: bytes
    separator: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chain_id, contract = self.chain_id, self.verifying_contract
        if type(chain_id) is not int or not 0 <= chain_id < UINT256_LIMIT:
            raise ValueError(f"eip712: chain id {chain_id!r} is not a uint256")
        if type(contract) is not bytes or len(contract) != ADDRESS_BYTES:
            raise ValueError("eip712: the verifying contract is a 20-byte address")
        separator = keccak256(
            DOMAIN_TYPE_HASH + _NAME_HASH + _VERSION_HASH + chain_id.to_bytes(32, "big")
            + contract.rjust(32, b"\x00")
        )
        object.__setattr__(self, "separator", separator)

    def json(self) -> dict[str, Any]:
        """The ``domain`` object of ``eth_signTypedData_v4`` (checksummed address)."""
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


def domain_separator(domain: Domain) -> bytes:
    """``hashStruct(EIP712Domain{name: "OptRollup", version: "1", chainId, verifyingContract})``."""
    return _checked(domain).separator


def _checked(domain: Domain) -> Domain:
    if type(domain) is not Domain:
        raise ValueError(f"eip712: expected a Domain, not {type(domain).__name__}")
    return domain


# ---------------------------------------------------------------------------
# encodeData: one 32-byte word per member
# ---------------------------------------------------------------------------


_SMALL_UINTS: Final = frozenset(f"uint{bits}" for bits in range(8, 72, 8))


def _word_unsigned(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _word_signed(value: int) -> bytes:
    return value.to_bytes(32, "big", signed=True)


def _word_address(value: bytes) -> bytes:
    if len(value) != 20:
        raise ValueError("eip712: an address is 20 bytes")
    return value.rjust(32, b"\x00")


def _make_struct_hasher(cls: type) -> Callable[[Any], bytes]:
    """Build ``hashStruct`` for one struct type, specialised on its member types."""
    _, members = FIELD_TYPES[cls]
    type_hash = TYPE_HASHES[cls]
    names = [name for name, _ in members]
    getter = attrgetter(*names) if len(names) > 1 else (lambda body: (getattr(body, names[0]),))
    sol_types = [sol_type for _, sol_type in members]

    if all(t == "bool" or t in _SMALL_UINTS for t in sol_types):
        # Booleans and uintN with N <= 64 only: every word is 24 zero bytes and the value
        # as a big-endian uint64, packed in one call (``struct.error`` if a value is
        # negative or >= 2**64, i.e. out of range for the wire anyway).
        pack = Struct(">32s" + "24xQ" * len(sol_types)).pack

        def hash_small_uint_struct(body: Any) -> bytes:
            return keccak256(pack(type_hash, *getter(body)))

        return hash_small_uint_struct

    words: list[Callable[[Any], bytes]] = []
    for sol_type in sol_types:
        if sol_type == "bool" or sol_type.startswith("uint"):
            words.append(_word_unsigned)
        elif sol_type.startswith("int"):
            words.append(_word_signed)
        elif sol_type == "address":
            words.append(_word_address)
        elif sol_type.endswith("[]"):
            words.append(_make_array_word(_STRUCT_BY_NAME[sol_type[:-2]]))
        else:  # pragma: no cover - FIELD_TYPES only uses the types above
            raise AssertionError(f"eip712: unsupported member type {sol_type}")
    encoders = tuple(words)

    def hash_struct_(body: Any) -> bytes:
        return keccak256(
            type_hash + b"".join([enc(v) for enc, v in zip(encoders, getter(body))])
        )

    return hash_struct_


def _make_array_word(element_cls: type) -> Callable[[Any], bytes]:
    def array_word(elements: Any) -> bytes:
        hasher = _STRUCT_HASHERS[element_cls]
        return keccak256(b"".join([hasher(e) for e in elements]))

    return array_word


_STRUCT_HASHERS: Final[dict[type, Callable[[Any], bytes]]] = {}
for _cls in FIELD_TYPES:
    _STRUCT_HASHERS[_cls] = _make_struct_hasher(_cls)


def hash_struct(body: TxBody | VolPoint) -> bytes:
    """EIP-712 ``hashStruct`` of a signed body (or a ``VolPoint``)."""
    try:
        hasher = _STRUCT_HASHERS[type(body)]
    except KeyError:
        raise ValueError(f"eip712: {type(body).__name__} is not signed") from None
    return hasher(body)


def signing_digest(body: TxBody, domain: Domain) -> bytes:
    """The 32-byte digest a trader signs: ``keccak256(0x1901 || domainSeparator || hashStruct)``."""
    try:
        hasher = _STRUCT_HASHERS[type(body)]
    except KeyError:
        raise ValueError(f"eip712: {type(body).__name__} is not signed") from None
    if type(domain) is not Domain:
        raise ValueError(f"eip712: expected a Domain, not {type(domain).__name__}")
    return keccak256(b"\x19\x01" + domain.separator + hasher(body))


# ---------------------------------------------------------------------------
# JSON typed data, for wallets (eth_signTypedData_v4) and eth_account
# ---------------------------------------------------------------------------


def _json_value(value: Any, sol_type: str) -> Any:
    if sol_type == "address":
        return to_checksum_address(value)
    if sol_type == "bool":
        return bool(value)
    if sol_type.endswith("[]"):
        element_cls = _STRUCT_BY_NAME[sol_type[:-2]]
        return [_json_message(e, element_cls) for e in value]
    return int(value)


def _json_message(body: Any, cls: type) -> dict[str, Any]:
    _, members = FIELD_TYPES[cls]
    return {
        camel_case(name): _json_value(getattr(body, name), sol_type)
        for name, sol_type in members
    }


def _json_members(members: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": camel_case(name), "type": sol_type} for name, sol_type in members]


def typed_data(body: TxBody, domain: Domain) -> dict[str, Any]:
    """The full EIP-712 message ``{types, primaryType, domain, message}`` for ``body``.

    Usable as ``eth_account.Account.sign_typed_data(key, full_message=...)`` or as the
    parameter of a wallet's ``eth_signTypedData_v4``. Addresses are checksummed hex
    strings, booleans are ``bool``, integers are ``int``.
    """
    cls = type(body)
    if cls not in FIELD_TYPES or cls is VolPoint:
        raise ValueError(f"eip712: {cls.__name__} is not signed")
    _checked(domain)
    name, members = FIELD_TYPES[cls]
    types: dict[str, list[dict[str, str]]] = {"EIP712Domain": _json_members(DOMAIN_FIELDS)}
    types[name] = _json_members(members)
    for _, sol_type in members:
        if sol_type.endswith("[]"):
            ref_name, ref_members = FIELD_TYPES[_STRUCT_BY_NAME[sol_type[:-2]]]
            types[ref_name] = _json_members(ref_members)
    return {
        "types": types,
        "primaryType": name,
        "domain": domain.json(),
        "message": _json_message(body, cls),
    }
