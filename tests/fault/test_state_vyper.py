"""contracts/fault/lib/state.vy and keys.vy behave as node/stf/state.py and keys.py.

Through ``contracts/test/fault_state_harness.vy`` and ``fault_state_small_harness.vy``: every key builder gives Python's key
(random and boundary fields; a too-wide field reverts where ``int.to_bytes`` raises), and
for every record, one transaction on the empty trie: ``get_X`` finds nothing, ``put_X``
stores exactly Python's ``encode`` under Python's key (read back from the write buffer),
``commit`` gives Python's root, ``get_X`` reads the record back from the trie store,
``delete_X`` removes it and the next ``commit`` gives the empty root.

The write buffer (``fault_state_commit_harness.vy``): writes in any program order commit to
Python's root, applied in sorted key order as ``WitnessBackend.apply`` does; a witness made
for that order proves a delete-then-insert whose program order would need a node it lacks
(the same writes straight through the store revert "trie: missing node").
"""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from pyrevm import AccountInfo

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf import keys
from node.stf import records as R
from node.stf.backends import MemoryBackend
from tests.fault.test_records_vyper import NAMES, SCHEMAS, _abi_type, _fields, _representable, random_record

EMPTY_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
HARNESSES = ("test/fault_state_harness.vy", "test/fault_state_small_harness.vy")

# Key fields per record: ABI types, a random generator, and Python's key builder.
U32, U64 = 2**32 - 1, 2**64 - 1


def _u(rng: random.Random, top: int) -> int:
    return rng.choice([0, 1, top, rng.randrange(top + 1)])


KEY_ARGS = {
    R.Globals: ([], lambda rng: [], lambda: keys.GLOBALS),
    R.Config: ([], lambda rng: [], lambda: keys.CONFIG),
    R.Account: (["address"], lambda rng: [rng.randbytes(20)], keys.account),
    R.Underlying: (["uint256"], lambda rng: [_u(rng, U32)], keys.underlying),
    R.Instrument: (["uint256"], lambda rng: [_u(rng, U32)], keys.instrument),
    R.Mark: (["uint256"], lambda rng: [_u(rng, U32)], keys.mark),
    R.SeriesIndex: (["uint256", "uint256", "uint256", "bool"],
                    lambda rng: [_u(rng, U32), _u(rng, U64), _u(rng, U64), rng.random() < 0.5], keys.series),
    R.Level: (["uint256", "uint256", "uint256"],
              lambda rng: [_u(rng, U32), rng.randrange(2), _u(rng, U64)], keys.level),
    R.Order: (["uint256"], lambda rng: [_u(rng, U64)], keys.order),
    R.ClientOrderIndex: (["address", "uint256"], lambda rng: [rng.randbytes(20), _u(rng, U64)], keys.client_order),
    R.Withdrawal: (["uint256"], lambda rng: [_u(rng, U64)], keys.withdrawal),
    R.SettlementPrice: (["uint256", "uint256"], lambda rng: [_u(rng, U32), _u(rng, U64)], keys.settlement),
    R.Auction: (["address"], lambda rng: [rng.randbytes(20)], keys.auction),
}


class StateHarness:
    def __init__(self) -> None:
        self.runner = RevmRunner()
        self.entries = {}
        store = self.runner.deploy(compile_contract("fault/trie_store.vy").initcode)
        for n, path in enumerate(HARNESSES):
            build = compile_contract(path)
            address = bytes([0x5A, n + 1]) * 10
            # Over the 24 KB deployment limit: placed directly (test contracts only).
            self.runner.evm.insert_account_info("0x" + address.hex(), AccountInfo(code=build.runtime))
            # `store` (storage slot 0): the trie store the state reads and writes through
            self.runner.evm.insert_account_storage("0x" + address.hex(), 0, int.from_bytes(store, "big"))
            for e in build.abi:
                if e.get("type") == "function":
                    self.entries[e["name"]] = (build, address, e)

    def call(self, name: str, args: list) -> tuple | None:
        build, address, entry = self.entries[name]
        in_types = [_abi_type(i) for i in entry["inputs"]]
        data = build.selector(f"{name}({','.join(in_types)})") + encode(in_types, args)
        result = self.runner.call(address, data)
        if not result.success:
            return None
        return decode([_abi_type(o) for o in entry["outputs"]], result.output)


@pytest.fixture(scope="module")
def sh() -> StateHarness:
    return StateHarness()


def _key_call(sh: StateHarness, prefix: int, a: bytes = b"\x00" * 20, x: int = 0, y: int = 0, z: int = 0,
              flag: bool = False) -> bytes | None:
    out = sh.call("key_of", [prefix, a, x, y, z, flag])
    return None if out is None else out[0]


