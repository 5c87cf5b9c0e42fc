"""The transaction libraries of the L1 verifier against the Python STF, bit for bit.

``contracts/fault/lib/tx_codec.vy`` (envelope decoding), ``eip712.vy`` (digests and
recovery) and ``nonces.vy`` through ``contracts/test/tx_harness.vy``, compared with
``node/stf/tx_codec.py``, ``eip712.py``, ``recover.py`` and ``nonces.py``:

- every outcome of ``decode_unsigned`` / ``decode_tx`` is the same: the failure code, or
  the kind, every field, the surface, the signature and the recovered sender; on valid
  transactions of every kind signed by random keys under random domains, and on malformed
  envelopes (mutations, random RLP structures, non-canonical integers and headers, fields
  and scalars out of range, high s, bad y, r = 0, unrecoverable and point-at-infinity
  signatures);
- the typed bodies the body steps read are the Python dataclasses;
- ``use_nonce`` gives the same code and the same account on random windows and at every
  edge of the window.
"""

from __future__ import annotations

import random
import re

import pytest
import rlp
from coincurve import PrivateKey

from bridge.evm_call import EvmRunner
from bridge.vyper_build import CONTRACTS_DIR
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.eip712 import TYPE_HASHES, Domain, hash_struct, signing_digest
from node.stf.errors import FailureCode, TxFailure
from node.stf.nonces import use_nonce
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N
from node.stf.records import Account
from node.stf.state import State
from node.stf.tx_codec import (
    BODY_TYPES,
    DEPOSIT_FIELD_TYPES,
    MAX_TX_BYTES,
    TxDecodeError,
    decode_tx,
    decode_unsigned,
    encode_tx,
)
from node.stf.eip712 import FIELD_TYPES
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
from node.wallet import address_of, sign_tx
from tests.fault.pure_harness import PureHarness
from tests.node.stf.test_tx_codec import (
    DOMAIN,
    KEY,
    VALID_RAWS,
    envelope,
    items_of,
    non_residue_x,
    order_items,
)

SECP256K1_P = 2**256 - 2**32 - 977
SECP256K1_G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
VOLPOINT = "(uint256,uint256,int256,uint256)"
DECODED = f"(uint256,uint256,uint256[9],uint256,{VOLPOINT}[],uint256,uint256,uint256)"
TYPE_CODES = {"uint8": 1, "uint32": 2, "uint64": 3, "bool": 4, "address": 5, "VolPoint[]": 6}


@pytest.fixture(scope="module")
def harness():
    return PureHarness("test/tx_harness.vy")


# --- the two sides' outcomes -------------------------------------------------------------


def _word(value) -> int:
    return int.from_bytes(value, "big") if isinstance(value, bytes) else int(value)


def _members(body) -> tuple:
    cls = type(body)
    members = DEPOSIT_FIELD_TYPES if cls is Deposit else FIELD_TYPES[cls][1]
    return tuple(getattr(body, name) for name, _ in members)


def _point(p: VolPoint) -> tuple[int, int, int, int]:
    return p.expiry, p.atm_vol_e6, p.skew_e6, p.curvature_e6


def py_static(raw: bytes) -> tuple:
    """``decode_unsigned``'s outcome: ``(code,)`` or ``(0, kind, fields, surface, signature)``."""
    try:
        body, signature = decode_unsigned(raw)
    except TxDecodeError as exc:
        return (int(exc.code),)
    values = _members(body)
    surface = ()
    fields = [0] * 9
    for i, value in enumerate(values):
        if isinstance(value, tuple):
            surface = tuple(_point(p) for p in value)
        else:
            fields[i] = _word(value)
    return (0, raw[0], tuple(fields), surface, signature or (0, 0, 0))


def vy_static(harness, raw: bytes) -> tuple:
    result = harness.try_call("decode_unsigned(bytes)", ["bytes"], [raw], [DECODED])
    assert result is not None, f"the decoder reverted on {raw.hex()}"  # it never may
    (d,) = result
    code, kind, fields, count, surface, y, r, s = d
    if code:
        return (code,)
    assert count == len(_LAYOUT_COUNTS[kind])
    return (0, kind, tuple(fields), tuple(tuple(p) for p in surface), (y, r, s))


