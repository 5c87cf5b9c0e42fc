"""A small typed Python client for an optrollup node: ``Client(target, key=None, domain=None)``.

    from node.client import Client
    with Client("127.0.0.1:50051", key=private_key) as c:
        receipt = c.place_order("ETH-25DEC26-3000-C", "buy", "1.5", "123.4")
        print(receipt.order_id, c.account().balance_e6)

A synchronous wrapper over the generated gRPC stubs (``node.rpc.generated``): it signs
transactions with ``node.wallet.sign_tx`` for the chain's EIP-712 domain (its chain id and
L1 portal address, asked with ``Query.GetChainInfo`` unless given), picks nonces, resolves instruments by id or by
Deribit-style name, and turns answers into small frozen dataclasses.

**Units.** Every returned amount stays the STF's integer: ``*_e6`` are collateral units x 1e6
(prices per contract) or, for sizes, contracts x 1e6 (signed: negative = short); ``*_wad``
Greeks are x 1e18 (see ``Query.GetRisk`` in ``query.proto``); times are unix seconds;
addresses (20 bytes) and hashes (32 bytes) are ``Hex``: ``bytes`` that print as ``0x`` hex. ``format_e6`` / ``from_e6`` / ``from_wad`` give exact decimals for
display. Inputs (sizes, prices, amounts) are ``Decimal``, ``str`` or ``int`` in contracts or
collateral units and are converted exactly by ``to_e6``: more than 6 decimals is refused
(``BadInput``), and floats are refused (they are not exact).

**Nonces.** The first transaction reads the account's replay window (``nonce_floor`` and
``nonce_bitmap`` from ``GetAccount``) and takes the lowest unused nonce at or above the floor;
later ones count up, skipping nonces the window marks used. Taking a nonce is thread-safe, so
several threads may submit at once. If the node refuses a nonce as used or out of range
(another client shares the key), the client re-reads the window and retries with a fresh nonce
(at most ``NONCE_RETRIES`` times): such a transaction was never applied.

**Errors.** Every error this module raises is a ``ClientError``. Local input problems raise
``BadInput`` (a ``ValueError``: a malformed amount, an unknown series name). A call the node refuses
raises a ``NodeError`` carrying the gRPC ``status``, the STF's ``failure_code`` /
``failure_name`` (when it is the STF's refusal), the ``message`` and, for an included
transaction that failed, its ``receipt``: ``TxFailed`` (FAILED_PRECONDITION), ``InvalidRequest``
(INVALID_ARGUMENT), ``NotFound``, ``RateLimited`` (RESOURCE_EXHAUSTED), ``NodeUnavailable``
(the node cannot be reached, or timed out).

**Streams.** ``watch_account``, ``watch_book`` and ``watch_blocks`` subscribe to the node's
``Stream`` service (``stream.proto``) and return a ``Watch``: an iterator of dataclasses
(``AccountFill`` / ``OrderUpdate``, ``BookView``, ``BlockHeader``) that runs until the caller
stops. The call starts at once (so events from the next block on are caught even before the
first ``next``) and has no deadline. ``close()`` (or ``with``, or ``break``ing out of a ``for``
loop over a temporary) cancels it; a ``Watch`` closed from another thread ends its blocked
``next`` with ``StopIteration``. Ctrl-C (``KeyboardInterrupt``) while waiting for the next
event closes the watch and ends the loop quietly (``StopIteration``; the ``for`` loop is
left as by a ``break``). A stream the node ends raises the typed ``NodeError``
(``RateLimited`` for a subscriber too slow, ``NodeUnavailable`` when the node stops);
``watch_book`` keeps the aggregated book locally (``LocalBook``) and raises ``StreamGap`` if a
sequence number is skipped (resubscribe for a fresh snapshot).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Final, Generic, Iterable, Iterator, TypeVar, Union

import grpc

from node.rpc.generated.optrollup.v1 import (
    dev_pb2,
    dev_pb2_grpc,
    query_pb2,
    query_pb2_grpc,
    stream_pb2,
    stream_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
    types_pb2,
)
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.nonces import NONCE_LIMIT, WINDOW
from node.stf.txtypes import CancelAll, CancelOrder, PlaceOrder, Side, TimeInForce, TxBody, VolPoint, Withdraw
from node.wallet import address_of, sign_tx

E6: Final = 10**6
WAD: Final = 10**18
DECIMALS: Final = 6
DEFAULT_TIMEOUT_S: Final = 10.0
SUBMIT_TIMEOUT_S: Final = 30.0
NONCE_RETRIES: Final = 8
_NONCE_CODES: Final = (FailureCode.NONCE_ALREADY_USED, FailureCode.NONCE_OUT_OF_RANGE)
_TIF_NAMES: Final = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK,
                     "post_only": TimeInForce.POST_ONLY, "post-only": TimeInForce.POST_ONLY}


# ---------------------------------------------------------------------------------------
# Errors


class ClientError(Exception):
    """Base of every error this module raises on purpose."""


class BadInput(ClientError, ValueError):
    """An argument that cannot be sent: a malformed amount, an unknown instrument name, ..."""


class NodeError(ClientError):
    """The node refused a call. ``failure_code`` is the STF's code (None when the refusal is not
    the STF's, e.g. a rate limit); ``receipt`` is set for an included transaction that failed."""

    def __init__(self, status: grpc.StatusCode, message: str, failure_code: FailureCode | None = None,
                 failure_name: str = "", tx_hash: bytes = b"", receipt: "Receipt | None" = None) -> None:
        self.status = status
        self.message = message
        self.failure_code = failure_code
        self.failure_name = failure_name or ("" if failure_code is None else failure_code.name)
        self.tx_hash = tx_hash
        self.receipt = receipt
        super().__init__(f"{self.failure_name}: {message}" if self.failure_name else message)


class TxFailed(NodeError):
    """FAILED_PRECONDITION: a valid transaction the state refused (at the door or by receipt)."""