def test_key_builders_equal_python(sh):
    rng = random.Random(11)
    for _ in range(40):
        a = rng.randbytes(20)
        x, y, z = _u(rng, U32), _u(rng, U64), _u(rng, U64)
        flag = rng.random() < 0.5
        side = rng.randrange(2)
        assert _key_call(sh, 0) == keys.GLOBALS
        assert _key_call(sh, 3) == keys.CONFIG
        assert _key_call(sh, keys.P_ACCOUNT, a=a) == keys.account(a)
        assert _key_call(sh, keys.P_UNDERLYING, x=x) == keys.underlying(x)
        assert _key_call(sh, keys.P_INSTRUMENT, x=x) == keys.instrument(x)
        assert _key_call(sh, keys.P_MARK, x=x) == keys.mark(x)
        assert _key_call(sh, keys.P_SERIES, x=x, y=y, z=z, flag=flag) == keys.series(x, y, z, flag)
        level = keys.level(x, side, z)
        assert _key_call(sh, keys.P_LEVEL, x=x, y=side, z=z) == level
        assert sh.call("price_of_level_key", [level])[0] == keys.price_of_level_key(level) == z
        assert _key_call(sh, keys.P_ORDER, x=y) == keys.order(y)
        assert _key_call(sh, keys.P_CLIENT_ORDER, a=a, x=y) == keys.client_order(a, y)
        assert _key_call(sh, keys.P_WITHDRAWAL, x=y) == keys.withdrawal(y)
        assert _key_call(sh, keys.P_SETTLEMENT, x=x, y=y) == keys.settlement(x, y)
        assert _key_call(sh, keys.P_AUCTION, a=a) == keys.auction(a)


@pytest.mark.parametrize("prefix,args,build", [
    (keys.P_UNDERLYING, dict(x=2**32), lambda: keys.underlying(2**32)),
    (keys.P_ORDER, dict(x=2**64), lambda: keys.order(2**64)),
    (keys.P_SERIES, dict(x=1, y=2**64, z=1), lambda: keys.series(1, 2**64, 1, True)),
    (keys.P_LEVEL, dict(x=1, y=0, z=2**64), lambda: keys.level(1, 0, 2**64)),  # bid above U64_MAX
    (keys.P_LEVEL, dict(x=1, y=256, z=5), lambda: keys.level(1, 256, 5)),
    (keys.P_SETTLEMENT, dict(x=2**32, y=1), lambda: keys.settlement(2**32, 1)),
])
def test_key_builders_revert_where_python_raises(sh, prefix, args, build):
    with pytest.raises((OverflowError, ValueError)):
        build()
    assert _key_call(sh, prefix, **args) is None


def _trie_root(key: bytes, raw: bytes) -> bytes:
    backend = MemoryBackend()
    return backend.apply({key: raw})


@pytest.mark.parametrize("cls", list(SCHEMAS), ids=lambda c: c.__name__)
def test_typed_accessors(sh, cls):
    rng = random.Random(f"state-{cls.__name__}")
    _types, gen, build_key = KEY_ARGS[cls]
    done = 0
    while done < 8:
        rec = random_record(rng, cls)
        if not all(_representable(k, v) for k, v in zip(SCHEMAS[cls], _fields(rec))):
            continue
        raw = rec.encode()
        args = gen(rng)
        key = build_key(*args)
        out = sh.call(NAMES[cls], [*args, key, raw])
        assert out is not None, cls.__name__
        found0, stored, root1, found1, again, found2, root2 = out
        assert (found0, stored, found1, again) == (False, raw, True, raw)
        if cls in (R.Globals, R.Config):
            assert found2 is True
        else:
            assert found2 is False
        assert root1 == _trie_root(key, raw)
        assert root2 == (root1 if cls in (R.Globals, R.Config) else EMPTY_ROOT)
        done += 1


# -- the write buffer ------------------------------------------------------------------

@pytest.fixture(scope="module")
def commit_harness():
    runner = RevmRunner()
    store = runner.deploy(compile_contract("fault/trie_store.vy").initcode)
    build = compile_contract("test/fault_state_commit_harness.vy")
    return runner, build, runner.deploy(build.initcode, encode(["address"], [store]))


def _writes(harness, name: str, pre_root: bytes, witness: bytes, writes: list[tuple[bytes, bytes | None]]):
    runner, build, address = harness
    ks = [k for k, _ in writes]
    vs = [v or b"" for _, v in writes]
    types = ["bytes32", "bytes", "bytes[]", "bytes[]"]
    out = ["bytes32", "bytes"] if name == "buffered" else ["bytes32"]
    result = runner.call(address, build.selector(f"{name}({','.join(types)})") + encode(types, [pre_root, witness, ks, vs]))
    if not result.success:
        return None
    return decode(out, result.output)