def py_full(raw: bytes, domain: Domain) -> tuple:
    try:
        tx = decode_tx(raw, domain)
    except TxDecodeError as exc:
        return (int(exc.code), b"")
    return (0, tx.sender or b"")


def vy_full(harness, raw: bytes, domain: Domain) -> tuple:
    d, sender = harness.try_call(
        "decode_tx(bytes,uint256,address)", ["bytes", "uint256", "address"],
        [raw, domain.chain_id, domain.verifying_contract], [DECODED, "address"],
    )
    code, kind = d[0], d[1]
    if code:
        return (code, b"")
    return (0, b"" if kind == 0x7E else bytes.fromhex(sender[2:]))


def check(harness, raw: bytes, domain: Domain = DOMAIN, full: bool = True) -> tuple:
    """Assert both sides agree on ``raw`` (statically, and with recovery); return Python's outcome."""
    expected = py_static(raw)
    assert vy_static(harness, raw) == expected, raw.hex()
    if full:
        outcome = py_full(raw, domain)
        assert vy_full(harness, raw, domain) == outcome, raw.hex()
    return expected


_LAYOUT_COUNTS = {
    int(t): (DEPOSIT_FIELD_TYPES if cls is Deposit else FIELD_TYPES[cls][1]) for t, cls in BODY_TYPES.items()
}


# --- random transactions -------------------------------------------------------------------

U64 = 2**64 - 1
U32 = 2**32 - 1


def _u(rng: random.Random, bits: int) -> int:
    """A uintN biased to the edges."""
    top = 2**bits - 1
    return rng.choice([0, 1, top, top - 1, 127, 128, 255, 256, rng.randrange(top + 1), rng.getrandbits(rng.randrange(1, bits + 1))]) & top


def _i64(rng: random.Random) -> int:
    return rng.choice([0, -1, 1, 2**63 - 1, -(2**63), rng.randrange(-(2**63), 2**63), -rng.randrange(1, 1000)])


def random_body(rng: random.Random, cls: type):
    u64, u32, u8 = (lambda: _u(rng, 64)), (lambda: _u(rng, 32)), (lambda: _u(rng, 8))
    address = lambda: rng.choice([bytes(20), b"\xff" * 20, rng.randbytes(20)])  # noqa: E731
    if cls is PlaceOrder:
        return PlaceOrder(u64(), u32(), u8(), u64(), u64(), u8(), rng.random() < 0.5, u64(), u64())
    if cls is CancelOrder:
        return CancelOrder(u64(), u64(), u64())
    if cls is CancelAll:
        return CancelAll(u64(), u32())
    if cls is Withdraw:
        return Withdraw(u64(), u64(), address())
    if cls is OracleUpdate:
        points = tuple(VolPoint(u64(), u64(), _i64(rng), u64()) for _ in range(rng.choice([1, 2, 5, 16])))
        return OracleUpdate(u64(), u32(), u64(), u64(), u64(), points)
    if cls is ListInstrument:
        return ListInstrument(u64(), u32(), u64(), u64(), rng.random() < 0.5, u64(), u64())
    if cls is Liquidate:
        return Liquidate(u64(), address(), u32(), u64())
    if cls is Settle:
        return Settle(u64(), address(), u32())
    return Deposit(u64(), address(), u64())


def random_domain(rng: random.Random) -> Domain:
    return Domain(rng.choice([1, 901, 2**256 - 1, rng.getrandbits(256)]), rng.randbytes(20))


def random_key(rng: random.Random) -> bytes:
    return rng.randrange(1, SECP256K1_N).to_bytes(32, "big")


def random_signed(rng: random.Random, domain: Domain) -> tuple[bytes, bytes | None]:
    cls = rng.choice(list(BODY_TYPES.values()))
    body = random_body(rng, cls)
    if cls is Deposit:
        return encode_tx(body, None), None
    key = random_key(rng)
    return sign_tx(key, body, domain), address_of(key)


# --- tests: tables -----------------------------------------------------------------------------


def test_failure_codes_are_the_python_enum() -> None:
    text = (CONTRACTS_DIR / "fault/lib/errors.vy").read_text()
    declared = {name: int(value) for name, value in re.findall(r"^(\w+): constant\(uint256\) = (\d+)$", text, re.M)}
    assert declared == {code.name: int(code) for code in FailureCode}


