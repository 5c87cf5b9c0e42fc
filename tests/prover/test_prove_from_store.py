"""A batch's pre-state read from the node's store (``BlockStore.state_backend_at``, the
states kept until final) proves every step exactly as the state in memory does."""

from __future__ import annotations

from pathlib import Path

from bench.bench_fault import _batches
from bench.bench_stf import T0, _workload
from bench.bench_store import _genesis_and_setup
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.l1_inputs import BatchRecord
from node.store import BlockStore
from prover.client.inputs import MemoryInputs
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun


def test_every_step_proven_from_the_store_verifies_and_matches_the_memory_trace(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "db", durability="nosync")
    try:
        backend, state, marks = _genesis_and_setup(store)
        globals_ = state.get(keys.GLOBALS)
        data = _batches(_workload(list(range(1, 51)), marks, globals_.next_order_id, 300), T0 + 2)[0]
        record = BatchRecord(0, len(data), T0 + 30, globals_.next_deposit_index, 0, 2**63)
        inputs = MemoryInputs(record, data, [], [])

        memory = MemoryBackend()
        memory.apply({key: store.state_backend_at(1).get(key) for key in _all_keys(backend)})
        in_memory: list[Boundary] = []
        TraceRun(memory, 0, inputs).run(in_memory.append)

        from_store: list[Boundary] = []
        proofs: list[StepProof] = []
        steps, _ = TraceRun(store.state_backend_at(1), 0, inputs).run(from_store.append, on_proof=proofs.append)
        assert [b.claim for b in from_store] == [b.claim for b in in_memory]
        assert steps > 300
        for proof, after in zip(proofs, from_store[1:]):
            assert proof.verify().post_claim == after.claim
        assert store.state_backend_at(1).root() == from_store[0].state_root  # the store was not written
    finally:
        store.close()


def _all_keys(backend) -> list[bytes]:
    return [key for prefix in range(256) for key in backend.keys_with_prefix(bytes([prefix]))]
