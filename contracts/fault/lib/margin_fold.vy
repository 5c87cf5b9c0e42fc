# pragma version 0.4.3
"""
@title margin_fold
@notice The arithmetic of a margin sum folded over an account's series, chunk by chunk:
        twin of `node/stf/margin_fold.py` (`fold`, `finish`, `summary`, the registers of
        `MarginAcc`) and of `node/stf/margin.py::failure_code`. Pure: the family contract
        reads the records and hands each series' values in (`Series`).
@dev Units as in Python: sizes and prices e6, notionals e12, scenario losses in loss units
     (size e6 x weighted P&L e6 x ppm), `fee_bound` in e6 x e6 x ppm. Every sum is exact
     (no rounding before `finish`), so any chunking gives the one-shot integers.

     Registers (`MarginAcc.to_regs`, signed): a header of HEADER_REGS (complete, value,
     haircut, bid notional, fee bound, number of underlyings), then UNDERLYING_REGS per
     underlying, sorted by id: (id, index, calls, puts, least long, worst[23],
     uncovered[23]). Functions take the whole register array of the step and `base`, the
     offset of the accumulator in it (the fold's head registers come first).

     Arithmetic is checked int256: it reverts only past 2^255. Every register is below
     2^(86 + b) for sizes below 2^b (`margin_fold.py`'s docstring); a position grows by at
     most MAX_SIZE_E6 < 2^50 per fill, so sizes stay below 2^160 for any chain of fewer
     than 2^110 fills: the products and sums here never overflow on a reachable state,
     and where Python's checked helpers (`sdiv_floor`, `mul_div_up`) could raise, the
     values are far inside their range.
"""

N_SCENARIOS: constant(uint256) = 23
MAX_POSITIONS: constant(uint256) = 64  # params.py::MAX_POSITIONS: series per account
MARGIN_CHUNK: constant(uint256) = 8  # series per fold step
HEADER_REGS: constant(uint256) = 6
UNDERLYING_REGS: constant(uint256) = 51  # 5 + 2 x N_SCENARIOS
MAX_ACC_REGS: constant(uint256) = 3270  # HEADER_REGS + MAX_POSITIONS x UNDERLYING_REGS
MAX_FOLD_REGS: constant(uint256) = 3280  # + (address, query, stage, next series) + 6 kept backing regs
MAX_HEAD: constant(uint256) = 16  # a fold step's registers before the underlyings: 4 + 6 kept + HEADER_REGS
# The post-cursor as pieces (`cursor.encode_cursor`'s: 1-31 bytes left-aligned, the count in
# the lowest byte) or, with a lowest byte of 0, a range [a, b) of the pre-cursor
# (a << 128 | b << 8): headers, the phase, two ranges around the register list, the head
# registers and the chunk's underlyings (at most three pieces a register), a range per
# untouched underlying.
MAX_PIECES: constant(uint256) = 8 + 3 * (MAX_HEAD + MARGIN_CHUNK * 51) + MAX_POSITIONS

# Offsets inside an underlying's registers.
U_ID: constant(uint256) = 0
U_INDEX: constant(uint256) = 1
U_CALLS: constant(uint256) = 2
U_PUTS: constant(uint256) = 3
U_LEAST_LONG: constant(uint256) = 4
U_WORST: constant(uint256) = 5
U_UNCOVERED: constant(uint256) = 28  # U_WORST + N_SCENARIOS

E6: constant(int256) = 10**6
PPM: constant(int256) = 10**6
LOSS_SCALE: constant(int256) = 10**12  # E6 x PPM: loss units -> e6
FEE_SCALE: constant(int256) = 10**12  # E6 x PPM: fee bound -> e6
IM_BUFFER_PPM: constant(int256) = 300_000
NAKED_SHORT_ADDON_PPM: constant(int256) = 10_000

# scenarios.py::SCENARIO_WEIGHTS_PPM: 21 moves at full weight, the two wide ones at 35%.
SCENARIO_WEIGHTS_PPM: constant(int256[N_SCENARIOS]) = [
    1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000,
    1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000,
    1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000,
    350_000, 350_000,
]

# errors.py::FailureCode
OK: constant(int256) = 0
INSUFFICIENT_MARGIN: constant(int256) = 300
INSUFFICIENT_BALANCE: constant(int256) = 301
ORDERS_EXCEED_BALANCE: constant(int256) = 305
ORDERS_EXCEED_MARGIN: constant(int256) = 306


