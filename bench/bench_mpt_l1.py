"""L1 proof verification: gas of checking a Merkle Patricia proof in Vyper.

Figures (py-evm, Prague, vyper 0.4.3 -O gas; execution gas of one harness call, i.e.
ABI decoding of the proof, verification and return; ``tx_gas`` adds the 21,000 base and
the calldata, as a transaction would pay):
- ``mpt_verify_gas``: ``mpt.verify`` of a withdrawal's inclusion proof in a secure trie of
  100,000 keys (2,000 withdrawal records among random state records of 1..120 bytes),
  median over 20 withdrawals; ``max_gas`` the worst of them, ``nodes`` the median proof
  length.
- ``mpt_absence_gas``: the same for proofs that an index holds no withdrawal.
- ``withdrawal_verify_gas``: ``withdrawal.verify`` (record encoding, proof, comparison),
  what the portal pays to check a claim.
"""

from __future__ import annotations

import random
import statistics

from eth_abi import encode

from bench.common import emit
from bridge.evm_call import EvmRunner
from bridge.vyper_build import compile_contract
from node.stf import keys, records
from node.stf.hashing import keccak256
from node.stf.mpt import Trie

KEYS = 100_000
WITHDRAWALS = 2_000
SAMPLE = 20
VERIFY = "verify(bytes32,bytes32,bytes[])"
W_VERIFY = "withdrawal_verify(bytes32,uint64,address,address,uint256,uint256,bytes[])"


def _state(rng: random.Random) -> tuple[Trie, dict[int, records.Withdrawal]]:
    trie = Trie()
    withdrawals = {}
    for index in range(WITHDRAWALS):
        w = records.Withdrawal(rng.randbytes(20), rng.randbytes(20), rng.randrange(1, 10**12), rng.randrange(10**7))
        withdrawals[index] = w
        trie.set(keccak256(keys.withdrawal(index)), w.encode())
    for _ in range(KEYS - WITHDRAWALS):
        trie.set(keccak256(rng.randbytes(21)), rng.randbytes(rng.randint(1, 120)))
    return trie, withdrawals


def _gas(runner: EvmRunner, address: bytes, data: bytes) -> tuple[int, int]:
    result = runner.call(address, data)
    assert result.success, result.error
    return result.gas_used, runner.transaction_gas(data, result.gas_used)


def run() -> None:
    rng = random.Random(42)
    trie, withdrawals = _state(rng)
    root = trie.root_hash()
    build = compile_contract("test/mpt_harness.vy")
    runner = EvmRunner()
    address = runner.deploy(build.initcode)
    types = ["bytes32", "bytes32", "bytes[]"]
    indices = rng.sample(range(WITHDRAWALS), SAMPLE)

    def series(paths):
        gas, tx, nodes = [], [], []
        for path in paths:
            proof = trie.get_proof(path)
            g, t = _gas(runner, address, build.selector(VERIFY) + encode(types, [root, path, proof]))
            gas.append(g)
            tx.append(t)
            nodes.append(len(proof))
        return gas, tx, nodes

    gas, tx, nodes = series([keccak256(keys.withdrawal(i)) for i in indices])
    emit("l1", "mpt_verify_gas", statistics.median(gas), "gas", tx_gas=statistics.median(tx),
         max_gas=max(gas), nodes=statistics.median(nodes), keys=KEYS)
    gas, tx, nodes = series([keccak256(keys.withdrawal(WITHDRAWALS + i)) for i in indices])
    emit("l1", "mpt_absence_gas", statistics.median(gas), "gas", tx_gas=statistics.median(tx),
         max_gas=max(gas), nodes=statistics.median(nodes), keys=KEYS)
    w_gas = []
    w_types = ["bytes32", "uint64", "address", "address", "uint256", "uint256", "bytes[]"]
    for i in indices[:5]:
        w = withdrawals[i]
        proof = trie.get_proof(keccak256(keys.withdrawal(i)))
        data = build.selector(W_VERIFY) + encode(
            w_types, [root, i, w.sender, w.recipient, w.amount_e6, w.block_number, proof])
        w_gas.append(_gas(runner, address, data)[0])
    emit("l1", "withdrawal_verify_gas", statistics.median(w_gas), "gas", max_gas=max(w_gas), keys=KEYS)


if __name__ == "__main__":
    run()
