"""The proof of one step, its file format, and its check from the proof alone.

A ``StepProof`` carries what the L1 verifier needs for the step at ``position`` of batch
``batch``: the pre-claim's parts (state root and cursor), the post-claim, the MPT witness
(trie nodes of the step's pre-state covering every key it touches, and those keys), and the
L1 inputs it reads: the batch's record (with its chunk root), the byte ranges of the batch
data it reads as chunks with their Merkle branches (``node.l1.batch_chunks``), and the
deposit and forced-queue entries. ``verify()`` opens the ranges against the chunk root,
re-executes the step on a state that holds only the witness, and refuses a proof whose
pre-claim, post-claim, witness or inputs do not fit (``ProofRefused``, with the reason).
That the record and the queue entries are what L1 stores is checked against L1
(``prover.host.l1_check``): the L1 verifier reads them from the contracts' storage.

File format: one JSON object, byte strings as ``0x`` hex, integers as JSON numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from node.l1.batch_chunks import ChunkProof, ChunkProofError, chunks_root, prove_range, verify_range
from node.stf.backends import Witness, WitnessBackend, WitnessMissingKey
from node.stf.cursor import Cursor, CursorError, claim_of, decode_cursor, encode_cursor
from node.stf.l1_inputs import BatchRecord, L1Deposit, L1Forced
from node.stf.machine import STEPS, StepIO
from node.stf.mpt.errors import BadProof, MissingTrieNode
from node.stf.state import ProvingState
from prover.client.inputs import MissingInput, ProofInputs
from prover.client.phases import phase_name

FORMAT_VERSION = 1


class ProofRefused(ValueError):
    """A step proof that does not prove its post-claim; the message says why."""


@dataclass(frozen=True)
class VerifiedStep:
    """What re-executing a proof's step gave."""

    kind: str
    pre_claim: bytes
    post_claim: bytes
    post_state_root: bytes


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _unhex(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ProofRefused(f"{what}: not a 0x-prefixed hex string")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise ProofRefused(f"{what}: not hex") from None


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class StepProof:
    batch: int
    position: int
    kind: str
    pre_root: bytes
    cursor: bytes  # the pre-claim's cursor, encoded
    pre_claim: bytes
    post_claim: bytes
    nodes: tuple[bytes, ...]
    keys: tuple[bytes, ...]
    record: BatchRecord
    chunks_root: bytes
    pieces: tuple[ChunkProof, ...]
    deposits: tuple[L1Deposit, ...]
    forced: tuple[L1Forced, ...]

    @classmethod
    def build(cls, batch: int, position: int, kind: str, pre_root: bytes, pre_cursor: Cursor, post_root: bytes,
              post_cursor: Cursor, witness: Witness | None, inputs: Any) -> StepProof:
        """The proof of one recorded step (``inputs``: a ``RecordingInputs`` or ``None``)."""
        record = inputs.record if inputs is not None else BatchRecord(batch, 0, 0, 0, 0, 0)
        data = inputs.inner.batch_data if inputs is not None else b""
        pieces = tuple(prove_range(data, s, e) for s, e in _merge(inputs.ranges)) if inputs else ()
        deposits = tuple(inputs.inner.deposit(i) for i in sorted(inputs.deposit_indices)) if inputs else ()
        forced = tuple(inputs.inner.forced(i) for i in sorted(inputs.forced_indices)) if inputs else ()
        return cls(
            batch, position, kind, pre_root, encode_cursor(pre_cursor), claim_of(pre_root, pre_cursor),
            claim_of(post_root, post_cursor),
            tuple(sorted(witness.nodes)) if witness else (), tuple(sorted(witness.keys)) if witness else (),
            record, chunks_root(data), pieces, deposits, forced,
        )

    # -- check -----------------------------------------------------------------------

    def verify(self) -> VerifiedStep:
        """Re-execute the step from this proof alone; raises ``ProofRefused``."""
        step = self.execute()
        if step.post_claim != self.post_claim:
            raise ProofRefused("re-executing the step gives another post-claim than the proof states")
        return step

    def execute(self) -> VerifiedStep:
        """Re-execute the step from this proof alone, whatever post-claim the proof states (what
        an L1 verifier computes); raises ``ProofRefused`` if the rest does not fit."""
        try:
            cursor = decode_cursor(self.cursor)
        except CursorError as exc:
            raise ProofRefused(f"cursor: {exc}") from None
        if len(self.pre_root) != 32:
            raise ProofRefused("pre_root: not 32 bytes")
        pre_claim = claim_of(self.pre_root, cursor)
        if pre_claim != self.pre_claim:
            raise ProofRefused("pre_claim is not keccak(pre_root || keccak(cursor))")
        if cursor.outer and cursor.outer[0] != self.batch:
            raise ProofRefused(f"the cursor is in batch {cursor.outer[0]}, the proof says {self.batch}")
        step = STEPS.get(cursor.phase)
        if step is None:
            raise ProofRefused(f"no step has phase {cursor.phase}")
        backend = WitnessBackend(Witness(self.pre_root, frozenset(self.nodes), frozenset(self.keys)))
        state = ProvingState(backend)
        pieces = {}
        for piece in self.pieces:
            try:
                pieces[piece.start] = verify_range(self.chunks_root, self.record.length, piece)
            except ChunkProofError as exc:
                raise ProofRefused(f"batch data: {exc}") from None
        inputs = ProofInputs(self.record, pieces, {d.index: d for d in self.deposits},
                             {f.index: f for f in self.forced})
        try:
            post = step(state, cursor, StepIO(inputs))._replace(body=None)
            post_root = state.commit_block()
        except (WitnessMissingKey, MissingTrieNode) as exc:
            raise ProofRefused(f"the witness does not cover what the step reads: {type(exc).__name__} {exc}") from None
        except BadProof as exc:
            raise ProofRefused(f"a witness node is malformed: {exc}") from None
        except MissingInput as exc:
            raise ProofRefused(f"inputs: {exc}") from None
        except LookupError as exc:  # a rollback to a root the witness cannot name
            raise ProofRefused(f"rollback: {exc}") from None
        return VerifiedStep(phase_name(cursor.phase), pre_claim, claim_of(post_root, post), post_root)

    # -- file format -------------------------------------------------------------------

    def to_json(self) -> str:
        r = self.record
        return json.dumps({
            "version": FORMAT_VERSION,
            "batch": self.batch,
            "position": self.position,
            "kind": self.kind,
            "pre_claim": _hex(self.pre_claim),
            "post_claim": _hex(self.post_claim),
            "pre_state_root": _hex(self.pre_root),
            "cursor": _hex(self.cursor),
            "witness": {"nodes": [_hex(n) for n in self.nodes], "keys": [_hex(k) for k in self.keys]},
            "batch_record": {"index": r.index, "length": r.length, "time": r.time,
                             "deposits_seen": r.deposits_seen, "forced_seen": r.forced_seen,
                             "last_l2_block": r.last_l2_block, "chunks_root": _hex(self.chunks_root)},
            "batch_data": [{"start": p.start, "end": p.end, "first_chunk": p.first_chunk,
                            "chunks": [_hex(c) for c in p.chunks],
                            "branches": [[_hex(n) for n in b] for b in p.branches]} for p in self.pieces],
            "deposits": [{"index": d.index, "recipient": _hex(d.recipient), "amount_e6": d.amount_e6,
                          "deadline": d.deadline, "l1_block": d.l1_block} for d in self.deposits],
            "forced": [{"index": f.index, "raw_tx": _hex(f.raw_tx), "deadline": f.deadline,
                        "l1_block": f.l1_block} for f in self.forced],
        }, indent=1)

    @classmethod
    def from_json(cls, text: str | bytes) -> StepProof:
        """Parse a proof file; raises ``ProofRefused`` for anything malformed."""
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProofRefused(f"not JSON: {exc}") from None
        try:
            if obj["version"] != FORMAT_VERSION:
                raise ProofRefused(f"format version {obj['version']}, this build reads {FORMAT_VERSION}")
            r = obj["batch_record"]
            record = BatchRecord(*(_int(r[k], k) for k in ("index", "length", "time", "deposits_seen", "forced_seen",
                                                           "last_l2_block")))
            return cls(
                _int(obj["batch"], "batch"), _int(obj["position"], "position"), str(obj["kind"]),
                _unhex(obj["pre_state_root"], "pre_state_root"), _unhex(obj["cursor"], "cursor"),
                _unhex(obj["pre_claim"], "pre_claim"), _unhex(obj["post_claim"], "post_claim"),
                tuple(_unhex(n, "witness node") for n in obj["witness"]["nodes"]),
                tuple(_unhex(k, "witness key") for k in obj["witness"]["keys"]),
                record, _unhex(r["chunks_root"], "chunks_root"),
                tuple(ChunkProof(_int(p["start"], "start"), _int(p["end"], "end"), _int(p["first_chunk"], "first_chunk"),
                                 tuple(_unhex(c, "chunk") for c in p["chunks"]),
                                 tuple(tuple(_unhex(n, "branch node") for n in b) for b in p["branches"]))
                      for p in obj["batch_data"]),
                tuple(L1Deposit(_int(d["index"], "deposit index"), _unhex(d["recipient"], "recipient"),
                                _int(d["amount_e6"], "amount_e6"), _int(d["deadline"], "deadline"),
                                _int(d["l1_block"], "l1_block")) for d in obj["deposits"]),
                tuple(L1Forced(_int(f["index"], "forced index"), _unhex(f["raw_tx"], "raw_tx"),
                               _int(f["deadline"], "deadline"), _int(f["l1_block"], "l1_block"))
                      for f in obj["forced"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ProofRefused):
                raise
            raise ProofRefused(f"malformed proof file: {type(exc).__name__} {exc}") from None


def _int(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ProofRefused(f"{what}: not a non-negative integer")
    return value
