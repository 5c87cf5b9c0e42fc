# pragma version 0.4.3
"""
@title steps_margin
@notice The margin family on L1: `MARGIN` (40) and `MARGIN_FOLD` (41), twins of
        `node/stf/margin_steps.py`. This contract holds the step's witness (the trie pool)
        and reads the records; the cursor side is `margin_machine.vy` (which calls back
        `chunk` for the reads) and the sums are `margin_sums.vy` (the family does not fit
        one contract). The steps never write: the post-root is the pre-root.
@dev Reads are a subset of Python's, so the witness holds every node they need: the account
     (and Globals when its balance is positive: `accounts.load`), per series of the chunk
     its mark, its underlying when the accumulator does not hold its index yet, and the
     Config once when a series with orders has a mark. Reverts ("steps_margin: ...", or a
     library's prefix) only on states the STF never reaches: a mark whose underlying is
     missing, no Config, a value past int256.
"""

from fault.lib import trie
from fault.lib import state
from fault.lib import records
from fault.lib import keys
import lib.rlp as rlp
import fault.lib.cursor as cursor
import fault.lib.margin_fold as margin_fold

initializes: trie
initializes: state[trie := trie]

MAX_NODES: constant(uint256) = 256
MARGIN_CHUNK: constant(uint256) = margin_fold.MARGIN_CHUNK
MAX_POSITIONS: constant(uint256) = margin_fold.MAX_POSITIONS
MAX_VALUE: constant(uint256) = trie.MAX_VALUE
# Fields read from records (node/stf/records.py field order).
GLOBALS_LOSS_INDEX: constant(uint256) = 13
UNDERLYING_INDEX_PRICE: constant(uint256) = 1
CONFIG_MAKER_FEE: constant(uint256) = 5
CONFIG_FEE_CAP: constant(uint256) = 6


# The fields of an Account the margin sums read (records.py::Account), as read
# (accounts.py::load): its cash and its positions and order totals, both by ascending id.
struct AccountRisk:
    balance_e6: int256
    positions: DynArray[records.Position, MAX_POSITIONS]
    order_totals: DynArray[records.OrderTotals, MAX_POSITIONS]


# The fields of a Mark the margin sums read (records.py::Mark).
struct MarkView:
    mark_e6: uint256
    vol_e6: uint256
    underlying_id: uint256
    is_call: bool
    scenario_pnl_e6: int256[margin_fold.N_SCENARIOS]


interface MarginMachine:
    def step(cursor_rlp: Bytes[cursor.MAX_CURSOR], sums: address) -> Bytes[cursor.MAX_CURSOR]: nonpayable


MACHINE: public(immutable(address))
SUMS: public(immutable(address))


@deploy
def __init__(machine: address, sums: address):
    """
    @param machine The `margin_machine.vy` contract.
    @param sums The `margin_sums.vy` contract.
    """
    MACHINE = machine
    SUMS = sums


@internal
@view
def _calldata_word(at: uint256) -> uint256:
    return convert(slice(msg.data, at, 32), uint256)


