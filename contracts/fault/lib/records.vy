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
MAX_ORACLES: constant(uint256) = 16  # node/stf/genesis.py MAX_ORACLES (checked at genesis)
MAX_NAME: constant(uint256) = 32  # node/stf/genesis.py MAX_NAME_BYTES (checked at genesis)

# node/stf/scenarios.py::SCENARIO_WEIGHTS_PPM
SCENARIO_WEIGHTS_PPM: constant(int256[N_SCENARIOS]) = [
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
    350000, 350000,
]

# Largest value a state key holds: what `trie.get` returns and `trie.put` takes (state.vy
# passes one to the other, so the compiler checks that the three modules agree). The largest
# record is an Account with every list at its bound and every integer at its widest (33 bytes
# on the wire): 3 + 4 * 33 + (3 + 128 * 33) + (3 + 64 * (2 + 2 * 33)) + (3 + 64 * (2 + 7 * 33))
# = 23,632 bytes (an Underlying: at most 10,766); 24 KiB leaves room for a list header more.
MAX_VALUE: constant(uint256) = rr.MAX_VALUE

# Record layouts for `record_rlp.scan` / `emit` (see its notice): scalars by kind, lists as
# arity << 8 | max_count << 16 | item kinds << 32.
U: constant(uint256) = rr.K_UINT
I: constant(uint256) = rr.K_INT
B: constant(uint256) = rr.K_BOOL
A: constant(uint256) = rr.K_ADDRESS
ORACLES_LIST: constant(uint256) = 1 << 8 | MAX_ORACLES << 16 | rr.K_ADDRESS << 32
ORDERS_LIST: constant(uint256) = 1 << 8 | MAX_OPEN_ORDERS << 16 | rr.K_UINT << 32
POSITIONS_LIST: constant(uint256) = 2 << 8 | MAX_POSITIONS << 16 | (rr.K_UINT | rr.K_INT << 8) << 32
TOTALS_LIST: constant(uint256) = 7 << 8 | MAX_POSITIONS << 16 | 282578800148737 << 32  # 0x01010101010101: seven K_UINT
SURFACE_LIST: constant(uint256) = (
    4 << 8 | MAX_SURFACE_POINTS << 16 | (rr.K_UINT | rr.K_UINT << 8 | rr.K_INT << 16 | rr.K_UINT << 24) << 32
)
INSTRUMENTS_LIST: constant(uint256) = 1 << 8 | MAX_INSTRUMENTS_PER_UNDERLYING << 16 | rr.K_UINT << 32
SCENARIOS_LIST: constant(uint256) = 1 << 8 | N_SCENARIOS << 16 | rr.K_INT << 32

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
# Codecs: `decode_<record>(raw)` is `node/stf/records.py::<Record>.decode` on canonical
# encodings and reverts on every other byte string (see the module notice);
# `encode_<record>(rec)` is `<Record>.encode`. Both go through `record_rlp`'s flat words.


@internal
@pure
def decode_globals(raw: Bytes[MAX_VALUE]) -> Globals:
    """
    @notice Twin of `node/stf/records.py::Globals.decode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U])
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
def encode_globals(g: Globals) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Globals.encode`.
    """
    return rr.emit(
        [
            g.next_order_id, g.next_instrument_id, g.next_deposit_index, g.next_withdrawal_index,
            g.fee_pool_e6, g.insurance_fund_e6, g.total_deposited_e6, g.total_withdrawn_e6,
            g.last_block_number, g.last_block_time, g.settlement_paid_in_e6, g.settlement_paid_out_e6,
            g.unbacked_loss_e6, g.loss_index, g.scaled_positive_e6, g.haircut_due_e6, g.next_forced_index,
        ],
        [U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U],
    )


