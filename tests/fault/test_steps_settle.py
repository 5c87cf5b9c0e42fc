"""The settle family on L1 (``contracts/fault/steps_settle.vy`` and its pieces ``settle_scan.vy``,
``settle_position.vy``) computes what ``node/stf/settlement.py`` computes (SettlePhase 60-63).

Every SETTLE, SETTLE_SCAN, SETTLE_POSITION and SETTLE_RECOVERY step of real workloads runs
in Python and on the verifier deployed by ``deploy_verifier`` on a revm that enforces
EIP-170, through the differential driver (``prover/l1/differential.py``): no step may
diverge. The workloads: longs and shorts settled with their resting orders cancelled (8
scanned a step), settlements refused (too early, price not fixed yet, unknown series,
nothing to settle, a short that cannot pay while it holds other positions), a short whose
deficit is covered by the fee pool and socialised, three orders of one owner back to back
in one level's queue (the book bug fixed in issue 10), accounts under a liquidation
auction (its recovery decided by a margin summary), random trades settled by random
keepers, and the widest account (64 positions, 128 resting orders) for the worst-case gas.
A few steps also run on py-evm, and tampered witnesses are refused.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Final

import pytest

from bridge.fault_contracts import SETTLE
from bridge.revm_call import RevmRunner
from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.params import MAX_OPEN_ORDERS, MAX_POSITIONS
from node.stf.settlement import SETTLEMENT_WINDOW
from node.stf.txtypes import Settle, VolPoint
from node.wallet import address_of
from prover.client.trace import TraceRun
from prover.l1.deploy import FAMILIES, deploy_verifier, dispatch_key
from prover.l1.differential import Driver, Report
from prover.l1.verifier import run_step
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.prover.test_steps_risk import many_series_market, post, risk_market, scenario_of
from tests.fault.l1 import tampered_witness_refused
from tests.prover.workload import Scenario, clone, fast_path

GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction
GAS_CEILING: Final = 16_777_216
# A SETTLE_SCAN step that removes an order runs orders.remove_order (the place family's
# code: the book, the owner's account read twice and written) and reads the whole account:
# ~2.5-3.1 M gas on ordinary accounts, 6.5 M on the widest; bounded by the ceiling only.
SCAN_BOUND: Final = GAS_CEILING
KINDS: Final = ("SETTLE", "SETTLE_SCAN", "SETTLE_POSITION", "SETTLE_RECOVERY")
E: Final = EXPIRY_25DEC26
BUY, SELL = 0, 1


@lru_cache(maxsize=1)
def _deployment():
    runner = RevmRunner()  # EIP-170 enforced: every contract of the family deploys
    deployment = deploy_verifier(runner, families=FAMILIES)
    assert set(SETTLE.keys) <= deployment.implemented
    return runner, deployment


def _run(scenario: Scenario, bound: int = GAS_TARGET) -> Report:
    runner, deployment = _deployment()
    report = Driver(runner, deployment).run_batches(
        clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    print(report.table())
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    for kind in KINDS:
        if kind in report.kinds:
            assert report.kinds[kind].skipped == 0
            limit = max(bound, SCAN_BOUND) if kind == "SETTLE_SCAN" else bound
            assert report.kinds[kind].gas_max <= limit, (kind, report.kinds[kind].gas_max)
    return report


def _receipts(scenario: Scenario) -> list:
    backend = clone(scenario.chain.backend)
    results: list = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch, results)
    return [r for block in results for r in block.receipts]


def _proofs(scenario: Scenario) -> list:
    proofs: list = []
    backend = clone(scenario.chain.backend)
    for batch in scenario.batches:
        TraceRun(backend, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
    return proofs


def _settle(chain: Chain, keeper: bytes, account: bytes, instrument_id: int) -> bytes:
    address = account if len(account) == 20 else address_of(account)
    return chain.signed(keeper, Settle, account=address, instrument_id=instrument_id)


def _oracle(chain: Chain, index_e6: int, time: int) -> bytes:
    surface = (VolPoint(E, 650_000, 0, 0), VolPoint(EXPIRY_29JAN27, 650_000, 0, 0))
    return chain.oracle_e6(1, index_e6, surface, observed=time)


def test_settle_steps_of_the_risk_workload() -> None:
    """The risk market: a crash liquidates the short, then every account settles after
    expiry (one early settlement refused); the buyer's 20 resting bids (four to a level,
    back to back) are scanned, the short is under its auction."""
    scenario, t, (call, put) = risk_market()
    chain = scenario.chain
    keeper = t["keeper"]
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, t["seller"], call, 0)])])
    settles = [_settle(chain, keeper, t[who], inst)
               for who, inst in (("buyer", call), ("buyer", put), ("seller", call), ("keeper", call),
                                 ("poor", call), ("seller", put))]
    early = _settle(chain, keeper, t["buyer"], call)
    post(scenario, [(E - SETTLEMENT_WINDOW, [chain.oracle(1, 3100, observed=E - SETTLEMENT_WINDOW), early]),
                    (E + 60, [chain.oracle(1, 3141, observed=E + 60), *settles])])
    report = _run(scenario)
    assert report.kinds["SETTLE"].run == 7
    assert report.kinds["SETTLE_SCAN"].run >= 20
    assert report.kinds["SETTLE_POSITION"].run >= 3


def test_settle_outcomes_equal_python() -> None:
    """Each outcome of a Settle (``tests/node/stf/test_settlement.py``'s cases in one
    chain): a long and a short paid at an awkward price with their resting orders on the
    series cancelled and the others kept; refused too early, before the price is fixed, on
    an unknown or unexpired series, with nothing left; a short whose deficit the fee pool
    and a socialised loss cover; a short with another position that cannot pay
    (INSUFFICIENT_BALANCE, then paid once it sold that position); an account with only
    orders; three orders of one owner back to back in one level's queue."""
    chain = Chain()
    call, put, later = chain.market(3000, series=((E, 3000, True), (E, 3100, False), (EXPIRY_29JAN27, 3000, True)))
    alice, bob, keeper = chain.trader("alice"), chain.trader("bob", 1_000_000), chain.trader("keeper", 1_000)
    poor, carol, dave = chain.trader("poor", 600), chain.trader("carol"), chain.trader("dave", 600)
    owner, lister = chain.trader("owner", 100_000), chain.trader("lister", 10_000)
    setup = [
        chain.order(bob, call, SELL, 150, 2.3), chain.order(alice, call, BUY, 150, 2.3),
        chain.order(alice, call, BUY, 100, 1), chain.order(alice, later, BUY, 100, 1),
        chain.order(alice, call, BUY, 90, 0.5, client_order_id=7), chain.order(bob, call, SELL, 200, 1),
        chain.order(poor, call, SELL, 150, 1), chain.order(carol, call, BUY, 150, 1),  # poor: short, no cover
        chain.order(dave, call, SELL, 150, 1), chain.order(carol, call, BUY, 150, 1),
        chain.order(carol, later, SELL, 300, 1), chain.order(dave, later, BUY, 300, 1),  # dave: long later too
        *(chain.order(owner, call, BUY, 10 + n, 1) for n in (0, 0, 0, 1)),  # back to back on one level
        chain.order(lister, call, BUY, 20, 1), chain.order(lister, put, SELL, 400, 1),
    ]
    assert all(r.ok for r in chain.run(*setup))
    scenario = scenario_of(chain, [call, put, later], {})
    post(scenario, [(E - SETTLEMENT_WINDOW, [_oracle(chain, 6_141_592_653, E - SETTLEMENT_WINDOW)])])
    post(scenario, [(E - 10, [_settle(chain, keeper, alice, call)]),  # SETTLEMENT_NOT_READY: not expired
                    (E + 1, [_settle(chain, keeper, alice, call)])])  # expired, no update since: not fixed
    post(scenario, [(E + 60, [_oracle(chain, 6000 * E6, E + 60)])])  # fixes 6141.592653: shorts owe 3141.59
    post(scenario, [(E + 120, [
        _settle(chain, keeper, alice, call), _settle(chain, keeper, bob, call),
        _settle(chain, keeper, alice, call),  # NOTHING_TO_SETTLE
        _settle(chain, keeper, alice, put), _settle(chain, keeper, alice, 999), _settle(chain, keeper, alice, later),
        _settle(chain, keeper, poor, call),  # bad debt: fee pool, then socialised
        _settle(chain, keeper, dave, call),  # INSUFFICIENT_BALANCE: holds `later`
        _settle(chain, keeper, owner, call),  # four orders, three back to back
        _settle(chain, keeper, lister, call), _settle(chain, keeper, lister, put),  # only orders
        chain.order(carol, later, BUY, 3100, 1), chain.order(dave, later, SELL, 3100, 1),
        _settle(chain, keeper, dave, call),  # paid now
        _settle(chain, keeper, carol, call),
    ])])
    report = _run(scenario)
    codes = [int(r.code) for r in _receipts(scenario)]
    for code in (FailureCode.OK, FailureCode.SETTLEMENT_NOT_READY, FailureCode.NOTHING_TO_SETTLE,
                 FailureCode.UNKNOWN_INSTRUMENT, FailureCode.INSUFFICIENT_BALANCE):
        assert int(code) in codes, (code, codes)
    assert any("bad debt" in r.detail and "bad debt 0" not in r.detail for r in _receipts(scenario))
    assert report.kinds["SETTLE"].run == 15
    assert report.kinds["ROLLBACK"].run >= 7


