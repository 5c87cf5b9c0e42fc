"""Transaction bodies: what a trader, the oracle, the admin or L1 asks the STF to do.

Every field is an integer or bytes with a stated unit. The wire encoding (typed
envelope + canonical RLP) and the EIP-712 signing hash live in ``tx_codec`` and
``eip712``; this module only says what the fields mean.

Units: ``*_e6`` are collateral units (6 decimals) or, for sizes, contracts x 1e6;
times are unix seconds; ``nonce`` is an unordered 64-bit nonce (see ``nonces``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Union


class TxType(IntEnum):
    """First byte of the envelope. 0x7E (deposit) is unsigned, like OP Stack deposits."""

    PLACE_ORDER = 0x01
    CANCEL_ORDER = 0x02
    CANCEL_ALL = 0x03
    WITHDRAW = 0x04
    ORACLE_UPDATE = 0x05
    LIST_INSTRUMENT = 0x06
    LIQUIDATE = 0x07
    SETTLE = 0x08
    DEPOSIT = 0x7E


class Side(IntEnum):
    BUY = 0
    SELL = 1


class TimeInForce(IntEnum):
    GTC = 0  # good till cancelled (or its own expiry): the remainder rests
    IOC = 1  # immediate or cancel: the remainder is cancelled
    FOK = 2  # fill or kill: all of it now, or nothing
    POST_ONLY = 3  # rest without taking: rejected if it would cross


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """A limit order. ``price_e6`` is collateral units per contract; ``size_e6`` contracts x 1e6.

    ``client_order_id`` (0 = none) must be unique among the sender's open orders.
    ``expiry`` (0 = none) is the last second at which the order may be placed or filled.
    """

    nonce: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    time_in_force: int
    reduce_only: bool
    client_order_id: int
    expiry: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel one open order, by ``order_id`` or (when ``order_id`` is 0) by ``client_order_id``."""

    nonce: int
    order_id: int
    client_order_id: int


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every open order of the sender on ``instrument_id``, or everywhere when it is 0."""

    nonce: int
    instrument_id: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Move ``amount_e6`` from the L2 balance to a pending withdrawal claimable on L1 by ``recipient``."""

    nonce: int
    amount_e6: int
    recipient: bytes  # 20-byte L1 address


@dataclass(frozen=True, slots=True)
class VolPoint:
    """One expiry of the volatility surface.

    Implied vol at strike K for this expiry, with m = (K - S) / S (linear moneyness, WAD):
    ``vol = atm_vol + skew * m + curvature * m^2``, floored at ``MIN_VOL``. All ``*_e6``
    are fractions x 1e6 (650_000 = 65%); ``skew_e6`` may be negative.
    """

    expiry: int
    atm_vol_e6: int
    skew_e6: int
    curvature_e6: int


@dataclass(frozen=True, slots=True)
class OracleUpdate:
    """Index price and vol surface for one underlying, signed by a genesis oracle key.

    ``sequence``: the oracle's counter for this underlying; each update applied must carry a
    larger one than the last (gaps allowed). ``observation_time``: when the oracle observed
    the index (unix seconds); it must be recent at the block's time and never older than the
    last applied update's (``oracle.check_sequencing``).
    """

    nonce: int
    underlying_id: int
    sequence: int
    observation_time: int
    index_price_e6: int
    surface: tuple[VolPoint, ...]


@dataclass(frozen=True, slots=True)
class ListInstrument:
    """List a European cash-settled option series; signed by the genesis admin key."""

    nonce: int
    underlying_id: int
    expiry: int
    strike_e6: int
    is_call: bool
    tick_size_e6: int
    min_size_e6: int


@dataclass(frozen=True, slots=True)
class Liquidate:
    """Take over up to ``size_e6`` contracts of ``account``'s position on ``instrument_id``.

    Open to any signer. The account must be below maintenance margin; the liquidator
    takes the position at the auction price and must meet its own initial margin after.
    ``size_e6`` 0 only starts the auction (cancelling the account's open orders).
    """

    nonce: int
    account: bytes  # 20-byte address of the account being liquidated
    instrument_id: int
    size_e6: int


@dataclass(frozen=True, slots=True)
class Settle:
    """Cash-settle ``account``'s position on an expired ``instrument_id`` at its settlement price.

    Open to any signer (keepers settle accounts one series at a time, so a series with
    many holders never needs one giant transaction).
    """

    nonce: int
    account: bytes  # 20-byte address
    instrument_id: int


@dataclass(frozen=True, slots=True)
class Deposit:
    """System transaction from L1: credit ``amount_e6`` to ``recipient``.

    ``deposit_index`` is the L1 portal's queue index; deposits apply strictly in order.
    Unsigned: only derivation (from L1 events) may put it in a block.
    """

    deposit_index: int
    recipient: bytes  # 20-byte address
    amount_e6: int


TxBody = Union[
    PlaceOrder, CancelOrder, CancelAll, Withdraw, OracleUpdate, ListInstrument, Liquidate, Settle, Deposit
]


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A decoded transaction: its body, signature and the envelope bytes it came from.

    ``sender`` is the recovered signer (20 bytes), or ``None`` for deposits.
    ``tx_hash`` is keccak-256 of the raw envelope.
    """

    body: TxBody
    raw: bytes
    tx_hash: bytes
    sender: bytes | None
