# pragma version 0.4.3
"""
@title records
@notice The state records of `node/stf/records.py` as Vyper structs (same names, same
        fields in the same order), with `decode_<record>(raw)` / `encode_<record>(rec)`
        byte for byte equal to Python's `<Record>.decode` / `<Record>.encode`.
@dev Field types: unsigned ints are uint256, signed ints int256 (two's complement on the
     wire, as `records._s`), 20-byte strings `address`, flags `bool`, Python tuples
     `DynArray`s bounded by `node/stf/params.py` (or by the bounds below), nested
     NamedTuples structs of the same name; the `(instrument_id, size_e6)` pairs of
     `Account.positions` are `Position`s.

     Decoding accepts exactly the canonical encodings: `decode_X(raw)` returns iff
     `raw == encode_X(rec)` for the record it returns. Python's decoders are more lenient
     (integers with leading zeros, a bool of 2, an address of 19 bytes, ...); every such
     byte string differs from every `encode` output, so it is never stored in a state
     reached by the STF (every write goes through `encode`), and refusing it cannot
     change a step on a reachable state. Anything Python refuses, this refuses too.

     Bounds that `node/stf/` does not enforce itself (genesis parameters): at most
     MAX_ORACLES oracles, every Config address 20 bytes, an underlying's name at most
     MAX_NAME bytes.
"""

import lib.rlp as rlp
from fault.lib import record_rlp as rr

# --- bounds (node/stf/params.py unless said) ------------------------------------
MAX_OPEN_ORDERS: constant(uint256) = 128
MAX_POSITIONS: constant(uint256) = 64
MAX_INSTRUMENTS_PER_UNDERLYING: constant(uint256) = 256
MAX_SURFACE_POINTS: constant(uint256) = 16
N_SCENARIOS: constant(uint256) = 23  # node/stf/scenarios.py::N_SCENARIOS
MAX_ORACLES: constant(uint256) = 16  # genesis bound (not checked by node/stf/genesis.py)
MAX_NAME: constant(uint256) = 32  # bytes of Underlying.name (genesis bound, likewise)
WAD: constant(uint256) = 10**18  # node/stf/fixedpoint.py::WAD

# node/stf/scenarios.py::SCENARIO_WEIGHTS_PPM
SCENARIO_WEIGHTS_PPM: constant(int256[N_SCENARIOS]) = [
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    350000, 350000,
]

# --- encoded sizes: the largest encoding of each record (every field at its type's widest:
# a scalar 33 bytes, an address 21, a list header 3 (payload < 65536)) -----------------
SCALAR_RLP: constant(uint256) = 33
ADDRESS_RLP: constant(uint256) = 21
LIST_HEADER: constant(uint256) = 3
POSITION_RLP: constant(uint256) = LIST_HEADER + 2 * SCALAR_RLP  # 69
ORDER_TOTALS_RLP: constant(uint256) = LIST_HEADER + 7 * SCALAR_RLP  # 234
VOL_POINT_RLP: constant(uint256) = LIST_HEADER + 4 * SCALAR_RLP  # 135
# Account: 4 scalars + 3 lists: 3 + 132 + (3 + 128 * 33) + (3 + 64 * 69) + (3 + 64 * 234) = 23,760
ACCOUNT_RLP: constant(uint256) = (
    LIST_HEADER + 4 * SCALAR_RLP + LIST_HEADER + MAX_OPEN_ORDERS * SCALAR_RLP
    + LIST_HEADER + MAX_POSITIONS * POSITION_RLP + LIST_HEADER + MAX_POSITIONS * ORDER_TOTALS_RLP
)
# Underlying: name 33, 4 scalars, 2 lists: 3 + 33 + 132 + (3 + 16 * 135) + (3 + 256 * 33) = 10,782
UNDERLYING_RLP: constant(uint256) = (
    LIST_HEADER + SCALAR_RLP + 4 * SCALAR_RLP + LIST_HEADER + MAX_SURFACE_POINTS * VOL_POINT_RLP
    + LIST_HEADER + MAX_INSTRUMENTS_PER_UNDERLYING * SCALAR_RLP
)
# Largest value a state key holds: what `trie.get` returns and `trie.put` takes. At least
# ACCOUNT_RLP (the largest record) and the output bound of every `encode_<record>` (a list
# written through a word buffer has a bound of 9 + 32 * words: `encode_account`'s is 23,976).
MAX_VALUE: constant(uint256) = 24576