class InvalidRequest(NodeError):
    """INVALID_ARGUMENT: bytes or fields that can never be valid."""


class NotFound(NodeError):
    """NOT_FOUND: no such receipt, instrument or block."""


class RateLimited(NodeError):
    """RESOURCE_EXHAUSTED: the per-client rate limit, a full mempool or a too large message."""


class NodeUnavailable(NodeError):
    """The node cannot be reached (UNAVAILABLE), did not answer in time, or is stopping."""


class StreamGap(ClientError):
    """A stream skipped a message (``received`` is not ``expected``), or a book stream did not
    start with its snapshot: the local copy cannot be trusted; resubscribe."""

    def __init__(self, expected: int, received: int, message: str = "") -> None:
        self.expected = expected
        self.received = received
        super().__init__(message or f"stream gap: expected message {expected}, received {received}")


_ERROR_TYPES: Final = {
    grpc.StatusCode.FAILED_PRECONDITION: TxFailed,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequest,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimited,
    grpc.StatusCode.UNAVAILABLE: NodeUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: NodeUnavailable,
}


def _node_error(error: grpc.RpcError, target: str) -> NodeError:
    status = error.code()
    meta = dict(error.trailing_metadata() or ())
    code = None
    if "failure-code" in meta:
        try:
            code = FailureCode(int(meta["failure-code"]))
        except ValueError:
            code = None
    receipt = _receipt(types_pb2.Receipt.FromString(meta["receipt-bin"])) if "receipt-bin" in meta else None
    message = error.details() or status.name
    if status == grpc.StatusCode.UNAVAILABLE and "read replica" in message:
        message = f"the node at {target} is not the sequencer: {message}"
    elif status == grpc.StatusCode.UNAVAILABLE and code is None:
        message = f"cannot reach the node at {target} ({message})"
    elif status == grpc.StatusCode.DEADLINE_EXCEEDED:
        message = f"the node at {target} did not answer in time"
    elif status == grpc.StatusCode.UNIMPLEMENTED:
        message = f"the node at {target} does not serve this call ({message})"
    return _ERROR_TYPES.get(status, NodeError)(status, message, code, meta.get("failure-name", ""),
                                              meta.get("tx-hash-bin", b""), receipt)


# ---------------------------------------------------------------------------------------
# Units


def to_e6(value: Decimal | str | int, what: str = "amount") -> int:
    """``value`` (contracts or collateral units) x 1e6, exactly; ``BadInput`` if more than 6 decimals."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int)):
        raise BadInput(f"{what}: give a Decimal, str or int, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise BadInput(f"{what}: not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise BadInput(f"{what}: not a finite number: {value!r}")
    scaled = number.scaleb(DECIMALS)
    if scaled != scaled.to_integral_value():
        raise BadInput(f"{what}: more than {DECIMALS} decimal places: {value}")
    return int(scaled)


def from_e6(value_e6: int) -> Decimal:
    """The exact decimal of an ``*_e6`` integer."""
    return Decimal(value_e6).scaleb(-DECIMALS)


def from_wad(value_wad: int) -> Decimal:
    """The exact decimal of a ``WAD`` integer (x 1e18)."""
    return Decimal(value_wad).scaleb(-18)


def format_e6(value_e6: int, min_places: int = 0) -> str:
    """Exact decimal text of an ``*_e6`` integer, trailing zeros trimmed to ``min_places``
    (``format_e6(1_500_000) == "1.5"``, ``format_e6(123_450_000, 2) == "123.45"``)."""
    sign = "-" if value_e6 < 0 else ""
    whole, frac = divmod(abs(value_e6), E6)
    digits = f"{frac:06d}".rstrip("0").ljust(min_places, "0")
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def format_wad(value_wad: int, places: int = 4) -> str:
    """A ``WAD`` value rounded (half-even) to ``places`` decimals, for display only."""
    return str(from_wad(value_wad).quantize(Decimal(1).scaleb(-places)))


def parse_address(value: bytes | str) -> bytes:
    """A 20-byte address from bytes or ``0x`` hex text."""
    if isinstance(value, bytes):
        raw = bytes(value)  # plain bytes (a ``Hex`` is one too)
    else:
        text = str(value).strip()
        try:
            raw = bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)
        except ValueError:
            raise BadInput(f"not a hex address: {value!r}") from None
    if len(raw) != 20:
        raise BadInput(f"an address is 20 bytes: {value!r}")
    return raw


def parse_side(side: str | int) -> Side:
    if isinstance(side, str):
        try:
            return Side[side.strip().upper()]
        except KeyError:
            raise BadInput(f"side: buy or sell, not {side!r}") from None
    if side in (0, 1) and not isinstance(side, bool):
        return Side(side)
    raise BadInput(f"side: buy or sell, not {side!r}")


def parse_tif(tif: str | int) -> TimeInForce:
    if isinstance(tif, str):
        try:
            return _TIF_NAMES[tif.strip().lower()]
        except KeyError:
            raise BadInput(f"time in force: gtc, ioc, fok or post_only, not {tif!r}") from None
    if tif in (0, 1, 2, 3) and not isinstance(tif, bool):
        return TimeInForce(tif)
    raise BadInput(f"time in force: gtc, ioc, fok or post_only, not {tif!r}")


# ---------------------------------------------------------------------------------------
# Results (units in the module docstring)


T = TypeVar("T")


class Hex(bytes):
    """Bytes (an address, a hash) that print as ``0x`` hex; equal to the same plain bytes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "0x" + self.hex()

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class ChainInfo:
    """The chain's head and the EIP-712 domain its transactions are signed for."""

    chain_id: int
    block_number: int
    block_time: int
    verifying_contract: bytes  # the deployment's L1 portal (20 bytes)

    @property
    def domain(self) -> Domain:
        return Domain(self.chain_id, bytes(self.verifying_contract))


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade: ``price_e6`` per contract, ``size_e6`` contracts, fees in collateral units e6."""

    maker_order_id: int
    maker: bytes
    taker: bytes
    instrument_id: int
    taker_side: int
    price_e6: int
    size_e6: int
    maker_fee_e6: int
    taker_fee_e6: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    order_id: int
    code: int
    failure_name: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of an included transaction (``types.proto`` Receipt); ``ok`` when code is 0."""

    tx_hash: bytes
    block_number: int
    code: int
    failure_name: str
    detail: str
    order_id: int
    filled_e6: int
    rested_e6: int
    remainder_code: int
    remainder_name: str
    fills: tuple[Fill, ...]
    cancelled: tuple[Cancelled, ...]

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True, slots=True)
class Margin:
    """``margin.summarise``: collateral units e6; ``available_e6`` = equity - initial."""

    cash_e6: int
    value_e6: int
    equity_e6: int
    maintenance_e6: int
    initial_e6: int
    available_e6: int
    complete: bool


