"""``Feeder``: one oracle round per interval, from the sources through the guards to the node.

A round (``round()``):

1. reads every underlying's oracle state from the node (``Client.underlyings``: index,
   surface, last sequence and observation time);
2. fetches every source once (a ``SourceError`` is recorded and that source counts as
   silent for this round);
3. for each underlying fed (all of the chain's, or the ``underlyings`` given), runs
   ``guards.decide`` on the sources' observations of it;
4. posts what passes: an ``OracleUpdate`` with the chain's last sequence + 1, signed with
   the oracle key and submitted over gRPC (``Client.submit``: it waits for the block and
   picks nonces); what does not pass is withheld, and nothing is posted for it.

A round's updates are sequential and each waits for its block, so the next round always
builds on a committed sequence; after a restart the state is read from the node again, so
a restarted oracle continues where the chain is (nothing is kept on disk).

``status()`` is what the ``/status`` endpoint serves: per underlying the last update posted
(index, observation time, sequence, block) and the guard state (the last decision: posted or
withheld with its rule and reason, the jump streak), per source its last error.
``healthy()``: every fed underlying had an update posted within ``max_age_s``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

from node.client import Client, NodeError, UnderlyingInfo
from node.oracle.guards import Decision, GuardConfig, OnChain, decide
from node.oracle.sources import Observation, Source, SourceError
from node.stf.errors import FailureCode
from node.stf.txtypes import OracleUpdate

log = logging.getLogger(__name__)


@dataclass
class FeedStatus:
    """One underlying's oracle state in this process (see the module docstring)."""

    underlying: str
    posted: int = 0
    withheld: int = 0
    last_index_e6: int = 0
    last_observation_time: int = 0
    last_sequence: int = 0
    last_block: int = 0
    last_posted_at: float = 0.0
    state: str = "starting"  # "posted", or "withheld: RULE"
    reason: str = ""
    jump_streak: int = 0
    latency_s: float = 0.0  # the last update: from the round's start to its block's receipt


@dataclass
class SourceStatus:
    name: str
    ok: int = 0
    errors: int = 0
    last_error: str = ""


@dataclass
class Outcome:
    """What one round did for one underlying."""

    decision: Decision
    block: int = 0
    refused: str = ""
    failure: FailureCode | None = None  # the STF's code when the node refused the update


class Feeder:
    """Runs oracle rounds for ``client`` (signing with the oracle key) from ``sources``."""

    def __init__(self, client: Client, sources: Sequence[Source], guards: GuardConfig, *,
                 underlyings: Sequence[str] = (), clock: Callable[[], float] = time.time,
                 echo: Callable[[str], None] | None = None) -> None:
        if not sources:
            raise ValueError("oracle: at least one source")
        self.client = client
        self.sources = tuple(sources)
        self.guards = guards
        self.only = tuple(name.upper() for name in underlyings)
        self.clock = clock
        self.echo = echo
        self.feeds: dict[str, FeedStatus] = {}
        self.source_status = {s.name: SourceStatus(s.name) for s in self.sources}
        self.rounds = 0
        self.last_round_at = 0.0
        self.node_error = ""

    def _say(self, text: str, level: int = logging.INFO) -> None:
        log.log(level, "%s", text)
        if self.echo is not None:
            self.echo(text)

    def _observations(self) -> dict[str, list[Observation]]:
        out: dict[str, list[Observation]] = {}
        for source in self.sources:
            status = self.source_status[source.name]
            try:
                seen = source.fetch()
            except SourceError as exc:
                status.errors += 1
                status.last_error = str(exc)
                log.warning("source %s: %s", source.name, exc)
                continue
            status.ok += 1
            status.last_error = ""
            for name, observation in seen.items():
                out.setdefault(name, []).append(observation)
        return out

    def round(self) -> list[Outcome]:
        """One round (module docstring); ``NodeError`` if the node cannot be read."""
        started = self.clock()
        self.rounds += 1
        self.last_round_at = started
        try:
            chain, _ = self.client.underlyings()
        except NodeError as exc:
            self.node_error = exc.message or exc.status.name
            self._say(f"oracle: cannot read the node: {self.node_error}", logging.WARNING)
            raise
        self.node_error = ""
        observations = self._observations()
        now = int(started)
        outcomes = []
        for info in chain:
            if self.only and info.name.upper() not in self.only:
                continue
            outcomes.append(self._feed(info, observations.get(info.name.upper(), []), now, started))
        return outcomes

    def _feed(self, info: UnderlyingInfo, observations: list[Observation], now: int, started: float) -> Outcome:
        feed = self.feeds.setdefault(info.name, FeedStatus(info.name))
        on_chain = OnChain(info.index_e6, info.observation_time, info.surface)
        decision = decide(info.name, observations, on_chain, now, self.guards, feed.jump_streak)
        if not decision.post:
            feed.withheld += 1
            feed.state, feed.reason = f"withheld: {decision.rule}", decision.withheld
            feed.jump_streak = feed.jump_streak + 1 if decision.rule == "move" else 0
            self._say(f"oracle: {info.name} withheld ({decision.rule}): {decision.withheld}", logging.WARNING)
            return Outcome(decision)
        feed.jump_streak = 0
        sequence = info.oracle_sequence + 1
        try:
            receipt = self.client.submit(lambda nonce: OracleUpdate(
                nonce, info.underlying_id, sequence, decision.observation_time, decision.index_price_e6,
                decision.surface))
        except NodeError as exc:
            feed.state, feed.reason = "refused", exc.message or exc.status.name
            self._say(f"oracle: {info.name} update refused by the node: {feed.reason}", logging.WARNING)
            return Outcome(decision, refused=feed.reason, failure=exc.failure_code)
        feed.posted += 1
        feed.state, feed.reason = "posted", ""
        feed.last_index_e6, feed.last_observation_time = decision.index_price_e6, decision.observation_time
        feed.last_sequence, feed.last_block = sequence, receipt.block_number
        feed.last_posted_at = self.clock()
        feed.latency_s = feed.last_posted_at - started
        self._say(f"oracle: {info.name} index {_units(decision.index_price_e6)} observed at "
                  f"{decision.observation_time} (sequence {sequence}, {len(decision.surface)} surface points, "
                  f"sources {', '.join(decision.sources)}) in block {receipt.block_number}")
        return Outcome(decision, block=receipt.block_number)

    def healthy(self) -> bool:
        """Every fed underlying had an update posted within ``max_age_s`` (and there is one)."""
        now = self.clock()
        return bool(self.feeds) and all(
            f.last_posted_at and now - f.last_posted_at <= self.guards.max_age_s for f in self.feeds.values())

    def status(self) -> dict:
        """The JSON document of ``/status`` (module docstring)."""
        return {"healthy": self.healthy(), "rounds": self.rounds, "last_round_at": self.last_round_at,
                "node_error": self.node_error, "guards": asdict(self.guards),
                "underlyings": {name: asdict(f) for name, f in sorted(self.feeds.items())},
                "sources": [asdict(s) for s in self.source_status.values()]}


def _units(value_e6: int) -> str:
    return f"{value_e6 // 10**6}.{value_e6 % 10**6:06d}".rstrip("0").rstrip(".")


def run_forever(feeder: Feeder, interval_s: float, *, stop: Callable[[], bool] = lambda: False,
                sleep: Callable[[float], None] = time.sleep) -> None:
    """Rounds every ``interval_s`` until ``stop()``; a node that cannot be read is retried next round."""
    while not stop():
        started = time.monotonic()
        try:
            feeder.round()
        except NodeError:
            pass
        sleep(max(interval_s - (time.monotonic() - started), 0.0))


