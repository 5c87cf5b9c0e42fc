"""The honest player (``prover/client/player.py``) in real games on revm (the dispute game,
state commitments and verifier of ``tests/fault/game_fixture.py``): it wins as challenger
against wrong roots and as defender against any answers, resolves a silent opponent's game,
and carries on after a restart since it reads everything from L1."""

from __future__ import annotations

import random
from typing import Callable

from node.stf.hashing import keccak256
from prover.client.player import (
    CHALLENGER, DEFENDER, Answer, Claim, Declare, Move, Resolve, Step, next_move, should_challenge,
)
from tests.fault.game_fixture import CHALLENGER_ADDR, DEFENDER_ADDR, SETTINGS, GameL1, trace, traced_batch

SENDER = {DEFENDER: DEFENDER_ADDR, CHALLENGER: CHALLENGER_ADDR}


def send(l1: GameL1, gid: int, move: Move, side: int) -> None:
    sender = SENDER[side]
    if isinstance(move, Declare):
        l1.declare(gid, move.depth, move.halted_cursor, move.first_claim, sender=sender)
    elif isinstance(move, Claim):
        l1.claim(gid, move.claim, sender=sender)
    elif isinstance(move, Answer):
        l1.answer(gid, move.agree, sender=sender)
    elif isinstance(move, Step):
        l1.step(gid, l1.traced.proof(move.position), sender=sender)
    elif isinstance(move, Resolve):
        l1.resolve(gid, sender=sender)


def honest(side: int) -> Callable[[GameL1, int], Move | None]:
    return lambda l1, gid: next_move(l1.state(gid), side, l1.traced.claims, l1.time, SETTINGS.clock_s)


def run(l1: GameL1, gid: int, defender, challenger, max_rounds: int = 100) -> str:
    """Alternate the two sides (each a function of the game giving a move or None) until the game ends."""
    for _ in range(max_rounds):
        for side, player in ((DEFENDER, defender), (CHALLENGER, challenger)):
            if l1.state(gid).status != "in_progress":
                return l1.state(gid).status
            move = player(l1, gid)
            if move is not None:
                send(l1, gid, move, side)
        l1.advance(1)
    raise AssertionError("the game did not end")


def wrong_defender(k: int):
    """A defender of a wrong root: the true trace before position ``k``, wrong claims from it on."""
    claims = traced_batch().claims

    def play(l1: GameL1, gid: int) -> Move | None:
        view = l1.state(gid)
        if view.turn != DEFENDER or view.status != "in_progress":
            return None
        pos = (view.lo + view.hi) // 2 if view.declared else 1 << (claims.depth - 1)
        claim = claims.claim_at(pos) if pos < k else keccak256(b"wrong %d" % pos)
        if not view.declared:
            return Declare(claims.depth, claims.halted_cursor(), claim)
        return Claim(pos, claim)
    return play


def random_challenger(seed: int):
    rng = random.Random(seed)

    def play(l1: GameL1, gid: int) -> Move | None:
        view = l1.state(gid)
        if view.turn != CHALLENGER or view.status != "in_progress" or view.hi - view.lo <= 1:
            return None  # never steps: its clock runs out if the defender does not step first
        return Answer((view.lo + view.hi) // 2, rng.random() < 0.5)
    return play


def test_the_honest_challenger_wins_against_wrong_roots() -> None:
    claims = traced_batch().claims
    for k in (1, 7, 20, claims.steps, 1 << claims.depth):
        l1 = GameL1()
        l1.propose(0, keccak256(b"wrong root"))
        assert should_challenge(keccak256(b"wrong root"), claims) and not should_challenge(claims.halted_root(), claims)
        gid = l1.open(0)
        assert run(l1, gid, wrong_defender(k), honest(CHALLENGER)) == "challenger_wins", k
        assert l1.c("commitment_count()") == 0


def test_the_honest_defender_wins_against_random_answers_and_steps_itself() -> None:
    for seed in range(3):
        l1 = GameL1()
        l1.propose(0, traced_batch().claims.halted_root())
        gid = l1.open(0)
        assert run(l1, gid, honest(DEFENDER), random_challenger(seed)) == "defender_wins"
        assert l1.gas_log[-1][0] == "step"  # the defender proved its claim: no wait for the clock


def test_a_silent_opponent_is_resolved_by_the_honest_player() -> None:
    l1 = GameL1()
    l1.propose(0, keccak256(b"wrong root"))
    gid = l1.open(0)
    assert honest(CHALLENGER)(l1, gid) is None  # the defender's turn, its clock running
    l1.advance(SETTINGS.clock_s + 1)
    assert run(l1, gid, lambda l1, gid: None, honest(CHALLENGER)) == "challenger_wins"


def test_a_restarted_challenger_carries_on_from_l1() -> None:
    l1 = GameL1()
    l1.propose(0, keccak256(b"wrong root"))
    gid = l1.open(0)
    defender = wrong_defender(11)
    send(l1, gid, defender(l1, gid), DEFENDER)
    send(l1, gid, honest(CHALLENGER)(l1, gid), CHALLENGER)
    send(l1, gid, defender(l1, gid), DEFENDER)
    # the challenger process restarts: a fresh trace of the batch, nothing kept from before
    fresh = trace(traced_batch().scenario)
    restarted = lambda l1_, gid_: next_move(l1_.state(gid_), CHALLENGER, fresh.claims, l1_.time, SETTINGS.clock_s)  # noqa: E731
    assert run(l1, gid, defender, restarted) == "challenger_wins"
