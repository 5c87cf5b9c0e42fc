"""The node's gRPC server: thin async servicers over the ``Sequencer`` and the head state.

``serve(sequencer, address)`` starts a ``grpc.aio`` server with the ``Trading``, ``Query``
and ``Stream`` services (``protos/optrollup/v1``; the streams are fed by one
``events.EventHub`` observing the sequencer), the standard health service
(``grpc.health.v1.Health``: SERVING once started) and server reflection.
``NodeServer.stop(grace)`` is graceful: health goes NOT_SERVING, new calls are refused,
calls in flight get ``grace`` seconds.

Limits: a request is at most ``max_message_bytes`` (4 KiB; RESOURCE_EXHAUSTED above it,
which ends a ``SubmitStream``); a ``SubmitBatchStream`` message is at most ``max_batch_bytes``
(128 KiB; gRPC itself answers RESOURCE_EXHAUSTED above it, ending the stream, and this is the
server's receive limit for every call) and carries at most ``max_batch_txs`` transactions
(256; a larger batch gets an ack whose ``error`` is RESOURCE_EXHAUSTED, the stream goes on);
transactions are rate-limited per client by a token bucket
(``rate_per_s`` refill, ``burst`` capacity) keyed by the peer (``ipv4:host:port``, i.e.
per connection; behind a proxy, key by an authenticated identity instead). Over the
limit: RESOURCE_EXHAUSTED (an error ack on a stream; in a batch every transaction costs a
token, and those beyond the limit get error results).

Errors on ``SubmitTransaction`` (see ``trading.proto``): INVALID_ARGUMENT for bytes that are
not a valid signed client transaction, FAILED_PRECONDITION for a valid one the state
refuses (a replay at the door, or a failure receipt), RESOURCE_EXHAUSTED for limits; the
trailing metadata carries ``failure-code`` (the ``FailureCode`` number) and ``failure-name``,
plus ``tx-hash-bin``, ``block-number`` and ``receipt-bin`` (a serialized ``Receipt``) when
the transaction was included.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import AsyncIterator, Final

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from node.rpc.generated.optrollup.v1 import (
    query_pb2,
    query_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
    types_pb2,
)
from node.rpc import cancel_on_disconnect, streams
from node.rpc.events import EventHub
from node.rpc.generated.optrollup.v1 import stream_pb2_grpc
from node.sequencer.mempool import MempoolFull, Rejected
from node.sequencer.sequencer import Sequencer, SequencerHalted, tx_hash_of
from node.stf import accounts, book, keys, margin, risk
from node.stf.errors import FailureCode
from node.stf.instruments import series_name
from node.stf.receipts import Receipt
from node.stf.records import Globals, Instrument, Order
from node.stf.state import State

DEFAULT_ADDRESS: Final = "127.0.0.1:50051"
MAX_MESSAGE_BYTES: Final = 4 * 1024
DEFAULT_RATE_PER_S: Final = 5_000.0
DEFAULT_BURST: Final = 10_000.0
MAX_BATCH_MESSAGE_BYTES: Final = 128 * 1024
MAX_BATCH_TXS: Final = 256
MAX_IN_FLIGHT_PER_STREAM: Final = 2_048  # requests on SubmitStream, transactions on SubmitBatchStream
DEFAULT_BOOK_DEPTH: Final = 20
MAX_BOOK_DEPTH: Final = 500
E6: Final = 10**6
SERVICE_NAMES: Final = (
    trading_pb2.DESCRIPTOR.services_by_name["Trading"].full_name,
    query_pb2.DESCRIPTOR.services_by_name["Query"].full_name,
    streams.SERVICE_NAME,
)


# ---------------------------------------------------------------------------------------
# Rate limit


class RateLimiter:
    """Token buckets keyed by peer: ``rate_per_s`` tokens per second, at most ``burst``."""

    MAX_PEERS: Final = 10_000

    def __init__(self, rate_per_s: float, burst: float, clock=time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, list[float]] = {}

    def allow(self, peer: str, cost: float = 1.0) -> bool:
        now = self.clock()
        bucket = self._buckets.get(peer)
        if bucket is None:
            if len(self._buckets) >= self.MAX_PEERS:
                self._prune(now)
            bucket = self._buckets[peer] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens < cost:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - cost
        return True

    def _prune(self, now: float) -> None:
        """Forget peers whose bucket has refilled (they lose nothing)."""
        full = [p for p, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for peer in full:
            del self._buckets[peer]


# ---------------------------------------------------------------------------------------
# Conversions


def receipt_pb(receipt: Receipt, block_number: int) -> types_pb2.Receipt:
    return types_pb2.Receipt(
        tx_hash=receipt.tx_hash,
        code=int(receipt.code),
        failure_name=receipt.code.name,
        detail=receipt.detail,
        order_id=receipt.order_id,
        filled_e6=receipt.filled_e6,
        rested_e6=receipt.rested_e6,
        remainder_code=int(receipt.remainder_code),
        remainder_name=receipt.remainder_code.name,
        fills=[
            types_pb2.Fill(
                maker_order_id=f.maker_order_id, maker=f.maker, taker=f.taker, instrument_id=f.instrument_id,
                taker_side=f.taker_side, price_e6=f.price_e6, size_e6=f.size_e6,
                maker_fee_e6=f.maker_fee_e6, taker_fee_e6=f.taker_fee_e6,
            )
            for f in receipt.fills
        ],
        cancelled=[types_pb2.Cancelled(order_id=o, code=int(c), failure_name=c.name) for o, c in receipt.cancelled],
        block_number=block_number,
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """A submission that did not succeed: the gRPC status and the STF's failure code."""

    status: grpc.StatusCode
    code: FailureCode | None
    message: str
    tx_hash: bytes = b""
    block_number: int = 0
    receipt: Receipt | None = None

    def error_pb(self) -> types_pb2.Error:
        return types_pb2.Error(
            status_code=self.status.value[0],
            failure_code=0 if self.code is None else int(self.code),
            failure_name="" if self.code is None else self.code.name,
            message=self.message,
        )

    def metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        items: list[tuple[str, str | bytes]] = []
        if self.code is not None:
            items += [("failure-code", str(int(self.code))), ("failure-name", self.code.name)]
        if self.tx_hash:
            items.append(("tx-hash-bin", self.tx_hash))
        if self.receipt is not None:
            items.append(("block-number", str(self.block_number)))
            items.append(("receipt-bin", receipt_pb(self.receipt, self.block_number).SerializeToString()))
        return tuple(items)


