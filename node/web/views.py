"""The read endpoints' JSON (``node/web/API.md``, section Reads), built from Query / Node answers.

Every function takes the ``Upstream`` (the node's public gRPC API) and returns plain JSON
values; nothing here computes a trading rule: marks, vols, Greeks, margin and the worst
scenario are the node's, only rescaled to decimal strings (``units``). Position Greeks are the
node's per-contract Greeks times the size (truncated toward zero), P&L is ``node.pnl`` over the
account's fills (as ``optrollup positions``).
"""

from __future__ import annotations

from typing import Any, Final

from node.client import LIQUIDITY_NAMES, ORDER_STATUS_NAMES
from node.pnl import series_pnl
from node.rpc.generated.optrollup.v1 import query_pb2, status_pb2
from node.web.units import ApiError, e6, hex0x, ratio, side_name, wad
from node.web.upstream import Upstream

E6: Final = 10**6
COLLATERAL: Final = {"symbol": "USDC", "decimals": 6}
ACCOUNT_FILLS: Final = 100
HISTORY_PAGES: Final = 5  # an account's P&L reads at most 5 pages of 1000 entries


def _or_none(text: str, present: bool) -> str | None:
    return text if present else None


def series_json(i: query_pb2.Instrument) -> dict[str, Any]:
    """One series as in ``/api/chain`` (``mark``, ``iv``, Greeks null before the first mark)."""
    marked = i.mark_time > 0
    return {
        "id": i.instrument_id, "name": i.name, "strike": e6(i.strike_e6), "strike_raw": str(i.strike_e6),
        "type": "call" if i.is_call else "put", "expiry": i.expiry,
        "mark": _or_none(e6(i.mark_e6), marked), "mark_raw": _or_none(str(i.mark_e6), marked),
        "iv": _or_none(e6(i.vol_e6), marked),
        "bid": _or_none(e6(i.best_bid_e6), i.best_bid_e6 > 0), "bid_raw": _or_none(str(i.best_bid_e6), i.best_bid_e6 > 0),
        "bid_size": _or_none(e6(i.best_bid_size_e6), i.best_bid_e6 > 0),
        "ask": _or_none(e6(i.best_ask_e6), i.best_ask_e6 > 0), "ask_raw": _or_none(str(i.best_ask_e6), i.best_ask_e6 > 0),
        "ask_size": _or_none(e6(i.best_ask_size_e6), i.best_ask_e6 > 0),
        "delta": _or_none(wad(i.delta_wad or 0), marked), "gamma": _or_none(wad(i.gamma_wad or 0), marked),
        "vega": _or_none(wad(i.vega_wad or 0), marked), "theta": _or_none(wad(i.theta_wad or 0), marked),
    }


def expiry_label(name: str) -> str:
    """``ETH-11DEC26-3000-C`` -> ``11DEC26``."""
    parts = name.split("-")
    return parts[1] if len(parts) == 4 else ""


def head_json(number: int, root: bytes, time: int) -> dict[str, Any]:
    return {"number": number, "hash": hex0x(root), "time": time}


async def info(up: Upstream, *, dev_keys: bool) -> dict[str, Any]:
    status: status_pb2.StatusResponse = await up.status()
    chain = await up.chain_info()
    follower = status.HasField("l1") and status.l1.role == "follower"
    return {
        "chain_id": status.chain_id, "mode": "follower" if follower else "sequencer", "dev": status.dev,
        "read_only": follower, "head": head_json(status.head_number, status.head_root, status.head_time),
        "collateral": dict(COLLATERAL),
        "domain": {"name": "OptRollup", "version": "1", "chainId": chain.chain_id,
                   "verifyingContract": hex0x(chain.verifying_contract)},
        "version": status.version, "l1": status.HasField("l1"), "tps": ratio(round(status.tx_per_s * 100), 100),
        "halted": status.halted, "dev_keys": dev_keys,
    }


def underlying_json(u: query_pb2.Underlying) -> dict[str, Any]:
    return {"id": u.underlying_id, "name": u.name, "index": e6(u.index_e6), "index_raw": str(u.index_e6),
            "time": u.oracle_time, "series": u.series,
            "surface": [{"expiry": p.expiry, "atm_vol": e6(p.atm_vol_e6), "skew": e6(p.skew_e6),
                         "curvature": e6(p.curvature_e6)} for p in u.surface]}


