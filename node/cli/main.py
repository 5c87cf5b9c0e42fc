"""Entry point of the ``optrollup`` command: one sub-command per module in ``node.cli``.

Each sub-command module exposes ``register(subparsers)`` which adds its parser(s) and
sets ``func`` (a callable taking the parsed namespace and returning an exit code).
Client commands (talking to a node) share ``node.cli.common``: ``keys`` (key files),
``trade`` (order, cancel, withdraw, deposit), ``account`` (account, positions, orders,
risk), ``market`` (instruments, book, receipt). A new client command group (e.g. a live
``fills`` stream) is one more module with ``register`` using ``common.add_node_options``
and ``common.command``, added to ``SUBCOMMANDS``.

``main`` never lets a traceback reach the user: an exception no command expected prints
``optrollup COMMAND: error: internal error: ...`` on stderr and exits 1 (with
``$OPTROLLUP_DEBUG`` set, the traceback follows). web3's ``MismatchedABI`` warnings (a
receipt's logs decoded against one event's ABI) are silenced.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
import warnings
from typing import Sequence

SUBCOMMANDS = ("quote", "margin", "node", "l1", "devnet", "deploy", "status", "keys", "trade", "account", "market",
               "fills", "history", "l1_account", "fault", "disputes", "challenger", "oracle",
               "prices")  # modules of node.cli, imported by build_parser
ENV_DEBUG = "OPTROLLUP_DEBUG"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optrollup",
        description="Options-trading optimistic rollup: node, tools and client.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"node.cli.{name}").register(subparsers)
    return parser


def quiet_warnings() -> None:
    """Silence web3's warnings about logs of other events in a receipt (``MismatchedABI``)."""
    warnings.filterwarnings("ignore", message=r".*MismatchedABI.*")
    warnings.filterwarnings("ignore", message=r".*[Tt]he log with transaction hash.*")


def main(argv: Sequence[str] | None = None) -> int:
    quiet_warnings()
    try:  # the sub-commands' imports take a moment: Ctrl-C then ends quietly too
        parser = build_parser()
    except KeyboardInterrupt:
        print("optrollup: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"optrollup {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `| head`: the reader is gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the last guard: one line, never a traceback
        text = (str(exc).strip().splitlines() or [""])[0][:300]
        print(f"optrollup {args.command}: error: internal error: {type(exc).__name__}: {text}", file=sys.stderr)
        if os.environ.get(ENV_DEBUG):
            traceback.print_exc()
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
