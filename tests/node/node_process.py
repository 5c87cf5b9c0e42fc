"""The real ``optrollup node --dev`` as a child process, for end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

START_TIMEOUT_S = 60


def start_node(*args: str, drain: bool = False, timeout_s: float = START_TIMEOUT_S) -> tuple[subprocess.Popen, list[str]]:
    """Start ``optrollup node --dev --listen 127.0.0.1:0 ARGS``; return it and its output up to
    the ``listening on`` line (the last line, unless it exited first). With ``drain`` a thread
    then keeps reading the pipe, so a node that logs a lot never blocks on a full stdout."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "node", "--dev", "--listen", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("listening on "):
            if drain:
                threading.Thread(target=proc.stdout.read, daemon=True).start()
            break
    return proc, lines


def target_of(lines: list[str]) -> str:
    """The ``host:port`` the node printed, or an AssertionError with its output."""
    if not lines or not lines[-1].startswith("listening on "):
        raise AssertionError(f"the node did not start: {lines}")
    return lines[-1].split()[-1]


def kill_if_running(proc: subprocess.Popen) -> None:
    """SIGKILL the node if it is still running (a test's ``finally``), and reap it."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