def test_layouts_are_the_python_wire_layouts(harness) -> None:
    for tx_type in range(256):
        layout, count = harness.try_call("layout(uint256)", ["uint256"], [tx_type], ["uint256", "uint256"])
        members = _LAYOUT_COUNTS.get(tx_type, ())
        assert count == len(members)
        assert layout == sum(TYPE_CODES[t] << (4 * i) for i, (_, t) in enumerate(members))


def test_body_phases(harness) -> None:
    """TX_START's next phase per kind: the Python machine's BODY_PHASE (BODY otherwise)."""
    import node.stf.machine  # noqa: F401 - registers every rule's phases
    from node.stf.steps import BODY_PHASE, Phase

    for tx_type, cls in BODY_TYPES.items():
        (phase,) = harness.try_call("body_phase(uint256)", ["uint256"], [int(tx_type)], ["uint256"])
        assert phase == BODY_PHASE.get(cls, Phase.BODY)


def test_type_hashes(harness) -> None:
    for tx_type, cls in BODY_TYPES.items():
        (value,) = harness.try_call("type_hash(uint256)", ["uint256"], [int(tx_type)], ["bytes32"])
        assert value == TYPE_HASHES.get(cls, bytes(32))


def test_domain_separator(harness) -> None:
    rng = random.Random(1)
    for _ in range(20):
        domain = random_domain(rng)
        (value,) = harness.try_call("domain_separator(uint256,address)", ["uint256", "address"],
                        [domain.chain_id, domain.verifying_contract], ["bytes32"])
        assert value == domain.separator


# --- tests: valid transactions -------------------------------------------------------------


def test_known_valid_envelopes(harness) -> None:
    for raw in VALID_RAWS:
        assert check(harness, raw)[0] == 0


def test_random_signed_transactions(harness) -> None:
    """Every kind, edge-biased field values, random keys and domains: the same body,
    signature, struct hash and sender."""
    rng = random.Random(11)
    for _ in range(400):
        domain = random_domain(rng)
        raw, sender = random_signed(rng, domain)
        assert check(harness, raw, domain)[0] == 0
        assert py_full(raw, domain) == (0, sender or b"")
        if sender is not None:
            body, _ = decode_unsigned(raw)
            (value,) = harness.try_call("struct_hash(bytes)", ["bytes"], [raw], ["bytes32"])
            assert value == hash_struct(body)


def test_typed_bodies(harness) -> None:
    """The structs a body step reads are the Python dataclasses, field for field."""
    rng = random.Random(12)
    names = {PlaceOrder: "place_order", CancelOrder: "cancel_order", CancelAll: "cancel_all",
             Withdraw: "withdraw", OracleUpdate: "oracle_update", ListInstrument: "list_instrument",
             Liquidate: "liquidate", Settle: "settle", Deposit: "deposit"}
    for cls, name in names.items():
        for _ in range(5):
            body = random_body(rng, cls)
            raw = encode_tx(body, None) if cls is Deposit else sign_tx(random_key(rng), body, DOMAIN)
            kinds = []
            for field_name, value in zip([f for f in cls.__dataclass_fields__], _fields_of(body)):
                kinds.append(_abi_type(value))
            (got,) = harness.try_call(f"{name}(bytes)", ["bytes"], [raw], [f"({','.join(kinds)})"])
            assert tuple(_norm(v) for v in got) == tuple(_norm(v) for v in _fields_of(body))
        # a valid envelope of another kind is refused (a body step on a wrong cursor)
        other = VALID_RAWS[0] if cls is not PlaceOrder else VALID_RAWS[3]
        assert harness.try_call(f"{name}(bytes)", ["bytes"], [other], ["uint256"]) is None


def _fields_of(body) -> list:
    return [getattr(body, f) for f in type(body).__dataclass_fields__]


def _abi_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, bytes):
        return "address"
    if isinstance(value, tuple):
        return f"{VOLPOINT}[]"
    return "uint256"


def _norm(value):
    if isinstance(value, str):
        return bytes.fromhex(value[2:])
    if isinstance(value, (tuple, list)):
        return tuple(_point(p) if isinstance(p, VolPoint) else tuple(p) for p in value)
    return value


