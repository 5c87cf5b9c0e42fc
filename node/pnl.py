"""Profit and loss of an account, computed from its fills (``Client.pnl``, ``optrollup positions``).

Per series, fills are applied oldest first to a position with an average entry price
(weighted average cost):

1. A fill in the position's direction (or on a flat position) adds its size and its cost
   ``price_e6 x size_e6`` (collateral units x 1e12).
2. A fill against the position closes ``c = min(fill size, position size)``: the closed part's
   cost is the position's cost x c / size, rounded down in magnitude; the realised P&L is
   ``(fill price x c - that cost)`` for a long and the opposite for a short. What is left of the
   fill opens a position the other way (rule 1).
3. Every fill's fee (what the account paid; a liquidation penalty included) is summed apart:
   P&L figures are before fees.

Results are integers in collateral units x 1e6, rounded down: ``avg_entry_e6`` =
|cost| / |size|; ``realised_e6``; ``unrealised_e6`` = ``mark x size - cost`` (0 without a mark);
``fees_e6``. The STF rounds each premium by at most 1e-6 in the maker's favour: P&L counts the
trade price times the size, not that rounding. A series settled at expiry is closed by the
settlement, which is not a fill: its P&L is in the balance, not here. ``complete`` is False
when the fills found do not add up to the position the node holds (history the node no longer
keeps, e.g. a node without a data directory keeps its last blocks only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Iterable, Mapping

E6: Final = 10**6
BUY: Final = 0


@dataclass(frozen=True, slots=True)
class SeriesPnl:
    """One series' position from the fills and its P&L (module docstring; collateral units e6)."""

    instrument_id: int
    size_e6: int           # signed: negative = short
    avg_entry_e6: int      # 0 when flat
    cost_e12: int          # signed cost of the open position, x 1e12
    realised_e6: int
    unrealised_e6: int
    fees_e6: int
    mark_e6: int


@dataclass(slots=True)
class _Book:
    size_e6: int = 0
    cost_e12: int = 0
    realised_e12: int = 0
    fees_e6: int = 0

    def apply(self, side: int, price_e6: int, size_e6: int, fee_e6: int) -> None:
        self.fees_e6 += fee_e6
        signed = size_e6 if side == BUY else -size_e6
        if self.size_e6 and (self.size_e6 > 0) != (signed > 0):
            closed = min(size_e6, abs(self.size_e6))
            closed_cost = abs(self.cost_e12) * closed // abs(self.size_e6)
            direction = 1 if self.size_e6 > 0 else -1
            self.realised_e12 += direction * (price_e6 * closed - closed_cost)
            self.cost_e12 -= direction * closed_cost
            self.size_e6 -= direction * closed
            if self.size_e6 == 0:
                self.cost_e12 = 0
            signed += direction * closed  # what is left of the fill
        if signed:
            self.size_e6 += signed
            self.cost_e12 += price_e6 * signed


def series_pnl(fills: Iterable[tuple[int, int, int, int, int]], marks: Mapping[int, int]) -> list[SeriesPnl]:
    """``fills``: ``(instrument_id, side, price_e6, size_e6, fee_e6)`` oldest first, the account's
    side; ``marks``: instrument id -> mark_e6. One result per series traded, by instrument id."""
    books: dict[int, _Book] = {}
    for instrument_id, side, price_e6, size_e6, fee_e6 in fills:
        books.setdefault(instrument_id, _Book()).apply(side, price_e6, size_e6, fee_e6)
    out = []
    for instrument_id in sorted(books):
        book = books[instrument_id]
        mark = marks.get(instrument_id, 0)
        unrealised = (mark * book.size_e6 - book.cost_e12) // E6 if mark and book.size_e6 else 0
        out.append(SeriesPnl(
            instrument_id, book.size_e6, abs(book.cost_e12) // abs(book.size_e6) if book.size_e6 else 0,
            book.cost_e12, book.realised_e12 // E6, unrealised, book.fees_e6, mark))
    return out
