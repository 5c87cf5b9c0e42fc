"""Transaction wire format: a typed envelope around canonical RLP, and its strict decoder.

Envelope::

    signed kinds (0x01-0x08):  tx_type || rlp([field_1, ..., field_k, y_parity, r, s])
    deposit (0x7E, unsigned):  0x7E    || rlp([deposit_index, recipient, amount_e6])

Fields appear in the order of the body's dataclass (= the EIP-712 member order, see
``eip712.FIELD_TYPES``) and are encoded by their EIP-712 type:

- ``uintN``: RLP integer, big-endian without leading zeros (0 is the empty string),
  value ``< 2**N`` (``uint8`` side and time in force, ``uint32`` instrument and
  underlying ids, ``uint64`` nonces, order ids, prices, sizes, amounts, times);
- ``bool``: RLP integer 0 or 1;
- ``int64`` (``VolPoint.skew_e6``): the integer's 256-bit two's complement (the EVM
  ``int256`` word; a negative value is 32 bytes), value within ``[-2**63, 2**63)``;
- ``address``: a 20-byte string;
- ``VolPoint[]`` (``OracleUpdate.surface``): a list of 1 to 16 lists
  ``[expiry, atm_vol_e6, skew_e6, curvature_e6]``.

The signature is ``y_parity`` (0 or 1), ``r``, ``s`` as RLP integers like every other
field (minimal big-endian: ``y_parity`` 0 is the empty string ``0x80``, and an ``r`` or
``s`` with a leading zero byte is a ``DECODE_ERROR``, never 32 padded bytes); ``r, s`` in
``[1, n)`` and ``s <= n // 2`` (low-s). A whole envelope is at most ``MAX_TX_BYTES``.

Decoding is strict and total: for any byte string ``decode_tx`` returns a ``SignedTx`` or
raises ``TxDecodeError`` and nothing else. Only canonical encodings are accepted, i.e.
re-encoding the decoded transaction gives back the same bytes, so a transaction has
exactly one envelope and one hash. The first failing check, in this order, decides the
failure code:

1. ``TX_TOO_LARGE``: more than ``MAX_TX_BYTES`` bytes;
2. ``DECODE_ERROR`` (empty input) / ``UNKNOWN_TX_TYPE`` (first byte);
3. ``DECODE_ERROR``: the rest is not exactly one canonical RLP list of the kind's shape
   (item count, string vs list, 20-byte addresses, integers without leading zeros);
   checked over the whole envelope before any range;
4. ``FIELD_OUT_OF_RANGE``: the first field, in wire order, outside its type's range
   (surface entries before the surface length);
5. ``BAD_SIGNATURE``: ``y_parity``, ``r``, ``s`` out of range or high-s; then, in
   ``decode_tx`` only, no public key recovers.

Semantic checks (side and time in force values, tick sizes, surface shape, whether the
sender may send this kind, nonces) belong to the STF and have their own codes. A
signature made for another domain (chain id or portal) recovers a different sender (see
``eip712``): no decoding check can detect it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Final

import rlp
from rlp.codec import consume_item
from rlp.exceptions import DecodingError

from node.stf.eip712 import FIELD_TYPES, Domain, keccak256, signing_digest
from node.stf.errors import FailureCode
from node.stf.recover import (
    BadSignature,
    check_signature_scalars,
    recover_checked,
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
    TxBody,
    TxType,
    VolPoint,
    Withdraw,
)

MAX_TX_BYTES: Final = 2048
MIN_SURFACE_POINTS: Final = 1
MAX_SURFACE_POINTS: Final = 16

UINT256_LIMIT: Final = 2**256
INT64_MIN: Final = -(2**63)
INT64_LIMIT: Final = 2**63  # exclusive upper bound
_NEGATIVE_INT64_WORD_MIN: Final = UINT256_LIMIT - 2**63  # two's complement of -2**63

# Wire layout of the unsigned deposit (it has no EIP-712 type).
DEPOSIT_FIELD_TYPES: Final = (
    ("deposit_index", "uint64"),
    ("recipient", "address"),
    ("amount_e6", "uint64"),
)

BODY_TYPES: Final[dict[int, type]] = {
    TxType.PLACE_ORDER: PlaceOrder,
    TxType.CANCEL_ORDER: CancelOrder,
    TxType.CANCEL_ALL: CancelAll,
    TxType.WITHDRAW: Withdraw,
    TxType.ORACLE_UPDATE: OracleUpdate,
    TxType.LIST_INSTRUMENT: ListInstrument,
    TxType.LIQUIDATE: Liquidate,
    TxType.SETTLE: Settle,
    TxType.DEPOSIT: Deposit,
}

Signature = tuple[int, int, int]  # (y_parity, r, s)


class TxDecodeError(Exception):
    """A byte string that is not a valid transaction envelope, with the receipt's code."""

    def __init__(self, code: FailureCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------
# Layouts, compiled from the EIP-712 types
# ---------------------------------------------------------------------------

_UINT: Final = 0
_BOOL: Final = 1
_INT64: Final = 2
_ADDRESS: Final = 3
_SURFACE: Final = 4


@dataclass(frozen=True, slots=True)
class _Layout:
    body_cls: type
    names: tuple[str, ...]
    kinds: tuple[int, ...]
    max_lens: tuple[int, ...]  # longest canonical RLP string in range (unsigned kinds)


def _compile(body_cls: type, members: tuple[tuple[str, str], ...]) -> _Layout:
    kinds, max_lens = [], []
    for _, sol_type in members:
        if sol_type.startswith("uint"):
            kinds.append(_UINT)
            max_lens.append(int(sol_type[4:]) >> 3)
        elif sol_type == "bool":
            kinds.append(_BOOL)
            max_lens.append(1)
        elif sol_type == "int64":
            kinds.append(_INT64)
            max_lens.append(32)
        elif sol_type == "address":
            kinds.append(_ADDRESS)
            max_lens.append(20)
        elif sol_type == "VolPoint[]":
            kinds.append(_SURFACE)
            max_lens.append(0)
        else:  # pragma: no cover - FIELD_TYPES only uses the types above
            raise AssertionError(f"tx_codec: unsupported type {sol_type}")
    names = tuple(name for name, _ in members)
    if names != tuple(f.name for f in fields(body_cls)):  # pragma: no cover
        raise AssertionError(f"tx_codec: {body_cls.__name__} fields differ from its wire layout")
    return _Layout(body_cls, names, tuple(kinds), tuple(max_lens))


_LAYOUTS: Final[dict[type, _Layout]] = {
    cls: _compile(cls, members) for cls, (_, members) in FIELD_TYPES.items()
}
_LAYOUTS[Deposit] = _compile(Deposit, DEPOSIT_FIELD_TYPES)
_VOL_POINT: Final = _LAYOUTS[VolPoint]
_TX_TYPE_OF: Final = {cls: tx_type for tx_type, cls in BODY_TYPES.items()}
# First byte -> (layout, number of RLP items, signed?)
_ENVELOPES: Final = {
    int(tx_type): (
        _LAYOUTS[cls],
        len(_LAYOUTS[cls].kinds) + (0 if cls is Deposit else 3),
        cls is not Deposit,
    )
    for tx_type, cls in BODY_TYPES.items()
}


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _fail(code: FailureCode, message: str) -> TxDecodeError:
    return TxDecodeError(code, f"tx_codec: {message}")


def _decode_fields(items: Any, layout: _Layout, count: int, path: str) -> tuple[list, str]:
    """Decode the first ``len(layout.kinds)`` of ``count`` RLP items into field values.

    Raises DECODE_ERROR for any shape or canonical-form problem; returns the values and
    the name of the first field out of range ("" if none), so that every DECODE_ERROR in
    the envelope takes precedence over any FIELD_OUT_OF_RANGE.
    """
    if type(items) is not list or len(items) != count:
        where = path[:-1] if path else "envelope"
        raise _fail(FailureCode.DECODE_ERROR, f"{where}: expected a list of {count} items")
    values: list[Any] = []
    append = values.append
    out_of_range = ""
    for item, kind, max_len, name in zip(items, layout.kinds, layout.max_lens, layout.names):
        if type(item) is not bytes:
            if kind != _SURFACE or type(item) is not list:
                raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: wrong item shape")
            points = []
            for index, entry in enumerate(item):
                point_values, bad = _decode_fields(entry, _VOL_POINT, 4, f"{path}{name}[{index}].")
                if bad and not out_of_range:
                    out_of_range = bad
                points.append(VolPoint(*point_values))
            if not out_of_range and not MIN_SURFACE_POINTS <= len(points) <= MAX_SURFACE_POINTS:
                out_of_range = f"{path}{name} (length {len(points)})"
            append(tuple(points))
        elif kind == _UINT:
            if item and not item[0]:
                raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: integer with leading zero")
            if len(item) > max_len and not out_of_range:
                out_of_range = f"{path}{name}"
            append(int.from_bytes(item, "big"))
        elif kind == _BOOL:
            if item and not item[0]:
                raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: integer with leading zero")
            if item != b"" and item != b"\x01" and not out_of_range:
                out_of_range = f"{path}{name}"
            append(item == b"\x01")
        elif kind == _ADDRESS:
            if len(item) != 20:
                raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: an address is 20 bytes")
            append(item)
        elif kind == _INT64:
            if item and not item[0]:
                raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: integer with leading zero")
            value = int.from_bytes(item, "big")
            if value >= INT64_LIMIT:
                if len(item) == 32 and value >= _NEGATIVE_INT64_WORD_MIN:
                    value -= UINT256_LIMIT
                elif not out_of_range:
                    out_of_range = f"{path}{name}"
            append(value)
        else:  # a byte string where the surface list belongs
            raise _fail(FailureCode.DECODE_ERROR, f"{path}{name}: wrong item shape")
    return values, out_of_range


def _decode_signature(items: list) -> Signature:
    y_item, r_item, s_item = items
    if type(y_item) is not bytes or type(r_item) is not bytes or type(s_item) is not bytes:
        raise _fail(FailureCode.DECODE_ERROR, "signature: wrong item shape")
    if (y_item and not y_item[0]) or (r_item and not r_item[0]) or (s_item and not s_item[0]):
        raise _fail(FailureCode.DECODE_ERROR, "signature: integer with leading zero")
    return (
        int.from_bytes(y_item, "big"),
        int.from_bytes(r_item, "big"),
        int.from_bytes(s_item, "big"),
    )


def decode_unsigned(raw: bytes) -> tuple[TxBody, Signature | None]:
    """Decode and check an envelope without recovering the sender.

    Returns the body and its ``(y_parity, r, s)`` (``None`` for a deposit). Every check
    of ``decode_tx`` runs except public-key recovery; raises ``TxDecodeError`` only.
    """
    if type(raw) is not bytes:
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise _fail(FailureCode.DECODE_ERROR, f"input is {type(raw).__name__}, not bytes")
        raw = bytes(raw)
    size = len(raw)
    if size > MAX_TX_BYTES:
        raise _fail(FailureCode.TX_TOO_LARGE, f"{size} bytes > {MAX_TX_BYTES}")
    if size == 0:
        raise _fail(FailureCode.DECODE_ERROR, "empty envelope")
    envelope = _ENVELOPES.get(raw[0])
    if envelope is None:
        raise _fail(FailureCode.UNKNOWN_TX_TYPE, f"unknown transaction type 0x{raw[0]:02x}")
    layout, count, signed = envelope
    try:
        items, _, end = consume_item(raw, 1)
    except (DecodingError, IndexError, RecursionError):
        raise _fail(FailureCode.DECODE_ERROR, "malformed RLP") from None
    if end != size:
        raise _fail(FailureCode.DECODE_ERROR, "RLP does not end with the envelope")
    values, out_of_range = _decode_fields(items, layout, count, "")
    signature = _decode_signature(items[-3:]) if signed else None
    if out_of_range:
        raise _fail(FailureCode.FIELD_OUT_OF_RANGE, f"{out_of_range} out of range")
    if signature is not None:
        try:
            check_signature_scalars(*signature)
        except BadSignature as exc:
            raise _fail(FailureCode.BAD_SIGNATURE, str(exc)) from None
    return layout.body_cls(*values), signature


def decode_tx(raw: bytes, domain: Domain) -> SignedTx:
    """Decode an envelope, check it, and recover its sender under the EIP-712 ``domain``.

    Raises ``TxDecodeError`` (and nothing else) for any byte string that is not a valid
    transaction; ``sender`` is ``None`` for a deposit. ``domain`` must be an
    ``eip712.Domain`` (a configuration value: ``ValueError`` otherwise).
    """
    body, signature = decode_unsigned(raw)
    if type(raw) is not bytes:
        raw = bytes(raw)
    if signature is None:
        return SignedTx(body, raw, keccak256(raw), None)
    digest = signing_digest(body, domain)
    try:
        sender = recover_checked(digest, *signature)  # scalars checked by decode_unsigned
    except BadSignature as exc:
        raise _fail(FailureCode.BAD_SIGNATURE, str(exc)) from None
    return SignedTx(body, raw, keccak256(raw), sender)


def tx_hash(raw: bytes) -> bytes:
    """The transaction hash: keccak-256 of the whole envelope, type byte included."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError(f"tx_codec: tx_hash of {type(raw).__name__}, not bytes")
    return keccak256(bytes(raw))


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def _encode_fields(body: Any, layout: _Layout, path: str) -> list:
    items: list[Any] = []
    for kind, max_len, name in zip(layout.kinds, layout.max_lens, layout.names):
        value = getattr(body, name)
        where = f"{path}{name}"
        if kind == _SURFACE:
            if not isinstance(value, tuple | list):
                raise ValueError(f"tx_codec: {where} must be a tuple of VolPoint")
            if not MIN_SURFACE_POINTS <= len(value) <= MAX_SURFACE_POINTS:
                raise ValueError(f"tx_codec: {where} has {len(value)} points, not 1..16")
            points = []
            for index, point in enumerate(value):
                if type(point) is not VolPoint:
                    raise ValueError(f"tx_codec: {where}[{index}] is not a VolPoint")
                points.append(_encode_fields(point, _VOL_POINT, f"{where}[{index}]."))
            items.append(points)
        elif kind == _ADDRESS:
            if type(value) is not bytes or len(value) != 20:
                raise ValueError(f"tx_codec: {where} must be 20 bytes")
            items.append(value)
        elif kind == _BOOL:
            if value not in (0, 1) or type(value) not in (bool, int):
                raise ValueError(f"tx_codec: {where} must be a bool")
            items.append(int(value))
        elif kind == _INT64:
            if type(value) is not int or not INT64_MIN <= value < INT64_LIMIT:
                raise ValueError(f"tx_codec: {where} must be an int64")
            items.append(value % UINT256_LIMIT)  # 256-bit two's complement
        else:
            if type(value) is not int or not 0 <= value < 1 << (max_len << 3):
                raise ValueError(f"tx_codec: {where} must be a uint{max_len << 3}")
            items.append(value)
    return items


def check_body(body: TxBody) -> None:
    """Raise ``ValueError`` unless every field of ``body`` has its wire type and range."""
    layout = _LAYOUTS.get(type(body))
    if layout is None or type(body) is VolPoint:
        raise ValueError(f"tx_codec: {type(body).__name__} is not a transaction body")
    _encode_fields(body, layout, "")


def encode_tx(body: TxBody, signature: Signature | None) -> bytes:
    """The canonical envelope of ``body`` with ``signature = (y_parity, r, s)``.

    ``signature`` is required for signed kinds and must be ``None`` for a deposit.
    ``y_parity`` must be 0 or 1 and ``r``, ``s`` below 2**256; whether the signature is
    valid (low-s, recovers) is for the decoder to say, so tests can build bad ones.
    Raises ``ValueError`` for a body out of range.
    """
    cls = type(body)
    layout = _LAYOUTS.get(cls)
    if layout is None or cls is VolPoint:
        raise ValueError(f"tx_codec: {cls.__name__} is not a transaction body")
    items = _encode_fields(body, layout, "")
    if cls is Deposit:
        if signature is not None:
            raise ValueError("tx_codec: a deposit is unsigned")
    else:
        if signature is None or len(signature) != 3:
            raise ValueError("tx_codec: a signed kind needs (y_parity, r, s)")
        y_parity, r, s = signature
        if y_parity not in (0, 1) or type(y_parity) not in (bool, int):
            raise ValueError("tx_codec: y_parity must be 0 or 1")
        for scalar in (r, s):
            if type(scalar) is not int or not 0 <= scalar < UINT256_LIMIT:
                raise ValueError("tx_codec: r and s must be uint256")
        items.extend((int(y_parity), r, s))
    return bytes((_TX_TYPE_OF[cls],)) + rlp.encode(items)


__all__ = [
    "MAX_TX_BYTES",
    "MAX_SURFACE_POINTS",
    "Signature",
    "TxDecodeError",
    "check_body",
    "decode_tx",
    "decode_unsigned",
    "encode_tx",
    "tx_hash",
]
