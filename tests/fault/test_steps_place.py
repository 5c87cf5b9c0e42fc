"""The place family on L1 (``contracts/fault/steps_place.vy`` and its pieces) against the
stepped Python rule (``node/stf/matching.py``), and its book advice
(``prover/l1/place_advice.py``).

Workloads: the worst cases and random thin-margin batches of
``tests/prover/test_steps_place.py`` (crossing, partial fills, self-trade, reduce-only,
IOC / FOK / post-only, failing makers and takers with RESTORE, remainders that cannot rest,
levels created in the middle of a book, emptied levels).
"""

from __future__ import annotations

from typing import Final

import pytest

from node.stf import book
from node.stf.cursor import decode_cursor
from node.stf.matching import PlacePhase
from prover.client.trace import TraceRun
from prover.l1.place_advice import RESTING_PHASES, better_neighbour, place_advice
from tests.node.stf.test_block_properties import TRADERS
from tests.prover.test_steps_place import _scenario
from tests.prover.workload import clone

PLACE_PHASES: Final = {int(p) for p in PlacePhase}


def _proofs(scenario):
    """Every step proof of every batch of ``scenario``, traced from its genesis."""
    traced = clone(scenario.chain.backend)
    for batch in scenario.batches:
        proofs: list = []
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(lambda _b: None, on_proof=proofs.append)
        yield from proofs


@pytest.fixture(scope="module")
def thin_scenario():
    scenario = _scenario({name: 900 for name in TRADERS})
    scenario.build(seed=2, n_batches=3, blocks_per_batch=2, per_block=30)
    return scenario


def test_advice_is_the_neighbour_python_finds(thin_scenario, monkeypatch) -> None:
    """Re-executing every resting-capable step, the better neighbour Python's book finds
    (from the level-key cache) is the one the advice reads off the witness."""
    found: list[int] = []
    original = book.find_better_neighbour

    def recording(*args):
        result = original(*args)
        found.append(result)
        return result

    monkeypatch.setattr(book, "find_better_neighbour", recording)
    created = 0
    for proof in _proofs(thin_scenario):
        if decode_cursor(proof.cursor).phase not in RESTING_PHASES:
            continue
        found.clear()
        proof.verify()
        if found:
            created += 1
            assert found == [better_neighbour(proof)]
            assert place_advice(proof) == found[0].to_bytes(32, "big")
    assert created > 20, created
