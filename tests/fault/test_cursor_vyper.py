"""``contracts/fault/lib/cursor.vy`` against ``node/stf/cursor.py``: random cursors (up to the
bounds, zigzag extremes) encode to the same bytes, and mutated encodings are refused exactly
where Python's ``decode_cursor`` refuses them."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_abi import decode, encode

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf.cursor import MAX_CURSOR_BYTES, Cursor, CursorError, decode_cursor, encode_cursor, zigzag

MAX_TX = 2048
MAX_OUTER = 16
MAX_REGS = 64
MAX_WIDE_REGS = 3280
MAX_FRAMES = 4
MAX_KEEP = 64
MAX_SAVED = 8
EXTREMES = (0, 1, -1, 63, 64, -64, -65, 127, 128, 2**63, -(2**63), 2**255 - 1, -(2**255), 2**248, -(2**248))


class Harness:
    def __init__(self) -> None:
        self.build = compile_contract("test/cursor_harness.vy")
        self.runner = RevmRunner()
        self.address = self.runner.deploy(self.build.initcode)

    def call(self, signature: str, types: list[str], args: list, out: list[str]):
        result = self.runner.call(self.address, self.build.selector(signature) + encode(types, args))
        return (decode(out, result.output) if result.success else None), result.gas_used

    def roundtrip(self, raw: bytes, wide: bool = False) -> bytes | None:
        out, _ = self.call("roundtrip_wide(bytes)" if wide else "roundtrip(bytes)", ["bytes"], [raw], ["bytes"])
        return None if out is None else out[0]


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


def _int(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(EXTREMES)
    if roll < 0.6:
        return rng.randrange(-300, 300)
    return rng.randrange(-(2**255), 2**255) >> rng.randrange(256)


def _uint(rng: random.Random) -> int:
    return rng.choice((0, 1, 127, 128, 255, 256, 2**64, 2**256 - 1, rng.randrange(2 ** rng.randrange(1, 257))))


def random_cursor(rng: random.Random, regs: int | None = None) -> Cursor:
    def ints(n: int) -> tuple[int, ...]:
        return tuple(_int(rng) for _ in range(n))

    return Cursor(
        _uint(rng), _uint(rng), _uint(rng), _uint(rng), ints(rng.randrange(MAX_OUTER + 1)),
        rng.randbytes(rng.choice((0, 1, 2, 31, 32, 55, 56, 300, MAX_TX))) if rng.random() < 0.9 else bytes([rng.randrange(128)]),
        rng.choice((b"", rng.randbytes(20))), rng.choice((b"", rng.randbytes(32))),
        ints(regs if regs is not None else rng.randrange(MAX_REGS + 1)),
        tuple((_uint(rng), ints(rng.randrange(14))) for _ in range(rng.randrange(MAX_FRAMES + 1))),
        tuple(rng.randbytes(32) for _ in range(rng.randrange(MAX_SAVED + 1))),
    )


def within_bounds(cursor: Cursor, wide: bool = False) -> bool:
    """Whether ``cursor`` fits the Vyper bounds (beyond Python's; none is reachable)."""
    return (len(cursor.tx) <= MAX_TX and len(cursor.outer) <= MAX_OUTER
            and len(cursor.regs) <= (MAX_WIDE_REGS if wide else MAX_REGS) and len(cursor.stack) <= MAX_FRAMES
            and all(len(encode_cursor(Cursor(0, regs=k))) - 11 <= 1024 for _, k in cursor.stack)
            and len(cursor.saved) <= MAX_SAVED)


def test_random_cursors_encode_to_the_same_bytes(harness: Harness) -> None:
    rng = random.Random(11)
    for i in range(300):
        raw = encode_cursor(random_cursor(rng))
        assert harness.roundtrip(raw) == raw, f"cursor {i}"
        if i % 5 == 0:
            assert harness.roundtrip(raw, wide=True) == raw, f"cursor {i} (wide)"


def test_every_zigzag_extreme_in_every_register_list(harness: Harness) -> None:
    for value in EXTREMES:
        cursor = Cursor(value & (2**256 - 1), outer=(value,) * MAX_OUTER, regs=(value,) * MAX_REGS,
                        stack=((7, (value,) * 13),), saved=(b"\xff" * 32,))
        raw = encode_cursor(cursor)
        assert harness.roundtrip(raw) == raw
        assert harness.roundtrip(raw, wide=True) == raw


def test_largest_cursors_round_trip_and_their_gas(harness: Harness) -> None:
    rng = random.Random(5)
    narrow = Cursor(2**256 - 1, 2**256 - 1, 2**256 - 1, 2**256 - 1, (-(2**255),) * MAX_OUTER, b"\xff" * MAX_TX,
                    b"\x01" * 20, b"\x02" * 32, (-(2**255),) * MAX_REGS,
                    tuple((2**256 - 1, (2**255 - 1,) * 30) for _ in range(MAX_FRAMES)), (b"\x03" * 32,) * MAX_SAVED)
    raw = encode_cursor(narrow)
    assert harness.roundtrip(raw) == raw
    # the margin fold's largest: 3,280 registers (22 KB in node/stf/cursor.py: about 6 bytes each)
    wide = Cursor(41, 7, 1_700_000_000, 3, tuple(range(15)), rng.randbytes(400), rng.randbytes(20), rng.randbytes(32),
                  tuple(rng.randrange(-(2**44), 2**44) for _ in range(MAX_WIDE_REGS)), ((28, tuple(range(13))),),
                  (rng.randbytes(32), rng.randbytes(32)))
    raw = encode_cursor(wide)
    assert len(raw) <= MAX_CURSOR_BYTES
    assert harness.roundtrip(raw, wide=True) == raw
    assert harness.roundtrip(raw) is None  # more than MAX_REGS running registers: the wide path only


def test_the_worst_cursor_within_the_bounds_round_trips_on_the_wide_path(harness: Harness) -> None:
    """node/stf/cursor.py's MAX_CURSOR_BYTES is reached by a cursor every field of which is at
    its widest (3,280 registers of 33 bytes: 4-byte list headers); the wide path takes it,
    with its gas, and refuses it one byte longer (Python refuses too)."""
    from tests.node.stf.test_cursor_bound import worst_cursor  # noqa: PLC0415

    worst = worst_cursor(phase=2**256 - 1)
    raw = encode_cursor(worst)
    assert len(raw) == MAX_CURSOR_BYTES
    out, gas = harness.call("roundtrip_wide(bytes)", ["bytes"], [raw], ["bytes"])
    assert out is not None and out[0] == raw
    print(f"worst cursor ({len(raw):,} bytes) wide round trip gas {gas:,}")
    for shorter in (worst._replace(regs=worst.regs[:-1]), worst._replace(regs=worst.regs[:2000]), worst._replace(regs=())):
        assert harness.roundtrip(encode_cursor(shorter), wide=True) == encode_cursor(shorter)
    longer = raw[:1] + (int.from_bytes(raw[1:4], "big") + 1).to_bytes(3, "big") + raw[4:] + b"\x80"
    assert harness.roundtrip(longer, wide=True) is None
    assert harness.roundtrip(encode_cursor(worst._replace(regs=worst.regs + (1,))), wide=True) is None


def _mutations(rng: random.Random, raw: bytes):
    yield raw[:-1]
    yield raw + b"\x00"
    yield raw + b"\x80"
    for _ in range(12):
        i = rng.randrange(len(raw))
        yield raw[:i] + bytes([rng.randrange(256)]) + raw[i + 1:]
        yield raw[:i] + raw[i + 1:]
        yield raw[:i] + bytes([rng.choice((0x00, 0x80, 0x81, 0xb8, 0xc0, 0xf8))]) + raw[i:]


def test_mutated_encodings_are_refused_exactly_where_python_refuses(harness: Harness) -> None:
    rng = random.Random(23)
    checked = refused = 0
    for i in range(60):
        cursor = random_cursor(rng)
        if rng.random() < 0.5:
            cursor = cursor._replace(tx=cursor.tx[:40], regs=cursor.regs[:4], outer=cursor.outer[:3])
        for mutated in _mutations(rng, encode_cursor(cursor)):
            try:
                decoded = decode_cursor(mutated)
            except CursorError:
                decoded = None
            if decoded is not None and not within_bounds(decoded):
                continue
            out = harness.roundtrip(mutated)
            if decoded is None:
                assert out is None, f"Vyper accepts what Python refuses: {mutated.hex()}"
                refused += 1
            else:
                assert out == mutated, f"Vyper refuses or changes what Python accepts: {mutated.hex()}"
            checked += 1
    assert refused > checked // 2


@pytest.mark.parametrize("raw", [
    b"", b"\xc0", b"\x80", bytes.fromhex("cb" + "00" + "80" * 3 + "c0" + "80" * 3 + "c0c0c0"),  # phase 0x00
    bytes.fromhex("cc" + "8101" + "80" * 3 + "c0" + "80" * 3 + "c0c0c0"),  # 0x81 0x01: not canonical
    bytes.fromhex("cb" + "01" + "80" * 3 + "c0" + "80" * 3 + "c0c0"),  # 10 fields
    bytes.fromhex("cc" + "01" + "80" * 3 + "c0" + "80" * 3 + "c0c0c0c0"),  # 12 fields
    bytes.fromhex("cb" + "01" + "80" * 3 + "c0" + "80" + "8101" + "80" + "c0c0c0"),  # a 1-byte sender
    bytes.fromhex("cd" + "01" + "80" * 3 + "c0" + "80" * 3 + "c2" + "c180" + "c0c0"),  # a frame of 1 field
])
def test_hand_made_non_canonical_cursors_are_refused(harness: Harness, raw: bytes) -> None:
    with pytest.raises(CursorError):
        decode_cursor(raw)
    assert harness.roundtrip(raw) is None


def test_frame_registers_encode_as_python(harness: Harness) -> None:
    rng = random.Random(3)
    for n in (0, 1, 13, MAX_KEEP):
        regs = [_int(rng) for _ in range(n)]
        (raw, back), _ = harness.call("frame_regs(int256[])", ["int256[]"], [regs], ["bytes", "int256[]"])
        assert raw == rlp.encode([zigzag(r) for r in regs])
        assert list(back) == regs


def test_claim_is_keccak_of_root_and_cursor_hash(harness: Harness) -> None:
    from node.stf.cursor import claim_of

    rng = random.Random(9)
    cursor = random_cursor(rng)
    root = rng.randbytes(32)
    (claim,), _ = harness.call("claim(bytes32,bytes)", ["bytes32", "bytes"], [root, encode_cursor(cursor)], ["bytes32"])
    assert claim == claim_of(root, cursor)
