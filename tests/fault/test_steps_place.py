"""The place family on L1 (``contracts/fault/steps_place.vy`` and its pieces) against the
stepped Python rule (``node/stf/matching.py``, ``orders.cancel_order``), and its book advice
(``prover/l1/place_advice.py``).

Every step of the workloads of ``tests/prover/test_steps_place.py`` (a sweep of 63 resting
orders: 32 fills and 31 self-trade removals; failing makers and takers with RESTORE, a
reduced-risk refill and a liquidation auction; remainders that cannot rest; random
thin-margin batches with IOC / FOK / post-only / reduce-only orders, partial fills, levels
created in the middle of a book and emptied ones) runs in Python and on the verifier through
the CORE differential driver, encoded by ``prover/l1/calldata.py`` as a prover would (never
a test's own encoder: a family refuses calldata it does not take); no step the verifier runs
may diverge, whichever family serves it (the control steps ROLLBACK and RESTORE of these
workloads included). A wrong book advice is refused.

The verifier is deployed as on L1 (``deploy_verifier``: every registered family, on a revm
that enforces EIP-170's code size limit); a few steps of every place kind also run on py-evm
(the devnet's EVM).
"""

from __future__ import annotations

from typing import Final

import pytest
from eth_abi import encode

from bridge.fault_contracts import PLACE as PLACE_FAMILY
from bridge.revm_call import RevmRunner
from node.stf import book
from node.stf.cursor import decode_cursor
from node.stf.matching import PlacePhase
from node.stf.params import MAX_OPEN_ORDERS
from node.stf.txtypes import Side, TimeInForce
from prover.l1 import calldata
from prover.l1.deploy import FAMILIES, deploy_verifier
from prover.l1.differential import Driver
from prover.l1.place_advice import RESTING_PHASES, better_neighbour, place_advice
from prover.l1.verifier import StepRefused, run_step
from tests.fault.l1 import first_steps_on_py_evm, scenario_proofs
from tests.node.stf.test_block_properties import TRADERS
from tests.prover.test_steps_place import (
    test_a_sweep_of_63_resting_orders_proves_step_by_step as _sweep,
    test_failing_makers_and_takers_restore_and_prove_step_by_step as _failing,
    _batch,
    _scenario,
)
from tests.prover.workload import clone

PLACE_PHASES: Final = frozenset(int(p) for p in PlacePhase)
PLACE_KINDS: Final = frozenset({p.name for p in PlacePhase} | {"BODY/0x02"})
STEP_GAS_BOUND: Final = 16_777_216  # never above (the target, 3,000,000, is in the README table)


@pytest.fixture(scope="module")
def l1():
    assert PLACE_FAMILY in FAMILIES  # registered: deployed as on L1
    runner = RevmRunner()  # EIP-170 enforced
    return runner, deploy_verifier(runner)


def _drive(l1, scenario):
    """Every step of ``scenario`` through the driver: no divergence of ANY kind run on L1
    (place, cancel and the control steps the place workloads reach), no place step skipped,
    every step under the gas bound. Returns the stats of every kind run."""
    runner, deployment = l1
    driver = Driver(runner, deployment)
    report = driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    print(report.table())  # gas per kind (pytest -s)
    diverged = {kind: stats.divergences for kind, stats in report.kinds.items() if stats.divergences}
    assert not diverged, (diverged, [(d.batch, d.position, d.kind, d.detail) for d in report.divergences])
    ran = {kind: stats for kind, stats in report.kinds.items() if stats.run}
    assert all(report.kinds[kind].skipped == 0 for kind in PLACE_KINDS & set(report.kinds))
    assert max(stats.gas_max for stats in ran.values()) <= STEP_GAS_BOUND
    return ran


@pytest.fixture(scope="module")
def thin_scenario():
    scenario = _scenario({name: 900 for name in TRADERS})
    scenario.build(seed=2, n_batches=3, blocks_per_batch=2, per_block=30)
    return scenario


