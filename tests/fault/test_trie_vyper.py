"""contracts/fault/lib/trie.vy agrees with the Python trie (node/stf/mpt) bit for bit.

Every case runs the same operations on the Python trie (recording the witness, then
replaying it from ``Trie.from_nodes`` as ``WitnessBackend`` does) and on the contract
(through contracts/test/fault_trie_harness.vy, witness in a transient pool): the roots
after each write and the values read must be equal. Shapes: every node-shape transition
of an insert and a delete, built by hand from raw paths (and checked to occur in the
Python trie); random secure tries (hashed keys) and clustered tries (long shared
prefixes: embedded nodes, long extensions) with random operation sequences down to the
empty trie; long values (the second pool). Refusals: a missing witness node (the
collapse sibling included) and a tampered one revert where Python raises
``MissingTrieNode``; malformed nodes revert where Python raises ``BadProof``.

``TRIE_FUZZ_SCALE`` multiplies the random cases (the slow soak runs 10x).
"""

from __future__ import annotations

import os
import random

import pytest
import rlp

from bridge.evm_call import EvmRunner
from bridge.revm_call import RevmRunner
from node.stf import params
from node.stf.hashing import keccak256
from node.stf.mpt import BLANK_ROOT, BadProof, MissingTrieNode, Trie
from node.stf.mpt.nibbles import hex_prefix
from node.stf.mpt.nodes import Branch, Extension, Leaf, encode_node
from node.stf.records import Account, Mark, OrderTotals, Underlying
from node.stf.scenarios import N_SCENARIOS
from node.stf.txtypes import VolPoint
from tests.fault.trie_driver import (
    Harness,
    check,
    pack,
    python_run,
    revert_reason,
    store_call,
    vyper_apply,
    witness_for,
)

SCALE = int(os.environ.get("TRIE_FUZZ_SCALE", "1"))
MAX_VALUE = 24_576
SMALL_NODE = 576


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness.deploy(RevmRunner())


def P(nibbles: str, fill: str = "0") -> bytes:
    """A 32-byte path from hex nibbles, padded with ``fill``."""
    return bytes.fromhex((nibbles + fill * 64)[:64])


def trie_of(items) -> Trie:
    trie = Trie()
    for path, value in items:
        trie.set(path, value)
    trie.root_hash()
    return trie


def root_node(trie: Trie):
    return trie._root  # the shape checks below look at the Python trie's structure


# ---------------------------------------------------------------------------------------
# Every node-shape transition, by hand


def test_empty_trie_one_leaf_and_back(harness):
    trie = Trie()
    out = check(harness, trie, [("get", P("1")), ("put", P("1"), b"v"), ("get", P("1")), ("get", P("2")),
                                ("put", P("1"), b"w"), ("put", P("1"), b"")])
    assert out[-1] == BLANK_ROOT
    assert check(harness, trie, [("put", P("1"), b""), ("get", P("1"))])[0] == BLANK_ROOT


def test_leaf_split_into_branch(harness):
    trie = trie_of([(P("1"), b"one")])
    check(harness, trie, [("put", P("2"), b"two"), ("get", P("1")), ("get", P("2"))])
    assert isinstance(root_node(trie), Branch)


def test_leaf_split_into_extension_and_branch(harness):
    trie = trie_of([(P("12345a"), b"one")])
    check(harness, trie, [("put", P("12345b"), b"two"), ("get", P("12345a"))])
    root = root_node(trie)
    assert isinstance(root, Extension) and len(root.path) == 5 and isinstance(root.child, Branch)


@pytest.mark.parametrize("diverge", [0, 2, 5])  # first, middle, last nibble of the extension
def test_extension_split(harness, diverge):
    base = "abcdef"
    trie = trie_of([(P(base + "1"), b"x" * 40), (P(base + "2"), b"y" * 40)])
    assert isinstance(root_node(trie), Extension) and len(root_node(trie).path) == 6
    other = base[:diverge] + ("0" if base[diverge] != "0" else "1")
    check(harness, trie, [("put", P(other, "7"), b"z" * 40), ("get", P(base + "1")), ("get", P(other, "7"))])
    root = root_node(trie)
    if diverge == 0:
        assert isinstance(root, Branch)
    else:
        assert isinstance(root, Extension) and len(root.path) == diverge
    below = root if diverge == 0 else root.child
    kept = below.children[int(base[diverge], 16)]
    assert isinstance(kept, Branch if diverge == 5 else Extension)  # the old extension's rest


