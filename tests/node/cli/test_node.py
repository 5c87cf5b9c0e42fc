"""``optrollup node --dev``: starts, prints its dev accounts, serves, stops cleanly on SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node.cli.main import build_parser
from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc
from tests.node.node_process import kill_if_running, start_node as _start, target_of

QUIET = ("--no-oracle", "--no-market-maker", "--metrics", "off")  # the head moves only with our orders


def test_help_mentions_persistence(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["node", "--help"])
    out = capsys.readouterr().out
    assert "--data-dir" in out and "--listen" in out and "LMDB" in out


def test_dev_node_serves_and_stops():
    proc, lines = _start()
    try:
        assert lines and lines[-1].startswith("listening on 127.0.0.1:"), lines
        assert sum("address 0x" in line and "key 0x" in line for line in lines) == 4
        target = lines[-1].split()[-1]
        with grpc.insecure_channel(target) as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            listed = query_pb2_grpc.QueryStub(channel).ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=10)
            assert len(listed.instruments) == 60 and all(i.mark_e6 > 0 for i in listed.instruments)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)


def test_dev_node_with_a_data_dir_resumes_where_it_was(tmp_path):
    from node.rpc.generated.optrollup.v1 import trading_pb2, trading_pb2_grpc
    from node.sequencer.dev import DEV_DOMAIN, dev_key
    from node.stf.txtypes import PlaceOrder
    from node.wallet import address_of, sign_tx

    data_dir = str(tmp_path / "chain")
    alice = dev_key("alice")
    proc, lines = _start("--data-dir", data_dir, "--keep-blocks", "1", *QUIET)
    try:
        assert lines[-1].startswith("listening on "), lines
        with grpc.insecure_channel(lines[-1].split()[-1]) as channel:
            query = query_pb2_grpc.QueryStub(channel)
            inst = query.ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=10).instruments[0]
            order = PlaceOrder(7, inst.instrument_id, 0, inst.tick_size_e6, inst.min_size_e6, 0, False, 0, 0)
            raw = sign_tx(alice, order, DEV_DOMAIN)
            sent = trading_pb2_grpc.TradingStub(channel).SubmitTransaction(
                trading_pb2.SubmitRequest(raw_tx=raw), timeout=10)
            assert sent.receipt.rested_e6 == inst.min_size_e6
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)
    from node.store import BlockStore, StatePruned

    with BlockStore(data_dir) as store:  # --keep-blocks 1: the head's state and the one before
        head = store.head().number
        assert head >= 2 and store.finalized_through_block() == head - 1
        assert store.state_backend_at(head - 1).root() == store.header(head - 1).state_root
        with pytest.raises(StatePruned):
            store.state_backend_at(head - 2)

    proc, lines = _start("--data-dir", data_dir, *QUIET)
    try:
        assert any(line.startswith(f"resumed from {data_dir} at block {sent.block_number}") for line in lines), lines
        with grpc.insecure_channel(lines[-1].split()[-1]) as channel:
            query = query_pb2_grpc.QueryStub(channel)
            receipt = query.GetReceipt(query_pb2.ReceiptRequest(tx_hash=sent.tx_hash), timeout=10)
            assert receipt.rested_e6 == inst.min_size_e6
            orders = query.GetOpenOrders(query_pb2.AccountRequest(address=address_of(alice)), timeout=10)
            assert len(orders.orders) == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)


def _run_second(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli.main", *args], capture_output=True, text=True, timeout=120)


def test_busy_ports_stop_a_second_process_with_a_clear_message():
    """gRPC would share a port in use (SO_REUSEPORT) and split the clients between two nodes:
    a second node on the first's gRPC port, or its metrics port, and an L1 devnet on it, exit 1."""
    proc, lines = _start("--no-oracle", "--no-market-maker", "--metrics", "127.0.0.1:0")
    try:
        target = target_of(lines)
        metrics = next(line.split()[-1] for line in lines if line.startswith("metrics on "))
        metrics_address = metrics.removeprefix("http://").removesuffix("/metrics")
        second = _run_second("node", "--dev", "--listen", target, "--metrics", "off")
        assert second.returncode == 1, second.stdout + second.stderr
        assert f"cannot listen on {target}: the address is in use" in second.stderr
        assert "Traceback" not in second.stderr and "listening on" not in second.stdout
        second = _run_second("node", "--dev", "--listen", "127.0.0.1:0", "--metrics", metrics_address, *QUIET[:2])
        assert second.returncode == 1 and f"metrics: cannot listen on {metrics_address}" in second.stderr
        second = _run_second("l1", "--listen", target)
        assert second.returncode == 1 and f"cannot listen on {target}" in second.stderr
        with grpc.insecure_channel(target) as channel:  # the first node still serves, alone
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)