# Word buffers of the lists written through `record_rlp.spread`: payload / 32 + 2 words.
ORDERS_WORDS: constant(uint256) = MAX_OPEN_ORDERS * SCALAR_RLP // 32 + 2
POSITIONS_WORDS: constant(uint256) = MAX_POSITIONS * POSITION_RLP // 32 + 2
TOTALS_WORDS: constant(uint256) = MAX_POSITIONS * ORDER_TOTALS_RLP // 32 + 2
SURFACE_WORDS: constant(uint256) = MAX_SURFACE_POINTS * VOL_POINT_RLP // 32 + 2
INSTRUMENTS_WORDS: constant(uint256) = MAX_INSTRUMENTS_PER_UNDERLYING * SCALAR_RLP // 32 + 2
SCENARIO_WORDS: constant(uint256) = N_SCENARIOS * SCALAR_RLP // 32 + 2
ORACLES_WORDS: constant(uint256) = MAX_ORACLES * ADDRESS_RLP // 32 + 2
MAX_FLAT: constant(uint256) = 17  # fields of the largest all-scalar record (Globals)

# Output bounds of the encoders whose type is not written out in full.
ACCOUNT_BOUND: constant(uint256) = 9 + 4 * SCALAR_RLP + 27 + 32 * (ORDERS_WORDS + POSITIONS_WORDS + TOTALS_WORDS)
UNDERLYING_BOUND: constant(uint256) = 9 + 5 * SCALAR_RLP + 18 + 32 * (SURFACE_WORDS + INSTRUMENTS_WORDS)
MARK_BOUND: constant(uint256) = 9 + 9 * SCALAR_RLP + 1 + 9 + 32 * SCENARIO_WORDS


# --- records (node/stf/records.py, field for field) -------------------------------


struct Globals:
    next_order_id: uint256
    next_instrument_id: uint256
    next_deposit_index: uint256
    next_withdrawal_index: uint256
    fee_pool_e6: uint256
    insurance_fund_e6: uint256
    total_deposited_e6: uint256
    total_withdrawn_e6: uint256
    last_block_number: uint256
    last_block_time: uint256
    settlement_paid_in_e6: uint256
    settlement_paid_out_e6: uint256
    unbacked_loss_e6: uint256
    loss_index: uint256
    scaled_positive_e6: uint256
    haircut_due_e6: uint256
    next_forced_index: uint256


struct Config:
    chain_id: uint256
    verifying_contract: address
    admin: address
    oracles: DynArray[address, MAX_ORACLES]
    taker_fee_ppm: uint256
    maker_fee_ppm: uint256
    fee_cap_ppm: uint256
    rate_e6: uint256


struct OrderTotals:
    instrument_id: uint256
    bid_size_e6: uint256
    bid_notional_e12: uint256
    bid_max_e6: uint256
    ask_size_e6: uint256
    ask_notional_e12: uint256
    ask_min_e6: uint256


struct Position:
    # one `(instrument_id, size_e6)` pair of `Account.positions`
    instrument_id: uint256
    size_e6: int256


struct Account:
    balance_e6: int256
    nonce_floor: uint256
    nonce_bitmap: uint256
    open_orders: DynArray[uint256, MAX_OPEN_ORDERS]
    positions: DynArray[Position, MAX_POSITIONS]
    loss_index: uint256
    order_totals: DynArray[OrderTotals, MAX_POSITIONS]


struct VolPoint:
    # node/stf/txtypes.py::VolPoint
    expiry: uint256
    atm_vol_e6: uint256
    skew_e6: int256
    curvature_e6: uint256


struct Underlying:
    name: Bytes[MAX_NAME]
    index_price_e6: uint256
    oracle_time: uint256
    surface: DynArray[VolPoint, MAX_SURFACE_POINTS]
    instruments: DynArray[uint256, MAX_INSTRUMENTS_PER_UNDERLYING]
    oracle_sequence: uint256
    observation_time: uint256


struct Instrument:
    underlying_id: uint256
    expiry: uint256
    strike_e6: uint256
    is_call: bool
    tick_size_e6: uint256
    min_size_e6: uint256
    best_bid_e6: uint256
    best_ask_e6: uint256