def test_branch_collapse_into_leaf(harness):
    trie = trie_of([(P("1"), b"one" * 20), (P("2"), b"two" * 20)])
    check(harness, trie, [("put", P("2"), b""), ("get", P("1"))])
    assert isinstance(root_node(trie), Leaf)


def test_branch_collapse_moves_an_extension_up(harness):
    # root branch: slot 1 a leaf, slot 2 an extension to a branch; deleting the leaf
    # leaves the extension, which absorbs the root's nibble.
    trie = trie_of([(P("1"), b"a" * 40), (P("2345", "1"), b"b" * 40), (P("2345", "2"), b"c" * 40)])
    assert isinstance(root_node(trie).children[2], Extension)
    check(harness, trie, [("put", P("1"), b""), ("get", P("2345", "1"))])
    root = root_node(trie)
    assert isinstance(root, Extension) and len(root.path) == 4


def test_branch_collapse_puts_an_extension_over_a_branch(harness):
    trie = trie_of([(P("1"), b"a" * 40), (P("21"), b"b" * 40), (P("22"), b"c" * 40)])
    assert isinstance(root_node(trie).children[2], Branch)
    check(harness, trie, [("put", P("1"), b""), ("get", P("21"))])
    root = root_node(trie)
    assert isinstance(root, Extension) and len(root.path) == 1 and isinstance(root.child, Branch)


def test_extension_merges_with_the_leaf_below(harness):
    trie = trie_of([(P("77771"), b"a" * 40), (P("77772"), b"b" * 40), (P("1"), b"c" * 40)])
    assert isinstance(root_node(trie).children[7], Extension)
    check(harness, trie, [("put", P("77772"), b""), ("get", P("77771"))])
    assert isinstance(root_node(trie).children[7], Leaf)


def test_extension_merges_with_the_extension_below(harness):
    trie = trie_of([(P("77770"), b"a" * 40), (P("777711112"), b"b" * 40), (P("777711113"), b"b" * 40),
                    (P("1"), b"c" * 40)])
    ext = root_node(trie).children[7]
    assert isinstance(ext, Extension) and isinstance(ext.child.children[1], Extension)
    check(harness, trie, [("put", P("77770"), b""), ("get", P("777711112"))])
    merged = root_node(trie).children[7]
    assert isinstance(merged, Extension) and len(merged.path) == 7


def test_delete_last_keys_to_the_empty_trie(harness):
    paths = [P("1"), P("12"), P("123"), P("2")]
    trie = trie_of([(p, b"v" * 33) for p in paths])
    out = check(harness, trie, [("put", p, b"") for p in paths])
    assert out[-1] == BLANK_ROOT


def test_embedded_nodes(harness):
    # Paths differing in their last nibbles, with 1-byte values: leaves and even
    # branches under 32 bytes, embedded in their parent.
    base = "ab" * 30
    items = [(P(base + tail), bytes([i + 1])) for i, tail in enumerate(["0001", "0002", "0010", "0011", "0100"])]
    trie = trie_of(items)
    embedded = _embedded_count(root_node(trie))
    assert embedded >= 3
    ops = [("get", p) for p, _ in items] + [("put", P(base + "0003"), b"\x05"), ("put", P(base + "0002"), b""),
                                            ("put", P(base + "0011"), b""), ("put", P(base + "0001"), b"\x7f" * 3)]
    ops += [("put", p, b"") for p, _ in items] + [("get", P(base + "0003"))]
    check(harness, trie, ops)


