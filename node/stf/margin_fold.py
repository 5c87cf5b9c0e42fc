"""The margin computation as a fold over an account's series, so that a fault-proof step can
compute a margin check in bounded chunks (the rules themselves: ``margin.py``).

**Canonical order.** An account's *series* are the instrument ids with a position or a resting
order (``records.Account`` keeps both lists sorted by id), taken in ascending id order: at most
``MAX_POSITIONS`` of them (``orders.may_hold``). Series ``j`` carries its position (0 if none)
and its ``OrderTotals`` (none if it has no resting order).

**The fold.** ``start()`` is the empty accumulator; ``fold(state, acc, account, first, count)``
adds series ``[first, first + count)``; ``finish(acc, account)`` gives the ``Backing`` (bounds
with resting orders counted) and ``summary(acc, cash_e6)`` the ``MarginSummary`` of an account
without orders. Every term of the rules is a sum over series (exact integers, nothing rounded
before ``finish``) or, per underlying, a maximum over scenarios of such sums, so any chunking
gives exactly the one-shot integers (``tests/node/stf/test_margin_fold.py``). Per series:

- scalars: ``value += position x mark``; with orders, the fee bound ``min(maker fee x index x
  (B + A), fee cap x notionals)``, the haircut and the bid notional (``margin.py``);
- on its underlying: the net call or put size with every ask filled (``low``, series not yet
  settled), ``least_long += max(0, low) x mark``, and per scenario ``k``:
  ``worst[k] += max(low x loss_k, high x loss_k)`` and ``uncovered[k] += low x loss_k`` when
  ``low >= 0``, else ``min(high, 0) x max(loss_k, 0) + low x min(loss_k, 0)``, where
  ``low = position - A``, ``high = position + B`` and ``loss_k`` the mark's weighted loss.

``finish`` then takes, per underlying, ``worst = max(0, max_k worst[k])`` and ``uncovered =
max(0, max_k uncovered[k]) - least_long`` (equal to the rules' ``max(max_k sum of each series'
worst loss - long value, -least long value)``: the long value term is the same in every
scenario) and rounds as ``margin.py`` states.

**Registers.** ``MarginAcc.to_regs()`` flattens the accumulator to ints (signed): a header of
``HEADER_REGS`` (complete, value, haircut, bid notional, fee bound, number of underlyings)
and ``UNDERLYING_REGS = 5 + 2 x 23`` per underlying touched, sorted by underlying id. Each
series touches one underlying, so an account touches at most ``MAX_POSITIONS`` of them:
``MAX_REGS = 6 + 51 x 64 = 3,270`` regs. With every size (position, and position plus or
minus its order totals) below ``2^b`` in magnitude, every reg is below ``2^(86 + b)``: a
scenario entry is a sum over at most 64 series of one size times one weighted loss
(``< 2^80``, ``vectors.py``), and the scalars are smaller (prices and index below ``2^50``,
fee rates below ``2^20``); so an int256 holds every reg for sizes below ``2^160``.

**Reads per fold step.** A series reads its mark, and its underlying (for the index) when no
earlier series of the account touched it (the accumulator keeps each index); a chunk holding a
resting order reads the config (fee rates) once. With the account record the step is given:
at most ``2 x MARGIN_CHUNK + 2 = 18`` records per step, so 8 steps for a full account of 64
series; ``finish`` reads nothing.

**The node's one-shot path** runs the same per-series code over all series at once on
packed scenario vectors (``vectors.py``: one multiply-add per series instead of 23) and takes
each maximum from the packed sums; unpacking them gives exactly ``fold``'s registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Iterable, NamedTuple, Sequence

from node.stf import keys, vectors
from node.stf.fixedpoint import E6, PPM_DENOMINATOR, mul_div_up, sdiv_floor
from node.stf.params import MAX_POSITIONS
from node.stf.records import Account, Config, Mark, OrderTotals
from node.stf.scenarios import N_SCENARIOS
from node.stf.state import State

IM_BUFFER_PPM: Final = 300_000  # initial = maintenance + 30% of the part long value does not cover
NAKED_SHORT_ADDON_PPM: Final = 10_000  # 1% of the index per net short contract

MARGIN_CHUNK: Final = 8  # series per fold step: at most 18 record reads (module docstring)
HEADER_REGS: Final = 6  # complete, value, haircut, bid notional, fee bound, underlyings
UNDERLYING_REGS: Final = 5 + 2 * N_SCENARIOS  # id, index, calls, puts, least long, two vectors
MAX_REGS: Final = HEADER_REGS + MAX_POSITIONS * UNDERLYING_REGS  # one underlying per series at most

# Mark keys by instrument id, built once: the same bytes object keeps its hash for the state's dict.
_mark_key: Final = lru_cache(maxsize=4096)(keys.mark)

_LOSS_SCALE: Final = E6 * PPM_DENOMINATOR  # size_e6 x weighted pnl (e6 x ppm) -> e6
_FEE_SCALE: Final = E6 * PPM_DENOMINATOR  # fee ppm x index x size, or fee ppm x notional (e12) -> e6


# -- results ------------------------------------------------------------------------------


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
        """Positions and resting orders meet initial margin (``margin.py``)."""
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


def addon_e6(index_e6: int, calls_e6: int, puts_e6: int) -> int:
    """The naked-short add-on: 1% of the index per net short call or put contract, rounded up."""
    naked = max(-calls_e6, 0) + max(-puts_e6, 0)
    if not naked:
        return 0
    return mul_div_up(naked * index_e6, NAKED_SHORT_ADDON_PPM, E6 * PPM_DENOMINATOR)


# -- the accumulator ----------------------------------------------------------------------


class UnderlyingAcc(NamedTuple):
    """One underlying's partial sums (module docstring); vectors in loss units (e6 x e6 x ppm).

    ``calls_e6`` / ``puts_e6``: net call / put size with every ask filled, over series not yet
    settled (signed). ``least_long_e12``: sum of ``max(0, low) x mark`` (e6 x e6).
    ``worst``: per scenario, the sum of each series' worse end of its size range.
    ``uncovered``: per scenario, each series' worst loss before the long value is taken off.
    """

    underlying_id: int
    index_e6: int
    calls_e6: int
    puts_e6: int
    least_long_e12: int
    worst: tuple[int, ...]
    uncovered: tuple[int, ...]


class MarginAcc(NamedTuple):
    """The partial sums of a margin fold over an account's series (module docstring).

    ``complete``: 1 while every series folded had a mark, else 0. ``value_e12``: sum of
    position x mark. ``haircut_e12`` / ``bid_notional_e12`` / ``fee_bound``: the orders' sums
    (``fee_bound`` in e6 x e6 x ppm). ``underlyings``: sorted by underlying id.
    """

    complete: int
    value_e12: int
    haircut_e12: int
    bid_notional_e12: int
    fee_bound: int
    underlyings: tuple[UnderlyingAcc, ...]

    def to_regs(self) -> tuple[int, ...]:
        """The accumulator as ``HEADER_REGS + UNDERLYING_REGS x underlyings`` signed ints."""
        regs = [self.complete, self.value_e12, self.haircut_e12, self.bid_notional_e12, self.fee_bound,
                len(self.underlyings)]
        for u in self.underlyings:
            regs += (u.underlying_id, u.index_e6, u.calls_e6, u.puts_e6, u.least_long_e12)
            regs += u.worst
            regs += u.uncovered
        return tuple(regs)

    @classmethod
    def from_regs(cls, regs: Sequence[int]) -> "MarginAcc":
        """The inverse of ``to_regs``; ``ValueError`` unless ``regs`` is one's output."""
        if len(regs) < HEADER_REGS:
            raise ValueError("margin regs: shorter than the header")
        complete, value, haircut, bid_notional, fees, count = regs[:HEADER_REGS]
        if complete not in (0, 1) or not 0 <= count <= MAX_POSITIONS:
            raise ValueError("margin regs: bad header")
        if len(regs) != HEADER_REGS + count * UNDERLYING_REGS:
            raise ValueError("margin regs: length does not match the number of underlyings")
        underlyings = []
        at = HEADER_REGS
        for _ in range(count):
            head = tuple(regs[at:at + 5])
            worst = tuple(regs[at + 5:at + 5 + N_SCENARIOS])
            uncovered = tuple(regs[at + 5 + N_SCENARIOS:at + UNDERLYING_REGS])
            underlyings.append(UnderlyingAcc(*head, worst, uncovered))
            at += UNDERLYING_REGS
        ids = [u.underlying_id for u in underlyings]
        if any(a >= b for a, b in zip(ids, ids[1:])) or (ids and ids[0] < 0):
            raise ValueError("margin regs: underlyings not in ascending id order")
        return cls(complete, value, haircut, bid_notional, fees, tuple(underlyings))


