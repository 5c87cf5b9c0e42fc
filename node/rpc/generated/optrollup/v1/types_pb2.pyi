from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Fill(_message.Message):
    __slots__ = ("maker_order_id", "maker", "taker", "instrument_id", "taker_side", "price_e6", "size_e6", "maker_fee_e6", "taker_fee_e6")
    MAKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MAKER_FIELD_NUMBER: _ClassVar[int]
    TAKER_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TAKER_SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_E6_FIELD_NUMBER: _ClassVar[int]
    SIZE_E6_FIELD_NUMBER: _ClassVar[int]
    MAKER_FEE_E6_FIELD_NUMBER: _ClassVar[int]
    TAKER_FEE_E6_FIELD_NUMBER: _ClassVar[int]
    maker_order_id: int
    maker: bytes
    taker: bytes
    instrument_id: int
    taker_side: int
    price_e6: int
    size_e6: int
    maker_fee_e6: int
    taker_fee_e6: int
    def __init__(self, maker_order_id: _Optional[int] = ..., maker: _Optional[bytes] = ..., taker: _Optional[bytes] = ..., instrument_id: _Optional[int] = ..., taker_side: _Optional[int] = ..., price_e6: _Optional[int] = ..., size_e6: _Optional[int] = ..., maker_fee_e6: _Optional[int] = ..., taker_fee_e6: _Optional[int] = ...) -> None: ...

class Cancelled(_message.Message):
    __slots__ = ("order_id", "code", "failure_name")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_NAME_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    code: int
    failure_name: str
    def __init__(self, order_id: _Optional[int] = ..., code: _Optional[int] = ..., failure_name: _Optional[str] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("tx_hash", "code", "failure_name", "detail", "order_id", "filled_e6", "rested_e6", "remainder_code", "remainder_name", "fills", "cancelled", "block_number")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_NAME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FILLED_E6_FIELD_NUMBER: _ClassVar[int]
    RESTED_E6_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_CODE_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_NAME_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    code: int
    failure_name: str
    detail: str
    order_id: int
    filled_e6: int
    rested_e6: int
    remainder_code: int
    remainder_name: str
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    cancelled: _containers.RepeatedCompositeFieldContainer[Cancelled]
    block_number: int
    def __init__(self, tx_hash: _Optional[bytes] = ..., code: _Optional[int] = ..., failure_name: _Optional[str] = ..., detail: _Optional[str] = ..., order_id: _Optional[int] = ..., filled_e6: _Optional[int] = ..., rested_e6: _Optional[int] = ..., remainder_code: _Optional[int] = ..., remainder_name: _Optional[str] = ..., fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., cancelled: _Optional[_Iterable[_Union[Cancelled, _Mapping]]] = ..., block_number: _Optional[int] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("status_code", "failure_code", "failure_name", "message")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_CODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    failure_code: int
    failure_name: str
    message: str
    def __init__(self, status_code: _Optional[int] = ..., failure_code: _Optional[int] = ..., failure_name: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
