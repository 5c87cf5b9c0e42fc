"""The dispute game on revm (``contracts/fault/dispute_game.vy`` with ``StateCommitments``
and the one-step verifier): a real batch of a small test chain, traced by ``prover``; an
honest side wins whatever the other plays, clocks decide a silent side's game, bonds are
paid exactly and by pull, a lost root goes with every later one, and a root under a game
does not finalise."""

from __future__ import annotations

import dataclasses
import random

import pytest

from bridge.dispute_game import BURN_PERCENT, CHALLENGER, DEFENDER, max_game_s
from node.stf.cursor import claim_of, encode_cursor
from node.stf.derive_steps import batch_start
from node.stf.hashing import keccak256
from tests.fault.l1 import python_post
from tests.fault.game_fixture import (
    CHALLENGER_ADDR, DEFENDER_ADDR, OTHER_ADDR, ROOT_BOND, SETTINGS, SILENCE_S, WINDOW_S, GameL1, Reverted, play,
    traced_batch,
)

WRONG_ROOT = b"\x66" * 32
BOND = SETTINGS.challenger_bond_wei


def _burned(amount: int) -> int:
    return amount * BURN_PERCENT // 100


@pytest.fixture
def l1() -> GameL1:
    return GameL1()


def test_the_agreed_start_claim_on_l1_is_the_traces_pre_claim(l1: GameL1) -> None:
    claims = traced_batch().claims
    assert l1.g("start_claim(uint256)", [0], ["bytes32"]) == claims.claim_at(0)
    l1.set_batches(2)
    l1.propose(0, claims.halted_root())
    assert l1.g("start_claim(uint256)", [1], ["bytes32"]) == claim_of(claims.halted_root(), batch_start(1))
    with pytest.raises(Reverted, match="game: no previous root"):
        l1.g("start_claim(uint256)", [2], ["bytes32"])


@pytest.mark.parametrize("strategy", ["disagree", "agree", "random"])
def test_an_honest_defender_wins_against_any_challenger(l1: GameL1, strategy: str) -> None:
    claims = traced_batch().claims
    l1.propose(0, claims.halted_root())
    gid = l1.open(0)
    rng = random.Random(7)
    answerer = {"disagree": lambda p, c: False, "agree": lambda p, c: True,
                "random": lambda p, c: rng.random() < 0.5}[strategy]
    before = l1.balance(DEFENDER_ADDR)
    view = play(l1, gid, claims.depth, claims.halted_cursor(), claims.claim_at, answerer)
    assert view.status == "defender_wins" and view.moves == 2 * claims.depth + 1
    assert l1.g("credit(address)", [DEFENDER_ADDR]) == BOND - _burned(BOND)
    assert l1.g("credit(address)", [CHALLENGER_ADDR]) == 0 and l1.g("burned()") == _burned(BOND)
    l1.claim_credit(DEFENDER_ADDR)
    assert l1.balance(DEFENDER_ADDR) == before + BOND - _burned(BOND)
    assert l1.g("credit(address)", [DEFENDER_ADDR]) == 0
    with pytest.raises(Reverted, match="game: no credit"):
        l1.claim_credit(DEFENDER_ADDR)
    # the root stays and finalises with its window
    assert l1.c("commitment_count()") == 1 and not l1.c("is_final(uint256)", [0], ["bool"])
    l1.advance(WINDOW_S)
    assert l1.c("is_final(uint256)", [0], ["bool"])


def _dishonest_claims(kind: str, seed: int):
    """A dishonest defender's claim at each position (its root is wrong)."""
    claims = traced_batch().claims
    rng = random.Random(seed)
    if kind == "consistent":  # the true trace, a wrong root only in the halted claim
        return claims.claim_at
    if kind == "random":
        return lambda p: rng.randbytes(32)
    k = rng.randrange(1, claims.steps)  # the true trace up to a random step, then wrong claims
    return lambda p: claims.claim_at(p) if p < k else keccak256(b"wrong %d" % p)


