"""``optrollup prices``, ``oracle`` and ``lister`` as real processes beside ``optrollup node --dev --no-oracle``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from node.client import Client
from tests.node.node_process import kill_if_running, start_node, target_of

TIMEOUT_S = 60


def optrollup(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "node.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def read_until(proc: subprocess.Popen, needle: str, lines: list[str]) -> str:
    """Wait for a line containing ``needle``; a thread drains the process's output into ``lines``
    (so a chatty process never blocks on a full pipe)."""
    if not lines:
        lines.append("")  # the drain started
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = next((line for line in list(lines) if needle in line), None)
        if found is not None:
            return found
        if proc.poll() is not None and not any(needle in line for line in list(lines)):
            time.sleep(0.2)  # the last lines may still be in the drain
            if not any(needle in line for line in list(lines)):
                break
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not seen: {''.join(lines)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_prices_oracle_and_lister_processes_run_a_dev_chain(tmp_path) -> None:
    node, lines = start_node("--no-oracle", "--no-market-maker", "--metrics", "off", drain=True)
    procs = [node]
    try:
        target = target_of(lines)
        prices = optrollup("prices", "--listen", "127.0.0.1:0", "--interval", "0.2", "--speed", "20",
                           "--from-node", target)
        procs.append(prices)
        url = read_until(prices, "prices: serving", []).split()[2]  # (its output is drained from here on)
        status_port = free_port()
        oracle = optrollup("oracle", "--node", target, "--dev-key", "--source", f"http:{url}", "--interval", "0.3",
                           "--max-age", "3", "--status-listen", f"127.0.0.1:{status_port}")
        procs.append(oracle)
        out: list[str] = []
        read_until(oracle, "oracle: ETH index", out)
        read_until(oracle, "oracle: BTC index", out)
        code, status = get(f"http://127.0.0.1:{status_port}/status")
        assert code == 200 and status["underlyings"]["ETH"]["posted"] >= 1 and status["healthy"]
        assert get(f"http://127.0.0.1:{status_port}/health") == (200, {"healthy": True})
        prices.terminate()  # the feed stops: the chain's index stays where it is
        prices.wait(10)
        read_until(oracle, "ETH withheld (stale)", out)
        deadline = time.monotonic() + 10
        while get(f"http://127.0.0.1:{status_port}/health")[0] != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        code, status = get(f"http://127.0.0.1:{status_port}/status")
        assert code == 200 and not status["healthy"] and status["underlyings"]["ETH"]["state"] == "withheld: stale"
        with Client(target) as client:
            chain, _ = client.underlyings()
            assert all(u.oracle_sequence > 1 for u in chain)
            before = len(client.instruments())
            password = tmp_path / "pw"
            password.write_text("a long passphrase\n")
            keys = ["--keys-dir", str(tmp_path / "keys"), "--password-file", str(password)]
            created = subprocess.run([sys.executable, "-m", "node.cli.main", "keys", "create", "stranger", *keys],
                                     capture_output=True, text=True, timeout=TIMEOUT_S)
            assert created.returncode == 0, created.stderr
            stranger = subprocess.run([sys.executable, "-m", "node.cli.main", "lister", "--node", target, "--key",
                                       "stranger", *keys, "--once"], capture_output=True, text=True, timeout=TIMEOUT_S)
            assert stranger.returncode == 1 and "as its admin key (UNAUTHORISED_SIGNER)" in stranger.stderr, (
                stranger.stdout + stranger.stderr)
            lister = [sys.executable, "-m", "node.cli.main", "lister", "--node", target, "--dev-key", "--once"]
            listed = subprocess.run(lister, capture_output=True, text=True, timeout=TIMEOUT_S)
            assert listed.returncode == 0, listed.stderr
            added = int(listed.stdout.split("lister pass: ")[1].split()[0])
            assert added > 0 and len(client.instruments()) == before + added
            again = subprocess.run(lister, capture_output=True, text=True, timeout=TIMEOUT_S)  # a restart
            assert "lister pass: 0 listed" in again.stdout, again.stdout + again.stderr
            assert len(client.instruments()) == before + added
            after, _ = client.underlyings()  # nothing posted while the feed is down
            assert [(u.index_e6, u.oracle_sequence) for u in after] == [(u.index_e6, u.oracle_sequence) for u in chain]
        oracle.terminate()
        assert oracle.wait(10) == 0
    finally:
        for proc in procs:
            kill_if_running(proc)


def test_bad_input_is_one_line() -> None:
    no_source = subprocess.run([sys.executable, "-m", "node.cli.main", "oracle", "--dev-key"],
                               capture_output=True, text=True, timeout=TIMEOUT_S)
    assert no_source.returncode == 2 and "no source" in no_source.stderr and "Traceback" not in no_source.stderr
    bad = subprocess.run([sys.executable, "-m", "node.cli.main", "oracle", "--dev-key", "--source", "ftp:x"],
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    assert bad.returncode == 2 and "unknown kind 'ftp'" in bad.stderr
    no_key = subprocess.run([sys.executable, "-m", "node.cli.main", "lister", "--once"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert no_key.returncode == 2 and "no key" in no_key.stderr
    start = subprocess.run([sys.executable, "-m", "node.cli.main", "prices", "--start", "ETH=abc"],
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    assert start.returncode == 2 and "NAME=INDEX:VOL" in start.stderr
