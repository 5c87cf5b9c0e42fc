"""The liquidation family on L1 (``contracts/fault/steps_liquidate.vy`` and its pieces
``liquidate_open``, ``liquidate_transfer``, ``liquidate_finish``) against the stepped Python
rule (``node/stf/liquidation.py``), on the real deployment path: ``deploy_verifier`` on a
revm that enforces EIP-170, every step through the verifier, encoded by
``prover/l1/calldata.py`` as a prover would (``prover/l1/differential.py``).

Workloads (every step of each, in Python and on L1; post-claims equal, no divergence):
- the risk market of ``tests/prover/test_steps_risk.py``: an auction started with five
  orders cancelled one per step, a liquidator refused on its own margin after the risk test
  (``LIQ_BEFORE``, ``LIQ_APPLY``, ``LIQ_RISK``), partial steps, a self-liquidation, a healthy
  target, an account recovering with positions left (``LIQ_RECOVERY``);
- edge cases: taking a hedge leg (``NO_MARGIN_RELEASED``), no position on the series
  (``NOTHING_TO_LIQUIDATE``), a squeeze whose whole position moves in one step (``LIQ_MOVE``
  doing ``LIQ_TERMS``'s work) and leaves bad debt, covered by the insurance fund, the fee
  pool and socialised (the loss index falls);
- the widest accounts: a target with ``MAX_POSITIONS`` positions and ``MAX_OPEN_ORDERS``
  resting orders (cancelled one per step), a liquidator with ``MAX_POSITIONS`` positions
  (``TOO_MANY_POSITIONS`` on a new series, a transfer on one it holds): worst-case gas.
The margin sums the liquidation calls (phases 40-41) are another family's: the driver
counts them as skipped until it is registered; the liquidation steps consume their answers
from the cursor exactly as Python does.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Final


from bridge.fault_contracts import LIQUIDATE
from bridge.revm_call import RevmRunner
from node.stf import keys, margin
from node.stf.errors import FailureCode
from node.stf.liquidation import LiquidatePhase
from node.stf.params import MAX_OPEN_ORDERS, MAX_POSITIONS
from prover.client.trace import TraceRun
from prover.l1.deploy import deploy_verifier, dispatch_key
from prover.l1.differential import Driver, Report
from prover.l1.verifier import run_step
from tests.fault.l1 import tampered_witness_refused
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain
from tests.prover.test_steps_risk import post, risk_market, scenario_of
from tests.prover.workload import Scenario, clone, fast_path

LIQ_KINDS: Final = frozenset(phase.name for phase in LiquidatePhase)
GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction (the README reports the excess)
GAS_CEILING: Final = 16_777_216
BUY, SELL, IOC = 0, 1, 1


def liquidation_workload() -> Scenario:
    """The risk market with its liquidation batches (test_steps_risk's, without settlements)."""
    scenario, t, (call, _put) = risk_market()
    chain = scenario.chain
    seller, buyer, keeper, poor = t["seller"], t["buyer"], t["keeper"], t["poor"]
    now = chain.time + 120
    post(scenario, [
        (now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, seller, call, 0)]),
        (now + 60, [chain.liquidate(poor, seller, call, 1), chain.liquidate(keeper, seller, call, 0.1),
                    chain.liquidate(seller, seller, call, 1), chain.liquidate(keeper, buyer, call, 1)]),
    ])
    now += 120
    post(scenario, [(now, [chain.oracle(1, 2000, observed=now), chain.liquidate(keeper, seller, call, 0.1)])])
    now += 60
    post(scenario, [(now, [chain.oracle(1, 4500, observed=now), chain.liquidate(keeper, seller, call, 1)])])
    return scenario


def edge_workload() -> Scenario:
    """A call spread below maintenance (its hedge leg refused, its short leg taken), a series
    the account does not hold, and a squeeze on a thin short call: its whole position moves
    in one step and its deficit is covered by the fund, the fee pool, then socialised."""
    chain = Chain()
    short, hedge, other = chain.market(index=3000, vol=0.65, series=(
        (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 3400, True), (EXPIRY_25DEC26, 2800, False)))
    spread, street = chain.trader("spread", 210), chain.trader("street")
    seller, keeper = chain.trader("seller", 520), chain.trader("keeper", 1_000_000)
    holders = [chain.trader(f"holder{i}", 5_000) for i in range(3)]  # positive balances to socialise on
    chain.run(chain.order(street, hedge, SELL, 69.6, 1), chain.order(spread, hedge, BUY, 69.6, 1))
    chain.run(chain.order(street, short, BUY, 199.2, 1), chain.order(spread, short, SELL, 199.2, 1))
    chain.run(chain.order(street, short, BUY, 200, 1), chain.order(seller, short, SELL, 200, 1))
    chain.run(chain.order(seller, short, BUY, 10, 1))  # a resting order the auction cancels
    assert chain.position(spread, hedge) == E6 and chain.position(seller, short) == -E6 and holders
    scenario = scenario_of(chain, [short, hedge, other], {"spread": spread, "seller": seller, "keeper": keeper})
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3200, observed=now), chain.liquidate(keeper, spread, hedge, 1),
                           chain.liquidate(keeper, spread, other, 1)]),
                    (now + 60, [chain.liquidate(keeper, spread, short, 0.5)])])
    now += 120
    post(scenario, [(now, [chain.oracle(1, 4500, 1.2, observed=now)]),
                    (now + 600, [chain.liquidate(keeper, seller, short, 1)])])
    return scenario


