"""``optrollup status [--node ADDR] [--json]``: a running node's status (``Node.GetStatus``).

Prints a table (chain, head, mempool, throughput over the last minute, uptime, storage, dev
tasks, metrics endpoint) or, with ``--json``, one JSON object with the same fields as
``status.proto`` (``head_root`` as 0x-hex). Exit codes: 0 when the node answered and is not
halted, 1 when it is unreachable or halted, 2 for bad usage (argparse).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Final

import grpc

from node.rpc.generated.optrollup.v1 import status_pb2, status_pb2_grpc

ENV_NODE: Final = "OPTROLLUP_NODE"
DEFAULT_NODE: Final = "127.0.0.1:50051"
TIMEOUT_S: Final = 5.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="show a running node's status",
        description="Show a node's status: chain id, head block, mempool depth, transactions per second "
                    "over the last minute, uptime, storage, whether it halted (and why), the dev tasks.")
    parser.add_argument("--node", metavar="ADDR", default=None,
                        help=f"node gRPC address (default ${ENV_NODE} or {DEFAULT_NODE})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="S",
                        help=f"seconds to wait for the node (default {TIMEOUT_S:g})")
    parser.set_defaults(func=run)


def as_dict(status: status_pb2.StatusResponse) -> dict:
    out = _node_dict(status)
    if status.HasField("l1"):  # every L1Status field, by its proto name
        out["l1"] = {field.name: getattr(status.l1, field.name) for field in status.l1.DESCRIPTOR.fields}
    out["oracle"] = [{field.name: getattr(feed, field.name) for field in feed.DESCRIPTOR.fields}
                     for feed in status.oracle]
    out["oracle_stale"] = status.oracle_stale
    return out


def _node_dict(status: status_pb2.StatusResponse) -> dict:
    return {
        "chain_id": status.chain_id, "head_number": status.head_number, "head_time": status.head_time,
        "head_root": "0x" + status.head_root.hex(), "mempool_depth": status.mempool_depth,
        "uptime_s": round(status.uptime_s, 3), "tx_per_s": round(status.tx_per_s, 3), "version": status.version,
        "durability": status.durability, "data_dir": status.data_dir, "halted": status.halted,
        "halt_reason": status.halt_reason, "oracle_running": status.oracle_running,
        "market_maker_running": status.market_maker_running, "metrics_url": status.metrics_url, "dev": status.dev,
    }


def _uptime(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _feed(feed: status_pb2.OracleFeed) -> str:
    if not feed.oracle_time:
        return "never priced (STALE)"
    price = f"{feed.index_e6 // 10**6}.{feed.index_e6 % 10**6:06d}".rstrip("0").rstrip(".")
    return f"{price}, updated {feed.age_s}s ago" + (" (STALE: trading goes on at the last marks)" if feed.stale else "")


def table(status: status_pb2.StatusResponse, node: str) -> str:
    import datetime

    head_time = datetime.datetime.fromtimestamp(status.head_time, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows = [
        ("node", node),
        ("chain id", f"{status.chain_id}" + (" (development)" if status.dev else "")),
        ("state", f"HALTED: {status.halt_reason}" if status.halted else "running"),
        ("head block", f"{status.head_number}  at {head_time}"),
        ("head root", "0x" + status.head_root.hex()),
        ("mempool", f"{status.mempool_depth} txs"),
        ("throughput", f"{status.tx_per_s:.2f} tx/s (last minute)"),
        ("uptime", _uptime(status.uptime_s)),
        ("storage", "memory" if not status.data_dir else f"{status.data_dir} (durability {status.durability})"),
        ("dev oracle", "running" if status.oracle_running else "off"),
        *((f"index {feed.name}", _feed(feed)) for feed in status.oracle),
        ("market maker", "running" if status.market_maker_running else "off"),
        ("metrics", status.metrics_url or "off"),
        ("version", status.version),
    ]
    if status.HasField("l1"):
        l1 = status.l1
        rows.append(("L1", f"{l1.role} on {l1.l1_url}, L1 block {l1.l1_block}; {l1.deposits} deposits, "
                           f"{l1.forced} forced txs seen"))
        if l1.role == "sequencer":
            rows.append(("batches", f"{l1.batches} posted (through L2 block {l1.last_batched_l2_block}), "
                                    f"{l1.roots} roots proposed, {l1.roots_final} final, "
                                    f"{l1.bonds_returned} bonds returned"))
            if l1.l1_txs_in_flight or l1.fee_bumps:
                rows.append(("L1 txs", f"{l1.l1_txs_in_flight} in flight, {l1.fee_bumps} fee bumps"))
        else:
            rows.append(("batches", f"{l1.batches} derived, {l1.roots} roots checked, {l1.mismatches} MISMATCHES"
                         if l1.mismatches else f"{l1.batches} derived, {l1.roots} roots checked, all match"))
            if l1.last_mismatch:
                rows.append(("last mismatch", l1.last_mismatch))
            if l1.stopped:
                rows.append(("follower", "STOPPED (L1 reorganisation deeper than its confirmations)"))
        if l1.last_error:
            rows.append(("L1 error", l1.last_error))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def fetch(node: str, timeout: float = TIMEOUT_S) -> status_pb2.StatusResponse:
    with grpc.insecure_channel(node) as channel:
        return status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=timeout)


def run(args: argparse.Namespace) -> int:
    node = args.node or os.environ.get(ENV_NODE) or DEFAULT_NODE
    try:
        status = fetch(node, args.timeout)
    except grpc.RpcError as exc:
        print(f"optrollup status: {node}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(as_dict(status), indent=2))
    else:
        print(table(status, node))
    return 1 if status.halted else 0
