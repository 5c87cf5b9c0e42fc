"""``optrollup oracle`` and ``optrollup lister``: the oracle and the series lister as processes.

``optrollup oracle --node ADDR --key LABEL --source SPEC [--source SPEC ...]`` signs
``OracleUpdate``s with a keystore key (one of the genesis oracle keys) every
``--interval`` seconds from the sources (``node.oracle.sources``: ``http:URL``,
``chainlink:[NAME=]ADDRESS@L1_URL``) through the guards (``node.oracle.guards``: ``--max-age``,
``--max-move-pct``, ``--max-deviation-pct``, ``--jump-confirmations``, ``--min-sources``),
and submits them over gRPC. Each update, or why it was withheld, is printed and logged.
``--status-listen ADDR`` serves ``GET /status`` (JSON: the last update and guard state per
underlying, each source's last error) and ``GET /health`` (200 while every underlying had
an update within ``--max-age``, else 503).

``optrollup lister --node ADDR --key LABEL`` (the genesis admin key) lists, every
``--interval`` seconds, the series of the schedule (``node.oracle.schedule``: ``--dailies``,
``--weeklies``, ``--monthlies``, ``--strikes``) that the chain lacks; ``--once`` runs one pass.

Both take ``--config FILE`` (every flag as a TOML key; ``source = ["http:...", ...]``) and
``--dev-key`` (DEVELOPMENT CHAINS ONLY: the public dev oracle or admin key of
``optrollup node --dev``). A key the chain does not accept stops the process (exit 1) at
its first refused transaction; a node that cannot be reached is retried every interval.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Callable

from node import logs
from node.cli.arg_types import positive_float, positive_int
from node.oracle.json_http import json_handler

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_NODE = "127.0.0.1:50051"
DEFAULT_STATUS_LISTEN = "127.0.0.1:9110"



def _pct(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage 0..100: {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def _common(parser: argparse.ArgumentParser, role: str) -> None:
    parser.add_argument("--node", metavar="ADDR", default=None,
                        help=f"the sequencer's gRPC address (default $OPTROLLUP_NODE or {DEFAULT_NODE})")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--key", metavar="LABEL", help=f"keystore LABEL of the genesis {role} key (`optrollup keys`)")
    who.add_argument("--dev-key", action="store_true",
                     help=f"DEVELOPMENT ONLY: the public dev {role} key of `optrollup node --dev`")
    parser.add_argument("--keys-dir", metavar="DIR", default=None,
                        help="keys directory (default $OPTROLLUP_KEYS_DIR or ~/.optrollup/keys)")
    parser.add_argument("--password-file", metavar="FILE", default=None,
                        help="the key's passphrase (else $OPTROLLUP_PASSWORD, else a prompt)")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="read any of these flags from a TOML file (a key per flag); the command line wins")
    parser.add_argument("--underlying", action="append", default=[], metavar="NAME",
                        help="only this underlying (repeatable; default every underlying of the chain)")
    parser.add_argument("--log-format", choices=logs.FORMATS, default="text", help="log lines as text or JSON")
    parser.add_argument("--log-level", choices=logs.LEVELS, default="WARNING", type=str.upper,
                        help="log level on stderr (default WARNING: each update is printed on stdout anyway)")


def register(subparsers: argparse._SubParsersAction) -> None:
    oracle = subparsers.add_parser(
        "oracle", help="sign and submit oracle updates from price sources, behind guards",
        description="Sign OracleUpdates with a genesis oracle key from --source price sources, through the "
                    "staleness, deviation and move guards, and submit them to the node.")
    _common(oracle, "oracle")
    oracle.add_argument("--source", action="append", default=[], metavar="SPEC",
                        help="http:URL (index and surface as JSON) or chainlink:[NAME=]ADDRESS@L1_URL "
                             "(an AggregatorV3Interface feed); repeatable")
    oracle.add_argument("--interval", type=positive_float, default=1.0, metavar="S", help="seconds between rounds (default 1)")
    oracle.add_argument("--max-age", type=positive_float, default=60.0, metavar="S",
                        help="a source older than this is stale (default 60; above a Chainlink feed's heartbeat)")
    oracle.add_argument("--max-move-pct", type=_pct, default=10.0, metavar="P",
                        help="withhold a move of the index above P%% per update (default 10)")
    oracle.add_argument("--jump-confirmations", type=_count, default=3, metavar="N",
                        help="post such a move once N rounds in a row saw it (default 3; 0: never)")
    oracle.add_argument("--max-deviation-pct", type=_pct, default=2.0, metavar="P",
                        help="withhold when fresh sources disagree by more than P%% of their median (default 2)")
    oracle.add_argument("--min-sources", type=positive_int, default=1, metavar="N",
                        help="fresh sources required per underlying (default 1)")
    oracle.add_argument("--source-timeout", type=positive_float, default=5.0, metavar="S",
                        help="HTTP / JSON-RPC timeout of a source (default 5)")
    oracle.add_argument("--status-listen", default=DEFAULT_STATUS_LISTEN, metavar="ADDR",
                        help=f"serve GET /status and /health here (default {DEFAULT_STATUS_LISTEN}; port 0: any "
                             "free port; 'off')")
    oracle.add_argument("--quiet", action="store_true",
                        help="print only withheld and refused updates (each update is still logged at INFO)")
    oracle.set_defaults(func=run_oracle, parser=oracle)

    lister = subparsers.add_parser(
        "lister", help="list the series of the schedule (daily, weekly, monthly expiries) that are missing",
        description="List, with the genesis admin key, the series of the listing schedule that the chain lacks: "
                    "daily, weekly and monthly expiries at 08:00 UTC, strikes on a grid around the index.")
    _common(lister, "admin")
    lister.add_argument("--interval", type=positive_float, default=60.0, metavar="S", help="seconds between passes (default 60)")
    lister.add_argument("--once", action="store_true", help="one pass, then exit")
    lister.add_argument("--dailies", type=_count, default=2, metavar="N", help="daily expiries (default 2)")
    lister.add_argument("--weeklies", type=_count, default=2, metavar="N", help="weekly (Friday) expiries (default 2)")
    lister.add_argument("--monthlies", type=_count, default=2, metavar="N",
                        help="monthly (last Friday) expiries (default 2)")
    lister.add_argument("--strikes", type=_count, default=2, metavar="N",
                        help="strikes each side of the index for a daily; +1 weekly, +2 monthly (default 2)")
    lister.set_defaults(func=run_lister, parser=lister)



def _key(args: argparse.Namespace, dev_name: str) -> bytes:
    if args.dev_key:
        from node.sequencer.dev import dev_key

        print(f"note: signing with the public development {dev_name} key (development chains only)", file=sys.stderr)
        return dev_key(dev_name)
    if not args.key:
        raise ValueError(f"no key: pass --key LABEL (the genesis {dev_name} key, `optrollup keys import`) "
                         "or --dev-key on a development chain")
    from node.keystore import Keystore, read_passphrase

    return Keystore(args.keys_dir).load(args.key, read_passphrase(args.password_file, prompt=f"passphrase for {args.key}: "))


def _prepare(args: argparse.Namespace) -> int:
    """Apply ``--config`` and set up logging; a non-zero exit code on bad input."""
    if args.config:
        from node.cli.config_file import ConfigError, apply

        try:
            apply(args.parser, args, args.config)
        except ConfigError as exc:
            print(f"optrollup {args.command}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    logs.setup_logging(args.log_format, args.log_level)
    return 0


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _node(args: argparse.Namespace) -> str:
    import os

    return args.node or os.environ.get("OPTROLLUP_NODE") or DEFAULT_NODE


def _say(text: str) -> None:
    print(text, flush=True)


def _say_problems(text: str) -> None:
    if "withheld" in text or "refused" in text or "cannot" in text:
        print(text, flush=True)


def _run_signed(args: argparse.Namespace, role: str, body: Callable) -> int:
    """Load the key, open the client, run ``body(client, stop)``; the errors as one line each."""
    from node.client import Client, ClientError
    from node.keystore import INPUT_ERRORS, KeystoreError

    code = _prepare(args)
    if code:
        return code
    try:
        key = _key(args, role)
    except (ValueError, *INPUT_ERRORS) as exc:
        print(f"optrollup {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeystoreError as exc:
        print(f"optrollup {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    stop = _stop_event()
    try:
        with Client(_node(args), key) as client:
            return body(client, stop)
    except Unauthorised as exc:
        print(f"optrollup {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ClientError as exc:
        print(f"optrollup {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


class Unauthorised(Exception):
    """The chain refused the key (``UNAUTHORISED_SIGNER``)."""


def _check_authorised(unauthorised: bool, role: str, address: bytes) -> None:
    if unauthorised:
        raise Unauthorised(f"the chain does not accept 0x{address.hex()} as its {role} key (UNAUTHORISED_SIGNER)")


def run_oracle(args: argparse.Namespace) -> int:
    from node.oracle.feeder import Feeder
    from node.oracle.guards import GuardConfig
    from node.oracle.sources import parse_source

    if not args.source and not args.config:
        print("optrollup oracle: error: no source: pass --source http:URL or --source chainlink:ADDRESS@L1_URL",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        guards = GuardConfig(max_age_s=int(args.max_age), max_move_ppm=round(args.max_move_pct * 10_000),
                             max_deviation_ppm=round(args.max_deviation_pct * 10_000),
                             jump_confirmations=args.jump_confirmations, min_sources=args.min_sources)
    except ValueError as exc:
        print(f"optrollup oracle: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def body(client, stop: threading.Event) -> int:
        if not args.source:
            print("optrollup oracle: error: no source in the command line or the config file", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            sources = [parse_source(spec, timeout_s=args.source_timeout) for spec in args.source]
        except ValueError as exc:
            print(f"optrollup oracle: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        feeder = Feeder(client, sources, guards, underlyings=args.underlying,
                        echo=_say_problems if args.quiet else _say)
        try:
            server = None if args.status_listen == "off" else _status_server(args.status_listen, feeder)
        except (OSError, ValueError) as exc:
            print(f"optrollup oracle: error: --status-listen {args.status_listen}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        where = f"; status on http://{server.server_address[0]}:{server.server_address[1]}/status" if server else ""
        print(f"oracle: signing as 0x{client.address.hex()} for {_node(args)}, every {args.interval:g}s from "
              f"{', '.join(s.name for s in sources)}; guards: max age {guards.max_age_s}s, max move "
              f"{args.max_move_pct:g}% (after {guards.jump_confirmations} rounds), max deviation "
              f"{args.max_deviation_pct:g}%{where}", flush=True)
        try:
            return _loop(feeder, args.interval, stop, client.address)
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()

    return _run_signed(args, "oracle", body)


def _loop(feeder, interval_s: float, stop: threading.Event, address: bytes) -> int:
    from node.client import NodeError

    announced = False
    while not stop.is_set():
        started = time.monotonic()
        try:
            outcomes = feeder.round()
        except NodeError:
            outcomes = []
        from node.stf.errors import FailureCode

        _check_authorised(any(o.failure == FailureCode.UNAUTHORISED_SIGNER for o in outcomes), "oracle", address)
        if outcomes and not announced:
            print("oracle running", flush=True)
            announced = True
        stop.wait(max(interval_s - (time.monotonic() - started), 0.0))
    print("oracle stopped", flush=True)
    return 0


def _status_server(address: str, feeder) -> ThreadingHTTPServer:
    host, _, port = address.rpartition(":")

    def route(path: str) -> tuple[int, object]:
        if path == "/status":
            return 200, feeder.status()
        if path == "/health":
            healthy = feeder.healthy()
            return (200 if healthy else 503), {"healthy": healthy}
        return 404, {"error": "GET /status or /health"}

    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), json_handler(route))
    threading.Thread(target=server.serve_forever, daemon=True, name="oracle-status").start()
    return server


def run_lister(args: argparse.Namespace) -> int:
    from node.client import NodeError
    from node.oracle.lister import Lister
    from node.oracle.schedule import Schedule

    schedule = Schedule(args.dailies, args.weeklies, args.monthlies, args.strikes)

    def body(client, stop: threading.Event) -> int:
        lister = Lister(client, schedule, underlyings=args.underlying, echo=_say)
        print(f"lister: listing as 0x{client.address.hex()} on {_node(args)}: {schedule.dailies} daily, "
              f"{schedule.weeklies} weekly, {schedule.monthlies} monthly expiries, +-{schedule.strikes} strikes "
              f"(daily), every {args.interval:g}s", flush=True)
        while True:
            try:
                done = lister.run_once()
            except NodeError as exc:
                print(f"lister: cannot read the node: {exc.message or exc.status.name}", flush=True)
                if args.once:
                    return EXIT_FAILED
            else:
                _check_authorised(done.unauthorised, "admin", client.address)
                print(f"lister pass: {len(done.listed)} listed, {done.existing} already there"
                      + "".join(f"; {n}: {why}" for n, why in done.skipped.items()), flush=True)
                if args.once:
                    return 0
            if stop.wait(args.interval):
                return 0

    return _run_signed(args, "admin", body)
