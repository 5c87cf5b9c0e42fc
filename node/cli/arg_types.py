"""Argument types shared by the commands' parsers (argparse ``type=``): each parses one flag's
text and raises ``argparse.ArgumentTypeError`` with the rule it broke, which argparse prints
as the command's usage error (exit status 2). Kept free of heavy imports: the node's parser
loads it at every start."""

from __future__ import annotations

import argparse


def positive_float(text: str) -> float:
    """A number above 0 (seconds, rates)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (counts)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text}")
    return value