@dataclass(frozen=True, slots=True)
class AccountInfo:
    address: bytes
    balance_e6: int
    margin: Margin
    nonce_floor: int
    open_orders: int
    positions: int
    block_number: int


@dataclass(frozen=True, slots=True)
class Position:
    instrument_id: int
    name: str
    size_e6: int  # contracts e6, negative = short
    mark_e6: int  # collateral units e6 per contract, 0 = no mark yet
    value_e6: int


@dataclass(frozen=True, slots=True)
class OpenOrder:
    order_id: int
    instrument_id: int
    name: str
    side: int
    price_e6: int
    remaining_e6: int
    reduce_only: bool
    client_order_id: int
    expiry: int


@dataclass(frozen=True, slots=True)
class Instrument:
    instrument_id: int
    name: str
    underlying: str
    underlying_id: int
    expiry: int
    strike_e6: int
    is_call: bool
    tick_size_e6: int
    min_size_e6: int
    mark_e6: int
    best_bid_e6: int
    best_ask_e6: int


@dataclass(frozen=True, slots=True)
class UnderlyingInfo:
    """An underlying's oracle state in the head block (``Query.ListUnderlyings``)."""

    underlying_id: int
    name: str
    index_e6: int
    oracle_time: int
    oracle_sequence: int
    observation_time: int
    surface: tuple[VolPoint, ...]
    series: int


@dataclass(frozen=True, slots=True)
class BookLevel:
    price_e6: int
    size_e6: int
    order_count: int


@dataclass(frozen=True, slots=True)
class Book:
    instrument_id: int
    name: str
    bids: tuple[BookLevel, ...]  # best (highest) first
    asks: tuple[BookLevel, ...]  # best (lowest) first
    block_number: int


@dataclass(frozen=True, slots=True)
class UnderlyingRisk:
    """One underlying: Greeks (WAD; units in ``query.proto``) and its part of the margin (e6)."""

    underlying_id: int
    underlying: str
    index_e6: int
    delta_wad: int
    gamma_wad: int
    vega_wad: int
    theta_wad: int
    worst_loss_e6: int
    addon_e6: int
    maintenance_e6: int
    worst_scenario: str


@dataclass(frozen=True, slots=True)
class Risk:
    address: bytes
    margin: Margin
    underlyings: tuple[UnderlyingRisk, ...]
    delta_wad: int
    gamma_wad: int
    vega_wad: int
    theta_wad: int
    complete: bool
    block_number: int


@dataclass(frozen=True, slots=True)
class Trade:
    """``Client.trades``: one fill on a series (``query.proto`` Trade); ``position`` pages."""

    price_e6: int
    size_e6: int
    taker_side: int
    block_number: int
    tx_hash: bytes
    timestamp: int
    position: int


@dataclass(frozen=True, slots=True)
class HistoryFill:
    """A fill from the account's side (``query.proto`` AccountTrade)."""

    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    fee_e6: int
    liquidity: str
    order_id: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """``Client.history``: one transaction as the account sees it (``query.proto`` HistoryEntry)."""

    position: int
    block_number: int
    timestamp: int
    tx_hash: bytes
    kind: str
    own: bool
    code: int
    failure_name: str
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    filled_e6: int
    rested_e6: int
    amount_e6: int
    fills: tuple[HistoryFill, ...]
    remainder_name: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paged list, newest first; ``next_before`` is the next page's ``before`` (0: none)."""

    items: tuple[T, ...]
    next_before: int
    block_number: int


@dataclass(frozen=True, slots=True)
class PositionPnl:
    """``Client.pnl``: a series' position from the fills with its P&L (``node.pnl``, collateral units e6)."""

    instrument_id: int
    name: str
    size_e6: int
    avg_entry_e6: int
    mark_e6: int
    realised_e6: int
    unrealised_e6: int
    fees_e6: int


@dataclass(frozen=True, slots=True)
class Pnl:
    """Every series the account traded (open or closed) and the totals; ``complete``: the fills
    add up to the node's positions (see ``node.pnl``)."""

    address: bytes
    series: tuple[PositionPnl, ...]
    realised_e6: int
    unrealised_e6: int
    fees_e6: int
    complete: bool
    block_number: int


LIQUIDITY_NAMES: Final = {stream_pb2.LIQUIDITY_MAKER: "maker", stream_pb2.LIQUIDITY_TAKER: "taker",
                          stream_pb2.LIQUIDITY_LIQUIDATED: "liquidated", stream_pb2.LIQUIDITY_LIQUIDATOR: "liquidator"}
ORDER_STATUS_NAMES: Final = {
    stream_pb2.ORDER_STATUS_RESTING: "resting",
    stream_pb2.ORDER_STATUS_PARTIALLY_FILLED: "partially_filled",
    stream_pb2.ORDER_STATUS_FILLED: "filled",
    stream_pb2.ORDER_STATUS_CANCELLED: "cancelled",
    stream_pb2.ORDER_STATUS_REJECTED: "rejected",
}


