"""Portfolio margin: the worst loss over a fixed scenario grid, plus add-ons for naked shorts.

For each underlying an account trades (``scenarios.py`` defines the 23 scenarios):

    loss[k]      = - weight[k] x sum over its positions of size x scenario_pnl[k]  (rounded up)
    worst        = max(0, max_k loss[k])
    add-on       = 1% x index x (net short calls + net short puts)        (rounded up)
    maintenance  = sum over underlyings of (worst + add-on)
    initial      = maintenance x 1.3                                      (rounded up)

where "net short calls" is ``max(0, -sum of call sizes)`` on that underlying (puts alike): a
short option covered by a long one of the same kind carries no add-on, while a naked short
always needs at least 1% of the index on top of its scenario loss (the floor). A series
whose settlement price is final (its mark is the known payoff, with zero scenario P&L and
zero vol) carries no add-on.

    equity = cash + sum of size x mark     (rounded down: shorts count against equity)

An account **meets initial margin** when ``cash >= 0`` (premiums and fees are paid from
cash: no borrowing) and ``equity >= initial``. It is **below maintenance** (liquidatable,
risk-engine liquidation) when ``equity < maintenance``.

A trade that leaves an account below initial margin is still allowed when it **strictly
reduces risk**: its maintenance requirement falls, its excess over initial
(``equity - initial``) does not fall, and cash stays non-negative. A trader can always
work out of a shortfall, never deeper into one.

All scenario values depend only on the oracle state and are stored with each mark, so
a check is a sum of at most ``MAX_POSITIONS`` x 23 products and never prices an option.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import mul
from typing import Final

from node.stf import keys
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_up, sdiv_floor
from node.stf.records import Account, Mark
from node.stf.scenarios import N_SCENARIOS, SCENARIO_WEIGHTS_PPM
from node.stf.state import State

IM_FACTOR_PPM: Final = 1_300_000
NAKED_SHORT_ADDON_PPM: Final = 10_000  # 1% of the index per net short contract


@dataclass(frozen=True, slots=True)
class UnderlyingRisk:
    """One underlying's part of an account's margin (collateral units e6).

    ``scenario_loss_e6``: weighted loss under each scenario (negative = gain), rounded up.
    ``worst_scenario``: index into ``scenarios.SCENARIOS`` of the largest loss.
    """

    underlying_id: int
    index_e6: int
    scenario_loss_e6: tuple[int, ...]
    worst_scenario: int
    worst_loss_e6: int
    addon_e6: int

    @property
    def maintenance_e6(self) -> int:
        return self.worst_loss_e6 + self.addon_e6


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """An account's margin, collateral units e6. ``complete`` is False if a position has no mark."""

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


_LOSS_SCALE: Final = E6 * PPM_DENOMINATOR  # size_e6 x pnl_e6 x weight_ppm -> e6


def _ceil_div(numerator: int, denominator: int) -> int:
    """Exact ceiling of ``numerator / denominator`` for ``denominator > 0`` (= ``fixedpoint.sdiv_ceil``).

    Inlined here because a margin check runs it 23 times per underlying on every fill.
    """
    return -((-numerator) // denominator)


def initial_from_maintenance(maintenance_e6: int) -> int:
    return mul_div_up(maintenance_e6, IM_FACTOR_PPM, PPM_DENOMINATOR)


def summarise_positions(state: State, cash_e6: int, positions: tuple[tuple[int, int], ...]) -> MarginSummary:
    """Margin of ``positions`` (``(instrument_id, size_e6)``) with ``cash_e6`` against the stored marks."""
    groups: dict[int, list] = {}  # underlying -> [sizes, scenario vectors, net calls, net puts, index]
    value_e12 = 0
    complete = True
    for instrument_id, size in positions:
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            complete = False
            continue
        value_e12 += size * mark.mark_e6
        group = groups.get(mark.underlying_id)
        if group is None:
            group = groups[mark.underlying_id] = [[], [], 0, 0, mark.index_e6]
        group[0].append(size)
        group[1].append(mark.scenario_pnl_e6)
        if mark.vol_e6 == 0:
            continue  # expired with a final settlement price: the outcome is known, no add-on
        if mark.is_call:
            group[2] += size
        else:
            group[3] += size
    risks = []
    maintenance = 0
    for underlying_id in sorted(groups):
        sizes, vectors, calls, puts, index = groups[underlying_id]
        pnl_e12 = [sum(map(mul, sizes, column)) for column in zip(*vectors)]  # per scenario
        losses = tuple(_ceil_div(-p * w, _LOSS_SCALE) for p, w in zip(pnl_e12, SCENARIO_WEIGHTS_PPM))
        worst_k = max(range(N_SCENARIOS), key=losses.__getitem__)
        worst = max(losses[worst_k], 0)
        naked = max(-calls, 0) + max(-puts, 0)
        addon = mul_div_up(naked * index, NAKED_SHORT_ADDON_PPM, E6 * PPM_DENOMINATOR)
        risks.append(UnderlyingRisk(underlying_id, index, losses, worst_k, worst, addon))
        maintenance += worst + addon
    return MarginSummary(
        cash_e6, sdiv_floor(value_e12, E6), maintenance, initial_from_maintenance(maintenance),
        tuple(risks), complete,
    )


def summarise(state: State, account: Account) -> MarginSummary:
    return summarise_positions(state, account.balance_e6, account.positions)


def meets_initial(state: State, account: Account) -> bool:
    """True if ``account`` meets initial margin (see module docstring)."""
    if not account.positions:
        return account.balance_e6 >= 0
    return summarise(state, account).meets_initial()


def reduces_risk(state: State, before: Account, after: Account) -> bool:
    """The trade from ``before`` to ``after`` strictly reduces risk (see module docstring)."""
    if after.balance_e6 < 0:
        return False
    old, new = summarise(state, before), summarise(state, after)
    return (
        new.complete
        and new.maintenance_e6 < old.maintenance_e6
        and new.initial_excess_e6 >= old.initial_excess_e6
    )
