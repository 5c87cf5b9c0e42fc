"""Drive `contracts/fault/trie_store.vy` (through `contracts/test/fault_trie_harness.vy`) and
the Python trie (`node/stf/mpt`) on the same operations, and compare.

An operation is ``("get", path)``, ``("put", path, value)`` (``b""`` deletes), or the same
by state key (``"get_key"``, ``"put_key"``: the path is keccak256(key)). Python runs them on
a full trie recording a witness (``Trie.start_witness``), then replays them on
``Trie.from_nodes(pre_root, witness)`` as ``WitnessBackend`` does; the contract gets the
pre-root, the witness and the operations. After each operation both give the root (a
write) or keccak256 of the value read (a read, ``b""`` when absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from eth_abi import decode

from bridge.evm_call import DEFAULT_GAS, EvmCallError
from bridge.vyper_build import VyperBuild, compile_contract
from node.stf.hashing import keccak256
from node.stf.mpt import Trie

HARNESS = "test/fault_trie_harness.vy"
STORE = "fault/trie_store.vy"
KINDS = {"get": 0, "put": 1, "get_key": 2, "put_key": 3}
MAX_NODE = 24_576 + 64  # the harness sends the witness in blobs of at most this many bytes

Op = tuple  # ("get", path) | ("put", path, value) | ("get_key", key) | ("put_key", key, value)


@dataclass
class Harness:
    runner: object
    build: VyperBuild
    address: bytes
    store: bytes

    @classmethod
    def deploy(cls, runner) -> Harness:
        store = runner.deploy(compile_contract(STORE).initcode)
        build = compile_contract(HARNESS)
        return cls(runner, build, runner.deploy(build.initcode, bytes(12) + store), store)

    def call(self, name: str, root: bytes, nodes: Sequence[bytes], ops: Sequence[Op]):
        """The call's result (``bridge.evm_call.CallResult``)."""
        data = self.build.selector(f"{name}(bytes32)") + root + pack(nodes, ops)
        return self.runner.call(self.address, data, gas=DEFAULT_GAS)


def _u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def blobs(nodes: Sequence[bytes]) -> list[bytes]:
    """``nodes`` concatenated into blobs of at most MAX_NODE bytes (one ``add_nodes`` each)."""
    out: list[bytes] = []
    current = b""
    for node in nodes:
        if len(current) + len(node) > MAX_NODE:
            out.append(current)
            current = b""
        current += node
    if current:
        out.append(current)
    return out


def pack(nodes: Sequence[bytes], ops: Sequence[Op]) -> bytes:
    """The harness's packed witness and ops (see contracts/test/fault_trie_harness.vy)."""
    parts = [_u(len(blobs(nodes)), 4)]
    for blob in blobs(nodes):
        parts += [_u(len(blob), 4), blob]
    parts.append(_u(len(ops), 4))
    for op in ops:
        kind = op[0]
        value = op[2] if len(op) > 2 else b""
        path, key = (op[1], b"") if kind in ("get", "put") else (b"\x00" * 32, op[1])
        parts += [_u(KINDS[kind], 1), path, _u(len(key), 1), key, _u(len(value), 4), value]
    parts.append(bytes(MAX_NODE))
    return b"".join(parts)


def python_run(trie: Trie, ops: Sequence[Op]) -> list[bytes]:
    """Run ``ops`` on ``trie``; after each, the root or keccak256 of the value read."""
    out = []
    for op in ops:
        kind = op[0]
        path = op[1] if kind in ("get", "put") else keccak256(op[1])
        if kind in ("get", "get_key"):
            out.append(keccak256(trie.get(path) or b""))
        else:
            if op[2]:
                trie.set(path, op[2])
            else:
                trie.delete(path)
            out.append(trie.root_hash())
    return out


def witness_for(trie: Trie, ops: Sequence[Op]) -> tuple[bytes, list[bytes], list[bytes]]:
    """``(pre_root, witness, outputs)``: ``ops`` run on ``trie`` (changing it), recording."""
    pre_root = trie.root_hash()
    trie.start_witness()
    expected = python_run(trie, ops)
    nodes = sorted(trie.take_witness())
    replay = python_run(Trie.from_nodes(pre_root, nodes), ops)
    assert replay == expected, "the Python witness replay disagrees with the full trie"
    return pre_root, nodes, expected


def store_call(harness: Harness, signature: str, types, args):
    """A transaction calling the store directly (``bridge.evm_call.CallResult``)."""
    from eth_abi import encode

    data = compile_contract(STORE).selector(signature) + encode(types, args)
    return harness.runner.call(harness.store, data, gas=DEFAULT_GAS)


def vyper_apply(harness: Harness, root: bytes, nodes: Sequence[bytes], ops: Sequence[Op]):
    """``(outputs or None if the contract reverted, call result)``."""
    result = harness.call("apply", root, nodes, ops)
    if not result.success:
        return None, result
    return list(decode(["bytes32[]"], result.output)[0]), result


def vyper_measure(harness: Harness, root: bytes, nodes: Sequence[bytes], op: Op) -> tuple[bytes, int, int]:
    """``(result, gas of the trie call, gas of loading the witness)`` of one op."""
    result = harness.call("measure", root, nodes, [op])
    if not result.success:
        raise EvmCallError(f"measure reverted: {revert_reason(result)!r}")
    return tuple(decode(["bytes32", "uint256", "uint256"], result.output))


def revert_reason(result) -> bytes:
    """The revert string's bytes (``b""`` if none)."""
    data = result.output
    if data[:4] == bytes.fromhex("08c379a0"):
        (reason,) = decode(["string"], data[4:])
        return reason.encode()
    return b""


def check(harness: Harness, trie: Trie, ops: Sequence[Op]) -> list[bytes]:
    """Run ``ops`` through both (``trie`` is changed); assert equal outputs; return them."""
    pre_root, nodes, expected = witness_for(trie, ops)
    got, result = vyper_apply(harness, pre_root, nodes, ops)
    assert got is not None, f"contract reverted: {revert_reason(result)!r}"
    assert got == expected, _first_difference(ops, expected, got)
    return expected


def _first_difference(ops, expected, got) -> str:
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return f"op {i} {ops[i][0]} {ops[i][1].hex()}: python {a.hex()} vyper {b.hex()}"
    return f"lengths {len(expected)} != {len(got)}"
