"""Portfolio margin: the worst loss over a fixed scenario grid, add-ons for naked shorts, and
the backing of resting orders.

**Positions.** Per underlying an account trades, with ``y_i`` the size of series ``i``,
``m_i`` its mark and ``loss_ik = -weight[k] x scenario_pnl_ik`` the weighted loss of one
long contract under scenario ``k`` (``scenarios.py`` defines the 23 scenarios):

    worst        = max(0, max_k sum_i y_i x loss_ik)                       (exact)
    add-on       = 1% x index x (net short calls + net short puts)        (rounded up)
    maintenance  = worst + add-on                                          (worst rounded up)
    long value   = sum_i max(0, y_i) x m_i                                 (exact)
    uncovered    = worst - long value + add-on                             (rounded up)
    initial      = maintenance + 30% x max(0, uncovered)                   (rounded up)

and an account's maintenance and initial requirements are the sums over its underlyings.
"Net short calls" is ``max(0, -sum of call sizes)`` on that underlying (puts alike): a short
option covered by a long one of the same kind carries no add-on, while a naked short always
needs at least 1% of the index on top of its scenario loss (the floor). The index is the
underlying's current one (``records.Underlying``), never a mark's copy (a series expired but
not yet marked at its settlement price keeps an old one). A series whose settlement price
is final (its mark is the known payoff, zero scenario P&L, zero vol) carries no add-on.

The 30% initial buffer applies only to the risk that the long options' value does not
already cover: a portfolio of long options, paid in full, needs ``initial = maintenance
<= its value`` (a long contract loses at most its mark in any scenario), while a short-only
one needs ``1.3 x maintenance``. Adding a hedge lowers maintenance and never lowers the
long value, so it never raises initial margin; every term is linear in size.

    equity = cash + sum of size x mark     (rounded down: shorts count against equity)

An account **meets initial margin** when its resting orders are backed (below); with no
orders that is: ``cash >= 0`` (premiums and fees are paid from cash: no borrowing) and
``equity >= initial``. It is **below maintenance** (liquidatable, risk-engine liquidation)
when ``equity < maintenance`` (positions only: liquidation cancels the orders).

**Resting orders are backed**: they must be fundable as if they filled, jointly. The account
record keeps, per series, the size and exact notional (``price x size``) of its bids and
asks and the highest bid and lowest ask price (``records.OrderTotals``), so the check never
reads an order. With ``B``/``A`` the bid/ask sizes, ``QB``/``QA`` those prices and
``fees = ceil(sum per series of min(maker fee x index x (B + A), fee cap x notionals))``
(a resting order pays the maker fee, rounded down on every fill, ``matching.fill_fee``):

    free cash    = cash - ceil(sum of bid notionals) - fees                          >= 0
    equity bound = cash - fees + floor(sum of size x mark
                     - sum per series of B x max(0, QB - mark) + A x max(0, mark - QA))
    initial bound: the rules above, each series' size ``y_i`` ranging over
                   ``[position - A, position + B]``: per scenario, the sum of each series'
                   worst ``y_i x loss_ik`` (worst), and of its worst ``y_i x loss_ik -
                   max(0, y_i) x m_i`` (uncovered, at least ``-long value`` with every ask
                   filled); net shorts counted with every ask filled
    equity bound >= initial bound

Each term is linear (or, for the long value, convex) in one series' size, so its worst over
``[position - A, position + B]`` sits at an end or at 0 and bounds every partial combination
of fills; a bid filled at ``q <= QB`` changes equity by ``size x (mark - q) >= -size x
max(0, QB - mark)``; premiums round in the maker's favour and fees stay under their bound.
So a fill of a backed order never leaves its owner unbacked unless the oracle moved (or the
account was settled) in between, and the bounds only improve as orders fill or are
cancelled. A resting bid near the mark needs its premium and its fee in cash (one far below
the mark needs the long's initial margin: fills better than the mark are not credited); an
account without collateral cannot rest an order (its fee bound alone exceeds its cash). On
an underlying without resting orders the bounds are exactly the positions' requirements.

A trade that leaves an account short of initial margin is still allowed when it **strictly
reduces risk**: its maintenance bound falls, its excess over initial (``equity - initial``,
both bounds) does not fall, and its free cash stays non-negative. A trader can always
work out of a shortfall, never deeper into one.

All scenario values depend only on the oracle state and are stored with each mark, so a
check is a sum of at most ``MAX_POSITIONS`` series x 23 products (positions and resting
orders together, ``orders.may_hold``) and never prices an option. Each mark carries its
weighted scenario losses (``Mark.weighted_loss``), so the worst loss is found on exact sums
and rounded up once (ceiling is monotone: the same result as rounding every scenario); the
sums run on vectors packed into one integer each (``vectors.py``). ``meets_initial`` first
tries a cheap sufficient test: per underlying, ``radius = sum of each series' largest size x
its largest scenario loss`` bounds the worst loss, so ``equity bound >= sum of 1.3 x (radius +
add-on)`` (rounded up) proves the check passes; only otherwise are the scenario sums taken.
Both give the same answer (tested against the rules written out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from node.stf import keys, vectors
from node.stf.errors import FailureCode
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_up, sdiv_floor
from node.stf.records import Account, Config, Mark, OrderTotals
from node.stf.scenarios import N_SCENARIOS
from node.stf.state import State

IM_BUFFER_PPM: Final = 300_000  # initial = maintenance + 30% of the part long value does not cover
NAKED_SHORT_ADDON_PPM: Final = 10_000  # 1% of the index per net short contract

# Mark keys by instrument id, built once: the same bytes object keeps its hash for the state's dict.
_mark_key: Final = lru_cache(maxsize=4096)(keys.mark)

_LOSS_SCALE: Final = E6 * PPM_DENOMINATOR  # size_e6 x weighted pnl (e6 x ppm) -> e6
_FEE_SCALE: Final = E6 * PPM_DENOMINATOR  # fee ppm x index x size, or fee ppm x notional (e12) -> e6


@dataclass(frozen=True, slots=True)
class UnderlyingRisk:
    """One underlying's part of an account's margin (collateral units e6).

    ``scenario_loss_e6``: weighted loss under each scenario (negative = gain), rounded up.
    ``worst_scenario``: index into ``scenarios.SCENARIOS`` of the largest loss.
    ``long_value_e6``: value of the long positions on the underlying (rounded down).
    ``uncovered_e6``: worst loss + add-on - long value, from exact sums, rounded up.
    """

    underlying_id: int
    index_e6: int
    scenario_loss_e6: tuple[int, ...]
    worst_scenario: int
    worst_loss_e6: int
    addon_e6: int
    long_value_e6: int
    uncovered_e6: int

    @property
    def maintenance_e6(self) -> int:
        return self.worst_loss_e6 + self.addon_e6

    @property
    def initial_e6(self) -> int:
        return self.maintenance_e6 + im_buffer_e6(self.uncovered_e6)


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """An account's margin on its positions, collateral units e6 (open orders not counted).

    ``complete`` is False if a position has no mark.
    """

    cash_e6: int
    value_e6: int
    maintenance_e6: int
    initial_e6: int
    underlyings: tuple[UnderlyingRisk, ...]
    complete: bool

    @property
    def equity_e6(self) -> int:
        return self.cash_e6 + self.value_e6

    @property
    def initial_excess_e6(self) -> int:
        """Equity above the initial requirement (negative = shortfall)."""
        return self.equity_e6 - self.initial_e6

    def meets_initial(self) -> bool:
        return self.complete and self.cash_e6 >= 0 and self.equity_e6 >= self.initial_e6

    def below_maintenance(self) -> bool:
        return self.complete and self.equity_e6 < self.maintenance_e6


class Backing(NamedTuple):
    """An account's margin with its resting orders counted as if filled (bounds, e6).

    Without open orders, ``free_cash_e6 == cash_e6`` and the bounds are the positions'
    own equity, maintenance and initial requirement (``MarginSummary``).
    """

    cash_e6: int
    free_cash_e6: int
    equity_e6: int
    maintenance_e6: int
    initial_e6: int
    complete: bool

    @property
    def excess_e6(self) -> int:
        """Equity bound above the initial bound (negative = shortfall)."""
        return self.equity_e6 - self.initial_e6

    @property
    def ok(self) -> bool:
        """Positions and resting orders meet initial margin (see module docstring)."""
        return self.complete and self.free_cash_e6 >= 0 and self.equity_e6 >= self.initial_e6


def _ceil_div(numerator: int, denominator: int) -> int:
    """Exact ceiling of ``numerator / denominator`` for ``denominator > 0`` (= ``fixedpoint.sdiv_ceil``).

    Inlined here because a margin check runs it on every fill.
    """
    return -((-numerator) // denominator)


def im_buffer_e6(uncovered_e6: int) -> int:
    """The initial buffer on top of maintenance: ``30% x max(0, uncovered)``, rounded up."""
    if uncovered_e6 <= 0:
        return 0
    return _ceil_div(uncovered_e6 * IM_BUFFER_PPM, PPM_DENOMINATOR)


class _Underlying:
    """One underlying's scalar sums over an account's series: the add-on's inputs and the
    radius, ``sum of largest size x largest scenario loss`` (loss units, e6 x e6 x ppm), which
    bounds its loss in every scenario (the cheap sufficient test)."""

    __slots__ = ("index_e6", "calls", "puts", "radius")

    def __init__(self, index_e6: int) -> None:
        self.index_e6 = index_e6  # the underlying's current index
        self.calls = 0  # net call size (with orders: every ask filled)
        self.puts = 0
        self.radius = 0

    def addon_e6(self) -> int:
        naked = max(-self.calls, 0) + max(-self.puts, 0)
        return mul_div_up(naked * self.index_e6, NAKED_SHORT_ADDON_PPM, E6 * PPM_DENOMINATOR)


class _Scalars:
    """One account's scalar sums (values e12): equity, its orders' cash needs, per underlying."""

    __slots__ = ("underlyings", "value_e12", "haircut_e12", "bid_notional_e12", "fees", "complete")

    def __init__(self) -> None:
        self.underlyings: dict[int, _Underlying] = {}
        self.value_e12 = 0  # sum of size x mark
        self.haircut_e12 = 0  # orders: what fills above (bids) or below (asks) the mark could cost
        self.bid_notional_e12 = 0
        self.fees = 0  # orders: the most their maker fees can add up to, e6 x e6 x ppm
        self.complete = True


def _scalars(state: State, positions: tuple[tuple[int, int], ...], totals: tuple[OrderTotals, ...]) -> _Scalars:
    """One pass over an account's series (module docstring), without the scenario vectors."""
    out = _Scalars()
    underlyings = out.underlyings
    get, mark_key = state.get, _mark_key
    ordered = {t[0] for t in totals} if totals else ()
    value_e12 = 0
    for instrument_id, size in positions:
        mark: Mark | None = get(mark_key(instrument_id))
        if mark is None:
            out.complete = False
            continue
        value_e12 += size * mark.mark_e6
        if instrument_id in ordered:
            continue  # counted with its orders
        u = underlyings.get(mark.underlying_id)
        if u is None:
            u = underlyings[mark.underlying_id] = _Underlying(_index_e6(state, mark.underlying_id))
        u.radius += (size if size > 0 else -size) * mark.max_loss
        if mark.vol_e6:  # (no add-on once the settlement price is final: the outcome is known)
            if mark.is_call:
                u.calls += size
            else:
                u.puts += size
    out.value_e12 = value_e12
    if not totals:
        return out
    held = dict(positions)
    config: Config = get(keys.CONFIG)
    maker_fee_ppm, fee_cap_ppm = config.maker_fee_ppm, config.fee_cap_ppm
    bid_notionals = fees = haircut = 0
    for instrument_id, bids, bid_notional, bid_max, asks, ask_notional, ask_min in totals:
        mark = get(mark_key(instrument_id))
        if mark is None:
            out.complete = False
            continue
        price = mark.mark_e6
        position = held.get(instrument_id, 0)
        low, high = position - asks, position + bids
        u = underlyings.get(mark.underlying_id)
        if u is None:
            u = underlyings[mark.underlying_id] = _Underlying(_index_e6(state, mark.underlying_id))
        bid_notionals += bid_notional
        by_index = maker_fee_ppm * u.index_e6 * (bids + asks)
        by_price = fee_cap_ppm * (bid_notional + ask_notional)
        fees += by_index if by_index < by_price else by_price
        if bid_max > price:
            haircut += bids * (bid_max - price)
        if asks and price > ask_min:
            haircut += asks * (price - ask_min)
        u.radius += (high if high > -low else -low) * mark.max_loss
        if mark.vol_e6:
            if mark.is_call:
                u.calls += low
            else:
                u.puts += low
    out.bid_notional_e12 = bid_notionals
    out.fees = fees
    out.haircut_e12 = haircut
    return out


