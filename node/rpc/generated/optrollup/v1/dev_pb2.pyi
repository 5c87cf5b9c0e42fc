from node.rpc.generated.optrollup.v1 import types_pb2 as _types_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FaucetRequest(_message.Message):
    __slots__ = ("address", "amount_e6")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_E6_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    amount_e6: int
    def __init__(self, address: _Optional[bytes] = ..., amount_e6: _Optional[int] = ...) -> None: ...

class FaucetResponse(_message.Message):
    __slots__ = ("tx_hash", "block_number", "deposit_index", "receipt")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_INDEX_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    block_number: int
    deposit_index: int
    receipt: _types_pb2.Receipt
    def __init__(self, tx_hash: _Optional[bytes] = ..., block_number: _Optional[int] = ..., deposit_index: _Optional[int] = ..., receipt: _Optional[_Union[_types_pb2.Receipt, _Mapping]] = ...) -> None: ...
