from node.rpc.generated.optrollup.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitRequest(_message.Message):
    __slots__ = ("raw_tx", "sequence")
    RAW_TX_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    raw_tx: bytes
    sequence: int
    def __init__(self, raw_tx: _Optional[bytes] = ..., sequence: _Optional[int] = ...) -> None: ...

class SubmitResponse(_message.Message):
    __slots__ = ("tx_hash", "block_number", "receipt")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    block_number: int
    receipt: _types_pb2.Receipt
    def __init__(self, tx_hash: _Optional[bytes] = ..., block_number: _Optional[int] = ..., receipt: _Optional[_Union[_types_pb2.Receipt, _Mapping]] = ...) -> None: ...

class SubmitAck(_message.Message):
    __slots__ = ("sequence", "tx_hash", "accepted", "block_number", "receipt", "error")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    tx_hash: bytes
    accepted: bool
    block_number: int
    receipt: _types_pb2.Receipt
    error: _types_pb2.Error
    def __init__(self, sequence: _Optional[int] = ..., tx_hash: _Optional[bytes] = ..., accepted: _Optional[bool] = ..., block_number: _Optional[int] = ..., receipt: _Optional[_Union[_types_pb2.Receipt, _Mapping]] = ..., error: _Optional[_Union[_types_pb2.Error, _Mapping]] = ...) -> None: ...

class SubmitBatch(_message.Message):
    __slots__ = ("raw_txs", "sequence")
    RAW_TXS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    raw_txs: _containers.RepeatedScalarFieldContainer[bytes]
    sequence: int
    def __init__(self, raw_txs: _Optional[_Iterable[bytes]] = ..., sequence: _Optional[int] = ...) -> None: ...

class TxResult(_message.Message):
    __slots__ = ("tx_hash", "accepted", "block_number", "receipt", "error")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    accepted: bool
    block_number: int
    receipt: _types_pb2.Receipt
    error: _types_pb2.Error
    def __init__(self, tx_hash: _Optional[bytes] = ..., accepted: _Optional[bool] = ..., block_number: _Optional[int] = ..., receipt: _Optional[_Union[_types_pb2.Receipt, _Mapping]] = ..., error: _Optional[_Union[_types_pb2.Error, _Mapping]] = ...) -> None: ...

class SubmitBatchAck(_message.Message):
    __slots__ = ("sequence", "results", "error")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    results: _containers.RepeatedCompositeFieldContainer[TxResult]
    error: _types_pb2.Error
    def __init__(self, sequence: _Optional[int] = ..., results: _Optional[_Iterable[_Union[TxResult, _Mapping]]] = ..., error: _Optional[_Union[_types_pb2.Error, _Mapping]] = ...) -> None: ...
