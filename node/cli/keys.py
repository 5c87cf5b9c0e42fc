"""``optrollup keys create|import|list``: encrypted key files (``node.keystore``).

    optrollup keys create mm [--password-file FILE]
    optrollup keys import mm [--private-key-file FILE] [--password-file FILE]
    optrollup keys list [--json]

Files are Web3 Secret Storage v3 (geth / MetaMask compatible), ``<keys dir>/<LABEL>.json``,
mode 0600; the keys directory is ``--keys-dir``, else ``$OPTROLLUP_KEYS_DIR``, else
``~/.optrollup/keys``. The passphrase comes from ``--password-file`` (first line), else
``$OPTROLLUP_PASSWORD``, else a prompt (asked twice). ``import`` reads the private key (hex)
from ``--private-key-file`` or a hidden prompt, never from the command line. Exit codes: 0
success, 1 refused (a label already taken), 2 bad input (a bad label or key, an unreadable
file, an empty or mismatched passphrase, no passphrase source: ``node.keystore.INPUT_ERRORS``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from node.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, emit, table
from node.keystore import INPUT_ERRORS, BadKeyFile, Keystore, KeystoreError, parse_private_key, read_passphrase


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "keys", help="manage encrypted key files",
        description="Create, import and list encrypted key files (Web3 Secret Storage v3, mode 0600).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="generate a new key", description="Generate a new random key.")
    imported = actions.add_parser("import", help="import a private key",
                                  description="Encrypt an existing private key (hex) under a new label.")
    imported.add_argument("--private-key-file", metavar="FILE",
                          help="read the hex private key from FILE (default: a hidden prompt)")
    listing = actions.add_parser("list", help="list key files", description="List the key files and addresses.")
    for sub in (create, imported, listing):
        if sub is not listing:
            sub.add_argument("label", metavar="LABEL", help="name of the key (file LABEL.json)")
            sub.add_argument("--password-file", metavar="FILE",
                             help="read the passphrase from FILE (else $OPTROLLUP_PASSWORD, else a prompt)")
        sub.add_argument("--keys-dir", metavar="DIR", default=None,
                         help="keys directory (default $OPTROLLUP_KEYS_DIR or ~/.optrollup/keys)")
        sub.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=_guard(_create))
    imported.set_defaults(func=_guard(_import))
    listing.set_defaults(func=_guard(_list))


def _guard(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except INPUT_ERRORS as exc:
            code = EXIT_BAD_INPUT
            message = str(exc)
        except KeystoreError as exc:
            code = EXIT_FAILED
            message = str(exc)
        except KeyboardInterrupt:
            code, message = 130, "interrupted"
        print(f"optrollup keys {args.action}: error: {message}", file=sys.stderr)
        return code

    return run


def _show(args: argparse.Namespace, info, verb: str) -> int:
    if args.json:
        emit({"label": info.label, "address": info.address, "path": str(info.path)})
    else:
        print(f"{verb} key {info.label!r}: address {info.address_hex}")
        print(f"file {info.path} (keep the passphrase: without it the key is lost)")
    return 0


def _create(args: argparse.Namespace) -> int:
    store = Keystore(args.keys_dir)
    store.check_new(args.label)  # a bad or taken label fails before the passphrase is asked
    passphrase = read_passphrase(args.password_file, confirm=True, prompt=f"new passphrase for {args.label}: ")
    return _show(args, store.create(args.label, passphrase), "created")


def _import(args: argparse.Namespace) -> int:
    store = Keystore(args.keys_dir)
    store.check_new(args.label)
    if args.private_key_file:
        try:
            text = Path(args.private_key_file).expanduser().read_text()
        except OSError as exc:
            raise BadKeyFile(f"keystore: cannot read the private key file: {exc}") from None
    elif sys.stdin.isatty():
        text = getpass.getpass("private key (hex): ")
    else:
        text = sys.stdin.readline()
    key = parse_private_key(text)
    passphrase = read_passphrase(args.password_file, confirm=True, prompt=f"new passphrase for {args.label}: ")
    return _show(args, store.import_key(args.label, key, passphrase), "imported")


def _list(args: argparse.Namespace) -> int:
    store = Keystore(args.keys_dir)
    infos = store.list()
    if args.json:
        emit([{"label": i.label, "address": i.address, "path": str(i.path)} for i in infos])
        return 0
    if not infos:
        print(f"no keys in {store.directory}")
        return 0
    print(table(("LABEL", "ADDRESS", "FILE"), [(i.label, i.address_hex, i.path) for i in infos]))
    return 0
