# pragma version 0.4.3
"""
@title fault_records_small_harness
@notice Test entry points over contracts/fault/lib/records.vy (tests/fault/test_records_vyper.py):
        per record, `decode_X(raw) -> X`, `encode_X(rec) -> bytes`.
"""

from fault.lib import records

MAX_VALUE: constant(uint256) = records.MAX_VALUE


@external
@pure
def decode_globals(raw: Bytes[MAX_VALUE]) -> records.Globals:
    return records.decode_globals(raw)


@external
@pure
def encode_globals(rec: records.Globals) -> Bytes[MAX_VALUE]:
    return records.encode_globals(rec)


@external
@pure
def decode_config(raw: Bytes[MAX_VALUE]) -> records.Config:
    return records.decode_config(raw)


@external
@pure
def encode_config(rec: records.Config) -> Bytes[MAX_VALUE]:
    return records.encode_config(rec)


@external
@pure
def decode_instrument(raw: Bytes[MAX_VALUE]) -> records.Instrument:
    return records.decode_instrument(raw)


@external
@pure
def encode_instrument(rec: records.Instrument) -> Bytes[MAX_VALUE]:
    return records.encode_instrument(rec)


@external
@pure
def decode_series_index(raw: Bytes[MAX_VALUE]) -> records.SeriesIndex:
    return records.decode_series_index(raw)


@external
@pure
def encode_series_index(rec: records.SeriesIndex) -> Bytes[MAX_VALUE]:
    return records.encode_series_index(rec)


@external
@pure
def decode_level(raw: Bytes[MAX_VALUE]) -> records.Level:
    return records.decode_level(raw)


@external
@pure
def encode_level(rec: records.Level) -> Bytes[MAX_VALUE]:
    return records.encode_level(rec)


@external
@pure
def decode_order(raw: Bytes[MAX_VALUE]) -> records.Order:
    return records.decode_order(raw)


@external
@pure
def encode_order(rec: records.Order) -> Bytes[MAX_VALUE]:
    return records.encode_order(rec)


@external
@pure
def decode_client_order_index(raw: Bytes[MAX_VALUE]) -> records.ClientOrderIndex:
    return records.decode_client_order_index(raw)


@external
@pure
def encode_client_order_index(rec: records.ClientOrderIndex) -> Bytes[MAX_VALUE]:
    return records.encode_client_order_index(rec)


@external
@pure
def decode_withdrawal(raw: Bytes[MAX_VALUE]) -> records.Withdrawal:
    return records.decode_withdrawal(raw)


@external
@pure
def encode_withdrawal(rec: records.Withdrawal) -> Bytes[MAX_VALUE]:
    return records.encode_withdrawal(rec)


@external
@pure
def decode_settlement_price(raw: Bytes[MAX_VALUE]) -> records.SettlementPrice:
    return records.decode_settlement_price(raw)


@external
@pure
def encode_settlement_price(rec: records.SettlementPrice) -> Bytes[MAX_VALUE]:
    return records.encode_settlement_price(rec)


@external
@pure
def decode_auction(raw: Bytes[MAX_VALUE]) -> records.Auction:
    return records.decode_auction(raw)


@external
@pure
def encode_auction(rec: records.Auction) -> Bytes[MAX_VALUE]:
    return records.encode_auction(rec)