# One series of a chunk with what the step read for it (`margin_fold.py::_scan`).
# `ordered`: it has an `OrderTotals` (the six order fields are 0 otherwise).
# `has_mark`: its mark exists (the mark fields are 0 otherwise); `has_vol`: the mark's
# vol is not 0 (not yet settled). `index_e6`: its underlying's index, from the
# accumulator when it is there, else read from the `Underlying` record.
struct Series:
    position_e6: int256
    ordered: bool
    bid_size_e6: int256
    bid_notional_e12: int256
    bid_max_e6: int256
    ask_size_e6: int256
    ask_notional_e12: int256
    ask_min_e6: int256
    has_mark: bool
    mark_e6: int256
    has_vol: bool
    is_call: bool
    underlying_id: int256
    index_e6: int256
    scenario_pnl_e6: int256[N_SCENARIOS]


# margin_fold.py::UnderlyingAcc over one chunk.
struct UnderlyingSums:
    underlying_id: int256
    index_e6: int256
    calls_e6: int256
    puts_e6: int256
    least_long_e12: int256
    worst: int256[N_SCENARIOS]
    uncovered: int256[N_SCENARIOS]


# margin_fold.py::MarginAcc over one chunk (`_scan` + `_add_vectors`, unpacked);
# `underlyings` sorted by id.
struct ChunkSums:
    complete: bool
    value_e12: int256
    haircut_e12: int256
    bid_notional_e12: int256
    fee_bound: int256
    underlyings: DynArray[UnderlyingSums, MARGIN_CHUNK]


# What the margin steps read of an account (node/stf/accounts.py::load): its cash (cut by
# socialised loss), whether it has resting orders, and its number of series with its orders
# (margin_fold.py::series_ids) and of positions.
struct AccountView:
    cash_e6: int256
    has_orders: bool
    series: uint256
    positions: uint256


# margin_fold.py::Backing (collateral units e6).
struct Backing:
    cash_e6: int256
    free_cash_e6: int256
    equity_e6: int256
    maintenance_e6: int256
    initial_e6: int256
    complete: bool


# What `finish_of` needs of one underlying (margin_fold.py::finish's terms): its registers
# but the two vectors, and each vector's maximum over the scenarios.
struct Summary:
    underlying_id: int256
    index_e6: int256
    calls_e6: int256
    puts_e6: int256
    least_long_e12: int256
    worst: int256
    uncovered: int256


# Where the cursor's parts are (byte offsets in it).
struct Layout:
    phase: uint256
    top_offset: uint256  # the phase's byte (the top list's payload)
    regs_start: uint256  # the register list's header
    regs_end: uint256  # the byte after it
    count: uint256  # its registers


# An accumulator underlying as the walk found it: the offset of its first register, its summary.
struct Slot:
    start: uint256
    summary: Summary


# -- rounding (fixedpoint.py) ---------------------------------------------------------------


@internal
@pure
def ceil_div(n: int256, d: int256) -> int256:
    """margin_fold.py::_ceil_div: exact ceiling of n / d, d > 0."""
    q: int256 = n // d  # truncates toward zero
    if n > 0 and q * d != n:
        return q + 1
    return q


@internal
@pure
def floor_div(n: int256, d: int256) -> int256:
    """fixedpoint.py::sdiv_floor: exact floor of n / d, d > 0."""
    q: int256 = n // d
    if n < 0 and q * d != n:
        return q - 1
    return q


# -- the registers ----------------------------------------------------------------------------


@internal
@pure
def check_regs(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256):
    """margin_fold.py::MarginAcc.from_regs: reverts unless regs[base:] is an accumulator's
    registers (complete 0 or 1, at most MAX_POSITIONS underlyings, the length they need,
    ids ascending and non-negative)."""
    n: uint256 = len(regs)
    assert n >= base + HEADER_REGS, "margin_fold: registers shorter than the header"
    assert regs[base] == 0 or regs[base] == 1, "margin_fold: bad header"
    count: int256 = regs[base + 5]
    assert count >= 0 and count <= convert(MAX_POSITIONS, int256), "margin_fold: bad header"
    assert n == base + HEADER_REGS + convert(count, uint256) * UNDERLYING_REGS, "margin_fold: register count"
    previous: int256 = -1
    for i: uint256 in range(MAX_POSITIONS):
        if i == convert(count, uint256):
            break
        underlying_id: int256 = regs[base + HEADER_REGS + i * UNDERLYING_REGS]
        assert underlying_id > previous, "margin_fold: underlyings out of order"
        previous = underlying_id


