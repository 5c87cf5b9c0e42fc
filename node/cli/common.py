"""What the client sub-commands share: node and key options, the client, tables, errors.

A client command module (``trade.py``, ``account.py``, ``market.py``; a future ``fills.py``
alike) adds its parser with ``add_node_options(parser, key=...)`` and sets
``func=command(handler)``: ``handler(args, client)`` prints its result (``emit`` for
``--json``) and returns an exit code; ``command`` opens the ``Client`` and turns the
expected failures into one line on stderr and a non-zero exit:

    0  success
    1  the node (or L1) refused or failed the call or is unreachable; a wrong passphrase;
       a check the CLI makes before signing that the node would refuse (e.g. a balance)
    2  bad input (also argparse's own usage errors): a malformed value, a price off the
       tick, an unknown key label, an unreadable key or password file, no passphrase source

Every error is one line on stderr (``optrollup COMMAND: error: ...``), never a traceback:
``main`` turns anything unexpected into ``internal error: ...`` with exit status 1 (set
``$OPTROLLUP_DEBUG=1`` to see the traceback).

Keys: ``--key LABEL`` reads an encrypted key file (``node.keystore``; passphrase from
``--password-file``, ``$OPTROLLUP_PASSWORD`` or a prompt; every command that signs takes
``--password-file``); ``--dev-account NAME`` uses one of
the public development keys of ``optrollup node --dev`` (DEVELOPMENT CHAINS ONLY: anyone can
sign with them). Read-only commands need no passphrase: the address is read from the key
file, or given with ``--address``. The node is ``--node``, else ``$OPTROLLUP_NODE``, else
``127.0.0.1:50051``.

Human output is aligned tables in contracts and collateral units (``USDC``); ``--json``
prints one JSON document whose amounts are the exact ``*_e6`` integers of ``node.client``.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import sys
from typing import Any, Callable, Final, Sequence

from node.client import BadInput, Client, ClientError, NodeError, NodeUnavailable, as_json, format_e6
from node.keystore import INPUT_ERRORS, Keystore, KeystoreError, read_passphrase
from node.sequencer.dev import DEV_ACCOUNTS, dev_key

ENV_NODE: Final = "OPTROLLUP_NODE"
DEFAULT_NODE: Final = "127.0.0.1:50051"
COLLATERAL: Final = "USDC"
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_BAD_INPUT: Final = 2


def add_node_options(parser: argparse.ArgumentParser, *, key: str = "read") -> None:
    """``--node``, ``--json`` and, for ``key="sign"`` or ``"read"``, the key options
    (``"read"`` also accepts ``--address``; ``"read+sign"`` is ``"read"`` for a command that
    signs in one of its modes, so it takes ``--password-file`` too; ``"none"`` adds no key option)."""
    parser.add_argument("--node", metavar="ADDR", default=None,
                        help=f"node gRPC address (default ${ENV_NODE} or {DEFAULT_NODE})")
    parser.add_argument("--json", action="store_true", help="print JSON (exact integer *_e6 units) instead of tables")
    if key == "none":
        return
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--key", metavar="LABEL", help="key file LABEL in the keys directory (see `optrollup keys`)")
    who.add_argument("--dev-account", choices=DEV_ACCOUNTS, metavar="NAME",
                     help=f"DEVELOPMENT ONLY: a public dev key of `optrollup node --dev` ({', '.join(DEV_ACCOUNTS)})")
    if key in ("read", "read+sign"):
        who.add_argument("--address", metavar="0x...", help="read this account (no key needed)")
    parser.add_argument("--keys-dir", metavar="DIR", default=None,
                        help="keys directory (default $OPTROLLUP_KEYS_DIR or ~/.optrollup/keys)")
    if key in ("sign", "read+sign"):
        parser.add_argument("--password-file", metavar="FILE", default=None,
                            help="read the key's passphrase from FILE (else $OPTROLLUP_PASSWORD, else a prompt)")


def node_target(args: argparse.Namespace) -> str:
    return args.node or os.environ.get(ENV_NODE) or DEFAULT_NODE


def _signing_key(args: argparse.Namespace) -> bytes:
    if getattr(args, "dev_account", None):
        print(f"note: signing with the public development key {args.dev_account!r} (development chains only)",
              file=sys.stderr)
        return dev_key(args.dev_account)
    if getattr(args, "key", None):
        passphrase = read_passphrase(args.password_file, prompt=f"passphrase for {args.key}: ")
        return Keystore(args.keys_dir).load(args.key, passphrase)
    raise BadInput("no key: pass --key LABEL (see `optrollup keys`) or --dev-account NAME (development only)")


def _read_address(args: argparse.Namespace) -> bytes | None:
    if getattr(args, "dev_account", None):
        from node.wallet import address_of

        return address_of(dev_key(args.dev_account))
    if getattr(args, "key", None):
        return Keystore(args.keys_dir).info(args.key).address
    if getattr(args, "address", None):
        from node.client import parse_address

        return parse_address(args.address)
    return None


def command(handler: Callable[[argparse.Namespace, Client], int | None], *, sign: bool = False,
            need_address: bool = False,
            validate: Callable[[argparse.Namespace], None] | None = None) -> Callable[[argparse.Namespace], int]:
    """Wrap ``handler(args, client)`` as a sub-command ``func`` (see the module docstring).
    ``sign``: the client gets the private key; ``need_address``: reads default to an address
    from ``--key`` / ``--dev-account`` / ``--address`` (``args.account_address``);
    ``validate(args)`` checks the input (raising ``BadInput``) before any passphrase is asked."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            if validate is not None:
                validate(args)
            key = _signing_key(args) if sign else None
            args.account_address = None if sign else _read_address(args)
            if need_address and not sign and args.account_address is None:
                raise BadInput("which account? pass --key LABEL, --dev-account NAME or --address 0x...")
            with Client(node_target(args), key) as client:
                return int(handler(args, client) or EXIT_OK)
        except BadInput as exc:
            return fail(args, str(exc), EXIT_BAD_INPUT)
        except NodeUnavailable as exc:
            return fail(args, exc.message)
        except NodeError as exc:
            return fail(args, describe_error(exc))
        except INPUT_ERRORS as exc:
            return fail(args, str(exc), EXIT_BAD_INPUT)
        except (ClientError, KeystoreError) as exc:
            return fail(args, str(exc))
        except KeyboardInterrupt:
            return fail(args, "interrupted", 130)

    return run