def _python_step(values: dict[bytes, bytes], writes: list[tuple[bytes, bytes | None]]):
    """Python's step over ``values``: the pre-root, the witness a proving run records (reads
    of every written key, then ``apply``), and the post-root."""
    from node.stf.backends import RecordingBackend

    inner = MemoryBackend()
    pre_root = inner.apply(dict(values))
    recording = RecordingBackend(inner)
    for key, _ in writes:
        recording.get(key)
    changes: dict[bytes, bytes | None] = {}
    for key, value in writes:
        changes[key] = value
    post_root = recording.apply(changes)
    return pre_root, b"".join(sorted(recording.witness().nodes)), post_root


def _first_nibble(key: bytes) -> int:
    return keccak(key)[0] >> 4


def test_commit_applies_in_sorted_key_order(commit_harness) -> None:
    """Two accounts A, B under a root branch; the step deletes A, then inserts C (another
    root nibble, C < A as bytes). Python applies C first (the branch keeps two children), so
    its witness lacks B's leaf, which deleting A first needs (the branch collapses). The
    buffered state commits to Python's root; the same writes straight through the store in
    program order revert."""
    rng = random.Random(5)
    while True:
        a, b, c = (keys.account(rng.randbytes(20)) for _ in range(3))
        if c < a and len({_first_nibble(a), _first_nibble(b), _first_nibble(c)}) == 3:
            break
    values = {a: b"\x01" * 40, b: b"\x02" * 40}
    writes = [(a, None), (c, b"\x03" * 40)]
    pre_root, witness, post_root = _python_step(values, writes)
    got = _writes(commit_harness, "buffered", pre_root, witness, writes)
    assert got is not None and got[0] == post_root
    assert got[1] == b""  # A reads as deleted from the buffer
    assert _writes(commit_harness, "in_order", pre_root, witness, writes) is None
    # with the witness of every node the program order needs, both agree
    full = b"".join(sorted(_all_nodes(values)))
    assert _writes(commit_harness, "in_order", pre_root, full, writes) == (post_root,)


def _all_nodes(values: dict[bytes, bytes]) -> set[bytes]:
    from node.stf.backends import RecordingBackend

    inner = MemoryBackend()
    inner.apply(dict(values))
    recording = RecordingBackend(inner)
    for key in values:
        recording.get(key)
    return set(recording.witness().nodes)


def test_random_writes_commit_to_python_root(commit_harness) -> None:
    """Random steps over random tries of raw keys of every length (1 to 29 bytes, keys
    that are prefixes of others, zero tails): puts, overwrites, deletes of present and
    absent keys, unchanged values, a key written twice; in shuffled program order the
    buffered commit gives Python's root with Python's witness; a witness missing any one
    node is refused."""
    rng = random.Random(23)
    stems = [bytes([p]) + rng.randbytes(28) for p in (1, 8, 9, 10)]
    for round_ in range(40):
        pool = set()
        for _ in range(14):
            stem = rng.choice(stems)
            pool.add(stem[:rng.choice([1, 2, 9, 21, 29])] if rng.random() < 0.5 else stem[:rng.randrange(1, 30)])
            pool.add(stem[:rng.randrange(1, 29)] + b"\x00")
        pool = sorted(pool)
        values = {k: rng.randbytes(rng.choice([1, 5, 40, 200])) for k in pool if rng.random() < 0.6}
        touched = rng.sample(pool, min(len(pool), rng.randrange(1, 10)))
        writes: list[tuple[bytes, bytes | None]] = []
        for k in touched:
            choice = rng.random()
            if choice < 0.3:
                writes.append((k, None))
            elif choice < 0.45 and k in values:
                writes.append((k, values[k]))
            else:
                writes.append((k, rng.randbytes(rng.choice([1, 33, 120]))))
        if writes and rng.random() < 0.3:
            k = writes[0][0]
            writes.append((k, rng.randbytes(8)))  # written twice: the last value counts
        rng.shuffle(writes)
        pre_root, witness, post_root = _python_step(values, writes)
        got = _writes(commit_harness, "buffered", pre_root, witness, writes)
        assert got is not None and got[0] == post_root, round_
        last = {k: v for k, v in writes}
        assert got[1] == (last[writes[0][0]] or b"")
        if round_ % 4 == 0:  # the witness without the pre-root's node: refused
            nodes = [witness_node for witness_node in _split(witness) if keccak(witness_node) != pre_root]
            assert _writes(commit_harness, "buffered", pre_root, b"".join(nodes), writes) is None


def _split(blob: bytes) -> list[bytes]:
    """The RLP items of a concatenation of nodes."""
    import rlp

    out, pos = [], 0
    while pos < len(blob):
        _prefix, _typ, length, start = rlp.codec.consume_length_prefix(blob, pos)
        out.append(blob[pos:start + length])
        pos = start + length
    return out
