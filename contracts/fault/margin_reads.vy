# pragma version 0.4.3
"""
@title margin_reads
@notice What a margin step reads (twin of `node/stf/margin_fold.py::fold`'s reads through
        `accounts.load`), for the family contract `steps_margin.vy`, which has put the
        step's witness in the trie store's pool: the account, its series count, and the next
        chunk of its series with their marks, indices and the Config's fee rates. A piece of
        its own so that the entry, which reads the cursor in calldata, compiles with the
        legacy code generator (Venom copies an external function's calldata arguments, the
        cursor and the witness, into memory) within EIP-170.
"""

import fault.lib.state as state
import fault.lib.records as records
import fault.lib.accounts as accounts
import fault.lib.margin_fold as margin_fold

initializes: state
initializes: accounts[state := state]

MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_POSITIONS: constant(uint256) = margin_fold.MAX_POSITIONS

@external
def read(pre_root: bytes32, store: address, owner: address, with_orders: bool, first: uint256,
         known: DynArray[margin_fold.KnownIndex, MAX_POSITIONS]) -> (
        margin_fold.AccountView, DynArray[margin_fold.Series, MARGIN_CHUNK], int256, int256):
    """
    @notice The account at `owner` at the state `pre_root` (read through the trie store
            `store`, whose pool holds the step's witness) as the margin steps see it
            (`accounts.load`), and the next chunk of its series from `first` (positions
            alone unless `with_orders`) with the Config's maker fee and fee cap (`_chunk`).
            `known`: the accumulator's underlyings with their indices (not read again).
    """
    state.begin(pre_root, store)
    a: records.Account = accounts.load(owner)
    view: margin_fold.AccountView = margin_fold.AccountView(
        cash_e6=a.balance_e6, has_orders=len(a.order_totals) > 0, series=self._series_count(a),
        positions=len(a.positions))
    series: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    series, maker_fee, fee_cap = self._chunk(a, with_orders, first, known)
    return view, series, maker_fee, fee_cap


@internal
@pure
def _series_count(a: records.Account) -> uint256:
    """
    @notice len(node/stf/margin_fold.py::series_ids(account)): instrument ids with a position
            or resting orders. Both lists are ascending (records.py::Account).
    """
    n: uint256 = 0
    i: uint256 = 0
    j: uint256 = 0
    for _: uint256 in range(2 * MAX_POSITIONS):
        if i == len(a.positions) and j == len(a.order_totals):
            break
        if j == len(a.order_totals) or i < len(a.positions) and a.positions[i].instrument_id < a.order_totals[j].instrument_id:
            i += 1
        elif i == len(a.positions) or a.order_totals[j].instrument_id < a.positions[i].instrument_id:
            j += 1
        else:
            i += 1
            j += 1
        n += 1
    return n


@internal
def _chunk(a: records.Account, with_orders: bool, first: uint256,
           known: DynArray[margin_fold.KnownIndex, MAX_POSITIONS]) -> (DynArray[margin_fold.Series, MARGIN_CHUNK], int256, int256):
    """
    @notice The values of series [first, first + MARGIN_CHUNK) of `a` (positions alone unless
            `with_orders`) as node/stf/margin_fold.py::fold reads them, and the Config's
            maker fee and fee cap (read only when a series with orders has a mark). `known`:
            the accumulator's underlyings and indices.
    """
    chunk: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    indices: DynArray[margin_fold.KnownIndex, MAX_POSITIONS] = known
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    fees_read: bool = False
    totals: uint256 = 0
    if with_orders:
        totals = len(a.order_totals)
    i: uint256 = 0
    j: uint256 = 0
    at: uint256 = 0  # series index of the next id
    for _: uint256 in range(2 * MAX_POSITIONS):
        if i == len(a.positions) and j == totals or len(chunk) == MARGIN_CHUNK:
            break
        s: margin_fold.Series = empty(margin_fold.Series)
        instrument_id: uint256 = 0
        if j == totals or i < len(a.positions) and a.positions[i].instrument_id <= a.order_totals[j].instrument_id:
            instrument_id = a.positions[i].instrument_id
            s.position_e6 = a.positions[i].size_e6
            i += 1
        else:
            instrument_id = a.order_totals[j].instrument_id
        if j < totals and a.order_totals[j].instrument_id == instrument_id:
            t: records.OrderTotals = a.order_totals[j]
            s.ordered = True
            s.bid_size_e6 = convert(t.bid_size_e6, int256)
            s.bid_notional_e12 = convert(t.bid_notional_e12, int256)
            s.bid_max_e6 = convert(t.bid_max_e6, int256)
            s.ask_size_e6 = convert(t.ask_size_e6, int256)
            s.ask_notional_e12 = convert(t.ask_notional_e12, int256)
            s.ask_min_e6 = convert(t.ask_min_e6, int256)
            j += 1
        at += 1
        if at <= first:
            continue
        found: bool = False
        m: records.Mark = empty(records.Mark)
        found, m = state.get_mark(instrument_id)
        if found:
            s.has_mark = True
            s.mark_e6 = convert(m.mark_e6, int256)
            s.has_vol = m.vol_e6 != 0
            s.is_call = m.is_call
            s.underlying_id = convert(m.underlying_id, int256)
            for k: uint256 in range(margin_fold.N_SCENARIOS):
                s.scenario_pnl_e6[k] = m.scenario_pnl_e6[k]
            s.index_e6 = -1
            for u: margin_fold.KnownIndex in indices:
                if u.underlying_id == s.underlying_id:
                    s.index_e6 = u.index_e6
                    break
            if s.index_e6 < 0:  # not known yet: read it (margin_fold.py::_underlying)
                u_found: bool = False
                u: records.Underlying = empty(records.Underlying)
                u_found, u = state.get_underlying(m.underlying_id)
                assert u_found, "steps_margin: a mark's underlying is missing"
                s.index_e6 = convert(u.index_price_e6, int256)
                indices.append(margin_fold.KnownIndex(underlying_id=s.underlying_id, index_e6=s.index_e6))
            if s.ordered and not fees_read:
                config: records.Config = accounts.get_config()
                maker_fee = convert(config.maker_fee_ppm, int256)
                fee_cap = convert(config.fee_cap_ppm, int256)
                fees_read = True
        chunk.append(s)
    return chunk, maker_fee, fee_cap
