"""The development oracle of ``optrollup node --dev``: a simulated index and vol surface.

Every ``interval_s`` (1 s by default) ``DevOracle`` signs one ``OracleUpdate`` per listed
underlying with the dev oracle key and submits it through the sequencer's door
(``Sequencer.enqueue``), like any client. Outside the STF, so randomness and the wall clock
are fine here; the STF only ever sees the signed numbers.

The price path is a geometric Brownian motion per underlying, drawn from a seeded
``random.Random``::

    S' = S x exp(-sigma^2 dt / 2 + sigma sqrt(dt) Z),   dt = interval_s / one year,

with ``sigma`` the underlying's current ATM vol (times ``speed``, to make a dev market move
faster than the real one), a move clamped to ``max_move_ppm`` per update, and the index
rounded to ``PRICE_STEP_E6``. Each surface point's ATM vol takes a small mean-reverting
step toward its start value, and the skew and curvature drift within modest bounds; every
value stays inside the STF's bounds (``oracle.validate_surface``: MIN_VOL..MAX_VOL,
|skew| <= 10, 0 <= curvature <= 100), so an update is never refused for its contents.

Sequencing: each update carries the underlying's last sequence (from the head state) plus
one, and is observed at the sequencer's clock (never before the last observation), so it is
fresh when its block closes (``oracle.check_sequencing``). One update per underlying is in
flight at a time, so the next one always builds on a committed predecessor.

Restarts: the oracle reads the index and surface from the head state before each update, so
after a restart it continues from the last committed index, not from the genesis price;
nonces start above the highest one the oracle's account has used (``first_free_nonce``).
The RNG is seeded with ``(seed, head block number at start)``: the same seed and state give
the same path, and a restart does not replay the increments of the previous run.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass, replace
from typing import Final

from node.sequencer.dev import DEV_UNDERLYINGS, E6, ORACLE_KEY
from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.periodic import PeriodicTask
from node.sequencer.sequencer import Sequencer
from node.stf import keys
from node.stf.instruments import listed_underlyings
from node.stf.oracle import MAX_CURVATURE_E6, MAX_SKEW_E6
from node.stf.nonces import NONCE_LIMIT
from node.stf.params import MAX_PRICE_E6, MAX_VOL_E6, MIN_VOL_E6
from node.stf.records import Account, Underlying
from node.stf.state import State
from node.stf.txtypes import OracleUpdate, VolPoint
from node.wallet import address_of, sign_tx

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S: Final = 1.0
DEFAULT_SEED: Final = 0
SECONDS_PER_YEAR: Final = 365 * 86_400
PRICE_STEP_E6: Final = 10_000  # index rounded to 0.01 collateral units
DEFAULT_MAX_MOVE_PPM: Final = 10_000  # at most 1% per update
DEFAULT_SPEED: Final = 1.0
# Surface drift per update (e6): ATM vol random step and mean reversion, skew and curvature steps.
VOL_STEP_E6: Final = 1_000  # 0.1 vol point
VOL_REVERSION_PPM: Final = 20_000  # 2% of the distance to the start value per update
SKEW_STEP_E6: Final = 2_000
DEV_SKEW_BOUND_E6: Final = min(500_000, MAX_SKEW_E6)  # |skew| <= 0.5 here
CURVATURE_STEP_E6: Final = 2_000
DEV_CURVATURE_MAX_E6: Final = min(2 * E6, MAX_CURVATURE_E6)
DEV_VOL_MIN_E6: Final = max(MIN_VOL_E6, 50_000)  # keep the dev surface between 5% and 300%
DEV_VOL_MAX_E6: Final = min(MAX_VOL_E6, 3 * E6)


def first_free_nonce(state: State, address: bytes) -> int:
    """The lowest nonce above every nonce ``address`` has used (0 for a new account).

    Counting up from here never collides with a used nonce and never falls below the
    256-wide replay window (``node.stf.nonces``).
    """
    account: Account | None = state.get(keys.account(address))
    if account is None:
        return 0
    return account.nonce_floor + account.nonce_bitmap.bit_length()



def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


@dataclass(frozen=True, slots=True)
class OracleStep:
    """One simulated update: the new index and surface of one underlying."""

    underlying_id: int
    index_price_e6: int
    surface: tuple[VolPoint, ...]


class PricePath:
    """The simulated market: GBM index, drifting surface (see module docstring). No I/O."""

    def __init__(self, seed: int | str, *, interval_s: float = DEFAULT_INTERVAL_S, speed: float = DEFAULT_SPEED,
                 max_move_ppm: int = DEFAULT_MAX_MOVE_PPM, base_vols_e6: dict[int, int] | None = None) -> None:
        if interval_s <= 0 or speed <= 0 or not 0 < max_move_ppm < E6:
            raise ValueError("dev oracle: interval_s > 0, speed > 0 and 0 < max_move_ppm < 1e6")
        self.rng = random.Random(str(seed))
        self.dt_years = interval_s / SECONDS_PER_YEAR
        self.speed = speed
        self.max_move_ppm = max_move_ppm
        self.base_vols_e6: dict[tuple[int, int], int] = {}
        self.default_vols_e6 = dict(base_vols_e6 or {})

    def next_index(self, index_e6: int, vol_e6: int) -> int:
        """One GBM step from ``index_e6`` with annual vol ``vol_e6``: the move is a multiple of
        ``PRICE_STEP_E6``, at most ``max_move_ppm`` of the index, and the result stays in range."""
        sigma = vol_e6 / E6 * self.speed
        z = self.rng.gauss(0.0, 1.0)
        ratio = math.exp(-0.5 * sigma * sigma * self.dt_years + sigma * math.sqrt(self.dt_years) * z)
        bound = index_e6 * self.max_move_ppm // E6 // PRICE_STEP_E6 * PRICE_STEP_E6
        delta = round(index_e6 * (ratio - 1.0) / PRICE_STEP_E6) * PRICE_STEP_E6
        moved = index_e6 + _clamp(delta, -bound, bound)
        return moved if PRICE_STEP_E6 <= moved <= MAX_PRICE_E6 else index_e6

    def next_surface(self, underlying_id: int, surface: tuple[VolPoint, ...]) -> tuple[VolPoint, ...]:
        """Each point's ATM vol, skew and curvature after one small step (inside the STF bounds)."""
        out = []
        for point in surface:
            base = self.base_vols_e6.setdefault(
                (underlying_id, point.expiry), self.default_vols_e6.get(underlying_id, point.atm_vol_e6))
            reversion = (base - point.atm_vol_e6) * VOL_REVERSION_PPM // E6
            atm = point.atm_vol_e6 + reversion + round(self.rng.gauss(0.0, 1.0) * VOL_STEP_E6 * self.speed)
            skew = point.skew_e6 + self.rng.choice((-SKEW_STEP_E6, 0, SKEW_STEP_E6))
            curvature = point.curvature_e6 + self.rng.choice((-CURVATURE_STEP_E6, 0, CURVATURE_STEP_E6))
            out.append(replace(
                point,
                atm_vol_e6=_clamp(atm, DEV_VOL_MIN_E6, DEV_VOL_MAX_E6),
                skew_e6=_clamp(skew, -DEV_SKEW_BOUND_E6, DEV_SKEW_BOUND_E6),
                curvature_e6=_clamp(curvature, 0, DEV_CURVATURE_MAX_E6),
            ))
        return tuple(out)

    def step(self, underlying_id: int, underlying: Underlying) -> OracleStep | None:
        """The next update of ``underlying``, or ``None`` if it has no price or surface yet."""
        if underlying.index_price_e6 <= 0 or not underlying.surface:
            return None
        vol_e6 = underlying.surface[0].atm_vol_e6
        index = self.next_index(underlying.index_price_e6, vol_e6)
        return OracleStep(underlying_id, index, self.next_surface(underlying_id, underlying.surface))