class _Exposure:
    """One underlying's scenario sums, exact: packed at ``width`` (loss units per entry)."""

    __slots__ = ("orders", "loss", "worst", "uncovered", "long_value", "floor")

    def __init__(self) -> None:
        self.orders = False  # some series of the underlying has resting orders
        self.loss = 0  # size x loss vector over the positions on series without orders
        self.worst = 0  # plus, per series with orders, the worse end of its size range
        self.uncovered = 0  # loss - long value, per series its worst size for that
        self.long_value = 0  # long value (e12) of the positions on series without orders
        self.floor = 0  # their series' long value with every ask filled (e12)


def _width(positions: tuple[tuple[int, int], ...], ranges: list[tuple[int, int, Mark]]) -> int:
    """The narrowest packing width (``vectors.py``) that keeps every sum of these sizes exact."""
    largest = max([abs(size) for _, size in positions] + [max(high, -low) for low, high, _ in ranges], default=0)
    width = vectors.BASE_WIDTH
    while largest >= vectors.size_limit(width):
        width *= 2
    return width


def _exposures(state: State, positions: tuple[tuple[int, int], ...],
               totals: tuple[OrderTotals, ...]) -> tuple[int, dict[int, _Exposure]]:
    """The packed width and, per underlying, its exact scenario sums (module docstring)."""
    get, mark_key = state.get, _mark_key
    held = dict(positions)
    ranges = []
    for t in totals:
        mark: Mark | None = get(mark_key(t.instrument_id))
        if mark is not None:
            position = held.pop(t.instrument_id, 0)
            ranges.append((position - t.ask_size_e6, position + t.bid_size_e6, mark))
    width = _width(positions, ranges)
    ones = vectors.ones(width)
    out: dict[int, _Exposure] = {}
    for instrument_id, size in held.items():
        mark = get(mark_key(instrument_id))
        if mark is None:
            continue
        e = out.get(mark.underlying_id)
        if e is None:
            e = out[mark.underlying_id] = _Exposure()
        e.loss += size * mark.packed(width)[0]
        if size > 0:
            e.long_value += size * mark.mark_e6
    for e in out.values():
        e.worst = e.loss
        e.uncovered = e.loss - e.long_value * PPM_DENOMINATOR * ones
    for low, high, mark in ranges:
        e = out.get(mark.underlying_id)
        if e is None:
            e = out[mark.underlying_id] = _Exposure()
        e.orders = True
        losses, up, down = mark.packed(width)
        e.worst += high * up + low * down  # per scenario the worse end of the range
        if low >= 0:  # never short: loss - long value falls as the size grows, worst at the low end
            e.uncovered += low * losses - low * mark.mark_e6 * PPM_DENOMINATOR * ones
            e.floor += low * mark.mark_e6
        else:  # no long value below 0: worst at 0 (or the top, if below 0) when losing on longs
            e.uncovered += min(high, 0) * up + low * down
    return width, out