struct Mark:
    # `weighted_loss` / `max_loss` are derived, not stored: see `weighted_loss` below.
    mark_e6: uint256
    index_e6: uint256
    vol_e6: uint256
    time: uint256
    underlying_id: uint256
    is_call: bool
    scenario_pnl_e6: DynArray[int256, N_SCENARIOS]
    delta: int256
    gamma: int256
    vega: int256
    theta: int256


struct SeriesIndex:
    instrument_id: uint256


struct Level:
    better_e6: uint256
    worse_e6: uint256
    head_order_id: uint256
    tail_order_id: uint256
    total_size_e6: uint256


struct Order:
    owner: address
    instrument_id: uint256
    side: uint256
    price_e6: uint256
    remaining_e6: uint256
    reduce_only: bool
    client_order_id: uint256
    expiry: uint256
    prev_id: uint256
    next_id: uint256


struct ClientOrderIndex:
    order_id: uint256


struct Withdrawal:
    sender: address
    recipient: address
    amount_e6: uint256
    block_number: uint256


struct SettlementPrice:
    index_seconds: uint256
    seconds: uint256
    price_e6: uint256


struct Auction:
    start_time: uint256


# ---------------------------------------------------------------------------------
# Decoding: `decode_<record>(raw)` is `node/stf/records.py::<Record>.decode` on the
# canonical encodings, and reverts on every other byte string (see the module notice).


@internal
@pure
def decode_globals(raw: Bytes[MAX_VALUE]) -> Globals:
    """
    @notice Twin of `node/stf/records.py::Globals.decode`.
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 17, 0, 0)
    return Globals(
        next_order_id=v[0], next_instrument_id=v[1], next_deposit_index=v[2],
        next_withdrawal_index=v[3], fee_pool_e6=v[4], insurance_fund_e6=v[5],
        total_deposited_e6=v[6], total_withdrawn_e6=v[7], last_block_number=v[8],
        last_block_time=v[9], settlement_paid_in_e6=v[10], settlement_paid_out_e6=v[11],
        unbacked_loss_e6=v[12], loss_index=v[13], scaled_positive_e6=v[14],
        haircut_due_e6=v[15], next_forced_index=v[16],
    )


@internal
@pure
def decode_config(raw: Bytes[MAX_VALUE]) -> Config:
    """
    @notice Twin of `node/stf/records.py::Config.decode` (addresses of 20 bytes, at most
            MAX_ORACLES oracles).
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    c: Config = empty(Config)
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._top(extract32(pad, 0), len(raw))
    x: uint256 = 0
    a: address = empty(address)
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.chain_id = x
    a, p = rr.address_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.verifying_contract = a
    a, p = rr.address_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.admin = a
    q: uint256 = 0
    list_end: uint256 = 0
    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_ORACLES + 1):
        if q == list_end:
            break
        assert len(c.oracles) < MAX_ORACLES, "records: too many oracles"
        a, q = rr.address_at(extract32(pad, q), extract32(pad, q + 1), q, list_end)
        c.oracles.append(a)
    p = list_end
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.taker_fee_ppm = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.maker_fee_ppm = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.fee_cap_ppm = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    c.rate_e6 = x
    assert p == end, "records: wrong item count"
    return c


