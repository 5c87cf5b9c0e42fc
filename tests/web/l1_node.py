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


class Follower:
    """``optrollup node --follow ... --web 127.0.0.1:0``: a read replica with its page (``url``)."""

    def __init__(self, l1_url: str, deployment: str, data_dir: Path, sequencer: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "node", "--follow", "--l1", l1_url, "--deployment", deployment,
             "--confirmations", "1", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0",
             "--sequencer-node", sequencer, "--metrics", "off", "--web", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: list[str] = []
        self.url = self.grpc = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith("web page on "):
                self.url = line.split()[3].rstrip("/")
            if line.startswith("listening on "):
                self.grpc = line.split()[-1]
                break
        if not self.url:
            self.close()
            raise AssertionError(f"the follower did not start with its page: {self.lines}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class L1Rollup:
    """``l1_url``, ``node`` (a WebNode: ``url``, ``grpc``), ``follower()``; ``close()`` stops all."""

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
        self.data_dir = data_dir
        self.deployment = str(data_dir / "l1" / "deployment.json")
        self.followers: list[Follower] = []
        self.node = WebNode("--l1", self.l1_url, "--deployment", self.deployment,
                            "--confirmations", "1", "--batch-interval", "0.5", "--data-dir", str(data_dir / "node"))

    def follower(self) -> Follower:
        """A read replica of this rollup, deriving from the L1, with its web page."""
        f = Follower(self.l1_url, self.deployment, self.data_dir / f"follower{len(self.followers)}", self.node.grpc)
        self.followers.append(f)
        return f

    def close(self) -> None:
        for f in getattr(self, "followers", []):
            f.close()
        node = getattr(self, "node", None)
        if node is not None:
            node.close()
        if self.l1.poll() is None:
            self.l1.kill()
            self.l1.wait(10)