def _embedded_count(node) -> int:
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (Leaf, Extension, Branch)) and len(encode_node(n)) < 32:
            count += 1
        if isinstance(n, Branch):
            stack += [c for c in n.children if isinstance(c, (Leaf, Extension, Branch))]
        elif isinstance(n, Extension):
            stack.append(n.child)
    return count


def test_long_values(harness):
    rng = random.Random(7)
    sizes = [SMALL_NODE - 40, SMALL_NODE, 1000, 5000, MAX_VALUE]
    items = [(P(f"{i:x}5"), rng.randbytes(size)) for i, size in enumerate(sizes)]
    trie = trie_of(items[:2])
    ops = [("put", p, v) for p, v in items] + [("get", p) for p, _ in items]
    ops += [("put", P("05"), b""), ("put", P("15"), rng.randbytes(MAX_VALUE - 1))]  # update to a long value
    ops += [("put", P("36"), b"short")]  # splits the 5000-byte leaf: it moves down
    ops += [("put", P("36"), b"")]  # and back up
    ops += [("put", P("35"), b"")]
    check(harness, trie, ops + [("get", p) for p, _ in items])


def test_single_byte_values_and_value_headers(harness):
    trie = Trie()
    values = [b"\x00", b"\x7f", b"\x80", b"\xff", b"ab", b"x" * 55, b"x" * 56, b"x" * 255, b"x" * 256]
    check(harness, trie, [("put", P(f"{i:x}"), v) for i, v in enumerate(values)]
          + [("get", P(f"{i:x}")) for i in range(len(values))])


def test_absent_keys(harness):
    trie = trie_of([(P("12345a"), b"a" * 40), (P("12345b"), b"b" * 40), (P("2"), b"c" * 40)])
    absent = [P("3"), P("1234"), P("12345c"), P("2", "1"), P("12345a", "1")]
    out = check(harness, trie, [("get", p) for p in absent] + [("put", p, b"") for p in absent])
    assert set(out[: len(absent)]) == {keccak256(b"")}
    assert set(out[len(absent):]) == {trie.root_hash()}


def test_state_keys_are_hashed(harness):
    keys = [b"\x01" + bytes(20), b"\x00", b"\x09" + (5).to_bytes(8, "big")]
    trie = Trie()
    check(harness, trie, [("put_key", k, b"v" + k) for k in keys] + [("get_key", k) for k in keys]
          + [("get", keccak256(keys[0])), ("put_key", keys[1], b""), ("get_key", keys[1])])


# ---------------------------------------------------------------------------------------
# Random tries and op sequences


def _ops(rng: random.Random, paths: list[bytes], count: int, fresh) -> list:
    ops = []
    for _ in range(count):
        r = rng.random()
        path = rng.choice(paths) if rng.random() < 0.7 else fresh()
        if r < 0.3:
            ops.append(("get", path))
        elif r < 0.7:
            ops.append(("put", path, _value(rng)))
        else:
            ops.append(("put", path, b""))
    return ops


def _value(rng: random.Random) -> bytes:
    size = rng.choice([1, 1, 2, 5, 20, 31, 32, 33, 55, 56, 90, 200, 500, 700])
    return rng.randbytes(size)


@pytest.mark.parametrize("seed", range(3 * SCALE))
def test_random_secure_trie(harness, seed):
    rng = random.Random(seed)
    paths = [keccak256(rng.randbytes(8)) for _ in range(rng.choice([1, 10, 300, 2000]))]
    trie = trie_of([(p, _value(rng)) for p in paths])
    for _ in range(3):
        check(harness, trie, _ops(rng, paths, 80, lambda: keccak256(rng.randbytes(8))))


@pytest.mark.parametrize("seed", range(3 * SCALE))
def test_random_clustered_trie(harness, seed):
    rng = random.Random(1000 + seed)
    bases = [rng.randbytes(32) for _ in range(3)]

    def fresh() -> bytes:
        base = rng.choice(bases)
        keep = rng.choice([20, 28, 30, 31, 31])
        return base[:keep] + rng.randbytes(32 - keep)

    paths = [fresh() for _ in range(rng.choice([5, 50, 200]))]
    trie = trie_of([(p, _value(rng)) for p in paths])
    for _ in range(3):
        check(harness, trie, _ops(rng, paths, 80, fresh))