@internal
@pure
def decode_config(raw: Bytes[MAX_VALUE]) -> Config:
    """
    @notice Twin of `node/stf/records.py::Config.decode` (20-byte addresses, at most
            MAX_ORACLES oracles).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, A, A, ORACLES_LIST, U, U, U, U])
    c: Config = Config(
        chain_id=v[0], verifying_contract=self._address(v[1]), admin=self._address(v[2]), oracles=[],
        taker_fee_ppm=0, maker_fee_ppm=0, fee_cap_ppm=0, rate_e6=0,
    )
    n: uint256 = v[3]
    for k: uint256 in range(MAX_ORACLES):
        if k == n:
            break
        c.oracles.append(self._address(v[4 + k]))
    c.taker_fee_ppm = v[4 + n]
    c.maker_fee_ppm = v[5 + n]
    c.fee_cap_ppm = v[6 + n]
    c.rate_e6 = v[7 + n]
    return c


@internal
@pure
def encode_config(c: Config) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Config.encode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = [
        c.chain_id, convert(c.verifying_contract, uint256), convert(c.admin, uint256), len(c.oracles)
    ]
    for a: address in c.oracles:
        v.append(convert(a, uint256))
    v.append(c.taker_fee_ppm)
    v.append(c.maker_fee_ppm)
    v.append(c.fee_cap_ppm)
    v.append(c.rate_e6)
    return rr.emit(v, [U, A, A, ORACLES_LIST, U, U, U, U])


@internal
@pure
def decode_account(raw: Bytes[MAX_VALUE]) -> Account:
    """
    @notice Twin of `node/stf/records.py::Account.decode` (at most MAX_OPEN_ORDERS open
            orders, MAX_POSITIONS positions, MAX_POSITIONS order totals).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [I, U, U, ORDERS_LIST, POSITIONS_LIST, U, TOTALS_LIST])
    acc: Account = empty(Account)
    acc.balance_e6 = self._int(v[0])
    acc.nonce_floor = v[1]
    acc.nonce_bitmap = v[2]
    n: uint256 = v[3]
    i: uint256 = 4
    for k: uint256 in range(MAX_OPEN_ORDERS):
        if k == n:
            break
        acc.open_orders.append(v[i])
        i += 1
    n = v[i]
    i += 1
    for k: uint256 in range(MAX_POSITIONS):
        if k == n:
            break
        acc.positions.append(Position(instrument_id=v[i], size_e6=self._int(v[i + 1])))
        i += 2
    acc.loss_index = v[i]
    n = v[i + 1]
    i += 2
    for k: uint256 in range(MAX_POSITIONS):
        if k == n:
            break
        acc.order_totals.append(OrderTotals(
            instrument_id=v[i], bid_size_e6=v[i + 1], bid_notional_e12=v[i + 2], bid_max_e6=v[i + 3],
            ask_size_e6=v[i + 4], ask_notional_e12=v[i + 5], ask_min_e6=v[i + 6],
        ))
        i += 7
    return acc


@internal
@pure
def encode_account(a: Account) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Account.encode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = [
        self._word(a.balance_e6), a.nonce_floor, a.nonce_bitmap, len(a.open_orders)
    ]
    for o: uint256 in a.open_orders:
        v.append(o)
    v.append(len(a.positions))
    for p: Position in a.positions:
        v.append(p.instrument_id)
        v.append(self._word(p.size_e6))
    v.append(a.loss_index)
    v.append(len(a.order_totals))
    for t: OrderTotals in a.order_totals:
        v.append(t.instrument_id)
        v.append(t.bid_size_e6)
        v.append(t.bid_notional_e12)
        v.append(t.bid_max_e6)
        v.append(t.ask_size_e6)
        v.append(t.ask_notional_e12)
        v.append(t.ask_min_e6)
    return rr.emit(v, [I, U, U, ORDERS_LIST, POSITIONS_LIST, U, TOTALS_LIST])


@internal
@pure
def decode_underlying(raw: Bytes[MAX_VALUE]) -> Underlying:
    """
    @notice Twin of `node/stf/records.py::Underlying.decode` (a name of at most MAX_NAME
            bytes, at most MAX_SURFACE_POINTS points and MAX_INSTRUMENTS_PER_UNDERLYING ids).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(
        raw, [rr.K_NAME, U, U, SURFACE_LIST, INSTRUMENTS_LIST, U, U]
    )
    u: Underlying = empty(Underlying)
    u.name = slice(convert(v[1], bytes32), 0, v[0])
    u.index_price_e6 = v[2]
    u.oracle_time = v[3]
    n: uint256 = v[4]
    i: uint256 = 5
    for k: uint256 in range(MAX_SURFACE_POINTS):
        if k == n:
            break
        u.surface.append(VolPoint(
            expiry=v[i], atm_vol_e6=v[i + 1], skew_e6=self._int(v[i + 2]), curvature_e6=v[i + 3]
        ))
        i += 4
    n = v[i]
    i += 1
    for k: uint256 in range(MAX_INSTRUMENTS_PER_UNDERLYING):
        if k == n:
            break
        u.instruments.append(v[i])
        i += 1
    u.oracle_sequence = v[i]
    u.observation_time = v[i + 1]
    return u


@internal
@pure
def encode_underlying(u: Underlying) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Underlying.encode`.
    """
    name: bytes32 = extract32(concat(u.name, empty(bytes32)), 0)
    v: DynArray[uint256, rr.MAX_FLAT] = [
        len(u.name), convert(name, uint256), u.index_price_e6, u.oracle_time, len(u.surface)
    ]
    for p: VolPoint in u.surface:
        v.append(p.expiry)
        v.append(p.atm_vol_e6)
        v.append(self._word(p.skew_e6))
        v.append(p.curvature_e6)
    v.append(len(u.instruments))
    for x: uint256 in u.instruments:
        v.append(x)
    v.append(u.oracle_sequence)
    v.append(u.observation_time)
    return rr.emit(v, [rr.K_NAME, U, U, SURFACE_LIST, INSTRUMENTS_LIST, U, U])