def start() -> MarginAcc:
    """The accumulator before any series is folded."""
    return MarginAcc(1, 0, 0, 0, 0, ())


def series_ids(account: Account) -> list[int]:
    """``account``'s series in canonical order: ids with a position or resting orders, ascending."""
    ids = {instrument_id for instrument_id, _ in account.positions}
    ids.update(t[0] for t in account.order_totals)
    return sorted(ids)


def fold(state: State, acc: MarginAcc, account: Account, first: int, count: int) -> MarginAcc:
    """``acc`` with series ``[first, first + count)`` of ``account`` added (``0 <= first``,
    ``0 <= count``; series past the last are none). Reads at most ``2 x count + 1`` records."""
    if first < 0 or count < 0:
        raise ValueError("margin fold: negative range")
    chunk = series_ids(account)[first:first + count]
    if not chunk:
        return acc
    low, high = chunk[0], chunk[-1]
    positions = tuple(p for p in account.positions if low <= p[0] <= high)
    totals = tuple(t for t in account.order_totals if low <= t[0] <= high)
    known = {u.underlying_id: u.index_e6 for u in acc.underlyings}
    part = _scan(state, positions, totals, known)
    _add_vectors(state, part)
    return _merge(acc, part.to_acc())


def fold_all(state: State, account: Account) -> MarginAcc:
    """``fold(state, start(), account, 0, len(series_ids(account)))``, in one pass."""
    part = _scan(state, account.positions, account.order_totals, {})
    _add_vectors(state, part)
    return part.to_acc()


