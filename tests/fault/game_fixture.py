"""Dispute games on revm: the verifier (with the block family, reading an L1 storage
double that holds the batches), ``StateCommitments`` over that double, and the dispute
game wired into it; a real batch traced by ``prover`` on a small test chain; honest and
dishonest players."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Callable, Sequence

from eth_abi import decode, encode

from bridge.dispute_game import GAME_TYPES, SOURCE, GameSettings, GameView, constructor_args
from bridge.evm_call import DEFAULT_SENDER
from bridge.revm_call import RevmRunner
from bridge.vyper_build import compile_contract
from prover.client.bisection import TraceClaims, midpoint
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun
from prover.l1.calldata import encode_proof
from prover.l1.deploy import FaultDeployment, deploy_verifier
from prover.l1.verifier import revert_reason
from tests.fault.l1_fixture import L1Double, load_batch
from tests.prover.workload import Batch, Scenario, clone

ROOT_BOND = 10**18
WINDOW_S = 3_600
SILENCE_S = 7_200
SETTINGS = GameSettings(challenger_bond_wei=3 * 10**17, clock_s=600, extension_s=60, max_depth=16)
T0 = 1_000_000

DEFENDER_ADDR = b"\xd0" * 20
CHALLENGER_ADDR = b"\xc0" * 20
OTHER_ADDR = b"\xe0" * 20


class Reverted(Exception):
    """A transaction reverted; the message is its reason."""


@dataclasses.dataclass
class TracedBatch:
    """A batch of a small test chain, its trace's claims, and a prover of any step."""

    scenario: Scenario
    batch: Batch
    claims: TraceClaims

    @property
    def genesis_root(self) -> bytes:
        return self.scenario.chain.backend.root()

    def proof(self, position: int) -> StepProof:
        _, proof = TraceRun(clone(self.scenario.chain.backend), self.batch.index,
                            self.scenario.inputs(self.batch)).run(prove=position)
        assert proof is not None
        return proof


def trace(scenario: Scenario) -> TracedBatch:
    """Batch 0 of ``scenario``, traced from its genesis."""
    batch = scenario.batches[0]
    boundaries: list[Boundary] = []
    TraceRun(clone(scenario.chain.backend), batch.index, scenario.inputs(batch)).run(boundaries.append)
    return TracedBatch(scenario, batch, TraceClaims(tuple(boundaries)))


@lru_cache(maxsize=1)
def traced_batch() -> TracedBatch:
    """Batch 0 of a funded market: two transactions and L1 entries (31 steps, depth 5)."""
    scenario = Scenario.market()
    scenario.build(seed=1, n_batches=1, blocks_per_batch=1, per_block=2)
    return trace(scenario)


@lru_cache(maxsize=1)
def _base() -> tuple[RevmRunner, L1Double, FaultDeployment]:
    runner = RevmRunner()
    double = L1Double(runner)
    deployment = deploy_verifier(runner, {"inbox": double.address, "portal": double.address,
                                          "forced": double.address})
    return runner, double, deployment


