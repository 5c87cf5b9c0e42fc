"""``optrollup status``, and ``optrollup node --dev`` end to end: live oracle, market maker, metrics."""

from __future__ import annotations

import json
import signal
import time
import urllib.request

import grpc

from node.cli.main import main
from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc, status_pb2, status_pb2_grpc
from tests.node.node_process import kill_if_running, start_node as _start


def test_json(node, capsys):
    assert main(["status", "--node", node.target, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["chain_id"] == 901 and out["head_number"] == node.sequencer.head_number
    assert out["head_root"] == "0x" + node.sequencer.head_root.hex()
    assert out["halted"] is False and out["durability"] == "memory" and out["mempool_depth"] == 0
    assert set(out) >= {"uptime_s", "tx_per_s", "version", "oracle_running", "market_maker_running", "metrics_url"}
    assert [(f["name"], f["index_e6"], f["stale"]) for f in out["oracle"]] == [("ETH", 3_000_000_000, False),
                                                                            ("BTC", 100_000_000_000, False)]
    assert out["oracle_stale"] is False


def test_table(node, capsys):
    assert main(["status", "--node", node.target]) == 0
    out = capsys.readouterr().out
    assert "chain id" in out and "901" in out and "running" in out
    assert f"head block    {node.sequencer.head_number}" in out and "tx/s (last minute)" in out
    assert "index ETH     3000, updated 0s ago\n" in out and "index BTC     100000, updated 0s ago\n" in out


def test_unreachable_node(capsys):
    assert main(["status", "--node", "127.0.0.1:1", "--timeout", "2"]) == 1
    assert "UNAVAILABLE" in capsys.readouterr().err


def test_dev_node_has_a_live_market_and_metrics():
    proc, lines = _start("--metrics", "127.0.0.1:0", "--oracle-interval", "0.2", "--oracle-seed", "4",
                         "--log-format", "json")
    try:
        assert lines and lines[-1].startswith("listening on "), lines
        metrics_url = next(line.split()[-1] for line in lines if line.startswith("metrics on "))
        assert any('"msg":"node started"' in line and '"chain_id":901' in line for line in lines), lines
        target = lines[-1].split()[-1]
        with grpc.insecure_channel(target) as channel:
            query = query_pb2_grpc.QueryStub(channel)
            first = {i.instrument_id: i.mark_e6 for i in
                     query.ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=10).instruments}
            deadline, listed = time.monotonic() + 30, []
            while time.monotonic() < deadline:  # the oracle moves the marks; the maker quotes them
                listed = query.ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=10).instruments
                if (all(i.best_ask_e6 > 0 for i in listed)
                        and sum(i.mark_e6 != first[i.instrument_id] for i in listed) >= 30):
                    break
                time.sleep(0.2)
            assert all(i.best_ask_e6 > i.mark_e6 for i in listed)
            assert sum(0 < i.best_bid_e6 < i.mark_e6 for i in listed) >= 40
            assert sum(i.mark_e6 != first[i.instrument_id] for i in listed) >= 30
            status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=10)
            assert status.oracle_running and status.market_maker_running and status.dev
            assert status.metrics_url == metrics_url and status.tx_per_s > 0
        with urllib.request.urlopen(metrics_url, timeout=10) as response:
            text = response.read().decode()
        assert 'optrollup_transactions_total{outcome="OK"}' in text and "optrollup_head_block" in text
        assert "optrollup_stream_subscribers 0.0" in text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)


def test_an_explicit_metrics_address_must_bind():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, lines = _start("--metrics", f"127.0.0.1:{port}", "--no-oracle", "--no-market-maker")
        try:
            assert proc.wait(30) == 1
            assert any("metrics: cannot listen on" in line for line in lines + proc.stdout.readlines())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
