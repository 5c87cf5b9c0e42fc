"""Risk queries: an account's margin broken down, its Greeks, and what a fill would do.

Read-only functions over a ``State`` (they never write), for the node's query API and
tools. They apply the STF's own rules (``margin.py``, ``matching.py``) and never restate
them: a breakdown is ``margin.summarise`` plus an attribution of each underlying's
scenario loss to its positions, and a what-if runs the same validation and margin checks
a real fill runs.

Units: ``*_e6`` are collateral units x 1e6 (sizes: contracts x 1e6), ``*_ppm`` parts per
million, Greeks ``WAD`` (1e18 = 1.0).

**Contributions.** At an underlying's worst scenario ``k`` the STF charges
``loss = ceil(-weight[k] x sum_i size_i x pnl_i[k])`` (e6; see ``margin.py``). Position
``i`` contributes its own term, ``-weight[k] x size_i x pnl_i[k]``, rounded by *cumulative
rounding*: with ``S_i`` the exact sum of the first ``i`` terms (positions in instrument id
order), position ``i`` is given ``ceil(S_i) - ceil(S_{i-1})``. So the contributions add
up **exactly** to the scenario loss, and each is within one unit (1e-6) of its exact
share. The underlying's worst loss is ``max(0, scenario loss)``: when the portfolio gains
in every scenario, the contributions add up to that (negative) least gain and the worst
loss is 0. The naked-short add-on is the underlying's, not any position's.

**Greeks.** ``size x`` the per-contract Greek stored with each mark (``records.Mark``):
per underlying ``sum_i size_e6_i x greek_i / 1e6`` (WAD), truncated toward zero once per
underlying; the total is the sum over underlyings. Delta is in units of the underlying
(one contract is one unit), gamma the change of that delta per one unit of spot, vega
collateral units per 1.00 (100 vol points) of volatility, theta collateral units per
365-day year (negative: value lost as time passes). The totals of delta and gamma add
different underlyings' units and mean something only for a single-underlying account.

**What-if.** One fill of ``size_e6`` at ``price_e6`` as the taker: the order is validated
as placing an IOC order does (``matching.validate_order``, as of the state's last block time),
the premium ``price x size / 1e6`` moves (rounded in the maker's favour, as in a fill) and
the **taker fee** of the genesis config is charged (the larger of the two rates, so an
order accepted as taker is also accepted as maker), then the STF's own rule decides: the
account meets initial margin after, its resting orders included, or the fill strictly
reduces its risk (``margin.reduces_risk``). The counterparty's margin and the book are not
considered.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf import accounts, keys, margin
from node.stf.errors import FailureCode, TxFailure
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, sdiv, sdiv_ceil, sdiv_floor
from node.stf.margin import MarginSummary
from node.stf.matching import fill_fee, premium_e6, validate_order
from node.stf.orders import may_hold
from node.stf.records import Account, Config, Globals, Instrument, Mark
from node.stf.scenarios import SCENARIOS, shocked_vol_e6, vol_shock_ppm
from node.stf.state import State
from node.stf.txtypes import PlaceOrder, Side, TimeInForce

_VOL_WORDS = {-1: "down", 0: "flat", 1: "up"}


# ---------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True, slots=True)
class ScenarioMove:
    """One scenario of ``scenarios.SCENARIOS`` in words and numbers.

    ``spot_move_ppm``: the index move (signed, 150_000 = +15%). ``vol_direction``: -1 down,
    0 flat, +1 up (its size depends on each series' time to expiry, see ``scenarios.py``).
    ``weight_ppm``: the share of the loss that counts (1_000_000 = all of it).
    """

    index: int
    spot_move_ppm: int
    vol_direction: int
    weight_ppm: int

    @property
    def description(self) -> str:
        """E.g. ``"spot +15%, vol up"`` or ``"spot -30%, vol up, loss counts at 35%"``."""
        text = f"spot {_signed_percent(self.spot_move_ppm)}, vol {_VOL_WORDS[self.vol_direction]}"
        if self.weight_ppm != PPM_DENOMINATOR:
            text += f", loss counts at {_percent(self.weight_ppm)}"
        return text


def _percent(ppm: int) -> str:
    """``ppm`` as a percentage, exact (e.g. 350_000 -> ``"35%"``, 12_500 -> ``"1.25%"``)."""
    whole, frac = divmod(abs(ppm), 10_000)
    digits = f"{frac:04d}".rstrip("0")
    return ("-" if ppm < 0 else "") + (f"{whole}.{digits}%" if digits else f"{whole}%")


def _signed_percent(ppm: int) -> str:
    return ("+" if ppm > 0 else "") + _percent(ppm)


def scenario_move(k: int) -> ScenarioMove:
    """Scenario ``k`` of ``scenarios.SCENARIOS``."""
    spot_ppm, vol_dir, weight = SCENARIOS[k]
    return ScenarioMove(k, spot_ppm - PPM_DENOMINATOR, vol_dir, weight)


# ---------------------------------------------------------------------------------------
# Margin breakdown


@dataclass(frozen=True, slots=True)
class PositionRisk:
    """One position at its underlying's worst scenario.

    ``value_e6``: ``size x mark`` (rounded down). ``scenario_vol_e6``: the vol the scenario
    prices this series at (its smile vol shocked by ``vol_shock_ppm``, a signed relative move
    set by its time to expiry; both 0 for a settled series, whose mark has no vol).
    ``scenario_pnl_e6``: P&L of one long contract under the scenario (``Mark.scenario_pnl_e6``).
    ``contribution_e6``: this position's share of the underlying's scenario loss (weighted;
    positive = it loses; see the module docstring).
    """

    instrument_id: int
    size_e6: int
    mark_e6: int
    value_e6: int
    vol_e6: int
    vol_shock_ppm: int
    scenario_vol_e6: int
    scenario_pnl_e6: int
    contribution_e6: int


@dataclass(frozen=True, slots=True)
class UnderlyingBreakdown:
    """One underlying's part of the requirement (collateral units e6).

    ``scenario_loss_e6``: the weighted loss at the worst scenario (negative = every
    scenario gains); ``worst_loss_e6 = max(0, scenario_loss_e6)``;
    ``maintenance_e6 = worst_loss_e6 + addon_e6``; ``long_value_e6``: the long positions'
    value (rounded down); ``uncovered_e6``: worst loss + add-on - long value (from exact sums,
    rounded up); ``initial_e6 = maintenance + 30% x max(0, uncovered)`` (``margin.py``).
    ``positions`` add up to ``scenario_loss_e6`` exactly.
    """

    underlying_id: int
    index_e6: int
    worst: ScenarioMove
    scenario_loss_e6: int
    worst_loss_e6: int
    addon_e6: int
    maintenance_e6: int
    long_value_e6: int
    uncovered_e6: int
    initial_e6: int
    positions: tuple[PositionRisk, ...]


@dataclass(frozen=True, slots=True)
class MarginBreakdown:
    """An account's margin (collateral units e6), as the STF computes it, with its parts.

    ``equity = cash + value`` (value: sum of size x mark, rounded down);
    ``available = equity - initial`` (negative: a shortfall; what a withdrawal could take
    is ``min(cash, available)``). ``unmarked``: instrument ids held without a mark (the STF
    then refuses every fill and withdrawal, ``complete`` is False).
    """

    cash_e6: int
    value_e6: int
    equity_e6: int
    maintenance_e6: int
    initial_e6: int
    available_e6: int
    meets_initial: bool
    below_maintenance: bool
    complete: bool
    underlyings: tuple[UnderlyingBreakdown, ...]
    unmarked: tuple[int, ...]


def _position_risks(
    state: State, positions: list[tuple[int, int, Mark]], k: int, weight_ppm: int, vol_dir: int
) -> tuple[PositionRisk, ...]:
    """Each position's contribution at scenario ``k``, by cumulative rounding (exact sum)."""
    denominator = E6 * PPM_DENOMINATOR
    out = []
    exact_sum = 0
    rounded_sum = 0
    for instrument_id, size, mark in positions:
        pnl = mark.scenario_pnl_e6[k]
        exact_sum += -size * pnl * weight_ppm
        rounded = sdiv_ceil(exact_sum, denominator)
        inst: Instrument = state.get(keys.instrument(instrument_id))
        if mark.vol_e6:
            seconds = inst.expiry - mark.time if inst.expiry > mark.time else 0
            shock = vol_dir * vol_shock_ppm(seconds)
            scenario_vol = shocked_vol_e6(mark.vol_e6, vol_dir, abs(shock))
        else:  # settled: the payoff is known, no vol and no scenario moves
            shock = scenario_vol = 0
        out.append(PositionRisk(
            instrument_id, size, mark.mark_e6, sdiv_floor(size * mark.mark_e6, E6),
            mark.vol_e6, shock, scenario_vol, pnl, rounded - rounded_sum,
        ))
        rounded_sum = rounded
    return tuple(out)


def margin_breakdown_positions(
    state: State, cash_e6: int, positions: tuple[tuple[int, int], ...]
) -> MarginBreakdown:
    """The breakdown of ``positions`` (``(instrument_id, size_e6)``, sorted) with ``cash_e6``."""
    summary = margin.summarise_positions(state, cash_e6, positions)
    by_underlying: dict[int, list[tuple[int, int, Mark]]] = {}
    unmarked = []
    for instrument_id, size in positions:
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            unmarked.append(instrument_id)
            continue
        by_underlying.setdefault(mark.underlying_id, []).append((instrument_id, size, mark))
    parts = []
    for risk in summary.underlyings:
        move = scenario_move(risk.worst_scenario)
        held = _position_risks(
            state, by_underlying[risk.underlying_id], risk.worst_scenario, move.weight_ppm, move.vol_direction
        )
        parts.append(UnderlyingBreakdown(
            risk.underlying_id, risk.index_e6, move, risk.scenario_loss_e6[risk.worst_scenario],
            risk.worst_loss_e6, risk.addon_e6, risk.maintenance_e6, risk.long_value_e6, risk.uncovered_e6,
            risk.initial_e6, held,
        ))
    return MarginBreakdown(
        summary.cash_e6, summary.value_e6, summary.equity_e6, summary.maintenance_e6, summary.initial_e6,
        summary.initial_excess_e6, summary.meets_initial(), summary.below_maintenance(), summary.complete,
        tuple(parts), tuple(unmarked),
    )


def margin_breakdown(state: State, address: bytes) -> MarginBreakdown:
    """The margin of the account at ``address`` with its parts (an empty account: all zero)."""
    account = accounts.load(state, address)
    return margin_breakdown_positions(state, account.balance_e6, account.positions)


# ---------------------------------------------------------------------------------------
# Greeks


@dataclass(frozen=True, slots=True)
class UnderlyingGreeks:
    """Greeks of an account's positions on one underlying (WAD; units in the module docstring)."""

    underlying_id: int
    delta: int
    gamma: int
    vega: int
    theta: int


@dataclass(frozen=True, slots=True)
class Greeks:
    """Portfolio Greeks, per underlying and in total (WAD). ``complete``: every position has a mark."""

    delta: int
    gamma: int
    vega: int
    theta: int
    underlyings: tuple[UnderlyingGreeks, ...]
    complete: bool


def positions_greeks(state: State, positions: tuple[tuple[int, int], ...]) -> Greeks:
    """Greeks of ``positions`` (``(instrument_id, size_e6)``) from the stored marks."""
    sums: dict[int, list[int]] = {}
    complete = True
    for instrument_id, size in positions:
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            complete = False
            continue
        acc = sums.setdefault(mark.underlying_id, [0, 0, 0, 0])
        acc[0] += size * mark.delta
        acc[1] += size * mark.gamma
        acc[2] += size * mark.vega
        acc[3] += size * mark.theta
    per = tuple(
        UnderlyingGreeks(u, *(sdiv(v, E6) for v in sums[u])) for u in sorted(sums)
    )
    return Greeks(
        sum(g.delta for g in per), sum(g.gamma for g in per), sum(g.vega for g in per),
        sum(g.theta for g in per), per, complete,
    )


def portfolio_greeks(state: State, address: bytes) -> Greeks:
    """Greeks of the account at ``address``."""
    return positions_greeks(state, accounts.load(state, address).positions)


# ---------------------------------------------------------------------------------------
# What-if


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Margin before and after one hypothetical fill, and whether the STF would take it.

    ``code``: ``OK`` if the fill would be accepted, otherwise the failure the STF would
    report (a validation code, ``TOO_MANY_POSITIONS``, or ``margin.initial_failure``'s:
    ``INSUFFICIENT_BALANCE``, ``INSUFFICIENT_MARGIN``, ``ORDERS_EXCEED_BALANCE``,
    ``ORDERS_EXCEED_MARGIN``). ``cash_delta_e6``: the account's cash change (premium,
    signed, minus ``fee_e6``). ``before`` / ``after``: the positions' margin; ``after`` is
    None when the order is invalid or opens a position too many. ``meets_initial`` /
    ``reduces_risk``: the two ways a fill passes (the account's resting orders counted).
    """

    code: FailureCode
    detail: str
    premium_e6: int
    fee_e6: int
    cash_delta_e6: int
    before: MarginSummary
    after: MarginSummary | None
    meets_initial: bool
    reduces_risk: bool

    @property
    def accepted(self) -> bool:
        return self.code == FailureCode.OK


_WHAT_IF_DETAIL = {
    FailureCode.INSUFFICIENT_BALANCE: "cash would go negative",
    FailureCode.INSUFFICIENT_MARGIN: "equity would fall below initial margin",
    FailureCode.ORDERS_EXCEED_BALANCE: "cash would not cover the account's open bids and their fees",
    FailureCode.ORDERS_EXCEED_MARGIN: "equity would not cover initial margin with the open orders filled",
}


def what_if(
    state: State, address: bytes, instrument_id: int, side: int, price_e6: int, size_e6: int
) -> WhatIf:
    """What one fill of ``size_e6`` at ``price_e6`` on ``side`` (0 buy, 1 sell) would do.

    See the module docstring: the taker fee is charged and the state is not modified.
    """
    before_account = accounts.load(state, address)
    before = margin.summarise(state, before_account)
    globals_: Globals = state.get(keys.GLOBALS)
    config: Config = state.get(keys.CONFIG)
    order = PlaceOrder(0, instrument_id, side, price_e6, size_e6, TimeInForce.IOC, False, 0, 0)
    try:
        _, mark, _ = validate_order(state, globals_.last_block_time, address, order)
    except TxFailure as failure:
        return WhatIf(failure.code, failure.detail, 0, 0, 0, before, None, False, False)
    premium = premium_e6(price_e6, size_e6, side)
    fee = fill_fee(size_e6, price_e6, mark.index_e6, config.taker_fee_ppm, config.fee_cap_ppm)
    signed = size_e6 if side == Side.BUY else -size_e6
    cash_delta = (-premium if signed > 0 else premium) - fee
    moved: Account | None = accounts.with_position_delta(before_account, instrument_id, signed)
    if moved is None or not may_hold(before_account, instrument_id):
        return WhatIf(FailureCode.TOO_MANY_POSITIONS, "the fill would open a position too many",
                      premium, fee, cash_delta, before, None, False, False)
    after_account = accounts.with_balance_delta(moved, cash_delta)
    after = margin.summarise(state, after_account)
    meets = margin.meets_initial(state, after_account)
    reduces = margin.reduces_risk(state, before_account, after_account)
    if meets or reduces:
        code, detail = FailureCode.OK, "meets initial margin" if meets else "strictly reduces risk"
    else:
        code = margin.initial_failure(state, after_account)
        detail = _WHAT_IF_DETAIL[code]
    return WhatIf(code, detail, premium, fee, cash_delta, before, after, meets, reduces)
