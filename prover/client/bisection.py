"""An honest side's moves in a dispute game (``contracts/fault/dispute_game.vy``), from a
batch's trace.

The game bisects positions ``0..2**depth`` of the trace (``prover.client.trace``): the
claim at position 0 is the batch's pre-claim, the claim at ``2**depth`` the halted claim
carrying the proposed root. The defender posts the claim at each midpoint; the challenger
agrees or disagrees; at ``hi = lo + 1`` one step is proven from the claim at ``lo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from node.stf.cursor import encode_cursor
from prover.client.trace import Boundary, bisection_depth


@dataclass(frozen=True)
class TraceClaims:
    """Every boundary of one batch's trace, position 0 to the halt (``TraceRun.run``'s
    ``visit`` calls, in order)."""

    boundaries: Sequence[Boundary]

    @property
    def steps(self) -> int:
        return len(self.boundaries) - 1

    @property
    def depth(self) -> int:
        """The depth an honest defender declares: ``bisection_depth(steps)``."""
        return bisection_depth(self.steps)

    def claim_at(self, position: int) -> bytes:
        """The claim at ``position``; past the halt, the halted claim (the identity steps)."""
        return self.boundaries[min(position, self.steps)].claim

    def halted_cursor(self) -> bytes:
        """The encoded cursor of the halted claim (the defender's ``declare``)."""
        return encode_cursor(self.boundaries[-1].cursor)

    def halted_root(self) -> bytes:
        return self.boundaries[-1].state_root

    def agrees(self, position: int, claim: bytes) -> bool:
        """The honest challenger's answer to ``claim`` at ``position``."""
        return self.claim_at(position) == claim


def midpoint(lo: int, hi: int) -> int:
    """The position the defender claims next in ``(lo, hi)``."""
    return (lo + hi) // 2
