"""The node's fast bodies (``matching_fast``, ``liquidation_fast``) equal their steps
(``matching``, ``liquidation``) on every block of random, dense and thin-margin workloads, and
through a crash that liquidates: roots and receipts, details included."""

from __future__ import annotations

import pytest

from node.stf.block import apply_block
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.node.stf.test_block_properties import TRADERS, _run, random_workload


@pytest.mark.parametrize("seed,funds", [(1, 50_000), (2, 3_000), (3, 800), (4, 200)])
def test_fast_and_stepped_bodies_agree_on_every_block(seed: int, funds: int) -> None:
    chain = Chain()
    ids = chain.market(series=(
        (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3200, True),
    ))
    keys_ = {name: chain.trader(name, funds) for name in TRADERS}
    _run(chain, ids, keys_, random_workload(seed=seed, n_blocks=10, per_block=40))
    stepped, fast = Chain(), Chain()
    for env, txs in chain.history:
        a = apply_block(stepped.state, env, txs, stepped=True)
        b = apply_block(fast.state, env, txs)
        assert a.state_root == b.state_root
        assert [(r.encode(), r.detail) for r in a.receipts] == [(r.encode(), r.detail) for r in b.receipts]


def test_fast_and_stepped_liquidations_agree_through_a_crash() -> None:
    chain = Chain()
    ids = chain.market(series=((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False)))
    keys_ = {name: chain.trader(name, 2_000) for name in TRADERS}
    liquidators = [chain.trader(f"liquidator{i}", 500_000) for i in range(2)]
    for i, name in enumerate(TRADERS):  # every trader writes calls and puts on thin margin
        chain.run(chain.order(liquidators[i % 2], ids[i % 2], 0, 60, 3), chain.order(keys_[name], ids[i % 2], 1, 60, 3))
    chain.run(chain.oracle(1, 3900, 1.2), dt=60)  # a crash up: the call writers are under water
    for size in (0, 1, 5, 5):
        chain.run(*[chain.liquidate(liquidators[j % 2], keys_[name], ids[j % 2], size)
                    for j, name in enumerate(TRADERS)], dt=15)
    stepped, fast = Chain(), Chain()
    liquidated = 0
    for env, txs in chain.history:
        a = apply_block(stepped.state, env, txs, stepped=True)
        b = apply_block(fast.state, env, txs)
        assert a.state_root == b.state_root
        assert [(r.encode(), r.detail) for r in a.receipts] == [(r.encode(), r.detail) for r in b.receipts]
        liquidated += sum(1 for r in b.receipts if r.ok and r.detail.startswith("liquidated") and r.filled_e6)
    assert liquidated >= 2  # the crash really liquidates
