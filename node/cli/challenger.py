"""``optrollup challenger``: dispute wrong state roots on L1 and play the games to the end.

Every ``--interval`` seconds it derives the chain from L1 alone (the deployment's L2 genesis,
the batches and queue entries: ``prover.host``), opens a game against the earliest root that
is wrong and still inside its window, and sends its honest move in every game where its
address is a party, challenger or defender (``prover.host.game_driver``): so the proposer's
key runs it to defend its roots too. It keeps no state: restarted, it reads the games from
L1 and carries on. ``--once`` does one round and exits (scripts, tests).

Key: ``--key LABEL`` (a keystore, passphrase from ``--password-file``, ``$OPTROLLUP_PASSWORD``
or a prompt), else the devnet's public ``challenger`` key (development only). L1: ``--l1``
or ``$OPTROLLUP_L1``; contracts: ``--deployment`` or ``$OPTROLLUP_DEPLOYMENT``. Exit status:
0 done (or stopped with Ctrl-C), 1 L1 failure or no dispute game in the deployment, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Final

from node.cli.l1_bridge import DEFAULT_L1, ENV_DEPLOYMENT, ENV_L1

DEFAULT_INTERVAL_S: Final = 5.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "challenger", help="dispute wrong state roots on L1 and play the games (challenger or defender)",
        description="Derive the chain from L1, open a game against the earliest wrong root, and play every game "
                    "this key is a party to.")
    parser.add_argument("--key", metavar="LABEL", default=None,
                        help="keystore LABEL that plays (default: the devnet's public `challenger` key)")
    parser.add_argument("--keys-dir", metavar="DIR", default=None,
                        help="keys directory (default $OPTROLLUP_KEYS_DIR or ~/.optrollup/keys)")
    parser.add_argument("--password-file", metavar="FILE", default=None,
                        help="the key's passphrase (else $OPTROLLUP_PASSWORD, else a prompt)")
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_S, metavar="S",
                        help=f"seconds between rounds (default {DEFAULT_INTERVAL_S:g})")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--l1", metavar="URL", default=None,
                        help=f"L1 JSON-RPC endpoint (default ${ENV_L1} or {DEFAULT_L1})")
    parser.add_argument("--deployment", metavar="FILE", default=None,
                        help=f"the contracts' deployment file (default ${ENV_DEPLOYMENT})")
    parser.set_defaults(func=run)


def _key(args: argparse.Namespace) -> bytes:
    if args.key is None:
        from devnet.accounts import devnet_key

        print("note: playing with the devnet's public `challenger` key (development chains only)", file=sys.stderr)
        return devnet_key("challenger")
    from node.keystore import Keystore, read_passphrase

    return Keystore(args.keys_dir).load(args.key, read_passphrase(args.password_file,
                                                                  prompt=f"passphrase for {args.key}: "))


def _round(driver) -> None:
    opened = driver.challenge()
    if opened is not None:
        print(f"opened a game against root {opened} (its batch's trace halts at another root)", flush=True)
    sent = driver.play()
    if sent:
        print(f"sent {sent} move(s); games: " + ", ".join(
            f"{g.id} {g.status}" for g in driver.games() if driver.address in (g.defender, g.challenger)), flush=True)


def run(args: argparse.Namespace) -> int:
    from node.cli.l1_bridge import L1Failed, l1_deployment, l1_errors
    from node.client import BadInput
    from node.keystore import KeystoreError

    try:
        if not args.interval > 0:
            raise BadInput("--interval must be positive")
        w3, deployment, url = l1_deployment(args)
        if not deployment.dispute_game:
            print("optrollup challenger: error: the deployment has no dispute game (deployed without the fault "
                  "verifier)", file=sys.stderr)
            return 1
        key = _key(args)
        with l1_errors(url):
            from bridge.l1 import Transactor
            from prover.host.game_driver import GameDriver

            driver = GameDriver(w3, deployment, Transactor(w3, key))
            print(f"challenger {driver.address} on {url}", flush=True)
            while True:
                _round(driver)
                if args.once:
                    return 0
                time.sleep(args.interval)
    except (BadInput, KeystoreError) as exc:
        print(f"optrollup challenger: error: {exc}", file=sys.stderr)
        return 2
    except L1Failed as exc:
        print(f"optrollup challenger: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("optrollup challenger: stopped", file=sys.stderr)
        return 0
