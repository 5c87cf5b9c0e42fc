from node.rpc.generated.optrollup.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IndexHistoryRequest(_message.Message):
    __slots__ = ("underlying_id", "limit")
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    limit: int
    def __init__(self, underlying_id: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class IndexPoint(_message.Message):
    __slots__ = ("time", "index_e6")
    TIME_FIELD_NUMBER: _ClassVar[int]
    INDEX_E6_FIELD_NUMBER: _ClassVar[int]
    time: int
    index_e6: int
    def __init__(self, time: _Optional[int] = ..., index_e6: _Optional[int] = ...) -> None: ...

class IndexHistoryResponse(_message.Message):
    __slots__ = ("underlying_id", "points", "block_number")
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    points: _containers.RepeatedCompositeFieldContainer[IndexPoint]
    block_number: int
    def __init__(self, underlying_id: _Optional[int] = ..., points: _Optional[_Iterable[_Union[IndexPoint, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class RollupRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class RollupBatch(_message.Message):
    __slots__ = ("index", "l1_block", "l1_time", "first_l2_block", "last_l2_block", "txs", "bytes")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_FIELD_NUMBER: _ClassVar[int]
    L1_TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_L2_BLOCK_FIELD_NUMBER: _ClassVar[int]
    LAST_L2_BLOCK_FIELD_NUMBER: _ClassVar[int]
    TXS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    index: int
    l1_block: int
    l1_time: int
    first_l2_block: int
    last_l2_block: int
    txs: int
    bytes: int
    def __init__(self, index: _Optional[int] = ..., l1_block: _Optional[int] = ..., l1_time: _Optional[int] = ..., first_l2_block: _Optional[int] = ..., last_l2_block: _Optional[int] = ..., txs: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class RollupRoot(_message.Message):
    __slots__ = ("index", "batch_index", "last_l2_block", "state_root", "proposed_at", "final_at", "final", "proposer", "bond_returned")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    LAST_L2_BLOCK_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_AT_FIELD_NUMBER: _ClassVar[int]
    FINAL_AT_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_FIELD_NUMBER: _ClassVar[int]
    BOND_RETURNED_FIELD_NUMBER: _ClassVar[int]
    index: int
    batch_index: int
    last_l2_block: int
    state_root: bytes
    proposed_at: int
    final_at: int
    final: bool
    proposer: bytes
    bond_returned: bool
    def __init__(self, index: _Optional[int] = ..., batch_index: _Optional[int] = ..., last_l2_block: _Optional[int] = ..., state_root: _Optional[bytes] = ..., proposed_at: _Optional[int] = ..., final_at: _Optional[int] = ..., final: _Optional[bool] = ..., proposer: _Optional[bytes] = ..., bond_returned: _Optional[bool] = ...) -> None: ...

class RollupWithdrawal(_message.Message):
    __slots__ = ("index", "sender", "recipient", "amount_e6", "block_number", "claimed", "rooted", "root_index", "final_at")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_E6_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    ROOTED_FIELD_NUMBER: _ClassVar[int]
    ROOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    FINAL_AT_FIELD_NUMBER: _ClassVar[int]
    index: int
    sender: bytes
    recipient: bytes
    amount_e6: int
    block_number: int
    claimed: bool
    rooted: bool
    root_index: int
    final_at: int
    def __init__(self, index: _Optional[int] = ..., sender: _Optional[bytes] = ..., recipient: _Optional[bytes] = ..., amount_e6: _Optional[int] = ..., block_number: _Optional[int] = ..., claimed: _Optional[bool] = ..., rooted: _Optional[bool] = ..., root_index: _Optional[int] = ..., final_at: _Optional[int] = ...) -> None: ...

class RollupQueued(_message.Message):
    __slots__ = ("index", "l1_block", "deadline", "recipient", "amount_e6", "tx_hash")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_E6_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    index: int
    l1_block: int
    deadline: int
    recipient: bytes
    amount_e6: int
    tx_hash: bytes
    def __init__(self, index: _Optional[int] = ..., l1_block: _Optional[int] = ..., deadline: _Optional[int] = ..., recipient: _Optional[bytes] = ..., amount_e6: _Optional[int] = ..., tx_hash: _Optional[bytes] = ...) -> None: ...

class RollupResponse(_message.Message):
    __slots__ = ("available", "l1_block", "l1_time", "challenge_window_s", "batch_count", "root_count", "batches", "roots", "withdrawals", "deposits_in_flight", "forced_queue", "block_number", "disputes")
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_FIELD_NUMBER: _ClassVar[int]
    L1_TIME_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    BATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    ROOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWALS_FIELD_NUMBER: _ClassVar[int]
    DEPOSITS_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    FORCED_QUEUE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DISPUTES_FIELD_NUMBER: _ClassVar[int]
    available: bool
    l1_block: int
    l1_time: int
    challenge_window_s: int
    batch_count: int
    root_count: int
    batches: _containers.RepeatedCompositeFieldContainer[RollupBatch]
    roots: _containers.RepeatedCompositeFieldContainer[RollupRoot]
    withdrawals: _containers.RepeatedCompositeFieldContainer[RollupWithdrawal]
    deposits_in_flight: _containers.RepeatedCompositeFieldContainer[RollupQueued]
    forced_queue: _containers.RepeatedCompositeFieldContainer[RollupQueued]
    block_number: int
    disputes: _containers.RepeatedCompositeFieldContainer[RollupDispute]
    def __init__(self, available: _Optional[bool] = ..., l1_block: _Optional[int] = ..., l1_time: _Optional[int] = ..., challenge_window_s: _Optional[int] = ..., batch_count: _Optional[int] = ..., root_count: _Optional[int] = ..., batches: _Optional[_Iterable[_Union[RollupBatch, _Mapping]]] = ..., roots: _Optional[_Iterable[_Union[RollupRoot, _Mapping]]] = ..., withdrawals: _Optional[_Iterable[_Union[RollupWithdrawal, _Mapping]]] = ..., deposits_in_flight: _Optional[_Iterable[_Union[RollupQueued, _Mapping]]] = ..., forced_queue: _Optional[_Iterable[_Union[RollupQueued, _Mapping]]] = ..., block_number: _Optional[int] = ..., disputes: _Optional[_Iterable[_Union[RollupDispute, _Mapping]]] = ...) -> None: ...

class RollupDispute(_message.Message):
    __slots__ = ("game", "root_index", "state_root", "defender", "challenger", "status", "declared", "depth", "lo", "hi", "position", "turn", "defender_clock_left_s", "challenger_clock_left_s", "bond_wei", "moves")
    GAME_FIELD_NUMBER: _ClassVar[int]
    ROOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    DEFENDER_FIELD_NUMBER: _ClassVar[int]
    CHALLENGER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DECLARED_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    LO_FIELD_NUMBER: _ClassVar[int]
    HI_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    DEFENDER_CLOCK_LEFT_S_FIELD_NUMBER: _ClassVar[int]
    CHALLENGER_CLOCK_LEFT_S_FIELD_NUMBER: _ClassVar[int]
    BOND_WEI_FIELD_NUMBER: _ClassVar[int]
    MOVES_FIELD_NUMBER: _ClassVar[int]
    game: int
    root_index: int
    state_root: bytes
    defender: bytes
    challenger: bytes
    status: str
    declared: bool
    depth: int
    lo: int
    hi: int
    position: int
    turn: str
    defender_clock_left_s: int
    challenger_clock_left_s: int
    bond_wei: str
    moves: int
    def __init__(self, game: _Optional[int] = ..., root_index: _Optional[int] = ..., state_root: _Optional[bytes] = ..., defender: _Optional[bytes] = ..., challenger: _Optional[bytes] = ..., status: _Optional[str] = ..., declared: _Optional[bool] = ..., depth: _Optional[int] = ..., lo: _Optional[int] = ..., hi: _Optional[int] = ..., position: _Optional[int] = ..., turn: _Optional[str] = ..., defender_clock_left_s: _Optional[int] = ..., challenger_clock_left_s: _Optional[int] = ..., bond_wei: _Optional[str] = ..., moves: _Optional[int] = ...) -> None: ...

class ListUnderlyingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VolSurfacePoint(_message.Message):
    __slots__ = ("expiry", "atm_vol_e6", "skew_e6", "curvature_e6")
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    ATM_VOL_E6_FIELD_NUMBER: _ClassVar[int]
    SKEW_E6_FIELD_NUMBER: _ClassVar[int]
    CURVATURE_E6_FIELD_NUMBER: _ClassVar[int]
    expiry: int
    atm_vol_e6: int
    skew_e6: int
    curvature_e6: int
    def __init__(self, expiry: _Optional[int] = ..., atm_vol_e6: _Optional[int] = ..., skew_e6: _Optional[int] = ..., curvature_e6: _Optional[int] = ...) -> None: ...

class Underlying(_message.Message):
    __slots__ = ("underlying_id", "name", "index_e6", "oracle_time", "surface", "series", "oracle_sequence", "observation_time")
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_E6_FIELD_NUMBER: _ClassVar[int]
    ORACLE_TIME_FIELD_NUMBER: _ClassVar[int]
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    ORACLE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_TIME_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    name: str
    index_e6: int
    oracle_time: int
    surface: _containers.RepeatedCompositeFieldContainer[VolSurfacePoint]
    series: int
    oracle_sequence: int
    observation_time: int
    def __init__(self, underlying_id: _Optional[int] = ..., name: _Optional[str] = ..., index_e6: _Optional[int] = ..., oracle_time: _Optional[int] = ..., surface: _Optional[_Iterable[_Union[VolSurfacePoint, _Mapping]]] = ..., series: _Optional[int] = ..., oracle_sequence: _Optional[int] = ..., observation_time: _Optional[int] = ...) -> None: ...

class ListUnderlyingsResponse(_message.Message):
    __slots__ = ("underlyings", "block_number", "block_time")
    UNDERLYINGS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    underlyings: _containers.RepeatedCompositeFieldContainer[Underlying]
    block_number: int
    block_time: int
    def __init__(self, underlyings: _Optional[_Iterable[_Union[Underlying, _Mapping]]] = ..., block_number: _Optional[int] = ..., block_time: _Optional[int] = ...) -> None: ...

class WithdrawalProofRequest(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: int
    def __init__(self, index: _Optional[int] = ...) -> None: ...

class WithdrawalProof(_message.Message):
    __slots__ = ("index", "commitment_index", "l2_block", "state_root", "sender", "recipient", "amount_e6", "block_number", "proof")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    COMMITMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    L2_BLOCK_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_E6_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    index: int
    commitment_index: int
    l2_block: int
    state_root: bytes
    sender: bytes
    recipient: bytes
    amount_e6: int
    block_number: int
    proof: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, index: _Optional[int] = ..., commitment_index: _Optional[int] = ..., l2_block: _Optional[int] = ..., state_root: _Optional[bytes] = ..., sender: _Optional[bytes] = ..., recipient: _Optional[bytes] = ..., amount_e6: _Optional[int] = ..., block_number: _Optional[int] = ..., proof: _Optional[_Iterable[bytes]] = ...) -> None: ...

class AccountRequest(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    def __init__(self, address: _Optional[bytes] = ...) -> None: ...

class MarginSummary(_message.Message):
    __slots__ = ("cash_e6", "value_e6", "equity_e6", "maintenance_e6", "initial_e6", "available_e6", "complete")
    CASH_E6_FIELD_NUMBER: _ClassVar[int]
    VALUE_E6_FIELD_NUMBER: _ClassVar[int]
    EQUITY_E6_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_E6_FIELD_NUMBER: _ClassVar[int]
    INITIAL_E6_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_E6_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    cash_e6: int
    value_e6: int
    equity_e6: int
    maintenance_e6: int
    initial_e6: int
    available_e6: int
    complete: bool
    def __init__(self, cash_e6: _Optional[int] = ..., value_e6: _Optional[int] = ..., equity_e6: _Optional[int] = ..., maintenance_e6: _Optional[int] = ..., initial_e6: _Optional[int] = ..., available_e6: _Optional[int] = ..., complete: _Optional[bool] = ...) -> None: ...

class AccountResponse(_message.Message):
    __slots__ = ("address", "balance_e6", "margin", "nonce_floor", "open_orders", "positions", "block_number", "nonce_bitmap")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_E6_FIELD_NUMBER: _ClassVar[int]
    MARGIN_FIELD_NUMBER: _ClassVar[int]
    NONCE_FLOOR_FIELD_NUMBER: _ClassVar[int]
    OPEN_ORDERS_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NONCE_BITMAP_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    balance_e6: int
    margin: MarginSummary
    nonce_floor: int
    open_orders: int
    positions: int
    block_number: int
    nonce_bitmap: bytes
    def __init__(self, address: _Optional[bytes] = ..., balance_e6: _Optional[int] = ..., margin: _Optional[_Union[MarginSummary, _Mapping]] = ..., nonce_floor: _Optional[int] = ..., open_orders: _Optional[int] = ..., positions: _Optional[int] = ..., block_number: _Optional[int] = ..., nonce_bitmap: _Optional[bytes] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("instrument_id", "name", "size_e6", "mark_e6", "value_e6")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    MARK_E6_FIELD_NUMBER: _ClassVar[int]
    VALUE_E6_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    name: str
    size_e6: int
    mark_e6: int
    value_e6: int
    def __init__(self, instrument_id: _Optional[int] = ..., name: _Optional[str] = ..., size_e6: _Optional[int] = ..., mark_e6: _Optional[int] = ..., value_e6: _Optional[int] = ...) -> None: ...

class PositionsResponse(_message.Message):
    __slots__ = ("positions", "block_number")
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    block_number: int
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class OpenOrder(_message.Message):
    __slots__ = ("order_id", "instrument_id", "name", "side", "price_e6", "remaining_e6", "reduce_only", "client_order_id", "expiry")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    REMAINING_E6_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    instrument_id: int
    name: str
    side: int
    price_e6: int
    remaining_e6: int
    reduce_only: bool
    client_order_id: int
    expiry: int
    def __init__(self, order_id: _Optional[int] = ..., instrument_id: _Optional[int] = ..., name: _Optional[str] = ..., side: _Optional[int] = ..., price_e6: _Optional[int] = ..., remaining_e6: _Optional[int] = ..., reduce_only: _Optional[bool] = ..., client_order_id: _Optional[int] = ..., expiry: _Optional[int] = ...) -> None: ...

class OpenOrdersResponse(_message.Message):
    __slots__ = ("orders", "block_number")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[OpenOrder]
    block_number: int
    def __init__(self, orders: _Optional[_Iterable[_Union[OpenOrder, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class ReceiptRequest(_message.Message):
    __slots__ = ("tx_hash",)
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    def __init__(self, tx_hash: _Optional[bytes] = ...) -> None: ...

class ListInstrumentsRequest(_message.Message):
    __slots__ = ("underlying_id",)
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    def __init__(self, underlying_id: _Optional[int] = ...) -> None: ...

class Instrument(_message.Message):
    __slots__ = ("instrument_id", "name", "underlying", "underlying_id", "expiry", "strike_e6", "is_call", "tick_size_e6", "min_size_e6", "mark_e6", "best_bid_e6", "best_ask_e6", "vol_e6", "mark_time", "delta_wad", "gamma_wad", "vega_wad", "theta_wad", "best_bid_size_e6", "best_ask_size_e6", "settlement_price_e6")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNDERLYING_FIELD_NUMBER: _ClassVar[int]
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    STRIKE_E6_FIELD_NUMBER: _ClassVar[int]
    IS_CALL_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    MIN_SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    MARK_E6_FIELD_NUMBER: _ClassVar[int]
    BEST_BID_E6_FIELD_NUMBER: _ClassVar[int]
    BEST_ASK_E6_FIELD_NUMBER: _ClassVar[int]
    VOL_E6_FIELD_NUMBER: _ClassVar[int]
    MARK_TIME_FIELD_NUMBER: _ClassVar[int]
    DELTA_WAD_FIELD_NUMBER: _ClassVar[int]
    GAMMA_WAD_FIELD_NUMBER: _ClassVar[int]
    VEGA_WAD_FIELD_NUMBER: _ClassVar[int]
    THETA_WAD_FIELD_NUMBER: _ClassVar[int]
    BEST_BID_SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    BEST_ASK_SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    name: str
    underlying: str
    underlying_id: int
    expiry: int
    strike_e6: int
    is_call: bool
    tick_size_e6: int
    min_size_e6: int
    mark_e6: int
    best_bid_e6: int
    best_ask_e6: int
    vol_e6: int
    mark_time: int
    delta_wad: str
    gamma_wad: str
    vega_wad: str
    theta_wad: str
    best_bid_size_e6: int
    best_ask_size_e6: int
    settlement_price_e6: int
    def __init__(self, instrument_id: _Optional[int] = ..., name: _Optional[str] = ..., underlying: _Optional[str] = ..., underlying_id: _Optional[int] = ..., expiry: _Optional[int] = ..., strike_e6: _Optional[int] = ..., is_call: _Optional[bool] = ..., tick_size_e6: _Optional[int] = ..., min_size_e6: _Optional[int] = ..., mark_e6: _Optional[int] = ..., best_bid_e6: _Optional[int] = ..., best_ask_e6: _Optional[int] = ..., vol_e6: _Optional[int] = ..., mark_time: _Optional[int] = ..., delta_wad: _Optional[str] = ..., gamma_wad: _Optional[str] = ..., vega_wad: _Optional[str] = ..., theta_wad: _Optional[str] = ..., best_bid_size_e6: _Optional[int] = ..., best_ask_size_e6: _Optional[int] = ..., settlement_price_e6: _Optional[int] = ...) -> None: ...

class ListInstrumentsResponse(_message.Message):
    __slots__ = ("instruments", "block_number")
    INSTRUMENTS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    instruments: _containers.RepeatedCompositeFieldContainer[Instrument]
    block_number: int
    def __init__(self, instruments: _Optional[_Iterable[_Union[Instrument, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class OrderBookRequest(_message.Message):
    __slots__ = ("instrument_id", "depth")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    depth: int
    def __init__(self, instrument_id: _Optional[int] = ..., depth: _Optional[int] = ...) -> None: ...

class BookLevel(_message.Message):
    __slots__ = ("price_e6", "size_e6", "order_count")
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    price_e6: int
    size_e6: int
    order_count: int
    def __init__(self, price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., order_count: _Optional[int] = ...) -> None: ...

class OrderBook(_message.Message):
    __slots__ = ("instrument_id", "bids", "asks", "block_number")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    bids: _containers.RepeatedCompositeFieldContainer[BookLevel]
    asks: _containers.RepeatedCompositeFieldContainer[BookLevel]
    block_number: int
    def __init__(self, instrument_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[BookLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[BookLevel, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class BlockRequest(_message.Message):
    __slots__ = ("number",)
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: int
    def __init__(self, number: _Optional[int] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("number", "timestamp", "state_root", "receipts_hash", "tx_hashes", "tx_count")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_HASH_FIELD_NUMBER: _ClassVar[int]
    TX_HASHES_FIELD_NUMBER: _ClassVar[int]
    TX_COUNT_FIELD_NUMBER: _ClassVar[int]
    number: int
    timestamp: int
    state_root: bytes
    receipts_hash: bytes
    tx_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    tx_count: int
    def __init__(self, number: _Optional[int] = ..., timestamp: _Optional[int] = ..., state_root: _Optional[bytes] = ..., receipts_hash: _Optional[bytes] = ..., tx_hashes: _Optional[_Iterable[bytes]] = ..., tx_count: _Optional[int] = ...) -> None: ...

class ChainInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChainInfo(_message.Message):
    __slots__ = ("chain_id", "block_number", "block_time", "verifying_contract")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    VERIFYING_CONTRACT_FIELD_NUMBER: _ClassVar[int]
    chain_id: int
    block_number: int
    block_time: int
    verifying_contract: bytes
    def __init__(self, chain_id: _Optional[int] = ..., block_number: _Optional[int] = ..., block_time: _Optional[int] = ..., verifying_contract: _Optional[bytes] = ...) -> None: ...

class UnderlyingRisk(_message.Message):
    __slots__ = ("underlying_id", "underlying", "index_e6", "delta_wad", "gamma_wad", "vega_wad", "theta_wad", "worst_loss_e6", "addon_e6", "maintenance_e6", "worst_scenario")
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    UNDERLYING_FIELD_NUMBER: _ClassVar[int]
    INDEX_E6_FIELD_NUMBER: _ClassVar[int]
    DELTA_WAD_FIELD_NUMBER: _ClassVar[int]
    GAMMA_WAD_FIELD_NUMBER: _ClassVar[int]
    VEGA_WAD_FIELD_NUMBER: _ClassVar[int]
    THETA_WAD_FIELD_NUMBER: _ClassVar[int]
    WORST_LOSS_E6_FIELD_NUMBER: _ClassVar[int]
    ADDON_E6_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_E6_FIELD_NUMBER: _ClassVar[int]
    WORST_SCENARIO_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    underlying: str
    index_e6: int
    delta_wad: str
    gamma_wad: str
    vega_wad: str
    theta_wad: str
    worst_loss_e6: int
    addon_e6: int
    maintenance_e6: int
    worst_scenario: str
    def __init__(self, underlying_id: _Optional[int] = ..., underlying: _Optional[str] = ..., index_e6: _Optional[int] = ..., delta_wad: _Optional[str] = ..., gamma_wad: _Optional[str] = ..., vega_wad: _Optional[str] = ..., theta_wad: _Optional[str] = ..., worst_loss_e6: _Optional[int] = ..., addon_e6: _Optional[int] = ..., maintenance_e6: _Optional[int] = ..., worst_scenario: _Optional[str] = ...) -> None: ...

class RiskResponse(_message.Message):
    __slots__ = ("address", "margin", "underlyings", "delta_wad", "gamma_wad", "vega_wad", "theta_wad", "complete", "block_number")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MARGIN_FIELD_NUMBER: _ClassVar[int]
    UNDERLYINGS_FIELD_NUMBER: _ClassVar[int]
    DELTA_WAD_FIELD_NUMBER: _ClassVar[int]
    GAMMA_WAD_FIELD_NUMBER: _ClassVar[int]
    VEGA_WAD_FIELD_NUMBER: _ClassVar[int]
    THETA_WAD_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    margin: MarginSummary
    underlyings: _containers.RepeatedCompositeFieldContainer[UnderlyingRisk]
    delta_wad: str
    gamma_wad: str
    vega_wad: str
    theta_wad: str
    complete: bool
    block_number: int
    def __init__(self, address: _Optional[bytes] = ..., margin: _Optional[_Union[MarginSummary, _Mapping]] = ..., underlyings: _Optional[_Iterable[_Union[UnderlyingRisk, _Mapping]]] = ..., delta_wad: _Optional[str] = ..., gamma_wad: _Optional[str] = ..., vega_wad: _Optional[str] = ..., theta_wad: _Optional[str] = ..., complete: _Optional[bool] = ..., block_number: _Optional[int] = ...) -> None: ...

class RecentTradesRequest(_message.Message):
    __slots__ = ("instrument_id", "limit", "before_position")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_POSITION_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    limit: int
    before_position: int
    def __init__(self, instrument_id: _Optional[int] = ..., limit: _Optional[int] = ..., before_position: _Optional[int] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("price_e6", "size_e6", "taker_side", "block_number", "tx_hash", "timestamp", "position")
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    TAKER_SIDE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    price_e6: int
    size_e6: int
    taker_side: int
    block_number: int
    tx_hash: bytes
    timestamp: int
    position: int
    def __init__(self, price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., taker_side: _Optional[int] = ..., block_number: _Optional[int] = ..., tx_hash: _Optional[bytes] = ..., timestamp: _Optional[int] = ..., position: _Optional[int] = ...) -> None: ...

class RecentTradesResponse(_message.Message):
    __slots__ = ("instrument_id", "trades", "block_number", "next_before_position")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEXT_BEFORE_POSITION_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    block_number: int
    next_before_position: int
    def __init__(self, instrument_id: _Optional[int] = ..., trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., block_number: _Optional[int] = ..., next_before_position: _Optional[int] = ...) -> None: ...

class AccountHistoryRequest(_message.Message):
    __slots__ = ("address", "limit", "before_position")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_POSITION_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    limit: int
    before_position: int
    def __init__(self, address: _Optional[bytes] = ..., limit: _Optional[int] = ..., before_position: _Optional[int] = ...) -> None: ...

class AccountTrade(_message.Message):
    __slots__ = ("instrument_id", "side", "price_e6", "size_e6", "fee_e6", "liquidity", "order_id")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    FEE_E6_FIELD_NUMBER: _ClassVar[int]
    LIQUIDITY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    fee_e6: int
    liquidity: str
    order_id: int
    def __init__(self, instrument_id: _Optional[int] = ..., side: _Optional[int] = ..., price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., fee_e6: _Optional[int] = ..., liquidity: _Optional[str] = ..., order_id: _Optional[int] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("position", "block_number", "timestamp", "tx_hash", "kind", "own", "code", "failure_name", "order_id", "instrument_id", "side", "price_e6", "size_e6", "filled_e6", "rested_e6", "amount_e6", "fills", "remainder_name")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWN_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    FILLED_E6_FIELD_NUMBER: _ClassVar[int]
    RESTED_E6_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_E6_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_NAME_FIELD_NUMBER: _ClassVar[int]
    position: int
    block_number: int
    timestamp: int
    tx_hash: bytes
    kind: str
    own: bool
    code: int
    failure_name: str
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    filled_e6: int
    rested_e6: int
    amount_e6: int
    fills: _containers.RepeatedCompositeFieldContainer[AccountTrade]
    remainder_name: str
    def __init__(self, position: _Optional[int] = ..., block_number: _Optional[int] = ..., timestamp: _Optional[int] = ..., tx_hash: _Optional[bytes] = ..., kind: _Optional[str] = ..., own: _Optional[bool] = ..., code: _Optional[int] = ..., failure_name: _Optional[str] = ..., order_id: _Optional[int] = ..., instrument_id: _Optional[int] = ..., side: _Optional[int] = ..., price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., filled_e6: _Optional[int] = ..., rested_e6: _Optional[int] = ..., amount_e6: _Optional[int] = ..., fills: _Optional[_Iterable[_Union[AccountTrade, _Mapping]]] = ..., remainder_name: _Optional[str] = ...) -> None: ...

class AccountHistoryResponse(_message.Message):
    __slots__ = ("entries", "next_before_position", "block_number")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_BEFORE_POSITION_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    next_before_position: int
    block_number: int
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., next_before_position: _Optional[int] = ..., block_number: _Optional[int] = ...) -> None: ...
