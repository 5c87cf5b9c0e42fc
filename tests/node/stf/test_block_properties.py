"""Property tests of the STF over random workloads.

Hypothesis draws a sequence of blocks of random actions by a few traders on a few series:
orders of every time-in-force (some crossing, some not), cancels, cancel-alls, withdrawals,
oracle moves, replays and garbage bytes. After every block the harness checks conservation
of collateral, the book invariants (sorted, linked, FIFO in time order, never crossed),
account consistency and that positions net to zero. Then the same blocks are replayed on a
fresh state (determinism) and each block on a witness-backed state (fraud-proof seed).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf.backends import WitnessBackend
from node.stf.block import apply_block
from node.stf.state import State
from node.stf.txtypes import Liquidate, Settle
from node.wallet import address_of
from tests.node.stf.harness import EXPIRY_25DEC26, EXPIRY_29JAN27, Chain

TRADERS = ("alice", "bob", "carol", "dave")

order_action = st.tuples(
        st.just("order"),
        st.sampled_from(TRADERS),
        st.integers(0, 2),  # instrument index
        st.integers(0, 1),  # side
        st.integers(1450, 1550),  # price in ticks of 0.1
        st.integers(1, 30),  # size in 0.1 contracts
        st.integers(0, 3),  # time in force
        st.booleans(),  # reduce-only
)
action = st.one_of(
    order_action,
    order_action,
    order_action,
    order_action,
    st.tuples(st.just("cancel"), st.sampled_from(TRADERS), st.integers(1, 60)),
    st.tuples(st.just("cancel_all"), st.sampled_from(TRADERS), st.integers(0, 3)),
    st.tuples(st.just("withdraw"), st.sampled_from(TRADERS), st.integers(1, 60_000)),
    st.tuples(st.just("oracle"), st.integers(2500, 3500), st.integers(30, 150)),
    st.tuples(st.just("liquidate"), st.sampled_from(TRADERS), st.sampled_from(TRADERS), st.integers(0, 2),
              st.integers(0, 30)),
    st.tuples(st.just("settle"), st.sampled_from(TRADERS), st.sampled_from(TRADERS), st.integers(0, 2)),
    st.tuples(st.just("garbage"), st.binary(max_size=40)),
)
blocks = st.lists(st.lists(action, min_size=1, max_size=20), min_size=1, max_size=6)


def block_txs(chain: Chain, ids: list[int], keys_: dict[str, bytes], block) -> list[bytes]:
    """The signed transactions of one block of actions (``action``), signed by ``chain``."""
    txs = []
    for act in block:
        kind = act[0]
        if kind == "order":
            _, who, inst, side, ticks, lots, tif, ro = act
            txs.append(chain.order(keys_[who], ids[inst], side, ticks / 10, lots / 10, tif=tif, reduce_only=ro))
        elif kind == "cancel":
            txs.append(chain.cancel(keys_[act[1]], order_id=act[2]))
        elif kind == "cancel_all":
            txs.append(chain.cancel_all(keys_[act[1]], 0 if act[2] == 3 else ids[act[2]]))
        elif kind == "withdraw":
            txs.append(chain.withdraw(keys_[act[1]], act[2]))
        elif kind == "liquidate":
            _, who, target, inst, lots = act
            txs.append(chain.signed(keys_[who], Liquidate, account=address_of(keys_[target]),
                                    instrument_id=ids[inst], size_e6=lots * 100_000))
        elif kind == "settle":
            _, who, target, inst = act
            txs.append(chain.signed(keys_[who], Settle, account=address_of(keys_[target]),
                                    instrument_id=ids[inst]))
        elif kind == "oracle":
            txs.append(chain.oracle(1, act[1], act[2] / 100, expiries=(EXPIRY_25DEC26, EXPIRY_29JAN27)))
        else:
            txs.append(act[1])
    if txs and txs[0][:1] == b"\x01":
        txs.append(txs[0])  # a replay: must fail on its nonce
    return txs


def _run(chain: Chain, ids: list[int], keys_: dict[str, bytes], workload) -> None:
    for block in workload:
        chain.block(block_txs(chain, ids, keys_, block), dt=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workload=blocks)
def test_random_workloads_keep_invariants_and_replay_identically(workload) -> None:
    chain = Chain(record_witnesses=True)
    ids = chain.market(series=(
        (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3200, True),
    ))
    keys_ = {name: chain.trader(name, 50_000) for name in TRADERS}
    _run(chain, ids, keys_, workload)  # invariants are checked after every block

    fresh = Chain()
    for env, txs in chain.history:
        assert apply_block(fresh.state, env, txs).state_root == chain.roots[env.number - 1]
    _steps_equal_the_fast_path(chain)

    for env, txs, witness, result in chain.witnesses:
        assert apply_block(State(WitnessBackend(witness)), env, txs).state_root == result.state_root


def _steps_equal_the_fast_path(chain: Chain) -> None:
    """Every block again with every rule through its steps (no fast body: what a fault proof
    executes): the same root and the same receipts, details included, as the node's path."""
    stepped = Chain()
    fast = Chain()
    for env, txs in chain.history:
        by_steps = apply_block(stepped.state, env, txs, stepped=True)
        by_node = apply_block(fast.state, env, txs)
        assert by_steps.state_root == by_node.state_root == chain.roots[env.number - 1]
        assert [(r.encode(), r.detail) for r in by_steps.receipts] == [(r.encode(), r.detail) for r in by_node.receipts]


def random_workload(seed: int, n_blocks: int, per_block: int):
    """A larger seeded workload than hypothesis draws, dense in crossing orders."""
    import random

    rng = random.Random(seed)
    workload = []
    for _ in range(n_blocks):
        block = []
        for _ in range(per_block):
            roll = rng.random()
            who = rng.choice(TRADERS)
            if roll < 0.8:
                block.append(("order", who, rng.randrange(3), rng.randrange(2), rng.randint(1470, 1530),
                              rng.randint(1, 20), rng.choice((0, 0, 0, 1, 2, 3)), rng.random() < 0.1))
            elif roll < 0.88:
                block.append(("cancel", who, rng.randint(1, 400)))
            elif roll < 0.91:
                block.append(("cancel_all", who, rng.randrange(4)))
            elif roll < 0.95:
                block.append(("withdraw", who, rng.randint(1, 2_000)))
            elif roll < 0.965:
                block.append(("oracle", rng.randint(2400, 3600), rng.randint(40, 150)))
            elif roll < 0.98:
                block.append(("liquidate", who, rng.choice(TRADERS), rng.randrange(3), rng.randint(0, 20)))
            else:
                block.append(("garbage", rng.randbytes(rng.randrange(30))))
        workload.append(block)
    return workload


def test_dense_seeded_workload_keeps_invariants_and_replays() -> None:
    chain = Chain(record_witnesses=True)
    ids = chain.market(series=(
        (EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False), (EXPIRY_29JAN27, 3200, True),
    ))
    keys_ = {name: chain.trader(name, 50_000) for name in TRADERS}
    _run(chain, ids, keys_, random_workload(seed=7, n_blocks=12, per_block=40))
    fills = sum(len(r.fills) for *_, result in chain.witnesses for r in result.receipts)
    assert fills > 50  # the workload really trades
    _steps_equal_the_fast_path(chain)
    for env, txs, witness, result in chain.witnesses:
        assert apply_block(State(WitnessBackend(witness)), env, txs).state_root == result.state_root
