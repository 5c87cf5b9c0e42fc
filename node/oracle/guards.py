"""The oracle's guards: from the sources' observations to one update, or why none is posted.

``decide`` is pure (the caller passes the clock). For one underlying, in this order:

1. **Freshness.** An observation is fresh when ``now - updated_at <= max_age_s`` and it is
   not from the future (``observed_at <= now + MAX_ORACLE_FUTURE_S``, the STF's clock-skew
   allowance). No fresh observation: withheld, rule ``stale``. A fresh observation older
   than the chain's last update (``observed_at`` before its observation time) is no news
   and is dropped too; none left: withheld, rule ``older``.
2. **Quorum.** Fewer than ``min_sources`` fresh observations: withheld, rule ``quorum``.
3. **Deviation.** The index is the median of the fresh observations (the mean of the two
   middle ones, rounded down, for an even count). If the highest and lowest fresh index
   differ by more than ``max_deviation_ppm`` of the median: withheld, rule ``deviation``
   (the sources disagree: posting either could be wrong).
4. **Move.** If the median moves more than ``max_move_ppm`` from the index on the chain:
   withheld, rule ``move``, unless the same check failed in the previous
   ``jump_confirmations - 1`` consecutive rounds (the caller counts them: ``jump_streak``),
   so a real move, seen by every source round after round, is posted after
   ``jump_confirmations`` rounds while a one-round spike never is (0: never).
5. **Surface.** The surface of the fresh source whose index is nearest the median (the
   first such in source order); if no fresh source has one, the chain's current surface is
   kept. It must pass the STF's ``validate_surface``, else withheld, rule ``surface``.
6. **Time.** The update's observation time is the oldest ``observed_at`` of the fresh
   sources; older than ``MAX_ORACLE_AGE_S`` the STF would refuse it: withheld, rule ``stale``.

A withheld update posts nothing: the chain keeps its last index until the guards pass again
(what the chain does meanwhile: README, "Oracle process").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Sequence

from node.oracle.sources import Observation
from node.stf.errors import TxFailure
from node.stf.oracle import MAX_ORACLE_AGE_S, MAX_ORACLE_FUTURE_S, validate_surface
from node.stf.params import MAX_PRICE_E6
from node.stf.txtypes import VolPoint

PPM: Final = 1_000_000
RULES: Final = ("stale", "quorum", "deviation", "move", "surface", "older")


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """The guards' limits: ages in seconds, fractions in ppm of the index (10_000 = 1 %)."""

    max_age_s: int = 60
    max_move_ppm: int = 100_000
    max_deviation_ppm: int = 20_000
    jump_confirmations: int = 3
    min_sources: int = 1

    def __post_init__(self) -> None:
        if self.max_age_s <= 0 or self.max_move_ppm <= 0 or self.max_deviation_ppm < 0:
            raise ValueError("guards: max age and max move must be > 0, max deviation >= 0")
        if self.jump_confirmations < 0 or self.min_sources < 1:
            raise ValueError("guards: jump confirmations >= 0, min sources >= 1")


@dataclass(frozen=True, slots=True)
class OnChain:
    """The underlying as the chain holds it: index (0 before the first update), the last
    update's observation time and the surface."""

    index_price_e6: int
    observation_time: int
    surface: tuple[VolPoint, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """An update to post (``withheld == ""``) or the rule and reason it is withheld."""

    underlying: str
    index_price_e6: int
    observation_time: int
    surface: tuple[VolPoint, ...]
    sources: tuple[str, ...]
    rule: str = ""
    withheld: str = ""

    @property
    def post(self) -> bool:
        return not self.withheld


def median(values: Sequence[int]) -> int:
    """The median of ``values`` (non-empty); an even count takes the two middle ones' mean, rounded down."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) // 2


def _withhold(name: str, rule: str, reason: str, used: Sequence[Observation] = (), index: int = 0) -> Decision:
    return Decision(name, index, 0, (), tuple(o.source for o in used), rule, reason)


def decide(name: str, observations: Sequence[Observation], chain: OnChain, now: int, config: GuardConfig,
           jump_streak: int = 0) -> Decision:
    """The update of underlying ``name`` at ``now`` (unix s), or why it is withheld (module docstring)."""
    fresh = [o for o in observations
             if now - o.updated_at <= config.max_age_s and o.observed_at <= now + MAX_ORACLE_FUTURE_S
             and 0 < o.index_price_e6 <= MAX_PRICE_E6]
    if not fresh:
        ages = ", ".join(f"{o.source} {now - o.updated_at}s" for o in observations) or "no source answered"
        return _withhold(name, "stale", f"no fresh source (max age {config.max_age_s}s; {ages})")
    news = [o for o in fresh if o.observed_at >= chain.observation_time]
    if not news:
        return _withhold(name, "older", f"every fresh source was observed before the chain's last update "
                         f"({chain.observation_time})", fresh)
    fresh = news
    if len(fresh) < config.min_sources:
        return _withhold(name, "quorum", f"{len(fresh)} fresh source(s), {config.min_sources} required", fresh)
    index = median([o.index_price_e6 for o in fresh])
    spread = max(o.index_price_e6 for o in fresh) - min(o.index_price_e6 for o in fresh)
    if spread * PPM > config.max_deviation_ppm * index:
        return _withhold(name, "deviation", f"sources disagree by {spread * 100 / index:.2f}% "
                         f"(max {config.max_deviation_ppm / 10_000:g}%)", fresh, index)
    if chain.index_price_e6 > 0:
        move = abs(index - chain.index_price_e6)
        if move * PPM > config.max_move_ppm * chain.index_price_e6 and not (
                config.jump_confirmations and jump_streak + 1 >= config.jump_confirmations):
            return _withhold(name, "move", f"index would move {move * 100 / chain.index_price_e6:.2f}% "
                             f"(max {config.max_move_ppm / 10_000:g}% per update; posted after "
                             f"{config.jump_confirmations} rounds in a row)", fresh, index)
    with_surface = [o for o in fresh if o.surface]
    if with_surface:
        surface = min(with_surface, key=lambda o: abs(o.index_price_e6 - index)).surface
    else:
        surface = chain.surface
    try:
        validate_surface(surface)
    except TxFailure as failure:
        return _withhold(name, "surface", f"no valid surface: {failure.detail}", fresh, index)
    observed = min(o.observed_at for o in fresh)
    if observed + MAX_ORACLE_AGE_S < now:
        return _withhold(name, "stale", f"observed {now - observed}s ago (the chain refuses updates older "
                         f"than {MAX_ORACLE_AGE_S}s)", fresh, index)
    return Decision(name, index, observed, tuple(surface), tuple(o.source for o in fresh))
