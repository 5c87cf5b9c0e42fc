"""``optrollup node --dev``: starts, prints its dev accounts, serves, stops cleanly on SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node.cli.main import build_parser
from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc

START_TIMEOUT_S = 60


def test_help_mentions_persistence_to_come(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["node", "--help"])
    out = capsys.readouterr().out
    assert "--data-dir" in out and "--listen" in out and "LMDB" in out


def test_dev_node_serves_and_stops():
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "node", "--dev", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines, deadline = [], time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("listening on "):
                break
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
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
