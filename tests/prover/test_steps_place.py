"""Placing an order as steps: every step of the worst cases re-executes from its proof alone,
the trace halts on the node's root, and each place-order step touches a bounded set of keys.

``MAX_PLACE_STEP_KEYS`` (20) bounds the keys (read or written) of one place-order step
(``matching.PlacePhase``): rule 1's reads plus one removal or one fill's writes, or the
resting remainder (``matching.py``, "Steps").
"""

from __future__ import annotations

from typing import Final

from node.stf.errors import FailureCode
from node.stf.l1_inputs import L1Deposit
from node.stf.matching import PlacePhase
from node.stf.params import MAX_MATCH_REMOVALS, MAX_MATCH_STEPS
from node.stf.txtypes import Side, TimeInForce
from prover.client.trace import TraceRun
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.node.stf.test_block_properties import TRADERS
from tests.prover.workload import Batch, Scenario, clone, encode_blocks, fast_path

MAX_PLACE_STEP_KEYS: Final = 20
PLACE_KINDS: Final = {phase.name for phase in PlacePhase}
SERIES: Final = ((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3200, True))


def _scenario(funds: dict[str, int]) -> Scenario:
    chain = Chain()
    ids = chain.market(series=SERIES)
    keys_ = {name: chain.trader(name, amount) for name, amount in funds.items()}
    credited = [L1Deposit(i, bytes(20), 1, 0, 0) for i in range(chain.deposits)]  # set-up deposits, applied
    return Scenario(chain, ids, keys_, deposits=credited)


def _batch(scenario: Scenario, *blocks: list[bytes]) -> Batch:
    items = []
    for txs in blocks:
        scenario.chain.time += 60
        items.append((scenario.chain.time, len(scenario.deposits), 0, list(txs)))
    batch = Batch(len(scenario.batches), items, scenario.chain.time + 5, encode_blocks(items),
                  len(scenario.deposits), 0)
    scenario.batches.append(batch)
    return batch


def _prove_all(scenario: Scenario) -> tuple[dict[str, int], list]:
    """Trace every batch, re-execute every step from its proof; returns the most keys a step
    of each place-order kind touched and the receipts of the traced batches."""
    fast = clone(scenario.chain.backend)
    traced = clone(scenario.chain.backend)
    most: dict[str, int] = {}
    receipts = []
    for batch in scenario.batches:
        root = fast_path(scenario, fast, batch)
        boundaries, proofs = [], []
        run = TraceRun(traced, batch.index, scenario.inputs(batch))
        run.run(boundaries.append, on_proof=proofs.append)
        assert boundaries[-1].state_root == root, f"batch {batch.index}: the trace halts on another root"
        for proof, after in zip(proofs, boundaries[1:]):
            checked = proof.verify()
            assert checked.post_claim == after.claim and checked.post_state_root == after.state_root
            if proof.kind in PLACE_KINDS:
                most[proof.kind] = max(most.get(proof.kind, 0), len(proof.keys))
    return most, receipts


def _receipts(scenario: Scenario, batch: Batch):
    """The node's receipts of ``batch`` (the fast path on a copy of the scenario's genesis)."""
    results: list = []
    fast_path(scenario, clone(scenario.chain.backend), batch, results)
    return [r for result in results for r in result.receipts]