@pytest.mark.parametrize("kind,seed", [("consistent", 0), ("random", 1), ("diverging", 2), ("diverging", 3)])
def test_an_honest_challenger_wins_against_a_wrong_root_and_every_later_root_goes(l1: GameL1, kind: str,
                                                                                 seed: int) -> None:
    claims = traced_batch().claims
    l1.set_batches(3)
    l1.propose(0, WRONG_ROOT)
    l1.propose(1, b"\x01" * 32)
    l1.propose(2, b"\x02" * 32)
    gid = l1.open(0)
    before = l1.balance(CHALLENGER_ADDR)
    halted = claims.halted_cursor()
    view = play(l1, gid, claims.depth, halted, _dishonest_claims(kind, seed), claims.agrees)
    assert view.status == "challenger_wins"
    assert l1.c("commitment_count()") == 0  # the wrong root and both later ones
    won = 3 * ROOT_BOND
    assert l1.g("credit(address)", [CHALLENGER_ADDR]) == BOND + won - _burned(won)
    assert l1.g("credit(address)", [DEFENDER_ADDR]) == 0 and l1.g("burned()") == _burned(won)
    l1.claim_credit(CHALLENGER_ADDR)
    assert l1.balance(CHALLENGER_ADDR) == before + BOND + won - _burned(won)
    # the batch is proposed again, with the right root, and finalises
    l1.propose(0, claims.halted_root())
    l1.advance(WINDOW_S)
    assert l1.c("is_final(uint256)", [0], ["bool"])


def test_a_defender_declaring_too_short_a_trace_loses(l1: GameL1) -> None:
    """Depth 2 (positions 0..4) with the halted cursor: the true claim at 4 is no halted one."""
    claims = traced_batch().claims
    l1.propose(0, WRONG_ROOT)
    gid = l1.open(0)
    view = play(l1, gid, 2, claims.halted_cursor(), claims.claim_at, claims.agrees)
    assert (view.status, view.lo, view.hi) == ("challenger_wins", 3, 4)


def test_the_declaration_is_checked(l1: GameL1) -> None:
    claims = traced_batch().claims
    l1.propose(0, claims.halted_root())
    gid = l1.open(0)
    with pytest.raises(Reverted, match="game: the cursor is not HALTED"):
        l1.declare(gid, claims.depth, encode_cursor(batch_start(0)), claims.claim_at(16))
    with pytest.raises(Reverted, match="game: the cursor is not one RLP list"):
        l1.declare(gid, claims.depth, b"\x66", claims.claim_at(16))
    with pytest.raises(Reverted, match="game: depth over MAX_DEPTH"):
        l1.declare(gid, SETTINGS.max_depth + 1, claims.halted_cursor(), claims.claim_at(16))
    with pytest.raises(Reverted, match="game: not the defender"):
        l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16), sender=CHALLENGER_ADDR)


def test_nobody_moves_out_of_turn_or_twice(l1: GameL1) -> None:
    claims = traced_batch().claims
    l1.propose(0, claims.halted_root())
    gid = l1.open(0)
    with pytest.raises(Reverted, match="game: not the defender's turn"):
        l1.claim(gid, claims.claim_at(16))  # before the declaration
    with pytest.raises(Reverted, match="game: not the challenger's answer"):
        l1.answer(gid, True)
    l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16))
    with pytest.raises(Reverted, match="game: not the defender's declaration"):
        l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16))
    with pytest.raises(Reverted, match="game: not the defender's turn"):
        l1.claim(gid, claims.claim_at(8))
    with pytest.raises(Reverted, match="game: not the challenger"):
        l1.answer(gid, True, sender=OTHER_ADDR)
    with pytest.raises(Reverted, match="game: not the challenger"):
        l1.answer(gid, True, sender=DEFENDER_ADDR)
    with pytest.raises(Reverted, match="game: the bisection is not done"):
        l1.step(gid, traced_batch().proof(0))
    l1.answer(gid, False)
    with pytest.raises(Reverted, match="game: not the challenger's answer"):
        l1.answer(gid, False)
    with pytest.raises(Reverted, match="game: not the defender"):
        l1.claim(gid, claims.claim_at(8), sender=OTHER_ADDR)
    l1.claim(gid, claims.claim_at(8))
    with pytest.raises(Reverted, match="game: not the defender's turn"):
        l1.claim(gid, claims.claim_at(8))
    assert l1.state(gid).moves == 3 and (l1.state(gid).lo, l1.state(gid).hi) == (0, 16)