@internal
@pure
def decode_account(raw: Bytes[MAX_VALUE]) -> Account:
    """
    @notice Twin of `node/stf/records.py::Account.decode` (at most MAX_OPEN_ORDERS open
            orders, MAX_POSITIONS positions and MAX_POSITIONS order totals).
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    acc: Account = empty(Account)
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._top(extract32(pad, 0), len(raw))
    x: uint256 = 0
    s: int256 = 0
    s, p = rr.int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    acc.balance_e6 = s
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    acc.nonce_floor = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    acc.nonce_bitmap = x

    q: uint256 = 0
    list_end: uint256 = 0
    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_OPEN_ORDERS + 1):
        if q == list_end:
            break
        assert len(acc.open_orders) < MAX_OPEN_ORDERS, "records: too many open orders"
        x, q = rr.uint_at(extract32(pad, q), extract32(pad, q + 1), q, list_end)
        acc.open_orders.append(x)
    p = list_end

    r: uint256 = 0
    item_end: uint256 = 0
    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_POSITIONS + 1):
        if q == list_end:
            break
        assert len(acc.positions) < MAX_POSITIONS, "records: too many positions"
        r, item_end = rr.list_at(extract32(pad, q), q, list_end)
        x, r = rr.uint_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        s, r = rr.int_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        assert r == item_end, "records: wrong item count"
        acc.positions.append(Position(instrument_id=x, size_e6=s))
        q = item_end
    p = list_end

    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    acc.loss_index = x

    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_POSITIONS + 1):
        if q == list_end:
            break
        assert len(acc.order_totals) < MAX_POSITIONS, "records: too many order totals"
        r, item_end = rr.list_at(extract32(pad, q), q, list_end)
        t: uint256[7] = empty(uint256[7])
        for k: uint256 in range(7):
            x, r = rr.uint_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
            t[k] = x
        assert r == item_end, "records: wrong item count"
        acc.order_totals.append(OrderTotals(
            instrument_id=t[0], bid_size_e6=t[1], bid_notional_e12=t[2], bid_max_e6=t[3],
            ask_size_e6=t[4], ask_notional_e12=t[5], ask_min_e6=t[6],
        ))
        q = item_end
    assert list_end == end, "records: wrong item count"
    return acc


@internal
@pure
def decode_underlying(raw: Bytes[MAX_VALUE]) -> Underlying:
    """
    @notice Twin of `node/stf/records.py::Underlying.decode` (a name of at most MAX_NAME
            bytes, at most MAX_SURFACE_POINTS points, MAX_INSTRUMENTS_PER_UNDERLYING ids).
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    u: Underlying = empty(Underlying)
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._top(extract32(pad, 0), len(raw))
    offset: uint256 = 0
    length: uint256 = 0
    offset, length, p = rr.string_at(extract32(pad, p), p, end)
    u.name = slice(extract32(pad, offset), 0, length)
    x: uint256 = 0
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    u.index_price_e6 = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    u.oracle_time = x

    q: uint256 = 0
    list_end: uint256 = 0
    r: uint256 = 0
    item_end: uint256 = 0
    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_SURFACE_POINTS + 1):
        if q == list_end:
            break
        assert len(u.surface) < MAX_SURFACE_POINTS, "records: too many surface points"
        r, item_end = rr.list_at(extract32(pad, q), q, list_end)
        point: VolPoint = empty(VolPoint)
        s: int256 = 0
        x, r = rr.uint_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        point.expiry = x
        x, r = rr.uint_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        point.atm_vol_e6 = x
        s, r = rr.int_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        point.skew_e6 = s
        x, r = rr.uint_at(extract32(pad, r), extract32(pad, r + 1), r, item_end)
        point.curvature_e6 = x
        assert r == item_end, "records: wrong item count"
        u.surface.append(point)
        q = item_end
    p = list_end

    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(MAX_INSTRUMENTS_PER_UNDERLYING + 1):
        if q == list_end:
            break
        assert len(u.instruments) < MAX_INSTRUMENTS_PER_UNDERLYING, "records: too many instruments"
        x, q = rr.uint_at(extract32(pad, q), extract32(pad, q + 1), q, list_end)
        u.instruments.append(x)
    p = list_end

    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    u.oracle_sequence = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    u.observation_time = x
    assert p == end, "records: wrong item count"
    return u


@internal
@pure
def decode_instrument(raw: Bytes[MAX_VALUE]) -> Instrument:
    """
    @notice Twin of `node/stf/records.py::Instrument.decode` (`is_call` 0 or 1).
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 8, 0, 1 << 3)
    return Instrument(
        underlying_id=v[0], expiry=v[1], strike_e6=v[2], is_call=v[3] == 1,
        tick_size_e6=v[4], min_size_e6=v[5], best_bid_e6=v[6], best_ask_e6=v[7],
    )


@internal
@pure
def decode_mark(raw: Bytes[MAX_VALUE]) -> Mark:
    """
    @notice Twin of `node/stf/records.py::Mark.decode` (exactly N_SCENARIOS scenario values,
            as every Mark the STF writes: `oracle.py`).
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    m: Mark = empty(Mark)
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._top(extract32(pad, 0), len(raw))
    x: uint256 = 0
    s: int256 = 0
    flag: bool = False
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.mark_e6 = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.index_e6 = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.vol_e6 = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.time = x
    x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.underlying_id = x
    flag, p = rr.bool_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.is_call = flag
    q: uint256 = 0
    list_end: uint256 = 0
    q, list_end = rr.list_at(extract32(pad, p), p, end)
    for _: uint256 in range(N_SCENARIOS):
        s, q = rr.int_at(extract32(pad, q), extract32(pad, q + 1), q, list_end)
        m.scenario_pnl_e6.append(s)
    assert q == list_end, "records: wrong scenario count"
    p = list_end
    s, p = rr.int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.delta = s
    s, p = rr.int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.gamma = s
    s, p = rr.int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.vega = s
    s, p = rr.int_at(extract32(pad, p), extract32(pad, p + 1), p, end)
    m.theta = s
    assert p == end, "records: wrong item count"
    return m


