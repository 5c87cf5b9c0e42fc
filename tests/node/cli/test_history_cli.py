"""``trades``, ``history``, ``pnl`` and the P&L columns of ``positions``: exact integers, paging."""

from __future__ import annotations

import json

import pytest

from node.cli.main import main
from node.pnl import series_pnl
from tests.node.rpc.node_fixture import E6

NAME = "ETH-4DEC26-3000-C"  # id 5 on the fixture's chain


@pytest.fixture(scope="module")
def trades(node):
    """On this module's fresh node: the maker offers 1 @ 90 and alice buys it; carol bids 1 @ 95 and
    alice sells into it (realised +5); the maker offers 1 @ 90 again and alice buys it."""
    steps = [
        ("order", "sell", NAME, "1", "90", "--dev-account", "maker"),
        ("order", "buy", NAME, "1", "90", "--ioc", "--dev-account", "alice"),
        ("order", "buy", NAME, "1", "95", "--dev-account", "carol"),
        ("order", "sell", NAME, "1", "95", "--ioc", "--dev-account", "alice"),
        ("order", "sell", NAME, "1", "90", "--dev-account", "maker"),
        ("order", "buy", NAME, "1", "90", "--ioc", "--dev-account", "alice"),
    ]
    for argv in steps:
        assert main([*argv, "--node", node.target, "--json"]) == 0


@pytest.fixture
def run(node, capsys, monkeypatch, trades):
    monkeypatch.setenv("OPTROLLUP_NODE", node.target)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def alice_fills(run) -> list[dict]:
    code, out, _ = run("history", "--dev-account", "alice", "--json", "--limit", "1000")
    entries = json.loads(out)["entries"]
    return [f for e in reversed(entries) for f in e["fills"]]


def test_history_pages_newest_first(run):
    code, out, err = run("history", "--dev-account", "alice", "--json", "--limit", "2")
    page = json.loads(out)
    assert code == 0 and len(page["entries"]) == 2
    first, second = page["entries"]
    assert first["position"] > second["position"] == page["next_before"]
    assert (first["kind"], first["own"], first["side"], first["price_e6"], first["size_e6"], first["filled_e6"]) == (
        "order", True, 0, 90 * E6, E6, E6)
    assert [(f["liquidity"], f["side"], f["price_e6"], f["size_e6"]) for f in first["fills"]] == [
        ("taker", 0, 90 * E6, E6)]
    assert (second["kind"], second["side"], second["price_e6"]) == ("order", 1, 95 * E6)
    code, out, _ = run("history", "--dev-account", "alice", "--json", "--limit", "2", "--before",
                       str(page["next_before"]))
    older = json.loads(out)["entries"]
    assert older[0]["position"] < second["position"] and older[0]["price_e6"] == 90 * E6
    assert older[-1]["kind"] == "deposit" and older[-1]["own"]  # the dev chain's funding
    code, out, _ = run("history", "--dev-account", "alice", "--limit", "2")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].split()[:4] == ["TIME", "(UTC)", "BLOCK", "WHAT"]
    assert lines[-1] == f"more: --before {page['next_before']}"
    assert any("taker" in line and "buy 1 @ 90" in line for line in lines)


def test_the_maker_sees_its_resting_order_filled_by_others(run):
    code, out, _ = run("history", "--dev-account", "maker", "--json")
    entries = json.loads(out)["entries"]
    fills = [e for e in entries if e["kind"] == "fill"]
    assert len(fills) == 2 and not any(e["own"] for e in fills)
    assert all(f["liquidity"] == "maker" and f["side"] == 1 and f["price_e6"] == 90 * E6
               for e in fills for f in e["fills"])