def test_advice_is_the_neighbour_python_finds(thin_scenario, monkeypatch) -> None:
    """Re-executing every step that may rest an order, the better neighbour Python's book
    finds (from the level-key cache) is the one the advice reads off the witness."""
    found: list[int] = []
    original = book.find_better_neighbour

    def recording(*args):
        result = original(*args)
        found.append(result)
        return result

    monkeypatch.setattr(book, "find_better_neighbour", recording)
    created = 0
    for proof in scenario_proofs(thin_scenario):
        if decode_cursor(proof.cursor).phase not in RESTING_PHASES:
            continue
        found.clear()
        proof.verify()
        if found:
            created += 1
            assert found == [better_neighbour(proof)]
            assert place_advice(proof) == found[0].to_bytes(32, "big")
    assert created > 20, created


def test_random_thin_batches_equal_python_on_l1(l1, thin_scenario) -> None:
    """Every step the verifier serves of random thin-margin batches: equal post-claims; the
    place and cancel steps and the control steps they lead to (a failed order's ROLLBACK to
    the transaction's checkpoint, a failed maker's or taker's RESTORE of a nested one)."""
    ran = _drive(l1, thin_scenario)
    assert {"PLACE", "MATCH", "MAKER_CHECKED", "TAKER_CHECKED", "TAKER_AFTER", "TAKER_BEFORE", "DROP_MAKER",
            "REST_CHECKED", "FINISH", "BODY/0x02", "ROLLBACK", "RESTORE", "HALTED"} <= set(ran), sorted(ran)
    assert ran["ROLLBACK"].run >= 30 and ran["RESTORE"].run >= 10, (ran["ROLLBACK"].run, ran["RESTORE"].run)


def test_control_steps_with_a_witness_are_sent_without_it(l1, thin_scenario) -> None:
    """A ROLLBACK or RESTORE proof of the place workload carries the witness the prover
    walked (undoing writes); ``steps_control`` reads none and takes none: the calldata drops
    it and the verifier equals Python. The same proof with its witness packed (what a
    family-blind encoder sends) is refused: the reason every step must go through
    ``calldata.encode_proof``."""
    runner, deployment = l1
    checked = set()
    for proof in scenario_proofs(thin_scenario):
        phase = decode_cursor(proof.cursor).phase
        if phase not in calldata.NO_WITNESS_PHASES or not proof.nodes:
            continue
        assert calldata.witness_nodes(proof) == []
        assert run_step(runner, deployment.verifier, proof).post_claim == proof.post_claim
        packed = encode(list(calldata.RUN_TYPES), [proof.pre_root, proof.cursor, calldata.pack_nodes(proof.nodes), b""])
        result = runner.call(deployment.verifier, calldata.STEP_SELECTOR + encode(["bytes32", "bytes"],
                                                                                 [proof.pre_claim, packed]))
        assert not result.success
        checked.add(phase)
    assert checked == {2, 4}, checked  # ROLLBACK, RESTORE


def _captured(workload, monkeypatch) -> object:
    """The scenario a test of ``tests/prover/test_steps_place.py`` builds (its own checks run)."""
    import tests.prover.test_steps_place as python_tests

    captured = []
    real = python_tests._prove_all

    def keep(scenario):
        captured.append(scenario)
        return real(scenario)

    monkeypatch.setattr(python_tests, "_prove_all", keep)
    workload()
    return captured[0]


def test_the_longest_sweep_equals_python_on_l1(l1, monkeypatch) -> None:
    """32 fills and 31 self-trade removals by one taker order (the deepest matching)."""
    ran = _drive(l1, _captured(_sweep, monkeypatch))
    assert ran["MATCH"].run >= 60, ran["MATCH"].run


def test_failing_makers_and_takers_equal_python_on_l1(l1, monkeypatch) -> None:
    """Makers short of margin dropped and charged, a taker stopped or refilled (RESTORE),
    a liquidation auction ended by a fill, a remainder that cannot rest."""
    ran = _drive(l1, _captured(_failing, monkeypatch))
    assert {"DROP_MAKER", "TAKER_AFTER", "TAKER_BEFORE", "AUCTIONS"} <= set(ran), sorted(ran)