def _refusal_of(exc: Exception, raw: bytes, tx_hash: bytes = b"") -> Refusal:
    if isinstance(exc, Rejected):
        status = grpc.StatusCode.INVALID_ARGUMENT if exc.invalid else grpc.StatusCode.FAILED_PRECONDITION
        return Refusal(status, exc.code, exc.message, exc.tx_hash or tx_hash or tx_hash_of(raw))
    if isinstance(exc, MempoolFull):
        return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, None, str(exc), tx_hash or tx_hash_of(raw))
    if isinstance(exc, SequencerHalted):
        return Refusal(grpc.StatusCode.UNAVAILABLE, None, str(exc), tx_hash or tx_hash_of(raw))
    raise exc


def _result_fields(outcome: tuple[int, Receipt] | Refusal) -> dict:
    """The fields shared by ``SubmitAck`` and ``TxResult`` for one transaction's outcome."""
    if isinstance(outcome, Refusal):
        return dict(tx_hash=outcome.tx_hash, accepted=False, block_number=outcome.block_number,
                    error=outcome.error_pb(),
                    receipt=None if outcome.receipt is None else receipt_pb(outcome.receipt, outcome.block_number))
    number, receipt = outcome
    return dict(tx_hash=receipt.tx_hash, accepted=True, block_number=number, receipt=receipt_pb(receipt, number))


class _TooLarge(Exception):
    """A stream request above the per-request size limit (the stream ends RESOURCE_EXHAUSTED)."""


# ---------------------------------------------------------------------------------------
# Trading


