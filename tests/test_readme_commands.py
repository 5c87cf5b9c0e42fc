"""Every command block of the README runs as written, against a real devnet and a real dev node.

The test starts what the README tells a person to start (``optrollup devnet`` — what ``make
devnet`` runs — and ``optrollup node --dev``) on free ports, in a temporary directory holding
a ``.venv`` link to this checkout's, then runs each ```sh block's commands in order with
bash, one at a time (``export`` and ``NAME=value`` lines carry over). The only rewrite is of
the default ports the README names (``127.0.0.1:8545``, ``127.0.0.1:50051``) to the test's,
in the commands and in ``$OPTROLLUP_NODE`` (which stands for the default node address).

A command must exit 0, or 1 when its sample output shows ``error:``; a command documented
as live (``Ctrl-C ends``) runs for a few seconds, gets SIGINT, and must exit 0. No command
may print a traceback. The ``#   `` lines after a command are its sample output: each must
match a line of the real output, in order, with hashes, numbers, dates and series names free
(``shape``): the test fails when the output loses the shape the README shows.

Blocks that are not trader commands are classified in ``BLOCKS`` (by their first line); a
new block must be added there, so none is left untested by accident.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PROGRAM = ROOT / ".venv" / "bin" / "optrollup"
START_TIMEOUT_S = 300.0
COMMAND_TIMEOUT_S = 150.0
LIVE_RUN_S = 10.0
START_ATTEMPTS = 3

# First line of each ```sh block -> how it runs: "devnet" / "dev-node" / "tools" (the commands,
# against the devnet, the dev node, or nothing), or "skip: why".
BLOCKS = {
    "make devnet": "skip: the make targets themselves; this test runs `optrollup devnet`, what `make devnet` runs",
    "export OPTROLLUP_L1=": "devnet",
    "echo 'a long passphrase'": "devnet",
    ".venv/bin/optrollup node --dev": "tools",
    "make install": "skip: the suite runs in the installed .venv; this test starts `optrollup node --dev` itself",
    "export OPTROLLUP_NODE=": "dev-node",
    ".venv/bin/optrollup quote": "tools",
    ".venv/bin/optrollup margin": "tools",
    "optrollup oracle --node SEQUENCER": "skip: an operator's oracle and lister (addresses are placeholders); the same "
                                         "commands run against a dev node in tests/node/cli/test_oracle_cli.py",
    "optrollup keys import": "skip: an operator's launch on a real L1 (URL and addresses are placeholders); the same "
                             "commands run end to end on a Hardhat node in tests/bridge/test_hardhat_l1.py",
}
# Commands that start a server the test has started itself.
SERVERS = (".venv/bin/optrollup node --dev",)

SHAPE_TOKEN = re.compile(
    r"(?P<series>[A-Z]{2,5}-\d{1,2}[A-Z]{3}\d{2}-[\dd]+-[CP])"
    r"|(?P<hex>0x[0-9a-fA-F]+(?:…[0-9a-fA-F]*)?)"
    r"|(?P<num>-?\d+(?:,\d{3})*(?:\.\d+)?)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
SHAPES = {"series": r"[A-Z]{2,5}-\d{1,2}[A-Z]{3}\d{2}-[\dd]+-[CP]", "hex": r"0x[0-9a-fA-F]+(?:…[0-9a-fA-F]*)?",
          "num": r"-?\d+(?:,\d{3})*(?:\.\d+)?", "space": r"\s+"}


def shape(sample: str) -> re.Pattern:
    """A pattern for one sample line: series names, hashes and numbers free, the rest as shown."""
    parts = []
    for match in SHAPE_TOKEN.finditer(sample.strip()):
        kind = match.lastgroup
        parts.append(SHAPES[kind] if kind in SHAPES else re.escape(match.group()))
    return re.compile("".join(parts))


@dataclass
class Command:
    text: str
    samples: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int
    first: str
    commands: list[Command]


def readme_blocks() -> list[Block]:
    out = []
    for match in re.finditer(r"^```sh\n(.*?)^```", README, re.M | re.S):
        line = README.count("\n", 0, match.start()) + 1
        commands: list[Command] = []
        pending = ""
        for raw in match.group(1).splitlines():
            stripped = raw.strip()
            if not pending and stripped.startswith("#"):
                if commands:
                    commands[-1].samples.append(stripped[1:].strip())
                continue
            pending = f"{pending}\n{raw}" if pending else raw
            code = "\n".join(re.split(r"\s#\s", part)[0] for part in pending.splitlines())  # comments out
            if code.count("'") % 2 == 0 and not code.endswith("\\"):
                commands.append(Command(pending))
                pending = ""
        assert not pending, f"README line {line}: an unterminated command"
        out.append(Block(line, commands[0].text.strip(), commands))
    return out


def mode_of(block: Block) -> str:
    found = [mode for prefix, mode in BLOCKS.items() if block.first.startswith(prefix)]
    assert len(found) == 1, f"README line {block.line}: classify this block in BLOCKS: {block.first!r}"
    return found[0]


def test_every_sh_block_is_classified() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 7
    for block in blocks:
        mode_of(block)


def test_shape_frees_hashes_numbers_and_names_only() -> None:
    pattern = shape("order 2671: filled 1, resting 0 (tx 0x8cd3…2cd6, ETH-11DEC26-3000-C at -1.5)")
    assert pattern.fullmatch("order 17: filled 0.5, resting 0 (tx 0xabcdef, BTC-4JAN27-100000-P at 1,234.5)")
    assert not pattern.fullmatch("order 17: filled 0.5, cancelled 0 (tx 0xabcdef, BTC-4JAN27-100000-P at 1)")


# ---------------------------------------------------------------------------------------
# Running them


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A started ``optrollup`` process whose output is drained; ``ready`` once ``marker`` is printed."""

    def __init__(self, argv: list[str], cwd: Path, env: dict, marker: str) -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen([".venv/bin/optrollup", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.thread = threading.Thread(target=self._drain, args=(marker,), daemon=True)
        self.thread.start()

    def _drain(self, marker: str) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if marker in line:
                self.ready.set()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("did not start:\n" + "".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.thread.join(10)


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """The temporary working directory, its environment, a devnet and a dev node."""
    if not PROGRAM.exists():
        pytest.skip("needs the installed .venv (make install)")
    cwd = tmp_path_factory.mktemp("readme")
    (cwd / ".venv").symlink_to(ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTROLLUP_") or k == "OPTROLLUP_VYPER_CACHE"}
    env["OPTROLLUP_KEYS_DIR"] = str(cwd / "keys")
    for attempt in range(START_ATTEMPTS):  # a free port may be taken by another process before we bind it
        ports = {"127.0.0.1:8545": f"127.0.0.1:{free_port()}", "devnet:50051": f"127.0.0.1:{free_port()}",
                 "dev-node:50051": f"127.0.0.1:{free_port()}"}
        devnet = Server(["devnet", "--data-dir", f".devnet{attempt or ''}", "--l1-listen", ports["127.0.0.1:8545"],
                         "--listen", ports["devnet:50051"]], cwd, env, "optrollup devnet is up")
        dev_node = Server(["node", "--dev", "--listen", ports["dev-node:50051"], "--metrics", "off"], cwd, env,
                          "listening on")
        try:
            devnet.wait_ready(START_TIMEOUT_S)
            dev_node.wait_ready(START_TIMEOUT_S)
            break
        except AssertionError:
            dev_node.stop()
            devnet.stop()
            busy = "in use" in "".join(devnet.lines + dev_node.lines)
            if not busy or attempt == START_ATTEMPTS - 1:
                raise
    if attempt:
        (cwd / ".devnet").symlink_to(cwd / f".devnet{attempt}")  # the README's path
    try:
        yield cwd, env, ports, devnet
    finally:
        dev_node.stop()
        devnet.stop()


def rewrite(text: str, mode: str, ports: dict) -> str:
    text = text.replace("127.0.0.1:8545", ports["127.0.0.1:8545"])
    if mode in ("devnet", "dev-node"):
        text = text.replace("127.0.0.1:50051", ports[f"{mode}:50051"])
    return text


def run_block(block: Block, mode: str, stage, prelude: list[str]) -> None:
    """Run a block's commands; ``prelude`` (the mode's assignments so far) grows with its own."""
    cwd, env, ports, _ = stage
    if mode in ("devnet", "dev-node"):  # the default node, 127.0.0.1:50051, is the test's port
        env = {**env, "OPTROLLUP_NODE": ports[f"{mode}:50051"]}
    for command in block.commands:
        text = rewrite(command.text, mode, ports)
        where = f"README line {block.line}: {command.text.strip()!r}"
        if any(command.text.strip().startswith(server) for server in SERVERS):
            continue  # started by the fixture
        if re.match(r"^(export\s+)?[A-Z_][A-Z0-9_]*=", text.strip()):
            prelude.append(text)  # carried over to the next commands
            script = "\n".join(prelude)
        else:
            script = "\n".join(prelude + [text])
        samples = [rewrite(s, mode, ports) for s in command.samples]
        if "Ctrl-C ends" in command.text:
            code, output = _run_live("\n".join(prelude + ["exec " + text.strip()]), cwd, env)
            expected = 0
        else:
            done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT_S)
            code, output = done.returncode, done.stdout + done.stderr
            expected = 1 if any("error:" in s for s in samples) else 0
        assert "Traceback" not in output, f"{where}: a traceback\n{output}"
        assert code == expected, f"{where}: exit status {code}, expected {expected}\n{output}"
        _check_shape(where, samples, output)


def _run_live(script: str, cwd: Path, env: dict) -> tuple[int, str]:
    """Run a live command (``exec``: bash becomes it) for ``LIVE_RUN_S``, then Ctrl-C it."""
    process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    time.sleep(LIVE_RUN_S)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


def _check_shape(where: str, samples: list[str], output: str) -> None:
    lines = [line.strip() for line in output.splitlines()]
    at = 0
    for sample in samples:
        pattern = shape(sample)
        while at < len(lines) and not pattern.fullmatch(lines[at]):
            at += 1
        assert at < len(lines), f"{where}: no output line has the shape of {sample!r}\n{output}"
        at += 1


def test_the_readme_commands_run_as_written(stage) -> None:
    cwd = stage[0]
    book = re.search(r"For `book.json`:\n\n```json\n(.*?)```", README, re.S)
    (cwd / "book.json").write_text(book.group(1))
    ran = 0
    preludes: dict[str, list[str]] = {}  # a block goes on from the previous one of its mode ($O ...)
    for block in readme_blocks():
        mode = mode_of(block)
        if mode.startswith("skip"):
            continue
        run_block(block, mode, stage, preludes.setdefault(mode, []))
        ran += len(block.commands)
    assert ran >= 30


def test_the_devnet_hints_name_the_program_as_make_runs_it(stage) -> None:
    banner = "".join(stage[3].lines)
    assert "       .venv/bin/optrollup account --dev-account alice\n" in banner
