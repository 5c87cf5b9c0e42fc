"""An honest side's next move in a dispute game, from the game as L1 holds it and the side's
own trace of the batch: what a challenger or a defender process sends, one move at a time.

Stateless: the move depends only on the game read from L1 (``bridge.dispute_game.GameView``)
and the trace, so a player restarted mid-game carries on. ``next_move`` returns ``None``
when the side has nothing to send (not its turn, or the game is over).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Union

from prover.client.bisection import TraceClaims, midpoint

if TYPE_CHECKING:  # the game as read from L1; this module stays free of the L1 side
    from bridge.dispute_game import GameView

DEFENDER: Final = 0  # dispute_game.vy DEFENDER, CHALLENGER (bridge.dispute_game)
CHALLENGER: Final = 1
ZERO_CLAIM: Final = b"\x00" * 32


@dataclass(frozen=True)
class Declare:
    depth: int
    halted_cursor: bytes
    first_claim: bytes


@dataclass(frozen=True)
class Claim:
    position: int
    claim: bytes


@dataclass(frozen=True)
class Answer:
    position: int
    agree: bool


@dataclass(frozen=True)
class Step:
    """Prove the step at ``position`` (``TraceRun.run(prove=position)``) and submit it."""

    position: int


@dataclass(frozen=True)
class Resolve:
    """The other side's clock ran out: end the game."""


Move = Union[Declare, Claim, Answer, Step, Resolve]


def clock_ran_out(view: "GameView", now: int, clock_s: int) -> bool:
    """Whether the side to move has used more than ``clock_s`` at L1 time ``now``."""
    used = view.defender_used_s if view.turn == DEFENDER else view.challenger_used_s
    return used + max(now - view.turn_started, 0) > clock_s


def next_move(view: "GameView", side: int, claims: TraceClaims, now: int, clock_s: int) -> Move | None:
    """The honest move of ``side`` (``DEFENDER`` or ``CHALLENGER``) in ``view`` at L1 time ``now``.

    Defender: declare the trace's depth and halted cursor (with the first midpoint's claim),
    then the true claim at each midpoint; once the bisection is done, submit the step
    (which proves its claim and ends the game early). Challenger: agree exactly with the
    true claims; once the bisection is done, submit the step at ``lo``. Either side resolves
    a game whose other side's clock ran out.
    """
    if view.status != "in_progress":
        return None
    if view.turn != side:
        return Resolve() if clock_ran_out(view, now, clock_s) else (
            Step(view.lo) if side == DEFENDER and view.declared and view.hi - view.lo == 1 else None)
    if side == DEFENDER:
        if not view.declared:
            depth = claims.depth
            first = claims.claim_at(1 << (depth - 1)) if depth else ZERO_CLAIM
            return Declare(depth, claims.halted_cursor(), first)
        position = midpoint(view.lo, view.hi)
        return Claim(position, claims.claim_at(position))
    if view.hi - view.lo > 1:
        position = midpoint(view.lo, view.hi)
        return Answer(position, claims.agrees(position, bytes(view.mid_claim)))
    return Step(view.lo)


def should_challenge(proposed_root: bytes, claims: TraceClaims) -> bool:
    """Whether a root proposed for the traced batch is wrong (its trace halts elsewhere)."""
    return proposed_root != claims.halted_root()