# --- tests: malformed envelopes ---------------------------------------------------------------


def _mutate(rng: random.Random, raw: bytes) -> bytes:
    out = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["flip", "truncate", "append", "insert", "delete", "set"])
        at = rng.randrange(max(len(out), 1))
        if op == "flip" and out:
            out[at] ^= 1 << rng.randrange(8)
        elif op == "truncate":
            del out[at:]
        elif op == "append":
            out += rng.randbytes(rng.randint(1, 40))
        elif op == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 4))
        elif op == "delete" and out:
            del out[at]
        elif op == "set" and out:
            out[at] = rng.randrange(256)
    return bytes(out)[:MAX_TX_BYTES]


def test_mutations_of_valid_envelopes(harness) -> None:
    rng = random.Random(13)
    seen = set()
    for i in range(1500):
        base = VALID_RAWS[i % len(VALID_RAWS)] if i % 2 else random_signed(rng, DOMAIN)[0]
        seen.add(check(harness, _mutate(rng, base), full=i % 3 == 0)[0])
    assert {0, 100, 101, 102, 108} <= seen  # the test reaches every outcome


def test_every_single_byte_change_of_an_oracle_update(harness) -> None:
    raw = VALID_RAWS[6]
    rng = random.Random(14)
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] = rng.randrange(256)
        check(harness, bytes(changed), full=False)
        check(harness, raw[:position], full=False)


def _random_rlp(rng: random.Random, depth: int = 0):
    if depth > 3 or rng.random() < 0.55:
        return rng.choice([
            b"", b"\x00", b"\x01", b"\x7f", b"\x80", b"\x00\x01", b"\x01" * 20, rng.randbytes(rng.randint(0, 40)),
            rng.randrange(2**70), rng.randrange(256), rng.randrange(2**64), 2**64, 2**63, rng.randrange(2**256),
        ])
    return [_random_rlp(rng, depth + 1) for _ in range(rng.choice([0, 1, 3, 4, 4, 5, 6, 9, 12, 17]))]


def test_random_rlp_structures(harness) -> None:
    rng = random.Random(15)
    for _ in range(600):
        tx_type = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 0x7E, 0x7E, 0, 9, 0x7F, 0xC0])
        value = _random_rlp(rng)
        if tx_type == 5 and isinstance(value, list) and len(value) >= 6 and rng.random() < 0.7:
            value[5] = [[_random_rlp(rng, 3) for _ in range(rng.choice([3, 4, 4, 4, 5]))]
                        for _ in range(rng.choice([0, 1, 2, 16, 17]))]
        raw = bytes([tx_type]) + rlp.encode(value)
        if len(raw) <= MAX_TX_BYTES:
            check(harness, raw, full=False)