def test_pnl_is_exact_and_matches_the_positions(run):
    fills = alice_fills(run)
    fees = sum(f["fee_e6"] for f in fills)
    assert [(f["side"], f["price_e6"]) for f in fills] == [(0, 90 * E6), (1, 95 * E6), (0, 90 * E6)]
    code, out, _ = run("instruments", "--json")
    mark = next(i["mark_e6"] for i in json.loads(out) if i["name"] == NAME)
    code, out, _ = run("pnl", "--dev-account", "alice", "--json")
    pnl = json.loads(out)
    assert code == 0 and pnl["complete"] is True
    (series,) = pnl["series"]
    assert (series["name"], series["size_e6"], series["avg_entry_e6"]) == (NAME, E6, 90 * E6)
    assert series["realised_e6"] == 5 * E6 == pnl["realised_e6"]  # sold at 95 what cost 90
    assert series["unrealised_e6"] == mark - 90 * E6 == pnl["unrealised_e6"]
    assert series["fees_e6"] == fees == pnl["fees_e6"] and fees > 0
    code, out, _ = run("positions", "--dev-account", "alice", "--json")
    (position,) = json.loads(out)
    assert position["size_e6"] == E6 and position["avg_entry_e6"] == 90 * E6
    assert (position["realised_e6"], position["unrealised_e6"], position["fees_e6"]) == (
        5 * E6, mark - 90 * E6, fees)
    code, out, _ = run("positions", "--dev-account", "alice")
    header, row, total = out.strip().splitlines()
    assert header.split()[-4:] == ["AVG", "ENTRY", "UNREALISED", "REALISED", "FEES"][-4:]
    assert row.split()[:3] == ["5", NAME, "1"] and row.split()[-2] == "5.00"
    assert total.split()[0] == "total"


def test_trades_page_like_history(run):
    code, out, _ = run("trades", NAME, "--json", "--limit", "2")
    page = json.loads(out)
    assert code == 0 and [t["price_e6"] for t in page["trades"]] == [90 * E6, 95 * E6]
    assert page["next_before"] == page["trades"][-1]["position"]
    code, out, _ = run("trades", NAME, "--json", "--before", str(page["next_before"]))
    rest = json.loads(out)
    assert [t["price_e6"] for t in rest["trades"]] == [90 * E6] and rest["next_before"] == 0
    code, out, _ = run("trades", NAME, "--limit", "1")
    assert out.strip().splitlines()[-1].startswith("more: --before ")
    code, _, err = run("trades", NAME, "--limit", "1001")
    assert code == 2 and "at most 1000" in err


@pytest.mark.parametrize("fills, marks, expected", [
    # long 2 @ 10, sell 1 @ 13: realised +3, 1 left at 10, marked 12: +2
    ([(1, 0, 10 * E6, 2 * E6, 7), (1, 1, 13 * E6, E6, 5)], {1: 12 * E6}, (E6, 10 * E6, 3 * E6, 2 * E6, 12)),
    # short 1 @ 10, buy 3 @ 8: realised +2, flips to long 2 @ 8
    ([(1, 1, 10 * E6, E6, 0), (1, 0, 8 * E6, 3 * E6, 0)], {1: 8 * E6}, (2 * E6, 8 * E6, 2 * E6, 0, 0)),
    # buys at 1 and 2 (avg 1.5), 1 closed at 1: realised -0.5 exactly, then the other at 2: +0.5
    ([(1, 0, E6, E6, 0), (1, 0, 2 * E6, E6, 0), (1, 1, E6, E6, 0)], {}, (E6, 1_500_000, -E6 // 2, 0, 0)),
    ([(1, 0, E6, E6, 0), (1, 0, 2 * E6, E6, 0), (1, 1, E6, E6, 0), (1, 1, 2 * E6, E6, 0)], {}, (0, 0, 0, 0, 0)),
    # avg of 1 @ 1 and 2 @ 2 = 5/3, rounded down; no mark: unrealised 0
    ([(1, 0, E6, E6, 0), (1, 0, 2 * E6, 2 * E6, 0)], {}, (3 * E6, 1_666_666, 0, 0, 0)),
])
def test_series_pnl_rules(fills, marks, expected):
    (row,) = series_pnl(fills, marks)
    assert (row.size_e6, row.avg_entry_e6, row.realised_e6, row.unrealised_e6, row.fees_e6) == expected


def test_the_atm_alias_names_the_nearest_expiry_at_the_money(run):
    code, out, _ = run("instruments", "--underlying", "ETH", "--json")
    listed = json.loads(out)
    nearest = min(i["expiry"] for i in listed)
    pairs = {}
    for i in listed:
        if i["expiry"] == nearest:
            pairs.setdefault(i["strike_e6"], {})[i["is_call"]] = i
    strike = min(pairs, key=lambda k: (abs(pairs[k][True]["mark_e6"] - pairs[k][False]["mark_e6"]), k))
    code, out, _ = run("book", "eth-atm-c", "--json")
    assert code == 0 and json.loads(out)["name"] == pairs[strike][True]["name"]
    code, out, _ = run("book", "ETH-ATM-P", "--json")
    assert code == 0 and json.loads(out)["name"] == pairs[strike][False]["name"]
    code, _, err = run("book", "DOGE-ATM-C")
    assert code == 2 and "no unexpired DOGE series" in err
