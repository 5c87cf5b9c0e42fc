"""contracts/lib/withdrawal.vy: the key, path and record of a withdrawal, and its proof.

Records must equal ``records.Withdrawal(...).encode()`` for random fields including 0
and the boundaries of each scalar length; ``verify`` must accept exactly the record in
the state and nothing else.
"""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode

from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf import keys, records
from node.stf.hashing import keccak256
from node.stf.mpt import Trie

VERIFY = "withdrawal_verify(bytes32,uint64,address,address,uint256,uint256,bytes[])"
VERIFY_TYPES = ["bytes32", "uint64", "address", "address", "uint256", "uint256", "bytes[]"]
BOUNDARIES = [0, 1, 127, 128, 255, 256, 2**56 - 1, 2**56, 2**63 - 1, 2**64 - 1, 2**64, 2**256 - 1]


@pytest.fixture(scope="module")
def harness():
    build = compile_contract("test/mpt_harness.vy")
    runner = EvmRunner()
    return runner, build, runner.deploy(build.initcode)


def _call(harness, signature, types, args, out_types):
    runner, build, address = harness
    result = runner.call(address, build.selector(signature) + encode(types, args))
    return decode(out_types, result.output) if result.success else None


def test_encode_matches_records(harness):
    rng = random.Random(21)
    cases = [(rng.randbytes(20), rng.randbytes(20), a, b) for a in BOUNDARIES for b in (0, 1, 2**64 - 1)]
    cases += [(b"\x00" * 20, b"\xff" * 20, rng.randrange(2 ** rng.randint(0, 256)),
               rng.randrange(2 ** rng.randint(0, 64))) for _ in range(40)]
    for sender, recipient, amount, block in cases:
        (out,) = _call(harness, "withdrawal_encode(address,address,uint256,uint256)",
                       ["address", "address", "uint256", "uint256"], [sender, recipient, amount, block], ["bytes"])
        assert out == records.Withdrawal(sender, recipient, amount, block).encode()
        assert len(out) <= 110


def test_key_and_path(harness):
    for index in (0, 1, 255, 2**32, 2**64 - 1):
        (key,) = _call(harness, "withdrawal_key(uint64)", ["uint64"], [index], ["bytes"])
        (path,) = _call(harness, "withdrawal_path(uint64)", ["uint64"], [index], ["bytes32"])
        assert key == keys.withdrawal(index) and path == keccak256(keys.withdrawal(index))


def test_verify_against_a_state_trie(harness):
    rng = random.Random(22)
    trie = Trie()
    withdrawals = {}
    for index in range(300):
        w = records.Withdrawal(rng.randbytes(20), rng.randbytes(20), rng.choice(BOUNDARIES[:10]), rng.randrange(2**40))
        withdrawals[index] = w
        trie.set(keccak256(keys.withdrawal(index)), w.encode())
    for _ in range(2000):  # other state
        trie.set(keccak256(rng.randbytes(21)), rng.randbytes(rng.randint(1, 120)))
    root = trie.root_hash()
    for index in (0, 7, 299):
        w = withdrawals[index]
        proof = trie.get_proof(keccak256(keys.withdrawal(index)))
        args = [root, index, w.sender, w.recipient, w.amount_e6, w.block_number, proof]
        assert _call(harness, VERIFY, VERIFY_TYPES, args, ["bool"]) == (True,)
        wrong = list(args)
        wrong[4] += 1
        assert _call(harness, VERIFY, VERIFY_TYPES, wrong, ["bool"]) == (False,)
        wrong = list(args)
        wrong[3] = b"\x01" * 20
        assert _call(harness, VERIFY, VERIFY_TYPES, wrong, ["bool"]) == (False,)
        # another index's proof: reverts (its nodes leave this path) or shows no value
        assert _call(harness, VERIFY, VERIFY_TYPES, [root, index + 1, *args[2:]], ["bool"]) in (None, (False,))
        wrong = list(args)
        wrong[0] = keccak256(root)
        assert _call(harness, VERIFY, VERIFY_TYPES, wrong, ["bool"]) is None
    absent = 10_000
    proof = trie.get_proof(keccak256(keys.withdrawal(absent)))
    assert _call(harness, VERIFY, VERIFY_TYPES, [root, absent, b"\x00" * 20, b"\x00" * 20, 0, 0, proof], ["bool"]) == (False,)
