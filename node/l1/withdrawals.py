"""Withdrawal proofs: what a trader needs to claim an L2 withdrawal on L1.

The L1 portal pays a withdrawal proven by a Merkle proof of its record under a final state
root, and a root is committed per batch, at the batch's last L2 block. So at the moment a
batch is sealed (the state is then exactly at its last block) ``ProofBook.checkpoint``
takes a proof for every withdrawal made since the previous checkpoint. The sequencer does
it when the batcher seals a batch; a follower does it after deriving each batch, so any
replica can serve proofs too.

A ``WithdrawalProof`` says which root (``commitment_index``, one per batch, and its
``l2_block``) the proof is against, the record's fields and the proof nodes. Proofs are
kept in memory and, with a directory, as one JSON file per withdrawal (written atomically),
so a restart still serves them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from node.stf import keys
from node.stf.hashing import keccak256
from node.stf.records import Globals, Withdrawal
from node.stf.state import State


@dataclass(frozen=True)
class WithdrawalProof:
    """Proof of withdrawal ``index`` under the root committed for batch ``commitment_index``."""

    index: int
    commitment_index: int
    l2_block: int            # the batch's last block: the root the proof is against
    state_root: bytes
    sender: bytes
    recipient: bytes
    amount_e6: int
    block_number: int        # the L2 block that made the withdrawal
    proof: tuple[bytes, ...]

    def to_json(self) -> dict:
        out = asdict(self)
        for name in ("state_root", "sender", "recipient"):
            out[name] = "0x" + out[name].hex()
        out["proof"] = ["0x" + node.hex() for node in self.proof]
        return out

    @classmethod
    def from_json(cls, raw: dict) -> "WithdrawalProof":
        raw = dict(raw)
        for name in ("state_root", "sender", "recipient"):
            raw[name] = bytes.fromhex(raw[name][2:])
        raw["proof"] = tuple(bytes.fromhex(node[2:]) for node in raw["proof"])
        return cls(**raw)


class ProofBook:
    """Proofs by withdrawal index (see module docstring)."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.proofs: dict[int, WithdrawalProof] = {}
        self.next_index = 0
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            for path in self.directory.glob("*.json"):
                proof = WithdrawalProof.from_json(json.loads(path.read_text()))
                self.proofs[proof.index] = proof
            self.next_index = max(self.proofs, default=-1) + 1

    def get(self, index: int) -> WithdrawalProof | None:
        return self.proofs.get(index)

    def checkpoint(self, state: State, trie, commitment_index: int, l2_block: int) -> list[WithdrawalProof]:
        """Prove, under the current root (``l2_block``'s), every withdrawal made since the last call."""
        globals_: Globals = state.get(keys.GLOBALS)
        root = trie.root_hash()
        made: list[WithdrawalProof] = []
        for index in range(self.next_index, globals_.next_withdrawal_index):
            record: Withdrawal = state.get(keys.withdrawal(index))
            proof = tuple(trie.get_proof(keccak256(keys.withdrawal(index))))
            made.append(WithdrawalProof(index, commitment_index, l2_block, root, record.sender, record.recipient,
                                        record.amount_e6, record.block_number, proof))
        for proof in made:
            self._keep(proof)
        self.next_index = max(self.next_index, globals_.next_withdrawal_index)
        return made

    def forget_from(self, commitment_index: int) -> None:
        """Drop proofs for batches ``>= commitment_index`` (sealed but never posted: a restart
        seals those blocks again, under another root)."""
        stale = [p for p in self.proofs.values() if p.commitment_index >= commitment_index]
        for proof in stale:
            del self.proofs[proof.index]
            if self.directory is not None:
                (self.directory / f"{proof.index:012d}.json").unlink(missing_ok=True)
        if stale:
            self.next_index = min(p.index for p in stale)

    def _keep(self, proof: WithdrawalProof) -> None:
        self.proofs[proof.index] = proof
        if self.directory is not None:
            path = self.directory / f"{proof.index:012d}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(proof.to_json()))
            os.replace(tmp, path)