def _item(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


NON_CANONICAL = [
    b"\x00\x05",  # leading zero
    b"\x00",  # zero as a byte
    b"\x05",  # fine
]


def test_field_ranges_and_leading_zeros(harness) -> None:
    """Each field of each kind at its bound, one past it, with a leading zero, as a list,
    and (addresses) at 19 and 21 bytes."""
    rng = random.Random(16)
    for tx_type, cls in BODY_TYPES.items():
        members = _LAYOUT_COUNTS[int(tx_type)]
        body = random_body(rng, cls)
        base = items_of(encode_tx(body, None) if cls is Deposit else sign_tx(KEY, body, DOMAIN))
        for i, (_, sol) in enumerate(members):
            if sol == "VolPoint[]":
                continue
            if sol == "address":
                variants = [b"\x01" * 19, b"\x01" * 21, b"", [], bytes(20)]
            else:
                bits = 1 if sol == "bool" else int(sol[4:])
                variants = [_item(2**bits - 1), _item(2**bits), _item(2**bits + 1), b"\x00" + _item(2**bits - 1),
                            b"\x00", b"", b"\x02", [b"\x01"], b"\x01" * 33]
            for variant in variants:
                items = list(base)
                items[i] = variant
                check(harness, envelope(int(tx_type), items), full=False)


def test_surface_shapes_and_skew_words(harness) -> None:
    base = items_of(VALID_RAWS[6])
    point = [_item(1_700_000_000), _item(650_000), _item(5), _item(30_000)]
    skews = [_item(2**63 - 1), _item(2**63), _item(2**256 - 2**63), _item(2**256 - 2**63 - 1),
             _item(2**256 - 1), b"\x01" * 33, b"\xff" * 31, b"\x00\xff", b"\x00", b"", b"\x01" * 56,
             b"\x00" * 56, [b"\x01"] * 30]
    surfaces = [[], [point] * 16, [point] * 17, [point] * 60, [point[:3]], [point + [b""]], [b"\x01"],
                b"\x01", [[point]], [point, point[:3]]]
    surfaces += [[[point[0], point[1], skew, point[3]]] for skew in skews]
    surfaces += [[[_item(2**64), point[1], point[2], point[3]]], [[point[0], b"\x00\x01", point[2], point[3]]],
                 [[b"\x01" * 60, point[1], point[2], point[3]]], [[point[0], point[1], _item(2**256 - 1), b"\x01" * 8]] * 3]
    assert check(harness, largest_oracle_update())[0] == 0
    for surface in surfaces:
        items = list(base)
        items[5] = surface
        check(harness, envelope(5, items), full=False)
    # a decode error after an out-of-range field wins; a range error in the surface beats the signature
    items = list(base)
    items[0], items[-1] = _item(2**64), b"\x00\x01"
    assert check(harness, envelope(5, items), full=False) == (100,)
    items = list(base)
    items[5], items[-1] = [point] * 17, _item(SECP256K1_N)
    assert check(harness, envelope(5, items), full=False) == (108,)


def test_non_canonical_headers(harness) -> None:
    body = items_of(VALID_RAWS[0])
    payload = rlp.encode(body)[2:] if rlp.encode(body)[0] == 0xF8 else rlp.encode(body)[1:]
    n = len(payload)
    heads = [
        bytes([0xF8, n]),  # canonical when n >= 56
        bytes([0xF9, 0, n]),  # length with a leading zero
        bytes([0xC0 + n]) if n < 56 else bytes([0xF8, n - 1]),
        bytes([0xF8, n + 1]),  # announces a byte too many
        bytes([0xB8, n]),  # a string header
        bytes([0xFA, 0, 0, n]),
    ]
    for head in heads:
        check(harness, b"\x01" + head + payload, full=False)
    # integers: 0x81 0x05 (a single byte not encoded as itself), long form for a short string
    for variant in [b"\x81\x05", b"\xb8\x01\x05", b"\xb8\x38" + b"\x01" * 56, b"\x82\x00\x05",
                    b"\xb8\x37" + b"\x01" * 55, b"\xb7" + b"\x01" * 55, b"\xf8\x37" + b"\x01" * 55]:
        raw = VALID_RAWS[3]  # CancelOrder: nonce first
        tail = rlp.encode(items_of(raw)[1:])
        inner = variant + (tail[1:] if tail[0] < 0xF8 else tail[2:])
        head = bytes([0xC0 + len(inner)]) if len(inner) < 56 else bytes([0xF8, len(inner)])
        check(harness, b"\x02" + head + inner, full=False)
    short = rlp.encode([b"\x01" * 20, b"\x02" * 20, b"\x03" * 12])  # a 55-byte payload
    assert short[0] == 0xF7
    for raw in [b"\x08" + short, b"\x08\xf8\x37" + short[1:], b"", b"\x01", b"\x01\xc0", b"\x7e\xc0", b"\x01\x80", b"\x09\xc0", b"\x7e", b"\x05" + b"\xc0" * 30]:
        check(harness, raw, full=False)


def test_oversize_envelope_does_not_fit(harness) -> None:
    """An envelope over MAX_TX_BYTES (TX_TOO_LARGE in Python) cannot be given to the
    decoder at all: the argument is bounded; a cursor never carries one."""
    raw = VALID_RAWS[0] + bytes(MAX_TX_BYTES)
    with pytest.raises(TxDecodeError) as info:
        decode_unsigned(raw)
    assert info.value.code == FailureCode.TX_TOO_LARGE
    assert harness.try_call("decode_unsigned(bytes)", ["bytes"], [raw[:MAX_TX_BYTES + 1]], [DECODED]) is None


# --- tests: signatures ---------------------------------------------------------------------------


def _point_mul(k: int, point=SECP256K1_G):
    """Affine double-and-add on secp256k1 (test only)."""
    result = None
    addend = point
    while k:
        if k & 1:
            result = _point_add(result, addend)
        addend = _point_add(addend, addend)
        k >>= 1
    return result


def _point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    p = SECP256K1_P
    if a[0] == b[0] and (a[1] + b[1]) % p == 0:
        return None
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, p) % p
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, p) % p
    x = (slope * slope - a[0] - b[0]) % p
    return x, (slope * (a[0] - x) - a[1]) % p