@dataclass(frozen=True, slots=True)
class AccountFill:
    """``watch_account``: one trade of the account (``stream.proto`` AccountFill). ``side`` is the
    account's (0 buy, 1 sell), ``fee_e6`` what the account paid, ``liquidity`` ``"maker"``,
    ``"taker"``, or for a liquidation ``"liquidated"`` (the fee is the penalty) or
    ``"liquidator"``; ``order_id`` the account's order (0 in a liquidation)."""

    sequence: int
    block_number: int
    timestamp: int
    tx_hash: bytes
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    size_e6: int
    fee_e6: int
    liquidity: str
    counterparty: bytes
    maker_order_id: int


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """``watch_account``: a change of one of the account's orders (``stream.proto`` OrderUpdate).
    ``status``: ``resting``, ``partially_filled``, ``filled``, ``cancelled`` or ``rejected``;
    ``filled_e6`` filled by this event, ``remaining_e6`` still resting (for ``cancelled``, the size
    removed); ``reason_code`` / ``reason_name`` why it was cancelled or rejected."""

    sequence: int
    block_number: int
    timestamp: int
    tx_hash: bytes
    order_id: int
    instrument_id: int
    side: int
    price_e6: int
    status: str
    filled_e6: int
    remaining_e6: int
    reason_code: int
    reason_name: str


AccountEvent = Union[AccountFill, OrderUpdate]


@dataclass(frozen=True, slots=True)
class BookView:
    """``watch_book``: the aggregated book after message ``sequence`` (1 = the snapshot), as of
    ``block_number``; the same as ``Client.book(instrument, depth)`` at that block."""

    instrument_id: int
    name: str
    bids: tuple[BookLevel, ...]  # best (highest) first
    asks: tuple[BookLevel, ...]  # best (lowest) first
    block_number: int
    sequence: int
    snapshot: bool  # this message was the snapshot (else a delta)


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """``watch_blocks``: a new block's header."""

    sequence: int
    number: int
    timestamp: int
    state_root: bytes
    receipts_hash: bytes
    tx_count: int


def _receipt(pb: types_pb2.Receipt) -> Receipt:
    return Receipt(
        Hex(pb.tx_hash), pb.block_number, pb.code, pb.failure_name, pb.detail, pb.order_id, pb.filled_e6, pb.rested_e6,
        pb.remainder_code, pb.remainder_name,
        tuple(Fill(f.maker_order_id, Hex(f.maker), Hex(f.taker), f.instrument_id, f.taker_side, f.price_e6, f.size_e6,
                   f.maker_fee_e6, f.taker_fee_e6) for f in pb.fills),
        tuple(Cancelled(c.order_id, c.code, c.failure_name) for c in pb.cancelled),
    )


def _margin(pb) -> Margin:
    return Margin(pb.cash_e6, pb.value_e6, pb.equity_e6, pb.maintenance_e6, pb.initial_e6, pb.available_e6,
                  pb.complete)


def _instrument(pb) -> Instrument:
    return Instrument(pb.instrument_id, pb.name, pb.underlying, pb.underlying_id, pb.expiry, pb.strike_e6,
                      pb.is_call, pb.tick_size_e6, pb.min_size_e6, pb.mark_e6, pb.best_bid_e6, pb.best_ask_e6)


def _history_entry(e) -> HistoryEntry:
    return HistoryEntry(e.position, e.block_number, e.timestamp, Hex(e.tx_hash), e.kind, e.own, e.code,
                        e.failure_name, e.order_id, e.instrument_id, e.side, e.price_e6, e.size_e6, e.filled_e6,
                        e.rested_e6, e.amount_e6,
                        tuple(HistoryFill(f.instrument_id, f.side, f.price_e6, f.size_e6, f.fee_e6, f.liquidity,
                                          f.order_id) for f in e.fills), e.remainder_name)


