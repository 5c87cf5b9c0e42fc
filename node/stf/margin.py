"""Portfolio margin: the worst loss over a fixed scenario grid, add-ons for naked shorts, and
the backing of resting orders.

**Positions.** For each underlying an account trades (``scenarios.py`` defines the 23 scenarios):

    loss[k]      = - weight[k] x sum over its positions of size x scenario_pnl[k]  (rounded up)
    worst        = max(0, max_k loss[k])
    add-on       = 1% x index x (net short calls + net short puts)        (rounded up)
    maintenance  = worst + add-on
    long value   = sum over its long positions of size x mark             (rounded up)
    initial      = maintenance + 30% x max(0, maintenance - long value)   (rounded up)

and an account's maintenance and initial requirements are the sums over its underlyings.
"Net short calls" is ``max(0, -sum of call sizes)`` on that underlying (puts alike): a short
option covered by a long one of the same kind carries no add-on, while a naked short always
needs at least 1% of the index on top of its scenario loss (the floor). The index is the
underlying's current one (``records.Underlying``), never a mark's copy (a series expired but
not yet marked at its settlement price keeps an old one). A series whose settlement price
is final (its mark is the known payoff, zero scenario P&L, zero vol) carries no add-on.

The initial buffer applies only to the part of the risk that the long options' value does
not already cover: a portfolio of long options, paid in full, needs ``initial = maintenance
<= its value`` (its worst loss is at most what it is worth), while a short-only one needs
``1.3 x maintenance``. Adding a hedge lowers maintenance and never lowers the long value,
so it never raises initial margin; every term is linear in size.

    equity = cash + sum of size x mark     (rounded down: shorts count against equity)

An account **meets initial margin** when its resting orders are backed (below) and, with no
orders, that is: ``cash >= 0`` (premiums and fees are paid from cash: no borrowing) and
``equity >= initial``. It is **below maintenance** (liquidatable, risk-engine liquidation)
when ``equity < maintenance`` (positions only: liquidation cancels the orders).

**Resting orders are backed**: they must be fundable as if they filled, jointly. The account
record keeps, per series, the size and exact notional (``price x size``) of its bids and
asks, the highest bid and lowest ask price (``records.OrderTotals``), so the check never
reads an order. With ``B``/``A`` the bid/ask sizes, ``QB``/``QA`` those prices and ``fees``
the worst-case maker fee of every open order, ``ceil(fee_cap x sum of notionals)`` (a fill's
fee never exceeds its cap, ``matching.fill_fee``):

    free cash    = cash - ceil(sum of bid notionals) - fees                          >= 0
    equity bound = cash - fees + floor(sum of size x mark
                     - sum per series of B x max(0, QB - mark) + A x max(0, mark - QA))
    initial bound: the rules above with, per series and scenario, the position's P&L plus
                   the worse of "all bids filled" (B x pnl[k]) and "all asks filled"
                   (-A x pnl[k]); net shorts and long value counted with every ask filled
    equity bound >= initial bound

Loss per scenario is linear in each series' fill, so per series and scenario the worse of
"all bids filled" and "all asks filled" bounds every partial combination; a bid filled at
``q <= QB`` changes equity by ``size x (mark - q) >= -size x max(0, QB - mark)``; premiums
round in the maker's favour and fees stay under their cap. So a fill of a backed order never
leaves its owner unbacked unless the oracle moved in between, and the bounds only fall as
orders fill or are cancelled. An account without cash cannot rest an order (its fee bound
alone exceeds it).

A trade that leaves an account short of initial margin is still allowed when it **strictly
reduces risk**: its maintenance bound falls, its excess over initial (``equity - initial``,
both bounds) does not fall, and its free cash stays non-negative. A trader can always
work out of a shortfall, never deeper into one.

All scenario values depend only on the oracle state and are stored with each mark, so a
check is a sum of at most ``MAX_POSITIONS`` series x 23 products (positions and order
totals together, see ``params.py``) and never prices an option. Each mark carries its
scenario P&L multiplied by the scenario weights (``Mark.weighted_pnl``), so the worst loss
is found on exact sums and rounded up once (ceiling is monotone: the same result as
rounding every scenario).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import mul
from typing import Final

from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_up, sdiv_floor
from node.stf.records import Account, Config, Mark, OrderTotals
from node.stf.scenarios import N_SCENARIOS
from node.stf.state import State

IM_BUFFER_PPM: Final = 300_000  # initial = maintenance + 30% of the part long value does not cover
NAKED_SHORT_ADDON_PPM: Final = 10_000  # 1% of the index per net short contract

_LOSS_SCALE: Final = E6 * PPM_DENOMINATOR  # size_e6 x weighted pnl (e6 x ppm) -> e6
_FEE_SCALE: Final = E6 * PPM_DENOMINATOR  # fee_cap_ppm x notional (e12) -> e6


@dataclass(frozen=True, slots=True)
class UnderlyingRisk:
    """One underlying's part of an account's margin (collateral units e6).

    ``scenario_loss_e6``: weighted loss under each scenario (negative = gain), rounded up.
    ``worst_scenario``: index into ``scenarios.SCENARIOS`` of the largest loss.
    ``long_value_e6``: value of the long positions on the underlying, rounded up.
    """

    underlying_id: int
    index_e6: int
    scenario_loss_e6: tuple[int, ...]
    worst_scenario: int
    worst_loss_e6: int
    addon_e6: int
    long_value_e6: int

    @property
    def maintenance_e6(self) -> int:
        return self.worst_loss_e6 + self.addon_e6

    @property
    def initial_e6(self) -> int:
        return initial_from(self.maintenance_e6, self.long_value_e6)


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


@dataclass(frozen=True, slots=True)
class Backing:
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


def initial_from(maintenance_e6: int, long_value_e6: int) -> int:
    """One underlying's initial requirement: ``maintenance + 30% x max(0, maintenance - long value)``."""
    uncovered = maintenance_e6 - long_value_e6
    if uncovered <= 0:
        return maintenance_e6
    return maintenance_e6 + _ceil_div(uncovered * IM_BUFFER_PPM, PPM_DENOMINATOR)


