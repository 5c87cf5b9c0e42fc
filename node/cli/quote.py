"""``optrollup quote``: placeholder module, filled in by the option-math work."""

from __future__ import annotations

import argparse


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("quote", help="price an option with the STF's fixed-point math")
    parser.set_defaults(func=lambda args: 2)