@internal
@view
def _calldata_bytes(at: uint256) -> Bytes[cursor.MAX_CURSOR]:
    """
    @notice The ABI `bytes` at calldata offset `at` (its length word), at most MAX_CURSOR
            bytes (a witness node is at most MAX_NODE, less).
    @dev Word by word: Vyper slices calldata only by a constant length, within the calldata.
    """
    size: uint256 = self._calldata_word(at)
    assert size <= cursor.MAX_CURSOR, "steps_margin: bytes over MAX_CURSOR"
    words: DynArray[bytes32, cursor.MAX_CURSOR // 32 + 3] = [convert(32, bytes32), convert(size, bytes32)]
    for k: uint256 in range(cursor.MAX_CURSOR // 32 + 1):
        if 32 * k >= size:
            break
        words.append(convert(slice(msg.data, at + 32 + 32 * k, 32), bytes32))
    return abi_decode(slice(abi_encode(words), 64, 32 * len(words)), Bytes[cursor.MAX_CURSOR])


@external
def __default__() -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    """
    @notice `run(bytes32 pre_root, bytes cursor, bytes[] nodes, bytes inputs)`, the family
            interface: one margin step, `(post_root, post_cursor)`; the root does not move.
    @dev Decoded by hand: declared as a Vyper function, `nodes` (up to MAX_NODES nodes of
         MAX_NODE bytes) would take MAX_NODES x MAX_NODE bytes of memory. `inputs` is not
         read. Offsets are those of any ABI encoding; reverts on calldata too short for them.
    """
    assert slice(msg.data, 0, 4) == method_id("run(bytes32,bytes,bytes[],bytes)"), "steps_margin: unknown function"
    pre_root: bytes32 = convert(slice(msg.data, 4, 32), bytes32)
    cursor_rlp: Bytes[cursor.MAX_CURSOR] = self._calldata_bytes(4 + self._calldata_word(36))
    nodes: uint256 = 4 + self._calldata_word(68)  # the array's length word
    count: uint256 = self._calldata_word(nodes)
    assert count <= MAX_NODES, "steps_margin: over MAX_NODES witness nodes"
    for i: uint256 in range(MAX_NODES):
        if i == count:
            break
        trie.add_node(convert(self._calldata_bytes(nodes + 32 + self._calldata_word(nodes + 32 + 32 * i)),
                              Bytes[trie.MAX_NODE]))
    state.begin(pre_root)
    return pre_root, extcall MarginMachine(MACHINE).step(cursor_rlp, SUMS)


@external
def chunk(owner: address, with_orders: bool, first: uint256, known: DynArray[margin_fold.KnownIndex, MAX_POSITIONS]) -> (
        margin_fold.AccountView, DynArray[margin_fold.Series, MARGIN_CHUNK], int256, int256):
    """
    @notice For `margin_machine.vy`, during `run`: the account at `owner` as the margin steps
            see it, and the next chunk of its series from `first` (positions alone unless
            `with_orders`) with the Config's maker fee and fee cap (`_chunk`). `known`: the
            accumulator's underlyings with their indices (not read again).
    """
    a: AccountRisk = self._load_account(owner)
    view: margin_fold.AccountView = margin_fold.AccountView(
        cash_e6=a.balance_e6, has_orders=len(a.order_totals) > 0, series=self._series_count(a),
        positions=len(a.positions))
    series: DynArray[margin_fold.Series, MARGIN_CHUNK] = []
    maker_fee: int256 = 0
    fee_cap: int256 = 0
    series, maker_fee, fee_cap = self._chunk(a, with_orders, first, known)
    return view, series, maker_fee, fee_cap


# ---------------------------------------------------------------------------------
# Reads


@internal
@pure
def _uint_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @notice The integer item at `pos` (`w0`, `w1`: the buffer's words at `pos` and `pos + 1`)
            and the offset after it: `records.py::_int` of a string of at most 32 bytes.
    @dev Records under a root the STF reached are canonical (`records.vy` checks that when
         it decodes a whole record); this reads the fields a margin sum needs.
    """
    it: rlp.Item = rlp.header(w0, pos, limit)
    assert not it.is_list and it.length <= 32, "steps_margin: not an integer"
    if it.length == 0:
        return 0, it.end
    if it.offset == pos:  # a single byte below 0x80
        return convert(w0, uint256) >> 248, it.end
    return convert(w1, uint256) >> (8 * (32 - it.length)), it.end


@internal
@pure
def _int_at(w0: bytes32, w1: bytes32, pos: uint256, limit: uint256) -> (int256, uint256):
    """
    @notice The signed integer item at `pos`: `records.py::_sint` (int256 two's complement).
    """
    x: uint256 = 0
    end: uint256 = 0
    x, end = self._uint_at(w0, w1, pos, limit)
    return convert(convert(x, bytes32), int256), end


@internal
@pure
def _list_at(w0: bytes32, pos: uint256, limit: uint256) -> (uint256, uint256):
    """
    @notice The list whose header is at `pos`: (payload offset, end).
    """
    it: rlp.Item = rlp.header(w0, pos, limit)
    assert it.is_list, "steps_margin: not a list"
    return it.offset, it.end


@internal
@pure
def _fields(raw: Bytes[MAX_VALUE], wanted: uint256, count: uint256) -> DynArray[uint256, 2]:
    """
    @notice Top-level fields `wanted`, ... `wanted + count - 1` (integers) of the record `raw`.
    @dev Reads what `records.vy`'s decoders read at those positions, without the other
         fields' checks: every record under a root the STF reached is a canonical encoding.
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    top: rlp.Item = rlp.header(extract32(pad, 0), 0, len(raw))
    assert top.is_list, "steps_margin: a record is not a list"
    p: uint256 = top.offset
    for _: uint256 in range(32):
        if wanted == 0:
            break
        p = rlp.header(extract32(pad, p), p, top.end).end
        wanted -= 1
    out: DynArray[uint256, 2] = []
    x: uint256 = 0
    for _: uint256 in range(2):
        if len(out) == count:
            break
        x, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, top.end)
        out.append(x)
    return out


@internal
def _mark(instrument_id: uint256) -> (bool, MarkView):
    """
    @notice `State.get(keys.mark(instrument_id))`: the fields of the Mark a margin sum reads.
    """
    raw: Bytes[MAX_VALUE] = state.get(keys.mark(instrument_id))
    m: MarkView = empty(MarkView)
    if len(raw) == 0:
        return False, m
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    top: rlp.Item = rlp.header(extract32(pad, 0), 0, len(raw))
    assert top.is_list, "steps_margin: a record is not a list"
    p: uint256 = top.offset
    end: uint256 = top.end
    x: uint256 = 0
    m.mark_e6, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    x, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)  # index_e6
    m.vol_e6, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    x, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)  # time
    m.underlying_id, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    x, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.is_call = x == 1
    q: uint256 = 0
    list_end: uint256 = 0
    q, list_end = self._list_at(extract32(pad, p), p, end)
    for k: uint256 in range(margin_fold.N_SCENARIOS):
        m.scenario_pnl_e6[k], q = self._int_at(extract32(pad, q), extract32(pad, q + 1), q, list_end)
    assert q == list_end, "steps_margin: a mark without 23 scenarios"
    return True, m


@internal
def _load_account(owner: address) -> AccountRisk:
    """
    @notice node/stf/accounts.py::load, the fields a margin sum reads: the account at `owner`
            (all zero when absent), a positive balance cut by the socialised loss since it
            was written (`haircut.apply`: floor(balance x index now / index written), unsigned).
    """
    a: AccountRisk = empty(AccountRisk)
    raw: Bytes[MAX_VALUE] = state.get(keys.account(owner))
    if len(raw) == 0:
        return a
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    top: rlp.Item = rlp.header(extract32(pad, 0), 0, len(raw))
    assert top.is_list, "steps_margin: a record is not a list"
    p: uint256 = top.offset
    end: uint256 = top.end
    a.balance_e6, p = self._int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    for _: uint256 in range(3):  # nonce floor, nonce bitmap, open orders
        p = rlp.header(extract32(pad, p), p, end).end
    q: uint256 = 0
    list_end: uint256 = 0
    q, list_end = self._list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_POSITIONS + 1):
        if q == list_end:
            break
        item_end: uint256 = 0
        x: uint256 = 0
        size: int256 = 0
        q, item_end = self._list_at(extract32(pad, q), q, list_end)
        x, q = self._uint_at(extract32(pad, q), extract32(pad, q + 1), q, item_end)
        size, q = self._int_at(extract32(pad, q), extract32(pad, q + 1), q, item_end)
        a.positions.append(records.Position(instrument_id=x, size_e6=size))
    p = list_end
    loss_index: uint256 = 0
    loss_index, p = self._uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    q, list_end = self._list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_POSITIONS + 1):
        if q == list_end:
            break
        item_end: uint256 = 0
        v: uint256[7] = empty(uint256[7])
        q, item_end = self._list_at(extract32(pad, q), q, list_end)
        for k: uint256 in range(7):
            v[k], q = self._uint_at(extract32(pad, q), extract32(pad, q + 1), q, item_end)
        a.order_totals.append(records.OrderTotals(
            instrument_id=v[0], bid_size_e6=v[1], bid_notional_e12=v[2], bid_max_e6=v[3], ask_size_e6=v[4],
            ask_notional_e12=v[5], ask_min_e6=v[6]))
    if a.balance_e6 > 0:
        index: uint256 = self._fields(state.get(keys.GLOBALS), GLOBALS_LOSS_INDEX, 1)[0]
        if loss_index != index:
            a.balance_e6 = convert(convert(a.balance_e6, uint256) * index // loss_index, int256)
    return a


@internal
@pure
def _series_count(a: AccountRisk) -> uint256:
    """
    @notice len(node/stf/margin_fold.py::series_ids(account)): instrument ids with a position
            or resting orders. Both lists are ascending (`AccountRisk`).
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
def _chunk(a: AccountRisk, with_orders: bool, first: uint256,
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
        m: MarkView = empty(MarkView)
        found, m = self._mark(instrument_id)
        if found:
            s.has_mark = True
            s.mark_e6 = convert(m.mark_e6, int256)
            s.has_vol = m.vol_e6 != 0
            s.is_call = m.is_call
            s.underlying_id = convert(m.underlying_id, int256)
            s.scenario_pnl_e6 = m.scenario_pnl_e6
            s.index_e6 = -1
            for u: margin_fold.KnownIndex in indices:
                if u.underlying_id == s.underlying_id:
                    s.index_e6 = u.index_e6
                    break
            if s.index_e6 < 0:  # not known yet: read it (margin_fold.py::_underlying)
                raw: Bytes[MAX_VALUE] = state.get(keys.underlying(m.underlying_id))
                assert len(raw) > 0, "steps_margin: a mark's underlying is missing"
                s.index_e6 = convert(self._fields(raw, UNDERLYING_INDEX_PRICE, 1)[0], int256)
                indices.append(margin_fold.KnownIndex(underlying_id=s.underlying_id, index_e6=s.index_e6))
            if s.ordered and not fees_read:
                config: Bytes[MAX_VALUE] = state.get(keys.CONFIG)
                assert len(config) > 0, "steps_margin: no Config"
                fees: DynArray[uint256, 2] = self._fields(config, CONFIG_MAKER_FEE, 2)
                maker_fee = convert(fees[0], int256)
                fee_cap = convert(fees[1], int256)
                fees_read = True
        chunk.append(s)
    return chunk, maker_fee, fee_cap
