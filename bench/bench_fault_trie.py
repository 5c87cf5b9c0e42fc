"""L1 one-step verifier: gas of the state trie contract (contracts/fault/trie_store.vy).

Figures (revm, Prague, vyper 0.4.3 -O gas), each the gas of ONE external call to the
store made by a caller contract (contracts/test/fault_trie_harness.vy), as a step family
sees it: call overhead, the store's memory expansion, ABI in and out. The trie is the
worst case for a path of depth 6: every branch on the path is full (16 children, 532
bytes), the leaf sits under six branches; values are VALUE bytes.
- ``fault.trie_get_gas_d6``: read the leaf at depth 6.
- ``fault.trie_put_gas_d6``: update it with a new VALUE-byte value.
- ``fault.trie_insert_gas_d6``: insert a key that splits it (a new branch at depth 7).
- ``fault.trie_delete_gas_d6``: delete it (its branch keeps 15 children).
- ``fault.trie_put_gas_d6_24k``: update it with a 24,576-byte value (the widest record).
- ``fault.trie_add_nodes_gas_d6``: loading the witness of one write (``add_nodes``; the
  calldata of the caller's transaction not included).
- ``fault.trie_step_gas_d6``: a caller doing 4 reads then 4 writes of 4 depth-6 keys,
  whole transaction (calldata, witness loading included).
"""

from __future__ import annotations

import random

from bench.common import emit
from bridge.revm_call import RevmRunner
from node.stf.hashing import keccak256
from node.stf.mpt import Trie
from tests.fault.trie_driver import Harness, vyper_apply, vyper_measure, witness_for

DEPTH = 6
VALUE = 100
WIDEST = 24_576
SEED = 6


def deep_trie(rng: random.Random, targets: int = 1) -> tuple[Trie, list[bytes]]:
    """A trie where each of ``targets`` paths runs through DEPTH full branches to a leaf."""
    trie = Trie()
    out = []
    for _ in range(targets):
        target = rng.randbytes(32)
        nibbles = target.hex()
        for level in range(DEPTH):
            for x in "0123456789abcdef":
                if x != nibbles[level]:
                    sibling = nibbles[:level] + x + rng.randbytes(32).hex()
                    trie.set(bytes.fromhex(sibling[:64]), rng.randbytes(VALUE))
        trie.set(target, rng.randbytes(VALUE))
        out.append(target)
    trie.root_hash()
    return trie, out


def _measure(harness: Harness, op) -> tuple[int, int]:
    """Gas of ``op`` on the depth-6 trie and of loading its witness."""
    trie, _ = deep_trie(random.Random(SEED))
    pre_root, nodes, expected = witness_for(trie, [op])
    result, used, loading = vyper_measure(harness, pre_root, nodes, op)
    assert result == expected[0]
    return used, loading


def run() -> None:
    rng = random.Random(1)
    harness = Harness.deploy(RevmRunner())
    _, (target,) = deep_trie(random.Random(SEED))
    near = target[:3] + rng.randbytes(29)  # same first 6 nibbles (and one more)
    get, _ = _measure(harness, ("get", target))
    put, loading = _measure(harness, ("put", target, rng.randbytes(VALUE)))
    insert, _ = _measure(harness, ("put", near, rng.randbytes(VALUE)))
    delete, _ = _measure(harness, ("put", target, b""))
    wide, _ = _measure(harness, ("put", target, rng.randbytes(WIDEST)))
    emit("fault", "fault.trie_get_gas_d6", get, "gas")
    emit("fault", "fault.trie_put_gas_d6", put, "gas")
    emit("fault", "fault.trie_insert_gas_d6", insert, "gas")
    emit("fault", "fault.trie_delete_gas_d6", delete, "gas")
    emit("fault", "fault.trie_put_gas_d6_24k", wide, "gas")
    emit("fault", "fault.trie_add_nodes_gas_d6", loading, "gas")
    trie, targets = deep_trie(rng, 4)
    ops = [("get", t) for t in targets] + [("put", t, rng.randbytes(VALUE)) for t in targets]
    pre_root, nodes, expected = witness_for(trie, ops)
    got, result = vyper_apply(harness, pre_root, nodes, ops)
    assert got == expected
    emit("fault", "fault.trie_step_gas_d6", result.gas_used, "gas", ops=len(ops), witness_nodes=len(nodes))