@internal
@pure
def start_regs(head: DynArray[int256, MAX_FOLD_REGS]) -> DynArray[int256, MAX_FOLD_REGS]:
    """`head` followed by margin_fold.py::start()'s registers (complete, nothing summed)."""
    regs: DynArray[int256, MAX_FOLD_REGS] = head
    regs.append(1)
    for _: uint256 in range(HEADER_REGS - 1):
        regs.append(0)
    return regs


# margin_fold.py::fold's `known`: an underlying of the accumulator and its index.
struct KnownIndex:
    underlying_id: int256
    index_e6: int256


@internal
@pure
def known_indices(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256) -> DynArray[KnownIndex, MAX_POSITIONS]:
    """The underlyings of the accumulator at `regs[base:]` with their indices: the ones a
    fold step does not read again (margin_fold.py::fold's `known`)."""
    out: DynArray[KnownIndex, MAX_POSITIONS] = []
    count: uint256 = convert(regs[base + 5], uint256)
    for i: uint256 in range(MAX_POSITIONS):
        if i == count:
            break
        at: uint256 = base + HEADER_REGS + i * UNDERLYING_REGS
        out.append(KnownIndex(underlying_id=regs[at + U_ID], index_e6=regs[at + U_INDEX]))
    return out


# -- a chunk's sums -----------------------------------------------------------------------------


@internal
@pure
def sum_chunk(chunk: DynArray[Series, MARGIN_CHUNK], maker_fee_ppm: int256,
              fee_cap_ppm: int256) -> ChunkSums:
    """margin_fold.py::_scan + _add_vectors + _Pass.to_acc over one chunk of series: the
    chunk's own sums (merged into the accumulator by `merge`). A series without a mark
    only clears `complete`; `maker_fee_ppm` / `fee_cap_ppm` (Config) are read only for a
    series with orders."""
    sums: ChunkSums = empty(ChunkSums)
    sums.complete = True
    for s: Series in chunk:
        if not s.has_mark:
            sums.complete = False
            continue
        mark: int256 = s.mark_e6
        sums.value_e12 += s.position_e6 * mark
        # its underlying's entry: found, or a new one inserted in id order
        n: uint256 = len(sums.underlyings)
        at: uint256 = n
        for i: uint256 in range(MARGIN_CHUNK):
            if i == n or sums.underlyings[i].underlying_id >= s.underlying_id:
                at = i
                break
        u: UnderlyingSums = empty(UnderlyingSums)
        if at < n and sums.underlyings[at].underlying_id == s.underlying_id:
            u = sums.underlyings[at]
        else:
            u.underlying_id = s.underlying_id
            u.index_e6 = s.index_e6
            sums.underlyings.append(u)
            for j: uint256 in range(MARGIN_CHUNK):  # shift the larger ids up by one
                if n - j == at:
                    break
                sums.underlyings[n - j] = sums.underlyings[n - j - 1]
        low: int256 = s.position_e6
        if s.ordered:
            low = s.position_e6 - s.ask_size_e6
            high: int256 = s.position_e6 + s.bid_size_e6
            sums.bid_notional_e12 += s.bid_notional_e12
            by_index: int256 = maker_fee_ppm * u.index_e6 * (s.bid_size_e6 + s.ask_size_e6)
            by_price: int256 = fee_cap_ppm * (s.bid_notional_e12 + s.ask_notional_e12)
            sums.fee_bound += min(by_index, by_price)
            if s.bid_max_e6 > mark:
                sums.haircut_e12 += s.bid_size_e6 * (s.bid_max_e6 - mark)
            if s.ask_size_e6 != 0 and mark > s.ask_min_e6:
                sums.haircut_e12 += s.ask_size_e6 * (mark - s.ask_min_e6)
            short_high: int256 = min(high, 0)
            for k: uint256 in range(N_SCENARIOS):
                loss: int256 = -s.scenario_pnl_e6[k] * SCENARIO_WEIGHTS_PPM[k]
                if loss > 0:  # the worse end of [low, high] is the top, or 0 when all short
                    u.worst[k] += high * loss
                    if low >= 0:
                        u.uncovered[k] += low * loss
                    else:
                        u.uncovered[k] += short_high * loss
                else:
                    u.worst[k] += low * loss
                    u.uncovered[k] += low * loss
            if low >= 0:
                u.least_long_e12 += low * mark
        else:
            for k: uint256 in range(N_SCENARIOS):
                term: int256 = -s.position_e6 * s.scenario_pnl_e6[k] * SCENARIO_WEIGHTS_PPM[k]
                u.worst[k] += term
                u.uncovered[k] += term
            if low > 0:
                u.least_long_e12 += low * mark
        if s.has_vol:
            if s.is_call:
                u.calls_e6 += low
            else:
                u.puts_e6 += low
        sums.underlyings[at] = u
    return sums


