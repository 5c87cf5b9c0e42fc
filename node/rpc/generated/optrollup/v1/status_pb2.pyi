from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("chain_id", "head_number", "head_time", "head_root", "mempool_depth", "uptime_s", "tx_per_s", "version", "durability", "data_dir", "halted", "halt_reason", "oracle_running", "market_maker_running", "metrics_url", "dev")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    HEAD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HEAD_TIME_FIELD_NUMBER: _ClassVar[int]
    HEAD_ROOT_FIELD_NUMBER: _ClassVar[int]
    MEMPOOL_DEPTH_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    TX_PER_S_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DURABILITY_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    HALTED_FIELD_NUMBER: _ClassVar[int]
    HALT_REASON_FIELD_NUMBER: _ClassVar[int]
    ORACLE_RUNNING_FIELD_NUMBER: _ClassVar[int]
    MARKET_MAKER_RUNNING_FIELD_NUMBER: _ClassVar[int]
    METRICS_URL_FIELD_NUMBER: _ClassVar[int]
    DEV_FIELD_NUMBER: _ClassVar[int]
    chain_id: int
    head_number: int
    head_time: int
    head_root: bytes
    mempool_depth: int
    uptime_s: float
    tx_per_s: float
    version: str
    durability: str
    data_dir: str
    halted: bool
    halt_reason: str
    oracle_running: bool
    market_maker_running: bool
    metrics_url: str
    dev: bool
    def __init__(self, chain_id: _Optional[int] = ..., head_number: _Optional[int] = ..., head_time: _Optional[int] = ..., head_root: _Optional[bytes] = ..., mempool_depth: _Optional[int] = ..., uptime_s: _Optional[float] = ..., tx_per_s: _Optional[float] = ..., version: _Optional[str] = ..., durability: _Optional[str] = ..., data_dir: _Optional[str] = ..., halted: _Optional[bool] = ..., halt_reason: _Optional[str] = ..., oracle_running: _Optional[bool] = ..., market_maker_running: _Optional[bool] = ..., metrics_url: _Optional[str] = ..., dev: _Optional[bool] = ...) -> None: ...