class _Sums:
    """Exact (unrounded) sums of one account, per underlying and in total; see ``_sums``."""

    __slots__ = ("groups", "value_e12", "haircut_e12", "bid_notional_e12", "notional_e12", "complete")

    def __init__(self) -> None:
        # underlying -> [sizes, weighted vectors, net calls, net puts, long value e12]
        self.groups: dict[int, list] = {}
        self.value_e12 = 0  # sum of size x mark
        self.haircut_e12 = 0  # orders: what fills above (bids) or below (asks) the mark could cost
        self.bid_notional_e12 = 0
        self.notional_e12 = 0
        self.complete = True


def _sums(state: State, positions: tuple[tuple[int, int], ...], totals: tuple[OrderTotals, ...]) -> _Sums:
    """Accumulate positions (and, if any, order totals: each series' worst fills) per underlying."""
    out = _Sums()
    groups = out.groups
    value_e12 = 0
    for instrument_id, size in positions:
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            out.complete = False
            continue
        worth = size * mark.mark_e6
        value_e12 += worth
        group = groups.get(mark.underlying_id)
        if group is None:
            group = groups[mark.underlying_id] = [[], [], 0, 0, 0]
        group[0].append(size)
        group[1].append(mark.weighted_pnl)
        if size > 0:
            group[4] += worth
        if mark.vol_e6 == 0:
            continue  # expired with a final settlement price: the outcome is known, no add-on
        if mark.is_call:
            group[2] += size
        else:
            group[3] += size
    out.value_e12 = value_e12
    if totals:
        _add_orders(state, out, positions, totals)
    return out


def _add_orders(state: State, out: _Sums, positions: tuple[tuple[int, int], ...],
                totals: tuple[OrderTotals, ...]) -> None:
    """Add each series' resting orders at their worst (module docstring) to ``out``."""
    held = dict(positions)
    groups = out.groups
    for t in totals:
        mark: Mark | None = state.get(keys.mark(t.instrument_id))
        if mark is None:
            out.complete = False
            continue
        bids, asks, price = t.bid_size_e6, t.ask_size_e6, mark.mark_e6
        out.bid_notional_e12 += t.bid_notional_e12
        out.notional_e12 += t.bid_notional_e12 + t.ask_notional_e12
        if bids and t.bid_max_e6 > price:
            out.haircut_e12 += bids * (t.bid_max_e6 - price)
        if asks and price > t.ask_min_e6:
            out.haircut_e12 += asks * (price - t.ask_min_e6)
        group = groups.get(mark.underlying_id)
        if group is None:
            group = groups[mark.underlying_id] = [[], [], 0, 0, 0]
        group[0].append(1)
        group[1].append([bids * v if v < 0 else -asks * v for v in mark.weighted_pnl])
        position = held.get(t.instrument_id, 0)
        if asks and position > 0:
            group[4] -= min(position, asks) * price  # longs that filled asks would sell
        if mark.vol_e6 == 0:
            continue
        if mark.is_call:
            group[2] -= asks
        else:
            group[3] -= asks


