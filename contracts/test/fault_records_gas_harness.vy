# pragma version 0.4.3
"""
@title fault_records_gas_harness
@notice Gas of records.vy's codecs (tests/fault/test_records_vyper.py::test_gas_*): for a
        record's bytes, the gas `decode_X` and `encode_X` take inside one call (memory
        expansion included), and whether the re-encoding equals the input.
"""

from fault.lib import records

MAX_VALUE: constant(uint256) = records.MAX_VALUE


@external
@view
def gas_account(raw: Bytes[MAX_VALUE]) -> (uint256, uint256, bool):
    g0: uint256 = msg.gas
    rec: records.Account = records.decode_account(raw)
    g1: uint256 = msg.gas
    out: Bytes[MAX_VALUE] = records.encode_account(rec)
    return g0 - g1, g1 - msg.gas, out == raw


@external
@view
def gas_underlying(raw: Bytes[MAX_VALUE]) -> (uint256, uint256, bool):
    g0: uint256 = msg.gas
    rec: records.Underlying = records.decode_underlying(raw)
    g1: uint256 = msg.gas
    out: Bytes[MAX_VALUE] = records.encode_underlying(rec)
    return g0 - g1, g1 - msg.gas, out == raw


@external
@view
def gas_mark(raw: Bytes[MAX_VALUE]) -> (uint256, uint256, bool):
    g0: uint256 = msg.gas
    rec: records.Mark = records.decode_mark(raw)
    g1: uint256 = msg.gas
    out: Bytes[MAX_VALUE] = records.encode_mark(rec)
    return g0 - g1, g1 - msg.gas, out == raw


@external
@view
def gas_globals(raw: Bytes[MAX_VALUE]) -> (uint256, uint256, bool):
    g0: uint256 = msg.gas
    rec: records.Globals = records.decode_globals(raw)
    g1: uint256 = msg.gas
    out: Bytes[MAX_VALUE] = records.encode_globals(rec)
    return g0 - g1, g1 - msg.gas, out == raw


@external
@view
def gas_order(raw: Bytes[MAX_VALUE]) -> (uint256, uint256, bool):
    g0: uint256 = msg.gas
    rec: records.Order = records.decode_order(raw)
    g1: uint256 = msg.gas
    out: Bytes[MAX_VALUE] = records.encode_order(rec)
    return g0 - g1, g1 - msg.gas, out == raw
