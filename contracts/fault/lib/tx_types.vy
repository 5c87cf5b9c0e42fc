# pragma version 0.4.3
"""
@title tx_types
@notice Transaction kinds and bodies: twin of node/stf/txtypes.py. One struct per body
        with the dataclass's field names in its order; every `uintN` field is a uint256
        already checked below 2**N by `tx_codec`, `int64` an int256, `bool` a bool,
        an address an `address`.
@dev The wire layout of each kind (field count and types) is `LAYOUT_*`: one 4-bit field
     type per field, the first field in the lowest nibble (tx_codec.py::_LAYOUTS, from
     eip712.py::FIELD_TYPES and tx_codec.py::DEPOSIT_FIELD_TYPES).
"""

# Envelope type bytes (txtypes.py::TxType).
PLACE_ORDER: constant(uint256) = 1
CANCEL_ORDER: constant(uint256) = 2
CANCEL_ALL: constant(uint256) = 3
WITHDRAW: constant(uint256) = 4
ORACLE_UPDATE: constant(uint256) = 5
LIST_INSTRUMENT: constant(uint256) = 6
LIQUIDATE: constant(uint256) = 7
SETTLE: constant(uint256) = 8
DEPOSIT: constant(uint256) = 126  # 0x7E, unsigned

# First phase of each kind's body (steps.py::BODY_PHASE; BODY for the kinds not listed there).
BODY_PHASE: constant(uint256) = 10  # steps.py Phase.BODY: CancelOrder, ListInstrument
PLACE_PHASE: constant(uint256) = 20  # matching.PlacePhase.PLACE
LIQUIDATE_PHASE: constant(uint256) = 50  # liquidation.LiquidatePhase.LIQUIDATE
SETTLE_PHASE: constant(uint256) = 60  # settlement.SettlePhase.SETTLE
ORACLE_PHASE: constant(uint256) = 70  # oracle.OraclePhase.ORACLE_CHECK
CANCEL_ALL_PHASE: constant(uint256) = 80  # orders.CancelPhase.CANCEL_ALL
WITHDRAW_PHASE: constant(uint256) = 90  # transfers.WithdrawPhase.WITHDRAW
DEPOSIT_PHASE: constant(uint256) = 93  # transfers.DepositPhase.DEPOSIT

MAX_SURFACE_POINTS: constant(uint256) = 16  # tx_codec.py::MAX_SURFACE_POINTS
MAX_FIELDS: constant(uint256) = 9  # PlaceOrder's

# Field types: the byte length bound of an unsigned integer, or a shape.
F_UINT8: constant(uint256) = 1
F_UINT32: constant(uint256) = 2
F_UINT64: constant(uint256) = 3
F_BOOL: constant(uint256) = 4
F_ADDRESS: constant(uint256) = 5
F_SURFACE: constant(uint256) = 6  # VolPoint[]: a list of [uint64, uint64, int64, uint64]

# Layouts: field i's type in bits [4i, 4i + 4).
LAYOUT_PLACE_ORDER: constant(uint256) = (
    F_UINT64 | F_UINT32 << 4 | F_UINT8 << 8 | F_UINT64 << 12 | F_UINT64 << 16
    | F_UINT8 << 20 | F_BOOL << 24 | F_UINT64 << 28 | F_UINT64 << 32
)
LAYOUT_CANCEL_ORDER: constant(uint256) = F_UINT64 | F_UINT64 << 4 | F_UINT64 << 8
LAYOUT_CANCEL_ALL: constant(uint256) = F_UINT64 | F_UINT32 << 4
LAYOUT_WITHDRAW: constant(uint256) = F_UINT64 | F_UINT64 << 4 | F_ADDRESS << 8
LAYOUT_ORACLE_UPDATE: constant(uint256) = (
    F_UINT64 | F_UINT32 << 4 | F_UINT64 << 8 | F_UINT64 << 12 | F_UINT64 << 16
    | F_SURFACE << 20
)
LAYOUT_LIST_INSTRUMENT: constant(uint256) = (
    F_UINT64 | F_UINT32 << 4 | F_UINT64 << 8 | F_UINT64 << 12 | F_BOOL << 16
    | F_UINT64 << 20 | F_UINT64 << 24
)
LAYOUT_LIQUIDATE: constant(uint256) = F_UINT64 | F_ADDRESS << 4 | F_UINT32 << 8 | F_UINT64 << 12
LAYOUT_SETTLE: constant(uint256) = F_UINT64 | F_ADDRESS << 4 | F_UINT32 << 8
LAYOUT_DEPOSIT: constant(uint256) = F_UINT64 | F_ADDRESS << 4 | F_UINT64 << 8


