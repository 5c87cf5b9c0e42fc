"""The differential driver over random chains: every step of every batch runs in Python
(from its proof alone) and, where a family exists, on the L1 verifier, with equal
post-claims. CI-sized here; ``make soak`` runs the 100,000-step version."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from prover.l1.differential import Driver, Report
from tests.fault.l1 import post_batch, verifier
from tests.prover.workload import Scenario, clone

STEP_GAS_TARGET = 3_000_000
STEP_GAS_CEILING = 16_777_216  # never above
# Kinds measured above the target (the README's gas table: the place pieces' memory, the
# largest accounts, the margin registers): held to the ceiling only, until that is cut.
OVER_TARGET = frozenset({"PLACE", "MATCH", "TAKER_BEFORE", "DROP_MAKER", "BODY/0x02", "CANCEL_ALL", "MARGIN",
                         "MARGIN_FOLD"})


def run_random_chains(seeds: range, n_batches: int, blocks_per_batch: int, per_block: int) -> Report:
    runner, deployment = verifier(with_l1=True)
    driver = Driver(runner, deployment)
    for seed in seeds:
        scenario = Scenario.market()
        scenario.build(seed=seed, n_batches=n_batches, blocks_per_batch=blocks_per_batch, per_block=per_block)
        driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches],
                           post_batch)
    return driver.report


def _check(report: Report) -> None:
    print("\n" + report.table())
    details = "\n".join(f"{d.kind} batch {d.batch} position {d.position}: {d.detail}" for d in report.divergences)
    assert not report.divergences, details
    for name, kind in report.kinds.items():
        bound = STEP_GAS_CEILING if name in OVER_TARGET else STEP_GAS_TARGET
        assert kind.gas_max <= bound, f"{name}: {kind.gas_max:,} gas"


def test_random_chains_have_no_divergence() -> None:
    report = run_random_chains(range(2), n_batches=6, blocks_per_batch=2, per_block=10)
    _check(report)
    assert report.run + report.skipped > 1_000
    assert report.kinds["ROLLBACK"].run > 0 and report.kinds["HALTED"].run > 0
    assert all(report.kinds[k].run > 0 and not report.kinds[k].skipped for k in ("NEXT_TX", "BLOCK_OPEN", "BLOCK_CLOSE"))


def _soak_worker(first_seed: int, stride: int, target: int) -> Report:
    """Random chains from seeds ``first_seed, first_seed + stride, ...`` until ``target`` steps."""
    runner, deployment = verifier(with_l1=True)
    driver = Driver(runner, deployment)
    seed = first_seed
    while driver.report.run + driver.report.skipped < target:
        scenario = Scenario.market()
        scenario.build(seed=seed, n_batches=8, blocks_per_batch=3, per_block=12)
        driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches],
                           post_batch)
        seed += stride
    return driver.report


@pytest.mark.slow
def test_soak_100k_steps() -> None:
    """``make soak``: at least 100,000 steps of random chains (OPTROLLUP_SOAK_STEPS to change),
    split over one process per core (OPTROLLUP_SOAK_WORKERS to change), each on its own seeds."""
    target = int(os.environ.get("OPTROLLUP_SOAK_STEPS", "100000"))
    workers = max(1, int(os.environ.get("OPTROLLUP_SOAK_WORKERS", str(os.cpu_count() or 1))))
    share = -(-target // workers)
    report = Report()
    if workers == 1:
        report.merge(_soak_worker(1000, 1, share))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for part in pool.map(_soak_worker, [1000 + k for k in range(workers)], [workers] * workers,
                                 [share] * workers):
                report.merge(part)
    assert report.run + report.skipped >= target
    _check(report)
