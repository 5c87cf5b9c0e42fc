# pragma version 0.4.3
"""
@title errors
@notice Failure codes of receipts: twin of node/stf/errors.py::FailureCode (same names,
        same numbers; tests/fault/test_tx_vyper.py checks every one).
"""

OK: constant(uint256) = 0
DECODE_ERROR: constant(uint256) = 100
UNKNOWN_TX_TYPE: constant(uint256) = 101
BAD_SIGNATURE: constant(uint256) = 102
NONCE_ALREADY_USED: constant(uint256) = 104
NONCE_OUT_OF_RANGE: constant(uint256) = 105
UNAUTHORISED_SIGNER: constant(uint256) = 106
TX_TOO_LARGE: constant(uint256) = 107
FIELD_OUT_OF_RANGE: constant(uint256) = 108
UNKNOWN_INSTRUMENT: constant(uint256) = 200
INSTRUMENT_EXPIRED: constant(uint256) = 201
PRICE_OFF_TICK: constant(uint256) = 202
PRICE_OUT_OF_RANGE: constant(uint256) = 203
SIZE_BELOW_MINIMUM: constant(uint256) = 204
SIZE_OFF_STEP: constant(uint256) = 205
POST_ONLY_WOULD_CROSS: constant(uint256) = 206
FOK_NOT_FILLABLE: constant(uint256) = 207
REDUCE_ONLY_WOULD_INCREASE: constant(uint256) = 208
ORDER_EXPIRED: constant(uint256) = 209
TOO_MANY_OPEN_ORDERS: constant(uint256) = 210
UNKNOWN_ORDER: constant(uint256) = 211
NOT_ORDER_OWNER: constant(uint256) = 212
DUPLICATE_CLIENT_ORDER_ID: constant(uint256) = 213
BAD_TIME_IN_FORCE: constant(uint256) = 214
BAD_SIDE: constant(uint256) = 215
TOO_MANY_POSITIONS: constant(uint256) = 216
NO_LIQUIDITY: constant(uint256) = 217
MATCH_LIMIT_REACHED: constant(uint256) = 218
SELF_TRADE: constant(uint256) = 219
MAKER_CANCELLED_EXPIRED: constant(uint256) = 220
REMOVAL_LIMIT_REACHED: constant(uint256) = 221
INSUFFICIENT_MARGIN: constant(uint256) = 300
INSUFFICIENT_BALANCE: constant(uint256) = 301
NO_ORACLE_PRICE: constant(uint256) = 302
MAKER_INSUFFICIENT_MARGIN: constant(uint256) = 304
ORDERS_EXCEED_BALANCE: constant(uint256) = 305
ORDERS_EXCEED_MARGIN: constant(uint256) = 306
NOT_LIQUIDATABLE: constant(uint256) = 400
SELF_LIQUIDATION: constant(uint256) = 401
NOTHING_TO_LIQUIDATE: constant(uint256) = 402
NO_MARGIN_RELEASED: constant(uint256) = 403
DEPOSIT_OUT_OF_ORDER: constant(uint256) = 500
ZERO_AMOUNT: constant(uint256) = 501
BAD_RECIPIENT: constant(uint256) = 502
UNKNOWN_UNDERLYING: constant(uint256) = 600
BAD_VOL_SURFACE: constant(uint256) = 601
INSTRUMENT_EXISTS: constant(uint256) = 602
BAD_INSTRUMENT: constant(uint256) = 603
TOO_MANY_INSTRUMENTS: constant(uint256) = 604
SETTLEMENT_NOT_READY: constant(uint256) = 605
NOTHING_TO_SETTLE: constant(uint256) = 606
ORACLE_SEQUENCE_NOT_INCREASING: constant(uint256) = 607
ORACLE_TIME_IN_FUTURE: constant(uint256) = 608
ORACLE_UPDATE_STALE: constant(uint256) = 609
ORACLE_TIME_BEFORE_LAST: constant(uint256) = 610