def _check_page(limit: int, before: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 1000:
        raise BadInput("limit: 0 (the node's default, 100) to 1000")
    if isinstance(before, bool) or not isinstance(before, int) or before < 0:
        raise BadInput("before: a position (a non-negative integer; 0 = from the newest)")


def as_json(value: Any) -> Any:
    """A JSON-ready copy of a result: bytes as ``0x`` hex, ``*_wad`` integers as decimal strings
    (they do not fit a JSON reader's double), every other integer as is (exact ``*_e6``)."""
    if is_dataclass(value):
        out = {}
        for f in fields(value):
            item = getattr(value, f.name)
            out[f.name] = str(item) if f.name.endswith("_wad") else as_json(item)
        return out
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------
# Streams


def account_event(pb: stream_pb2.AccountEvent) -> AccountEvent:
    """The dataclass of one ``AccountEvent`` message."""
    common = (pb.sequence, pb.block_number, pb.timestamp, Hex(pb.tx_hash))
    kind = pb.WhichOneof("event")
    if kind == "fill":
        f = pb.fill
        return AccountFill(*common, f.order_id, f.instrument_id, f.side, f.price_e6, f.size_e6, f.fee_e6,
                           LIQUIDITY_NAMES.get(f.liquidity, "unspecified"), Hex(f.counterparty), f.maker_order_id)
    if kind == "order":
        o = pb.order
        return OrderUpdate(*common, o.order_id, o.instrument_id, o.side, o.price_e6,
                           ORDER_STATUS_NAMES.get(o.status, "unspecified"), o.filled_e6, o.remaining_e6,
                           o.reason_code, o.reason_name)
    raise ClientError(f"stream: account event {pb.sequence} has no fill and no order update")


def block_header(pb: stream_pb2.BlockHeader) -> BlockHeader:
    return BlockHeader(pb.sequence, pb.number, pb.timestamp, Hex(pb.state_root), Hex(pb.receipts_hash), pb.tx_count)


class SequenceCheck:
    """Checks that stream messages are numbered 1, 2, 3, ... (``StreamGap`` otherwise)."""

    def __init__(self) -> None:
        self.last = 0

    def check(self, sequence: int) -> None:
        if sequence != self.last + 1:
            raise StreamGap(self.last + 1, sequence)
        self.last = sequence


class LocalBook:
    """A local copy of one instrument's aggregated book, fed ``BookUpdate`` messages in order:
    ``apply`` takes the snapshot (message 1), then each delta (size 0 removes a level), checks
    the sequence numbers are consecutive (``StreamGap`` otherwise) and returns the ``BookView``."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.instrument_id = 0
        self.block_number = 0
        self._sequence = SequenceCheck()
        self._bids: dict[int, BookLevel] = {}
        self._asks: dict[int, BookLevel] = {}

    @property
    def sequence(self) -> int:
        return self._sequence.last

    def apply(self, update: stream_pb2.BookUpdate) -> BookView:
        self._sequence.check(update.sequence)
        if update.sequence == 1 and not update.snapshot:
            raise StreamGap(1, update.sequence, "stream gap: a book stream must start with its snapshot")
        if update.snapshot:
            self._bids, self._asks = {}, {}
        self.instrument_id = update.instrument_id
        self.block_number = update.block_number
        for side, levels in ((self._bids, update.bids), (self._asks, update.asks)):
            for level in levels:
                if level.size_e6 == 0:
                    side.pop(level.price_e6, None)
                else:
                    side[level.price_e6] = BookLevel(level.price_e6, level.size_e6, level.order_count)
        return self.view(snapshot=update.snapshot)

    def view(self, snapshot: bool = False) -> BookView:
        bids = tuple(self._bids[p] for p in sorted(self._bids, reverse=True))
        asks = tuple(self._asks[p] for p in sorted(self._asks))
        return BookView(self.instrument_id, self.name, bids, asks, self.block_number, self.sequence, snapshot)


def book_views(updates: Iterable[stream_pb2.BookUpdate], name: str = "") -> Iterator[BookView]:
    """The ``BookView`` after each message of a ``SubscribeOrderBook`` stream (see ``LocalBook``)."""
    book = LocalBook(name)
    for update in updates:
        yield book.apply(update)




def _stream_error(error: grpc.RpcError, target: str) -> NodeError:
    """``_node_error``, but a stream the node ended itself (its details start ``stream:``) says so."""
    details = error.details() or ""
    if details.startswith("stream:"):
        return _ERROR_TYPES.get(error.code(), NodeError)(error.code(), f"the node at {target} ended the {details}")
    return _node_error(error, target)


class Watch(Generic[T]):
    """A running subscription: iterate it for ``T``s; ``close()`` (or ``with``) cancels the call.

    Each message goes through ``convert`` (which may keep state, e.g. a ``LocalBook``). A gRPC
    error ends the watch with the client's typed ``NodeError``; an error of ``convert`` (e.g.
    ``StreamGap``) cancels the call and is raised. After ``close()``, ``next`` raises
    ``StopIteration`` (also in a thread blocked in it)."""

    def __init__(self, call, convert: Callable[[Any], T], target: str) -> None:
        self._call = call
        self._convert = convert
        self._target = target
        self._closed = False

    def __iter__(self) -> "Watch[T]":
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        try:
            message = next(self._call)
        except StopIteration:
            self._closed = True
            raise
        except KeyboardInterrupt:  # Ctrl-C ends a watch loop quietly
            self.close()
            raise StopIteration from None
        except grpc.RpcError as error:
            if self._closed:  # cancelled by close(), maybe from another thread
                raise StopIteration from None
            self._closed = True
            raise _stream_error(error, self._target) from None
        try:
            return self._convert(message)
        except BaseException:
            self.close()
            raise

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop: cancel the call (idempotent, thread-safe)."""
        self._closed = True
        self._call.cancel()

    def __enter__(self) -> "Watch[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


# ---------------------------------------------------------------------------------------
# Nonces


