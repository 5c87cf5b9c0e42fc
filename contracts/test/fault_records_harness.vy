# pragma version 0.4.3
"""
@title fault_records_harness
@notice Test entry points over contracts/fault/lib/records.vy (tests/fault/test_records_vyper.py):
        per record, `decode_X(raw) -> X`, `encode_X(rec) -> bytes`.
"""

from fault.lib import records

MAX_VALUE: constant(uint256) = records.MAX_VALUE


@external
@pure
def decode_account(raw: Bytes[MAX_VALUE]) -> records.Account:
    return records.decode_account(raw)


@external
@pure
def encode_account(rec: records.Account) -> Bytes[MAX_VALUE]:
    return records.encode_account(rec)


@external
@pure
def decode_underlying(raw: Bytes[MAX_VALUE]) -> records.Underlying:
    return records.decode_underlying(raw)


@external
@pure
def encode_underlying(rec: records.Underlying) -> Bytes[MAX_VALUE]:
    return records.encode_underlying(rec)


@external
@pure
def decode_mark(raw: Bytes[MAX_VALUE]) -> records.Mark:
    return records.decode_mark(raw)


@external
@pure
def encode_mark(rec: records.Mark) -> Bytes[MAX_VALUE]:
    return records.encode_mark(rec)


@external
@pure
def weighted_loss(m: records.Mark) -> (DynArray[int256, records.N_SCENARIOS], uint256):
    return records.weighted_loss(m), records.max_loss(m)
