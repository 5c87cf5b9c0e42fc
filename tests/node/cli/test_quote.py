"""``optrollup quote``: exact decimal parsing, the STF's numbers, table and JSON, bad input."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from node.cli.main import main
from node.cli.quote import format_wad
from node.stf.fixedpoint import WAD
from node.stf.optionmath import bs_price_and_greeks

BASE = ["quote", "--spot", "100", "--strike", "100", "--days", "365", "--vol", "0.2",
        "--rate", "0.05"]


def run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_json_is_exactly_the_stf_result(capsys):
    data = run_json(capsys, BASE + ["--call"])
    assert set(data) == {"price", "delta", "gamma", "vega", "theta"}
    r = bs_price_and_greeks(100 * WAD, 100 * WAD, WAD, WAD // 5, WAD // 20, True)
    for key in data:
        assert isinstance(data[key], str)
        assert Decimal(data[key]) * WAD == getattr(r, key)
    # textbook values: call 10.4506, delta 0.6368, vega 37.524 per 1.00 vol, theta -6.414 a year
    assert abs(Decimal(data["price"]) - Decimal("10.450583572185565")) < Decimal("1e-12")
    assert abs(Decimal(data["delta"]) - Decimal("0.636830651175619")) < Decimal("1e-12")
    assert abs(Decimal(data["vega"]) - Decimal("37.52403469169379")) < Decimal("1e-11")
    assert abs(Decimal(data["theta"]) - Decimal("-6.414027546438197")) < Decimal("1e-11")


def test_put_and_percent_inputs(capsys):
    a = run_json(capsys, BASE[:-4] + ["--vol", "20%", "--rate", "5%", "--put"])
    b = run_json(capsys, BASE + ["--put"])
    assert a == b
    assert Decimal(a["delta"]) < 0
    assert abs(Decimal(a["price"]) - Decimal("5.573526022256971")) < Decimal("1e-12")


def test_decimal_inputs_are_exact(capsys):
    data = run_json(capsys, ["quote", "--spot", "2000.123456789012345678", "--strike", "2100",
                             "--days", "30.5", "--vol", "0.65", "--call"])
    r = bs_price_and_greeks(2000123456789012345678, 2100 * WAD, 305 * WAD // 3650,
                            65 * WAD // 100, 0, True)
    assert Decimal(data["price"]) * WAD == r.price


def test_table_output(capsys):
    assert main(BASE + ["--call"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].startswith("European call: spot 100, strike 100, 365 days, vol 20%, rate 5%")
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["price", "delta", "gamma", "vega", "theta"]
    assert "10.45058357218" in out and "per vol point" in out and "per day" in out


def test_zero_days_is_intrinsic(capsys):
    data = run_json(capsys, ["quote", "--spot", "120", "--strike", "100", "--days", "0",
                             "--vol", "0.5", "--call"])
    assert data == {"price": "20", "delta": "1", "gamma": "0", "vega": "0", "theta": "0"}


@pytest.mark.parametrize("argv", [
    ["--spot", "abc"],
    ["--spot", "0"],
    ["--spot", "-5"],
    ["--spot", "nan"],
    ["--spot", "inf"],
    ["--spot", "1.0000000000000000001"],
    ["--strike", "0"],
    ["--strike", "1e19"],
    ["--days", "-1"],
    ["--days", "3651"],
    ["--vol", "-0.1"],
    ["--vol", "1001%"],
    ["--rate", "101%"],
    ["--rate", "x%"],
])
def test_bad_values_exit_2(capsys, argv):
    args = dict(zip(BASE[1::2], BASE[2::2]))
    args.update({argv[0]: argv[1]})
    flat = ["quote"] + [x for kv in args.items() for x in kv] + ["--call"]
    with pytest.raises(SystemExit) as exc:
        main(flat)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[0]}" in err


@pytest.mark.parametrize("extra", [[], ["--call", "--put"]])
def test_missing_or_conflicting_kind_exits_2(capsys, extra):
    with pytest.raises(SystemExit) as exc:
        main(BASE + extra)
    assert exc.value.code == 2


def test_format_wad():
    assert format_wad(0) == "0"
    assert format_wad(WAD) == "1"
    assert format_wad(-WAD // 2) == "-0.5"
    assert format_wad(1) == "0.000000000000000001"
    assert format_wad(-1) == "-0.000000000000000001"
    assert format_wad(123 * WAD + 45 * 10**16) == "123.45"
