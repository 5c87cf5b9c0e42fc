"""Fault-proof trace: steps per batch, the largest step, and the time to prove one step.

Set-up: the STF benchmark's market (``bench_stf``: 50 series, 1,000 funded accounts) and its
order flow, posted as busy batches the way the devnet's batcher seals them (block items of
up to ``TXS_PER_BLOCK`` transactions until ``SEAL_BYTES`` of data). Each batch is traced
from its pre-state (``prover.client.trace.TraceRun``) with every step proven; figures:

- ``fault.steps_per_batch_p50`` / ``_max``: steps from the batch's pre-claim to its halt;
- ``fault.step_keys_max``: the most state keys one step reads or writes (with its kind);
- ``fault.witness_bytes_max``: the largest step witness (trie nodes, bytes; with its kind);
- ``fault.prove_ms_p50``: producing one step's proof from the batch's pre-state read from
  the node's store (``BlockStore.state_backend_at``: re-running the trace to the step, then
  recording it), median over steps spread over the first batch;
- ``fault.step_gas_p50`` / ``_max``: the L1 verifier's gas (whole transaction, revm) on
  every step of those batches whose kind has a family deployed (``prover.l1``; the others
  are counted in ``skipped``); ``fault.step_gas_max.KIND``: per step kind run (with its p50).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time

import rlp

from bench.bench_stf import T0, _setup, _workload
from bench.bench_store import _genesis_and_setup
from bench.common import emit
from node.stf.backends import MemoryBackend
from node.stf.l1_inputs import BatchRecord
from node.stf.records import Globals
from node.stf import keys
from node.store import BlockStore
from prover.client.inputs import MemoryInputs
from prover.client.proof import StepProof
from prover.client.trace import TraceRun

SEAL_BYTES = 18_000  # the batcher's seal mark (``node.l1.batcher``)
TXS_PER_BLOCK = 100
BATCHES = 3
PROVE_SAMPLES = 9


def _batches(txs: list, first_time: int) -> list[bytes]:
    out, blocks, size, t = [], [], 0, first_time
    for i in range(0, len(txs), TXS_PER_BLOCK):
        item = rlp.encode([t, 0, 0, [tx.raw for tx in txs[i:i + TXS_PER_BLOCK]]])
        t += 1
        if size + len(item) > SEAL_BYTES and blocks:
            out.append(b"".join(blocks))
            blocks, size = [], 0
        blocks.append(item)
        size += len(item)
    if blocks:
        out.append(b"".join(blocks))
    return out


def _prove_from_store(inputs: MemoryInputs, positions: list[int]) -> list[float]:
    """Milliseconds to prove each of ``positions`` of batch 0 from a store holding the chain
    (the same genesis and set-up block as ``bench_stf``: batch 0 starts after block 1)."""
    out = []
    with tempfile.TemporaryDirectory() as path:
        store = BlockStore(path, durability="nosync")
        try:
            _genesis_and_setup(store)
            for position in positions:
                start = time.perf_counter()
                TraceRun(store.state_backend_at(1), 0, inputs).run(prove=position)
                out.append((time.perf_counter() - start) * 1000)
        finally:
            store.close()
    return out


def run() -> None:
    state, instrument_ids, marks, first_order_id = _setup()
    state.commit_block()
    base: MemoryBackend = state.backend  # type: ignore[assignment]
    globals_: Globals = state.get(keys.GLOBALS)
    txs = _workload(instrument_ids, marks, first_order_id, 2_000)
    batches = _batches(txs, T0 + 2)[:BATCHES]
    steps_per_batch, keys_max, witness_max, prove_ms = [], (0, ""), (0, ""), []
    driver, l1 = _l1_driver()
    rng = random.Random(5)
    for index, data in enumerate(batches):
        pre_state = MemoryBackend()
        pre_state.apply(dict(base.values))
        record = BatchRecord(index, len(data), T0 + 2 + 20 * (index + 1), globals_.next_deposit_index, 0, 2**63)
        inputs = MemoryInputs(record, data, [], [])
        l1.set_batch(record, data)  # the block family reads the batch's record from L1
        proofs: list[StepProof] = []
        steps, _ = TraceRun(pre_state, index, inputs).run(on_proof=proofs.append)
        steps_per_batch.append(steps)
        for proof in proofs:
            driver.check(proof)
            keys_max = max(keys_max, (len(proof.keys), proof.kind))
            witness_max = max(witness_max, (sum(map(len, proof.nodes)), proof.kind))
        if index == 0:
            prove_ms = _prove_from_store(inputs, sorted(rng.sample(range(steps), min(PROVE_SAMPLES, steps))))
        base = pre_state  # the next batch starts where this one halted
    emit("fault", "fault.steps_per_batch_p50", statistics.median(steps_per_batch), "steps",
         batch_bytes=SEAL_BYTES, txs_per_block=TXS_PER_BLOCK, batches=len(batches))
    emit("fault", "fault.steps_per_batch_max", max(steps_per_batch), "steps")
    emit("fault", "fault.step_keys_max", keys_max[0], "keys", kind=keys_max[1])
    emit("fault", "fault.witness_bytes_max", witness_max[0], "bytes", kind=witness_max[1])
    emit("fault", "fault.prove_ms_p50", statistics.median(prove_ms), "ms", samples=len(prove_ms))
    report = driver.report
    assert not report.divergences, report.table()
    gas = sorted((g, name) for name, kind in report.kinds.items() for g in kind.gas)
    if gas:
        emit("fault", "fault.step_gas_p50", gas[len(gas) // 2][0], "gas", steps=len(gas), skipped=report.skipped)
        emit("fault", "fault.step_gas_max", gas[-1][0], "gas", kind=gas[-1][1], target=3_000_000)
        for name, kind in sorted(report.kinds.items()):
            if kind.gas:
                emit("fault", f"fault.step_gas_max.{name}", kind.gas_max, "gas", p50=kind.gas_p50, steps=kind.run)


def _l1_driver():
    """The differential driver on a revm with the verifier and every family that exists (the
    block family reading an L1 storage double as inbox, portal and forced queue), and the
    double."""
    from bridge.revm_call import RevmRunner
    from prover.l1.deploy import deploy_verifier
    from prover.l1.differential import Driver
    from tests.fault.l1_fixture import L1Double

    runner = RevmRunner()
    l1 = L1Double(runner)
    deployment = deploy_verifier(runner, {"inbox": l1.address, "portal": l1.address, "forced": l1.address})
    return Driver(runner, deployment, reexecute=False), l1
