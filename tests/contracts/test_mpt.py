"""contracts/lib/mpt.vy agrees with node/stf/mpt/proof.py ``verify_proof``, case by case.

The harness (contracts/test/mpt_harness.vy) is deployed once on an in-memory py-evm
state. Every case is run through both: where Python raises ``BadProof`` the contract must
revert, where Python returns ``None`` it must return ``(False, b"")``, where Python
returns a value it must return ``(True, value)``.

Tries: secure-style random paths (keccak of keys, thousands of them), and clustered
paths sharing long prefixes, whose short leaves and branches are embedded in their
parent (nodes under 32 bytes), with values of 1 to 400 bytes. Proofs: inclusion,
absence (random paths, and paths next to existing ones), then malformed ones: wrong
root, truncated, extra node, wrong key, tampered bytes (with the hashes above re-done so
the damage reaches the structural checks), and hand-built non-canonical nodes.

A py-evm call takes some 20 ms, so each test samples a few dozen proofs;
``MPT_FUZZ_SCALE=10`` runs ten times as many.
"""

from __future__ import annotations

import os
import random

import pytest
import rlp
from eth_abi import decode, encode
from rlp.codec import consume_item

from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf.hashing import keccak256
from node.stf.mpt import BLANK_ROOT, BadProof, Trie, verify_proof
from node.stf.mpt import proof as proof_module
from node.stf.mpt.nibbles import hex_prefix

SCALE = int(os.environ.get("MPT_FUZZ_SCALE", "2"))
MAX_NODE = 532
MAX_DEPTH = 24
VERIFY = "verify(bytes32,bytes32,bytes[])"
REVERT = "revert"


@pytest.fixture(scope="module")
def harness():
    build = compile_contract("test/mpt_harness.vy")
    runner = EvmRunner()
    return runner, build, runner.deploy(build.initcode)


def vy_verify(harness, root: bytes, path: bytes, proof: list[bytes]):
    runner, build, address = harness
    data = build.selector(VERIFY) + encode(["bytes32", "bytes32", "bytes[]"], [root, path, proof])
    result = runner.call(address, data)
    if not result.success:
        return REVERT
    found, value = decode(["bool", "bytes"], result.output)
    return value if found else None


def _strict_decode(encoded: bytes) -> object:
    """pyrlp's pure-Python strict decode. The rusty-rlp backend of ``rlp.decode`` silently
    drops an item running past the end of its list (see tests/contracts/test_rlp.py); the
    contract rejects such nodes, as the pure-Python decoder does."""
    try:
        item, _per_item, end = consume_item(encoded, 0)
    except (rlp.DecodingError, IndexError) as exc:
        raise BadProof(f"invalid RLP: {exc}") from exc
    if end != len(encoded):
        raise BadProof("invalid RLP: trailing bytes")
    return item


def py_verify(root: bytes, path: bytes, proof: list[bytes]):
    saved = proof_module.decode_rlp
    proof_module.decode_rlp = _strict_decode
    try:
        return verify_proof(root, path, proof)
    except BadProof:
        return REVERT
    finally:
        proof_module.decode_rlp = saved


def check(harness, root: bytes, path: bytes, proof: list[bytes]):
    """Both verifiers agree on this case; returns the outcome."""
    assert len(proof) <= MAX_DEPTH and all(len(node) <= MAX_NODE for node in proof)
    expected = py_verify(root, path, proof)
    assert vy_verify(harness, root, path, proof) == expected, (root.hex(), path.hex(), [n.hex() for n in proof])
    return expected


# ---------------------------------------------------------------------------------------
# Tries


def _value(rng: random.Random) -> bytes:
    size = rng.choice([1, 1, 2, 5, 20, 31, 32, 33, 55, 56, 90, 200, 400])
    value = rng.randbytes(size)
    return value if value != b"" else b"\x01"


def secure_trie(rng: random.Random, count: int) -> tuple[Trie, list[bytes]]:
    trie = Trie()
    paths = [keccak256(rng.randbytes(9)) for _ in range(count)]
    for path in paths:
        trie.set(path, _value(rng))
    return trie, paths


