"""``optrollup disputes``: the games read from L1 (the devnet over JSON-RPC, contracts as
``bridge/deploy.py`` deploys them), their fields, results, and clear errors."""

from __future__ import annotations

import dataclasses
import json

import pytest

from node.cli.main import main
from tests.contracts.bridge_fixture import SETTINGS, start_bridge


@pytest.fixture(scope="module")
def bridge():
    b = start_bridge()
    yield b
    b.devnet.close()


def _disputes(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["disputes", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_disputes_lists_games_with_their_root_parties_clocks_and_result(bridge, tmp_path, capsys) -> None:
    file = tmp_path / "deployment.json"
    bridge.deployment.save(file)
    l1 = ["--l1", bridge.devnet.url, "--deployment", str(file)]
    assert _disputes(capsys, "--json", *l1) == (0, "[]\n", "")
    assert _disputes(capsys, *l1)[1] == "no dispute games\n"

    c = bridge.c
    game = bridge.deployment.contracts(bridge.w3)["dispute_game"]
    index = c["commitments"].functions.commitment_count().call()
    bridge.sender("sequencer").transact(c["inbox"], "append_batch", b"\x01batch", 1)
    bridge.sender("proposer").transact(c["commitments"], "propose", index, 1, b"\x42" * 32, value=SETTINGS.bond_wei)
    bond = game.functions.CHALLENGER_BOND().call()
    bridge.sender("challenger").transact(game, "open", index, value=bond)

    code, out, _ = _disputes(capsys, "--json", *l1)
    (g,) = json.loads(out)
    assert code == 0
    assert (g["game"], g["batch"], g["root_index"], g["status"], g["turn"]) == (0, index, index, "in_progress",
                                                                              "defender")
    assert g["state_root"] == "0x" + "42" * 32 and g["challenger_bond_wei"] == bond
    assert (g["defender"], g["challenger"]) == (bridge.address("proposer"), bridge.address("challenger"))
    assert (g["depth"], g["range"], g["position"], g["moves"]) == (None, None, None, 0)
    clock = game.functions.CLOCK().call()
    assert 0 < g["clock_left_s"]["defender"] <= clock and g["clock_left_s"]["challenger"] == clock

    bridge.advance(clock + 1)  # the defender never declares: its clock runs out
    bridge.sender("alice").transact(game, "resolve", 0)
    code, out, _ = _disputes(capsys, "--json", *l1)
    (g,) = json.loads(out)
    assert (g["status"], g["turn"], g["clock_left_s"]["defender"]) == ("challenger_wins", None, 0)
    assert c["commitments"].functions.commitment_count().call() == index  # the root is gone
    code, out, _ = _disputes(capsys, *l1)
    assert code == 0 and "challenger_wins" in out and "GAME" in out.splitlines()[0]


def test_disputes_errors_are_one_line(bridge, tmp_path, capsys) -> None:
    code, _, err = _disputes(capsys, "--l1", bridge.devnet.url, "--deployment", str(tmp_path / "missing.json"))
    assert code == 2 and err.startswith("optrollup disputes: error: cannot read the deployment file")
    file = tmp_path / "deployment.json"
    bridge.deployment.save(file)
    code, _, err = _disputes(capsys, "--l1", "http://127.0.0.1:9", "--deployment", str(file))
    assert code == 1 and "cannot reach the L1" in err and len(err.splitlines()) == 1
    code, _, err = _disputes(capsys, "--last", "0", "--deployment", str(file))
    assert code == 2 and "--last" in err
    dataclasses.replace(bridge.deployment, dispute_game="").save(file)
    code, _, err = _disputes(capsys, "--l1", bridge.devnet.url, "--deployment", str(file))
    assert code == 1 and "no dispute game" in err
