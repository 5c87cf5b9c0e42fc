"""The listing schedule: which series should exist at a given time and index (pure).

**Expiries** (all at 08:00 UTC, the STF's expiry time; only those more than
``MIN_LEAD_S`` after ``now``), as Deribit lists them:

- ``dailies``: the next days;
- ``weeklies``: the next Fridays;
- ``monthlies``: the last Friday of the month, for the next months (this month's too while
  it is ahead).

An expiry that is several kinds at once takes the longest kind (monthly, then weekly).

**Strikes** around the index S (collateral units e6), per expiry kind:

- the step is the largest "nice" number (1, 2, 2.5 or 5 x 10^k, at least 0.01) not above
  ``STEP_PPM`` of S: 1 % for a daily, 2.5 % for a weekly, 5 % for a monthly (ETH at 3,000:
  25, 50, 100; BTC at 100,000: 1,000, 2,500, 5,000);
- the grid is ``centre + k x step`` for ``|k| <= strikes + WIDEN[kind]`` (``strikes`` each
  side for a daily, one more for a weekly, two more for a monthly), ``centre`` = S rounded
  to the nearest step (half up), positive strikes only;
- a call and a put at each strike.

Series already listed are never removed (the chain keeps them until expiry); as the index
moves, new strikes around it are added. ``plan`` orders what is missing by expiry, then by
distance from the index, so a cap (``MAX_INSTRUMENTS_PER_UNDERLYING`` live series) keeps
the nearest ones.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Iterable

from node.stf.params import EXPIRY_TIME_OF_DAY, SECONDS_PER_DAY

MIN_LEAD_S: Final = 3_600  # never list a series expiring within the hour
KINDS: Final = ("daily", "weekly", "monthly")
STEP_PPM: Final = {"daily": 10_000, "weekly": 25_000, "monthly": 50_000}
WIDEN: Final = {"daily": 0, "weekly": 1, "monthly": 2}
MIN_STEP_E6: Final = 10_000
FRIDAY: Final = 4  # datetime.weekday()


@dataclass(frozen=True, slots=True)
class Schedule:
    """How many expiries of each kind, and strikes each side for a daily."""

    dailies: int = 2
    weeklies: int = 2
    monthlies: int = 2
    strikes: int = 2

    def __post_init__(self) -> None:
        if min(self.dailies, self.weeklies, self.monthlies, self.strikes) < 0:
            raise ValueError("schedule: counts must be >= 0")


@dataclass(frozen=True, slots=True, order=True)
class Series:
    expiry: int
    strike_e6: int
    is_call: bool


def _at_eight(day: datetime.date) -> int:
    return (day - datetime.date(1970, 1, 1)).days * SECONDS_PER_DAY + EXPIRY_TIME_OF_DAY


def _last_friday(year: int, month: int) -> datetime.date:
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = first_next - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() - FRIDAY) % 7)


def expiries(now: int, schedule: Schedule) -> dict[int, str]:
    """Expiry (unix s) -> its kind, for ``now`` (module docstring)."""
    first = datetime.date(1970, 1, 1) + datetime.timedelta(days=now // SECONDS_PER_DAY)
    ahead = lambda day: _at_eight(day) > now + MIN_LEAD_S  # noqa: E731
    out: dict[int, str] = {}
    day, found = first, 0
    while found < schedule.dailies:
        if ahead(day):
            out[_at_eight(day)] = "daily"
            found += 1
        day += datetime.timedelta(days=1)
    day, found = first, 0
    while found < schedule.weeklies:
        if day.weekday() == FRIDAY and ahead(day):
            out[_at_eight(day)] = "weekly"
            found += 1
        day += datetime.timedelta(days=1)
    year, month, found = first.year, first.month, 0
    while found < schedule.monthlies:
        friday = _last_friday(year, month)
        if ahead(friday):
            out[_at_eight(friday)] = "monthly"
            found += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dict(sorted(out.items()))


def nice_step_e6(limit_e6: int) -> int:
    """The largest 1, 2, 2.5 or 5 x 10^k (e6 units) not above ``limit_e6``, at least ``MIN_STEP_E6``."""
    best = MIN_STEP_E6
    scale = MIN_STEP_E6
    while scale <= limit_e6:
        for mantissa_x2 in (2, 4, 5, 10):  # 1, 2, 2.5, 5 (halved)
            candidate = scale * mantissa_x2 // 2
            if candidate <= limit_e6:
                best = max(best, candidate)
        scale *= 10
    return best


def strikes(index_e6: int, kind: str, schedule: Schedule) -> list[int]:
    """The strike grid of an expiry of ``kind`` around ``index_e6`` (module docstring)."""
    step = nice_step_e6(index_e6 * STEP_PPM[kind] // 1_000_000)
    centre = (index_e6 + step // 2) // step * step
    width = schedule.strikes + WIDEN[kind]
    return [centre + k * step for k in range(-width, width + 1) if centre + k * step > 0]


def wanted(now: int, index_e6: int, schedule: Schedule) -> list[Series]:
    """Every series the schedule wants at ``now`` with the index at ``index_e6``."""
    out = []
    for expiry, kind in expiries(now, schedule).items():
        for strike in strikes(index_e6, kind, schedule):
            out += [Series(expiry, strike, True), Series(expiry, strike, False)]
    return out


def plan(now: int, index_e6: int, schedule: Schedule, listed: Iterable[Series], room: int) -> list[Series]:
    """The wanted series not in ``listed``: nearest expiry first, then nearest the index; at most ``room``."""
    have = set(listed)
    missing = [s for s in wanted(now, index_e6, schedule) if s not in have]
    missing.sort(key=lambda s: (s.expiry, abs(s.strike_e6 - index_e6), s.strike_e6, not s.is_call))
    return missing[:max(room, 0)]