@internal
@pure
def decode_series_index(raw: Bytes[MAX_VALUE]) -> SeriesIndex:
    """
    @notice Twin of `node/stf/records.py::SeriesIndex.decode` (one integer, not a list).
    """
    return SeriesIndex(instrument_id=self._scalar(raw))


@internal
@pure
def decode_level(raw: Bytes[MAX_VALUE]) -> Level:
    """
    @notice Twin of `node/stf/records.py::Level.decode`.
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 5, 0, 0)
    return Level(better_e6=v[0], worse_e6=v[1], head_order_id=v[2], tail_order_id=v[3], total_size_e6=v[4])


@internal
@pure
def decode_order(raw: Bytes[MAX_VALUE]) -> Order:
    """
    @notice Twin of `node/stf/records.py::Order.decode` (a 20-byte owner, `reduce_only` 0 or 1).
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 10, 1, 1 << 5)
    return Order(
        owner=self._address(v[0]), instrument_id=v[1], side=v[2], price_e6=v[3],
        remaining_e6=v[4], reduce_only=v[5] == 1, client_order_id=v[6], expiry=v[7],
        prev_id=v[8], next_id=v[9],
    )


@internal
@pure
def decode_client_order_index(raw: Bytes[MAX_VALUE]) -> ClientOrderIndex:
    """
    @notice Twin of `node/stf/records.py::ClientOrderIndex.decode` (one integer).
    """
    return ClientOrderIndex(order_id=self._scalar(raw))


@internal
@pure
def decode_withdrawal(raw: Bytes[MAX_VALUE]) -> Withdrawal:
    """
    @notice Twin of `node/stf/records.py::Withdrawal.decode` (20-byte sender and recipient).
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 4, 3, 0)
    return Withdrawal(
        sender=self._address(v[0]), recipient=self._address(v[1]), amount_e6=v[2], block_number=v[3]
    )


@internal
@pure
def decode_settlement_price(raw: Bytes[MAX_VALUE]) -> SettlementPrice:
    """
    @notice Twin of `node/stf/records.py::SettlementPrice.decode`.
    """
    v: DynArray[uint256, MAX_FLAT] = self._flat(raw, 3, 0, 0)
    return SettlementPrice(index_seconds=v[0], seconds=v[1], price_e6=v[2])


@internal
@pure
def decode_auction(raw: Bytes[MAX_VALUE]) -> Auction:
    """
    @notice Twin of `node/stf/records.py::Auction.decode` (one integer).
    """
    return Auction(start_time=self._scalar(raw))


@internal
@pure
def _top(w0: bytes32, length: uint256) -> (uint256, uint256):
    """
    @dev The record's outer list, which must span the whole buffer: (payload offset, end).
    """
    offset: uint256 = 0
    end: uint256 = 0
    offset, end = rr.list_at(w0, 0, length)
    assert end == length, "records: trailing bytes"
    return offset, end


@internal
@pure
def _flat(raw: Bytes[MAX_VALUE], n: uint256, addresses: uint256, flags: uint256) -> DynArray[uint256, MAX_FLAT]:
    """
    @dev The `n` fields of a record that is a list of scalars: field `i` is a 20-byte string
         (returned as its uint160 value) if bit `i` of `addresses` is set, a flag (0 or 1)
         if bit `i` of `flags` is, an integer otherwise.
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    p: uint256 = 0
    end: uint256 = 0
    p, end = self._top(extract32(pad, 0), len(raw))
    out: DynArray[uint256, MAX_FLAT] = []
    x: uint256 = 0
    for i: uint256 in range(MAX_FLAT):
        if i == n:
            break
        if (addresses >> i) & 1 == 1:
            a: address = empty(address)
            a, p = rr.address_at(extract32(pad, p), extract32(pad, p + 1), p, end)
            x = convert(a, uint256)
        else:
            x, p = rr.uint_at(extract32(pad, p), extract32(pad, p + 1), p, end)
            assert (flags >> i) & 1 == 0 or x <= 1, "records: flag not 0 or 1"
        out.append(x)
    assert p == end, "records: wrong item count"
    return out