def test_settlements_under_a_liquidation_auction_equal_python() -> None:
    """Three shorts of an ATM call under a liquidation auction (the index up 20%) settle
    it at 3600: one whose last position it was (close_out ends the auction), two that
    also hold a later put, whose cash stays positive (a margin SUMMARY call, then
    SETTLE_RECOVERY decides the auction)."""
    chain = Chain()
    call, put, later = chain.market(3000, series=((E, 3000, True), (E, 2800, False), (EXPIRY_29JAN27, 2500, False)))
    mm, keeper = chain.trader("mm", 10_000_000), chain.trader("keeper", 1_000_000)
    shorts = {name: chain.trader(name, 700) for name in ("s1", "s2", "s3")}
    setup = []
    for name, key in shorts.items():
        setup += [chain.order(key, call, SELL, 200, 1), chain.order(mm, call, BUY, 200, 1)]
        if name != "s1":
            premium = 5 if name == "s2" else 150
            setup += [chain.order(mm, later, SELL, premium, 1), chain.order(key, later, BUY, premium, 1)]
    assert all(r.ok for r in chain.run(*setup))
    scenario = scenario_of(chain, [call, put, later], {})
    now = chain.time + 60
    post(scenario, [(now, [_oracle(chain, 3600 * E6, now),
                           *(chain.liquidate(keeper, key, call, 0) for key in shorts.values())])])
    post(scenario, [(E - SETTLEMENT_WINDOW, [_oracle(chain, 3600 * E6, E - SETTLEMENT_WINDOW)]),
                    (E + 60, [_oracle(chain, 3600 * E6, E + 60),
                              *(_settle(chain, keeper, key, call) for key in shorts.values()),
                              _settle(chain, keeper, mm, call)])])
    report = _run(scenario)
    liq = report.kinds["LIQ_ASSESS"]
    assert liq.run + liq.skipped >= 3  # the three auctions start
    assert report.kinds["SETTLE_RECOVERY"].run == 2
    assert report.kinds["SETTLE_POSITION"].run == 4


