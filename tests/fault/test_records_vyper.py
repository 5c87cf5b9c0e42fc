"""contracts/fault/lib/records.vy encodes and decodes every state record as node/stf/records.py.

Through the harnesses (``contracts/test/fault_records_harness.vy``: Account, Underlying, Mark;
``fault_records_small_harness.vy``: the others), for each record:

- hypothesis-generated records (boundary values: 0, 127, 128, 2**64 - 1, 2**256 - 1,
  -2**255, lists at their maximum length): Vyper ``encode`` == Python ``encode``, and Vyper
  ``decode`` of Python's bytes gives the same fields;
- mutated bytes (random byte edits, and structural ones: an integer with a leading zero, a
  missing or extra item, a flag of 2, an address of 19 bytes, a list for an integer, a
  long-form header): Vyper accepts exactly the canonical encodings of representable
  records, i.e. the bytes that Python decodes and re-encodes to themselves, within the
  Vyper bounds (``_representable``); everything Python refuses, Vyper refuses.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
import rlp
from eth_abi import decode, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from node.stf import records as R
from node.stf.params import (
    MAX_INSTRUMENTS_PER_UNDERLYING,
    MAX_OPEN_ORDERS,
    MAX_POSITIONS,
    MAX_SURFACE_POINTS,
)
from node.stf.records import OrderTotals
from node.stf.scenarios import N_SCENARIOS
from node.stf.txtypes import VolPoint

MAX_ORACLES = 16  # records.vy's genesis bounds
MAX_NAME = 32
U256 = 2**256

# Field kinds: "u" unsigned int, "s" signed int (int256 on the wire), "a" 20-byte address,
# "b" flag, "n" name (<= MAX_NAME bytes), ("list", kind, max_len, exact), ("tuple", cls, kinds).
POSITION = ("tuple", tuple, ["u", "s"])
SCHEMAS: dict[type, list[Any]] = {
    R.Globals: ["u"] * 17,
    R.Config: ["u", "a", "a", ("list", "a", MAX_ORACLES, False), "u", "u", "u", "u"],
    R.Account: [
        "s", "u", "u", ("list", "u", MAX_OPEN_ORDERS, False), ("list", POSITION, MAX_POSITIONS, False),
        "u", ("list", ("tuple", OrderTotals, ["u"] * 7), MAX_POSITIONS, False),
    ],
    R.Underlying: [
        "n", "u", "u", ("list", ("tuple", VolPoint, ["u", "u", "s", "u"]), MAX_SURFACE_POINTS, False),
        ("list", "u", MAX_INSTRUMENTS_PER_UNDERLYING, False), "u", "u",
    ],
    R.Instrument: ["u", "u", "u", "b", "u", "u", "u", "u"],
    R.Mark: ["u", "u", "u", "u", "u", "b", ("list", "s", N_SCENARIOS, True), "s", "s", "s", "s"],
    R.SeriesIndex: ["u"],
    R.Level: ["u"] * 5,
    R.Order: ["a", "u", "u", "u", "u", "b", "u", "u", "u", "u"],
    R.ClientOrderIndex: ["u"],
    R.Withdrawal: ["a", "a", "u", "u"],
    R.SettlementPrice: ["u"] * 3,
    R.Auction: ["u"],
}
BIG = (R.Account, R.Underlying, R.Mark)
NAMES = {
    R.Globals: "globals", R.Config: "config", R.Account: "account", R.Underlying: "underlying",
    R.Instrument: "instrument", R.Mark: "mark", R.SeriesIndex: "series_index", R.Level: "level",
    R.Order: "order", R.ClientOrderIndex: "client_order_index", R.Withdrawal: "withdrawal",
    R.SettlementPrice: "settlement_price", R.Auction: "auction",
}


def _fields(rec: Any) -> list[Any]:
    return [getattr(rec, f.name) for f in dataclasses.fields(rec) if f.init]


# -- Python record <-> ABI values ------------------------------------------------------


def _to_abi(kind: Any, value: Any) -> Any:
    if isinstance(kind, tuple) and kind[0] == "list":
        return [_to_abi(kind[1], v) for v in value]
    if isinstance(kind, tuple):
        items = _fields(value) if dataclasses.is_dataclass(value) else value
        return tuple(_to_abi(k, v) for k, v in zip(kind[2], items))
    return value


def _from_abi(kind: Any, value: Any) -> Any:
    if isinstance(kind, tuple) and kind[0] == "list":
        return tuple(_from_abi(kind[1], v) for v in value)
    if isinstance(kind, tuple):
        values = [_from_abi(k, v) for k, v in zip(kind[2], value)]
        return tuple(values) if kind[1] is tuple else kind[1](*values)
    if kind == "a":
        return bytes.fromhex(value[2:])
    return value


def record_to_abi(rec: Any) -> tuple:
    return tuple(_to_abi(k, v) for k, v in zip(SCHEMAS[type(rec)], _fields(rec)))


def record_from_abi(cls: type, value: tuple) -> Any:
    return cls(*(_from_abi(k, v) for k, v in zip(SCHEMAS[cls], value)))


def _representable(kind: Any, value: Any) -> bool:
    """Whether ``value`` fits the Vyper field of ``kind`` (records.vy's types and bounds)."""
    if isinstance(kind, tuple) and kind[0] == "list":
        _, inner, limit, exact = kind
        return (len(value) == limit if exact else len(value) <= limit) and all(
            _representable(inner, v) for v in value)
    if isinstance(kind, tuple):
        items = _fields(value) if dataclasses.is_dataclass(value) else value
        return len(items) == len(kind[2]) and all(_representable(k, v) for k, v in zip(kind[2], items))
    if kind == "u":
        return type(value) is int and 0 <= value < U256
    if kind == "s":
        return type(value) is int and -(2**255) <= value < 2**255
    if kind == "a":
        return type(value) is bytes and len(value) == 20
    if kind == "n":
        return type(value) is bytes and len(value) <= MAX_NAME
    return type(value) is bool


def vyper_accepts(cls: type, raw: bytes) -> Any:
    """What records.vy must do with ``raw``: the record if Python decodes it to a record
    that re-encodes to ``raw`` and fits the Vyper types, else None (Vyper must revert)."""
    try:
        rec = cls.decode(raw)
        if rec.encode() != raw:
            return None
    except Exception:  # noqa: BLE001 - any refusal by Python's decoder
        return None
    ok = all(_representable(k, v) for k, v in zip(SCHEMAS[cls], _fields(rec)))
    return rec if ok else None


# -- strategies ------------------------------------------------------------------------

U_EDGES = [0, 1, 127, 128, 255, 256, 2**32 - 1, 2**63 - 1, 2**64 - 1, 2**64, 10**15, 10**18, U256 - 1]
S_EDGES = [0, 1, -1, 127, 128, -128, -129, 2**63, -(2**63), 2**255 - 1, -(2**255), 10**15, -(10**15)]


def _strategy(kind: Any) -> st.SearchStrategy:
    if isinstance(kind, tuple) and kind[0] == "list":
        _, inner, limit, exact = kind
        elems = _strategy(inner)
        if exact:
            return st.lists(elems, min_size=limit, max_size=limit).map(tuple)
        return st.one_of(
            st.lists(elems, max_size=min(limit, 6)),
            st.lists(elems, min_size=limit, max_size=limit),
        ).map(tuple)
    if isinstance(kind, tuple):
        cls, kinds = kind[1], kind[2]
        return st.tuples(*map(_strategy, kinds)).map(lambda t: cls(*t) if cls is not tuple else t)
    if kind == "u":
        return st.one_of(st.sampled_from(U_EDGES), st.integers(0, 2**64), st.integers(0, U256 - 1))
    if kind == "s":
        return st.one_of(st.sampled_from(S_EDGES), st.integers(-(2**64), 2**64),
                         st.integers(-(2**255), 2**255 - 1))
    if kind == "a":
        return st.one_of(st.binary(min_size=20, max_size=20), st.sampled_from([b"\x00" * 20, b"\xff" * 20]))
    if kind == "n":
        return st.one_of(st.binary(max_size=MAX_NAME), st.sampled_from([b"", b"\x00", b"\x7f", b"\x80", b"ETH"]))
    return st.booleans()


def records_of(cls: type) -> st.SearchStrategy:
    return st.tuples(*map(_strategy, SCHEMAS[cls])).map(lambda t: cls(*t))


def _random(rng: random.Random, kind: Any) -> Any:
    """A random value of ``kind`` (for the mutation tests: a seeded generator)."""
    if isinstance(kind, tuple) and kind[0] == "list":
        _, inner, limit, exact = kind
        n = limit if exact or rng.random() < 0.2 else rng.randrange(min(limit, 4) + 1)
        return tuple(_random(rng, inner) for _ in range(n))
    if isinstance(kind, tuple):
        values = [_random(rng, k) for k in kind[2]]
        return tuple(values) if kind[1] is tuple else kind[1](*values)
    if kind == "u":
        return rng.choice([rng.choice(U_EDGES), rng.randrange(2**64), rng.randrange(U256)])
    if kind == "s":
        return rng.choice([rng.choice(S_EDGES), rng.randrange(-(2**64), 2**64), rng.randrange(-(2**255), 2**255)])
    if kind == "a":
        return rng.randbytes(20)
    if kind == "n":
        return rng.randbytes(rng.randrange(MAX_NAME + 1))
    return rng.random() < 0.5


def random_record(rng: random.Random, cls: type) -> Any:
    return cls(*(_random(rng, k) for k in SCHEMAS[cls]))


# -- harness ---------------------------------------------------------------------------


class Harness:
    def __init__(self, venom: bool = False) -> None:
        self.runner = RevmRunner()
        self.builds = {}
        for name in ("test/fault_records_harness.vy", "test/fault_records_small_harness.vy"):
            build = compile_contract(name, venom=venom)
            self.builds[name] = (build, self.runner.deploy(build.initcode))
        self.abi = {}
        for build, address in self.builds.values():
            for entry in build.abi:
                if entry.get("type") == "function":
                    self.abi[entry["name"]] = (build, address, entry)

    def call(self, name: str, args: list[Any]) -> tuple[Any, int] | None:
        build, address, entry = self.abi[name]
        in_types = [_abi_type(i) for i in entry["inputs"]]
        sig = f"{name}({','.join(in_types)})"
        result = self.runner.call(address, build.selector(sig) + encode(in_types, args))
        if not result.success:
            return None
        out_types = [_abi_type(o) for o in entry["outputs"]]
        return decode(out_types, result.output), result.gas_used

    def encode(self, rec: Any) -> bytes:
        out = self.call(f"encode_{NAMES[type(rec)]}", [record_to_abi(rec)])
        assert out is not None, "encode reverted"
        return out[0][0]

    def decode(self, cls: type, raw: bytes) -> Any:
        out = self.call(f"decode_{NAMES[cls]}", [raw])
        return None if out is None else record_from_abi(cls, out[0][0])


def _abi_type(entry: dict) -> str:
    t = entry["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in entry["components"]) + ")" + t[5:]
    return t


@pytest.fixture(scope="module", params=[False, True], ids=["legacy", "venom"])
def h(request) -> Harness:
    """Both code generators (`vyper_build.compile_contract(venom=...)`): families may use either."""
    return Harness(venom=request.param)


def check_record(h: Harness, rec: Any) -> None:
    raw = rec.encode()
    assert h.encode(rec) == raw
    assert h.decode(type(rec), raw) == rec


HYPO = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("cls", list(SCHEMAS), ids=lambda c: c.__name__)
def test_encode_and_decode_equal_python(h, cls):
    @HYPO
    @given(records_of(cls))
    def run(rec):
        check_record(h, rec)

    run()


# -- mutations -------------------------------------------------------------------------


def _leaf_paths(item: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(item, list):
        out = [path]
        for i, x in enumerate(item):
            out += _leaf_paths(x, path + (i,))
        return out
    return [path]


def _get(item: Any, path: tuple) -> Any:
    for i in path:
        item = item[i]
    return item


def _set(item: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    out = list(item)
    out[path[0]] = _set(item[path[0]], path[1:], value)
    return out


def _long_form(raw: bytes) -> bytes:
    """``raw``'s outer header rewritten in the (non-canonical) long form when it is short."""
    b0 = raw[0]
    if 0xC0 <= b0 < 0xF8:
        return bytes([0xF8, b0 - 0xC0]) + raw[1:]
    if 0x80 <= b0 < 0xB8:
        return bytes([0xB8, b0 - 0x80]) + raw[1:]
    return raw + b"\x00"


def structural_mutation(rng: random.Random, raw: bytes) -> bytes:
    tree = rlp.decode(raw)
    paths = _leaf_paths(tree)
    path = rng.choice(paths)
    node = _get(tree, path)
    how = rng.randrange(8)
    if how == 0 and isinstance(node, bytes):  # leading zero
        node = b"\x00" + node
    elif how == 1 and isinstance(node, bytes):  # flag or small int of 2, or a longer int
        node = rng.choice([b"\x02", b"\x01" + b"\x00" * 32, b"\x00", b"\x00" * 20, node[:-1]])
    elif how == 2:  # list for an item, item for a list
        node = [] if isinstance(node, bytes) else (b"" if rng.random() < 0.5 else b"\x05")
    elif how == 3 and isinstance(node, list):  # extra item
        node = node + [rng.choice([b"", b"\x01", b"\x00" * 20, []])]
    elif how == 4 and isinstance(node, list) and node:  # missing item
        node = node[:-1]
    elif how == 5 and isinstance(node, bytes):  # address / string length off by one
        node = node + b"\x01" if rng.random() < 0.5 else node[1:]
    elif how == 6:
        return _long_form(raw)
    else:
        node = rng.randbytes(rng.choice([0, 1, 20, 33]))
    return rlp.encode(_set(tree, path, node))


def byte_mutation(rng: random.Random, raw: bytes) -> bytes:
    out = bytearray(raw)
    how = rng.randrange(4)
    at = rng.randrange(len(out))
    if how == 0:
        out[at] ^= 1 << rng.randrange(8)
    elif how == 1:
        del out[at]
    elif how == 2:
        out.insert(at, rng.randrange(256))
    else:
        del out[at:]
    return bytes(out)


def check_bytes(h: Harness, cls: type, raw: bytes) -> None:
    expected = vyper_accepts(cls, raw)
    got = h.decode(cls, raw)
    assert got == expected, (cls.__name__, raw.hex())


@pytest.mark.parametrize("cls", list(SCHEMAS), ids=lambda c: c.__name__)
def test_mutations_refused_where_python_refuses(h, cls):
    rng = random.Random(cls.__name__)
    accepted = refused = 0
    for _ in range(30):
        raw = random_record(rng, cls).encode()
        for _ in range(6):
            mutate = structural_mutation if rng.random() < 0.6 else byte_mutation
            try:
                bad = mutate(rng, raw)
            except Exception:  # noqa: BLE001 - a structural edit rlp cannot encode
                continue
            check_bytes(h, cls, bad)
            if vyper_accepts(cls, bad) is None:
                refused += 1
            else:
                accepted += 1
    assert refused > 50 and accepted > 0


CORNERS = [b"", b"\x80", b"\xc0", b"\x00", b"\xc1\x80", b"\xc1\xc0", b"\x81\x00", b"\xf8\x01\x80"]


@pytest.mark.parametrize("cls", list(SCHEMAS), ids=lambda c: c.__name__)
def test_corner_bytes(h, cls):
    for raw in CORNERS:
        check_bytes(h, cls, raw)


# -- py-evm agrees ---------------------------------------------------------------------


def test_py_evm_agrees(h):
    """The devnet's EVM (py-evm) gives the same encodings and refusals as revm."""
    from bridge.evm_call import EvmRunner

    runner = EvmRunner()
    build, _ = h.builds["test/fault_records_small_harness.vy"]
    address = runner.deploy(build.initcode)
    rng = random.Random(5)
    for cls in (R.Globals, R.Order, R.Config, R.Withdrawal, R.Auction):
        for _ in range(3):
            rec = random_record(rng, cls)
            for raw in (rec.encode(), byte_mutation(rng, rec.encode())):
                sig = f"decode_{NAMES[cls]}(bytes)"
                ours = runner.call(address, build.selector(sig) + encode(["bytes"], [raw]))
                theirs = h.call(f"decode_{NAMES[cls]}", [raw])
                assert ours.success == (theirs is not None)
                if ours.success:
                    entry = h.abi[f"decode_{NAMES[cls]}"][2]
                    assert decode([_abi_type(o) for o in entry["outputs"]], ours.output) == theirs[0]


# -- gas -------------------------------------------------------------------------------

M = U256 - 1
WORST = {
    # every list at its bound and every integer at its widest (33 bytes on the wire)
    "account": R.Account(-1, M, M, tuple([M] * MAX_OPEN_ORDERS), tuple((M, -1) for _ in range(MAX_POSITIONS)), M,
                         tuple(OrderTotals(*[M] * 7) for _ in range(MAX_POSITIONS))),
    # every list at its bound, values at the protocol's ranges (params.py: u64 ids and
    # nonces, u32 instrument ids, prices and sizes <= 10**15, 128 orders' notionals)
    "account_protocol": R.Account(-(10**15), 2**64 - 1, M, tuple(range(2**64 - MAX_OPEN_ORDERS, 2**64)),
                                  tuple((2**32 - 1 - i, -(10**15)) for i in range(MAX_POSITIONS)), 10**18,
                                  tuple(OrderTotals(2**32 - 1 - i, 128 * 10**15, 128 * 10**30, 10**15, 128 * 10**15,
                                                    128 * 10**30, 10**15) for i in range(MAX_POSITIONS))),
    "underlying": R.Underlying(b"E" * MAX_NAME, M, M, tuple(VolPoint(M, M, -1, M) for _ in range(MAX_SURFACE_POINTS)),
                               tuple([M] * MAX_INSTRUMENTS_PER_UNDERLYING), M, M),
    "mark": R.Mark(M, M, M, M, M, True, tuple([-1] * N_SCENARIOS), -1, -1, -1, -1),
    "globals": R.Globals(*[M] * 17),
    "order": R.Order(b"\x11" * 20, M, M, M, M, True, M, M, M, M),
}


@pytest.fixture(scope="module")
def gas_harness():
    # Legacy code generator only: Venom reorders the `msg.gas` reads the harness measures with.
    build = compile_contract("test/fault_records_gas_harness.vy")
    runner = RevmRunner()
    return runner, build, runner.deploy(build.initcode)


def codec_gas(gas_harness, name: str, raw: bytes) -> tuple[int, int]:
    runner, build, address = gas_harness
    fn = name.split("_")[0]
    result = runner.call(address, build.selector(f"gas_{fn}(bytes)") + encode(["bytes"], [raw]))
    assert result.success
    decode_gas, encode_gas, same = decode(["uint256", "uint256", "bool"], result.output)
    assert same
    return decode_gas, encode_gas


def test_gas_of_the_largest_records(gas_harness):
    """Decode / encode gas of the largest records (figures in the README's fault-proof table).
    Bounds with ~10% headroom over the measured figures, so a regression shows."""
    bounds = {  # measured (decode, encode): (891,701, 1,856,381), (880,552, 1,707,871), (448,532, 880,395),
        # (67,705, 116,066), (43,352, 67,844), (32,198, 48,233)
        "account": (980_000, 2_040_000), "account_protocol": (970_000, 1_880_000),
        "underlying": (495_000, 970_000), "mark": (75_000, 128_000), "globals": (48_000, 75_000),
        "order": (36_000, 54_000),
    }
    for name, rec in WORST.items():
        decode_gas, encode_gas = codec_gas(gas_harness, name, rec.encode())
        assert decode_gas < bounds[name][0] and encode_gas < bounds[name][1], (name, decode_gas, encode_gas)
