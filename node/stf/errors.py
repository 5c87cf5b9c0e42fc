"""Failure codes carried by receipts, gRPC error details and the L1 verifier.

One enum with stable numbers grouped in ranges. Numbers are part of the protocol:
never renumber, only append.

- 0            success
- 100-199      envelope: decoding, signature, nonce, authorisation (103 is reserved)
- 200-299      orders and the book
- 300-399      collateral and margin
- 400-499      liquidation (risk-engine issue)
- 500-599      bridge: deposits and withdrawals
- 600-699      system transactions: oracle, listing, settlement
"""

from __future__ import annotations

from enum import IntEnum


class FailureCode(IntEnum):
    """Why a transaction failed. ``OK`` means it succeeded."""

    OK = 0

    # 100-199: envelope
    DECODE_ERROR = 100
    UNKNOWN_TX_TYPE = 101
    BAD_SIGNATURE = 102
    NONCE_ALREADY_USED = 104
    NONCE_OUT_OF_RANGE = 105
    UNAUTHORISED_SIGNER = 106
    TX_TOO_LARGE = 107
    FIELD_OUT_OF_RANGE = 108

    # 200-299: orders and the book
    UNKNOWN_INSTRUMENT = 200
    INSTRUMENT_EXPIRED = 201
    PRICE_OFF_TICK = 202
    PRICE_OUT_OF_RANGE = 203
    SIZE_BELOW_MINIMUM = 204
    SIZE_OFF_STEP = 205
    POST_ONLY_WOULD_CROSS = 206
    FOK_NOT_FILLABLE = 207
    REDUCE_ONLY_WOULD_INCREASE = 208
    ORDER_EXPIRED = 209
    TOO_MANY_OPEN_ORDERS = 210
    UNKNOWN_ORDER = 211
    NOT_ORDER_OWNER = 212
    DUPLICATE_CLIENT_ORDER_ID = 213
    BAD_TIME_IN_FORCE = 214
    BAD_SIDE = 215
    TOO_MANY_POSITIONS = 216
    NO_LIQUIDITY = 217
    MATCH_LIMIT_REACHED = 218
    SELF_TRADE = 219
    MAKER_CANCELLED_EXPIRED = 220
    REMOVAL_LIMIT_REACHED = 221

    # 300-399: collateral and margin
    INSUFFICIENT_MARGIN = 300
    INSUFFICIENT_BALANCE = 301
    NO_ORACLE_PRICE = 302
    MAKER_INSUFFICIENT_MARGIN = 304
    ORDERS_EXCEED_BALANCE = 305
    ORDERS_EXCEED_MARGIN = 306

    # 400-499: liquidation
    NOT_LIQUIDATABLE = 400
    SELF_LIQUIDATION = 401
    NOTHING_TO_LIQUIDATE = 402
    NO_MARGIN_RELEASED = 403

    # 500-599: bridge
    DEPOSIT_OUT_OF_ORDER = 500
    ZERO_AMOUNT = 501
    BAD_RECIPIENT = 502

    # 600-699: system transactions
    UNKNOWN_UNDERLYING = 600
    BAD_VOL_SURFACE = 601
    INSTRUMENT_EXISTS = 602
    BAD_INSTRUMENT = 603
    TOO_MANY_INSTRUMENTS = 604
    SETTLEMENT_NOT_READY = 605
    NOTHING_TO_SETTLE = 606
    ORACLE_SEQUENCE_NOT_INCREASING = 607
    ORACLE_TIME_IN_FUTURE = 608
    ORACLE_UPDATE_STALE = 609
    ORACLE_TIME_BEFORE_LAST = 610


class TxFailure(Exception):
    """Raised inside the STF to abort the current transaction with a failure code.

    The block loop catches it, rolls the transaction's writes back and writes a
    failure receipt. It never escapes ``apply_block``.
    """

    def __init__(self, code: FailureCode, detail: str = "") -> None:
        super().__init__(f"{code.name}: {detail}" if detail else code.name)
        self.code = code
        self.detail = detail