def test_random_trades_settled_by_random_keepers_equal_python() -> None:
    """Random resting orders and fills on three series of the first expiry and one later
    series (four traders), then every trader x series settled in a random order, twice
    (the second time: nothing to settle), with the index random in the window."""
    rng = random.Random(23)
    chain = Chain()
    ids = chain.market(3000, series=((E, 2900, True), (E, 3000, False), (E, 3100, True), (EXPIRY_29JAN27, 3000, True)))
    names = ("alice", "bob", "carol", "dave")
    keys_ = {name: chain.trader(name, 200_000) for name in names}
    for _ in range(6):
        txs = [chain.order(keys_[rng.choice(names)], rng.choice(ids), rng.randint(0, 1), rng.randint(140, 160),
                           rng.randint(1, 20) / 10, client_order_id=rng.choice((0, 0, rng.randint(1, 99))))
               for _ in range(12)]
        chain.run(*txs)
    scenario = scenario_of(chain, ids, keys_)
    post(scenario, [(E - SETTLEMENT_WINDOW + 5 * k, [_oracle(chain, rng.randint(2700, 3300) * E6,
                                                             E - SETTLEMENT_WINDOW + 5 * k)]) for k in range(3)])
    post(scenario, [(E + 30, [_oracle(chain, rng.randint(2700, 3300) * E6, E + 30)])])
    pairs = [(who, inst) for who in names for inst in ids]
    for round_ in range(2):
        rng.shuffle(pairs)
        post(scenario, [(E + 60 + round_, [_settle(chain, keys_[rng.choice(names)], keys_[who], inst)
                                           for who, inst in pairs])])
    report = _run(scenario)
    assert report.kinds["SETTLE"].run == 2 * len(pairs)
    assert report.kinds["SETTLE_POSITION"].run >= len(pairs) // 2


