"""Dispute game: a full game on L1 (revm, Prague rules), its moves and gas.

Set-up: a funded test market (``tests.prover.workload.Scenario``) and one busy batch of
random trading blocks with L1 deposits and forced transactions, traced by ``prover``.
Every step is run on the verifier first; the game is then played to the costliest one:
the proposer posts a wrong root whose trace is right up to that step and wrong after, an
honest challenger bisects (``contracts/fault/dispute_game.vy``) and wins with the step.

- ``dispute.steps`` / ``dispute.depth``: the batch's trace and the declared depth;
- ``dispute.moves``: moves of the game (declare, claims, answers, the step);
- ``dispute.l1_gas_total``: every transaction of the game (open, moves, the step,
  ``claim_credit``), whole-transaction gas;
- ``dispute.gas.FUNCTION``: the largest transaction of each function;
- ``dispute.defender_gas`` / ``dispute.challenger_gas``: what each side pays to play
  it (the bond arithmetic: the challenger's bond covers the first, the root bond the second);
- ``dispute.wall_s``: a whole game on the devnet over JSON-RPC (py-evm, a block per
  transaction), from opening to the challenger's win, both sides played by
  ``prover.host.game_driver`` (the wrong root's defender answers with its true claims, so
  the bisection runs to the last position), on the dev set-up's first batch.
"""

from __future__ import annotations

import time

from bench.common import emit

SEED = 3
BLOCKS, PER_BLOCK = 6, 10


def run() -> None:
    from node.stf.hashing import keccak256
    from prover.l1.verifier import run_step
    from tests.fault.game_fixture import CHALLENGER_ADDR, GameL1, play, trace
    from tests.prover.workload import Scenario

    scenario = Scenario.market()
    scenario.build(seed=SEED, n_batches=1, blocks_per_batch=BLOCKS, per_block=PER_BLOCK)
    traced = trace(scenario)
    claims = traced.claims
    l1 = GameL1(traced=traced)
    proofs: dict[int, object] = {}
    from prover.client.trace import TraceRun
    from tests.prover.workload import clone

    TraceRun(clone(scenario.chain.backend), 0, scenario.inputs(traced.batch)).run(
        on_proof=lambda p: proofs.__setitem__(p.position, p))
    gas = {pos: run_step(l1.runner, l1.deployment.verifier, proof).gas for pos, proof in proofs.items()}
    worst = max(gas, key=lambda pos: gas[pos])
    emit("dispute", "dispute.steps", claims.steps, "steps")
    emit("dispute", "dispute.depth", claims.depth, "levels")

    l1.propose(0, keccak256(b"a wrong root"))
    l1.gas_log.clear()
    started = time.perf_counter()
    gid = l1.open(0)
    wrong = lambda p: claims.claim_at(p) if p <= worst else keccak256(b"wrong %d" % p)  # noqa: E731
    view = play(l1, gid, claims.depth, claims.halted_cursor(), wrong, claims.agrees, prover=lambda pos: proofs[pos])
    l1.claim_credit(CHALLENGER_ADDR)
    wall = time.perf_counter() - started
    assert view.status == "challenger_wins" and view.lo == worst, (view.status, view.lo, worst)
    total = sum(g for _, g in l1.gas_log)
    emit("dispute", "dispute.moves", view.moves, "moves", step_kind=proofs[worst].kind)
    emit("dispute", "dispute.l1_gas_total", total, "gas", transactions=len(l1.gas_log))
    for name in sorted({n for n, _ in l1.gas_log}):
        emit("dispute", f"dispute.gas.{name}", max(g for n, g in l1.gas_log if n == name), "gas")
    defender = sum(g for n, g in l1.gas_log if n in ("declare", "claim"))
    challenger = sum(g for n, g in l1.gas_log if n in ("open", "answer", "step"))
    emit("dispute", "dispute.defender_gas", defender, "gas")
    emit("dispute", "dispute.challenger_gas", challenger, "gas")
    emit("dispute", "dispute.revm_wall_s", wall, "s")
    _devnet_game()


def _devnet_game() -> None:
    """``dispute.wall_s``: a game played to the end on the devnet (module docstring)."""
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

    bridge = start_bridge()
    try:
        w3, deployment = bridge.w3, bridge.deployment
        reader = L1Reader(w3, deployment)

        async def post_batch():
            sequencer = await l1_sequencer(bridge.chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")), propose=False)
            batcher.catch_up()
            batcher.post_once()
            await sequencer.stop()
            return sequencer.head_number

        head = asyncio.run(asyncio.wait_for(post_batch(), 120))
        proposer = bridge.sender("proposer")
        proposer.transact(bridge.c["commitments"], "propose", 0, head, b"\x66" * 32, value=deployment.settings.bond_wei)
        challenger, defender = GameDriver(w3, deployment, bridge.sender("challenger")), GameDriver(w3, deployment, proposer)
        game = deployment.contracts(w3)["dispute_game"]
        started = time.perf_counter()
        challenger.challenge()
        while True:
            view = GameView.from_tuple(0, game.functions.games(0).call())
            if view.status != "in_progress":
                break
            defender.play()
            challenger.play()
        wall = time.perf_counter() - started
        assert view.status == "challenger_wins", view.status
        emit("dispute", "dispute.wall_s", wall, "s", moves=view.moves, depth=view.depth,
             steps=challenger.claims(0).steps)
    finally:
        bridge.devnet.close()


if __name__ == "__main__":
    run()
