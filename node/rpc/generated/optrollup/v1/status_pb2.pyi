from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("chain_id", "head_number", "head_time", "head_root", "mempool_depth", "uptime_s", "tx_per_s", "version", "durability", "data_dir", "halted", "halt_reason", "oracle_running", "market_maker_running", "metrics_url", "dev", "l1", "oracle", "oracle_stale")
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
    L1_FIELD_NUMBER: _ClassVar[int]
    ORACLE_FIELD_NUMBER: _ClassVar[int]
    ORACLE_STALE_FIELD_NUMBER: _ClassVar[int]
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
    l1: L1Status
    oracle: _containers.RepeatedCompositeFieldContainer[OracleFeed]
    oracle_stale: bool
    def __init__(self, chain_id: _Optional[int] = ..., head_number: _Optional[int] = ..., head_time: _Optional[int] = ..., head_root: _Optional[bytes] = ..., mempool_depth: _Optional[int] = ..., uptime_s: _Optional[float] = ..., tx_per_s: _Optional[float] = ..., version: _Optional[str] = ..., durability: _Optional[str] = ..., data_dir: _Optional[str] = ..., halted: _Optional[bool] = ..., halt_reason: _Optional[str] = ..., oracle_running: _Optional[bool] = ..., market_maker_running: _Optional[bool] = ..., metrics_url: _Optional[str] = ..., dev: _Optional[bool] = ..., l1: _Optional[_Union[L1Status, _Mapping]] = ..., oracle: _Optional[_Iterable[_Union[OracleFeed, _Mapping]]] = ..., oracle_stale: _Optional[bool] = ...) -> None: ...

class OracleFeed(_message.Message):
    __slots__ = ("underlying_id", "name", "index_e6", "oracle_time", "age_s", "stale")
    UNDERLYING_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_E6_FIELD_NUMBER: _ClassVar[int]
    ORACLE_TIME_FIELD_NUMBER: _ClassVar[int]
    AGE_S_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    underlying_id: int
    name: str
    index_e6: int
    oracle_time: int
    age_s: int
    stale: bool
    def __init__(self, underlying_id: _Optional[int] = ..., name: _Optional[str] = ..., index_e6: _Optional[int] = ..., oracle_time: _Optional[int] = ..., age_s: _Optional[int] = ..., stale: _Optional[bool] = ...) -> None: ...

class L1Status(_message.Message):
    __slots__ = ("role", "l1_url", "l1_block", "deposits", "forced", "batches", "roots", "last_batched_l2_block", "mismatches", "last_mismatch", "last_error", "stopped", "roots_final", "bonds_returned", "l1_txs_in_flight", "fee_bumps")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    L1_URL_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_FIELD_NUMBER: _ClassVar[int]
    DEPOSITS_FIELD_NUMBER: _ClassVar[int]
    FORCED_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    LAST_BATCHED_L2_BLOCK_FIELD_NUMBER: _ClassVar[int]
    MISMATCHES_FIELD_NUMBER: _ClassVar[int]
    LAST_MISMATCH_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    ROOTS_FINAL_FIELD_NUMBER: _ClassVar[int]
    BONDS_RETURNED_FIELD_NUMBER: _ClassVar[int]
    L1_TXS_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    FEE_BUMPS_FIELD_NUMBER: _ClassVar[int]
    role: str
    l1_url: str
    l1_block: int
    deposits: int
    forced: int
    batches: int
    roots: int
    last_batched_l2_block: int
    mismatches: int
    last_mismatch: str
    last_error: str
    stopped: bool
    roots_final: int
    bonds_returned: int
    l1_txs_in_flight: int
    fee_bumps: int
    def __init__(self, role: _Optional[str] = ..., l1_url: _Optional[str] = ..., l1_block: _Optional[int] = ..., deposits: _Optional[int] = ..., forced: _Optional[int] = ..., batches: _Optional[int] = ..., roots: _Optional[int] = ..., last_batched_l2_block: _Optional[int] = ..., mismatches: _Optional[int] = ..., last_mismatch: _Optional[str] = ..., last_error: _Optional[str] = ..., stopped: _Optional[bool] = ..., roots_final: _Optional[int] = ..., bonds_returned: _Optional[int] = ..., l1_txs_in_flight: _Optional[int] = ..., fee_bumps: _Optional[int] = ...) -> None: ...
