"""The client commands, run in-process through ``node.cli.main.main`` against a dev node."""

from __future__ import annotations

import json

import pytest

from node import keystore
from node.cli.main import main
from node.sequencer.dev import dev_key
from node.wallet import address_of
from tests.node.rpc.node_fixture import E6

NAME = "ETH-4DEC26-3000-C"  # id 5 on the fixture's chain


@pytest.fixture
def run(node, capsys, monkeypatch):
    """``run(*argv)`` -> (exit code, stdout, stderr) with ``--node`` set through the environment."""
    monkeypatch.setenv("OPTROLLUP_NODE", node.target)
    monkeypatch.delenv("OPTROLLUP_PASSWORD", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_instruments_table_and_json(run):
    code, out, _ = run("instruments", "--underlying", "BTC")
    rows = lines(out)
    assert code == 0 and rows[0][:2] == ["ID", "INSTRUMENT"] and len(rows) == 31
    assert rows[1][1] == "BTC-4DEC26-90000-C" and rows[1][4] == "90000" and rows[1][5] == "call"
    header = out.splitlines()[0]
    assert all(len(line) <= len(header) + 20 for line in out.splitlines())  # aligned, not ragged
    code, out, _ = run("instruments", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 60 and listed[4]["name"] == NAME and listed[4]["strike_e6"] == 3000 * E6


def test_trade_round_trip(run):
    code, out, err = run("order", "sell", NAME, "1.5", "90", "--client-id", "7", "--dev-account", "maker")
    assert code == 0, err
    assert "development" in err  # the dev key is flagged as such
    assert "OK" in out and "resting 1.5" in out
    code, out, err = run("order", "buy", "5", "1", "90", "--ioc", "--dev-account", "carol", "--json")
    receipt = json.loads(out)
    assert code == 0 and receipt["filled_e6"] == E6 and receipt["code"] == 0
    (fill,) = receipt["fills"]
    assert (fill["maker_fee_e6"], fill["taker_fee_e6"], fill["price_e6"]) == (300_000, 900_000, 90 * E6)
    assert fill["taker"] == "0x" + address_of(dev_key("carol")).hex()

    code, out, _ = run("book", NAME)
    assert code == 0 and ["ask", "90", "0.5", "1"] in lines(out)
    code, out, _ = run("positions", "--dev-account", "carol")
    assert code == 0 and lines(out)[1][:3] == ["5", NAME, "1"]
    code, out, _ = run("positions", "--address", "0x" + address_of(dev_key("maker")).hex(), "--json")
    assert json.loads(out)[0]["size_e6"] == -E6
    code, out, _ = run("account", "--dev-account", "carol")
    # 1,000,000 funded - 90 premium - 0.90 taker fee
    assert code == 0 and ["balance", "999909.10", "USDC"] in lines(out)
    code, out, _ = run("account", "--dev-account", "carol", "--json")
    assert json.loads(out)["balance_e6"] == 999_909_100_000
    code, out, _ = run("risk", "--dev-account", "carol")
    rows = lines(out)
    assert code == 0 and rows[1][0] == "equity"
    assert rows[2][:3] == ["UNDERLYING", "INDEX", "DELTA"] and rows[3][:2] == ["ETH", "3000.00"]
    assert 0 < float(rows[3][2]) < 1
    code, out, _ = run("risk", "--dev-account", "carol", "--json")
    assert int(json.loads(out)["underlyings"][0]["delta_wad"]) > 0

    code, out, _ = run("orders", "--dev-account", "maker")
    assert code == 0 and lines(out)[1][:5] == ["1", NAME, "sell", "0.5", "90"] and lines(out)[1][5] == "7"
    code, out, _ = run("cancel", "--client-id", "7", "--dev-account", "maker")
    assert code == 0 and "OK" in out
    code, out, _ = run("orders", "--dev-account", "maker")
    assert out.strip() == "no open orders"

    code, out, _ = run("receipt", receipt["tx_hash"])
    assert code == 0 and receipt["tx_hash"] in out and "filled 1" in out
    code, out, _ = run("receipt", receipt["tx_hash"], "--json")
    assert json.loads(out) == receipt


def test_cancel_all(run):
    for price in ("10", "11"):
        assert run("order", "buy", NAME, "1", price, "--dev-account", "alice")[0] == 0
    assert run("order", "buy", "6", "1", "1", "--dev-account", "alice")[0] == 0
    code, out, _ = run("cancel", "--all", "--instrument", NAME, "--dev-account", "alice", "--json")
    assert code == 0 and json.loads(out)["code"] == 0
    code, out, _ = run("orders", "--dev-account", "alice", "--json")
    assert [o["instrument_id"] for o in json.loads(out)] == [6]
    assert run("cancel", "--all", "--dev-account", "alice")[0] == 0
    assert json.loads(run("orders", "--dev-account", "alice", "--json")[1]) == []


def test_keys_and_a_keystore_signer(run, tmp_path, monkeypatch):
    monkeypatch.setattr(keystore, "KDF_ITERATIONS", 2)  # fast scrypt for the test only
    keys = str(tmp_path / "keys")
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    code, out, _ = run("keys", "create", "mm", "--keys-dir", keys, "--password-file", str(secret), "--json")
    created = json.loads(out)
    assert code == 0 and created["label"] == "mm" and created["address"].startswith("0x")
    key_file = tmp_path / "pk"
    key_file.write_text("0x" + dev_key("bob").hex())
    code, out, _ = run("keys", "import", "bob", "--private-key-file", str(key_file), "--keys-dir", keys,
                       "--password-file", str(secret))
    assert code == 0 and "0x" + address_of(dev_key("bob")).hex() in out
    code, out, _ = run("keys", "list", "--keys-dir", keys)
    assert code == 0 and [row[0] for row in lines(out)] == ["LABEL", "bob", "mm"]
    code, _, err = run("keys", "create", "mm", "--keys-dir", keys, "--password-file", str(secret))
    assert code == 1 and "exists already" in err
    code, _, err = run("keys", "create", "../x", "--keys-dir", keys, "--password-file", str(secret))
    assert code == 2 and "bad label" in err

    # fund the new key with the dev faucet (no passphrase needed to read the address), then trade
    code, out, err = run("deposit", "2500", "--key", "mm", "--keys-dir", keys)
    assert code == 0, err
    assert "dev faucet" in out and created["address"] in out
    code, out, err = run("order", "buy", NAME, "0.5", "20", "--key", "mm", "--keys-dir", keys,
                         "--password-file", str(secret))
    assert code == 0, err
    code, out, _ = run("account", "--key", "mm", "--keys-dir", keys, "--json")
    assert json.loads(out)["balance_e6"] == 2500 * E6 and json.loads(out)["open_orders"] == 1
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    code, _, err = run("cancel", "--all", "--key", "mm", "--keys-dir", keys, "--password-file", str(wrong))
    assert code == 1 and "wrong passphrase" in err
    code, _, err = run("cancel", "--all", "--key", "ghost", "--keys-dir", keys, "--password-file", str(secret))
    assert code == 2 and "no key labelled 'ghost'" in err  # a key that is not there: bad input


@pytest.mark.parametrize("argv, code, message", [
    (("order", "buy", NAME, "1.0000001", "90", "--dev-account", "bob"), 2, "more than 6 decimal places"),
    (("order", "buy", "NOPE-4DEC26-1-C", "1", "90", "--dev-account", "bob"), 2, "unknown instrument"),
    (("order", "buy", NAME, "1", "abc", "--dev-account", "bob"), 2, "not a decimal number"),
    (("order", "buy", NAME, "1", "90"), 2, "no key"),
    (("order", "buy", NAME, "1", "90.05", "--dev-account", "bob"), 2, "price 90.05 is not on ETH-4DEC26-3000-C's tick"),
    (("cancel", "424242", "--dev-account", "bob"), 1, "UNKNOWN_ORDER (211)"),
    (("cancel", "--dev-account", "bob"), 2, "give ORDER_ID"),
    (("cancel", "1", "--all", "--dev-account", "bob"), 2, "--all takes no ORDER_ID"),
    (("account",), 2, "which account?"),
    (("receipt", "0x1234"), 2, "32 bytes"),
    (("receipt", "0x" + "11" * 32), 1, "NOT_FOUND"),
    (("deposit", "2000000", "--dev-account", "bob"), 1, "faucet amount"),
    (("account", "--address", "0x1234"), 2, "20 bytes"),
])
def test_bad_input_and_refusals(run, argv, code, message):
    got, out, err = run(*argv)
    assert got == code and message in err and out == ""
    assert len([line for line in err.splitlines() if "error" in line]) == 1


def test_usage_errors_exit_2(run):
    assert run("order", "buy", NAME, "1")[0] == 2
    assert run("order", "hold", NAME, "1", "2")[0] == 2
    assert run("book", NAME, "--depth", "0")[0] == 2
    assert run("order", "buy", NAME, "1", "2", "--ioc", "--fok")[0] == 2


def test_node_unreachable(run):
    code, out, err = run("account", "--node", "127.0.0.1:1", "--dev-account", "bob")
    assert code == 1 and out == "" and "cannot reach the node at 127.0.0.1:1" in err
    code, _, err = run("book", NAME, "--node", "127.0.0.1:1")
    assert code == 1 and "cannot reach the node" in err