def infinity_signature(digest: bytes, rng: random.Random) -> tuple[int, int, int]:
    """A low-s signature whose recovered point is at infinity (s R = z G): libsecp256k1 and
    the precompile both find no key, however well-formed the scalars."""
    z = int.from_bytes(digest, "big") % SECP256K1_N
    while True:
        k = rng.randrange(1, SECP256K1_N)
        point = _point_mul(k)
        r = point[0]
        if r >= SECP256K1_N:
            continue
        s = z * pow(k, -1, SECP256K1_N) % SECP256K1_N
        y_parity = point[1] & 1
        if s > SECP256K1_HALF_N:  # -R has the same x: s' = -s recovers -(...) = infinity too
            s, y_parity = SECP256K1_N - s, y_parity ^ 1
        return y_parity, r, s


def test_signature_scalars(harness) -> None:
    n, half = SECP256K1_N, SECP256K1_HALF_N
    _, (y, r, s) = decode_unsigned(VALID_RAWS[0])
    scalars = [(2, r, s), (27, r, s), (y ^ 1, r, s), (y, 0, s), (y, r, 0), (y, n, s), (y, n - 1, s), (y, r, half),
               (y, r, half + 1), (y ^ 1, r, n - s), (y, 2**256 - 1, s), (y, r, 2**256 - 1), (y, 1, 1),
               (y, non_residue_x(), 1), (0, 2**256 + 5, 1), (0, 1, 2**256), (256, r, s)]
    outcomes = set()
    for y_, r_, s_ in scalars:
        raw = envelope(0x01, order_items(y_parity=y_, r=r_, s=s_))
        outcomes.add(check(harness, raw)[0])
        (sender,) = harness.try_call("recover(bytes32,uint256,uint256,uint256)",
                         ["bytes32", "uint256", "uint256", "uint256"],
                         [bytes(range(32)), y_, r_ % 2**256, s_ % 2**256], ["address"])
    assert outcomes == {0, 102}


def test_point_at_infinity_is_a_bad_signature(harness) -> None:
    rng = random.Random(17)
    for raw in VALID_RAWS[:10]:
        body, _ = decode_unsigned(raw)
        signature = infinity_signature(signing_digest(body, DOMAIN), rng)
        bad = encode_tx(body, signature)
        assert py_full(bad, DOMAIN) == (102, b"")
        check(harness, bad)


def test_random_keys_and_digests_recover_alike(harness) -> None:
    rng = random.Random(18)
    for _ in range(100):
        key = PrivateKey(random_key(rng))
        digest = rng.randbytes(32)
        sig = key.sign_recoverable(digest, hasher=None)
        r, s, y = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
        (sender,) = harness.try_call("recover(bytes32,uint256,uint256,uint256)",
                         ["bytes32", "uint256", "uint256", "uint256"], [digest, y, r, s], ["address"])
        assert bytes.fromhex(sender[2:]) == address_of(key.secret)
        # the same point with high s: refused (zero address), as recover.py refuses it
        (sender,) = harness.try_call("recover(bytes32,uint256,uint256,uint256)",
                         ["bytes32", "uint256", "uint256", "uint256"], [digest, y ^ 1, r, SECP256K1_N - s], ["address"])
        assert int(sender, 16) == 0


def test_wrong_domain_recovers_another_sender(harness) -> None:
    rng = random.Random(19)
    for _ in range(10):
        raw, sender = random_signed(rng, DOMAIN)
        other = random_domain(rng)
        assert check(harness, raw, other)[0] == 0
        if sender is not None:
            assert vy_full(harness, raw, other)[1] != sender


# --- tests: nonces ------------------------------------------------------------------------------