def finish(acc: MarginAcc, account: Account) -> Backing:
    """The backing of ``account`` from the fold of all its series (reads nothing)."""
    return _backing(account.balance_e6, acc.complete == 1, acc.value_e12, acc.haircut_e12, acc.bid_notional_e12,
                    acc.fee_bound, ((addon_e6(u.index_e6, u.calls_e6, u.puts_e6), max(u.worst), max(u.uncovered),
                                     u.least_long_e12) for u in acc.underlyings))


def summary(acc: MarginAcc, cash_e6: int) -> MarginSummary:
    """The margin summary of an account without resting orders, from the fold of all its
    positions (``acc``) and its cash."""
    risks = []
    maintenance = initial = 0
    for u in acc.underlyings:
        losses = tuple(_ceil_div(x, _LOSS_SCALE) for x in u.worst)
        worst_k = max(range(N_SCENARIOS), key=losses.__getitem__)
        addon = addon_e6(u.index_e6, u.calls_e6, u.puts_e6)
        uncovered = _ceil_div(max(max(u.uncovered), 0) - u.least_long_e12 * PPM_DENOMINATOR, _LOSS_SCALE) + addon
        risk = UnderlyingRisk(u.underlying_id, u.index_e6, losses, worst_k, max(losses[worst_k], 0), addon,
                              u.least_long_e12 // E6, uncovered)
        risks.append(risk)
        maintenance += risk.maintenance_e6
        initial += risk.initial_e6
    return MarginSummary(cash_e6, sdiv_floor(acc.value_e12, E6), maintenance, initial, tuple(risks),
                         acc.complete == 1)


def backing_of(state: State, account: Account) -> Backing:
    """``finish(fold_all(state, account), account)``, computed in one pass on packed vectors."""
    sums = _scan(state, account.positions, account.order_totals, {})
    _add_vectors(state, sums)
    return sums.backing(account.balance_e6)


def meets_initial_of(state: State, account: Account) -> bool:
    """``backing_of(state, account).ok``, trying a cheap sufficient test first: per underlying,
    the sum of each series' largest size times its largest scenario loss bounds the worst loss,
    so ``maintenance <= ceil(that) + add-on`` and, as uncovered <= maintenance, ``initial <=
    that + 30%``. When that upper bound already fits within the equity bound the scenario sums
    are skipped; the verdict is the exact one, since the exact initial bound is no larger and
    free cash, equity and completeness are the same sums."""
    cash = account.balance_e6
    sums = _scan(state, account.positions, account.order_totals, {})
    free_cash, equity = _cash_bounds(cash, sums.value_e12, sums.haircut_e12, sums.bid_notional_e12, sums.fee_bound)
    if equity >= sums.quick_ceiling():
        return sums.complete and free_cash >= 0
    _add_vectors(state, sums)
    return sums.backing(cash).ok


def _merge(acc: MarginAcc, part: MarginAcc) -> MarginAcc:
    """The sum of two accumulators over disjoint series of one account (indices from ``acc``)."""
    merged = {u.underlying_id: u for u in acc.underlyings}
    for p in part.underlyings:
        u = merged.get(p.underlying_id)
        if u is None:
            merged[p.underlying_id] = p
            continue
        merged[p.underlying_id] = UnderlyingAcc(
            u.underlying_id, u.index_e6, u.calls_e6 + p.calls_e6, u.puts_e6 + p.puts_e6,
            u.least_long_e12 + p.least_long_e12, tuple(a + b for a, b in zip(u.worst, p.worst)),
            tuple(a + b for a, b in zip(u.uncovered, p.uncovered)))
    return MarginAcc(acc.complete & part.complete, acc.value_e12 + part.value_e12, acc.haircut_e12 + part.haircut_e12,
                     acc.bid_notional_e12 + part.bid_notional_e12, acc.fee_bound + part.fee_bound,
                     tuple(merged[i] for i in sorted(merged)))


def _cash_bounds(cash: int, value_e12: int, haircut_e12: int, bid_notional_e12: int, fee_bound: int) -> tuple[int, int]:
    """(free cash, equity bound), e6, from the scalar sums (``margin.py``)."""
    if not (fee_bound or bid_notional_e12 or haircut_e12):  # (no resting orders)
        return cash, cash + sdiv_floor(value_e12, E6)
    fees = _ceil_div(fee_bound, _FEE_SCALE)
    return cash - _ceil_div(bid_notional_e12, E6) - fees, cash - fees + sdiv_floor(value_e12 - haircut_e12, E6)


def _backing(cash: int, complete: bool, value_e12: int, haircut_e12: int, bid_notional_e12: int, fee_bound: int,
             per_underlying: Iterable[tuple[int, int, int, int]]) -> Backing:
    """The bounds (``margin.py``) from the sums; ``per_underlying`` yields ``(add-on, max_k
    worst[k], max_k uncovered[k], least long value)`` (e6, loss units, loss units, e12)."""
    free_cash, equity = _cash_bounds(cash, value_e12, haircut_e12, bid_notional_e12, fee_bound)
    maintenance = initial = 0
    for addon, worst, uncovered, least_long in per_underlying:
        mm = _ceil_div(max(worst, 0), _LOSS_SCALE) + addon
        maintenance += mm
        short = max(uncovered, 0) - least_long * PPM_DENOMINATOR
        initial += mm + im_buffer_e6(_ceil_div(short, _LOSS_SCALE) + addon)
    return Backing(cash, free_cash, equity, maintenance, initial, complete)


# -- one pass over a set of series, packed ------------------------------------------------


class _Underlying:
    """One underlying's sums in a pass. Packed vectors (``vectors.py``) at the pass's width:
    ``loss`` over series without orders (there ``worst`` and ``uncovered`` terms are both
    ``size x loss``), ``worst`` and ``uncovered`` over series with orders. ``radius``: sum of
    each series' largest size x its largest scenario loss, which bounds its loss in every
    scenario (the cheap sufficient test)."""

    __slots__ = ("underlying_id", "index_e6", "calls", "puts", "radius", "least_long", "loss", "worst", "uncovered",
                 "orders")

    def __init__(self, underlying_id: int, index_e6: int) -> None:
        self.underlying_id = underlying_id
        self.index_e6 = index_e6
        self.calls = 0
        self.puts = 0
        self.radius = 0
        self.least_long = 0
        self.loss = 0
        self.worst = 0
        self.uncovered = 0
        self.orders = False

    def addon_e6(self) -> int:
        return addon_e6(self.index_e6, self.calls, self.puts)


class _Pass:
    """Sums over a set of series (``_scan``, then ``_add_vectors``)."""

    __slots__ = ("underlyings", "positions", "totals", "ordered", "width", "value_e12", "haircut_e12",
                 "bid_notional_e12", "fee_bound", "complete")

    def __init__(self, positions: tuple[tuple[int, int], ...], totals: tuple[OrderTotals, ...],
                 ordered: set[int] | tuple[()]) -> None:
        self.underlyings: dict[int, _Underlying] = {}
        self.positions = positions
        self.totals = totals
        self.ordered = ordered  # the series with resting orders
        self.width = vectors.BASE_WIDTH
        self.haircut_e12 = self.bid_notional_e12 = self.fee_bound = 0
        self.complete = True

    def quick_ceiling(self) -> int:
        """An upper bound of the initial requirement: per underlying, each series' largest size x
        its largest scenario loss plus the add-on, and 30% of that (uncovered <= maintenance)."""
        ceiling = 0
        for u in self.underlyings.values():
            mm = _ceil_div(u.radius, _LOSS_SCALE) + u.addon_e6()
            ceiling += mm + im_buffer_e6(mm)
        return ceiling

    def backing(self, cash: int) -> Backing:
        """The bounds from the packed sums (``_add_vectors`` done): ``finish`` of their unpacking."""
        width = self.width
        bounds = []
        for u in self.underlyings.values():
            worst = vectors.max_entry(u.loss + u.worst, width)
            uncovered = vectors.max_entry(u.loss + u.uncovered, width) if u.orders else worst
            bounds.append((u.addon_e6(), worst, uncovered, u.least_long))
        return _backing(cash, self.complete, self.value_e12, self.haircut_e12, self.bid_notional_e12,
                        self.fee_bound, bounds)

    def to_acc(self) -> MarginAcc:
        """The sums unpacked (``_add_vectors`` done)."""
        width = self.width
        out = []
        for underlying_id in sorted(self.underlyings):
            u = self.underlyings[underlying_id]
            worst = tuple(vectors.unpack(u.loss + u.worst, width))
            uncovered = tuple(vectors.unpack(u.loss + u.uncovered, width)) if u.orders else worst
            out.append(UnderlyingAcc(underlying_id, u.index_e6, u.calls, u.puts, u.least_long, worst, uncovered))
        return MarginAcc(int(self.complete), self.value_e12, self.haircut_e12, self.bid_notional_e12,
                         self.fee_bound, tuple(out))


def _scan(state: State, positions: tuple[tuple[int, int], ...], totals: tuple[OrderTotals, ...],
          known: dict[int, int]) -> _Pass:
    """The scalar sums over ``positions`` and ``totals`` (series with an order appear in
    ``totals``, and in ``positions`` too if held); ``known``: indices already read, by
    underlying id."""
    ordered = {t[0] for t in totals} if totals else ()
    out = _Pass(positions, totals, ordered)
    underlyings = out.underlyings
    get, mark_key = state.get, _mark_key
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
            u = underlyings[mark.underlying_id] = _underlying(state, mark.underlying_id, known)
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
            u = underlyings[mark.underlying_id] = _underlying(state, mark.underlying_id, known)
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
    out.fee_bound = fees
    out.haircut_e12 = haircut
    return out


def _underlying(state: State, underlying_id: int, known: dict[int, int]) -> _Underlying:
    """A new underlying's sums, with its current index (read unless ``known``)."""
    index_e6 = known.get(underlying_id)
    if index_e6 is None:
        index_e6 = state.get(keys.underlying(underlying_id)).index_price_e6
    return _Underlying(underlying_id, index_e6)


def _add_vectors(state: State, p: _Pass) -> None:
    """Adds each scanned series' scenario terms (module docstring) at the narrowest exact
    width; the marks come from the state's cache, as ``_scan`` read them."""
    get, mark_key = state.get, _mark_key
    underlyings, ordered = p.underlyings, p.ordered
    held = dict(p.positions) if ordered else {}
    ranged = []
    for t in p.totals:
        mark: Mark | None = get(mark_key(t[0]))
        if mark is not None:
            position = held.get(t[0], 0)
            ranged.append((underlyings[mark.underlying_id], position - t[4], position + t[1], mark))
    largest = max([size if size > 0 else -size for _, size in p.positions] +
                  [high if high > -low else -low for _, low, high, _ in ranged], default=0)
    width = vectors.BASE_WIDTH
    while largest >= vectors.size_limit(width):
        width *= 2
    p.width = width
    for instrument_id, size in p.positions:
        if instrument_id in ordered:
            continue
        mark = get(mark_key(instrument_id))
        if mark is None:
            continue
        u = underlyings[mark.underlying_id]
        if size > 0:
            u.least_long += size * mark.mark_e6
        u.loss += size * mark.packed(width)[0]
    for u, low, high, mark in ranged:
        u.orders = True
        losses, up, down = mark.packed(width)
        u.worst += high * up + low * down  # per scenario the worse end of the range
        if low >= 0:  # never short: loss - long value is worst at the low end
            u.uncovered += low * losses
            u.least_long += low * mark.mark_e6
        else:  # no long value below 0: worst at 0 (or the top, if below 0) when losing on longs
            u.uncovered += min(high, 0) * up + low * down