class TradingServicer(trading_pb2_grpc.TradingServicer):
    """Submissions: door checks and queueing in the sequencer; answers after the block commits."""

    def __init__(self, sequencer: Sequencer, limiter: RateLimiter, *, max_message_bytes: int = MAX_MESSAGE_BYTES,
                 max_batch_txs: int = MAX_BATCH_TXS) -> None:
        if not 1 <= max_batch_txs <= MAX_IN_FLIGHT_PER_STREAM:
            raise ValueError(f"rpc: max_batch_txs must be in [1, {MAX_IN_FLIGHT_PER_STREAM}]")
        self.sequencer = sequencer
        self.limiter = limiter
        self.max_message_bytes = max_message_bytes
        self.max_batch_txs = max_batch_txs

    def _too_large(self, request) -> str | None:
        size = request.ByteSize()
        return None if size <= self.max_message_bytes else f"request of {size} bytes > {self.max_message_bytes}"

    def _enqueue(self, raw: bytes, peer: str) -> tuple[bytes, asyncio.Future] | Refusal:
        """Rate limit, door checks, queueing: the tx hash and the block future, or a refusal.
        With a recovery pool the door's verdict comes later, through the future (``_outcome``)."""
        if not self.limiter.allow(peer):
            return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, None, "rate limit: too many transactions",
                           tx_hash_of(raw))
        try:
            if self.sequencer.recovery is not None:
                return tx_hash_of(raw), self.sequencer.admit(raw)
            tx, future = self.sequencer.enqueue(raw)
        except (Rejected, MempoolFull, SequencerHalted) as exc:
            return _refusal_of(exc, raw)
        return tx.tx_hash, future

    @staticmethod
    async def _outcome(tx_hash: bytes, future: asyncio.Future) -> tuple[int, Receipt] | Refusal:
        try:
            number, receipt = await future
        except (Rejected, MempoolFull, SequencerHalted) as exc:  # the door, after asynchronous recovery
            return _refusal_of(exc, b"", tx_hash)
        if not receipt.ok:
            return Refusal(grpc.StatusCode.FAILED_PRECONDITION, receipt.code, receipt.detail or receipt.code.name,
                           tx_hash, number, receipt)
        return number, receipt

    async def _guard(self, context) -> cancel_on_disconnect.Guard | None:
        """The stream's pre-signed cancel (metadata ``cancel-on-disconnect-bin``), checked; or ``None``."""
        try:
            return cancel_on_disconnect.guard_of(self.sequencer, context)
        except cancel_on_disconnect.BadCancelEnvelope as exc:
            await context.abort(exc.status, exc.message)

    async def SubmitTransaction(self, request, context):
        too_large = self._too_large(request)
        if too_large:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, too_large)
        admitted = self._enqueue(request.raw_tx, context.peer())
        outcome = admitted if isinstance(admitted, Refusal) else await self._outcome(*admitted)
        if isinstance(outcome, Refusal):
            await context.abort(outcome.status, outcome.message, outcome.metadata())
        number, receipt = outcome
        return trading_pb2.SubmitResponse(tx_hash=receipt.tx_hash, block_number=number,
                                          receipt=receipt_pb(receipt, number))

    async def SubmitStream(self, request_iterator, context) -> AsyncIterator[trading_pb2.SubmitAck]:
        """One ack per request, in request order; refusals are error acks, never stream errors.
        Opt-in cancel-on-disconnect: see ``cancel_on_disconnect``."""
        peer = context.peer()
        guard = await self._guard(context)
        finished = False  # the client half-closed and got every ack
        pending: asyncio.Queue = asyncio.Queue(maxsize=MAX_IN_FLIGHT_PER_STREAM)

        async def read() -> None:
            try:
                async for request in request_iterator:
                    too_large = self._too_large(request)
                    if too_large:
                        raise _TooLarge(too_large)
                    await pending.put((request.sequence, self._enqueue(request.raw_tx, peer)))
            finally:
                await pending.put(None)

        reader = asyncio.get_running_loop().create_task(read())
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                sequence, admitted = item
                outcome = admitted if isinstance(admitted, Refusal) else await self._outcome(*admitted)
                yield trading_pb2.SubmitAck(sequence=sequence, **_result_fields(outcome))
            try:
                await reader  # surfaces a broken request stream
            except _TooLarge as exc:
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
            finished = guard is None or await cancel_on_disconnect.confirm_half_close(context)
        finally:
            if not reader.done():
                reader.cancel()
            if guard is not None and not finished:
                guard.fire()

    async def SubmitBatchStream(self, request_iterator, context) -> AsyncIterator[trading_pb2.SubmitBatchAck]:
        """One ack per batch, in batch order, with one result per transaction in order. The
        transactions of a batch are admitted one by one (each is rate-limited and door-checked on
        its own, so a bad one never affects the others) and queue contiguously. At most
        ``MAX_IN_FLIGHT_PER_STREAM`` transactions are awaiting their acks per stream.
        Opt-in cancel-on-disconnect: see ``cancel_on_disconnect``."""
        peer = context.peer()
        guard = await self._guard(context)
        finished = False  # the client half-closed and got every ack
        pending: asyncio.Queue = asyncio.Queue()
        room = asyncio.Event()
        in_flight = 0

        async def read() -> None:
            nonlocal in_flight
            try:
                async for batch in request_iterator:
                    count = len(batch.raw_txs)
                    if count > self.max_batch_txs:
                        pending.put_nowait((batch.sequence, 0, Refusal(
                            grpc.StatusCode.RESOURCE_EXHAUSTED, None,
                            f"batch of {count} transactions > {self.max_batch_txs}")))
                        continue
                    while in_flight and in_flight + count > MAX_IN_FLIGHT_PER_STREAM:
                        room.clear()
                        await room.wait()
                    in_flight += count
                    pending.put_nowait((batch.sequence, count, [self._enqueue(raw, peer) for raw in batch.raw_txs]))
            finally:
                pending.put_nowait(None)

        reader = asyncio.get_running_loop().create_task(read())
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                sequence, count, admitted = item
                if isinstance(admitted, Refusal):
                    yield trading_pb2.SubmitBatchAck(sequence=sequence, error=admitted.error_pb())
                    continue
                results = []
                for one in admitted:
                    outcome = one if isinstance(one, Refusal) else await self._outcome(*one)
                    results.append(trading_pb2.TxResult(**_result_fields(outcome)))
                in_flight -= count
                room.set()
                yield trading_pb2.SubmitBatchAck(sequence=sequence, results=results)
            await reader  # surfaces a broken request stream
            finished = guard is None or await cancel_on_disconnect.confirm_half_close(context)
        finally:
            if not reader.done():
                reader.cancel()
            if guard is not None and not finished:
                guard.fire()


