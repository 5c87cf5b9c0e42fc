"""contracts/lib/rlp.vy decodes as strictly as pyrlp and encodes as node/stf/records.py.

Through the harness (contracts/test/mpt_harness.vy): ``validate`` accepts a buffer exactly
when ``rlp.decode`` (strict) does, on random nested structures and their mutations and
on the non-canonical corner cases; ``item_at`` and ``list_items`` give the offsets and
lengths of the encoding; the encoders match ``rlp.encode`` and ``records._u``.
"""

from __future__ import annotations

import random

import pytest
import rlp
from eth_abi import decode, encode

from rlp.codec import consume_item

from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf.records import _u

MAX_BUF = 576
ITEM = "(bool,uint256,uint256,uint256,uint256)"


@pytest.fixture(scope="module")
def harness():
    build = compile_contract("test/mpt_harness.vy")
    runner = EvmRunner()
    return runner, build, runner.deploy(build.initcode)


def _call(harness, signature, types, args, out_types):
    runner, build, address = harness
    result = runner.call(address, build.selector(signature) + encode(types, args))
    if not result.success:
        return None
    return decode(out_types, result.output)


def vy_valid(harness, buf: bytes) -> bool:
    return _call(harness, "rlp_validate(bytes)", ["bytes"], [buf], ["bool"]) is not None


def py_valid(buf: bytes) -> bool:
    """pyrlp's pure-Python decoder, strict (see ``test_rusty_rlp_drops_an_overrunning_item``)."""
    try:
        _item, _per_item, end = consume_item(buf, 0)
    except (rlp.DecodingError, IndexError):
        return False
    return end == len(buf)


def _structure(rng: random.Random, depth: int = 0):
    if depth > 3 or rng.random() < 0.5:
        return rng.randbytes(rng.choice([0, 1, 1, 2, 20, 55, 56, 60, 200]))
    return [_structure(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 17]))]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    if not out:
        return b"\x00"
    how = rng.randrange(3)
    at = rng.randrange(len(out))
    if how == 0:
        out[at] = rng.randrange(256)
    elif how == 1:
        del out[at]
    else:
        out.insert(at, rng.randrange(256))
    return bytes(out)


CORNERS = [
    b"", b"\x00", b"\x7f", b"\x80", b"\x81\x00", b"\x81\x7f", b"\x81\x80", b"\x82\x00\x01",
    b"\x82\x00", b"\xb7" + b"a" * 55, b"\xb8\x37" + b"a" * 55, b"\xb8\x38" + b"a" * 56,
    b"\xb8\x00", b"\xb9\x00\x38" + b"a" * 56, b"\xb9\x01\x00" + b"a" * 256, b"\xb8",
    b"\xc0", b"\xc1", b"\xc1\x80", b"\xc2\x80", b"\xc1\x81\x05", b"\xc2\x81\x05",
    b"\xc1\xc0", b"\xc2\xc1\xc0", b"\xc2\xc0\xc0", b"\xc1\xc1\xc0", b"\xf8\x01\x80",
    b"\xf8\x38" + b"\x80" * 56, b"\xf9\x00\x38" + b"\x80" * 56, b"\x80\x80", b"\xc0\x00",
    b"\xc3\x82aa", b"\xc1\x82aa", b"\xbf" + b"\xff" * 8, b"\xff" + b"\x00" * 8,
]


def test_rusty_rlp_drops_an_overrunning_item(harness):
    """``rlp.decode`` (rusty-rlp backend) drops an item that runs past the end of its
    enclosing list when the bytes are still inside the outer list; pyrlp's pure-Python
    decoder and the contract reject the buffer."""
    buf = b"\xc5\xc2\x80\x82ab"  # [[b"", <"ab" running past the inner list>]]
    assert not py_valid(buf)
    assert not vy_valid(harness, buf)


def test_validate_corner_cases(harness):
    for buf in CORNERS:
        assert vy_valid(harness, buf) == py_valid(buf), buf.hex()


def test_validate_random_structures_and_mutations(harness):
    rng = random.Random(11)
    agree = {True: 0, False: 0}
    for _ in range(150):
        buf = rlp.encode(_structure(rng))
        for candidate in (buf, _mutate(rng, buf), _mutate(rng, _mutate(rng, buf))):
            if len(candidate) > MAX_BUF:
                continue
            expected = py_valid(candidate)
            assert vy_valid(harness, candidate) == expected, candidate.hex()
            agree[expected] += 1
    assert agree[True] > 50 and agree[False] > 50


def _py_items(buf: bytes) -> list[tuple[bool, int, int, int, int]]:
    prefix, typ, length, offset = rlp.codec.consume_length_prefix(buf, 0)
    out = []
    pos, end = offset, offset + length
    while pos < end:
        _p, t, n, o = rlp.codec.consume_length_prefix(buf, pos)
        out.append((t is list, pos, o, n, o + n))
        pos = o + n
    return out


def test_item_at_and_list_items(harness):
    rng = random.Random(12)
    for _ in range(40):
        structure = [_structure(rng) for _ in range(rng.randint(0, 17))]
        buf = rlp.encode(structure)
        if len(buf) > MAX_BUF:
            continue
        (top,) = _call(harness, "rlp_item_at(bytes,uint256,uint256)", ["bytes", "uint256", "uint256"],
                       [buf, 0, len(buf)], [ITEM])
        assert top[0] and top[1] == 0 and top[4] == len(buf)
        (items,) = _call(harness, "rlp_list_items(bytes)", ["bytes"], [buf], [f"{ITEM}[]"])
        assert [tuple(i) for i in items] == _py_items(buf)
    # an item past its limit, a list of 18 items
    assert _call(harness, "rlp_item_at(bytes,uint256,uint256)", ["bytes", "uint256", "uint256"],
                 [b"\x82ab", 0, 2], [ITEM]) is None
    assert _call(harness, "rlp_list_items(bytes)", ["bytes"], [rlp.encode([b""] * 18)], [f"{ITEM}[]"]) is None


UINTS = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 2**63 - 1, 2**64, 2**255, 2**256 - 1]


def test_encode_uint(harness):
    rng = random.Random(13)
    for x in UINTS + [rng.randrange(2 ** rng.randint(1, 256)) for _ in range(40)]:
        (out,) = _call(harness, "rlp_encode_uint(uint256)", ["uint256"], [x], ["bytes"])
        assert out == rlp.encode(_u(x)), x


def test_encode_address_and_headers(harness):
    for a in (b"\x00" * 20, b"\xff" * 20, bytes(range(20))):
        (out,) = _call(harness, "rlp_encode_address(address)", ["address"], [a], ["bytes"])
        assert out == rlp.encode(a)
    for n in (0, 1, 55, 56, 255, 256, 65535, 65536, 2**64 - 1):
        (out,) = _call(harness, "rlp_list_header(uint256)", ["uint256"], [n], ["bytes"])
        assert out == rlp.codec.length_prefix(n, 0xC0)
        (out,) = _call(harness, "rlp_string_header(uint256)", ["uint256"], [n], ["bytes"])
        assert out == rlp.codec.length_prefix(n, 0x80)
    assert _call(harness, "rlp_list_header(uint256)", ["uint256"], [2**64], ["bytes"]) is None