async def underlyings(up: Upstream) -> list[dict[str, Any]]:
    return [underlying_json(u) for u in (await up.underlyings()).underlyings]


async def find_underlying(up: Upstream, name: Any) -> query_pb2.Underlying:
    """The underlying called ``name`` (any case) or with this id; 400 / 404 ``unknown_underlying``."""
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "bad_request", "underlying: give ?underlying=NAME (e.g. ETH)")
    text = name.strip().upper()
    for u in (await up.underlyings()).underlyings:
        if u.name.upper() == text or (text.isdigit() and int(text) == u.underlying_id):
            return u
    raise ApiError(404, "unknown_underlying", f"unknown underlying {name!r}")


async def chain(up: Upstream, name: Any) -> dict[str, Any]:
    u = await find_underlying(up, name)
    listed = await up.call(up.query.ListInstruments, query_pb2.ListInstrumentsRequest(underlying_id=u.underlying_id))
    by_expiry: dict[int, list[query_pb2.Instrument]] = {}
    for i in listed.instruments:
        by_expiry.setdefault(i.expiry, []).append(i)
    expiries = [
        {"expiry": expiry, "label": expiry_label(series[0].name),
         "series": [series_json(i) for i in sorted(series, key=lambda i: (i.strike_e6, not i.is_call))]}
        for expiry, series in sorted(by_expiry.items())
    ]
    return {"underlying": u.name, "index": e6(u.index_e6), "index_raw": str(u.index_e6), "time": u.oracle_time,
            "block": listed.block_number, "expiries": expiries}


async def index_history(up: Upstream, name: Any) -> list[dict[str, Any]]:
    """The underlying's index at each of its last oracle updates (``Query.GetIndexHistory``), oldest first."""
    u = await find_underlying(up, name)
    pb = await up.call(up.query.GetIndexHistory, query_pb2.IndexHistoryRequest(underlying_id=u.underlying_id),
                       code_404="unknown_underlying")
    return [{"time": p.time, "index": e6(p.index_e6), "index_raw": str(p.index_e6)} for p in pb.points]


async def instrument(up: Upstream, ref: Any) -> dict[str, Any]:
    i = await up.instrument(ref)
    head = await up.chain_info()
    return {**series_json(i), "underlying": i.underlying, "underlying_id": i.underlying_id,
            "label": expiry_label(i.name), "tick": e6(i.tick_size_e6), "tick_raw": str(i.tick_size_e6),
            "min_size": e6(i.min_size_e6), "min_size_raw": str(i.min_size_e6),
            "settled": i.expiry <= head.block_time, "settlement_price": _or_none(e6(i.settlement_price_e6),
                                                                                  i.settlement_price_e6 > 0),
            "block": head.block_number}


def levels_json(levels) -> list[dict[str, Any]]:
    return [{"price": e6(level.price_e6), "price_raw": str(level.price_e6), "size": e6(level.size_e6),
             "size_raw": str(level.size_e6), "orders": level.order_count} for level in levels]


def book_json(instrument_id: int, name: str, block: int, seq: int, bids, asks) -> dict[str, Any]:
    return {"instrument": instrument_id, "name": name, "block": block, "seq": seq,
            "bids": levels_json(bids), "asks": levels_json(asks)}


async def book(up: Upstream, ref: Any, depth: int = 20, seq: int = 0) -> dict[str, Any]:
    inst = await up.resolve(ref)
    pb = await up.call(up.query.GetOrderBook, query_pb2.OrderBookRequest(instrument_id=inst.instrument_id, depth=depth),
                       code_404="unknown_instrument")
    return book_json(inst.instrument_id, inst.name, pb.block_number, seq, pb.bids, pb.asks)


def trade_json(t) -> dict[str, Any]:
    return {"time": t.timestamp, "block": t.block_number, "price": e6(t.price_e6), "price_raw": str(t.price_e6),
            "size": e6(t.size_e6), "size_raw": str(t.size_e6), "taker_side": side_name(t.taker_side),
            "tx": hex0x(t.tx_hash)}


async def trades(up: Upstream, ref: Any, limit: int = 50) -> list[dict[str, Any]]:
    inst = await up.resolve(ref)
    pb = await up.call(up.query.GetRecentTrades, query_pb2.RecentTradesRequest(instrument_id=inst.instrument_id,
                                                                                 limit=limit), code_404="unknown_instrument")
    return [trade_json(t) for t in pb.trades]