def _index_e6(state: State, underlying_id: int) -> int:
    return state.get(keys.underlying(underlying_id)).index_price_e6


def _addon_e6(calls: int, puts: int, index_e6: int) -> int:
    naked = max(-calls, 0) + max(-puts, 0)
    return mul_div_up(naked * index_e6, NAKED_SHORT_ADDON_PPM, E6 * PPM_DENOMINATOR)


def summarise_positions(state: State, cash_e6: int, positions: tuple[tuple[int, int], ...]) -> MarginSummary:
    """Margin of ``positions`` (``(instrument_id, size_e6)``) with ``cash_e6`` against the stored marks."""
    sums = _sums(state, positions, ())
    risks = []
    maintenance = initial = 0
    for underlying_id in sorted(sums.groups):
        sizes, vectors, calls, puts, long_e12 = sums.groups[underlying_id]
        pnl = [sum(map(mul, sizes, column)) for column in zip(*vectors)]  # per scenario, e6 x e6 x ppm
        losses = tuple(_ceil_div(-p, _LOSS_SCALE) for p in pnl)
        worst_k = max(range(N_SCENARIOS), key=losses.__getitem__)
        index = _index_e6(state, underlying_id)
        risk = UnderlyingRisk(
            underlying_id, index, losses, worst_k, max(losses[worst_k], 0), _addon_e6(calls, puts, index),
            _ceil_div(long_e12, E6),
        )
        risks.append(risk)
        maintenance += risk.maintenance_e6
        initial += risk.initial_e6
    return MarginSummary(cash_e6, sdiv_floor(sums.value_e12, E6), maintenance, initial, tuple(risks), sums.complete)


def summarise(state: State, account: Account) -> MarginSummary:
    """Margin of ``account``'s positions (its open orders are not counted)."""
    return summarise_positions(state, account.balance_e6, account.positions)


def backing(state: State, account: Account) -> Backing:
    """``account``'s margin with its resting orders counted (module docstring)."""
    cash = account.balance_e6
    totals = account.order_totals
    sums = _sums(state, account.positions, totals)
    maintenance = initial = 0
    for underlying_id, (sizes, vectors, calls, puts, long_e12) in sums.groups.items():
        least = min(sum(map(mul, sizes, column)) for column in zip(*vectors))
        worst = _ceil_div(-least, _LOSS_SCALE) if least < 0 else 0
        mm = worst + _addon_e6(calls, puts, _index_e6(state, underlying_id))
        maintenance += mm
        initial += initial_from(mm, _ceil_div(long_e12, E6))
    if not totals:
        return Backing(cash, cash, cash + sdiv_floor(sums.value_e12, E6), maintenance, initial, sums.complete)
    config: Config = state.get(keys.CONFIG)
    fees = _ceil_div(config.fee_cap_ppm * sums.notional_e12, _FEE_SCALE)
    free_cash = cash - _ceil_div(sums.bid_notional_e12, E6) - fees
    equity = cash - fees + sdiv_floor(sums.value_e12 - sums.haircut_e12, E6)
    return Backing(cash, free_cash, equity, maintenance, initial, sums.complete)


def meets_initial(state: State, account: Account) -> bool:
    """True if ``account``'s positions and resting orders meet initial margin (module docstring)."""
    if not account.positions and not account.order_totals:
        return account.balance_e6 >= 0
    return backing(state, account).ok


def initial_failure(state: State, account: Account) -> FailureCode:
    """``OK`` if ``account`` meets initial margin, else why not.

    ``INSUFFICIENT_BALANCE`` (cash negative) or ``INSUFFICIENT_MARGIN`` when its positions
    alone fail; otherwise its resting orders are the cause: ``ORDERS_EXCEED_BALANCE`` (cash
    does not cover the open bids and fees) or ``ORDERS_EXCEED_MARGIN``.
    """
    result = backing(state, account)
    if result.ok:
        return FailureCode.OK
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
