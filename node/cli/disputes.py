"""``optrollup disputes [--json]``: the dispute games on L1 (``contracts/fault/dispute_game.vy``).

Each game with its root (``root_index``, which is the batch index: one root per batch), the
parties, the bisection's range and the position in play, whose turn it is, the seconds left
on each side's clock, the challenger's bond and the result: ``in_progress``,
``challenger_wins``, ``defender_wins`` or ``root_removed`` (the root went with another game
first; the challenger's bond is returned). ``--json`` prints a list of objects with the same
fields. ``--last N`` shows the N newest games (default 50).

L1 endpoint: ``--l1`` or ``$OPTROLLUP_L1`` (default the devnet's); contracts: ``--deployment``
or ``$OPTROLLUP_DEPLOYMENT``. Exit status: 0 done, 1 L1 unreachable or no dispute game in
the deployment, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Final

from node.cli.l1_bridge import DEFAULT_L1, ENV_DEPLOYMENT, ENV_L1

DEFAULT_LAST: Final = 50
WEI: Final = 10**18


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "disputes", help="dispute games on L1: root, parties, position, clocks, bonds, result",
        description="The dispute games on L1, newest last: the root each disputes, the parties, the "
                    "bisection's position, the clocks, the bond and the result.")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--last", type=int, default=DEFAULT_LAST, metavar="N",
                        help=f"the N newest games (default {DEFAULT_LAST})")
    parser.add_argument("--l1", metavar="URL", default=None,
                        help=f"L1 JSON-RPC endpoint (default ${ENV_L1} or {DEFAULT_L1})")
    parser.add_argument("--deployment", metavar="FILE", default=None,
                        help=f"the contracts' deployment file (default ${ENV_DEPLOYMENT})")
    parser.set_defaults(func=run)


def read_games(game: Any, first: int, count: int) -> list[dict[str, Any]]:
    """Games ``first .. count - 1`` of ``game`` (a web3 contract) as JSON-ready dicts."""
    from bridge.dispute_game import CHALLENGER, DEFENDER, GameView

    out = []
    for gid in range(first, count):
        view = GameView.from_tuple(gid, game.functions.games(gid).call())
        in_progress = view.status == "in_progress"
        out.append({
            "game": gid,
            "batch": view.root_index,
            "root_index": view.root_index,
            "state_root": "0x" + bytes(view.state_root).hex(),
            "defender": view.defender,
            "challenger": view.challenger,
            "status": view.status,
            "depth": view.depth if view.declared else None,
            "range": [view.lo, view.hi] if view.declared else None,
            "position": view.position if view.declared else None,
            "turn": ("defender" if view.turn == DEFENDER else "challenger") if in_progress else None,
            "clock_left_s": {"defender": game.functions.clock_left(gid, DEFENDER).call(),
                             "challenger": game.functions.clock_left(gid, CHALLENGER).call()},
            "challenger_bond_wei": view.bond_wei,
            "moves": view.moves,
        })
    return out


def _eth(wei: int) -> str:
    whole, frac = divmod(wei, WEI)
    return f"{whole}.{frac:018d}".rstrip("0").rstrip(".") + " ETH"


def _short(address: str) -> str:
    return address[:6] + "…" + address[-4:]


def _print_table(games: list[dict[str, Any]]) -> None:
    from node.cli.common import table

    if not games:
        print("no dispute games")
        return
    rows = []
    for g in games:
        where = "-" if g["range"] is None else f"{g['position']} in [{g['range'][0]}, {g['range'][1]}]"
        clocks = f"{g['clock_left_s']['defender']}s / {g['clock_left_s']['challenger']}s"
        rows.append([g["game"], g["root_index"], g["batch"], g["status"], g["turn"] or "-", where,
                     "-" if g["depth"] is None else g["depth"], g["moves"], _short(g["defender"]),
                     _short(g["challenger"]), clocks, _eth(g["challenger_bond_wei"])])
    print(table(["GAME", "ROOT", "BATCH", "STATUS", "TURN", "POSITION", "DEPTH", "MOVES", "DEFENDER", "CHALLENGER",
                 "CLOCKS D/C", "BOND"], rows, [True, True, True, False, False, False, True, True, False, False,
                                               False, False]))


def run(args: argparse.Namespace) -> int:
    from node.cli.l1_bridge import L1Failed, l1_deployment, l1_errors
    from node.client import BadInput

    try:
        if args.last < 1:
            raise BadInput("--last must be at least 1")
        w3, deployment, url = l1_deployment(args)
        if not deployment.dispute_game:
            print("optrollup disputes: error: the deployment has no dispute game (deployed without the fault "
                  "verifier)", file=sys.stderr)
            return 1
        with l1_errors(url):
            game = deployment.contracts(w3)["dispute_game"]
            count = game.functions.game_count().call()
            games = read_games(game, max(0, count - args.last), count)
    except BadInput as exc:
        print(f"optrollup disputes: error: {exc}", file=sys.stderr)
        return 2
    except L1Failed as exc:
        print(f"optrollup disputes: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(games, indent=2))
    else:
        _print_table(games)
    return 0