def _times(size_e6: int, per_contract_wad: str) -> int:
    """``size x greek`` (contracts e6 x WAD -> WAD), truncated toward zero."""
    product = size_e6 * int(per_contract_wad or 0)
    return product // E6 if product >= 0 else -((-product) // E6)


def next_nonce(floor: int, bitmap: bytes) -> int:
    """The lowest nonce at or above ``floor`` the replay window does not mark used."""
    used = int.from_bytes(bitmap, "big") if bitmap else 0
    offset = 0
    while used >> offset & 1:
        offset += 1
    return floor + offset


async def account(up: Upstream, address: bytes) -> dict[str, Any]:
    request = query_pb2.AccountRequest(address=address)
    acct = await up.call(up.query.GetAccount, request)
    held = await up.call(up.query.GetPositions, request)
    open_orders = await up.call(up.query.GetOpenOrders, request)
    risk = await up.call(up.query.GetRisk, request)
    listed = {i.instrument_id: i for i in (await up.instruments()).instruments}
    entries, before = [], 0
    for _ in range(HISTORY_PAGES):
        page = await up.call(up.query.GetAccountHistory,
                             query_pb2.AccountHistoryRequest(address=address, limit=1000, before_position=before))
        entries.extend(page.entries)
        before = page.next_before_position
        if not before:
            break
    fills = [(e, f) for e in entries for f in e.fills]  # newest first
    rows = {r.instrument_id: r for r in series_pnl(
        [(f.instrument_id, f.side, f.price_e6, f.size_e6, f.fee_e6) for _, f in reversed(fills)],
        {i: inst.mark_e6 for i, inst in listed.items()})}
    positions = []
    for p in held.positions:
        inst = listed.get(p.instrument_id)
        row = rows.get(p.instrument_id)
        greeks = {g: wad(_times(p.size_e6, getattr(inst, f"{g}_wad") if inst else "0"))
                  for g in ("delta", "gamma", "vega", "theta")}
        positions.append({
            "id": p.instrument_id, "name": p.name, "size": e6(p.size_e6), "size_raw": str(p.size_e6),
            "mark": e6(p.mark_e6), "value": e6(p.value_e6),
            "avg_entry": e6(row.avg_entry_e6) if row else None, "unrealised": e6(row.unrealised_e6) if row else None,
            "realised": e6(row.realised_e6) if row else None, "fees": e6(row.fees_e6) if row else None, **greeks,
        })
    worst = max(risk.underlyings, key=lambda u: u.maintenance_e6, default=None)
    m = acct.margin
    return {
        "address": hex0x(address), "block": acct.block_number, "balance": e6(acct.balance_e6),
        "balance_raw": str(acct.balance_e6), "equity": e6(m.equity_e6), "value": e6(m.value_e6),
        "initial": e6(m.initial_e6), "maintenance": e6(m.maintenance_e6), "available": e6(m.available_e6),
        "complete": m.complete, "worst_scenario": worst.worst_scenario if worst and worst.maintenance_e6 else "",
        "nonce_floor": acct.nonce_floor, "next_nonce": next_nonce(acct.nonce_floor, acct.nonce_bitmap),
        "greeks": {g: wad(getattr(risk, f"{g}_wad") or 0) for g in ("delta", "gamma", "vega", "theta")},
        "pnl_complete": not before,
        "positions": positions,
        "orders": [{"order_id": o.order_id, "client_id": o.client_order_id, "id": o.instrument_id, "name": o.name,
                    "side": side_name(o.side), "price": e6(o.price_e6), "size": e6(o.remaining_e6),
                    "remaining": e6(o.remaining_e6), "reduce_only": o.reduce_only, "expiry": o.expiry}
                   for o in open_orders.orders],
        "fills": [{"time": e.timestamp, "block": e.block_number, "id": f.instrument_id,
                   "name": listed[f.instrument_id].name if f.instrument_id in listed else str(f.instrument_id),
                   "side": side_name(f.side), "price": e6(f.price_e6), "size": e6(f.size_e6), "fee": e6(f.fee_e6),
                   "role": f.liquidity, "order_id": f.order_id, "tx": hex0x(e.tx_hash)}
                  for e, f in fills[:ACCOUNT_FILLS]],
    }