@internal
@pure
def _scalar(raw: Bytes[MAX_VALUE]) -> uint256:
    """
    @dev A record that is one integer (`encode_raw(_u(x))`), spanning the whole buffer.
    """
    pad: Bytes[MAX_VALUE + 64] = concat(raw, empty(bytes32), empty(bytes32))
    x: uint256 = 0
    end: uint256 = 0
    x, end = rr.uint_at(extract32(pad, 0), extract32(pad, 1), 0, len(raw))
    assert end == len(raw), "records: trailing bytes"
    return x


@internal
@pure
def _address(x: uint256) -> address:
    return convert(convert(x, uint160), address)


# ---------------------------------------------------------------------------------
# Encoding: `encode_<record>(rec)` is `node/stf/records.py::<Record>.encode`.


@internal
@pure
def encode_globals(g: Globals) -> Bytes[9 + 17 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Globals.encode`.
    """
    payload: Bytes[17 * SCALAR_RLP] = concat(
        rlp.encode_uint(g.next_order_id), rlp.encode_uint(g.next_instrument_id),
        rlp.encode_uint(g.next_deposit_index), rlp.encode_uint(g.next_withdrawal_index),
        rlp.encode_uint(g.fee_pool_e6), rlp.encode_uint(g.insurance_fund_e6),
        rlp.encode_uint(g.total_deposited_e6), rlp.encode_uint(g.total_withdrawn_e6),
        rlp.encode_uint(g.last_block_number), rlp.encode_uint(g.last_block_time),
        rlp.encode_uint(g.settlement_paid_in_e6), rlp.encode_uint(g.settlement_paid_out_e6),
        rlp.encode_uint(g.unbacked_loss_e6), rlp.encode_uint(g.loss_index),
        rlp.encode_uint(g.scaled_positive_e6), rlp.encode_uint(g.haircut_due_e6),
        rlp.encode_uint(g.next_forced_index),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_config(c: Config) -> Bytes[9 + 5 * SCALAR_RLP + 2 * ADDRESS_RLP + 9 + 32 * ORACLES_WORDS]:
    """
    @notice Twin of `node/stf/records.py::Config.encode`.
    """
    payload: Bytes[5 * SCALAR_RLP + 2 * ADDRESS_RLP + 9 + 32 * ORACLES_WORDS] = concat(
        rlp.encode_uint(c.chain_id), rlp.encode_address(c.verifying_contract),
        rlp.encode_address(c.admin), self._oracles_rlp(c.oracles),
        rlp.encode_uint(c.taker_fee_ppm), rlp.encode_uint(c.maker_fee_ppm),
        rlp.encode_uint(c.fee_cap_ppm), rlp.encode_uint(c.rate_e6),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_account(a: Account) -> Bytes[ACCOUNT_BOUND]:
    """
    @notice Twin of `node/stf/records.py::Account.encode`.
    """
    payload: Bytes[ACCOUNT_BOUND - 9] = concat(
        rr.enc_int(a.balance_e6), rlp.encode_uint(a.nonce_floor), rlp.encode_uint(a.nonce_bitmap),
        self._orders_rlp(a.open_orders), self._positions_rlp(a.positions),
        rlp.encode_uint(a.loss_index), self._totals_rlp(a.order_totals),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_underlying(u: Underlying) -> Bytes[UNDERLYING_BOUND]:
    """
    @notice Twin of `node/stf/records.py::Underlying.encode`.
    """
    payload: Bytes[UNDERLYING_BOUND - 9] = concat(
        rr.enc_string(u.name), rlp.encode_uint(u.index_price_e6), rlp.encode_uint(u.oracle_time),
        self._surface_rlp(u.surface), self._instruments_rlp(u.instruments),
        rlp.encode_uint(u.oracle_sequence), rlp.encode_uint(u.observation_time),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_instrument(i: Instrument) -> Bytes[9 + 8 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Instrument.encode`.
    """
    payload: Bytes[8 * SCALAR_RLP] = concat(
        rlp.encode_uint(i.underlying_id), rlp.encode_uint(i.expiry), rlp.encode_uint(i.strike_e6),
        rr.enc_bool(i.is_call), rlp.encode_uint(i.tick_size_e6), rlp.encode_uint(i.min_size_e6),
        rlp.encode_uint(i.best_bid_e6), rlp.encode_uint(i.best_ask_e6),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_mark(m: Mark) -> Bytes[MARK_BOUND]:
    """
    @notice Twin of `node/stf/records.py::Mark.encode`.
    """
    payload: Bytes[MARK_BOUND - 9] = concat(
        rlp.encode_uint(m.mark_e6), rlp.encode_uint(m.index_e6), rlp.encode_uint(m.vol_e6),
        rlp.encode_uint(m.time), rlp.encode_uint(m.underlying_id), rr.enc_bool(m.is_call),
        self._scenarios_rlp(m.scenario_pnl_e6),
        rr.enc_int(m.delta), rr.enc_int(m.gamma), rr.enc_int(m.vega), rr.enc_int(m.theta),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_series_index(s: SeriesIndex) -> Bytes[SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::SeriesIndex.encode` (one integer, not a list).
    """
    return rlp.encode_uint(s.instrument_id)


@internal
@pure
def encode_level(v: Level) -> Bytes[9 + 5 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Level.encode`.
    """
    payload: Bytes[5 * SCALAR_RLP] = concat(
        rlp.encode_uint(v.better_e6), rlp.encode_uint(v.worse_e6), rlp.encode_uint(v.head_order_id),
        rlp.encode_uint(v.tail_order_id), rlp.encode_uint(v.total_size_e6),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_order(o: Order) -> Bytes[9 + ADDRESS_RLP + 9 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Order.encode`.
    """
    payload: Bytes[ADDRESS_RLP + 9 * SCALAR_RLP] = concat(
        rlp.encode_address(o.owner), rlp.encode_uint(o.instrument_id), rlp.encode_uint(o.side),
        rlp.encode_uint(o.price_e6), rlp.encode_uint(o.remaining_e6), rr.enc_bool(o.reduce_only),
        rlp.encode_uint(o.client_order_id), rlp.encode_uint(o.expiry), rlp.encode_uint(o.prev_id),
        rlp.encode_uint(o.next_id),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_client_order_index(c: ClientOrderIndex) -> Bytes[SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::ClientOrderIndex.encode` (one integer).
    """
    return rlp.encode_uint(c.order_id)


@internal
@pure
def encode_withdrawal(w: Withdrawal) -> Bytes[9 + 2 * ADDRESS_RLP + 2 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Withdrawal.encode`.
    """
    payload: Bytes[2 * ADDRESS_RLP + 2 * SCALAR_RLP] = concat(
        rlp.encode_address(w.sender), rlp.encode_address(w.recipient),
        rlp.encode_uint(w.amount_e6), rlp.encode_uint(w.block_number),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_settlement_price(s: SettlementPrice) -> Bytes[9 + 3 * SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::SettlementPrice.encode`.
    """
    payload: Bytes[3 * SCALAR_RLP] = concat(
        rlp.encode_uint(s.index_seconds), rlp.encode_uint(s.seconds), rlp.encode_uint(s.price_e6)
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def encode_auction(a: Auction) -> Bytes[SCALAR_RLP]:
    """
    @notice Twin of `node/stf/records.py::Auction.encode` (one integer).
    """
    return rlp.encode_uint(a.start_time)


# Lists of variable length are written into a word buffer (`record_rlp.spread`), one
# element at a time, then headed: each function below is one list of one record.


@internal
@pure
def _oracles_rlp(xs: DynArray[address, MAX_ORACLES]) -> Bytes[9 + 32 * ORACLES_WORDS]:
    buf: uint256[ORACLES_WORDS] = empty(uint256[ORACLES_WORDS])
    p: uint256 = 0
    for x: address in xs:
        piece: Bytes[rr.MAX_PIECE] = rlp.encode_address(x)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _orders_rlp(xs: DynArray[uint256, MAX_OPEN_ORDERS]) -> Bytes[9 + 32 * ORDERS_WORDS]:
    buf: uint256[ORDERS_WORDS] = empty(uint256[ORDERS_WORDS])
    p: uint256 = 0
    for x: uint256 in xs:
        piece: Bytes[rr.MAX_PIECE] = rlp.encode_uint(x)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _instruments_rlp(xs: DynArray[uint256, MAX_INSTRUMENTS_PER_UNDERLYING]) -> Bytes[9 + 32 * INSTRUMENTS_WORDS]:
    buf: uint256[INSTRUMENTS_WORDS] = empty(uint256[INSTRUMENTS_WORDS])
    p: uint256 = 0
    for x: uint256 in xs:
        piece: Bytes[rr.MAX_PIECE] = rlp.encode_uint(x)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _scenarios_rlp(xs: DynArray[int256, N_SCENARIOS]) -> Bytes[9 + 32 * SCENARIO_WORDS]:
    buf: uint256[SCENARIO_WORDS] = empty(uint256[SCENARIO_WORDS])
    p: uint256 = 0
    for x: int256 in xs:
        piece: Bytes[rr.MAX_PIECE] = rr.enc_int(x)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _positions_rlp(xs: DynArray[Position, MAX_POSITIONS]) -> Bytes[9 + 32 * POSITIONS_WORDS]:
    buf: uint256[POSITIONS_WORDS] = empty(uint256[POSITIONS_WORDS])
    p: uint256 = 0
    for x: Position in xs:
        body: Bytes[2 * SCALAR_RLP] = concat(rlp.encode_uint(x.instrument_id), rr.enc_int(x.size_e6))
        piece: Bytes[rr.MAX_PIECE] = concat(rr.list_header(len(body)), body)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _totals_rlp(xs: DynArray[OrderTotals, MAX_POSITIONS]) -> Bytes[9 + 32 * TOTALS_WORDS]:
    buf: uint256[TOTALS_WORDS] = empty(uint256[TOTALS_WORDS])
    p: uint256 = 0
    for x: OrderTotals in xs:
        body: Bytes[7 * SCALAR_RLP] = concat(
            rlp.encode_uint(x.instrument_id), rlp.encode_uint(x.bid_size_e6),
            rlp.encode_uint(x.bid_notional_e12), rlp.encode_uint(x.bid_max_e6),
            rlp.encode_uint(x.ask_size_e6), rlp.encode_uint(x.ask_notional_e12),
            rlp.encode_uint(x.ask_min_e6),
        )
        piece: Bytes[rr.MAX_PIECE] = concat(rr.list_header(len(body)), body)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


@internal
@pure
def _surface_rlp(xs: DynArray[VolPoint, MAX_SURFACE_POINTS]) -> Bytes[9 + 32 * SURFACE_WORDS]:
    buf: uint256[SURFACE_WORDS] = empty(uint256[SURFACE_WORDS])
    p: uint256 = 0
    for x: VolPoint in xs:
        body: Bytes[4 * SCALAR_RLP] = concat(
            rlp.encode_uint(x.expiry), rlp.encode_uint(x.atm_vol_e6), rr.enc_int(x.skew_e6),
            rlp.encode_uint(x.curvature_e6),
        )
        piece: Bytes[rr.MAX_PIECE] = concat(rr.list_header(len(body)), body)
        i: uint256 = 0
        ws: DynArray[uint256, rr.SPREAD_WORDS] = []
        i, ws = rr.spread(p, piece)
        for w: uint256 in ws:
            buf[i] |= w
            i += 1
        p += len(piece)
    return concat(rlp.list_header(p), slice(abi_encode(buf), 0, p))


# ---------------------------------------------------------------------------------
# Derived values


@internal
@pure
def weighted_loss(m: Mark) -> DynArray[int256, N_SCENARIOS]:
    """
    @notice `node/stf/records.py::Mark.weighted_loss`: `-scenario_pnl_e6[k] * weight_ppm[k]`
            (e6 x ppm, exact), the loss of one long contract under scenario k.
    @dev Reverts only past |pnl| >= 2**255 / 10**6, far beyond any mark the STF computes.
    """
    out: DynArray[int256, N_SCENARIOS] = []
    for k: uint256 in range(N_SCENARIOS):
        if k == len(m.scenario_pnl_e6):
            break
        out.append(-m.scenario_pnl_e6[k] * SCENARIO_WEIGHTS_PPM[k])
    return out


@internal
@pure
def max_loss(m: Mark) -> uint256:
    """
    @notice `node/stf/records.py::Mark.max_loss`: the largest |weighted_loss[k]| (0 if none).
    """
    best: uint256 = 0
    for k: uint256 in range(N_SCENARIOS):
        if k == len(m.scenario_pnl_e6):
            break
        loss: int256 = m.scenario_pnl_e6[k] * SCENARIO_WEIGHTS_PPM[k]
        best = max(best, convert(abs(loss), uint256))
    return best