def clustered_trie(rng: random.Random, count: int) -> tuple[Trie, list[bytes]]:
    """Paths sharing long prefixes: leaves deep down, many embedded nodes."""
    trie = Trie()
    bases = [rng.randbytes(32) for _ in range(max(1, count // 20))]
    paths = []
    for _ in range(count):
        base = rng.choice(bases)
        keep = rng.choice([28, 30, 31, 31, 31])  # bytes shared with the base
        tail = bytearray(rng.randbytes(32 - keep))
        if rng.random() < 0.5:
            tail[-1] &= 0x0F if rng.random() < 0.5 else 0xF1
        path = base[:keep] + bytes(tail)
        paths.append(path)
        trie.set(path, rng.randbytes(rng.choice([1, 1, 2, 3, 4])) if rng.random() < 0.7 else _value(rng))
    return trie, sorted(set(paths))


def _near(rng: random.Random, path: bytes) -> bytes:
    """A path sharing a random-length prefix with ``path``."""
    nibble = rng.randrange(64)
    flipped = int.from_bytes(path, "big") ^ (rng.randrange(1, 16) << (4 * (63 - nibble)))
    return flipped.to_bytes(32, "big")


def _cases(trie: Trie, paths: list[bytes], rng: random.Random, count: int):
    root = trie.root_hash()
    for path in rng.sample(paths, min(count, len(paths))):
        yield root, path, trie.get_proof(path)
    for _ in range(count):
        path = rng.randbytes(32) if rng.random() < 0.3 else _near(rng, rng.choice(paths))
        yield root, path, trie.get_proof(path)


# ---------------------------------------------------------------------------------------
# Honest proofs


@pytest.mark.parametrize("count", [1, 2, 3, 17, 300, 4000])
def test_secure_trie_inclusion_and_absence(harness, count):
    rng = random.Random(count)
    trie, paths = secure_trie(rng, count)
    outcomes = [check(harness, *case) for case in _cases(trie, paths, rng, 12 * SCALE)]
    assert any(o not in (None, REVERT) for o in outcomes) and None in outcomes
    assert REVERT not in outcomes


@pytest.mark.parametrize("count", [2, 40, 600])
def test_clustered_trie_with_embedded_nodes(harness, count):
    rng = random.Random(1000 + count)
    trie, paths = clustered_trie(rng, count)
    embedded = 0
    for root, path, proof in _cases(trie, paths, rng, 15 * SCALE):
        embedded += any(len(node) < 32 for node in proof)
        assert check(harness, root, path, proof) != REVERT
        # embedded nodes may also be left out of the proof
        lean = [node for node in proof[1:] if len(node) >= 32]
        check(harness, root, path, proof[:1] + lean)
    assert embedded > 0


def test_single_leaf_root_and_blank_root(harness):
    trie = Trie()
    path = b"\x12" * 32
    trie.set(path, b"\x05")  # the root node is a 36-byte leaf
    assert check(harness, trie.root_hash(), path, trie.get_proof(path)) == b"\x05"
    assert check(harness, trie.root_hash(), b"\x13" * 32, trie.get_proof(b"\x13" * 32)) is None
    assert check(harness, BLANK_ROOT, path, []) is None
    assert check(harness, BLANK_ROOT, path, trie.get_proof(path)) == REVERT
    assert check(harness, trie.root_hash(), path, []) == REVERT


def test_value_sizes(harness):
    rng = random.Random(5)
    trie = Trie()
    paths = [keccak256(bytes([i])) for i in range(60)]
    sizes = [1, 2, 31, 32, 33, 55, 56, 57, 255, 256, 300, 460]
    for i, path in enumerate(paths):
        trie.set(path, rng.randbytes(sizes[i % len(sizes)]) if i % 7 else bytes([i]))
    root = trie.root_hash()
    for path in paths[:: max(1, 4 // SCALE)]:
        assert check(harness, root, path, trie.get_proof(path)) == trie.get(path)


# ---------------------------------------------------------------------------------------
# Malformed proofs


def _rehash(proof: list[bytes], index: int, new: bytes) -> tuple[bytes, list[bytes]] | None:
    """Replace item ``index`` and fix the hash references above it; None if impossible."""
    out = list(proof)
    out[index] = new
    for i in range(index, 0, -1):
        old_ref, new_ref = b"\xa0" + keccak256(proof[i]), b"\xa0" + keccak256(out[i])
        if out[i - 1].count(old_ref) != 1:
            return None  # embedded node, or an ambiguous reference
        out[i - 1] = out[i - 1].replace(old_ref, new_ref)
    return keccak256(out[0]), out


def _tamper(rng: random.Random, node: bytes) -> bytes:
    data = bytearray(node)
    how = rng.randrange(4)
    if how == 0:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif how == 1:
        data[rng.randrange(len(data))] = rng.randrange(256)
    elif how == 2:
        at = rng.randrange(len(data))
        del data[at : at + rng.randint(1, 3)]
    else:
        at = rng.randrange(len(data) + 1)
        data[at:at] = rng.randbytes(rng.randint(1, 3))
    return bytes(data)


@pytest.fixture(scope="module")
def sample():
    rng = random.Random(77)
    tries = [secure_trie(rng, 3000), clustered_trie(rng, 300)]
    cases = []
    for trie, paths in tries:
        cases.extend(_cases(trie, paths, rng, 8 * SCALE))
    return cases


def test_wrong_root_truncated_extra_and_wrong_key(harness, sample):
    rng = random.Random(8)
    seen = set()
    for root, path, proof in sample:
        seen.add(check(harness, rng.randbytes(32), path, proof))
        if len(proof) > 1:
            seen.add(check(harness, root, path, proof[:-1]))
            seen.add(check(harness, root, path, proof[1:]))
        seen.add(check(harness, root, path, proof + [proof[-1]]))
        other = rng.choice(sample)
        seen.add(check(harness, root, other[1], proof))
        if other[0] == root:
            seen.add(check(harness, root, path, proof + [other[2][-1]]))
    assert REVERT in seen


def test_tampered_nodes_with_hashes_redone(harness, sample):
    """Damage reaches the RLP and shape checks: Python and Vyper reject the same ones."""
    rng = random.Random(9)
    outcomes = {REVERT: 0, "other": 0}
    for root, path, proof in sample * 3:
        index = rng.randrange(len(proof))
        fixed = _rehash(proof, index, _tamper(rng, proof[index]))
        if fixed is None or max(map(len, fixed[1])) > MAX_NODE:
            continue
        out = check(harness, fixed[0], path, fixed[1])
        outcomes[REVERT if out == REVERT else "other"] += 1
    assert outcomes[REVERT] > 0 and outcomes["other"] > 0


# Hand-built nodes: each either breaks one rule of the verifier or is a corner it accepts.

H = keccak256(b"child")  # a 32-byte reference to nothing in particular


def _leaf(nibbles: bytes, value: bytes) -> list:
    return [hex_prefix(nibbles, True), value]


def _nibbles(path: bytes) -> bytes:
    return bytes(n for b in path for n in (b >> 4, b & 15))


def _run_root_node(harness, node: bytes, path: bytes, extra: list[bytes] = ()):
    return check(harness, keccak256(node), path, [node, *extra])


PATH = bytes(range(32))


def _branch(children: dict[int, object], value: bytes = b"") -> list:
    items: list = [b""] * 16 + [value]
    for slot, child in children.items():
        items[slot] = child
    return items


def test_non_canonical_rlp_is_rejected(harness):
    good = rlp.encode(_leaf(_nibbles(PATH), b"\x05"))
    assert _run_root_node(harness, good, PATH) == b"\x05"
    payload = good[1:]
    cases = [
        b"\xf8" + bytes([len(payload)]) + payload,  # long form for a short list
        good + b"\x00",  # trailing byte
        good[:-1],  # truncated
        bytes([good[0] + 1]) + payload,  # header one too long
        bytes([good[0] - 1]) + payload,  # header one too short
        rlp.encode([hex_prefix(_nibbles(PATH), True)]),  # one item
        b"\xe2" + rlp.encode(hex_prefix(_nibbles(PATH), True)) + b"\x81\x05",  # 0x81 0x05
        rlp.encode([hex_prefix(_nibbles(PATH), True), b"\x05", b""]),  # three items
        rlp.encode([hex_prefix(_nibbles(PATH), True), b""]),  # empty leaf value
        rlp.encode([hex_prefix(_nibbles(PATH), True), [b"\x05"]]),  # list as leaf value
        rlp.encode([[hex_prefix(_nibbles(PATH), True)], b"\x05"]),  # list as path
        rlp.encode([b"", b"\x05"]),  # empty path
        rlp.encode([b"\x40" + PATH, b"\x05"]),  # hex-prefix flag 4
        rlp.encode([b"\x21" + PATH, b"\x05"]),  # non-zero padding
        rlp.encode(b"\x05" * 40),  # a string, not a list
    ]
    long_value = rlp.encode(_leaf(_nibbles(PATH), b"\x07" * 60))
    # long string length with a leading zero byte: b8 3c -> b9 00 3c
    at = long_value.index(b"\xb8\x3c")
    bad = long_value[:at] + b"\xb9\x00\x3c" + long_value[at + 2 :]
    cases.append(bytes([bad[0], bad[1] + 1]) + bad[2:])
    for node in cases:
        assert _run_root_node(harness, node, PATH) == REVERT, node.hex()


def test_branch_shape_rules(harness):
    leaf = rlp.encode(_leaf(_nibbles(PATH)[1:], b"\x09" * 40))
    ref = keccak256(leaf)
    slot = PATH[0] >> 4
    other = (slot + 1) % 16
    good = rlp.encode(_branch({slot: ref, other: H}))
    assert _run_root_node(harness, good, PATH, [leaf]) == b"\x09" * 40
    assert _run_root_node(harness, good, bytes([((other << 4) | 1)]) + PATH[1:]) == REVERT  # ends early
    emb = [hex_prefix(b"\x01", True), b"\x02"]  # embedded leaf, 4 bytes
    cases = {
        "one entry": (_branch({slot: ref}), REVERT),
        "only a value": (_branch({}, b"\x01"), REVERT),
        "value and one child": (_branch({slot: ref}, b"\x01"), b"\x09" * 40),
        "child of 31 bytes": (_branch({slot: ref, other: H[:31]}), REVERT),
        "child of 1 byte": (_branch({slot: ref, other: b"\x01"}), REVERT),
        "list value": (_branch({slot: ref, other: H}, [b"\x01"]), REVERT),
        "embedded sibling": (_branch({slot: ref, other: emb}), b"\x09" * 40),
        "odd embedded sibling": (_branch({slot: ref, other: [[[b""]], b"\x01"]}), b"\x09" * 40),
        "empty-list sibling": (_branch({slot: ref, other: []}), b"\x09" * 40),
        "18 items": (_branch({slot: ref, other: H}) + [b""], REVERT),
        "16 items": (_branch({slot: ref, other: H})[:16], REVERT),
    }
    for name, (node, expected) in cases.items():
        encoded = rlp.encode(node)
        assert _run_root_node(harness, encoded, PATH, [leaf]) == expected, name
    # nested lists inside a sibling are checked through; canonical junk is accepted
    items = [rlp.encode(x) for x in _branch({slot: ref})]
    for sibling, expected in ((b"\xc2\x81\x05", REVERT), (b"\xc3\xc2\x81\x05", REVERT),
                              (b"\xc3\xc1\xc0\x80", b"\x09" * 40), (b"\xc4\xc3\xc1\xc0\x80", b"\x09" * 40),
                              (b"\xc3\xc3\xc1\xc0\x80"[:-1], REVERT), (b"\xc1\xc0", b"\x09" * 40),
                              (b"\xc3\xc2\xc1\xc0\xb8", REVERT)):
        payload = b"".join(items[:other] + [sibling] + items[other + 1 :])
        node = rlp.codec.length_prefix(len(payload), 0xC0) + payload
        assert _run_root_node(harness, node, PATH, [leaf]) == expected, sibling.hex()
    # the embedded sibling is followed when the path goes there
    node = rlp.encode(_branch({slot: ref, other: [hex_prefix(_nibbles(PATH)[1:], True), b"\x02"]}))
    assert len(rlp.encode([hex_prefix(_nibbles(PATH)[1:], True), b"\x02"])) >= 32
    assert _run_root_node(harness, node, bytes([(other << 4) | (PATH[0] & 15)]) + PATH[1:]) == REVERT
    # a node under 32 bytes referenced by hash
    small = rlp.encode([hex_prefix(b"\x01", True), b"\x02"])
    node = rlp.encode(_branch({slot: keccak256(small), other: H}))
    assert _run_root_node(harness, node, PATH, [small]) == REVERT


def test_extension_rules(harness):
    nib = _nibbles(PATH)
    leaf = rlp.encode(_leaf(nib[3:], b"\x0a" * 40))
    branch = rlp.encode(_branch({nib[2]: keccak256(leaf), (nib[2] + 1) % 16: H}))
    ext = rlp.encode([hex_prefix(nib[:2], False), keccak256(branch)])
    assert _run_root_node(harness, ext, PATH, [branch, leaf]) == b"\x0a" * 40
    assert _run_root_node(harness, ext, bytes([PATH[0] ^ 0x01]) + PATH[1:]) is None
    assert _run_root_node(harness, ext, bytes([PATH[0] ^ 0x01]) + PATH[1:], [branch]) == REVERT  # extra
    assert _run_root_node(harness, ext, PATH, [branch]) == REVERT
    # an extension whose child is a leaf
    leaf2 = rlp.encode(_leaf(nib[2:], b"\x0b" * 40))
    bad = rlp.encode([hex_prefix(nib[:2], False), keccak256(leaf2)])
    assert _run_root_node(harness, bad, PATH, [leaf2]) == REVERT
    # an embedded child that is not a 17-item list, an empty path, an empty or short child
    for node in ([hex_prefix(nib[:2], False), [b"\x01", b"\x02"]],
                 [hex_prefix(b"", False), keccak256(branch)],
                 [hex_prefix(nib[:2], False), b""],
                 [hex_prefix(nib[:2], False), b"\x01" * 31]):
        assert _run_root_node(harness, rlp.encode(node), bytes([PATH[0] ^ 0x10]) + PATH[1:], [branch]) == REVERT
    # an odd-length extension path (flag 1)
    leaf3 = rlp.encode(_leaf(nib[2:], b"\x0c" * 40))
    branch3 = rlp.encode(_branch({nib[1]: keccak256(leaf3), (nib[1] + 1) % 16: H}))
    ext3 = rlp.encode([hex_prefix(nib[:1], False), keccak256(branch3)])
    assert _run_root_node(harness, ext3, PATH, [branch3, leaf3]) == b"\x0c" * 40


def test_bounds_of_the_abi(harness):
    """Items over MAX_NODE bytes or proofs over MAX_DEPTH items cannot be passed."""
    runner, build, address = harness
    big = b"\xc0" * (MAX_NODE + 1)
    data = build.selector(VERIFY) + encode(["bytes32", "bytes32", "bytes[]"], [keccak256(big), PATH, [big]])
    assert not runner.call(address, data).success
    data = build.selector(VERIFY) + encode(["bytes32", "bytes32", "bytes[]"], [H, PATH, [b"\xc0"] * (MAX_DEPTH + 1)])
    assert not runner.call(address, data).success


def test_verify_key_hashes_the_key(harness):
    runner, build, address = harness
    rng = random.Random(3)
    trie = Trie()
    keys = [rng.randbytes(9) for _ in range(50)]
    for key in keys:
        trie.set(keccak256(key), key * 2)
    root = trie.root_hash()
    for key in keys[:3]:
        (found, value), _gas = runner.call_abi(
            address, build.selector("verify_key(bytes32,bytes,bytes[])"),
            ["bytes32", "bytes", "bytes[]"], [root, key, trie.get_proof(keccak256(key))], ["bool", "bytes"])
        assert found and value == key * 2