# -- merging a chunk into the accumulator -----------------------------------------------------


@internal
@pure
def merge(head: DynArray[int256, MAX_HEAD], base: uint256, touched: DynArray[UnderlyingSums, MARGIN_CHUNK],
          sums: ChunkSums) -> (DynArray[int256, MAX_HEAD], DynArray[UnderlyingSums, MARGIN_CHUNK]):
    """margin_fold.py::_merge: a chunk's sums added to the accumulator. `head`: the step's
    registers up to the accumulator's underlyings (its header at `head[base:base + 6]`);
    `touched`: the accumulator's underlyings the chunk has series on, ascending. Returns
    the header updated (the new underlyings counted) and the chunk's underlyings merged
    (ascending: an accumulator's entry added to, its index kept; a new one as summed)."""
    out: DynArray[int256, MAX_HEAD] = head
    out[base] = convert(head[base] == 1 and sums.complete, int256)
    out[base + 1] += sums.value_e12
    out[base + 2] += sums.haircut_e12
    out[base + 3] += sums.bid_notional_e12
    out[base + 4] += sums.fee_bound
    merged: DynArray[UnderlyingSums, MARGIN_CHUNK] = []
    fresh: int256 = 0
    t: uint256 = 0
    for p: UnderlyingSums in sums.underlyings:
        for _: uint256 in range(MARGIN_CHUNK):
            if t == len(touched) or touched[t].underlying_id >= p.underlying_id:
                break
            t += 1
        if t < len(touched) and touched[t].underlying_id == p.underlying_id:
            u: UnderlyingSums = touched[t]
            u.calls_e6 += p.calls_e6
            u.puts_e6 += p.puts_e6
            u.least_long_e12 += p.least_long_e12
            for k: uint256 in range(N_SCENARIOS):
                u.worst[k] += p.worst[k]
                u.uncovered[k] += p.uncovered[k]
            merged.append(u)
        else:
            merged.append(p)
            fresh += 1
    out[base + 5] += fresh
    return out, merged


@internal
@pure
def fold_chunk(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256, chunk: DynArray[Series, MARGIN_CHUNK],
               maker_fee_ppm: int256, fee_cap_ppm: int256) -> DynArray[int256, MAX_FOLD_REGS]:
    """margin_fold.py::fold (`_scan` and `_merge`) on a whole register array (for tests; the
    steps fold only the underlyings a chunk touches, `steps_margin.vy`): the accumulator at
    `regs[base:]` (checked by `check_regs`, `base` at most MAX_HEAD - HEADER_REGS) with
    `chunk`, the next series in canonical order, added through `sum_chunk` and `merge`;
    `regs[:base]` kept."""
    if len(chunk) == 0:
        return regs
    sums: ChunkSums = self.sum_chunk(chunk, maker_fee_ppm, fee_cap_ppm)
    first: uint256 = base + HEADER_REGS
    count: uint256 = convert(regs[base + 5], uint256)
    touched: DynArray[UnderlyingSums, MARGIN_CHUNK] = []
    for p: UnderlyingSums in sums.underlyings:
        for i: uint256 in range(MAX_POSITIONS):
            if i == count:
                break
            if regs[first + i * UNDERLYING_REGS] == p.underlying_id:
                touched.append(self.slot_at(regs, first + i * UNDERLYING_REGS))
                break
    head: DynArray[int256, MAX_HEAD] = []
    for i: uint256 in range(MAX_HEAD):
        if i == first:
            break
        head.append(regs[i])
    merged: DynArray[UnderlyingSums, MARGIN_CHUNK] = []
    head, merged = self.merge(head, base, touched, sums)
    out: DynArray[int256, MAX_FOLD_REGS] = []
    for r: int256 in head:
        out.append(r)
    i: uint256 = 0  # the accumulator's next entry
    j: uint256 = 0  # the merged list's
    for _: uint256 in range(MAX_POSITIONS + MARGIN_CHUNK):
        if i == count and j == len(merged):
            break
        u: UnderlyingSums = empty(UnderlyingSums)
        if j < len(merged) and (i == count or merged[j].underlying_id <= regs[first + i * UNDERLYING_REGS]):
            if i < count and merged[j].underlying_id == regs[first + i * UNDERLYING_REGS]:
                i += 1
            u = merged[j]
            j += 1
        else:
            u = self.slot_at(regs, first + i * UNDERLYING_REGS)
            i += 1
        out.append(u.underlying_id)
        out.append(u.index_e6)
        out.append(u.calls_e6)
        out.append(u.puts_e6)
        out.append(u.least_long_e12)
        for k: uint256 in range(N_SCENARIOS):
            out.append(u.worst[k])
        for k: uint256 in range(N_SCENARIOS):
            out.append(u.uncovered[k])
    return out


