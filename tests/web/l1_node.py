"""An L1 devnet (``optrollup l1``) and a sequencer (``optrollup node --dev --l1 ... --web``) as
child processes, as ``optrollup devnet`` starts them, for the rollup view's browser test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bridge.deploy import compile_all
from tests.web.conftest import WebNode

L1_START_TIMEOUT_S = 900  # a first start compiles every contract (cached on disk after)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class L1Rollup:
    """``l1_url``, ``node`` (a WebNode: ``url``, ``grpc``); ``close()`` stops both."""

    def __init__(self, data_dir: Path) -> None:
        compile_all()  # the L1 deploys these: compiled here (cached on disk), outside its start-up time
        port = free_port()
        self.l1_url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        ready = threading.Event()
        self.l1 = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "l1", "--data-dir", str(data_dir / "l1"), "--listen",
             f"127.0.0.1:{port}", "--block-time", "0.25"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})

        def read() -> None:
            for line in self.l1.stdout:
                self.lines.append(line.rstrip("\n"))
                if "l1 ready" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + L1_START_TIMEOUT_S
        while not ready.wait(0.5):
            if self.l1.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise AssertionError("the L1 did not start:\n" + "\n".join(self.lines[-30:]))
        self.node = WebNode("--l1", self.l1_url, "--deployment", str(data_dir / "l1" / "deployment.json"),
                            "--confirmations", "1", "--batch-interval", "0.5", "--data-dir", str(data_dir / "node"))

    def close(self) -> None:
        node = getattr(self, "node", None)
        if node is not None:
            node.close()
        if self.l1.poll() is None:
            self.l1.kill()
            self.l1.wait(10)
