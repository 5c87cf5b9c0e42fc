"""``optrollup devnet``: the whole system on one machine, in one command (``make devnet``).

Starts, as child processes, ``optrollup l1`` (the devnet L1 on ``--l1-listen``, contracts
deployed, traders funded with tUSD on L1), ``optrollup node --dev --no-oracle --l1 ...`` (the
sequencer on ``--listen``, with the dev market maker, posting batches and roots to L1), with
``--follower`` a read replica (``optrollup node --follow``) on ``--follower-listen``, then
the price processes: ``optrollup prices`` (the simulated market over HTTP on
``--prices-listen``, moving one L1 price feed per underlying), ``optrollup oracle`` (signing
updates from both sources with the dev oracle key, status on ``--oracle-status-listen``) and
``optrollup lister`` (the series schedule, with the dev admin key); with ``--traders`` two demo traders with their own accounts
(``demo1``, ``demo2``: funded on L1 by the deployer, they deposit once, then trade small sizes
against the market maker every few seconds). It waits until the
L1 answers JSON-RPC and the sequencer answers gRPC, then prints the endpoints, the contract
addresses, the web page's URL (``--web``; the sequencer serves it at 127.0.0.1:8080 when that
port is free) and the test keys. Children's output is shown prefixed with their name.

Everything lives in ``--data-dir`` (default ``.devnet``: ``l1/`` with ``deployment.json``,
``node/``, ``follower/``); running it again resumes. Ctrl-C (or SIGTERM) stops the
traders, the follower, the sequencer, then the L1, each cleanly; if a child dies, the others
are stopped too and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Final

DEFAULT_DATA_DIR: Final = ".devnet"
DEFAULT_L1_LISTEN: Final = "127.0.0.1:8545"
DEFAULT_LISTEN: Final = "127.0.0.1:50051"
DEFAULT_FOLLOWER_LISTEN: Final = "127.0.0.1:50052"
START_TIMEOUT_S: Final = 120.0  # each of the sequencer and the follower, once the L1 is up
L1_START_TIMEOUT_S: Final = 900.0  # a first start compiles every contract (~2 min on 2 cores; cached after)
STOP_TIMEOUT_S: Final = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "devnet", help="run the whole devnet: L1, contracts, sequencer (and a follower, demo traders)",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                        help=f"where everything is kept (default {DEFAULT_DATA_DIR}; resumes if present)")
    parser.add_argument("--l1-listen", default=DEFAULT_L1_LISTEN, metavar="HOST:PORT",
                        help=f"L1 JSON-RPC address (default {DEFAULT_L1_LISTEN})")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
                        help=f"sequencer gRPC address (default {DEFAULT_LISTEN})")
    parser.add_argument("--follower", action="store_true", help="also run a read replica deriving from L1")
    parser.add_argument("--follower-listen", default=DEFAULT_FOLLOWER_LISTEN, metavar="HOST:PORT",
                        help=f"the follower's gRPC address (default {DEFAULT_FOLLOWER_LISTEN})")
    parser.add_argument("--traders", action="store_true", help="run demo traders (alice, bob) against the maker")
    parser.add_argument("--block-time", type=float, default=1.0, metavar="S", help="L1 block time (default 1)")
    parser.add_argument("--batch-interval", type=float, default=2.0, metavar="S",
                        help="seconds between batches posted to L1 (default 2)")
    parser.add_argument("--confirmations", type=int, default=2, metavar="N",
                        help="L1 confirmations before deposits and batches are used (default 2)")
    parser.add_argument("--challenge-window", type=int, default=None, metavar="S",
                        help="state-root challenge window at first deployment (default 300)")
    parser.add_argument("--l2-chain-id", default=None, metavar="N",
                        help="L2 chain id at first deployment (default 901; see `optrollup l1 --help`)")
    parser.add_argument("--metrics", default="off", metavar="ADDR",
                        help="the sequencer's Prometheus metrics address (default off)")
    parser.add_argument("--prices-listen", default="127.0.0.1:0", metavar="HOST:PORT",
                        help="the simulated price source's HTTP address (default any free port, printed)")
    parser.add_argument("--oracle-status-listen", default="127.0.0.1:0", metavar="HOST:PORT",
                        help="the oracle's /status and /health address (default any free port, printed)")
    parser.add_argument("--oracle-interval", type=float, default=2.0, metavar="S",
                        help="seconds between oracle rounds (default 2: each update re-marks ~110 series "
                             "per underlying)")
    parser.add_argument("--web", default=None, metavar="ADDR",
                        help="the sequencer's web page (default 127.0.0.1:8080 if free; 'off' to disable)")
    parser.add_argument("--follower-web", default=None, metavar="ADDR",
                        help="the follower's (read-only) web page (default off)")
    parser.set_defaults(func=run)


class Child:
    """A child ``optrollup`` process whose output is echoed with a prefix; ``ready`` is set
    when a line starting with ``ready_prefix`` appears."""

    def __init__(self, name: str, argv: list[str], ready_prefix: str) -> None:
        self.name = name
        self.ready_prefix = ready_prefix
        self.ready = threading.Event()
        self.ready_line = ""
        self.web_url = ""  # the child's "web page on URL" line, if it serves one
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "node.cli.main", *argv], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
        self.thread = threading.Thread(target=self._echo, name=f"echo-{name}", daemon=True)
        self.thread.start()
        print(f"[devnet] started {name} (pid {self.process.pid})", flush=True)

    def _echo(self) -> None:
        for line in self.process.stdout:
            line = line.rstrip("\n")
            if line.startswith("web page on "):
                self.web_url = line.split()[3]
            if not self.ready.is_set() and line.startswith(self.ready_prefix):
                self.ready_line = line
                self.ready.set()
            print(f"[{self.name}] {line}", flush=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"[devnet] {self.name} did not stop in {timeout:g}s: killing it", flush=True)
                self.process.kill()
                self.process.wait()
        self.thread.join(5)
        return self.process.returncode


def l1_answers(url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return "result" in json.loads(response.read())
    except (OSError, ValueError):
        return False


def grpc_answers(address: str, timeout: float = 2.0) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING


def _wait_ready(child: Child, check, stopping: threading.Event, deadline: float) -> bool:
    while time.monotonic() < deadline and not stopping.is_set():
        if not child.alive():
            return False
        if child.ready.is_set() and check():
            return True
        time.sleep(0.1)
    return False


class DemoTraders(threading.Thread):
    """Two demo traders with their own accounts (``devnet.accounts.DEMO_TRADERS``, not the dev
    accounts a person uses): funded on L1 by the deployer and deposited once (if they have
    nothing on L2), then trading small sizes against the dev market maker's quotes every few seconds."""

    def __init__(self, l1_url: str, deployment_file: str, node: str, stopping: threading.Event) -> None:
        super().__init__(name="demo-traders", daemon=True)
        self.l1_url, self.deployment_file, self.node, self.stopping = l1_url, deployment_file, node, stopping

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a demo: never take the devnet down
            print(f"[traders] stopped: {exc!r}", flush=True)

    def _run(self) -> None:
        from web3 import Web3

        from bridge.deploy import Deployment
        from bridge.l1 import Transactor
        from devnet.accounts import DEMO_TRADERS, devnet_key
        from node.client import Client, from_e6

        w3 = Web3(Web3.HTTPProvider(self.l1_url, request_kwargs={"timeout": 30}))
        contracts = Deployment.load(self.deployment_file).contracts(w3)
        token, portal = contracts["token"], contracts["portal"]
        clients = {name: Client(self.node, devnet_key(name)) for name in DEMO_TRADERS}
        deployer = Transactor(w3, devnet_key("deployer"))
        for name, client in clients.items():
            if client.account().balance_e6 == 0:
                amount = 100_000 * 10**6
                address = Web3.to_checksum_address(client.address)
                if w3.eth.get_balance(address) == 0:
                    deployer.send(address, value=10**18)
                if token.functions.balanceOf(address).call() < amount:
                    deployer.transact(token, "mint", address, amount)
                sender = Transactor(w3, devnet_key(name))
                sender.transact(token, "approve", portal.address, amount)
                sender.transact(portal, "deposit", sender.address, amount)
                print(f"[traders] {name} ({address}) deposited 100,000 tUSD on L1", flush=True)
        rng = random.Random(7)
        while not self.stopping.wait(3.0):
            name = rng.choice(tuple(clients))
            client = clients[name]
            if client.account().balance_e6 == 0:
                continue  # the deposit is not confirmed yet
            instrument = rng.choice(client.instruments())
            side, price_e6 = ("buy", instrument.best_ask_e6) if rng.random() < 0.5 else ("sell", instrument.best_bid_e6)
            if price_e6 <= 0:
                continue  # no quote on that side yet
            try:
                receipt = client.place_order(instrument.instrument_id, side, from_e6(instrument.min_size_e6),
                                             from_e6(price_e6), time_in_force="ioc")
                print(f"[traders] {name} {side} {instrument.name}: filled {from_e6(receipt.filled_e6)}", flush=True)
            except Exception as exc:
                print(f"[traders] {name} {side} {instrument.name}: {exc}", flush=True)


