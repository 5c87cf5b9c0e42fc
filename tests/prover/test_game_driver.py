"""Dispute games on the devnet over JSON-RPC (py-evm, the contracts as ``bridge/deploy.py``
deploys them), played by ``prover.host.game_driver``: a challenger wins against a wrong root
(the bisection, then a step on the L1 verifier), and the proposer's driver wins against a
challenger who disagrees with everything."""

from __future__ import annotations

import asyncio

from bridge.dispute_game import GameView
from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.l1.batcher import Batcher
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from prover.host.game_driver import GameDriver
from tests.contracts.bridge_fixture import start_bridge
from tests.node.l1.test_l1_pipeline import l1_sequencer


def _until_over(bridge, game, gid: int, drivers, rounds: int = 80) -> GameView:
    for _ in range(rounds):
        view = GameView.from_tuple(gid, game.functions.games(gid).call())
        if view.status != "in_progress":
            return view
        for driver in drivers:
            driver.play()
    raise AssertionError("the game did not end")


def test_drivers_win_as_challenger_against_a_wrong_root_and_as_defender_of_a_right_one():
    bridge = start_bridge()
    try:
        w3, chain, deployment = bridge.w3, bridge.chain, bridge.deployment
        reader = L1Reader(w3, deployment)

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")), propose=False)
            batcher.catch_up()
            batcher.post_once()
            await sequencer.stop()
            return sequencer

        sequencer = asyncio.run(asyncio.wait_for(scenario(), 60))
        commitments, bond = bridge.c["commitments"], deployment.settings.bond_wei
        proposer = bridge.sender("proposer")
        proposer.transact(commitments, "propose", 0, sequencer.head_number, b"\x66" * 32, value=bond)

        challenger = GameDriver(w3, deployment, bridge.sender("challenger"))
        defender = GameDriver(w3, deployment, proposer)
        assert challenger.challenge() == 0
        assert challenger.challenge() is None  # one game per wrong root
        game = deployment.contracts(w3)["dispute_game"]
        view = _until_over(bridge, game, 0, [defender, challenger])
        assert view.status == "challenger_wins" and view.hi - view.lo == 1
        assert view.depth == challenger.claims(0).depth and view.moves == 2 * view.depth + 1
        assert commitments.functions.commitment_count().call() == 0
        credit = game.functions.credit(bridge.address("challenger")).call()
        assert credit == deployment.settings.challenger_bond_wei + bond - bond * 20 // 100

        # the right root; a challenger disagreeing with everything loses to the proposer's driver
        proposer.transact(commitments, "propose", 0, sequencer.head_number, sequencer.head_root, value=bond)
        assert challenger.challenge() is None
        mallory = bridge.sender("alice")
        mallory.transact(game, "open", 0, value=deployment.settings.challenger_bond_wei)

        class AlwaysDisagree:
            def play(self) -> None:
                view = GameView.from_tuple(1, game.functions.games(1).call())
                if view.status == "in_progress" and view.turn == 1 and view.hi - view.lo > 1:
                    mallory.transact(game, "answer", 1, False)

        view = _until_over(bridge, game, 1, [defender, AlwaysDisagree()])
        assert view.status == "defender_wins" and (view.lo, view.hi) == (0, 1)
        assert commitments.functions.commitment_count().call() == 1
        assert game.functions.credit(bridge.address("proposer")).call() == (
            deployment.settings.challenger_bond_wei * 80 // 100)
    finally:
        bridge.devnet.close()
