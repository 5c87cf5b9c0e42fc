"""``--config FILE``: a command's flags from a TOML file (every flag is a key).

A key is a flag's long name without the dashes, with ``-`` or ``_`` (``batch-interval =
0.5``, ``l1 = "http://..."``, ``batcher_key = "ops"``); a switch takes ``true``/``false``
(``oracle = false`` is ``--no-oracle``); a repeatable flag takes a list (``source =
["http://...", "chainlink:..."]``). Values go through the flag's own type and
choices, so a file is checked as the command line is. A flag given on the command line
wins over the file. Keys are keystore labels, never key material: the file names
``batcher-key``, ``keys-dir`` and ``password-file`` like the command line does.
``ConfigError`` names the key that is unknown or invalid.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Final

SKIPPED: Final = ("help", "config", "func", "parser")


class ConfigError(ValueError):
    """The configuration file cannot be applied; the message names the key."""


def apply(parser: argparse.ArgumentParser, args: argparse.Namespace, path: str | Path) -> argparse.Namespace:
    """Set every flag of ``args`` that the command line left at its default from ``path``."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    actions = {action.dest: action for action in parser._actions if action.dest not in SKIPPED}
    for key, value in raw.items():
        dest = key.replace("-", "_")
        action = actions.get(dest)
        if action is None:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        if isinstance(action, argparse._AppendAction):
            items = value if isinstance(value, list) else [value]
            try:
                value = [action.type(str(v)) if action.type is not None else str(v) for v in items]
            except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
                raise ConfigError(f"{path}: {key}: {exc}") from None
        elif isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be true or false")
        elif isinstance(value, (dict, list)):
            raise ConfigError(f"{path}: {key} must be a single value")
        else:
            try:
                value = action.type(str(value)) if action.type is not None else str(value)
            except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
                raise ConfigError(f"{path}: {key}: {exc}") from None
            if action.choices is not None and value not in action.choices:
                raise ConfigError(f"{path}: {key} must be one of {', '.join(map(str, action.choices))}")
        if getattr(args, dest) == action.default:
            setattr(args, dest, value)
    return args