def _requirements(state: State, account: Account, scalars: _Scalars) -> tuple[int, int]:
    """(maintenance, initial) bounds of ``account``, exact (module docstring)."""
    width, exposures = _exposures(state, account.positions, account.order_totals)
    maintenance = initial = 0
    for underlying_id, e in exposures.items():
        addon = scalars.underlyings[underlying_id].addon_e6()
        worst = max(vectors.max_entry(e.worst, width), 0)
        if not e.orders:  # loss - long value at the worst scenario
            uncovered = worst - e.long_value * PPM_DENOMINATOR
        else:
            least = -(e.long_value + e.floor) * PPM_DENOMINATOR
            uncovered = max(vectors.max_entry(e.uncovered, width), least)
        mm = _ceil_div(worst, _LOSS_SCALE) + addon
        maintenance += mm
        initial += mm + im_buffer_e6(_ceil_div(uncovered, _LOSS_SCALE) + addon)
    return maintenance, initial


def _index_e6(state: State, underlying_id: int) -> int:
    return state.get(keys.underlying(underlying_id)).index_price_e6


def summarise_positions(state: State, cash_e6: int, positions: tuple[tuple[int, int], ...]) -> MarginSummary:
    """Margin of ``positions`` (``(instrument_id, size_e6)``) with ``cash_e6`` against the stored marks."""
    scalars = _scalars(state, positions, ())
    width, exposures = _exposures(state, positions, ())
    risks = []
    maintenance = initial = 0
    for underlying_id in sorted(exposures):
        e, u = exposures[underlying_id], scalars.underlyings[underlying_id]
        losses = tuple(_ceil_div(x, _LOSS_SCALE) for x in vectors.unpack(e.loss, width))
        worst_k = max(range(N_SCENARIOS), key=losses.__getitem__)
        worst = max(vectors.max_entry(e.loss, width), 0)
        addon = u.addon_e6()
        uncovered = _ceil_div(worst - e.long_value * PPM_DENOMINATOR, _LOSS_SCALE) + addon
        risk = UnderlyingRisk(underlying_id, u.index_e6, losses, worst_k, max(losses[worst_k], 0), addon,
                              e.long_value // E6, uncovered)
        risks.append(risk)
        maintenance += risk.maintenance_e6
        initial += risk.initial_e6
    return MarginSummary(cash_e6, sdiv_floor(scalars.value_e12, E6), maintenance, initial, tuple(risks),
                         scalars.complete)


def summarise(state: State, account: Account) -> MarginSummary:
    """Margin of ``account``'s positions (its open orders are not counted)."""
    return summarise_positions(state, account.balance_e6, account.positions)


def backing(state: State, account: Account) -> Backing:
    """``account``'s margin with its resting orders counted (module docstring)."""
    return _backing(state, account, exact=True)


def _backing(state: State, account: Account, exact: bool) -> Backing:
    """``backing``; with ``exact`` False, ``maintenance_e6`` and ``initial_e6`` may be upper
    bounds (each series' largest size times its largest scenario loss; maintenance plus 30%,
    as uncovered <= maintenance) when those already fit within the equity bound."""
    cash = account.balance_e6
    scalars = _scalars(state, account.positions, account.order_totals)
    if account.order_totals:
        fees = _ceil_div(scalars.fees, _FEE_SCALE)
        free_cash = cash - _ceil_div(scalars.bid_notional_e12, E6) - fees
        equity = cash - fees + sdiv_floor(scalars.value_e12 - scalars.haircut_e12, E6)
    else:
        free_cash, equity = cash, cash + sdiv_floor(scalars.value_e12, E6)
    if not exact:
        maintenance = ceiling = 0
        for u in scalars.underlyings.values():
            mm = _ceil_div(u.radius, _LOSS_SCALE) + u.addon_e6()
            maintenance += mm
            ceiling += mm + im_buffer_e6(mm)
        if equity >= ceiling:
            return Backing(cash, free_cash, equity, maintenance, ceiling, scalars.complete)
    maintenance, initial = _requirements(state, account, scalars)
    return Backing(cash, free_cash, equity, maintenance, initial, scalars.complete)


def meets_initial(state: State, account: Account) -> bool:
    """True if ``account``'s positions and resting orders meet initial margin (module docstring)."""
    if not account.positions and not account.order_totals:
        return account.balance_e6 >= 0
    return _backing(state, account, exact=False).ok


def initial_failure(state: State, account: Account) -> FailureCode:
    """``OK`` if ``account`` meets initial margin, else why not.

    ``INSUFFICIENT_BALANCE`` (cash negative) or ``INSUFFICIENT_MARGIN`` when its positions
    alone fail; otherwise its resting orders are the cause: ``ORDERS_EXCEED_BALANCE`` (cash
    does not cover the open bids and fees) or ``ORDERS_EXCEED_MARGIN``.
    """
    if meets_initial(state, account):
        return FailureCode.OK
    result = backing(state, account)
    if account.balance_e6 < 0:
        return FailureCode.INSUFFICIENT_BALANCE
    if not account.order_totals or not summarise(state, account).meets_initial():
        return FailureCode.INSUFFICIENT_MARGIN
    if result.free_cash_e6 < 0:
        return FailureCode.ORDERS_EXCEED_BALANCE
    return FailureCode.ORDERS_EXCEED_MARGIN


def reduces_risk(state: State, before: Account, after: Account) -> bool:
    """The trade from ``before`` to ``after`` strictly reduces risk (see module docstring)."""
    if after.balance_e6 < 0:
        return False
    old, new = backing(state, before), backing(state, after)
    return (
        new.complete
        and new.free_cash_e6 >= 0
        and new.maintenance_e6 < old.maintenance_e6
        and new.excess_e6 >= old.excess_e6
    )
