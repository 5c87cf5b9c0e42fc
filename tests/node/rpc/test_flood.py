"""One flooder must not starve the others: a real node, a flooding process (many
connections, many accounts, one address) and a normal trader on another address."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import grpc

from node.rpc.generated.optrollup.v1 import trading_pb2, trading_pb2_grpc
from node.rpc.server import DEFAULT_BURST, DEFAULT_RATE_PER_S
from node.sequencer.dev import DEV_DOMAIN, dev_key
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx
from tests.node.node_process import kill_if_running, start_node, target_of

TRADER_ORDERS = 100
TRADER_PAUSE_S = 0.02  # a trader, not a flooder: one order at a time, a pause between
SETTLE_S = 2.0  # the flooder's first burst is taken and sequenced before the trader measures
LOADED_P90_FACTOR = 3  # the flooding process and the node share the machine's cores with the trader
TIMEOUT_S = 10.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def p99(values: list[float]) -> float:
    return percentile(values, 0.99)


def trader_latencies_ms(stub, first_nonce: int) -> list[float]:
    """``TRADER_ORDERS`` IOC bids of alice, one at a time: submit-to-ack times (ms)."""
    key = dev_key("alice")
    latencies = []
    for i in range(TRADER_ORDERS):
        raw = sign_tx(key, PlaceOrder(first_nonce + i, 1 + i % 20, 0, 100_000, 100_000, 1, False, 0, 0), DEV_DOMAIN)
        started = time.perf_counter()
        stub.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=raw), timeout=TIMEOUT_S)
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(TRADER_PAUSE_S)
    return latencies


def test_a_flooder_does_not_starve_a_trader():
    """The flooder (tests/node/rpc/flooder.py: 8 connections from 127.0.0.2, 32 accounts,
    ~22,000 transactions/s offered, replays included) against a node with the default
    limits, and alice trading from 127.0.0.1. Her median ack time under the flood stays
    within the p99 of the unloaded runs (before and after the flood), her p90 within three times
    it (the flooder shares the machine's cores; a p99 of 100 orders is one outlier on a
    busy machine, so it is reported, not asserted); the flooder gets RESOURCE_EXHAUSTED and
    no more than its address's bucket allows."""
    node, lines = start_node("--no-oracle", "--no-market-maker", "--metrics", "off", drain=True)
    flooder = None
    try:
        target = target_of(lines)
        flooder = subprocess.Popen([sys.executable, "-m", "tests.node.rpc.flooder", target],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert flooder.stdout.readline().strip() == "READY"
        with grpc.insecure_channel(target) as channel:
            stub = trading_pb2_grpc.TradingStub(channel)
            before = trader_latencies_ms(stub, 0)
            flooder.stdin.write("go\n")
            flooder.stdin.flush()
            time.sleep(SETTLE_S)
            loaded = trader_latencies_ms(stub, TRADER_ORDERS)
            flooder.stdin.close()
            report = json.loads(flooder.stdout.readline())
            assert flooder.wait(30) == 0
            after = trader_latencies_ms(stub, 2 * TRADER_ORDERS)
    finally:
        if flooder is not None:
            kill_if_running(flooder)
        kill_if_running(node)
    unloaded_p99 = max(p99(before), p99(after))
    figures = dict(unloaded_p50_ms=round(statistics.median(before + after), 1), unloaded_p99_ms=round(unloaded_p99, 1),
                   loaded_p50_ms=round(statistics.median(loaded), 1), loaded_p90_ms=round(percentile(loaded, 0.9), 1),
                   loaded_p99_ms=round(p99(loaded), 1), **report)
    print(json.dumps(figures))
    assert statistics.median(loaded) <= unloaded_p99, figures
    assert percentile(loaded, 0.9) <= LOADED_P90_FACTOR * unloaded_p99, figures
    assert report["exhausted"] > report["sent"] // 2, figures
    # What passed the address's bucket (included, or refused at the door as a replay):
    # at most its burst and its rate over the flood (10% for the acks still in flight).
    passed = report["included"] + report["other"]
    assert passed <= 1.1 * (DEFAULT_BURST + DEFAULT_RATE_PER_S * report["seconds"]), figures
