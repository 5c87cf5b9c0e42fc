"""The ``Query`` service: reads of the last committed block (accounts, positions, orders,
receipts, instruments, the order book, blocks, chain info, risk, withdrawal proofs, an
account's history).

Each call reads through a fresh ``State`` over the sequencer's backend, so queries never
touch the sequencer's caches or journal. Amounts are the STF's integers (``*_e6``: 6
decimals of the collateral token; Greeks as WAD decimal strings, 18 decimals).
"""

from __future__ import annotations

import asyncio
from typing import Final

import grpc

from node.rpc import history, streams
from node.rpc import rollup as rollup_mod
from node.rpc.events import EventHub
from node.rpc.index_history import IndexHistory
from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc
from node.rpc.refusal import receipt_pb
from node.sequencer.sequencer import Sequencer
from node.stf import accounts, book, keys, margin, risk
from node.stf.instruments import listed_underlyings, series_name
from node.stf.records import Globals, Instrument, Mark, Order, SettlementPrice
from node.stf.state import State

DEFAULT_BOOK_DEPTH: Final = 20
MAX_BOOK_DEPTH: Final = 500
E6: Final = 10**6


def margin_summary_pb(summary: margin.MarginSummary) -> query_pb2.MarginSummary:
    """The wire form of ``margin.summarise``'s result (``available_e6``: the initial excess)."""
    return query_pb2.MarginSummary(
        cash_e6=summary.cash_e6, value_e6=summary.value_e6, equity_e6=summary.equity_e6,
        maintenance_e6=summary.maintenance_e6, initial_e6=summary.initial_e6,
        available_e6=summary.initial_excess_e6, complete=summary.complete,
    )


class QueryServicer(query_pb2_grpc.QueryServicer):
    """Reads of the last committed block. Each call reads through a fresh ``State`` over the
    sequencer's backend, so queries never touch the sequencer's caches or journal."""

    def __init__(self, sequencer: Sequencer, events: EventHub | None = None, proofs=None, rollup=None,
                 index_history: IndexHistory | None = None) -> None:
        self.index_history = index_history
        self.sequencer = sequencer
        self.events = events
        self.proofs = proofs  # node.l1.withdrawals.ProofBook on nodes with an L1
        self.rollup = rollup  # node.rpc.rollup.RollupView on nodes with an L1

    async def GetIndexHistory(self, request, context):
        """The underlying's recent index path (``node.rpc.index_history``)."""
        if self._view().get(keys.underlying(request.underlying_id)) is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown underlying {request.underlying_id}")
        points = [] if self.index_history is None else self.index_history.points(request.underlying_id)
        if request.limit:
            points = points[-request.limit:]
        return query_pb2.IndexHistoryResponse(
            underlying_id=request.underlying_id, block_number=self.sequencer.head_number,
            points=[query_pb2.IndexPoint(time=t, index_e6=i) for t, i in points])

    async def GetRollup(self, request, context):
        """The L1 side (``node.rpc.rollup``); UNAVAILABLE if the L1 cannot be read now."""
        limit = rollup_mod.limit_of(request.limit)
        view = self._view()
        globals_: Globals = view.get(keys.GLOBALS)
        latest = rollup_mod.withdrawals(view, limit)
        head = self.sequencer.head_number
        if self.rollup is None:
            return query_pb2.RollupResponse(available=False, block_number=head,
                                            withdrawals=[rollup_mod.withdrawal_pb(i, w) for i, w in latest])
        try:
            return await asyncio.to_thread(self.rollup.read, globals_, latest, limit, head)
        except Exception as exc:  # noqa: BLE001 - the L1 is down or slow: say so, never crash the call
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot read the L1 now: {exc}")

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

    async def GetAccountHistory(self, request, context):
        """An account's transactions and fills, newest first, paged (``node.rpc.history``)."""
        address = await self._address(request, context)
        return history.history_response(self.sequencer, address, request.before_position, request.limit)

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
            margin=margin_summary_pb(summary),
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
            out.append(self._instrument_pb(view, instrument_id, inst))
        return query_pb2.ListInstrumentsResponse(instruments=out, block_number=self.sequencer.head_number)

    @staticmethod
    def _instrument_pb(view: State, instrument_id: int, inst: Instrument) -> query_pb2.Instrument:
        """One series with its mark (value, vol, per-contract Greeks), the sizes at its best prices
        and its expiry's settlement price (0 until fixed)."""
        mark: Mark | None = view.get(keys.mark(instrument_id))
        underlying = view.get(keys.underlying(inst.underlying_id)).name.decode()
        best_sizes = [0, 0]
        for side in (0, 1):
            for _, level in book.side_levels(view, instrument_id, side, 1):
                best_sizes[side] = level.total_size_e6
        settlement: SettlementPrice | None = view.get(keys.settlement(inst.underlying_id, inst.expiry))
        return query_pb2.Instrument(
            instrument_id=instrument_id,
            name=series_name(underlying, inst.expiry, inst.strike_e6, inst.is_call),
            underlying=underlying, underlying_id=inst.underlying_id, expiry=inst.expiry,
            strike_e6=inst.strike_e6, is_call=inst.is_call, tick_size_e6=inst.tick_size_e6,
            min_size_e6=inst.min_size_e6, mark_e6=0 if mark is None else mark.mark_e6,
            best_bid_e6=inst.best_bid_e6, best_ask_e6=inst.best_ask_e6,
            vol_e6=0 if mark is None else mark.vol_e6, mark_time=0 if mark is None else mark.time,
            delta_wad=str(0 if mark is None else mark.delta), gamma_wad=str(0 if mark is None else mark.gamma),
            vega_wad=str(0 if mark is None else mark.vega), theta_wad=str(0 if mark is None else mark.theta),
            best_bid_size_e6=best_sizes[0], best_ask_size_e6=best_sizes[1],
            settlement_price_e6=0 if settlement is None else settlement.price_e6,
        )

    async def ListUnderlyings(self, request, context):
        """Every underlying (ids from 1 up to the first missing one) with its oracle state;
        ``series`` counts the series on its list (listed, not yet settled away: what
        ``MAX_INSTRUMENTS_PER_UNDERLYING`` bounds)."""
        view = self._view()
        out = [query_pb2.Underlying(
            underlying_id=underlying_id, name=u.name.decode(), index_e6=u.index_price_e6,
            oracle_time=u.oracle_time, series=len(u.instruments),
            oracle_sequence=u.oracle_sequence, observation_time=u.observation_time,
            surface=[query_pb2.VolSurfacePoint(expiry=p.expiry, atm_vol_e6=p.atm_vol_e6, skew_e6=p.skew_e6,
                                               curvature_e6=p.curvature_e6) for p in u.surface],
        ) for underlying_id, u in listed_underlyings(view)]
        return query_pb2.ListUnderlyingsResponse(underlyings=out, block_number=self.sequencer.head_number,
                                                 block_time=self.sequencer.head_time)

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
                                   block_time=self.sequencer.head_time,
                                   verifying_contract=self.sequencer.domain.verifying_contract)

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
            margin=margin_summary_pb(summary),
            underlyings=out, delta_wad=str(greeks.delta), gamma_wad=str(greeks.gamma), vega_wad=str(greeks.vega),
            theta_wad=str(greeks.theta), complete=summary.complete and greeks.complete,
            block_number=self.sequencer.head_number,
        )