@internal
@pure
def decode_instrument(raw: Bytes[MAX_VALUE]) -> Instrument:
    """
    @notice Twin of `node/stf/records.py::Instrument.decode` (`is_call` 0 or 1).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, U, U, B, U, U, U, U])
    return Instrument(
        underlying_id=v[0], expiry=v[1], strike_e6=v[2], is_call=v[3] == 1,
        tick_size_e6=v[4], min_size_e6=v[5], best_bid_e6=v[6], best_ask_e6=v[7],
    )


@internal
@pure
def encode_instrument(x: Instrument) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Instrument.encode`.
    """
    return rr.emit(
        [
            x.underlying_id, x.expiry, x.strike_e6, convert(x.is_call, uint256), x.tick_size_e6,
            x.min_size_e6, x.best_bid_e6, x.best_ask_e6,
        ],
        [U, U, U, B, U, U, U, U],
    )


@internal
@pure
def decode_mark(raw: Bytes[MAX_VALUE]) -> Mark:
    """
    @notice Twin of `node/stf/records.py::Mark.decode` (exactly N_SCENARIOS scenario values,
            as every Mark the STF writes: `oracle.py`).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, U, U, U, U, B, SCENARIOS_LIST, I, I, I, I])
    assert v[6] == N_SCENARIOS, "records: wrong scenario count"
    m: Mark = Mark(
        mark_e6=v[0], index_e6=v[1], vol_e6=v[2], time=v[3], underlying_id=v[4], is_call=v[5] == 1,
        scenario_pnl_e6=[], delta=self._int(v[30]), gamma=self._int(v[31]), vega=self._int(v[32]),
        theta=self._int(v[33]),
    )
    for k: uint256 in range(N_SCENARIOS):
        m.scenario_pnl_e6.append(self._int(v[7 + k]))
    return m


@internal
@pure
def encode_mark(m: Mark) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Mark.encode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = [
        m.mark_e6, m.index_e6, m.vol_e6, m.time, m.underlying_id, convert(m.is_call, uint256),
        len(m.scenario_pnl_e6),
    ]
    for x: int256 in m.scenario_pnl_e6:
        v.append(self._word(x))
    v.append(self._word(m.delta))
    v.append(self._word(m.gamma))
    v.append(self._word(m.vega))
    v.append(self._word(m.theta))
    return rr.emit(v, [U, U, U, U, U, B, SCENARIOS_LIST, I, I, I, I])


@internal
@pure
def decode_series_index(raw: Bytes[MAX_VALUE]) -> SeriesIndex:
    """
    @notice Twin of `node/stf/records.py::SeriesIndex.decode` (one integer, not a list).
    """
    return SeriesIndex(instrument_id=self._scalar(raw))


@internal
@pure
def encode_series_index(s: SeriesIndex) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::SeriesIndex.encode`.
    """
    return rlp.encode_uint(s.instrument_id)


@internal
@pure
def decode_level(raw: Bytes[MAX_VALUE]) -> Level:
    """
    @notice Twin of `node/stf/records.py::Level.decode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, U, U, U, U])
    return Level(better_e6=v[0], worse_e6=v[1], head_order_id=v[2], tail_order_id=v[3], total_size_e6=v[4])


@internal
@pure
def encode_level(x: Level) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Level.encode`.
    """
    return rr.emit(
        [x.better_e6, x.worse_e6, x.head_order_id, x.tail_order_id, x.total_size_e6], [U, U, U, U, U]
    )