@pytest.mark.parametrize("seed", range(2 * SCALE))
def test_random_delete_everything(harness, seed):
    rng = random.Random(2000 + seed)
    paths = [keccak256(rng.randbytes(8)) for _ in range(60)] + [P("ab" * 31 + f"{i:02x}") for i in range(20)]
    trie = trie_of([(p, _value(rng)) for p in paths])
    rng.shuffle(paths)
    out = check(harness, trie, [("put", p, b"") for p in paths])
    assert out[-1] == BLANK_ROOT


# ---------------------------------------------------------------------------------------
# Refusals


def _python_replay_fails(pre_root, nodes, ops) -> bool:
    try:
        python_run(Trie.from_nodes(pre_root, nodes), ops)
    except (MissingTrieNode, BadProof):
        return True
    return False


def test_every_missing_witness_node_reverts(harness):
    rng = random.Random(5)
    paths = [keccak256(rng.randbytes(8)) for _ in range(200)]
    trie = trie_of([(p, _value(rng)) for p in paths])
    ops = [("get", paths[0]), ("put", paths[1], b"new"), ("put", paths[2], b""), ("put", keccak256(b"fresh"), b"f")]
    pre_root, nodes, _ = witness_for(trie, ops)
    for i in range(len(nodes)):
        dropped = nodes[:i] + nodes[i + 1:]
        assert _python_replay_fails(pre_root, dropped, ops)
        got, result = vyper_apply(harness, pre_root, dropped, ops)
        assert got is None and revert_reason(result) == b"trie: missing node"


def test_missing_collapse_sibling_reverts(harness):
    # Deleting a leaf whose branch keeps one child needs that child (it moves up).
    ops = [("put", P("2"), b"")]
    pre_root, nodes, _ = witness_for(trie_of([(P("1"), b"a" * 40), (P("2"), b"b" * 40)]), ops)
    sibling = next(n for n in nodes if rlp.decode(n)[-1] == b"a" * 40)
    dropped = [n for n in nodes if n != sibling]
    assert _python_replay_fails(pre_root, dropped, ops)
    got, result = vyper_apply(harness, pre_root, dropped, ops)
    assert got is None and revert_reason(result) == b"trie: missing node"
    got, _ = vyper_apply(harness, pre_root, nodes, ops)
    assert got is not None


def test_tampered_witness_node_reverts(harness):
    rng = random.Random(6)
    paths = [keccak256(rng.randbytes(8)) for _ in range(100)]
    trie = trie_of([(p, _value(rng)) for p in paths])
    ops = [("get", paths[3]), ("put", paths[4], b"x")]
    pre_root, nodes, _ = witness_for(trie, ops)
    for i in rng.sample(range(len(nodes)), min(8, len(nodes))):
        node = bytearray(nodes[i])
        node[rng.randrange(len(node))] ^= 1 << rng.randrange(8)
        tampered = nodes[:i] + [bytes(node)] + nodes[i + 1:]
        assert _python_replay_fails(pre_root, tampered, ops)
        got, result = vyper_apply(harness, pre_root, tampered, ops)
        assert got is None


def _leaf(nibbles: bytes, value: bytes) -> bytes:
    return rlp.encode([hex_prefix(nibbles, True), value])


