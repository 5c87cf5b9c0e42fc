"""The node's fast body for placing an order (``matching_fast``) equals its steps
(``matching``) on every block of random, dense and thin-margin workloads: roots and receipts."""

from __future__ import annotations

import pytest

from node.stf.block import apply_block
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.node.stf.test_block_properties import TRADERS, _run, random_workload


@pytest.mark.parametrize("seed,funds", [(1, 50_000), (2, 3_000), (3, 800), (4, 200)])
def test_fast_and_stepped_place_order_agree_on_every_block(seed: int, funds: int) -> None:
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
