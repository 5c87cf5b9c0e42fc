"""Entry point of the ``optrollup`` command: one sub-command per module in ``node.cli``.

Each sub-command module exposes ``register(subparsers)`` which adds its parser(s) and
sets ``func`` (a callable taking the parsed namespace and returning an exit code).
Client commands (talking to a node) share ``node.cli.common``: ``keys`` (key files),
``trade`` (order, cancel, withdraw, deposit), ``account`` (account, positions, orders,
risk), ``market`` (instruments, book, receipt). A new client command group (e.g. a live
``fills`` stream) is one more module with ``register`` using ``common.add_node_options``
and ``common.command``, added to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from node.cli import account, devnet, fault, fills, keys, l1, margin, market, node, quote, status, trade

SUBCOMMANDS = (quote, margin, node, l1, devnet, status, keys, trade, account, market, fills, fault)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optrollup",
        description="Options-trading optimistic rollup: node, tools and client.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