def run(args: argparse.Namespace) -> int:
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    l1_host, _, l1_port = args.l1_listen.rpartition(":")
    l1_url = f"http://{l1_host}:{l1_port}"
    deployment_file = str(data / "l1" / "deployment.json")
    stopping = threading.Event()
    children: list[Child] = []
    started = time.monotonic()

    def on_signal(signum, frame) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        l1_argv = ["l1", "--data-dir", str(data / "l1"), "--listen", args.l1_listen, "--block-time", str(args.block_time)]
        if args.challenge_window is not None:
            l1_argv += ["--challenge-window", str(args.challenge_window)]
        if args.l2_chain_id is not None:
            l1_argv += ["--l2-chain-id", str(args.l2_chain_id)]
        print("[devnet] starting the L1 (a first start compiles the contracts: about 2 minutes; cached after)",
              flush=True)
        l1 = Child("l1", l1_argv, "l1 ready")
        children.append(l1)
        if not _wait_ready(l1, lambda: l1_answers(l1_url), stopping, time.monotonic() + L1_START_TIMEOUT_S):
            raise _StartFailed("the L1")
        prices = _start_prices(args, data, l1_url, children)  # deploys its L1 feeds while the node starts
        deadline = time.monotonic() + START_TIMEOUT_S
        common = ["--l1", l1_url, "--deployment", deployment_file, "--confirmations", str(args.confirmations)]
        node = Child("node", ["node", "--dev", "--no-oracle", *common, "--data-dir", str(data / "node"),
                              "--listen", args.listen, "--batch-interval", str(args.batch_interval),
                              "--metrics", args.metrics, *(["--web", args.web] if args.web else [])], "listening on")
        children.append(node)
        if not _wait_ready(node, lambda: grpc_answers(args.listen), stopping, deadline):
            raise _StartFailed("the sequencer")
        follower = None
        if args.follower:
            follower = Child("follower", ["node", "--follow", *common, "--data-dir", str(data / "follower"),
                                          "--listen", args.follower_listen, "--sequencer-node", args.listen,
                                          "--metrics", "off",
                                          *(["--web", args.follower_web] if args.follower_web else [])],
                             "listening on")
            children.append(follower)
            if not _wait_ready(follower, lambda: grpc_answers(args.follower_listen), stopping, deadline):
                raise _StartFailed("the follower")
        oracle_urls = _start_oracle(args, data, l1_url, prices, children, stopping)
        _print_summary(args, l1_url, deployment_file, time.monotonic() - started, oracle_urls,
                       node.web_url, follower.web_url if follower is not None else "")
        if args.traders:
            DemoTraders(l1_url, deployment_file, args.listen, stopping).start()
        while not stopping.wait(0.5):
            dead = [c for c in children if not c.alive()]
            if dead:
                print(f"[devnet] {dead[0].name} exited with code {dead[0].process.returncode}: stopping the devnet",
                      flush=True)
                code = 1
                break
    except _StartFailed as exc:
        if not stopping.is_set():
            print(f"[devnet] {exc} did not start: stopping", flush=True)
            code = 1
    finally:
        stopping.set()
        print("[devnet] stopping...", flush=True)
        for child in reversed(children):  # follower, sequencer, then the L1
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("[devnet] stopped", flush=True)
    return code