# ---------------------------------------------------------------------------------------
# Query


class QueryServicer(query_pb2_grpc.QueryServicer):
    """Reads of the last committed block. Each call reads through a fresh ``State`` over the
    sequencer's backend, so queries never touch the sequencer's caches or journal."""

    def __init__(self, sequencer: Sequencer, events: EventHub | None = None, proofs=None) -> None:
        self.sequencer = sequencer
        self.events = events
        self.proofs = proofs  # node.l1.withdrawals.ProofBook on nodes with an L1

    async def GetWithdrawalProof(self, request, context):
        found = None if self.proofs is None else self.proofs.get(request.index)
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no proof for withdrawal {request.index} yet: it is "
                                "proven when its batch is sealed (every few seconds, on nodes with an L1)")
        return query_pb2.WithdrawalProof(
            index=found.index, commitment_index=found.commitment_index, l2_block=found.l2_block,
            state_root=found.state_root, sender=found.sender, recipient=found.recipient, amount_e6=found.amount_e6,
            block_number=found.block_number, proof=list(found.proof))

    def _view(self) -> State:
        return State(self.sequencer.state.backend)

    async def GetRecentTrades(self, request, context):
        """Recent fills of an instrument, newest first (``streams.recent_trades_response``)."""
        if self.events is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "recent trades need the event hub")
        return await streams.recent_trades_response(self.events, self._view(), self.sequencer.head_number,
                                                    request, context)

    @staticmethod
    async def _address(request, context) -> bytes:
        if len(request.address) != 20:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an address is 20 bytes")
        return request.address

    @staticmethod
    def _name(view: State, inst: Instrument) -> str:
        underlying = view.get(keys.underlying(inst.underlying_id))
        return series_name(underlying.name.decode(), inst.expiry, inst.strike_e6, inst.is_call)

    async def GetAccount(self, request, context):
        address = await self._address(request, context)
        view = self._view()
        account = accounts.load(view, address)
        summary = margin.summarise(view, account)
        return query_pb2.AccountResponse(
            address=address, balance_e6=account.balance_e6,
            margin=query_pb2.MarginSummary(
                cash_e6=summary.cash_e6, value_e6=summary.value_e6, equity_e6=summary.equity_e6,
                maintenance_e6=summary.maintenance_e6, initial_e6=summary.initial_e6,
                available_e6=summary.initial_excess_e6, complete=summary.complete,
            ),
            nonce_floor=account.nonce_floor, nonce_bitmap=account.nonce_bitmap.to_bytes(32, "big"),
            open_orders=len(account.open_orders),
            positions=len(account.positions), block_number=self.sequencer.head_number,
        )

    async def GetPositions(self, request, context):
        address = await self._address(request, context)
        view = self._view()
        out = []
        for instrument_id, size_e6 in accounts.load(view, address).positions:
            inst: Instrument = view.get(keys.instrument(instrument_id))
            mark = view.get(keys.mark(instrument_id))
            mark_e6 = 0 if mark is None else mark.mark_e6
            out.append(query_pb2.Position(instrument_id=instrument_id, name=self._name(view, inst), size_e6=size_e6,
                                          mark_e6=mark_e6, value_e6=size_e6 * mark_e6 // E6))
        return query_pb2.PositionsResponse(positions=out, block_number=self.sequencer.head_number)

    async def GetOpenOrders(self, request, context):
        address = await self._address(request, context)
        view = self._view()
        out = []
        for order_id in accounts.load(view, address).open_orders:
            order: Order = view.get(keys.order(order_id))
            inst: Instrument = view.get(keys.instrument(order.instrument_id))
            out.append(query_pb2.OpenOrder(
                order_id=order_id, instrument_id=order.instrument_id, name=self._name(view, inst), side=order.side,
                price_e6=order.price_e6, remaining_e6=order.remaining_e6, reduce_only=order.reduce_only,
                client_order_id=order.client_order_id, expiry=order.expiry,
            ))
        return query_pb2.OpenOrdersResponse(orders=out, block_number=self.sequencer.head_number)

    async def GetReceipt(self, request, context):
        found = self.sequencer.get_receipt(request.tx_hash)
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no included transaction with this hash")
        number, receipt = found
        return receipt_pb(receipt, number)

    async def ListInstruments(self, request, context):
        view = self._view()
        globals_: Globals = view.get(keys.GLOBALS)
        out = []
        for instrument_id in range(1, globals_.next_instrument_id):
            inst: Instrument | None = view.get(keys.instrument(instrument_id))
            if inst is None or (request.underlying_id and inst.underlying_id != request.underlying_id):
                continue
            mark = view.get(keys.mark(instrument_id))
            underlying = view.get(keys.underlying(inst.underlying_id)).name.decode()
            out.append(query_pb2.Instrument(
                instrument_id=instrument_id,
                name=series_name(underlying, inst.expiry, inst.strike_e6, inst.is_call),
                underlying=underlying, underlying_id=inst.underlying_id, expiry=inst.expiry,
                strike_e6=inst.strike_e6, is_call=inst.is_call, tick_size_e6=inst.tick_size_e6,
                min_size_e6=inst.min_size_e6, mark_e6=0 if mark is None else mark.mark_e6,
                best_bid_e6=inst.best_bid_e6, best_ask_e6=inst.best_ask_e6,
            ))
        return query_pb2.ListInstrumentsResponse(instruments=out, block_number=self.sequencer.head_number)

    async def GetOrderBook(self, request, context):
        view = self._view()
        inst: Instrument | None = view.get(keys.instrument(request.instrument_id))
        if inst is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown instrument {request.instrument_id}")
        depth = min(request.depth or DEFAULT_BOOK_DEPTH, MAX_BOOK_DEPTH)
        sides = [
            [
                query_pb2.BookLevel(
                    price_e6=price, size_e6=level.total_size_e6,
                    order_count=len(book.level_orders(view, request.instrument_id, side, price)),
                )
                for price, level in book.side_levels(view, request.instrument_id, side, depth)
            ]
            for side in (0, 1)
        ]
        return query_pb2.OrderBook(instrument_id=request.instrument_id, bids=sides[0], asks=sides[1],
                                   block_number=self.sequencer.head_number)

    async def GetBlock(self, request, context):
        block = self.sequencer.get_block(request.number if request.HasField("number") else None)
        if block is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such block")
        return query_pb2.Block(
            number=block.number, timestamp=block.timestamp, state_root=block.state_root,
            receipts_hash=block.receipts_hash, tx_hashes=[r.tx_hash for r in block.receipts],
            tx_count=len(block.txs),
        )

    async def GetChainInfo(self, request, context):
        return query_pb2.ChainInfo(chain_id=self.sequencer.chain_id, block_number=self.sequencer.head_number,
                                   block_time=self.sequencer.head_time)

    async def GetRisk(self, request, context):
        """``margin.summarise`` plus ``risk.portfolio_greeks``; Greeks as WAD decimal strings."""
        address = await self._address(request, context)
        view = self._view()
        account = accounts.load(view, address)
        summary = margin.summarise(view, account)
        greeks = risk.positions_greeks(view, account.positions)
        by_underlying = {g.underlying_id: g for g in greeks.underlyings}
        out = []
        for part in summary.underlyings:
            g = by_underlying.get(part.underlying_id) or risk.UnderlyingGreeks(part.underlying_id, 0, 0, 0, 0)
            out.append(query_pb2.UnderlyingRisk(
                underlying_id=part.underlying_id, underlying=view.get(keys.underlying(part.underlying_id)).name.decode(),
                index_e6=part.index_e6, delta_wad=str(g.delta), gamma_wad=str(g.gamma), vega_wad=str(g.vega),
                theta_wad=str(g.theta), worst_loss_e6=part.worst_loss_e6, addon_e6=part.addon_e6,
                maintenance_e6=part.maintenance_e6,
                worst_scenario=risk.scenario_move(part.worst_scenario).description,
            ))
        return query_pb2.RiskResponse(
            address=address,
            margin=query_pb2.MarginSummary(
                cash_e6=summary.cash_e6, value_e6=summary.value_e6, equity_e6=summary.equity_e6,
                maintenance_e6=summary.maintenance_e6, initial_e6=summary.initial_e6,
                available_e6=summary.initial_excess_e6, complete=summary.complete,
            ),
            underlyings=out, delta_wad=str(greeks.delta), gamma_wad=str(greeks.gamma), vega_wad=str(greeks.vega),
            theta_wad=str(greeks.theta), complete=summary.complete and greeks.complete,
            block_number=self.sequencer.head_number,
        )


# ---------------------------------------------------------------------------------------
# Server


class NodeServer:
    """A running gRPC server: ``port`` is the bound port; ``stop(grace)`` shuts it down."""

    def __init__(self, server: grpc.aio.Server, health_servicer, port: int, events: EventHub | None = None) -> None:
        self.server = server
        self.health = health_servicer
        self.port = port
        self.events = events

    async def stop(self, grace: float | None = 1.0) -> None:
        await self.health.enter_graceful_shutdown()
        if self.events is not None:
            self.events.detach()  # subscriptions end UNAVAILABLE instead of holding the grace period
        await self.server.stop(grace)

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()


async def serve(
    sequencer: Sequencer,
    address: str = DEFAULT_ADDRESS,
    *,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    burst: float = DEFAULT_BURST,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_batch_bytes: int = MAX_BATCH_MESSAGE_BYTES,
    max_batch_txs: int = MAX_BATCH_TXS,
    dev: bool = False,
    info=None,
    proofs=None,
) -> NodeServer:
    """Start the services on ``address`` (``host:0`` picks a free port) and return the server.

    The sequencer must be started (``await sequencer.start()``) for submissions to succeed.
    ``dev=True`` (development chains only) adds the ``Dev`` service (``node.rpc.dev_faucet``).
    The ``Node`` status service (``node.rpc.status``; ``info``: its ``NodeInfo``) is always
    served, and health turns NOT_SERVING for every service when the sequencer halts or stops.
    """
    service_names = SERVICE_NAMES
    server = grpc.aio.server(options=[
        # The largest message any call accepts (a batch); single requests are checked in the servicer.
        ("grpc.max_receive_message_length", max(max_message_bytes, max_batch_bytes)),
        ("grpc.max_send_message_length", 4 * 1024 * 1024),
    ])
    trading_pb2_grpc.add_TradingServicer_to_server(
        TradingServicer(sequencer, RateLimiter(rate_per_s, burst), max_message_bytes=max_message_bytes,
                        max_batch_txs=max_batch_txs), server)
    events = EventHub(sequencer).attach()
    query_pb2_grpc.add_QueryServicer_to_server(QueryServicer(sequencer, events, proofs), server)
    stream_pb2_grpc.add_StreamServicer_to_server(streams.StreamServicer(events), server)
    if dev:
        from node.rpc import dev_faucet  # development only: never registered otherwise

        service_names += (dev_faucet.add_to_server(sequencer, server),)
    from node.rpc import status as node_status

    service_names += (node_status.add_to_server(sequencer, server, info),)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        service_names + (health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"rpc: cannot listen on {address}")
    await server.start()
    for name in ("",) + service_names:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    node_status.watch_health(sequencer, health_servicer, ("",) + service_names)
    return NodeServer(server, health_servicer, port, events)
