from node.rpc.generated.optrollup.v1 import query_pb2 as _query_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Liquidity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIQUIDITY_UNSPECIFIED: _ClassVar[Liquidity]
    LIQUIDITY_MAKER: _ClassVar[Liquidity]
    LIQUIDITY_TAKER: _ClassVar[Liquidity]
    LIQUIDITY_LIQUIDATED: _ClassVar[Liquidity]
    LIQUIDITY_LIQUIDATOR: _ClassVar[Liquidity]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_RESTING: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
LIQUIDITY_UNSPECIFIED: Liquidity
LIQUIDITY_MAKER: Liquidity
LIQUIDITY_TAKER: Liquidity
LIQUIDITY_LIQUIDATED: Liquidity
LIQUIDITY_LIQUIDATOR: Liquidity
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_RESTING: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus

class SubscribeOrderBookRequest(_message.Message):
    __slots__ = ("instrument_id", "depth")
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    instrument_id: int
    depth: int
    def __init__(self, instrument_id: _Optional[int] = ..., depth: _Optional[int] = ...) -> None: ...

class BookUpdate(_message.Message):
    __slots__ = ("sequence", "block_number", "instrument_id", "snapshot", "bids", "asks")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    block_number: int
    instrument_id: int
    snapshot: bool
    bids: _containers.RepeatedCompositeFieldContainer[_query_pb2.BookLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_query_pb2.BookLevel]
    def __init__(self, sequence: _Optional[int] = ..., block_number: _Optional[int] = ..., instrument_id: _Optional[int] = ..., snapshot: _Optional[bool] = ..., bids: _Optional[_Iterable[_Union[_query_pb2.BookLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_query_pb2.BookLevel, _Mapping]]] = ...) -> None: ...

class SubscribeAccountRequest(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    def __init__(self, address: _Optional[bytes] = ...) -> None: ...

class AccountFill(_message.Message):
    __slots__ = ("order_id", "instrument_id", "side", "price_e6", "size_e6", "liquidity", "fee_e6", "counterparty", "maker_order_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    LIQUIDITY_FIELD_NUMBER: _ClassVar[int]
    FEE_E6_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_FIELD_NUMBER: _ClassVar[int]
    MAKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    liquidity: Liquidity
    fee_e6: int
    counterparty: bytes
    maker_order_id: int
    def __init__(self, order_id: _Optional[int] = ..., instrument_id: _Optional[int] = ..., side: _Optional[int] = ..., price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., liquidity: _Optional[_Union[Liquidity, str]] = ..., fee_e6: _Optional[int] = ..., counterparty: _Optional[bytes] = ..., maker_order_id: _Optional[int] = ...) -> None: ...

class OrderUpdate(_message.Message):
    __slots__ = ("order_id", "instrument_id", "side", "price_e6", "status", "filled_e6", "remaining_e6", "reason_code", "reason_name")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILLED_E6_FIELD_NUMBER: _ClassVar[int]
    REMAINING_E6_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_NAME_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    status: OrderStatus
    filled_e6: int
    remaining_e6: int
    reason_code: int
    reason_name: str
    def __init__(self, order_id: _Optional[int] = ..., instrument_id: _Optional[int] = ..., side: _Optional[int] = ..., price_e6: _Optional[int] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., filled_e6: _Optional[int] = ..., remaining_e6: _Optional[int] = ..., reason_code: _Optional[int] = ..., reason_name: _Optional[str] = ...) -> None: ...

class AccountEvent(_message.Message):
    __slots__ = ("sequence", "block_number", "tx_hash", "timestamp", "fill", "order")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    FILL_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    block_number: int
    tx_hash: bytes
    timestamp: int
    fill: AccountFill
    order: OrderUpdate
    def __init__(self, sequence: _Optional[int] = ..., block_number: _Optional[int] = ..., tx_hash: _Optional[bytes] = ..., timestamp: _Optional[int] = ..., fill: _Optional[_Union[AccountFill, _Mapping]] = ..., order: _Optional[_Union[OrderUpdate, _Mapping]] = ...) -> None: ...

class SubscribeBlocksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BlockHeader(_message.Message):
    __slots__ = ("sequence", "number", "timestamp", "state_root", "receipts_hash", "tx_count")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_HASH_FIELD_NUMBER: _ClassVar[int]
    TX_COUNT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    number: int
    timestamp: int
    state_root: bytes
    receipts_hash: bytes
    tx_count: int
    def __init__(self, sequence: _Optional[int] = ..., number: _Optional[int] = ..., timestamp: _Optional[int] = ..., state_root: _Optional[bytes] = ..., receipts_hash: _Optional[bytes] = ..., tx_count: _Optional[int] = ...) -> None: ...