# -- the answers ----------------------------------------------------------------------------


@internal
@pure
def addon_e6(index_e6: int256, calls_e6: int256, puts_e6: int256) -> int256:
    """margin_fold.py::addon_e6: 1% of the index per net short call or put contract, rounded up."""
    naked: int256 = max(-calls_e6, 0) + max(-puts_e6, 0)
    if naked == 0:
        return 0
    return self.ceil_div(naked * index_e6 * NAKED_SHORT_ADDON_PPM, E6 * PPM)


@internal
@pure
def im_buffer_e6(uncovered_e6: int256) -> int256:
    """margin_fold.py::im_buffer_e6: 30% of max(0, uncovered), rounded up."""
    if uncovered_e6 <= 0:
        return 0
    return self.ceil_div(uncovered_e6 * IM_BUFFER_PPM, PPM)


@internal
@pure
def summary_of(u: UnderlyingSums) -> Summary:
    """What `finish_of` needs of an underlying's registers: its maxima over scenarios."""
    worst: int256 = u.worst[0]
    uncovered: int256 = u.uncovered[0]
    for k: uint256 in range(1, N_SCENARIOS):
        worst = max(worst, u.worst[k])
        uncovered = max(uncovered, u.uncovered[k])
    return Summary(underlying_id=u.underlying_id, index_e6=u.index_e6, calls_e6=u.calls_e6, puts_e6=u.puts_e6,
                   least_long_e12=u.least_long_e12, worst=worst, uncovered=uncovered)


@internal
@pure
def finish_of(complete: bool, value_e12: int256, haircut: int256, bid_notional: int256, fee_bound: int256,
              summaries: DynArray[Summary, MAX_POSITIONS], cash_e6: int256) -> Backing:
    """margin_fold.py::finish (`_cash_bounds` and `_backing`): the bounds from the header sums
    of the fold of all of an account's series and each underlying's `Summary` (any order:
    the terms are summed), with its cash `cash_e6`. For an accumulator of positions alone,
    maintenance and initial are margin_fold.py::summary's too."""
    b: Backing = Backing(cash_e6=cash_e6, free_cash_e6=cash_e6, equity_e6=0, maintenance_e6=0, initial_e6=0,
                         complete=complete)
    if fee_bound == 0 and bid_notional == 0 and haircut == 0:  # no resting orders
        b.equity_e6 = cash_e6 + self.floor_div(value_e12, E6)
    else:
        fees: int256 = self.ceil_div(fee_bound, FEE_SCALE)
        b.free_cash_e6 = cash_e6 - self.ceil_div(bid_notional, E6) - fees
        b.equity_e6 = cash_e6 - fees + self.floor_div(value_e12 - haircut, E6)
    for s: Summary in summaries:
        addon: int256 = self.addon_e6(s.index_e6, s.calls_e6, s.puts_e6)
        mm: int256 = self.ceil_div(max(s.worst, 0), LOSS_SCALE) + addon
        b.maintenance_e6 += mm
        short: int256 = max(s.uncovered, 0) - s.least_long_e12 * PPM
        b.initial_e6 += mm + self.im_buffer_e6(self.ceil_div(short, LOSS_SCALE) + addon)
    return b