class _StartFailed(Exception):
    pass


FEED_ACCOUNT: Final = "challenger"  # the public devnet account that deploys and moves the L1 price feeds


def _free_address(address: str) -> str:
    """``address`` with port 0 replaced by a port free now (so its URL is known before the child binds it)."""
    host, _, port = address.rpartition(":")
    if port != "0":
        return address
    with socket.socket() as probe:
        probe.bind((host or "127.0.0.1", 0))
        return f"{host or '127.0.0.1'}:{probe.getsockname()[1]}"


def _start_prices(args: argparse.Namespace, data: Path, l1_url: str, children: list[Child]) -> Child:
    """``optrollup prices`` (module docstring): it deploys its feeds at once and waits for the node's index."""
    prices = Child("prices", ["prices", "--listen", args.prices_listen, "--from-node", args.listen, "--l1", l1_url,
                              "--feeds-file", str(data / "l1" / "price_feeds.json"), "--dev-feed-key", FEED_ACCOUNT],
                   "prices: serving")
    children.append(prices)
    return prices


def _start_oracle(args: argparse.Namespace, data: Path, l1_url: str, prices: Child, children: list[Child],
                  stopping: threading.Event) -> dict[str, str]:
    """Once ``prices`` serves, start ``oracle`` and ``lister`` (not waited for: the devnet's
    watch loop stops everything if one dies); their URLs for the summary."""
    lister = Child("lister", ["lister", "--node", args.listen, "--dev-key"], "lister: listing as")
    children.append(lister)
    if not _wait_ready(prices, lambda: True, stopping, time.monotonic() + START_TIMEOUT_S):
        raise _StartFailed("the price source")
    url = prices.ready_line.split()[2]
    feeds = json.loads((data / "l1" / "price_feeds.json").read_text())
    sources = ["--source", f"http:{url}"]
    for name, address in feeds.items():
        sources += ["--source", f"chainlink:{name}={address}@{l1_url}"]
    status = _free_address(args.oracle_status_listen)
    children.append(Child("oracle", ["oracle", "--node", args.listen, "--dev-key", *sources, "--quiet",
                                     "--interval", str(args.oracle_interval), "--status-listen", status],
                          "oracle: signing as"))
    return {"prices": url, "oracle": f"http://{status}/status",
            **{f"{name} feed": address for name, address in feeds.items()}}