def test_a_forged_step_proof_is_refused_and_the_true_one_still_decides(l1: GameL1) -> None:
    traced = traced_batch()
    claims = traced.claims
    l1.propose(0, WRONG_ROOT)
    gid = l1.open(0)
    k = 9
    claimer = lambda p: claims.claim_at(p) if p < k else keccak256(b"wrong %d" % p)  # noqa: E731
    lo, hi = 0, 1 << claims.depth
    l1.declare(gid, claims.depth, claims.halted_cursor(), claimer((lo + hi) // 2))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        agree = claims.agrees(mid, l1.state(gid).mid_claim)
        l1.answer(gid, agree)
        lo, hi = (mid, hi) if agree else (lo, mid)
        if hi - lo > 1:
            l1.claim(gid, claimer((lo + hi) // 2))
    assert (lo, hi) == (k - 1, k)
    with pytest.raises(Reverted, match="verifier: pre_claim"):
        l1.step(gid, traced.proof(k))  # the proof of another position
    honest = traced.proof(lo)
    with pytest.raises(Reverted, match="verifier: pre_claim"):  # another pre-state
        l1.step(gid, dataclasses.replace(honest, pre_root=keccak256(b"another state")))
    assert honest.nodes
    for i, node in enumerate(honest.nodes):  # a witness node with a bit flipped, which Python refuses
        forged = dataclasses.replace(honest, nodes=honest.nodes[:i] + (node[:-1] + bytes([node[-1] ^ 1]),)
                                     + honest.nodes[i + 1:])
        if python_post(forged) is None:
            break
    else:
        raise AssertionError("no tampered node is refused")
    with pytest.raises(Reverted):
        l1.step(gid, forged)
    assert l1.state(gid).status == "in_progress"
    l1.step(gid, honest, sender=OTHER_ADDR)  # anyone may submit the step
    assert l1.state(gid).status == "challenger_wins"
    with pytest.raises(Reverted, match="game: resolved"):
        l1.step(gid, honest)


def test_a_silent_defender_loses_on_time(l1: GameL1) -> None:
    l1.propose(0, WRONG_ROOT)
    gid = l1.open(0)
    l1.advance(SETTINGS.clock_s)
    with pytest.raises(Reverted, match="game: clock still running"):
        l1.resolve(gid)
    assert l1.clock_left(gid, DEFENDER) == 0 and l1.clock_left(gid, CHALLENGER) == SETTINGS.clock_s
    l1.advance(1)
    claims = traced_batch().claims
    with pytest.raises(Reverted, match="game: clock ran out"):
        l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16))
    l1.resolve(gid)  # anyone
    assert l1.state(gid).status == "challenger_wins" and l1.c("commitment_count()") == 0
    assert l1.g("credit(address)", [CHALLENGER_ADDR]) == BOND + ROOT_BOND - _burned(ROOT_BOND)


def test_a_silent_challenger_loses_on_time_and_the_extension_is_given(l1: GameL1) -> None:
    claims = traced_batch().claims
    l1.propose(0, claims.halted_root())
    gid = l1.open(0)
    l1.advance(SETTINGS.clock_s - 10)  # the defender takes all but 10 s of its clock
    l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16))
    assert l1.clock_left(gid, DEFENDER) == 10 and l1.clock_left(gid, CHALLENGER) == SETTINGS.clock_s
    l1.advance(5)
    l1.answer(gid, True)  # the defender's turn starts with 10 s left: extended to EXTENSION
    assert l1.clock_left(gid, DEFENDER) == SETTINGS.extension_s
    l1.advance(SETTINGS.extension_s)
    l1.claim(gid, claims.claim_at(24))  # on the last second
    assert l1.clock_left(gid, CHALLENGER) == SETTINGS.clock_s - 5
    l1.advance(SETTINGS.clock_s - 5 + 1)
    with pytest.raises(Reverted, match="game: clock ran out"):
        l1.answer(gid, True)
    l1.resolve(gid)
    assert l1.state(gid).status == "defender_wins"
    assert l1.g("credit(address)", [DEFENDER_ADDR]) == BOND - _burned(BOND)


