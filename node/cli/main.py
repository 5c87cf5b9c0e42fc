"""Entry point of the ``optrollup`` command: one sub-command per module in ``node.cli``.

Each sub-command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from node.cli import margin, node, quote

SUBCOMMANDS = (quote, margin, node)


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
