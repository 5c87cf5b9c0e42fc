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

# (codecs below)

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
# Largest encoded record (the Account): what `trie.get` returns and `trie.put` takes.
MAX_VALUE: constant(uint256) = ACCOUNT_RLP


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