def test_a_root_under_a_game_and_every_later_root_wait_for_it() -> None:
    l1 = GameL1(dataclasses.replace(SETTINGS, clock_s=2 * WINDOW_S))  # the game outlasts the window
    claims = traced_batch().claims
    l1.set_batches(2)
    l1.propose(0, claims.halted_root())
    gid = l1.open(0)
    l1.advance(10)
    l1.propose(1, b"\x01" * 32)
    l1.advance(WINDOW_S)  # both windows over
    assert not l1.c("is_final(uint256)", [0], ["bool"]) and not l1.c("is_final(uint256)", [1], ["bool"])
    with pytest.raises(Reverted, match="commitments: root not final"):
        l1.c("final_root(uint256)", [1], ["bytes32"])
    with pytest.raises(Reverted, match="commitments: challenge window over"):
        l1.open(1)
    assert l1.c("lowest_open()") == 0
    play(l1, gid, claims.depth, claims.halted_cursor(), claims.claim_at, lambda p, c: False)
    assert l1.c("is_final(uint256)", [0], ["bool"]) and l1.c("is_final(uint256)", [1], ["bool"])
    assert l1.c("lowest_open()") == 2**256 - 1


def test_several_games_on_one_root_the_first_win_removes_it_the_others_are_refunded(l1: GameL1) -> None:
    claims = traced_batch().claims
    l1.propose(0, WRONG_ROOT)
    first = l1.open(0)
    second = l1.open(0, sender=OTHER_ADDR)
    with pytest.raises(Reverted, match="game: wrong bond"):
        l1.open(0, value=BOND - 1)
    with pytest.raises(Reverted, match="game: the proposer cannot challenge its own root"):
        l1.open(0, sender=DEFENDER_ADDR)
    play(l1, first, claims.depth, claims.halted_cursor(), claims.claim_at, claims.agrees)
    assert l1.state(first).status == "challenger_wins" and l1.c("commitment_count()") == 0
    with pytest.raises(Reverted, match="game: not the defender"):
        l1.declare(second, claims.depth, claims.halted_cursor(), claims.claim_at(16), sender=OTHER_ADDR)
    l1.resolve(second)
    assert l1.state(second).status == "root_removed"
    assert l1.g("credit(address)", [OTHER_ADDR]) == BOND
    # a new root at the same index is not held by the old games
    l1.propose(0, claims.halted_root())
    l1.advance(WINDOW_S)
    assert l1.c("is_final(uint256)", [0], ["bool"])
    with pytest.raises(Reverted, match="commitments: challenge window over"):
        l1.open(0)


def test_anyone_may_propose_once_the_proposer_is_silent(l1: GameL1) -> None:
    claims = traced_batch().claims
    with pytest.raises(Reverted, match="commitments: caller is not the proposer"):
        l1.propose(0, claims.halted_root(), sender=OTHER_ADDR)
    l1.advance(SILENCE_S)
    before = l1.balance(OTHER_ADDR)
    l1.propose(0, claims.halted_root(), sender=OTHER_ADDR)
    assert l1.balance(OTHER_ADDR) == before - ROOT_BOND
    # the new root's proposer defends it
    gid = l1.open(0)
    assert l1.state(gid).defender.lower() == "0x" + OTHER_ADDR.hex()
    with pytest.raises(Reverted, match="game: not the defender"):
        l1.declare(gid, claims.depth, claims.halted_cursor(), claims.claim_at(16))
    l1.set_batches(4)
    l1.propose(1, b"\x01" * 32, sender=CHALLENGER_ADDR)  # still silent: anyone, root after root
    l1.propose(2, b"\x02" * 32)  # the proposer is back: the silence restarts
    with pytest.raises(Reverted, match="commitments: caller is not the proposer"):
        l1.propose(3, b"\x03" * 32, sender=OTHER_ADDR)
    assert l1.c("proposer_last_at()") == l1.time


def test_the_window_arithmetic() -> None:
    """A devnet game of depth 16 ends inside the 300 s devnet window (BridgeSettings)."""
    from bridge.deploy import BridgeSettings

    s = BridgeSettings()
    assert max_game_s(s.game(), 16) == 285 <= s.challenge_window_s