def _program() -> str:
    """How this command was run (``.venv/bin/optrollup`` under ``make devnet``), for the hints."""
    path = Path(sys.argv[0])
    if path.name == "optrollup" and path.exists():
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve())) if path.is_absolute() else str(path)
        except ValueError:
            return str(path)
    return "optrollup"


def _print_summary(args: argparse.Namespace, l1_url: str, deployment_file: str, took_s: float,
                   oracle_urls: dict[str, str], web_url: str = "", follower_web_url: str = "") -> None:
    from devnet.accounts import devnet_accounts
    from node.store.codec import decode_genesis
    from node.wallet import address_of

    deployment = json.loads(Path(deployment_file).read_text())
    genesis = decode_genesis(bytes.fromhex(deployment["l2_genesis"]))
    lines = [
        "",
        f"optrollup devnet is up ({took_s:.1f}s); data in {args.data_dir} (run again to resume)",
        f"  L1 JSON-RPC      {l1_url}  (chain id {deployment['chain_id']})",
        f"  sequencer gRPC   {args.listen}  (L2 chain id {genesis.chain_id}; EIP-712 verifyingContract = the portal)",
    ]
    if args.follower:
        lines.append(f"  follower gRPC    {args.follower_listen}  (read-only, derived from L1)")
    if web_url:
        lines.append(f"  web page         {web_url}  (chain, book, account, rollup; sign with a wallet or a dev key)")
    if follower_web_url:
        lines.append(f"  follower page    {follower_web_url}  (read-only)")
    lines.append(f"  prices (HTTP)    {oracle_urls['prices']}  (simulated; moves the L1 feeds below)")
    lines.append(f"  oracle status    {oracle_urls['oracle']}  (and /health; the lister lists the schedule)")
    for name, address in oracle_urls.items():
        if name.endswith(" feed"):
            lines.append(f"    {name:12s} {address}  (AggregatorV3Interface)")
    lines.append(f"  deployment       {deployment_file}")
    for name in ("token", "portal", "inbox", "commitments", "forced"):
        lines.append(f"    {name:12s} {deployment[name]}")
    lines.append("  test keys (public development keys: never use them elsewhere):")
    for name, key in devnet_accounts().items():
        lines.append(f"    {name:10s} 0x{address_of(key).hex()}  0x{key.hex()}")
    lines += [
        f"  try: export OPTROLLUP_L1={l1_url} OPTROLLUP_DEPLOYMENT={deployment_file}",
        f"       {_program()} account --dev-account alice",
        "  Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)
