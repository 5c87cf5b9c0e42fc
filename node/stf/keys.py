"""State key layout: every record the STF reads or writes lives under one of these keys.

A key is a one-byte prefix followed by fixed-width big-endian fields. The trie path
of a key is ``keccak256(key)`` (a "secure" trie, as Ethereum's state trie), so proofs
stay short whatever the key's shape.

=======  ==========================================  ===========================
prefix   key fields                                  record (``records.py``)
=======  ==========================================  ===========================
0x00     (none)                                      Globals
0x01     address(20)                                 Account
0x03     (none)                                      Config (genesis parameters)
0x04     underlying_id(u32)                          Underlying (+ oracle state)
0x05     instrument_id(u32)                          Instrument (+ best bid/ask)
0x06     instrument_id(u32)                          Mark (per-instrument risk values)
0x07     underlying(u32)|expiry(u64)|strike(u64)|cp  SeriesIndex -> instrument id
0x08     instrument_id(u32) | side(u8) | rank(u64)   Level (price level, FIFO ends)
0x09     order_id(u64)                               Order
0x0A     address(20) | client_order_id(u64)          ClientOrderIndex -> order id
0x0B     withdrawal_index(u64)                       Withdrawal (claimable on L1)
0x0C     underlying_id(u32) | expiry(u64)            SettlementPrice (TWAP, final price)
0x0D     address(20)                                 Auction (liquidation in progress)
=======  ==========================================  ===========================

Levels are keyed by ``rank`` so that ascending key order is best-first on both
sides: asks rank = price, bids rank = 2**64 - 1 - price.
"""

from __future__ import annotations

from typing import Final

GLOBALS: Final = b"\x00"
CONFIG: Final = b"\x03"

P_ACCOUNT: Final = 0x01
P_UNDERLYING: Final = 0x04
P_INSTRUMENT: Final = 0x05
P_MARK: Final = 0x06
P_SERIES: Final = 0x07
P_LEVEL: Final = 0x08
P_ORDER: Final = 0x09
P_CLIENT_ORDER: Final = 0x0A
P_WITHDRAWAL: Final = 0x0B
P_SETTLEMENT: Final = 0x0C
P_AUCTION: Final = 0x0D

U64_MAX: Final = 2**64 - 1


def account(address: bytes) -> bytes:
    return b"\x01" + address


def underlying(underlying_id: int) -> bytes:
    return b"\x04" + underlying_id.to_bytes(4, "big")


def instrument(instrument_id: int) -> bytes:
    return b"\x05" + instrument_id.to_bytes(4, "big")


def mark(instrument_id: int) -> bytes:
    return b"\x06" + instrument_id.to_bytes(4, "big")


def series(underlying_id: int, expiry: int, strike_e6: int, is_call: bool) -> bytes:
    return (
        b"\x07"
        + underlying_id.to_bytes(4, "big")
        + expiry.to_bytes(8, "big")
        + strike_e6.to_bytes(8, "big")
        + (b"\x01" if is_call else b"\x00")
    )


def level_rank(side: int, price_e6: int) -> int:
    """Sort rank of a price level: smaller is better (asks: low price; bids: high price)."""
    return price_e6 if side == 1 else U64_MAX - price_e6


def level_prefix(instrument_id: int, side: int) -> bytes:
    return b"\x08" + instrument_id.to_bytes(4, "big") + bytes((side,))


def level(instrument_id: int, side: int, price_e6: int) -> bytes:
    return level_prefix(instrument_id, side) + level_rank(side, price_e6).to_bytes(8, "big")


def price_of_level_key(key: bytes) -> int:
    """Inverse of ``level``: the price a level key stands for."""
    side = key[5]
    rank = int.from_bytes(key[6:14], "big")
    return rank if side == 1 else U64_MAX - rank


def order(order_id: int) -> bytes:
    return b"\x09" + order_id.to_bytes(8, "big")


def client_order(address: bytes, client_order_id: int) -> bytes:
    return b"\x0a" + address + client_order_id.to_bytes(8, "big")


def withdrawal(index: int) -> bytes:
    return b"\x0b" + index.to_bytes(8, "big")


def settlement(underlying_id: int, expiry: int) -> bytes:
    return b"\x0c" + underlying_id.to_bytes(4, "big") + expiry.to_bytes(8, "big")


def auction(address: bytes) -> bytes:
    return b"\x0d" + address
