"""The differential driver: every step of a workload in Python and on the L1 verifier.

For each batch the driver runs the proving trace (``TraceRun`` with ``on_proof``), and for
every step: re-executes its proof in Python (``StepProof.verify``, from the proof alone),
checks it against the trace's post-claim, and, when the verifier has a family for the
step's dispatch key, runs it on L1 (``verifier.run_step``); and one identity step past the
halt. A divergence is a post-claim
that differs, or an L1 revert on a valid proof. Steps without a family are counted as
skipped, never as passed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from node.stf.backends import StateBackend
from prover.client.inputs import MemoryInputs
from prover.client.phases import phase_name
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun
from prover.l1.deploy import FaultDeployment, dispatch_key
from prover.l1.verifier import StepRefused, run_step


@dataclass
class KindStats:
    """One step kind's results: steps run on L1, divergences, skipped, gas of each L1 step."""

    run: int = 0
    skipped: int = 0
    divergences: int = 0
    gas: list[int] = field(default_factory=list)

    @property
    def gas_max(self) -> int:
        return max(self.gas, default=0)

    @property
    def gas_p50(self) -> int:
        return int(statistics.median(self.gas)) if self.gas else 0


@dataclass(frozen=True)
class Divergence:
    batch: int
    position: int
    kind: str
    python_post: bytes
    l1_post: bytes | None  # None: L1 refused
    detail: str
    proof: StepProof


@dataclass
class Report:
    kinds: dict[str, KindStats] = field(default_factory=dict)
    divergences: list[Divergence] = field(default_factory=list)

    @property
    def run(self) -> int:
        return sum(k.run for k in self.kinds.values())

    @property
    def skipped(self) -> int:
        return sum(k.skipped for k in self.kinds.values())

    def merge(self, other: "Report") -> None:
        """Add ``other``'s steps, gas and divergences (a report of disjoint work) to this one."""
        for name, theirs in other.kinds.items():
            mine = self.kinds.setdefault(name, KindStats())
            mine.run += theirs.run
            mine.skipped += theirs.skipped
            mine.divergences += theirs.divergences
            mine.gas.extend(theirs.gas)
        self.divergences.extend(other.divergences)

    def table(self) -> str:
        lines = [f"{'kind':<22}{'run':>8}{'skipped':>9}{'diverged':>10}{'gas max':>12}{'gas p50':>12}"]
        for name in sorted(self.kinds):
            k = self.kinds[name]
            lines.append(f"{name:<22}{k.run:>8}{k.skipped:>9}{k.divergences:>10}{k.gas_max:>12,}{k.gas_p50:>12,}")
        return "\n".join(lines)


@dataclass
class Driver:
    """Runs proofs on ``runner`` against ``deployment``; collects a ``Report``.

    ``reexecute``: also check each proof from the proof alone in Python (``verify``);
    ``max_divergences``: proofs kept for inspection."""

    runner: Any
    deployment: FaultDeployment
    reexecute: bool = True
    max_divergences: int = 20
    report: Report = field(default_factory=Report)

    def check(self, proof: StepProof) -> None:
        """Run one step proof in Python and on L1; record the outcome."""
        key = dispatch_key(proof.cursor)
        kind = phase_name(key) if key < 1 << 16 else f"BODY/0x{key & 0xFF:02x}"
        stats = self.report.kinds.setdefault(kind, KindStats())
        python_post = proof.verify().post_claim if self.reexecute else proof.post_claim
        if python_post != proof.post_claim:
            self._diverged(stats, proof, kind, python_post, None, "Python re-execution differs from the trace")
            return
        if key not in self.deployment.implemented:
            stats.skipped += 1
            return
        stats.run += 1
        try:
            step = run_step(self.runner, self.deployment.verifier, proof)
        except StepRefused as exc:
            self._diverged(stats, proof, kind, python_post, None, f"L1 refused a valid proof: {exc}")
            return
        stats.gas.append(step.gas)
        if step.post_claim != python_post:
            self._diverged(stats, proof, kind, python_post, step.post_claim, "post-claims differ")

    def _diverged(self, stats: KindStats, proof: StepProof, kind: str, python_post: bytes, l1_post: bytes | None,
                  detail: str) -> None:
        stats.divergences += 1
        if len(self.report.divergences) < self.max_divergences:
            self.report.divergences.append(
                Divergence(proof.batch, proof.position, kind, python_post, l1_post, detail, proof))

    def run_batch(self, backend: StateBackend, batch: int, inputs: MemoryInputs,
                  before: Callable[[int, MemoryInputs], None] | None = None) -> int:
        """Trace batch ``batch`` over ``backend`` (its pre-state; the run writes to it) and check
        every step. ``before(batch, inputs)`` runs first (e.g. to post the batch on L1).
        Returns the number of steps."""
        if before is not None:
            before(batch, inputs)
        last: list[Boundary] = []
        steps, _ = TraceRun(backend, batch, inputs).run(lambda b: last.__setitem__(slice(None), [b]), on_proof=self.check)
        halted = last[0]  # past the halt every step is the identity: check one
        self.check(StepProof.build(batch, steps, halted.kind, halted.state_root, halted.cursor, halted.state_root,
                                   halted.cursor, None, None))
        return steps

    def run_batches(self, backend: StateBackend, batches: Iterable[tuple[int, MemoryInputs]],
                    before: Callable[[int, MemoryInputs], None] | None = None) -> Report:
        for batch, inputs in batches:
            self.run_batch(backend, batch, inputs, before)
        return self.report