struct VolPoint:
    expiry: uint256
    atm_vol_e6: uint256
    skew_e6: int256
    curvature_e6: uint256


struct PlaceOrder:
    nonce: uint256
    instrument_id: uint256
    side: uint256
    price_e6: uint256
    size_e6: uint256
    time_in_force: uint256
    reduce_only: bool
    client_order_id: uint256
    expiry: uint256


struct CancelOrder:
    nonce: uint256
    order_id: uint256
    client_order_id: uint256


struct CancelAll:
    nonce: uint256
    instrument_id: uint256


struct Withdraw:
    nonce: uint256
    amount_e6: uint256
    recipient: address


struct OracleUpdate:
    nonce: uint256
    underlying_id: uint256
    sequence: uint256
    observation_time: uint256
    index_price_e6: uint256
    surface: DynArray[VolPoint, MAX_SURFACE_POINTS]


struct ListInstrument:
    nonce: uint256
    underlying_id: uint256
    expiry: uint256
    strike_e6: uint256
    is_call: bool
    tick_size_e6: uint256
    min_size_e6: uint256


struct Liquidate:
    nonce: uint256
    account: address
    instrument_id: uint256
    size_e6: uint256


struct Settle:
    nonce: uint256
    account: address
    instrument_id: uint256


struct Deposit:
    deposit_index: uint256
    recipient: address
    amount_e6: uint256


@internal
@pure
def layout(kind: uint256) -> (uint256, uint256):
    """
    @notice `(layout, field count)` of envelope type `kind`; `(0, 0)` for an unknown type.
    """
    if kind == PLACE_ORDER:
        return LAYOUT_PLACE_ORDER, 9
    if kind == CANCEL_ORDER:
        return LAYOUT_CANCEL_ORDER, 3
    if kind == CANCEL_ALL:
        return LAYOUT_CANCEL_ALL, 2
    if kind == WITHDRAW:
        return LAYOUT_WITHDRAW, 3
    if kind == ORACLE_UPDATE:
        return LAYOUT_ORACLE_UPDATE, 6
    if kind == LIST_INSTRUMENT:
        return LAYOUT_LIST_INSTRUMENT, 7
    if kind == LIQUIDATE:
        return LAYOUT_LIQUIDATE, 4
    if kind == SETTLE:
        return LAYOUT_SETTLE, 3
    if kind == DEPOSIT:
        return LAYOUT_DEPOSIT, 3
    return 0, 0


@internal
@pure
def body_phase(kind: uint256) -> uint256:
    """
    @notice The phase TX_START moves a transaction of type `kind` to (steps.py::BODY_PHASE).
    """
    if kind == PLACE_ORDER:
        return PLACE_PHASE
    if kind == CANCEL_ALL:
        return CANCEL_ALL_PHASE
    if kind == WITHDRAW:
        return WITHDRAW_PHASE
    if kind == ORACLE_UPDATE:
        return ORACLE_PHASE
    if kind == LIQUIDATE:
        return LIQUIDATE_PHASE
    if kind == SETTLE:
        return SETTLE_PHASE
    if kind == DEPOSIT:
        return DEPOSIT_PHASE
    return BODY_PHASE
