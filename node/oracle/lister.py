"""``Lister``: lists the series the schedule wants (``schedule.py``) that the chain lacks.

A pass (``run_once``) reads the underlyings (index, series count) and the listed series
from the node, and for each underlying with an index submits a ``ListInstrument`` (signed
with the admin key, waiting for its block) for every missing series of
``schedule.plan`` at the head block's time, within the room left under
``MAX_INSTRUMENTS_PER_UNDERLYING``. Tick size and minimum size are those of the
underlying's most recently listed series, else ``default_tick_e6`` (the nice step at or
below 1/20,000 of the index: 0.1 at 3,000, 5 at 100,000) and ``DEFAULT_MIN_SIZE_E6``.

Idempotent: it keeps nothing between passes, so a restart, or two listers at once, list
each series once (the chain refuses a second listing: ``INSTRUMENT_EXISTS``, counted as
already there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Final, Sequence

from node.client import Client, NodeError
from node.oracle.schedule import Schedule, Series, nice_step_e6, plan
from node.stf.errors import FailureCode
from node.stf.instruments import series_name
from node.stf.params import MAX_INSTRUMENTS_PER_UNDERLYING
from node.stf.txtypes import ListInstrument

log = logging.getLogger(__name__)

DEFAULT_MIN_SIZE_E6: Final = 100_000  # 0.1 contract
TICK_FRACTION: Final = 20_000


def default_tick_e6(index_e6: int) -> int:
    return nice_step_e6(index_e6 // TICK_FRACTION)


@dataclass
class Pass:
    """What one pass did: series listed (names), already there, refused (name: reason), skipped underlyings."""

    listed: list[str] = field(default_factory=list)
    existing: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unauthorised: bool = False  # the chain refused the key (``UNAUTHORISED_SIGNER``): the pass stopped


class Lister:
    def __init__(self, client: Client, schedule: Schedule = Schedule(), *, underlyings: Sequence[str] = (),
                 echo: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.schedule = schedule
        self.only = tuple(name.upper() for name in underlyings)
        self.echo = echo

    def _say(self, text: str) -> None:
        log.info("%s", text)
        if self.echo is not None:
            self.echo(text)

    def run_once(self) -> Pass:
        """One pass (module docstring); ``NodeError`` if the node cannot be read."""
        result = Pass()
        infos, now = self.client.underlyings()
        instruments = self.client.instruments()
        for info in infos:
            if self.only and info.name.upper() not in self.only:
                continue
            if info.index_e6 == 0:
                result.skipped[info.name] = "no index yet"
                continue
            mine = sorted((i for i in instruments if i.underlying_id == info.underlying_id),
                          key=lambda i: i.instrument_id)
            tick, min_size = ((mine[-1].tick_size_e6, mine[-1].min_size_e6) if mine
                              else (default_tick_e6(info.index_e6), DEFAULT_MIN_SIZE_E6))
            listed = [Series(i.expiry, i.strike_e6, i.is_call) for i in mine]
            room = MAX_INSTRUMENTS_PER_UNDERLYING - info.series
            todo = plan(now, info.index_e6, self.schedule, listed, room)
            wanted_more = len(plan(now, info.index_e6, self.schedule, listed, 10**6))
            if wanted_more > len(todo):
                result.skipped[info.name] = (f"{wanted_more - len(todo)} series not listed: "
                                             f"{MAX_INSTRUMENTS_PER_UNDERLYING} live series per underlying")
            for series in todo:
                name = series_name(info.name, series.expiry, series.strike_e6, series.is_call)
                try:
                    self.client.submit(lambda nonce, s=series: ListInstrument(
                        nonce, info.underlying_id, s.expiry, s.strike_e6, s.is_call, tick, min_size))
                except NodeError as exc:
                    if exc.failure_code == FailureCode.INSTRUMENT_EXISTS:
                        result.existing += 1
                        continue
                    result.refused[name] = exc.message or exc.status.name
                    log.warning("lister: %s refused: %s", name, result.refused[name])
                    if exc.failure_code == FailureCode.UNAUTHORISED_SIGNER:
                        result.unauthorised = True
                        return result
                    continue
                result.listed.append(name)
                self._say(f"lister: listed {name}")
        if result.listed or result.refused:
            self._say(f"lister: {len(result.listed)} series listed, {len(result.refused)} refused"
                      + "".join(f"; {n}: {why}" for n, why in result.skipped.items()))
        return result