async def rollup(up: Upstream, limit: int = 20) -> dict[str, Any]:
    status = await up.status()
    pb = await up.call(up.query.GetRollup, query_pb2.RollupRequest(limit=limit))
    out: dict[str, Any] = {
        "available": pb.available, "head": head_json(status.head_number, status.head_root, status.head_time),
        "tps": ratio(round(status.tx_per_s * 100), 100), "l1": None,
    }
    if status.HasField("l1"):
        l1 = status.l1
        out["l1"] = {"role": l1.role, "l1_block": l1.l1_block, "batches": l1.batches, "roots": l1.roots,
                     "roots_final": l1.roots_final, "last_batched_l2_block": l1.last_batched_l2_block,
                     "deposits": l1.deposits, "forced": l1.forced, "mismatches": l1.mismatches,
                     "last_error": l1.last_error, "stopped": l1.stopped}
    if pb.available:
        out.update(l1_block=pb.l1_block, l1_time=pb.l1_time, challenge_window_s=pb.challenge_window_s,
                   batch_count=pb.batch_count, root_count=pb.root_count)
    out["batches"] = [{"index": b.index, "l1_block": b.l1_block, "l1_time": b.l1_time, "first_block": b.first_l2_block,
                       "last_block": b.last_l2_block, "txs": b.txs, "bytes": b.bytes,
                       "bytes_per_tx": ratio(b.bytes, b.txs) if b.txs else None} for b in pb.batches]
    out["roots"] = [{"index": r.index, "batch": r.batch_index, "l2_block": r.last_l2_block, "root": hex0x(r.state_root),
                     "proposed_at": r.proposed_at, "final_at": r.final_at, "final": r.final,
                     "proposer": hex0x(r.proposer), "bond_returned": r.bond_returned} for r in pb.roots]
    out["withdrawals"] = [{"index": w.index, "sender": hex0x(w.sender), "recipient": hex0x(w.recipient),
                           "amount": e6(w.amount_e6), "amount_raw": str(w.amount_e6), "l2_block": w.block_number,
                           "claimed": w.claimed if pb.available else None,
                           "root": w.root_index if w.rooted else None, "final_at": w.final_at if w.rooted else None}
                          for w in pb.withdrawals]
    out["deposits_in_flight"] = [{"index": d.index, "recipient": hex0x(d.recipient), "amount": e6(d.amount_e6),
                                  "amount_raw": str(d.amount_e6), "l1_block": d.l1_block, "deadline": d.deadline}
                                 for d in pb.deposits_in_flight]
    out["disputes"] = [{"game": d.game, "root_index": d.root_index, "state_root": hex0x(d.state_root),
                        "defender": hex0x(d.defender), "challenger": hex0x(d.challenger), "status": d.status,
                        "depth": d.depth if d.declared else None,
                        "range": [d.lo, d.hi] if d.declared else None,
                        "position": d.position if d.declared else None, "turn": d.turn or None,
                        "clock_left_s": {"defender": d.defender_clock_left_s,
                                         "challenger": d.challenger_clock_left_s},
                        "bond": wad(d.bond_wei), "bond_wei": d.bond_wei, "moves": d.moves} for d in pb.disputes]
    out["forced_queue"] = [{"index": f.index, "tx": hex0x(f.tx_hash), "l1_block": f.l1_block, "deadline": f.deadline}
                           for f in pb.forced_queue]
    return out


def account_event_json(pb, names: dict[int, str]) -> dict[str, Any]:
    """One ``Stream.SubscribeAccount`` event as the ``account`` channel's data."""
    common = {"time": pb.timestamp, "block": pb.block_number, "tx": hex0x(pb.tx_hash)}
    if pb.WhichOneof("event") == "fill":
        f = pb.fill
        return {"type": "fill", **common, "order_id": f.order_id, "id": f.instrument_id,
                "name": names.get(f.instrument_id, str(f.instrument_id)), "side": side_name(f.side),
                "price": e6(f.price_e6), "size": e6(f.size_e6), "fee": e6(f.fee_e6),
                "role": LIQUIDITY_NAMES.get(f.liquidity, "unspecified"), "counterparty": hex0x(f.counterparty)}
    o = pb.order
    return {"type": "order", **common, "order_id": o.order_id, "id": o.instrument_id,
            "name": names.get(o.instrument_id, str(o.instrument_id)), "side": side_name(o.side),
            "price": e6(o.price_e6), "status": ORDER_STATUS_NAMES.get(o.status, "unspecified"),
            "filled": e6(o.filled_e6), "remaining": e6(o.remaining_e6), "reason": o.reason_name}
