"""contracts/fault/lib/state.vy and keys.vy behave as node/stf/state.py and keys.py.

Through ``contracts/test/fault_state_harness.vy`` and ``fault_state_small_harness.vy``: every key builder gives Python's key
(random and boundary fields; a too-wide field reverts where ``int.to_bytes`` raises), and
for every record, one transaction on the empty trie: ``get_X`` finds nothing, ``put_X``
stores exactly Python's ``encode`` under Python's key, ``get_X`` reads the record back,
``delete_X`` removes it. With the real ``trie.vy`` in the tree the roots are checked
against the Python trie too; until it lands, the tests run on a stand-in
(``tests/fault/standin``) that checks everything but the roots.
"""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode
from pyrevm import AccountInfo

from bridge.revm_call import RevmRunner
from bridge.vyper_build import CONTRACTS_DIR, compile_contract
from node.stf import keys
from node.stf import records as R
from node.stf.backends import MemoryBackend
from tests.fault.test_records_vyper import NAMES, SCHEMAS, _abi_type, _fields, _representable, random_record

STANDIN = CONTRACTS_DIR.parent / "tests" / "fault" / "standin"
REAL_TRIE = (CONTRACTS_DIR / "fault" / "lib" / "trie.vy").exists()
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
        for n, path in enumerate(HARNESSES):
            build = compile_contract(path, search_paths=[STANDIN])
            address = bytes([0x5A, n + 1]) * 10
            # Over the 24 KB deployment limit: placed directly (test contracts only).
            self.runner.evm.insert_account_info("0x" + address.hex(), AccountInfo(code=build.runtime))
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
        if REAL_TRIE:
            assert root1 == _trie_root(key, raw)
            assert root2 == (root1 if cls in (R.Globals, R.Config) else EMPTY_ROOT)
        done += 1