def wide_workload() -> Scenario:
    """A target with MAX_POSITIONS short calls and MAX_OPEN_ORDERS resting bids, and a
    liquidator with MAX_POSITIONS positions on the next series: the auction starts (every
    order cancelled, one per step), a step on a series the liquidator does not hold
    (TOO_MANY_POSITIONS, after the widest LIQ_MOVE), a step on one it holds (the widest
    transfer, its initial margin, the recovery sum), a series the target does not hold."""
    chain = Chain()
    n = MAX_POSITIONS + 1
    series = [(EXPIRY_25DEC26 + k * 86_400, 2500 + 100 * s, True) for k in range(5) for s in range(13)][:n]
    ids: list[int] = []
    for start in range(0, n, 40):
        ids += chain.market(series=series[start:start + 40])
    price = {i: round(chain.state.get(keys.mark(i)).mark_e6 / E6, 1) for i in ids}
    streets = [chain.trader("street", 10_000_000), chain.trader("street2", 10_000_000)]
    keeper = chain.trader("keeper", 10_000_000)
    initial = margin.summarise_positions(chain.state, 0, tuple((i, -E6 // 10) for i in ids[:MAX_POSITIONS])).initial_e6
    victim = chain.trader("victim", initial * 13 // 10 / E6)
    assert all(r.ok for r in chain.run(*[chain.order(streets[k // MAX_POSITIONS], i, BUY, price[i], 0.2)
                                         for k, i in enumerate(ids)]))
    assert all(r.ok for r in chain.run(*[chain.order(victim, i, SELL, price[i], 0.1, tif=IOC)
                                         for i in ids[:MAX_POSITIONS]]))
    assert all(r.ok for r in chain.run(*[chain.order(keeper, i, SELL, price[i], 0.1, tif=IOC) for i in ids[1:]]))
    assert all(r.ok for r in chain.run(*[
        chain.order(victim, ids[k % MAX_POSITIONS], BUY, 0.1 * (1 + k // MAX_POSITIONS), 0.1, client_order_id=k + 1)
        for k in range(MAX_OPEN_ORDERS)]))
    assert len(chain.account(victim).positions) == len(chain.account(keeper).positions) == MAX_POSITIONS
    assert len(chain.account(victim).open_orders) == MAX_OPEN_ORDERS
    scenario = scenario_of(chain, ids, {"victim": victim, "keeper": keeper})
    expiries = sorted({e for e, _, _ in series})
    now = chain.time + 60
    post(scenario, [(now, [chain.oracle(1, 3300, expiries=expiries, observed=now),
                           chain.liquidate(keeper, victim, ids[0], 0)])])
    now += 60
    post(scenario, [(now, [chain.liquidate(keeper, victim, ids[0], 0.05), chain.liquidate(keeper, victim, ids[1], 0.05),
                           chain.liquidate(keeper, victim, ids[MAX_POSITIONS], 0.1)])])
    return scenario


@lru_cache(maxsize=1)
def _deployment():
    runner = RevmRunner()  # EIP-170 enforced: the family deploys as on L1
    return runner, deploy_verifier(runner)


def _run(scenario: Scenario) -> Report:
    runner, deployment = _deployment()
    assert set(LIQUIDATE.keys) <= deployment.implemented
    report = Driver(runner, deployment).run_batches(
        clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    print(report.table())
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    for kind in LIQ_KINDS:
        stats = report.kinds.get(kind)
        if stats:
            assert stats.skipped == 0 and stats.gas_max <= GAS_CEILING, (kind, stats.skipped, stats.gas_max)
    return report


def _codes(scenario: Scenario) -> Counter:
    """The failure codes of the scenario's receipts on the node's path, and the liquidation
    receipts' bad debt (as code -1): what the workload exercised."""
    backend = clone(scenario.chain.backend)
    results: list = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch, results)
    codes: Counter = Counter()
    for block in results:
        for r in block.receipts:
            codes[int(r.code)] += 1
            if "bad debt" in r.detail and not r.detail.endswith("bad debt 0"):
                codes[-1] += 1
    return codes


def _ran(report: Report) -> set[str]:
    return {kind for kind in LIQ_KINDS if report.kinds.get(kind) and report.kinds[kind].run}


def test_risk_market_liquidations_equal_python() -> None:
    """Every phase 50-59 runs on L1, equal to Python: the auction with its cancels, partial
    steps, a liquidator refused after the risk test, a self-liquidation, a healthy target,
    a recovery."""
    scenario = liquidation_workload()
    codes = _codes(scenario)
    assert {FailureCode.INSUFFICIENT_MARGIN, FailureCode.SELF_LIQUIDATION, FailureCode.NOT_LIQUIDATABLE} <= set(codes)
    report = _run(scenario)
    assert _ran(report) == LIQ_KINDS, report.table()
    assert report.kinds["LIQ_CANCEL"].run == 5


def test_edge_liquidations_equal_python() -> None:
    """NO_MARGIN_RELEASED, NOTHING_TO_LIQUIDATE, a whole position moved in one LIQ_MOVE, and
    bad debt covered down to the socialised loss."""
    scenario = edge_workload()
    codes = _codes(scenario)
    assert {FailureCode.NO_MARGIN_RELEASED, FailureCode.NOTHING_TO_LIQUIDATE, -1} <= set(codes), codes
    backend = clone(scenario.chain.backend)
    before = scenario.chain.state.get(keys.GLOBALS).loss_index
    for batch in scenario.batches:
        fast_path(scenario, backend, batch)
    from node.stf.state import State
    assert State(backend).get(keys.GLOBALS).loss_index < before  # the squeeze's deficit was socialised
    report = _run(scenario)
    assert {"LIQUIDATE", "LIQ_ASSESS", "LIQ_CANCEL", "LIQ_MOVE", "LIQ_TERMS", "LIQ_CHECK"} <= _ran(report)


def test_widest_accounts_equal_python_and_worst_case_gas(capsys) -> None:
    """MAX_POSITIONS positions and MAX_OPEN_ORDERS orders on the target, MAX_POSITIONS on the
    liquidator: every step equal; the gas of each phase (the worst cases) reported."""
    scenario = wide_workload()
    codes = _codes(scenario)
    assert {FailureCode.TOO_MANY_POSITIONS, FailureCode.NOTHING_TO_LIQUIDATE} <= set(codes), codes
    assert codes[0] >= 3, codes
    report = _run(scenario)
    assert report.kinds["LIQ_CANCEL"].run == MAX_OPEN_ORDERS
    assert {"LIQUIDATE", "LIQ_ASSESS", "LIQ_CANCEL", "LIQ_MOVE", "LIQ_TERMS", "LIQ_CHECK"} <= _ran(report)
    with capsys.disabled():
        print("\nliquidation worst-case gas (whole tx, revm):",
              {k: report.kinds[k].gas_max for k in sorted(_ran(report))})


def _proofs(scenario: Scenario) -> list:
    proofs: list = []
    traced = clone(scenario.chain.backend)
    for batch in scenario.batches:
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
    return proofs


def test_tampered_liquidation_proofs_are_refused_as_python_refuses() -> None:
    """A witness node changed or dropped in a liquidation step's proof: Python refuses it,
    and so does L1 (a revert, never another post-claim)."""
    runner, deployment = _deployment()
    ours = [p for p in _proofs(liquidation_workload()) if dispatch_key(p.cursor) in LIQUIDATE.keys and p.nodes]
    assert len({p.kind for p in ours}) >= 5
    checked = tampered_witness_refused(runner, deployment.verifier, ours, seed=11)
    assert checked >= 10, checked


def test_a_few_liquidation_steps_on_py_evm() -> None:
    """py-evm (the devnet's EVM) deploys the family under EIP-170 and agrees with Python
    (and revm) on one step of each piece."""
    from bridge.evm_call import EvmRunner

    runner = EvmRunner()
    deployment = deploy_verifier(runner)
    picked: dict[str, object] = {}
    for proof in _proofs(liquidation_workload()):
        if proof.kind in ("LIQUIDATE", "LIQ_CANCEL", "LIQ_TERMS", "LIQ_CHECK") and proof.kind not in picked:
            picked[proof.kind] = proof
    assert len(picked) == 4
    for proof in picked.values():
        assert run_step(runner, deployment.verifier, proof).post_claim == proof.verify().post_claim, proof.kind
