"""``optrollup challenger``: one round (``--once``) on the devnet opens a game against a wrong
root (then ``optrollup disputes`` shows it), none against nothing; clear errors. The games
played to the end: ``tests/prover/test_game_driver.py``."""

from __future__ import annotations

import json

import pytest

from node.cli.main import main
from tests.contracts.bridge_fixture import SETTINGS, start_bridge


@pytest.fixture(scope="module")
def bridge():
    b = start_bridge()
    yield b
    b.devnet.close()


def test_one_round_opens_a_game_against_a_wrong_root(bridge, tmp_path, capsys) -> None:
    file = tmp_path / "deployment.json"
    bridge.deployment.save(file)
    l1 = ["--l1", bridge.devnet.url, "--deployment", str(file)]
    assert main(["challenger", "--once", *l1]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"challenger {bridge.address('challenger')}") and "opened" not in out.out
    assert "devnet's public `challenger` key" in out.err
    c = bridge.c
    bridge.sender("sequencer").transact(c["inbox"], "append_batch", b"\x01batch", 0)
    bridge.sender("proposer").transact(c["commitments"], "propose", 0, 0, b"\x66" * 32, value=SETTINGS.bond_wei)
    assert main(["challenger", "--once", *l1]) == 0
    assert "opened a game against root 0" in capsys.readouterr().out
    assert main(["challenger", "--once", *l1]) == 0  # the defender's turn: nothing to send, no second game
    assert "opened" not in capsys.readouterr().out
    assert main(["disputes", "--json", *l1]) == 0
    (game,) = json.loads(capsys.readouterr().out)
    assert (game["root_index"], game["status"], game["challenger"]) == (0, "in_progress", bridge.address("challenger"))


def test_challenger_errors_are_one_line(bridge, tmp_path, capsys) -> None:
    assert main(["challenger", "--once", "--deployment", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.startswith("optrollup challenger: error: cannot read the deployment file")
    file = tmp_path / "deployment.json"
    bridge.deployment.save(file)
    assert main(["challenger", "--once", "--l1", "http://127.0.0.1:9", "--deployment", str(file)]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the L1" in err and err.count("error:") == 1
    assert main(["challenger", "--interval", "0", "--deployment", str(file)]) == 2