class _Nonces:
    """The next unused nonce of one account (see the module docstring); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._floor = 0
        self._bitmap = 0
        self._cursor: int | None = None

    @property
    def seeded(self) -> bool:
        return self._cursor is not None

    def seed(self, floor: int, bitmap: int) -> None:
        with self._lock:
            self._floor, self._bitmap = floor, bitmap
            self._cursor = floor if self._cursor is None else max(self._cursor, floor)

    def take(self) -> int:
        with self._lock:
            if self._cursor is None:
                raise RuntimeError("client: nonces not seeded")
            n = self._cursor
            while n - self._floor < WINDOW and self._bitmap >> (n - self._floor) & 1:
                n += 1
            if n >= NONCE_LIMIT:
                raise ClientError("client: nonces exhausted")
            self._cursor = n + 1
            return n


# ---------------------------------------------------------------------------------------
# Client


class Client:
    """A connection to one node; ``key`` (32 bytes) signs for ``domain`` (asked if not given).

    Instruments are given as an id (``int`` or digits) or a name (``"ETH-25DEC26-3000-C"``,
    any case). Reads default to the key's own address. ``close()`` (or ``with``) ends the channel.
    """

    def __init__(self, target: str, key: bytes | None = None, domain: Domain | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT_S, submit_timeout: float = SUBMIT_TIMEOUT_S) -> None:
        self.target = target
        self.key = key
        self.address: bytes | None = None if key is None else address_of(key)
        self._domain = domain
        self.timeout = timeout
        self.submit_timeout = submit_timeout
        self.channel = grpc.insecure_channel(target)
        self._trading = trading_pb2_grpc.TradingStub(self.channel)
        self._query = query_pb2_grpc.QueryStub(self.channel)
        self._dev = dev_pb2_grpc.DevStub(self.channel)
        self._stream = stream_pb2_grpc.StreamStub(self.channel)
        self._nonces = _Nonces()
        self._seed_lock = threading.Lock()
        self._instruments: dict[str, Instrument] | None = None

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request, timeout: float | None = None):
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise _node_error(error, self.target) from None

    # -- chain and instruments ---------------------------------------------------------------

    def chain_info(self) -> ChainInfo:
        pb = self._call(self._query.GetChainInfo, query_pb2.ChainInfoRequest())
        return ChainInfo(pb.chain_id, pb.block_number, pb.block_time, Hex(pb.verifying_contract))

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain this client signs for (read once from the node)."""
        if self._domain is None:
            info = self.chain_info()
            try:
                self._domain = info.domain
            except ValueError as exc:
                raise NodeError(grpc.StatusCode.UNKNOWN, f"the node's chain info has no valid domain: {exc}") from None
        return self._domain

    def instruments(self, underlying: str | int | None = None) -> tuple[Instrument, ...]:
        """Listed series by id; ``underlying`` filters by name (``"ETH"``) or id."""
        underlying_id = underlying if isinstance(underlying, int) else 0
        pb = self._call(self._query.ListInstruments, query_pb2.ListInstrumentsRequest(underlying_id=underlying_id))
        out = tuple(_instrument(i) for i in pb.instruments)
        if underlying_id == 0:
            self._instruments = {i.name.upper(): i for i in out}
        if isinstance(underlying, str):
            out = tuple(i for i in out if i.underlying.upper() == underlying.strip().upper())
        return out

    def instrument(self, ref: str | int) -> Instrument:
        """The instrument with this id or name (``BadInput`` if there is none). The list is
        cached; a miss re-reads it once (the series may have been listed since).

        Also an alias ``UNDERLYING-ATM-C`` / ``UNDERLYING-ATM-P`` (any case): the call or put of
        the nearest expiry after the head block's time, at the strike where the call's and the
        put's marks are closest (at the money: put-call parity), among strikes with both marked."""
        if isinstance(ref, str) and ref.strip().upper().endswith(("-ATM-C", "-ATM-P")):
            return self._at_the_money(ref.strip().upper())
        if isinstance(ref, str) and ref.strip().isdigit():
            ref = int(ref)
        if isinstance(ref, bool) or not isinstance(ref, (int, str)):
            raise BadInput(f"instrument: an id or a name, not {ref!r}")
        for fresh in (False, True):
            if fresh or self._instruments is None:
                self.instruments()
            if isinstance(ref, int):
                found = next((i for i in self._instruments.values() if i.instrument_id == ref), None)
            else:
                found = self._instruments.get(ref.strip().upper())
            if found is not None:
                return found
        raise BadInput(f"unknown instrument {ref!r} (see `optrollup instruments`)")

    def _at_the_money(self, alias: str) -> Instrument:
        underlying, _, kind = alias.rsplit("-", 2)
        now = self.chain_info().block_time
        listed = [i for i in self.instruments(underlying) if i.expiry > now]
        if not listed:
            raise BadInput(f"{alias}: no unexpired {underlying} series (see `optrollup instruments`)")
        nearest = min(i.expiry for i in listed)
        by_strike: dict[int, dict[bool, Instrument]] = {}
        for i in listed:
            if i.expiry == nearest and i.mark_e6:
                by_strike.setdefault(i.strike_e6, {})[i.is_call] = i
        pairs = [pair for pair in by_strike.values() if len(pair) == 2]
        if not pairs:
            raise BadInput(f"{alias}: the nearest {underlying} expiry has no marked call and put at one strike yet")
        best = min(pairs, key=lambda pair: (abs(pair[True].mark_e6 - pair[False].mark_e6), pair[True].strike_e6))
        return best[kind == "C"]

    def instrument_id(self, ref: str | int) -> int:
        return self.instrument(ref).instrument_id

    def underlyings(self) -> tuple[tuple[UnderlyingInfo, ...], int]:
        """Every underlying's oracle state, and the head block's time (unix seconds)."""
        pb = self._call(self._query.ListUnderlyings, query_pb2.ListUnderlyingsRequest())
        out = tuple(UnderlyingInfo(u.underlying_id, u.name, u.index_e6, u.oracle_time, u.oracle_sequence,
                                   u.observation_time,
                                   tuple(VolPoint(p.expiry, p.atm_vol_e6, p.skew_e6, p.curvature_e6) for p in u.surface),
                                   u.series) for u in pb.underlyings)
        return out, pb.block_time

    # -- reads -------------------------------------------------------------------------------

    def _address(self, address: bytes | str | None) -> bytes:
        if address is not None:
            return parse_address(address)
        if self.address is None:
            raise BadInput("no address: give a key or an address")
        return self.address

    def account(self, address: bytes | str | None = None) -> AccountInfo:
        pb = self._call(self._query.GetAccount, query_pb2.AccountRequest(address=self._address(address)))
        return AccountInfo(Hex(pb.address), pb.balance_e6, _margin(pb.margin), pb.nonce_floor, pb.open_orders,
                           pb.positions, pb.block_number)

    def positions(self, address: bytes | str | None = None) -> tuple[Position, ...]:
        pb = self._call(self._query.GetPositions, query_pb2.AccountRequest(address=self._address(address)))
        return tuple(Position(p.instrument_id, p.name, p.size_e6, p.mark_e6, p.value_e6) for p in pb.positions)

    def open_orders(self, address: bytes | str | None = None) -> tuple[OpenOrder, ...]:
        pb = self._call(self._query.GetOpenOrders, query_pb2.AccountRequest(address=self._address(address)))
        return tuple(OpenOrder(o.order_id, o.instrument_id, o.name, o.side, o.price_e6, o.remaining_e6,
                               o.reduce_only, o.client_order_id, o.expiry) for o in pb.orders)

    def book(self, instrument: str | int, depth: int = 0) -> Book:
        """Price levels per side (``depth`` 0 = the node's default, 20)."""
        inst = self.instrument(instrument)
        pb = self._call(self._query.GetOrderBook,
                        query_pb2.OrderBookRequest(instrument_id=inst.instrument_id, depth=depth))
        levels = lambda side: tuple(BookLevel(l.price_e6, l.size_e6, l.order_count) for l in side)  # noqa: E731
        return Book(pb.instrument_id, inst.name, levels(pb.bids), levels(pb.asks), pb.block_number)

    def receipt(self, tx_hash: bytes | str) -> Receipt:
        """The receipt of an included transaction (``NotFound`` otherwise)."""
        if isinstance(tx_hash, str):
            text = tx_hash.strip()
            try:
                tx_hash = bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)
            except ValueError:
                raise BadInput(f"not a hex transaction hash: {text!r}") from None
        if len(tx_hash) != 32:
            raise BadInput("a transaction hash is 32 bytes (64 hex digits)")
        return _receipt(self._call(self._query.GetReceipt, query_pb2.ReceiptRequest(tx_hash=tx_hash)))

    def withdrawal_proof(self, index: int) -> "query_pb2.WithdrawalProof":
        """What an L1 claim of withdrawal ``index`` needs (``Query.GetWithdrawalProof``);
        ``NotFound`` until the batch holding it is sealed."""
        return self._call(self._query.GetWithdrawalProof, query_pb2.WithdrawalProofRequest(index=index))

    def risk(self, address: bytes | str | None = None) -> Risk:
        pb = self._call(self._query.GetRisk, query_pb2.AccountRequest(address=self._address(address)))
        return Risk(
            Hex(pb.address), _margin(pb.margin),
            tuple(UnderlyingRisk(u.underlying_id, u.underlying, u.index_e6, int(u.delta_wad), int(u.gamma_wad),
                                 int(u.vega_wad), int(u.theta_wad), u.worst_loss_e6, u.addon_e6, u.maintenance_e6,
                                 u.worst_scenario) for u in pb.underlyings),
            int(pb.delta_wad or 0), int(pb.gamma_wad or 0), int(pb.vega_wad or 0), int(pb.theta_wad or 0),
            pb.complete, pb.block_number,
        )

    # -- paged lists (query.proto: newest first; ``limit`` 0 = 100, at most 1000; ``before`` a position) --

    def trades(self, instrument: str | int, *, limit: int = 0, before: int = 0) -> Page[Trade]:
        """Recent fills on a series, newest first (the node keeps the last 1000 per series)."""
        _check_page(limit, before)
        inst = self.instrument(instrument)
        pb = self._call(self._query.GetRecentTrades, query_pb2.RecentTradesRequest(
            instrument_id=inst.instrument_id, limit=limit, before_position=before))
        return Page(tuple(Trade(t.price_e6, t.size_e6, t.taker_side, t.block_number, Hex(t.tx_hash), t.timestamp,
                                t.position) for t in pb.trades), pb.next_before_position, pb.block_number)

    def history(self, address: bytes | str | None = None, *, limit: int = 0, before: int = 0) -> Page[HistoryEntry]:
        """An account's transactions and fills, newest first, from the node's block store."""
        _check_page(limit, before)
        pb = self._call(self._query.GetAccountHistory, query_pb2.AccountHistoryRequest(
            address=self._address(address), limit=limit, before_position=before))
        return Page(tuple(_history_entry(e) for e in pb.entries), pb.next_before_position, pb.block_number)

    def history_all(self, address: bytes | str | None = None) -> Iterator[HistoryEntry]:
        """Every history entry the node keeps, newest first (page after page)."""
        before = 0
        while True:
            page = self.history(address, limit=1000, before=before)
            yield from page.items
            if not page.next_before:
                return
            before = page.next_before

    def pnl(self, address: bytes | str | None = None) -> Pnl:
        """Average entry, realised and unrealised P&L and fees per series, from every fill in the
        account's history (``node.pnl``), marked at the current marks."""
        from node.pnl import series_pnl

        address = self._address(address)
        entries = list(self.history_all(address))
        fills = [(f.instrument_id, f.side, f.price_e6, f.size_e6, f.fee_e6)
                 for entry in reversed(entries) for f in entry.fills]
        held = {p.instrument_id: p for p in self.positions(address)}
        listed = {i.instrument_id: i for i in self.instruments()}
        marks = {i: inst.mark_e6 for i, inst in listed.items()}
        rows = series_pnl(fills, marks)
        found = {r.instrument_id: r.size_e6 for r in rows if r.size_e6}
        complete = found == {i: p.size_e6 for i, p in held.items() if p.size_e6}
        series = tuple(PositionPnl(r.instrument_id, listed[r.instrument_id].name if r.instrument_id in listed
                                   else str(r.instrument_id), r.size_e6, r.avg_entry_e6, r.mark_e6, r.realised_e6,
                                   r.unrealised_e6, r.fees_e6) for r in rows)
        head = self.chain_info().block_number
        return Pnl(Hex(address), series, sum(r.realised_e6 for r in rows), sum(r.unrealised_e6 for r in rows),
                   sum(r.fees_e6 for r in rows), complete, head)

    # -- streams (see the module docstring) ----------------------------------------------------

    def _watch(self, method, request, convert: Callable[[Any], T]) -> Watch[T]:
        return Watch(method(request), convert, self.target)

    def watch_account(self, address: bytes | str | None = None) -> Watch[AccountEvent]:
        """The account's fills (``AccountFill``) and order updates (``OrderUpdate``) from the next
        block on, in block order; ``StreamGap`` if a sequence number is skipped."""
        sequence = SequenceCheck()

        def convert(pb: stream_pb2.AccountEvent) -> AccountEvent:
            sequence.check(pb.sequence)
            return account_event(pb)

        request = stream_pb2.SubscribeAccountRequest(address=self._address(address))
        return self._watch(self._stream.SubscribeAccount, request, convert)

    def watch_book(self, instrument: str | int, depth: int = 20) -> Watch[BookView]:
        """The aggregated book (``depth`` levels per side, at most 500): first the current book, then
        the book after each block that changed it (``BookView``), kept by a ``LocalBook``."""
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 500:
            raise BadInput("depth: levels per side, 1 to 500 (0 = the node's default, 20)")
        inst = self.instrument(instrument)
        request = stream_pb2.SubscribeOrderBookRequest(instrument_id=inst.instrument_id, depth=depth)
        return self._watch(self._stream.SubscribeOrderBook, request, LocalBook(inst.name).apply)

    def watch_blocks(self) -> Watch[BlockHeader]:
        """Each new block's header, from the next block on."""
        sequence = SequenceCheck()

        def convert(pb: stream_pb2.BlockHeader) -> BlockHeader:
            sequence.check(pb.sequence)
            return block_header(pb)

        return self._watch(self._stream.SubscribeBlocks, stream_pb2.SubscribeBlocksRequest(), convert)

    # -- transactions ---------------------------------------------------------------------------

    def _signer(self) -> bytes:
        if self.key is None:
            raise BadInput("no key: this client cannot sign transactions")
        return self.key

    def _seed_nonces(self) -> None:
        pb = self._call(self._query.GetAccount, query_pb2.AccountRequest(address=self.address))
        self._nonces.seed(pb.nonce_floor, int.from_bytes(pb.nonce_bitmap, "big"))

    def submit(self, make_body) -> Receipt:
        """Sign ``make_body(nonce)`` with a fresh nonce, submit it, wait for its block.

        Returns the receipt of a successful transaction; raises ``NodeError`` otherwise (a
        ``TxFailed`` of an included transaction carries its receipt).
        """
        key = self._signer()
        domain = self.domain
        with self._seed_lock:
            if not self._nonces.seeded:
                self._seed_nonces()
        for attempt in range(NONCE_RETRIES + 1):
            body: TxBody = make_body(self._nonces.take())
            raw = sign_tx(key, body, domain)
            try:
                pb = self._call(self._trading.SubmitTransaction, trading_pb2.SubmitRequest(raw_tx=raw),
                                timeout=self.submit_timeout)
            except TxFailed as failure:
                if failure.failure_code in _NONCE_CODES and attempt < NONCE_RETRIES:
                    self._seed_nonces()  # someone else used the key: re-read the window
                    continue
                raise
            return _receipt(pb.receipt)
        raise AssertionError("unreachable")

    def place_order(self, instrument: str | int, side: str | int, size: Decimal | str | int,
                    price: Decimal | str | int, *, time_in_force: str | int = "gtc", reduce_only: bool = False,
                    client_order_id: int = 0, expiry: int = 0) -> Receipt:
        """A limit order: ``size`` contracts at ``price`` collateral units per contract."""
        instrument_id = self.instrument_id(instrument)
        side_ = parse_side(side)
        size_e6, price_e6 = to_e6(size, "size"), to_e6(price, "price")
        if size_e6 <= 0 or price_e6 <= 0:
            raise BadInput("size and price must be positive")
        tif = parse_tif(time_in_force)
        if not isinstance(client_order_id, int) or client_order_id < 0 or not isinstance(expiry, int) or expiry < 0:
            raise BadInput("client_order_id and expiry are non-negative integers")
        return self.submit(lambda nonce: PlaceOrder(nonce, instrument_id, int(side_), price_e6, size_e6, int(tif),
                                                    bool(reduce_only), client_order_id, expiry))

    def buy(self, instrument: str | int, size, price, **options) -> Receipt:
        return self.place_order(instrument, Side.BUY, size, price, **options)

    def sell(self, instrument: str | int, size, price, **options) -> Receipt:
        return self.place_order(instrument, Side.SELL, size, price, **options)

    def cancel(self, order_id: int | None = None, *, client_order_id: int | None = None) -> Receipt:
        """Cancel one open order by ``order_id``, or by ``client_order_id``."""
        if (order_id is None) == (client_order_id is None):
            raise BadInput("cancel: give an order id or a client order id (one of them)")
        oid, cid = (order_id, 0) if order_id is not None else (0, client_order_id)
        if not isinstance(oid, int) or not isinstance(cid, int) or oid < 0 or cid < 0 or oid + cid == 0:
            raise BadInput("cancel: order ids are positive integers")
        return self.submit(lambda nonce: CancelOrder(nonce, oid, cid))

    def cancel_all(self, instrument: str | int = 0) -> Receipt:
        """Cancel every open order on ``instrument``, or everywhere (0)."""
        instrument_id = 0 if instrument in (0, "0", None) else self.instrument_id(instrument)
        return self.submit(lambda nonce: CancelAll(nonce, instrument_id))

    def withdraw(self, amount: Decimal | str | int, recipient: bytes | str | None = None) -> Receipt:
        """Request a withdrawal of ``amount`` collateral units to ``recipient`` on L1 (default: own address)."""
        amount_e6 = to_e6(amount, "amount")
        if amount_e6 <= 0:
            raise BadInput("amount must be positive")
        to = self._address(recipient) if recipient is not None else address_of(self._signer())
        return self.submit(lambda nonce: Withdraw(nonce, amount_e6, to))

    def faucet(self, amount: Decimal | str | int, address: bytes | str | None = None) -> tuple[int, Receipt]:
        """DEVELOPMENT NODES ONLY: credit ``amount`` collateral units through the dev faucet.
        Returns ``(deposit_index, receipt)``."""
        amount_e6 = to_e6(amount, "amount")
        if amount_e6 <= 0:
            raise BadInput("amount must be positive")
        pb = self._call(self._dev.Faucet, dev_pb2.FaucetRequest(address=self._address(address), amount_e6=amount_e6),
                        timeout=self.submit_timeout)
        return pb.deposit_index, _receipt(pb.receipt)

