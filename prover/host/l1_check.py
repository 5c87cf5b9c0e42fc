"""Check a step proof's L1 inputs against L1: what the L1 verifier reads from storage.

A proof carries the batch's inbox record (with its chunk root) and the queue entries its
step reads. ``check_inputs`` compares them with ``BatchInbox.batches(i)``,
``Portal.deposit_hash(i)`` and ``ForcedInclusion.forced_hash(i)`` (``node.l1.queue_hashes``
builds the same hashes), and raises ``ProofRefused`` naming the first difference.
"""

from __future__ import annotations

from typing import Any, Mapping

from node.l1.queue_hashes import deposit_hash, forced_hash
from prover.client.proof import ProofRefused, StepProof


def check_inputs(contracts: Mapping[str, Any], proof: StepProof) -> None:
    """Raise ``ProofRefused`` unless the proof's batch record and queue entries are L1's."""
    inbox = contracts["inbox"]
    count = inbox.functions.batch_count().call()
    if proof.batch >= count:
        raise ProofRefused(f"L1 holds batches 0-{count - 1}, not batch {proof.batch}")
    (length, root, _data_hash, _l1_block, l1_time, deposits_seen, forced_seen,
     last_l2_block) = inbox.functions.batches(proof.batch).call()
    r = proof.record
    ours = {"length": r.length, "chunks_root": proof.chunks_root, "time": r.time,
            "deposits_seen": r.deposits_seen, "forced_seen": r.forced_seen, "last_l2_block": r.last_l2_block,
            "index": r.index}
    theirs = {"length": length, "chunks_root": bytes(root), "time": l1_time, "deposits_seen": deposits_seen,
              "forced_seen": forced_seen, "last_l2_block": last_l2_block, "index": proof.batch}
    for field, value in ours.items():
        if value != theirs[field]:
            raise ProofRefused(f"the proof's batch record differs from L1's in {field}")
    portal, forced = contracts["portal"], contracts["forced"]
    for d in proof.deposits:
        if bytes(portal.functions.deposit_hash(d.index).call()) != deposit_hash(d):
            raise ProofRefused(f"deposit {d.index} is not the one L1 queued")
    for f in proof.forced:
        if bytes(forced.functions.forced_hash(f.index).call()) != forced_hash(f):
            raise ProofRefused(f"forced transaction {f.index} is not the one L1 queued")