@pytest.fixture(scope="module")
def widest() -> Scenario:
    """An account with MAX_POSITIONS positions (long one contract of each of 64 series, 16
    of them on the first expiry) and MAX_OPEN_ORDERS resting bids spread over them; the
    first expiry's price fixed, then the account settles a series of it."""
    chain, ids, _ = many_series_market(n_expiries=4, strikes=8)
    assert len(ids) == MAX_POSITIONS
    wide, seller, keeper = chain.trader("wide", 1_000_000), chain.trader("seller", 10_000_000), chain.trader("k", 100)
    for start in range(0, len(ids), 16):
        chain.run(*(chain.order(seller, i, SELL, 5, 1) for i in ids[start:start + 16]))
        assert all(r.ok for r in chain.run(*(chain.order(wide, i, BUY, 5, 1) for i in ids[start:start + 16])))
    bids = [chain.order(wide, ids[n % len(ids)], BUY, 1 + n // len(ids) / 10, 0.1, client_order_id=n + 1)
            for n in range(MAX_OPEN_ORDERS)]
    assert all(r.ok for r in chain.run(*bids[:64])) and all(r.ok for r in chain.run(*bids[64:]))
    scenario = scenario_of(chain, ids, {})
    first = [i for i in ids if chain.state.get(keys.instrument(i)).expiry == E]
    post(scenario, [(E - SETTLEMENT_WINDOW, [chain.oracle(1, 3000, observed=E - SETTLEMENT_WINDOW,
                                                          expiries=(E, EXPIRY_29JAN27))])])
    post(scenario, [(E + 60, [chain.oracle(1, 3010, observed=E + 60, expiries=(E, EXPIRY_29JAN27)),
                              _settle(chain, keeper, wide, first[-1]), _settle(chain, keeper, seller, first[0])])])
    return scenario


def test_settle_worst_case_gas(widest, capsys) -> None:
    """The widest account settles: 16 SETTLE_SCAN steps over 128 open orders (8 read a
    step), two removals, the position of a 64-position account; each kind's worst gas."""
    report = _run(widest, GAS_CEILING)
    with capsys.disabled():
        print("\nsettle worst case\n" + report.table())
    assert report.kinds["SETTLE_SCAN"].run >= (MAX_OPEN_ORDERS - 2) // 8 + 2
    assert report.kinds["SETTLE_POSITION"].run == 2


def test_tampered_settle_proofs_are_refused(widest) -> None:
    """A witness node changed or dropped: where Python refuses the proof, L1 reverts (never
    another post-claim)."""
    proofs = [p for p in _proofs(widest) if dispatch_key(p.cursor) in SETTLE.keys and p.nodes]
    runner, deployment = _deployment()
    sample = random.Random(13).sample(proofs, 10)
    checked = tampered_witness_refused(runner, deployment.verifier, sample, seed=13)
    assert checked >= 10, checked


def test_a_few_settle_steps_on_py_evm(widest) -> None:
    """The same verifier on py-evm (the devnet's EVM) agrees with Python and revm."""
    from bridge.evm_call import EvmRunner

    proofs = [p for p in _proofs(widest) if dispatch_key(p.cursor) in SETTLE.keys]
    picked = [next(p for p in proofs if dispatch_key(p.cursor) == phase) for phase in (60, 61, 62)]
    runner = EvmRunner()
    deployment = deploy_verifier(runner, families=FAMILIES)
    revm, revm_deployment = _deployment()
    for proof in picked:
        slow = run_step(runner, deployment.verifier, proof)
        fast = run_step(revm, revm_deployment.verifier, proof)
        assert slow.post_claim == fast.post_claim == proof.post_claim