class DevOracle(PeriodicTask):
    """Signs and submits simulated oracle updates every ``interval_s`` (see module docstring).

    ``start()`` runs it as an asyncio task; ``stop()`` ends it. ``step()`` does one round
    (for tests): it returns the submitted updates and their block futures. Counters:
    ``submitted``, ``accepted`` (OK receipts), ``failed`` (failure receipts or refusals).
    """

    name = "dev-oracle"
    step_first = False

    def __init__(self, sequencer: Sequencer, *, key: bytes = ORACLE_KEY, interval_s: float = DEFAULT_INTERVAL_S,
                 seed: int = DEFAULT_SEED, speed: float = DEFAULT_SPEED,
                 max_move_ppm: int = DEFAULT_MAX_MOVE_PPM) -> None:
        super().__init__()
        self.sequencer = sequencer
        self.key = key
        self.address = address_of(key)
        self.interval_s = interval_s
        self.path = PricePath((seed, sequencer.head_number), interval_s=interval_s, speed=speed,
                              max_move_ppm=max_move_ppm,
                              base_vols_e6={uid: vol for uid, _, _, vol, *_ in DEV_UNDERLYINGS})
        self.nonce: int | None = None
        self.submitted = self.accepted = self.failed = 0
        self.last_index_e6: dict[int, int] = {}
        self._in_flight: dict[int, asyncio.Future] = {}

    def _view(self) -> State:
        return State(self.sequencer.state.backend)

    def _next_nonce(self, view: State) -> int:
        if self.nonce is None:
            self.nonce = first_free_nonce(view, self.address)
        nonce, self.nonce = self.nonce, (self.nonce + 1) % NONCE_LIMIT
        return nonce

    def _settled(self, update: OracleUpdate, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            self.failed += 1
            return
        number, receipt = future.result()
        if receipt.ok:
            self.accepted += 1
            log.debug("oracle update", extra={"underlying_id": update.underlying_id,
                                              "index_e6": update.index_price_e6, "block": number})
        else:
            self.failed += 1
            log.warning("oracle update failed: %s %s", receipt.code.name, receipt.detail,
                        extra={"underlying_id": update.underlying_id, "block": number})

    def step(self) -> list[tuple[OracleUpdate, asyncio.Future]]:
        """Sign and submit one update per underlying; ``[(update, future)]``. Must run on the loop."""
        view = self._view()
        out = []
        for underlying_id, underlying in listed_underlyings(view):
            in_flight = self._in_flight.get(underlying_id)
            if in_flight is not None and not in_flight.done():
                continue  # one update in flight per underlying: the next one builds on it once committed
            simulated = self.path.step(underlying_id, underlying)
            if simulated is None:
                continue
            observed = max(int(self.sequencer.clock()), underlying.observation_time)
            update = OracleUpdate(self._next_nonce(view), underlying_id, underlying.oracle_sequence + 1, observed,
                                  simulated.index_price_e6, simulated.surface)
            raw = sign_tx(self.key, update, self.sequencer.domain)
            try:
                _, future = self.sequencer.enqueue(raw)
            except (Rejected, MempoolFull) as exc:
                self.failed += 1
                log.warning("oracle update not queued: %s", exc)
                continue
            self.submitted += 1
            self.last_index_e6[underlying_id] = update.index_price_e6
            self._in_flight[underlying_id] = future
            future.add_done_callback(lambda f, u=update: self._settled(u, f))
            out.append((update, future))
        return out
