"""A Hardhat node from npm (a third-party L1), started by a test: ``Hardhat.start()``.

Hardhat is installed once with npm into ``$OPTROLLUP_HARDHAT_DIR`` (default
``~/.cache/optrollup/hardhat-<version>``) and started on a free port with the devnet's
funded keys (``devnet.accounts``: the same roles as on the devnet), Prague rules and
automining. ``skip_reason()`` says why it cannot run (no node or npm on this machine);
an install that fails is an error, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Final

from devnet.accounts import FUNDS_WEI, devnet_accounts

HARDHAT_VERSION: Final = "2.29.1"
CHAIN_ID: Final = 31337


def skip_reason() -> str | None:
    missing = [tool for tool in ("node", "npm", "npx") if shutil.which(tool) is None]
    return f"{', '.join(missing)} not installed: the third-party L1 (Hardhat, from npm) cannot run" if missing else None


def install_dir() -> Path:
    default = Path.home() / ".cache" / "optrollup" / f"hardhat-{HARDHAT_VERSION}"
    return Path(os.environ.get("OPTROLLUP_HARDHAT_DIR", default))


def install() -> Path:
    """Hardhat installed (once) with npm; returns its directory."""
    where = install_dir()
    if (where / "node_modules" / ".bin" / "hardhat").exists():
        return where
    where.mkdir(parents=True, exist_ok=True)
    (where / "package.json").write_text('{"private": true}\n')
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                           f"hardhat@{HARDHAT_VERSION}"], cwd=where, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"npm install hardhat@{HARDHAT_VERSION} failed:\n{done.stdout}\n{done.stderr}")
    return where


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Hardhat:
    """A running ``hardhat node``; ``url``; ``close()`` stops it (the process group)."""

    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.lines: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, directory: Path | None = None) -> "Hardhat":
        where = install()
        run_dir = Path(directory) if directory is not None else where
        accounts = [{"privateKey": "0x" + key.hex(), "balance": str(FUNDS_WEI)} for key in devnet_accounts().values()]
        (run_dir / "hardhat.config.js").write_text("module.exports = " + json.dumps(
            {"networks": {"hardhat": {"chainId": CHAIN_ID, "hardfork": "prague", "accounts": accounts,
                                      "mining": {"auto": True, "interval": 0}}}}) + ";\n")
        port = _free_port()
        process = subprocess.Popen([str(where / "node_modules" / ".bin" / "hardhat"), "node", "--hostname",
                                    "127.0.0.1", "--port", str(port)], cwd=run_dir, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                   env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"})
        node = cls(process, port)
        up = threading.Event()

        def read() -> None:
            for line in process.stdout:
                node.lines.append(line.rstrip())
                if "Started HTTP" in line:
                    up.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 120
        while not up.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                node.close()
                raise RuntimeError("hardhat node did not start:\n" + "\n".join(node.lines[-30:]))
        return node

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)
