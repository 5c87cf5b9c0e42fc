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
and rounded up once (ceiling is monotone: the same result as rounding every scenario).

Every sum above runs over the account's series, so the check is a fold
(``margin_fold.py``): ``start``, ``fold`` over chunks of ``MARGIN_CHUNK`` series (what a
fault-proof step computes, its partial sums in ``MarginAcc`` registers), ``finish``. The
functions below are that fold over all series in one pass, on vectors packed into one
integer each (``vectors.py``); any chunking gives the same integers. ``meets_initial`` and
``initial_failure`` first try a cheap sufficient test: per underlying, ``radius = sum of each
series' largest size x its largest scenario loss`` bounds the worst loss, so ``equity bound >=
sum of 1.3 x (radius + add-on)`` (rounded up) proves the check passes; only otherwise are the
scenario sums taken. Its verdict is the full fold's: when it accepts, the exact bounds are
no larger than the ones it used, and free cash, equity and completeness are the same sums.
"""

from __future__ import annotations

from node.stf import margin_fold
from node.stf.errors import FailureCode
from node.stf.margin_fold import (  # noqa: F401  (results and rates, re-exported for the node)
    IM_BUFFER_PPM,
    NAKED_SHORT_ADDON_PPM,
    Backing,
    MarginSummary,
    UnderlyingRisk,
    _ceil_div,
    im_buffer_e6,
)
from node.stf.records import Account
from node.stf.state import State


def summarise_positions(state: State, cash_e6: int, positions: tuple[tuple[int, int], ...]) -> MarginSummary:
    """Margin of ``positions`` (``(instrument_id, size_e6)``) with ``cash_e6`` against the stored marks."""
    return margin_fold.summary(margin_fold.fold_all(state, Account(cash_e6, positions=positions)), cash_e6)


def summarise(state: State, account: Account) -> MarginSummary:
    """Margin of ``account``'s positions (its open orders are not counted)."""
    return summarise_positions(state, account.balance_e6, account.positions)


def backing(state: State, account: Account) -> Backing:
    """``account``'s margin with its resting orders counted (module docstring)."""
    return margin_fold.backing_of(state, account)


def meets_initial(state: State, account: Account) -> bool:
    """True if ``account``'s positions and resting orders meet initial margin (module docstring)."""
    if not account.positions and not account.order_totals:
        return account.balance_e6 >= 0
    return margin_fold.meets_initial_of(state, account)


def initial_failure(state: State, account: Account) -> FailureCode:
    """``OK`` if ``account`` meets initial margin, else why not.

    ``INSUFFICIENT_BALANCE`` (cash negative) or ``INSUFFICIENT_MARGIN`` when its positions
    alone fail; otherwise its resting orders are the cause: ``ORDERS_EXCEED_BALANCE`` (cash
    does not cover the open bids and fees) or ``ORDERS_EXCEED_MARGIN``.
    """
    if meets_initial(state, account):
        return FailureCode.OK
    result = margin_fold.backing_of(state, account)
    positions_ok = bool(account.order_totals) and account.balance_e6 >= 0 and meets_initial(
        state, Account(account.balance_e6, positions=account.positions))
    return failure_code(account, result, positions_ok)


def failure_code(account: Account, result: Backing, positions_ok: bool) -> FailureCode:
    """``initial_failure`` from ``account``'s backing ``result`` and whether its positions
    alone meet initial margin (only read when it has resting orders and non-negative cash)."""
    if result.ok:
        return FailureCode.OK
    if account.balance_e6 < 0:
        return FailureCode.INSUFFICIENT_BALANCE
    if not account.order_totals or not positions_ok:
        return FailureCode.INSUFFICIENT_MARGIN
    if result.free_cash_e6 < 0:
        return FailureCode.ORDERS_EXCEED_BALANCE
    return FailureCode.ORDERS_EXCEED_MARGIN


def reduces_risk(state: State, before: Account, after: Account) -> bool:
    """The trade from ``before`` to ``after`` strictly reduces risk (see module docstring)."""
    if after.balance_e6 < 0:
        return False
    return risk_reduced(after, backing(state, before), backing(state, after))


def risk_reduced(after: Account, old: Backing, new: Backing) -> bool:
    """``reduces_risk`` from the exact backings before (``old``) and after (``new``) the trade."""
    return (
        after.balance_e6 >= 0
        and new.complete
        and new.free_cash_e6 >= 0
        and new.maintenance_e6 < old.maintenance_e6
        and new.excess_e6 >= old.excess_e6
    )