MALFORMED = {
    "bad hex-prefix flag": rlp.encode([b"\x40" + bytes(32), b"v" * 40]),
    "non-zero padding": rlp.encode([b"\x21" + bytes(32), b"v" * 40]),
    "empty leaf value": rlp.encode([b"\x20" + bytes(32), b""]),
    "list as leaf value": rlp.encode([b"\x20" + bytes(32), [b"v" * 4]]),
    "three items": rlp.encode([b"\x20" + bytes(32), b"v" * 10, b"w"]),
    "branch with one entry": rlp.encode([keccak256(b"x")] + [b""] * 16),
    "branch child of 5 bytes": rlp.encode([b"abcde", keccak256(b"x")] + [b""] * 15),
    "branch value is a list": rlp.encode([keccak256(b"x"), keccak256(b"y")] + [b""] * 14 + [[b"v"]]),
    "extension with empty path": rlp.encode([b"\x00", keccak256(b"x")]),
    "extension child of 31 bytes": rlp.encode([b"\x11", b"x" * 31]),
    "not a list": rlp.encode(b"x" * 40),
    "non-canonical length": b"\xf8\x22" + rlp.encode(b"\x20" + bytes(32))[:0] + b"\x81\x20" + b"\x9f" + b"v" * 31,
    "trailing bytes": _leaf(bytes(64), b"v" * 40) + b"\x00",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_root_node_reverts(harness, name):
    node = MALFORMED[name]
    root = keccak256(node)
    with pytest.raises(BadProof):
        Trie.from_nodes(root, [node])
    for op in [("get", bytes(32)), ("put", bytes(32), b"v"), ("put", bytes(32), b"")]:
        got, result = vyper_apply(harness, root, [node], [op])
        assert got is None, (name, op)


def test_malformed_embedded_child_reverts(harness):
    # A branch whose slot 0 holds an embedded leaf with a bad flag; the path goes there.
    bad = [b"\x40", b"v"]
    node = rlp.encode([bad, keccak256(b"y")] + [b""] * 15)
    root = keccak256(node)
    with pytest.raises(BadProof):
        Trie.from_nodes(root, [node])
    got, _ = vyper_apply(harness, root, [node], [("get", bytes(32))])
    assert got is None


def test_short_node_referenced_by_hash_reverts(harness):
    short = _leaf(b"\x01", b"v")  # 4 bytes: it must be embedded, not hashed
    node = rlp.encode([keccak256(short), keccak256(b"y")] + [b""] * 15)
    root = keccak256(node)
    with pytest.raises(BadProof):
        Trie.from_nodes(root, [node, short])
    got, _ = vyper_apply(harness, root, [node, short], [("get", bytes(32))])
    assert got is None


# ---------------------------------------------------------------------------------------
# The store as a contract: its pool, seen by every caller, keyed by content


@pytest.fixture(scope="module")
def reader(harness) -> Harness:
    """A second caller of the same store."""
    from bridge.vyper_build import compile_contract

    build = compile_contract("test/fault_trie_harness.vy")
    return Harness(harness.runner, build, harness.runner.deploy(build.initcode, bytes(12) + harness.store),
                   harness.store)


def _relay(harness, reader, root, nodes, path):
    data = harness.build.selector("relay(bytes32,address)") + root + bytes(12) + reader.address
    return harness.runner.call(harness.address, data + pack(nodes, [("get", path)]))


def test_nodes_added_by_one_caller_are_seen_by_another(harness, reader):
    rng = random.Random(8)
    paths = [keccak256(rng.randbytes(8)) for _ in range(100)]
    trie = trie_of([(p, rng.randbytes(rng.choice([5, 100, 3000]))) for p in paths])
    for path in paths[:5]:
        pre_root, nodes, expected = witness_for(trie, [("get", path)])
        result = _relay(harness, reader, pre_root, nodes, path)
        assert result.success and result.output == expected[0]
        # The pool is the transaction's: alone, the reader has no node.
        alone = reader.runner.call(reader.address, reader.build.selector("read(bytes32,bytes32)") + pre_root + path)
        assert not alone.success and revert_reason(alone) == b"trie: missing node"


def test_a_node_is_pooled_only_under_its_own_hash(harness, reader):
    path = P("5")
    honest = _leaf(bytes([5] + [0] * 63), b"honest" * 10)
    forged = _leaf(bytes([5] + [0] * 63), b"forged" * 10)
    root = keccak256(honest)
    # The forged node (a valid leaf on the same path) added for the honest root: missing.
    result = _relay(harness, reader, root, [forged], path)
    assert not result.success and revert_reason(result) == b"trie: missing node"
    # Under its own hash it is a leaf like any other; both added: each root reads its own.
    result = _relay(harness, reader, keccak256(forged), [forged], path)
    assert result.success and result.output == keccak256(b"forged" * 10)
    result = _relay(harness, reader, root, [forged, honest], path)
    assert result.success and result.output == keccak256(b"honest" * 10)


def test_whole_witness_in_one_blob_with_long_leaves(harness):
    # One add_nodes call carrying every node (short and long, windows crossing nodes).
    rng = random.Random(9)
    paths = [keccak256(rng.randbytes(8)) for _ in range(40)]
    items = [(p, rng.randbytes(rng.choice([1, 40, 575, 577, 1200, 5000, MAX_VALUE]))) for p in paths]
    trie = trie_of(items)
    ops = [("get", p) for p in paths] + [("put", paths[0], rng.randbytes(700)), ("put", paths[1], b""),
                                         ("put", keccak256(b"new"), rng.randbytes(MAX_VALUE))]
    pre_root, nodes, expected = witness_for(trie, ops)
    assert sum(map(len, nodes)) > 3 * MAX_VALUE
    result = store_call(harness, "add_nodes(bytes)", ["bytes"], [b"".join(nodes)])
    assert result.success
    got, _ = vyper_apply(harness, pre_root, nodes, ops)
    assert got == expected


@pytest.mark.parametrize("size", [1, 31, 32, 33, 200, 470, 500, 505, 510, 540, 600])
def test_short_calldata_witness(harness, size):
    # A witness of one leaf: under 576 bytes of calldata, add_nodes reads it word by word.
    trie = trie_of([(P("7"), b"\x81" * size)])
    check(harness, trie, [("get", P("7")), ("put", P("7"), b"x" * size), ("get", P("8"))])


@pytest.mark.parametrize("blob", [b"\x80", b"\xc5\x01", rlp.encode([b"x" * 40]) + b"\x01", bytes([0xf9, 0x70, 0x00]) + bytes(0x7000)])
def test_bad_witness_blob_reverts(harness, blob):
    # Not a list, a list past the blob's end, a trailing non-list, a node over MAX_NODE.
    result = store_call(harness, "add_nodes(bytes)", ["bytes"], [blob])
    assert not result.success


# ---------------------------------------------------------------------------------------
# Bounds and the other EVM


def test_largest_records_fit_max_value():
    u = 2**256 - 1
    account = Account(-1, u, u, (u,) * params.MAX_OPEN_ORDERS, ((u, -1),) * params.MAX_POSITIONS, u,
                      (OrderTotals(u, u, u, u, u, u, u),) * params.MAX_POSITIONS)
    underlying = Underlying(b"x" * 32, u, u, (VolPoint(u, u, -1, u),) * params.MAX_SURFACE_POINTS,
                            (u,) * params.MAX_INSTRUMENTS_PER_UNDERLYING, u, u)
    mark = Mark(u, u, u, u, u, True, (-1,) * N_SCENARIOS, -1, -1, -1, -1)
    sizes = [len(r.encode()) for r in (account, underlying, mark)]
    assert sizes[0] == 23_632 and max(sizes) <= MAX_VALUE


def test_py_evm_agrees():
    harness = Harness.deploy(EvmRunner())
    rng = random.Random(11)
    paths = [keccak256(rng.randbytes(8)) for _ in range(50)]
    trie = trie_of([(p, _value(rng)) for p in paths])
    check(harness, trie, _ops(rng, paths, 12, lambda: keccak256(rng.randbytes(8))))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_soak_random_tries(harness, seed):
    rng = random.Random(10_000 + seed)
    paths = [keccak256(rng.randbytes(8)) for _ in range(rng.choice([100, 1000, 5000]))]
    trie = trie_of([(p, _value(rng)) for p in paths])
    for _ in range(10):
        check(harness, trie, _ops(rng, paths, 200, lambda: keccak256(rng.randbytes(8))))