@internal
@pure
def slot_at(regs: DynArray[int256, MAX_FOLD_REGS], at: uint256) -> UnderlyingSums:
    """The underlying whose registers start at `regs[at]`."""
    u: UnderlyingSums = UnderlyingSums(underlying_id=regs[at + U_ID], index_e6=regs[at + U_INDEX],
                                       calls_e6=regs[at + U_CALLS], puts_e6=regs[at + U_PUTS],
                                       least_long_e12=regs[at + U_LEAST_LONG], worst=empty(int256[N_SCENARIOS]),
                                       uncovered=empty(int256[N_SCENARIOS]))
    for k: uint256 in range(N_SCENARIOS):
        u.worst[k] = regs[at + U_WORST + k]
        u.uncovered[k] = regs[at + U_UNCOVERED + k]
    return u


@internal
@pure
def finish(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256, cash_e6: int256) -> Backing:
    """`finish_of` of the accumulator at `regs[base:]` (for tests: the steps hand the
    summaries in, `steps_margin.vy`)."""
    summaries: DynArray[Summary, MAX_POSITIONS] = []
    count: uint256 = convert(regs[base + 5], uint256)
    for i: uint256 in range(MAX_POSITIONS):
        if i == count:
            break
        summaries.append(self.summary_of(self.slot_at(regs, base + HEADER_REGS + i * UNDERLYING_REGS)))
    return self.finish_of(regs[base] == 1, regs[base + 1], regs[base + 2], regs[base + 3], regs[base + 4],
                          summaries, cash_e6)


@internal
@pure
def finish_with(complete: bool, value_e12: int256, haircut: int256, bid_notional: int256, fee_bound: int256,
                summaries: DynArray[Summary, MAX_POSITIONS], merged: DynArray[UnderlyingSums, MARGIN_CHUNK],
                cash_e6: int256) -> Backing:
    """finish_of over the accumulator's underlyings `summaries` with the chunk's
    `merged` ones in place of (or besides) theirs."""
    every: DynArray[Summary, MAX_POSITIONS] = []
    for s: Summary in summaries:
        kept: bool = True
        for u: UnderlyingSums in merged:
            if u.underlying_id == s.underlying_id:
                kept = False
                break
        if kept:
            every.append(s)
    for u: UnderlyingSums in merged:
        every.append(self.summary_of(u))
    return self.finish_of(complete, value_e12, haircut, bid_notional, fee_bound, every, cash_e6)


@internal
@pure
def positions_ok(chunk: DynArray[Series, MARGIN_CHUNK], cash_e6: int256) -> bool:
    """
    @notice Whether the positions of `chunk` (a whole account) alone meet initial margin with
            `cash_e6`: margin.py::initial_failure's `meets_initial` of the positions-only account.
    """
    positions: DynArray[Series, MARGIN_CHUNK] = []
    for s: Series in chunk:
        if s.position_e6 != 0:  # the series with a position, without their orders
            p: Series = s
            p.ordered = False
            p.bid_size_e6 = 0
            p.bid_notional_e12 = 0
            p.bid_max_e6 = 0
            p.ask_size_e6 = 0
            p.ask_notional_e12 = 0
            p.ask_min_e6 = 0
            positions.append(p)
    sums: ChunkSums = self.sum_chunk(positions, 0, 0)
    b: Backing = self.finish_with(sums.complete, sums.value_e12, sums.haircut_e12, sums.bid_notional_e12,
                                          sums.fee_bound, [], sums.underlyings, cash_e6)
    return self.is_ok(b)


@internal
@pure
def value_e6(regs: DynArray[int256, MAX_FOLD_REGS], base: uint256) -> int256:
    """margin_fold.py::summary's `value_e6`: the positions' value, rounded down."""
    return self.floor_div(regs[base + 1], E6)


@internal
@pure
def is_ok(b: Backing) -> bool:
    """margin_fold.py::Backing.ok: positions and resting orders meet initial margin."""
    return b.complete and b.free_cash_e6 >= 0 and b.equity_e6 >= b.initial_e6


@internal
@pure
def failure_code(cash_e6: int256, has_orders: bool, b: Backing, positions_ok: bool) -> int256:
    """margin.py::failure_code: OK or why the account fails initial margin. `positions_ok`
    (its positions alone pass) is read only with orders and non-negative cash."""
    if self.is_ok(b):
        return OK
    if cash_e6 < 0:
        return INSUFFICIENT_BALANCE
    if not has_orders or not positions_ok:
        return INSUFFICIENT_MARGIN
    if b.free_cash_e6 < 0:
        return ORDERS_EXCEED_BALANCE
    return ORDERS_EXCEED_MARGIN
