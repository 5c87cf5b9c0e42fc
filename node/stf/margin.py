"""Collateral and margin: Deribit's standard per-position rule for short options.

Per short contract (collateral units e6, ``S`` = index, ``OTM`` = out-of-the-money amount):

    initial     = max(0.15 x S - OTM, 0.10 x S) + mark       (``Mark.short_initial_e6``)
    maintenance = 0.075 x S + mark                            (``Mark.short_maintenance_e6``)

These per-contract values depend only on the oracle state, so they are computed on each
oracle update (``oracle.py``) and stored with the mark; a margin check is then a sum over
the account's positions.

An account meets initial margin when

    cash >= 0   and   cash + sum_long(size x mark) >= sum_short(|size| x initial)

i.e. long options count at their mark, and each short must be covered by its requirement
(which includes its mark). Premiums and fees are paid from cash: there is no borrowing.
Rounding: long values round down, requirements round up (``size_e6`` is contracts x 1e6).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.stf import keys
from node.stf.fixedpoint import E6, mul_div_down, mul_div_up
from node.stf.records import Account, Mark
from node.stf.state import State


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """An account's margin position, collateral units e6.

    ``equity_e6`` = cash + long value - short mark value. ``initial_e6`` and
    ``maintenance_e6`` are the requirements net of marks, so ``equity >= initial`` is the
    initial-margin test (identical to the rule in the module docstring).
    """

    cash_e6: int
    long_value_e6: int
    short_value_e6: int
    initial_e6: int
    maintenance_e6: int
    complete: bool  # False if a position has no mark (cannot be margined)

    @property
    def equity_e6(self) -> int:
        return self.cash_e6 + self.long_value_e6 - self.short_value_e6

    @property
    def initial_excess_e6(self) -> int:
        """Equity above the initial requirement (negative = shortfall)."""
        return self.cash_e6 + self.long_value_e6 - self.short_value_e6 - self.initial_e6

    def meets_initial(self) -> bool:
        return self.complete and self.cash_e6 >= 0 and self.initial_excess_e6 >= 0


def summarise(state: State, account: Account) -> MarginSummary:
    """Sum the account's positions against their stored marks and requirements."""
    long_value = short_value = short_initial = short_maintenance = 0
    complete = True
    for instrument_id, size in account.positions:
        mark: Mark | None = state.get(keys.mark(instrument_id))
        if mark is None:
            complete = False
            continue
        if size > 0:
            long_value += mul_div_down(size, mark.mark_e6, E6)
        else:
            contracts = -size
            mark_value = mul_div_up(contracts, mark.mark_e6, E6)
            short_value += mark_value
            short_initial += mul_div_up(contracts, mark.short_initial_e6 - mark.mark_e6, E6)
            short_maintenance += mul_div_up(contracts, mark.short_maintenance_e6 - mark.mark_e6, E6)
    return MarginSummary(account.balance_e6, long_value, short_value, short_initial, short_maintenance, complete)


def meets_initial(state: State, account: Account) -> bool:
    """True if ``account`` meets initial margin (see module docstring)."""
    if not account.positions:
        return account.balance_e6 >= 0
    return summarise(state, account).meets_initial()


def reduces_risk(state: State, before: Account, after: Account) -> bool:
    """A trade that only shrinks positions and does not worsen the initial shortfall.

    Such a trade is allowed even when the account stays below initial margin, so a trader
    can always work their way out of a shortfall (cash must still stay non-negative).
    """
    if after.balance_e6 < 0:
        return False
    old = dict(before.positions)
    for instrument_id, size in after.positions:
        previous = old.get(instrument_id, 0)
        if abs(size) > abs(previous) or (size > 0) != (previous > 0):
            return False
    return summarise(state, after).initial_excess_e6 >= summarise(state, before).initial_excess_e6