@internal
@pure
def decode_order(raw: Bytes[MAX_VALUE]) -> Order:
    """
    @notice Twin of `node/stf/records.py::Order.decode` (a 20-byte owner, `reduce_only` 0 or 1).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [A, U, U, U, U, B, U, U, U, U])
    return Order(
        owner=self._address(v[0]), instrument_id=v[1], side=v[2], price_e6=v[3],
        remaining_e6=v[4], reduce_only=v[5] == 1, client_order_id=v[6], expiry=v[7],
        prev_id=v[8], next_id=v[9],
    )


@internal
@pure
def encode_order(o: Order) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Order.encode`.
    """
    return rr.emit(
        [
            convert(o.owner, uint256), o.instrument_id, o.side, o.price_e6, o.remaining_e6,
            convert(o.reduce_only, uint256), o.client_order_id, o.expiry, o.prev_id, o.next_id,
        ],
        [A, U, U, U, U, B, U, U, U, U],
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
def encode_client_order_index(c: ClientOrderIndex) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::ClientOrderIndex.encode`.
    """
    return rlp.encode_uint(c.order_id)


@internal
@pure
def decode_withdrawal(raw: Bytes[MAX_VALUE]) -> Withdrawal:
    """
    @notice Twin of `node/stf/records.py::Withdrawal.decode` (20-byte sender and recipient).
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [A, A, U, U])
    return Withdrawal(
        sender=self._address(v[0]), recipient=self._address(v[1]), amount_e6=v[2], block_number=v[3]
    )


@internal
@pure
def encode_withdrawal(w: Withdrawal) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Withdrawal.encode`.
    """
    return rr.emit(
        [convert(w.sender, uint256), convert(w.recipient, uint256), w.amount_e6, w.block_number], [A, A, U, U]
    )


@internal
@pure
def decode_settlement_price(raw: Bytes[MAX_VALUE]) -> SettlementPrice:
    """
    @notice Twin of `node/stf/records.py::SettlementPrice.decode`.
    """
    v: DynArray[uint256, rr.MAX_FLAT] = rr.scan(raw, [U, U, U])
    return SettlementPrice(index_seconds=v[0], seconds=v[1], price_e6=v[2])


@internal
@pure
def encode_settlement_price(s: SettlementPrice) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::SettlementPrice.encode`.
    """
    return rr.emit([s.index_seconds, s.seconds, s.price_e6], [U, U, U])


@internal
@pure
def decode_auction(raw: Bytes[MAX_VALUE]) -> Auction:
    """
    @notice Twin of `node/stf/records.py::Auction.decode` (one integer).
    """
    return Auction(start_time=self._scalar(raw))


@internal
@pure
def encode_auction(a: Auction) -> Bytes[MAX_VALUE]:
    """
    @notice Twin of `node/stf/records.py::Auction.encode`.
    """
    return rlp.encode_uint(a.start_time)


@internal
@pure
def _scalar(raw: Bytes[MAX_VALUE]) -> uint256:
    """
    @dev A record that is one integer (`encode_raw(_u(x))`), spanning the whole buffer: the
         canonical forms are 0x80, one byte 0x01..0x7f, or 0x81..0xa0 and 1..32 bytes
         without a leading zero (a single byte >= 0x80).
    """
    n: uint256 = len(raw)
    assert n > 0 and n <= 33, "records: not an integer"
    pad: Bytes[MAX_VALUE + 32] = concat(raw, empty(bytes32))
    b0: uint256 = convert(extract32(pad, 0), uint256) >> 248
    if b0 < 128:
        assert n == 1 and b0 != 0, "records: not a canonical integer"
        return b0
    assert b0 == 127 + n, "records: not a canonical integer"
    if n == 1:
        return 0
    val: uint256 = convert(extract32(pad, 1), uint256) >> (256 - 8 * (n - 1))
    assert val >> (8 * (n - 2)) != 0, "records: integer with a leading zero"
    assert n > 2 or val >= 128, "records: single byte not encoded as itself"
    return val


@internal
@pure
def _address(x: uint256) -> address:
    return convert(convert(x, uint160), address)


@internal
@pure
def _int(x: uint256) -> int256:
    """
    @dev A flat word as a signed int (two's complement: `records.py::_sint`).
    """
    return convert(convert(x, bytes32), int256)


@internal
@pure
def _word(x: int256) -> uint256:
    """
    @dev A signed int as its two's complement word (`records.py::_s`).
    """
    return convert(convert(x, bytes32), uint256)


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
        best = max(best, convert(abs(m.scenario_pnl_e6[k] * SCENARIO_WEIGHTS_PPM[k]), uint256))
    return best
