"""``optrollup margin``: the STF's own requirement for a portfolio file, table and JSON, bad input."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from node.cli.main import main
from node.stf import margin, risk
from node.stf.fixedpoint import E6, WAD
from tests.node.stf.harness import EXPIRY_25DEC26, Chain

NOW = "2026-12-01T08:00:02Z"  # the harness chain's oracle block (T0 + 2)
SHORT_CALL = {"now": NOW, "underlying": "ETH", "spot": 3000, "vol": 0.65,
              "positions": [{"instrument": "ETH-25DEC26-3000-C", "size": -1}]}


def run_cli(tmp_path, capsys, portfolio, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "portfolio.json"
    path.write_text(portfolio if isinstance(portfolio, str) else json.dumps(portfolio))
    code = main(["margin", "--portfolio", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(tmp_path, capsys, portfolio) -> dict:
    code, out, err = run_cli(tmp_path, capsys, portfolio, "--json")
    assert code == 0, err
    return json.loads(out)


def e6(text: str) -> int:
    value = Decimal(text) * E6
    assert value == value.to_integral_value()
    return int(value)


def wad(text: str) -> int:
    return int(Decimal(text) * WAD)


def test_naked_short_call_equals_the_stf_on_a_real_chain(tmp_path, capsys):
    """Same oracle inputs on a chain built from signed transactions: the same figures."""
    chain = Chain()
    (call,) = chain.market(index=3000, vol=0.65, series=((EXPIRY_25DEC26, 3000, True),))
    assert chain.time == 1_796_112_002
    positions = ((call, -E6),)
    summary = margin.summarise_positions(chain.state, 0, positions)
    greeks = risk.positions_greeks(chain.state, positions)
    data = run_json(tmp_path, capsys, SHORT_CALL)
    assert e6(data["maintenance"]) == summary.maintenance_e6
    assert e6(data["initial"]) == summary.initial_e6
    (u,) = summary.underlyings
    worst = data["worst_scenario"]
    assert worst["scenario"] == u.worst_scenario == 20
    assert (worst["spot_move"], worst["vol_move"], worst["weight"]) == ("0.15", "up", "1")
    assert e6(worst["loss"]) == u.worst_loss_e6
    assert e6(data["addon"]) == u.addon_e6 == 30 * E6
    for name in ("delta", "gamma", "vega", "theta"):
        assert wad(data["greeks"][name]) == getattr(greeks, name), name
        assert isinstance(data["greeks"][name], str)
    (pos,) = data["positions"]
    assert pos["instrument"] == "ETH-25DEC26-3000-C" and pos["size"] == "-1"
    assert e6(pos["contribution"]) == u.worst_loss_e6
    assert "cash" not in data
    # the README's worked example
    assert data["maintenance"] == "389.602099" and data["initial"] == "506.482729"


def test_call_spread_needs_less_than_the_naked_short_leg(tmp_path, capsys):
    naked = run_json(tmp_path, capsys, SHORT_CALL)
    spread = run_json(tmp_path, capsys, {**SHORT_CALL, "positions": SHORT_CALL["positions"] + [
        {"instrument": "ETH-25DEC26-3200-C", "size": 1}]})
    assert e6(spread["maintenance"]) < e6(naked["maintenance"])
    assert e6(spread["maintenance"]) <= 200 * E6  # at most the width
    assert spread["addon"] == "0"
    assert sum(e6(p["contribution"]) for p in spread["positions"]) == e6(spread["worst_scenario"]["loss"])


def test_cash_adds_equity_and_availability(tmp_path, capsys):
    data = run_json(tmp_path, capsys, {**SHORT_CALL, "cash": "850"})
    assert data["cash"] == "850"
    assert e6(data["equity"]) == 850 * E6 - e6(data["positions"][0]["mark"])
    assert e6(data["available"]) == e6(data["equity"]) - e6(data["initial"])
    assert data["meets_initial"] is True
    no_cash = run_json(tmp_path, capsys, SHORT_CALL)
    assert no_cash["maintenance"] == data["maintenance"]


def test_vol_spellings_and_netting_agree(tmp_path, capsys):
    base = run_json(tmp_path, capsys, SHORT_CALL)
    for vol in ({"25DEC26": 0.65}, {"2026-12-25": "65%"}, {"2026-12-25T08:00:00Z": "0.65", "29JAN27": 1},
                "65%", "0.650000"):
        assert run_json(tmp_path, capsys, {**SHORT_CALL, "vol": vol}) == base, vol
    netted = {**SHORT_CALL, "positions": [
        {"instrument": "eth-25dec26-3000-c", "size": "-0.4"},
        {"instrument": "ETH-25DEC26-3000-C", "size": -0.6},
        {"instrument": "ETH-25DEC26-3200-C", "size": 2},
        {"instrument": "ETH-25DEC26-3200-C", "size": -2},
    ]}
    assert run_json(tmp_path, capsys, netted) == base
    now_as_seconds = run_json(tmp_path, capsys, {**SHORT_CALL, "now": 1_796_112_002})
    assert now_as_seconds == base


def test_per_expiry_vols_and_puts(tmp_path, capsys):
    data = run_json(tmp_path, capsys, {**SHORT_CALL, "vol": {"25DEC26": 0.65, "29JAN27": "80%"}, "positions": [
        {"instrument": "ETH-25DEC26-3000-C", "size": -1},
        {"instrument": "ETH-29JAN27-2800-P", "size": 1.5},
    ]})
    vols = {p["instrument"]: p["vol"] for p in data["positions"]}
    assert vols == {"ETH-25DEC26-3000-C": "0.65", "ETH-29JAN27-2800-P": "0.8"}


def test_empty_portfolio(tmp_path, capsys):
    data = run_json(tmp_path, capsys, {**SHORT_CALL, "positions": []})
    assert data["maintenance"] == data["initial"] == "0" and data["worst_scenario"] is None
    assert data["greeks"] == {"delta": "0", "gamma": "0", "vega": "0", "theta": "0"}


def test_table_output(tmp_path, capsys):
    code, out, _ = run_cli(tmp_path, capsys, {**SHORT_CALL, "cash": 850})
    assert code == 0
    assert out.startswith("ETH portfolio at 2026-12-01T08:00:02Z, spot 3000, 1 position\n")
    assert "worst scenario #20 (spot +15%, vol up)" in out
    assert "389.602099" in out and "506.482729" in out and "meets initial margin" in out
    assert "per 1.00 vol" in out


def test_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(SHORT_CALL)))
    assert main(["margin", "--portfolio", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["maintenance"] == "389.602099"


def _without(key: str) -> dict:
    return {k: v for k, v in SHORT_CALL.items() if k != key}


def _position(instrument: str, size: object = -1) -> dict:
    return {**SHORT_CALL, "positions": [{"instrument": instrument, "size": size}]}


BAD = [
    (_without("spot"), "missing field 'spot'"),
    (_without("now"), "missing field 'now'"),
    (_without("positions"), "missing field 'positions'"),
    ({**SHORT_CALL, "spot": 0}, "spot must be positive"),
    ({**SHORT_CALL, "spot": "-3000"}, "spot must be positive"),
    ({**SHORT_CALL, "spot": "abc"}, "spot is not a decimal number"),
    ({**SHORT_CALL, "spot": "NaN"}, "spot must be finite"),
    ({**SHORT_CALL, "spot": 3000.0000001}, "spot has more than 6 decimal places"),
    ({**SHORT_CALL, "spot": True}, "spot must be a number"),
    ({**SHORT_CALL, "vol": 0}, "vol must be between 1% and 1000%"),
    ({**SHORT_CALL, "vol": "1001%"}, "vol must be between 1% and 1000%"),
    ({**SHORT_CALL, "vol": {"29JAN27": 0.6}}, "no volatility for expiry 25DEC26"),
    ({**SHORT_CALL, "vol": {"31FEB27": 0.6}}, "is not like 25DEC26"),
    ({**SHORT_CALL, "now": "2026-12-01T08:00:00"}, "needs a time zone"),
    ({**SHORT_CALL, "now": "yesterday"}, "not an ISO 8601 time"),
    ({**SHORT_CALL, "cash": -1}, "cash must not be negative"),
    ({**SHORT_CALL, "underlying": "BTC"}, "is not on the underlying BTC"),
    ({**SHORT_CALL, "colour": "red"}, "unknown field 'colour'"),
    ({**SHORT_CALL, "underlying": "E" * 33, "positions": []}, "is longer than 32 bytes"),
    ({**SHORT_CALL, "positions": {"ETH-25DEC26-3000-C": -1}}, "positions must be a list"),
    ({**SHORT_CALL, "positions": [{"instrument": "ETH-25DEC26-3000-C"}]}, "positions[0] must be"),
    (_position("ETH-25DEC26-3000"), "bad instrument name"),
    (_position("ETH-32DEC26-3000-C"), "bad instrument name"),
    (_position("ETH-25XYZ26-3000-C"), "bad instrument name"),
    (_position("ETH-25DEC26-0-C"), "zero strike"),
    (_position("ETH-25DEC26-3000-C", 0), "size must be non-zero"),
    (_position("ETH-25DEC26-3000-C", "0.0000001"), "more than 6 decimal places"),
    (_position("ETH-25NOV26-3000-C"), "cannot be listed at 2026-12-01T08:00:02Z: expiry must be a future date"),
    (_position("ETH-25DEC32-3000-C"), "more than 5 years"),
    ([1, 2], "must be a JSON object"),
    ("{not json", "is not valid JSON"),
]


@pytest.mark.parametrize("portfolio,message", BAD, ids=[m for _, m in BAD])
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, portfolio, message):
    code, out, err = run_cli(tmp_path, capsys, portfolio)
    assert code == 2 and out == ""
    assert err.startswith("optrollup margin: error: ") and message in err, err


def test_unreadable_file_exits_2(tmp_path, capsys):
    assert main(["margin", "--portfolio", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_portfolio_argument_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["margin"])
    assert exc.value.code == 2


def test_readme_example_is_current(tmp_path, capsys):
    """The README's worked example (section "Margin tool") is exactly what the tool prints."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("### Margin tool", 1)[1]
    portfolio = section.split("```json\n", 1)[1].split("```", 1)[0]
    expected = section.split("```text\n", 1)[1].split("```", 1)[0]
    code, out, err = run_cli(tmp_path, capsys, portfolio)
    assert code == 0, err
    assert out == expected