def fail(args: argparse.Namespace, message: str, code: int = EXIT_FAILED) -> int:
    print(f"optrollup {args.command}: error: {message}", file=sys.stderr)
    return code


def describe_error(exc: NodeError) -> str:
    """One line: the failure name and number when the STF refused, the node's message, the tx."""
    head = f"{exc.failure_name} ({int(exc.failure_code)})" if exc.failure_code is not None else exc.status.name
    text = f"{head}: {exc.message}" if exc.message and exc.message != exc.failure_name else head
    if exc.receipt is not None:
        text += f" (tx 0x{exc.receipt.tx_hash.hex()} in block {exc.receipt.block_number})"
    return text


# ---------------------------------------------------------------------------------------
# Output


def emit(value: Any) -> None:
    """Print a result as JSON (``node.client.as_json``)."""
    print(json.dumps(as_json(value), indent=2))


def money(value_e6: int) -> str:
    """Collateral units, at least two decimals, exact: ``123.45``, ``0.509198``."""
    return format_e6(value_e6, 2)


def money_grouped(value_e6: int) -> str:
    """Collateral units with thousands separators, at least two decimals: ``7,372.40``."""
    text = money(value_e6)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, frac = text.partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")


def qty(value_e6: int) -> str:
    """Contracts (or a price), exact, trailing zeros trimmed: ``1.5``."""
    return format_e6(value_e6)


def date(unix_seconds: int) -> str:
    if not unix_seconds:
        return "-"
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> str:
    """Aligned columns; ``right[i]`` right-aligns column ``i`` (numbers). Empty rows: headers only."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    right = right or [False] * len(headers)
    lines = []
    for row in cells:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def key_values(pairs: Sequence[tuple[str, str]]) -> str:
    """``label  value`` lines with the labels padded."""
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in pairs)