def test_a_wrong_neighbour_hint_is_refused(l1, thin_scenario, monkeypatch) -> None:
    """For a step that creates a level, any other advice than the better neighbour (0, a
    worse level, a price that is no level, a farther better level) reverts."""
    runner, deployment = l1
    checked = 0
    for proof in scenario_proofs(thin_scenario):
        if decode_cursor(proof.cursor).phase not in RESTING_PHASES:
            continue
        right = better_neighbour(proof)
        found: list[int] = []
        original = book.find_better_neighbour
        monkeypatch.setattr(book, "find_better_neighbour", lambda *a: found.append(original(*a)) or found[-1])
        proof.verify()
        monkeypatch.setattr(book, "find_better_neighbour", original)
        if not found:
            continue
        step = run_step(runner, deployment.verifier, proof)
        assert step.post_claim == proof.post_claim
        for wrong in {0, right + 1, max(right - 1, 1), 2**64 - 1} - {right}:
            monkeypatch.setattr(calldata, "encode_inputs", lambda p, w=wrong: w.to_bytes(32, "big"))
            with pytest.raises(StepRefused, match="book: bad neighbour hint"):
                run_step(runner, deployment.verifier, proof)
        monkeypatch.undo()  # the advice back to the module's
        checked += 1
        if checked == 6:
            break
    assert checked == 6


def test_worst_cases_largest_records_deepest_book(l1, capsys) -> None:
    """The largest place records: a maker with MAX_OPEN_ORDERS - 1 resting orders (127
    levels deep) and a taker with MAX_OPEN_ORDERS - 2, every one with a client order id;
    the taker fills against the maker, then rests two orders (a level in the middle of the
    maker's 127, a level among its own: 128 open orders) and both cancel by client order id.
    Every step equals Python; the gas per kind is printed (the report's table)."""
    scenario = _scenario({"alice": 400_000, "bob": 400_000, "carol": 50_000})
    chain, (call, put, _), k = scenario.chain, scenario.ids, scenario.keys
    asks = [chain.order(k["alice"], call, Side.SELL, 150 + i / 5, 0.1, client_order_id=1 + i)
            for i in range(MAX_OPEN_ORDERS - 1)]
    bids = [chain.order(k["bob"], put, Side.BUY, 10 + i / 5, 0.1, client_order_id=1 + i)
            for i in range(MAX_OPEN_ORDERS - 2)]
    assert all(r.ok and r.rested_e6 for r in chain.run(*asks, *bids))
    _batch(scenario, [
        chain.order(k["bob"], call, Side.BUY, 150.2, 0.3, tif=TimeInForce.IOC),  # fills alice's best 2
        chain.order(k["bob"], call, Side.SELL, 156.1, 0.1),  # a level in the middle of alice's 127
        chain.order(k["bob"], put, Side.BUY, 13.3, 0.1),  # a level among bob's own: his 128th order
        chain.cancel(k["alice"], client_order_id=60),
        chain.cancel(k["bob"], client_order_id=61),
    ])
    ran = _drive(l1, scenario)
    assert {"PLACE", "MATCH", "MAKER_CHECKED", "TAKER_CHECKED", "REST_CHECKED", "BODY/0x02"} <= set(ran), sorted(ran)
    with capsys.disabled():
        for kind in sorted(ran):
            print(f"place worst case {kind:<16} steps {ran[kind].run:>3} gas max {ran[kind].gas_max:>10,}")


def test_py_evm_agrees_on_a_step_of_every_place_kind(thin_scenario) -> None:
    """The devnet's EVM (py-evm) with the verifier deployed as on L1 (EIP-170 on): the first
    step of every place kind of the thin batches (the cancel included) gives Python's
    post-claim."""
    report = first_steps_on_py_evm(scenario_proofs(thin_scenario), PLACE_FAMILY.keys)
    assert {"PLACE", "MATCH", "TAKER_BEFORE", "DROP_MAKER", "FINISH", "BODY/0x02"} <= set(report.kinds), \
        sorted(report.kinds)
