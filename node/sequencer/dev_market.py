"""The development market maker of ``optrollup node --dev``: a live two-sided book to trade against.

``DevMarketMaker`` signs with the dev ``maker`` account and submits through the sequencer's
door (``Sequencer.enqueue``) like any client. Every ``interval_s`` (1 s) it reads the head
state and, for each quoted series, keeps ``levels`` bids and asks around the mark::

    half   = max(tick, mark x half_spread_ppm)       step = max(tick, mark x level_step_ppm)
    bid_k  = floor_tick(mark - half - k x step)      ask_k = ceil_tick(mark + half + k x step)

(k = 0 .. levels - 1; a bid below one tick is left out, so a nearly worthless series is
quoted on the ask side only), each of ``size_lots`` x the series' minimum size, POST_ONLY.

Re-quoting a series is one ``CancelAll(instrument_id)`` followed by the new orders, in
FIFO order (so the new quotes never meet the old ones). To keep its load light it
re-quotes a series only when its mark moved by more than
``max(requote_ticks x tick, requote_ppm x mark)`` since its last quote, or (at most every
``refill_s``) when some of its quotes were taken; it waits for a series' previous quote to
commit before touching it again, and sends at most ``max_txs_per_round`` transactions a round.

Open orders are bounded per account (``params.MAX_OPEN_ORDERS``, 128): with the dev chain's
60 series the budget (128 - ``RESERVED_ORDERS``) allows one level per side on every series;
with fewer live series (or ``max_series``: quote only the first N) it quotes up to ``levels``
levels. The series nearest to expiry and nearest to the money come first (and are the ones
quoted when even one level per side does not fit).

At start, any orders the maker left in the state (a restart) are cancelled with one
``CancelAll(0)``; nonces start above the highest one its account has used.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Final

from node.sequencer.dev import dev_key
from node.sequencer.dev_oracle import first_free_nonce
from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.periodic import PeriodicTask
from node.sequencer.sequencer import Sequencer
from node.stf import accounts, keys
from node.stf.nonces import NONCE_LIMIT
from node.stf.params import MAX_OPEN_ORDERS, MAX_PRICE_E6
from node.stf.records import Globals, Instrument, Mark, Order
from node.stf.state import State
from node.stf.txtypes import CancelAll, PlaceOrder, Side, TimeInForce, TxBody
from node.wallet import address_of, sign_tx

log = logging.getLogger(__name__)

E6: Final = 10**6
DEFAULT_INTERVAL_S: Final = 1.0
DEFAULT_LEVELS: Final = 3
DEFAULT_SIZE_LOTS: Final = 10  # contracts per level, in minimum sizes
DEFAULT_HALF_SPREAD_PPM: Final = 20_000  # 2% of the mark each side
DEFAULT_LEVEL_STEP_PPM: Final = 10_000  # 1% of the mark between levels
DEFAULT_REQUOTE_TICKS: Final = 1
DEFAULT_REQUOTE_PPM: Final = 5_000  # re-quote when the mark moved by more than 0.5% (or a tick)
DEFAULT_REFILL_S: Final = 5.0
DEFAULT_MAX_TXS_PER_ROUND: Final = 250
RESERVED_ORDERS: Final = 8  # open-order slots left free
EXPIRY_GUARD_S: Final = 60  # stop quoting a series this long before it expires


@dataclass(frozen=True, slots=True)
class Quote:
    """What was last sent for one series: the mark it was built on, its orders per side, when."""

    mark_e6: int
    bids: int
    asks: int
    at: float


def quote_prices(mark_e6: int, tick_e6: int, levels: int, half_spread_ppm: int = DEFAULT_HALF_SPREAD_PPM,
                 level_step_ppm: int = DEFAULT_LEVEL_STEP_PPM) -> tuple[list[int], list[int]]:
    """(bid prices best first, ask prices best first), e6, on the tick (see module docstring)."""
    half = max(tick_e6, mark_e6 * half_spread_ppm // E6)
    step = max(tick_e6, mark_e6 * level_step_ppm // E6)
    bids, asks = [], []
    for k in range(levels):
        bid = (mark_e6 - half - k * step) // tick_e6 * tick_e6
        if bid >= tick_e6:
            bids.append(bid)
        ask = -((-(mark_e6 + half + k * step)) // tick_e6) * tick_e6  # ceiling to the tick
        if ask <= MAX_PRICE_E6:
            asks.append(ask)
    return bids, asks


class DevMarketMaker(PeriodicTask):
    """Keeps POST_ONLY quotes around the marks (see module docstring).

    ``start()`` / ``stop()`` run it as an asyncio task; ``step()`` does one round (tests).
    Counters: ``submitted`` transactions, ``failed`` (failure receipts, e.g. a POST_ONLY
    that would cross someone else's order, and refusals), ``requotes`` (series re-quoted).
    """

    name = "dev-market-maker"
    step_first = True

    def __init__(self, sequencer: Sequencer, *, key: bytes | None = None, interval_s: float = DEFAULT_INTERVAL_S,
                 levels: int = DEFAULT_LEVELS, size_lots: int = DEFAULT_SIZE_LOTS,
                 half_spread_ppm: int = DEFAULT_HALF_SPREAD_PPM, level_step_ppm: int = DEFAULT_LEVEL_STEP_PPM,
                 requote_ticks: int = DEFAULT_REQUOTE_TICKS, requote_ppm: int = DEFAULT_REQUOTE_PPM,
                 refill_s: float = DEFAULT_REFILL_S, max_txs_per_round: int = DEFAULT_MAX_TXS_PER_ROUND,
                 max_series: int | None = None, clock=time.monotonic) -> None:
        if levels < 1 or size_lots < 1 or max_txs_per_round < 3 or interval_s <= 0 or (max_series or 1) < 1:
            raise ValueError("dev market: levels, size_lots, max_series >= 1, max_txs_per_round >= 3, interval_s > 0")
        super().__init__()
        self.sequencer = sequencer
        self.key = key if key is not None else dev_key("maker")
        self.address = address_of(self.key)
        self.interval_s = interval_s
        self.levels = levels
        self.size_lots = size_lots
        self.half_spread_ppm = half_spread_ppm
        self.level_step_ppm = level_step_ppm
        self.requote_ticks = requote_ticks
        self.requote_ppm = requote_ppm
        self.refill_s = refill_s
        self.max_txs_per_round = max_txs_per_round
        self.max_series = max_series
        self.clock = clock
        self.quotes: dict[int, Quote] = {}
        self.nonce: int | None = None
        self.submitted = self.failed = self.requotes = 0
        self._in_flight: dict[int, asyncio.Future] = {}

    # -- one round ---------------------------------------------------------------------------

    def _send(self, view: State, body_of_nonce) -> asyncio.Future | None:
        if self.nonce is None:
            self.nonce = first_free_nonce(view, self.address)
        body: TxBody = body_of_nonce(self.nonce)
        raw = sign_tx(self.key, body, self.sequencer.domain)
        try:
            _, future = self.sequencer.enqueue(raw)
        except (Rejected, MempoolFull) as exc:
            self.failed += 1
            log.debug("dev market: not queued: %s", exc)
            return None
        self.nonce = (self.nonce + 1) % NONCE_LIMIT
        self.submitted += 1
        future.add_done_callback(self._settled)
        return future

    def _settled(self, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None or not future.result()[1].ok:
            self.failed += 1

    def _live_series(self, view: State) -> list[tuple[int, Instrument, Mark]]:
        """Listed series with a mark, not about to expire: nearest expiry, then nearest the money, first."""
        globals_: Globals = view.get(keys.GLOBALS)
        now = self.sequencer.head_time
        live = []
        for instrument_id in range(1, globals_.next_instrument_id):
            inst: Instrument | None = view.get(keys.instrument(instrument_id))
            if inst is None or now >= inst.expiry - EXPIRY_GUARD_S:
                continue
            mark: Mark | None = view.get(keys.mark(instrument_id))
            if mark is None or mark.time >= inst.expiry:
                continue
            live.append((instrument_id, inst, mark))
        live.sort(key=lambda item: (item[1].expiry, abs(item[1].strike_e6 - item[2].index_e6), item[0]))
        return live

    def _resting(self, view: State) -> tuple[int, dict[tuple[int, int], int]]:
        """(open order count, {(instrument_id, side): our resting orders})."""
        account = accounts.load(view, self.address)
        counts: dict[tuple[int, int], int] = {}
        for order_id in account.open_orders:
            order: Order | None = view.get(keys.order(order_id))
            if order is not None:
                counts[(order.instrument_id, order.side)] = counts.get((order.instrument_id, order.side), 0) + 1
        return len(account.open_orders), counts

    def _needs_quote(self, instrument_id: int, inst: Instrument, mark: Mark, resting: dict, now: float) -> bool:
        quote = self.quotes.get(instrument_id)
        if quote is None:
            return True
        threshold = max(self.requote_ticks * inst.tick_size_e6, mark.mark_e6 * self.requote_ppm // E6)
        if abs(mark.mark_e6 - quote.mark_e6) > threshold:
            return True
        taken = (resting.get((instrument_id, Side.BUY), 0) < quote.bids
                 or resting.get((instrument_id, Side.SELL), 0) < quote.asks)
        return taken and now - quote.at >= self.refill_s

    def step(self) -> list[asyncio.Future]:
        """One round: re-quote the series that need it. Returns the futures of what was sent."""
        view = State(self.sequencer.state.backend)
        now = self.clock()
        open_count, resting = self._resting(view)
        sent: list[asyncio.Future] = []
        if not self.quotes and open_count:  # left over from an earlier run
            future = self._send(view, lambda n: CancelAll(n, 0))
            if future is None:
                return sent
            sent.append(future)
            resting = {}
        live = self._live_series(view)[: self.max_series]
        if not live:
            return sent
        budget = MAX_OPEN_ORDERS - RESERVED_ORDERS
        levels = max(1, min(self.levels, budget // (2 * len(live))))
        quoted = live[: budget // (2 * levels)]
        quoted_ids = {instrument_id for instrument_id, _, _ in quoted}
        room = self.max_txs_per_round - len(sent)
        for instrument_id in [i for i in self.quotes if i not in quoted_ids]:
            del self.quotes[instrument_id]  # about to expire, or no room for it any more
            future = self._send(view, lambda n, i=instrument_id: CancelAll(n, i))
            if future is not None:
                sent.append(future)
                room -= 1
        for instrument_id, inst, mark in quoted:
            in_flight = self._in_flight.get(instrument_id)
            if in_flight is not None and not in_flight.done():
                continue
            if not self._needs_quote(instrument_id, inst, mark, resting, now):
                continue
            bids, asks = quote_prices(mark.mark_e6, inst.tick_size_e6, levels, self.half_spread_ppm,
                                      self.level_step_ppm)
            has_orders = (instrument_id in self.quotes or resting.get((instrument_id, Side.BUY))
                          or resting.get((instrument_id, Side.SELL)))
            cost = len(bids) + len(asks) + (1 if has_orders else 0)
            if cost > room:
                break
            size = inst.min_size_e6 * self.size_lots
            last = None
            if has_orders:
                last = self._send(view, lambda n: CancelAll(n, instrument_id))
                if last is None:
                    break
                sent.append(last)
            for side, prices in ((Side.BUY, bids), (Side.SELL, asks)):
                for price in prices:
                    future = self._send(view, lambda n, s=side, p=price: PlaceOrder(
                        n, instrument_id, int(s), p, size, int(TimeInForce.POST_ONLY), False, 0, 0))
                    if future is not None:
                        last = future
                        sent.append(future)
            room -= cost
            self.requotes += 1
            self.quotes[instrument_id] = Quote(mark.mark_e6, len(bids), len(asks), now)
            if last is not None:
                self._in_flight[instrument_id] = last
        return sent