def py_use_nonce(floor: int, bitmap: int, nonce: int) -> tuple[int, int, int]:
    address = b"\x11" * 20
    state = State(MemoryBackend())
    if (floor, bitmap) != (0, 0):
        state.put(keys.account(address), Account(nonce_floor=floor, nonce_bitmap=bitmap))
    try:
        use_nonce(state, address, nonce)
    except TxFailure as failure:
        return int(failure.code), floor, bitmap
    account = state.get(keys.account(address))
    return 0, account.nonce_floor, account.nonce_bitmap


def vy_use_nonce(harness, floor: int, bitmap: int, nonce: int) -> tuple[int, int, int]:
    return harness.try_call("use_nonce(uint256,uint256,uint256)", ["uint256"] * 3, [floor, bitmap, nonce],
                ["uint256"] * 3)


def test_nonce_window_edges(harness) -> None:
    rng = random.Random(20)
    cases = []
    for floor in [0, 1, 255, 256, 1000, 2**64 - 256, 2**64 - 1]:
        for bitmap in [0, 1, 2**255, 2**256 - 1, rng.getrandbits(256), (2**256 - 1) ^ 1]:
            for offset in [-1, 0, 1, 254, 255, 256, 257, 511, 512, 1000, 2**64]:
                cases.append((floor, bitmap, floor + offset))
    for floor, bitmap, nonce in cases:
        if 0 <= nonce < 2**256:
            assert vy_use_nonce(harness, floor, bitmap, nonce) == py_use_nonce(floor, bitmap, nonce), (floor, bitmap, nonce)


def test_nonce_replays_and_random_sequences(harness) -> None:
    """A random run of nonces on one account (replays, slides, old ones): each answer and
    the window after it are Python's."""
    rng = random.Random(21)
    floor = bitmap = 0
    outcomes = set()
    for _ in range(400):
        nonce = max(0, rng.choice([floor + rng.randrange(300), floor - rng.randrange(3), floor + rng.randrange(1000),
                                   rng.randrange(2**64), floor + 255, floor + 256]))
        expected = py_use_nonce(floor, bitmap, nonce)
        assert vy_use_nonce(harness, floor, bitmap, nonce) == expected
        outcomes.add(expected[0])
        _, floor, bitmap = expected
    assert outcomes == {0, 104, 105}


# --- py-evm agrees ------------------------------------------------------------------------------


def test_py_evm_agrees() -> None:
    harness = PureHarness("test/tx_harness.vy", runner=EvmRunner())
    rng = random.Random(22)
    for _ in range(5):
        raw, _ = random_signed(rng, DOMAIN)
        check(harness, raw)
    check(harness, VALID_RAWS[6])


# --- gas -------------------------------------------------------------------------------------------


def largest_oracle_update() -> bytes:
    """The longest valid envelope: 16 points of the widest values (negative skews are 32 bytes)."""
    point = VolPoint(U64, U64, -1, U64)
    body = OracleUpdate(U64, U32, U64, U64, U64, (point,) * 16)
    return sign_tx(KEY, body, DOMAIN)


def widest_surface() -> bytes:
    """A 2 KB envelope whose surface holds as many (5-byte) points as fit: every one is
    shape-checked before the length is found out of range."""
    items = items_of(VALID_RAWS[6])
    filler = len(envelope(5, items))
    items[5] = [[b"\x01"] * 4] * ((MAX_TX_BYTES - filler) // 5)
    raw = envelope(5, items)
    while len(raw) > MAX_TX_BYTES:
        items[5] = items[5][:-1]
        raw = envelope(5, items)
    return raw


def test_decode_gas(harness) -> None:
    figures = {}
    for name, raw in [("place_order", VALID_RAWS[0]), ("largest_oracle_update", largest_oracle_update()),
                      ("widest_surface", widest_surface())]:
        _, gas = harness.call_gas("decode_tx(bytes,uint256,address)", ["bytes", "uint256", "address"],
                                  [raw, DOMAIN.chain_id, DOMAIN.verifying_contract], [DECODED, "address"])
        figures[name] = (len(raw), gas)
    print("decode_tx gas (bytes, whole-transaction gas):", figures)
    assert py_static(widest_surface()) == (108,)
    assert py_full(largest_oracle_update(), DOMAIN)[0] == 0
    assert all(gas < 1_500_000 for _, gas in figures.values())
