"""The dispute game's Python side (``contracts/fault/dispute_game.vy``): its source, its
constructor arguments, and a game as read from ``games(id)``.

Settings (``GameSettings``): the challenger's bond in wei, each side's clock and the
extension in seconds, the deepest bisection a defender may declare. Production values
follow the OP Stack (3.5 days per side, 3 hours extension); the devnet's are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Sequence

from eth_abi import encode

SOURCE: Final = "fault/dispute_game.vy"
STATUSES: Final = ("in_progress", "challenger_wins", "defender_wins", "root_removed")
DEFENDER, CHALLENGER = 0, 1
GAME_TYPES: Final = ("uint256", "uint256", "bytes32", "address", "address", "uint256", "uint256", "bool", "uint256",
                     "uint256", "bytes32", "bytes32", "bytes32", "uint8", "uint256", "uint256", "uint256", "uint8",
                     "uint256")
BURN_PERCENT: Final = 20  # dispute_game.vy BURN_PERCENT: the loser's bond share nobody gets


@dataclass(frozen=True)
class GameSettings:
    """``challenger_bond_wei`` per game; ``clock_s`` per side and ``extension_s``; ``max_depth``
    the deepest bisection (positions ``0..2**max_depth``)."""

    challenger_bond_wei: int = 10**17
    clock_s: int = 120
    extension_s: int = 30
    max_depth: int = 40


PRODUCTION: Final = GameSettings(challenger_bond_wei=10**18, clock_s=302_400, extension_s=10_800, max_depth=40)


def constructor_args(commitments: bytes, verifier: bytes, settings: GameSettings) -> bytes:
    """The ABI-encoded constructor arguments (20-byte addresses)."""
    return encode(["address", "address", "uint256", "uint256", "uint256", "uint256"],
                  [commitments, verifier, settings.challenger_bond_wei, settings.clock_s, settings.extension_s,
                   settings.max_depth])


def max_game_s(settings: GameSettings, depth: int) -> int:
    """The longest a game of ``depth`` can last: both clocks spent, plus one extension per
    turn (declare, ``depth - 1`` claims, ``depth`` answers and the step: ``2 * depth + 1``
    turns, each starting with at least the extension)."""
    return 2 * settings.clock_s + (2 * depth + 1) * settings.extension_s


@dataclass(frozen=True)
class GameView:
    """One game as ``games(id)`` returns it."""

    id: int
    root_index: int
    proposal: int
    state_root: bytes
    defender: str
    challenger: str
    bond_wei: int
    depth: int
    declared: bool
    lo: int
    hi: int
    lo_claim: bytes
    hi_claim: bytes
    mid_claim: bytes
    turn: int
    turn_started: int
    defender_used_s: int
    challenger_used_s: int
    status_code: int
    moves: int

    @classmethod
    def from_tuple(cls, id_: int, values: Sequence) -> GameView:
        return cls(id_, *values)

    @property
    def status(self) -> str:
        return STATUSES[self.status_code] if self.status_code < len(STATUSES) else f"unknown {self.status_code}"

    @property
    def position(self) -> int:
        """The position in play: the midpoint awaiting an answer, or ``lo`` once one step apart."""
        return (self.lo + self.hi) // 2 if self.hi - self.lo > 1 else self.lo