def test_a_sweep_of_63_resting_orders_proves_step_by_step() -> None:
    """The longest taker order: makers' asks and its own alternate, so it fills 32 (the fill
    bound) and removes 31 of its own (self-trade) on the way; the remainder is cancelled."""
    scenario = _scenario({"alice": 50_000, "bob": 50_000, "carol": 50_000})
    chain, (call, _, _), k = scenario.chain, scenario.ids, scenario.keys
    # The taker's own asks and the makers' alternate, a tick apart: both budgets run out together.
    own = [chain.order(k["alice"], call, Side.SELL, 140.1 + i / 5, 0.1) for i in range(MAX_MATCH_REMOVALS)]
    makers = [chain.order(k["bob"] if i % 2 else k["carol"], call, Side.SELL, 140 + i / 5, 0.1)
              for i in range(MAX_MATCH_STEPS + 4)]
    assert all(r.ok and r.rested_e6 for r in chain.run(*own, *makers))
    batch = _batch(scenario, [chain.order(k["alice"], call, Side.BUY, 200, 10)])
    [receipt] = _receipts(scenario, batch)
    assert receipt.ok and len(receipt.fills) == MAX_MATCH_STEPS
    assert [c for _, c in receipt.cancelled] == [FailureCode.SELF_TRADE] * (MAX_MATCH_REMOVALS - 1)
    assert receipt.remainder_code == FailureCode.MATCH_LIMIT_REACHED
    most, _ = _prove_all(scenario)
    assert {"PLACE", "MATCH", "MAKER_CHECKED", "TAKER_CHECKED"} <= set(most)
    assert max(most.values()) <= MAX_PLACE_STEP_KEYS, most


def test_failing_makers_and_takers_restore_and_prove_step_by_step() -> None:
    """After the index jumps: makers short of margin are removed and charged (a restore),
    a taker short of margin is stopped (restore, backing before and after) or, when the
    fill reduces its risk, filled again and its liquidation auction looked at (a margin
    summary); a remainder that cannot rest is restored too."""
    scenario = _scenario({"alice": 50_000, "bob": 50_000, "erin": 1_500, "frank": 1_500, "gina": 400})
    chain, (call, _, _), k = scenario.chain, scenario.ids, scenario.keys
    setup = [chain.order(k["erin"], call, Side.SELL, 150, size) for size in (4, 3, 2, 1, 0.5, 0.2)]
    setup += [chain.order(k["frank"], call, Side.SELL, 149, size) for size in (4, 3, 2, 1, 0.5)]
    chain.run(*setup)
    chain.run(chain.order(k["bob"], call, Side.BUY, 149, 20, tif=TimeInForce.IOC))  # frank now short
    chain.run(chain.order(k["bob"], call, Side.SELL, 151, 5), chain.order(k["alice"], call, Side.SELL, 152, 5))
    batch = _batch(
        scenario,
        [chain.oracle(1, 3300, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27)),
         chain.order(k["alice"], call, Side.BUY, 150, 30, tif=TimeInForce.IOC),  # erin's asks fail
         chain.liquidate(k["bob"], k["frank"], call, 0.1),  # frank's liquidation auction starts
         chain.order(k["frank"], call, Side.BUY, 152, 0.2, tif=TimeInForce.IOC),  # reduces frank's risk
         chain.order(k["gina"], call, Side.BUY, 152, 5, tif=TimeInForce.IOC),  # gina cannot pay
         chain.order(k["frank"], call, Side.SELL, 170, 3)],  # cannot rest
    )
    receipts = _receipts(scenario, batch)
    assert FailureCode.MAKER_INSUFFICIENT_MARGIN in {c for _, c in receipts[1].cancelled}
    assert receipts[2].ok and receipts[3].ok and receipts[3].filled_e6 > 0
    assert not receipts[4].ok
    assert not receipts[5].ok or receipts[5].remainder_code != FailureCode.OK
    most, _ = _prove_all(scenario)
    assert {"DROP_MAKER", "TAKER_AFTER", "TAKER_BEFORE", "AUCTIONS"} <= set(most), most
    assert max(most.values()) <= MAX_PLACE_STEP_KEYS, most


def test_random_batches_of_thin_accounts_prove_every_place_step() -> None:
    """Random batches by traders with little collateral: fills, failing makers and takers,
    liquidations (auctions a fill may end), remainders that cannot rest."""
    scenario = _scenario({name: 900 for name in TRADERS})
    scenario.build(seed=2, n_batches=3, blocks_per_batch=2, per_block=30)
    most, _ = _prove_all(scenario)
    assert {"PLACE", "MATCH", "MAKER_CHECKED", "TAKER_CHECKED", "TAKER_AFTER", "TAKER_BEFORE", "DROP_MAKER",
            "REST_CHECKED", "FINISH"} <= set(most), most
    assert max(most.values()) <= MAX_PLACE_STEP_KEYS, most