class GameL1:
    """A fresh ``StateCommitments`` + dispute game on the shared revm (the verifier and the
    L1 double hold no game state), at L1 time ``T0``, the players' balances reset. Gas
    price is 0: balances move by value only."""

    def __init__(self, settings: GameSettings = SETTINGS, traced: TracedBatch | None = None) -> None:
        """``traced``: the batch 0 the inbox double holds (default ``traced_batch()``)."""
        runner, double, deployment = _base()
        self.traced = traced = traced or traced_batch()
        load_batch(double, traced.batch.index, traced.scenario.inputs(traced.batch))
        self.runner, self.double, self.deployment = runner, double, deployment
        self.settings = settings
        self.gas_log: list[tuple[str, int]] = []  # (function, transaction gas) of every committed call
        self.number = 10
        self.at(T0)
        for who in (DEFENDER_ADDR, CHALLENGER_ADDR, OTHER_ADDR):
            runner.evm.set_balance("0x" + who.hex(), 10**22)
        self.c_build = compile_contract("bridge/state_commitments.vy")
        self.g_build = compile_contract(SOURCE)
        root = traced.genesis_root
        self.commitments = runner.deploy(self.c_build.initcode, encode(
            ["address", "bytes32", "address", "uint256", "uint256", "uint256"],
            [double.address, root, DEFENDER_ADDR, ROOT_BOND, WINDOW_S, SILENCE_S]))
        self.game = runner.deploy(self.g_build.initcode, constructor_args(self.commitments, deployment.verifier,
                                                                          settings))
        self.tx(self.commitments, self.c_build, "set_dispute_game(address)", [self.game])
        self.last_gas = 0

    # -- chain ------------------------------------------------------------------------

    def at(self, time: int) -> None:
        from pyrevm import BlockEnv

        self.number += 1
        self.time = time
        self.runner.evm.set_block_env(BlockEnv(number=self.number, timestamp=time))

    def advance(self, seconds: int) -> None:
        self.at(self.time + seconds)

    def balance(self, who: bytes) -> int:
        return self.runner.evm.get_balance("0x" + who.hex())

    def set_batches(self, count: int) -> None:
        """Make the inbox double hold ``count`` batches (the traced batch 0 and copies of its record)."""
        traced = self.traced
        for i in range(1, count):
            self.double.set_batch(dataclasses.replace(traced.batch.record(), index=i), traced.batch.data)

    # -- calls ------------------------------------------------------------------------

    def tx(self, to: bytes, build: Any, signature: str, args: Sequence[Any] = (), out: Sequence[str] = (),
           sender: bytes = DEFAULT_SENDER, value: int = 0, data: bytes | None = None) -> tuple:
        types = signature[signature.index("(") + 1:-1]
        calldata = data if data is not None else build.selector(signature) + encode(
            [t for t in types.split(",")] if types else [], list(args))
        result = self.runner.call(to, calldata, sender=sender, value=value, commit=True)
        if not result.success:
            raise Reverted(revert_reason(result.output) if result.output else result.error or "halted")
        self.last_gas = result.gas_used
        self.gas_log.append((signature[:signature.index("(")], result.gas_used))
        return tuple(decode(list(out), result.output)) if out else ()

    def view(self, to: bytes, build: Any, signature: str, args: Sequence[Any] = (), out: Sequence[str] = ()) -> Any:
        types = signature[signature.index("(") + 1:-1]
        result = self.runner.call(to, build.selector(signature) + encode(types.split(",") if types else [], list(args)))
        if not result.success:
            raise Reverted(revert_reason(result.output) if result.output else result.error or "halted")
        values = decode(list(out), result.output)
        return values[0] if len(values) == 1 else values

    def c(self, signature: str, args: Sequence[Any] = (), out: Sequence[str] = ("uint256",)) -> Any:
        return self.view(self.commitments, self.c_build, signature, args, out)

    def g(self, signature: str, args: Sequence[Any] = (), out: Sequence[str] = ("uint256",)) -> Any:
        return self.view(self.game, self.g_build, signature, args, out)

    def propose(self, index: int, root: bytes, sender: bytes = DEFENDER_ADDR) -> None:
        self.tx(self.commitments, self.c_build, "propose(uint256,uint256,bytes32)", [index, index, root],
                sender=sender, value=ROOT_BOND)

    def open(self, index: int, sender: bytes = CHALLENGER_ADDR, value: int | None = None) -> int:
        (gid,) = self.tx(self.game, self.g_build, "open(uint256)", [index], ["uint256"], sender=sender,
                         value=self.settings.challenger_bond_wei if value is None else value)
        return gid

    def declare(self, gid: int, depth: int, halted_cursor: bytes, first: bytes, sender: bytes = DEFENDER_ADDR) -> None:
        self.tx(self.game, self.g_build, "declare(uint256,uint256,bytes,bytes32)", [gid, depth, halted_cursor, first],
                sender=sender)

    def claim(self, gid: int, claim: bytes, sender: bytes = DEFENDER_ADDR) -> None:
        self.tx(self.game, self.g_build, "claim(uint256,bytes32)", [gid, claim], sender=sender)

    def answer(self, gid: int, agree: bool, sender: bytes = CHALLENGER_ADDR) -> None:
        self.tx(self.game, self.g_build, "answer(uint256,bool)", [gid, agree], sender=sender)

    def step(self, gid: int, proof: StepProof, sender: bytes = CHALLENGER_ADDR) -> None:
        data = self.g_build.selector("step(uint256,bytes)") + encode(["uint256", "bytes"], [gid, encode_proof(proof)])
        self.tx(self.game, self.g_build, "step(uint256,bytes)", sender=sender, data=data)

    def resolve(self, gid: int, sender: bytes = OTHER_ADDR) -> None:
        self.tx(self.game, self.g_build, "resolve(uint256)", [gid], sender=sender)

    def claim_credit(self, who: bytes, recipient: bytes | None = None) -> None:
        self.tx(self.game, self.g_build, "claim_credit(address)", [recipient or who], sender=who)

    def state(self, gid: int) -> GameView:
        values = self.view(self.game, self.g_build, "games(uint256)", [gid], ["(" + ",".join(GAME_TYPES) + ")"])
        return GameView.from_tuple(gid, values)

    def clock_left(self, gid: int, side: int) -> int:
        return self.g("clock_left(uint256,uint8)", [gid, side])


# -- players -----------------------------------------------------------------------

Answerer = Callable[[int, bytes], bool]  # (position, defender's claim) -> agree
Claimer = Callable[[int], bytes]  # position -> the defender's claim there


def play(l1: GameL1, gid: int, depth: int, halted_cursor: bytes, claimer: Claimer, answerer: Answerer,
         prover: Callable[[int], StepProof] | None = None, step_sender: bytes = CHALLENGER_ADDR) -> GameView:
    """Play game ``gid`` to the end: the defender declares ``depth`` and ``halted_cursor``, then
    claims with ``claimer``; the challenger answers with ``answerer``; at the end the step
    at ``lo`` is proven with ``prover`` (default: the honest proof of ``l1``'s batch)."""
    prover = prover or l1.traced.proof
    lo, hi = 0, 1 << depth
    l1.declare(gid, depth, halted_cursor, claimer(midpoint(lo, hi)) if depth else b"\x00" * 32)
    while hi - lo > 1:
        mid = midpoint(lo, hi)
        agree = answerer(mid, l1.state(gid).mid_claim)
        l1.answer(gid, agree)
        lo, hi = (mid, hi) if agree else (lo, mid)
        if hi - lo > 1:
            l1.claim(gid, claimer(midpoint(lo, hi)))
    view = l1.state(gid)
    assert (view.lo, view.hi) == (lo, hi)
    l1.step(gid, prover(lo), sender=step_sender)
    return l1.state(gid)

