"""Typed state records and their canonical encoding.

Each record is a frozen dataclass; its canonical encoding is the RLP list of its fields
in declaration order. Unsigned integers are RLP scalars (big-endian, no leading zeros);
signed integers are encoded as their 256-bit two's complement (the EVM's int256), so
the L1 verifier reads them with one conversion; addresses are 20 bytes; lists are RLP
lists. ``decode_record(key, raw)`` picks the record type from the key's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Callable, Final, NamedTuple

import rlp
from rlp.codec import encode_raw

from node.stf import keys
from node.stf.eip712 import Domain
from node.stf.fixedpoint import WAD
from node.stf.scenarios import SCENARIO_WEIGHTS_PPM
from node.stf.vectors import pack
from node.stf.txtypes import VolPoint

_TWO_256: Final = 2**256
_INT256_MAX: Final = 2**255 - 1


def _u(value: int) -> bytes:
    """RLP scalar of a non-negative integer."""
    return value.to_bytes((value.bit_length() + 7) >> 3, "big")


def _s(value: int) -> bytes:
    """Scalar of a signed integer as int256 two's complement."""
    return _u(value if value >= 0 else value + _TWO_256)


def _int(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def _sint(raw: bytes) -> int:
    value = int.from_bytes(raw, "big")
    return value - _TWO_256 if value > _INT256_MAX else value


@dataclass(frozen=True, slots=True)
class Globals:
    """Chain-wide counters and pools. Amounts in collateral units (e6).

    ``next_deposit_index`` is the L1 queue index the next deposit must carry, and
    ``next_forced_index`` the forced-inclusion queue's position: the forced transactions
    before it are in the chain (derivation's ``deposits_through`` / ``forced_through``, in
    the state root so a fault proof starts from them).
    Settlement moves cash through a pool: shorts pay in, longs are paid out, each lazily
    (``settlement_paid_in_e6`` / ``settlement_paid_out_e6``).

    Socialised loss (``haircut.py``): ``loss_index`` (WAD at genesis, only falls) and
    ``scaled_positive_e6`` (the positive cash balances in index-one units, rounded down)
    place bad debt that neither the insurance fund nor the fee pool could cover on every
    positive balance; ``haircut_due_e6`` is the part placed but not yet taken from the
    balances (each is cut lazily, at its account's next write); ``unbacked_loss_e6`` is
    the part no positive balance could bear, repaid first by later fees.
    Conservation of collateral, over the stored balances::

        sum(balances) + fee pool + insurance fund + (paid in - paid out)
            - haircut due - unbacked loss == total deposited - total withdrawn
    """

    next_order_id: int = 1
    next_instrument_id: int = 1
    next_deposit_index: int = 0
    next_withdrawal_index: int = 0
    fee_pool_e6: int = 0
    insurance_fund_e6: int = 0
    total_deposited_e6: int = 0
    total_withdrawn_e6: int = 0
    last_block_number: int = 0
    last_block_time: int = 0
    settlement_paid_in_e6: int = 0
    settlement_paid_out_e6: int = 0
    unbacked_loss_e6: int = 0
    loss_index: int = WAD
    scaled_positive_e6: int = 0
    haircut_due_e6: int = 0
    next_forced_index: int = 0

    def encode(self) -> bytes:
        return encode_raw([_u(getattr(self, f)) for f in self.__slots__])

    def with_next_order_id(self, next_order_id: int) -> "Globals":
        return Globals(next_order_id, *_GLOBALS_FIELDS(self)[1:])

    def with_loss_totals(self, scaled_positive_e6: int, haircut_due_e6: int) -> "Globals":
        """A copy with new loss-index totals (``haircut.on_write``: once per balance write)."""
        fields = list(_GLOBALS_FIELDS(self))
        fields[_SCALED_POSITIVE] = scaled_positive_e6
        fields[_HAIRCUT_DUE] = haircut_due_e6
        return Globals(*fields)

    @classmethod
    def decode(cls, raw: bytes) -> "Globals":
        return cls(*(_int(x) for x in rlp.decode(raw)))


_GLOBALS_FIELDS: Final = attrgetter(*Globals.__slots__)
_SCALED_POSITIVE: Final = Globals.__slots__.index("scaled_positive_e6")
_HAIRCUT_DUE: Final = Globals.__slots__.index("haircut_due_e6")


@dataclass(frozen=True, slots=True)
class Config:
    """Genesis parameters, committed in the state so that every root depends on them.

    ``chain_id`` and ``verifying_contract`` (the 20-byte address of the deployment's L1
    portal) form the EIP-712 domain every signature is bound to (``domain``); the L1
    commits to them through the genesis state root.
    Fee rates are parts per million: ``taker_fee_ppm`` and ``maker_fee_ppm`` of the index
    price per contract, capped at ``fee_cap_ppm`` of the option price (Deribit's rule).
    ``rate_e6`` is the risk-free rate used for marks (e6 per year).
    """

    chain_id: int
    verifying_contract: bytes
    admin: bytes
    oracles: tuple[bytes, ...]
    taker_fee_ppm: int
    maker_fee_ppm: int
    fee_cap_ppm: int
    rate_e6: int

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain of this chain's transactions."""
        return Domain(self.chain_id, self.verifying_contract)

    def encode(self) -> bytes:
        return encode_raw(
            [
                _u(self.chain_id),
                self.verifying_contract,
                self.admin,
                list(self.oracles),
                _u(self.taker_fee_ppm),
                _u(self.maker_fee_ppm),
                _u(self.fee_cap_ppm),
                _u(self.rate_e6),
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Config":
        f = rlp.decode(raw)
        return cls(_int(f[0]), f[1], f[2], tuple(f[3]), _int(f[4]), _int(f[5]), _int(f[6]), _int(f[7]))


class OrderTotals(NamedTuple):
    """An account's resting orders on one series, summed per side (``orders.py`` keeps them).

    ``bid_size_e6`` / ``ask_size_e6``: total remaining size (contracts e6).
    ``bid_notional_e12`` / ``ask_notional_e12``: sum of ``price_e6 x remaining_e6`` over the
    side's orders, exact (no rounding), so removing an order subtracts exactly what adding
    it added. ``bid_max_e6``: the highest bid price the account has rested on the series
    since it last had no bid there (an upper bound of its bids' prices; reset to 0 when the
    side empties). ``ask_min_e6``: the lowest ask price likewise (0 when the side is empty).
    """

    instrument_id: int
    bid_size_e6: int = 0
    bid_notional_e12: int = 0
    bid_max_e6: int = 0
    ask_size_e6: int = 0
    ask_notional_e12: int = 0
    ask_min_e6: int = 0


@dataclass(frozen=True, slots=True)
class Account:
    """A trader's account.

    ``balance_e6``: cash in collateral units (int256 on the wire). Never negative, except
    transiently for an account under liquidation (``liquidation.py``), whose deficit the
    insurance fund covers once its last position is gone.
    ``nonce_floor`` / ``nonce_bitmap``: the replay window (see ``nonces.py``): bit ``i`` of
    the bitmap is set once nonce ``nonce_floor + i`` has been used.
    ``open_orders``: ids of resting orders, ascending (placement order); at most MAX_OPEN_ORDERS.
    ``positions``: ``(instrument_id, size_e6)`` sorted by instrument id, sizes signed
    (negative = short) and never zero; at most MAX_POSITIONS.
    ``loss_index``: ``Globals.loss_index`` when the balance was last written; a positive
    balance reads as ``floor(balance x index now / loss_index)`` (``haircut.py``).
    ``order_totals``: one ``OrderTotals`` per series with a resting order, sorted by
    instrument id, so a margin check never reads the orders themselves. Series with a
    position or a resting order: at most MAX_POSITIONS together.
    """

    balance_e6: int = 0
    nonce_floor: int = 0
    nonce_bitmap: int = 0
    open_orders: tuple[int, ...] = ()
    positions: tuple[tuple[int, int], ...] = ()
    loss_index: int = 0
    order_totals: tuple[OrderTotals, ...] = ()

    def encode(self) -> bytes:
        return encode_raw(
            [
                _s(self.balance_e6),
                _u(self.nonce_floor),
                _u(self.nonce_bitmap),
                [_u(o) for o in self.open_orders],
                [[_u(i), _s(s)] for i, s in self.positions],
                _u(self.loss_index),
                [[v.to_bytes((v.bit_length() + 7) >> 3, "big") for v in t] for t in self.order_totals],
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Account":
        f = rlp.decode(raw)
        return cls(
            _sint(f[0]),
            _int(f[1]),
            _int(f[2]),
            tuple(_int(o) for o in f[3]),
            tuple((_int(p[0]), _sint(p[1])) for p in f[4]),
            _int(f[5]),
            tuple(OrderTotals(*(_int(v) for v in t)) for t in f[6]),
        )

    def position(self, instrument_id: int) -> int:
        for inst, size in self.positions:
            if inst == instrument_id:
                return size
        return 0

    def with_balance(self, balance_e6: int) -> "Account":
        return Account(balance_e6, self.nonce_floor, self.nonce_bitmap, self.open_orders, self.positions,
                       self.loss_index, self.order_totals)

    def with_nonces(self, nonce_floor: int, nonce_bitmap: int) -> "Account":
        return Account(self.balance_e6, nonce_floor, nonce_bitmap, self.open_orders, self.positions,
                       self.loss_index, self.order_totals)

    def with_positions(self, positions: tuple[tuple[int, int], ...]) -> "Account":
        return Account(self.balance_e6, self.nonce_floor, self.nonce_bitmap, self.open_orders, positions,
                       self.loss_index, self.order_totals)

    def with_orders(self, open_orders: tuple[int, ...], order_totals: tuple[OrderTotals, ...]) -> "Account":
        return Account(self.balance_e6, self.nonce_floor, self.nonce_bitmap, open_orders, self.positions,
                       self.loss_index, order_totals)

    def at_loss_index(self, balance_e6: int, loss_index: int) -> "Account":
        """This account with ``balance_e6`` written at ``loss_index`` (``haircut.py``)."""
        return Account(balance_e6, self.nonce_floor, self.nonce_bitmap, self.open_orders, self.positions,
                       loss_index, self.order_totals)


@dataclass(frozen=True, slots=True)
class Underlying:
    """An underlying (ETH, BTC) and its latest oracle state.

    ``index_price_e6``: collateral units per one unit of underlying; 0 before the first update.
    ``oracle_time``: block time (s) of the latest update (the clock of marks and of the
    settlement TWAP). ``surface``: vol points by expiry.
    ``instruments``: ids of the series on this underlying still to be marked (at most
    MAX_INSTRUMENTS_PER_UNDERLYING), repriced on every oracle update; a series leaves the
    list once it is marked at its final settlement price.
    ``oracle_sequence`` / ``observation_time``: the signed sequence number and observation
    time (unix s) of the latest update (0 before the first); the next update must carry a
    larger sequence and an observation time no older (``oracle.check_sequencing``).
    """

    name: bytes
    index_price_e6: int = 0
    oracle_time: int = 0
    surface: tuple[VolPoint, ...] = ()
    instruments: tuple[int, ...] = ()
    oracle_sequence: int = 0
    observation_time: int = 0

    def encode(self) -> bytes:
        return encode_raw(
            [
                self.name,
                _u(self.index_price_e6),
                _u(self.oracle_time),
                [[_u(p.expiry), _u(p.atm_vol_e6), _s(p.skew_e6), _u(p.curvature_e6)] for p in self.surface],
                [_u(i) for i in self.instruments],
                _u(self.oracle_sequence),
                _u(self.observation_time),
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Underlying":
        f = rlp.decode(raw)
        return cls(
            f[0],
            _int(f[1]),
            _int(f[2]),
            tuple(VolPoint(_int(p[0]), _int(p[1]), _sint(p[2]), _int(p[3])) for p in f[3]),
            tuple(_int(i) for i in f[4]),
            _int(f[5]),
            _int(f[6]),
        )


@dataclass(frozen=True, slots=True)
class Instrument:
    """A European cash-settled option series and the top of its book.

    Prices and sizes e6. ``best_bid_e6`` / ``best_ask_e6`` are 0 when that side is empty.
    Expiry is a unix time, 08:00 UTC on the expiry date.
    """

    underlying_id: int
    expiry: int
    strike_e6: int
    is_call: bool
    tick_size_e6: int
    min_size_e6: int
    best_bid_e6: int = 0
    best_ask_e6: int = 0

    def encode(self) -> bytes:
        return encode_raw(
            [
                _u(self.underlying_id),
                _u(self.expiry),
                _u(self.strike_e6),
                _u(int(self.is_call)),
                _u(self.tick_size_e6),
                _u(self.min_size_e6),
                _u(self.best_bid_e6),
                _u(self.best_ask_e6),
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Instrument":
        f = [_int(x) for x in rlp.decode(raw)]
        return cls(f[0], f[1], f[2], bool(f[3]), f[4], f[5], f[6], f[7])

    def best(self, side: int) -> int:
        return self.best_bid_e6 if side == 0 else self.best_ask_e6

    def with_best(self, side: int, price_e6: int) -> "Instrument":
        bid, ask = (price_e6, self.best_ask_e6) if side == 0 else (self.best_bid_e6, price_e6)
        return Instrument(self.underlying_id, self.expiry, self.strike_e6, self.is_call,
                          self.tick_size_e6, self.min_size_e6, bid, ask)


@dataclass(frozen=True, slots=True)
class Mark:
    """Per-instrument risk values, recomputed on each oracle update.

    ``mark_e6``: Black-Scholes value of one contract (collateral units e6, rounded down).
    ``index_e6``: the index it used; ``vol_e6``: the smile vol it used; ``time``: when.
    ``scenario_pnl_e6``: P&L of one long contract under each portfolio-margin scenario
    (``scenarios.SCENARIOS``), e6, signed. ``delta``/``gamma``/``vega``/``theta``: per
    contract, WAD, signed (vega per 1.00 vol, theta per year; see ``optionmath.BSResult``).
    ``underlying_id`` and ``is_call`` are copied from the instrument so a margin check
    reads one record per position.

    ``weighted_loss`` is derived, not stored: ``-scenario_pnl_e6[k] x weight_ppm[k]`` (e6 x ppm,
    exact), the loss of one long contract that a margin check sums (``margin.py``);
    ``max_loss`` its largest entry in magnitude; ``packed(width)`` packs it (``vectors.py``).
    """

    mark_e6: int
    index_e6: int
    vol_e6: int
    time: int
    underlying_id: int
    is_call: bool
    scenario_pnl_e6: tuple[int, ...]
    delta: int
    gamma: int
    vega: int
    theta: int
    weighted_loss: tuple[int, ...] = field(init=False, repr=False, compare=False)
    max_loss: int = field(init=False, repr=False, compare=False)
    _packed: dict[int, tuple[int, int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weighted = tuple(-p * w for p, w in zip(self.scenario_pnl_e6, SCENARIO_WEIGHTS_PPM))
        object.__setattr__(self, "weighted_loss", weighted)
        object.__setattr__(self, "max_loss", max(map(abs, weighted), default=0))
        object.__setattr__(self, "_packed", {})

    def packed(self, width: int) -> tuple[int, int, int]:
        """``weighted_loss`` packed at ``width`` (``vectors.pack``): all of it, its positive
        entries (the others 0) and its negative entries (likewise). Cached per width."""
        found = self._packed.get(width)
        if found is None:
            losses = self.weighted_loss
            found = self._packed[width] = (
                pack(losses, width),
                pack([x if x > 0 else 0 for x in losses], width),
                pack([x if x < 0 else 0 for x in losses], width),
            )
        return found

    def encode(self) -> bytes:
        return encode_raw(
            [
                _u(self.mark_e6),
                _u(self.index_e6),
                _u(self.vol_e6),
                _u(self.time),
                _u(self.underlying_id),
                _u(int(self.is_call)),
                [_s(v) for v in self.scenario_pnl_e6],
                _s(self.delta),
                _s(self.gamma),
                _s(self.vega),
                _s(self.theta),
            ]
        )

    @classmethod
    def decode(cls, raw: bytes) -> "Mark":
        f = rlp.decode(raw)
        return cls(
            _int(f[0]), _int(f[1]), _int(f[2]), _int(f[3]), _int(f[4]), bool(_int(f[5])),
            tuple(_sint(v) for v in f[6]),
            _sint(f[7]), _sint(f[8]), _sint(f[9]), _sint(f[10]),
        )


@dataclass(frozen=True, slots=True)
class SeriesIndex:
    """Maps (underlying, expiry, strike, call/put) to its instrument id, so a series is listed once."""

    instrument_id: int

    def encode(self) -> bytes:
        return encode_raw(_u(self.instrument_id))

    @classmethod
    def decode(cls, raw: bytes) -> "SeriesIndex":
        return cls(_int(rlp.decode(raw)))


@dataclass(frozen=True, slots=True)
class Level:
    """One price level of one side of a book: a FIFO of orders and links to its neighbours.

    ``better_e6`` / ``worse_e6``: prices of the adjacent levels (0 = none), forming a sorted
    doubly linked list from the best price outwards. ``head_order_id`` is the oldest order
    (first to fill), ``tail_order_id`` the newest. ``total_size_e6`` is the sum of the
    remaining sizes of its orders.
    """

    better_e6: int
    worse_e6: int
    head_order_id: int
    tail_order_id: int
    total_size_e6: int

    def encode(self) -> bytes:
        return encode_raw([_u(getattr(self, f)) for f in self.__slots__])

    def with_neighbours(self, better_e6: int, worse_e6: int) -> "Level":
        return Level(better_e6, worse_e6, self.head_order_id, self.tail_order_id, self.total_size_e6)

    @classmethod
    def decode(cls, raw: bytes) -> "Level":
        return cls(*(_int(x) for x in rlp.decode(raw)))


@dataclass(frozen=True, slots=True)
class Order:
    """A resting limit order. Prices and sizes e6; times unix seconds.

    ``prev_id`` / ``next_id`` link it in its level's FIFO (0 = none): ``prev`` is older.
    """

    owner: bytes
    instrument_id: int
    side: int
    price_e6: int
    remaining_e6: int
    reduce_only: bool
    client_order_id: int
    expiry: int
    prev_id: int
    next_id: int

    def encode(self) -> bytes:
        return encode_raw(
            [
                self.owner,
                _u(self.instrument_id),
                _u(self.side),
                _u(self.price_e6),
                _u(self.remaining_e6),
                _u(int(self.reduce_only)),
                _u(self.client_order_id),
                _u(self.expiry),
                _u(self.prev_id),
                _u(self.next_id),
            ]
        )

    def with_links(self, prev_id: int, next_id: int) -> "Order":
        return Order(self.owner, self.instrument_id, self.side, self.price_e6, self.remaining_e6,
                     self.reduce_only, self.client_order_id, self.expiry, prev_id, next_id)

    def with_remaining(self, remaining_e6: int) -> "Order":
        return Order(self.owner, self.instrument_id, self.side, self.price_e6, remaining_e6,
                     self.reduce_only, self.client_order_id, self.expiry, self.prev_id, self.next_id)

    @classmethod
    def decode(cls, raw: bytes) -> "Order":
        f = rlp.decode(raw)
        v = [_int(x) for x in f[1:]]
        return cls(f[0], v[0], v[1], v[2], v[3], bool(v[4]), v[5], v[6], v[7], v[8])


@dataclass(frozen=True, slots=True)
class ClientOrderIndex:
    """Maps (owner, client order id) to the open order that carries it."""

    order_id: int

    def encode(self) -> bytes:
        return encode_raw(_u(self.order_id))

    @classmethod
    def decode(cls, raw: bytes) -> "ClientOrderIndex":
        return cls(_int(rlp.decode(raw)))


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal debited on L2, claimable on L1 by ``recipient`` once its root is final."""

    sender: bytes
    recipient: bytes
    amount_e6: int
    block_number: int

    def encode(self) -> bytes:
        return encode_raw([self.sender, self.recipient, _u(self.amount_e6), _u(self.block_number)])

    @classmethod
    def decode(cls, raw: bytes) -> "Withdrawal":
        f = rlp.decode(raw)
        return cls(f[0], f[1], _int(f[2]), _int(f[3]))


@dataclass(frozen=True, slots=True)
class SettlementPrice:
    """Settlement price of one underlying's expiry: a time-weighted average of the index.

    ``index_seconds``: sum of index_e6 x seconds over the window before expiry seen so far;
    ``seconds``: how many seconds of the window are covered; ``price_e6``: the final price
    (0 until fixed, by the first oracle update at or after expiry).
    """

    index_seconds: int = 0
    seconds: int = 0
    price_e6: int = 0

    def encode(self) -> bytes:
        return encode_raw([_u(self.index_seconds), _u(self.seconds), _u(self.price_e6)])

    @classmethod
    def decode(cls, raw: bytes) -> "SettlementPrice":
        return cls(*(_int(x) for x in rlp.decode(raw)))


@dataclass(frozen=True, slots=True)
class Auction:
    """A liquidation auction on an account: when it started (block time, seconds)."""

    start_time: int

    def encode(self) -> bytes:
        return encode_raw(_u(self.start_time))

    @classmethod
    def decode(cls, raw: bytes) -> "Auction":
        return cls(_int(rlp.decode(raw)))


_DECODERS: Final[dict[int, Callable[[bytes], object]]] = {
    0x00: Globals.decode,
    keys.P_ACCOUNT: Account.decode,
    0x03: Config.decode,
    keys.P_UNDERLYING: Underlying.decode,
    keys.P_INSTRUMENT: Instrument.decode,
    keys.P_MARK: Mark.decode,
    keys.P_SERIES: SeriesIndex.decode,
    keys.P_LEVEL: Level.decode,
    keys.P_ORDER: Order.decode,
    keys.P_CLIENT_ORDER: ClientOrderIndex.decode,
    keys.P_WITHDRAWAL: Withdrawal.decode,
    keys.P_SETTLEMENT: SettlementPrice.decode,
    keys.P_AUCTION: Auction.decode,
}


def decode_record(key: bytes, raw: bytes) -> object:
    """Decode the record stored under ``key`` (type chosen by the key's prefix byte)."""
    return _DECODERS[key[0]](raw)
