"""The account family on L1 (``contracts/fault/steps_account.vy`` and its pieces) against
the stepped Python rules: cancel-all (``node/stf/orders.py``, CancelPhase 80), withdraw
(``node/stf/transfers.py``, WithdrawPhase 90-92) and the BODY of a ListInstrument
(``node/stf/instruments.py``), every step through the differential driver
(``prover/l1/differential.py``): Python's post-claim and the verifier's must be equal.

The family's pieces do not fit EIP-170 yet (the trie is compiled into each): the revm here
lifts the code size limit, so these tests check results and gas, not deployability.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Final

import pytest

from bridge.fault_contracts import ACCOUNT, FAMILIES
from bridge.revm_call import RevmRunner
from node.stf.cursor import decode_cursor
from node.stf.params import MAX_OPEN_ORDERS
from node.stf.txtypes import ListInstrument, Side, TimeInForce
from prover.client.trace import TraceRun
from prover.l1.deploy import deploy_verifier
from prover.l1.differential import Driver, Report
from tests.node.stf.harness import ADMIN, EXPIRY_25DEC26, EXPIRY_29JAN27
from tests.prover.test_steps_place import _batch, _scenario
from tests.prover.workload import Scenario, clone

ACCOUNT_KINDS: Final = ("CANCEL_ALL", "WITHDRAW", "WITHDRAW_CHECKED", "WITHDRAW_RECOVERY", "BODY/0x06")
GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction
GAS_CEILING: Final = 16_777_216
DAY: Final = 86_400


@lru_cache(maxsize=1)
def _deployment():
    runner = RevmRunner(code_size_limit=1 << 20)
    return runner, deploy_verifier(runner, families=[*FAMILIES, ACCOUNT])


def _run(scenario: Scenario) -> Report:
    runner, deployment = _deployment()
    driver = Driver(runner, deployment)
    report = driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    return report


def _receipt_codes(scenario: Scenario) -> list[int]:
    """The failure codes of every receipt of the scenario's batches (to show the failures ran)."""
    traced = clone(scenario.chain.backend)
    codes: list[int] = []
    for batch in scenario.batches:
        run = TraceRun(traced, batch.index, scenario.inputs(batch))
        run.run(lambda _b: None)
        codes.extend(int(r.code) for block in run.io.blocks for r in block.receipts) if hasattr(run, "io") else None
    return codes


def _gas_bounded(report: Report) -> None:
    for kind in ACCOUNT_KINDS:
        stats = report.kinds.get(kind)
        if stats and stats.gas:
            assert stats.gas_max <= GAS_CEILING, (kind, stats.gas_max)


@pytest.fixture(scope="module")
def random_scenario() -> Scenario:
    scenario = _scenario({name: 900 for name in ("alice", "bob", "carol", "dave")})
    scenario.build(seed=11, n_batches=3, blocks_per_batch=2, per_block=30)
    return scenario


def test_random_workload_cancel_all_and_withdraw_equal_python(random_scenario) -> None:
    report = _run(random_scenario)
    print(report.table())
    assert report.kinds["CANCEL_ALL"].run > 5
    assert report.kinds["WITHDRAW"].run > 2
    assert report.kinds["WITHDRAW_CHECKED"].run > 0
    _gas_bounded(report)
