"""``BlockStore.state_backend_at``: any retained state re-executes its next block to the stored
root; a pruned one is refused; nothing is ever written."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.stf import keys
from node.stf.block import apply_block
from node.stf.receipts import receipts_hash
from node.stf.state import State
from node.store import BlockStore, LmdbBackend, StatePruned, StoreError
from tests.node.store.test_retention import node_hashes
from tests.node.store.workload import Replay, apply_and_commit, env, make_blocks, open_chain

BLOCKS = make_blocks(24, per_block=30, seed=5)
FINAL = 6


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A stored chain finalized through block ``FINAL``, and the reference states of every block."""
    store = BlockStore(tmp_path_factory.mktemp("history") / "db")
    backend = LmdbBackend(store)
    state = open_chain(backend)
    reference = Replay.fresh()
    states = [dict(reference.backend.values)]
    for number, txs in enumerate(BLOCKS, 1):
        apply_and_commit(state, backend, number, txs)
        reference.apply(txs)
        states.append(dict(reference.backend.values))
    store.finalized_through(FINAL)
    yield store, states
    store.close()


def test_every_retained_state_reexecutes_to_the_next_stored_root(chain) -> None:
    store, _ = chain
    before = (node_hashes(store), store.stats())
    rested = 0
    for number in range(FINAL, store.head().number):
        backend = store.state_backend_at(number)
        assert backend.root() == store.header(number).state_root
        following = store.block(number + 1)
        result = apply_block(State(backend), env(number + 1), following.txs)
        assert result.state_root == following.header.state_root, f"block {number + 1}"
        assert receipts_hash(list(result.receipts)) == following.header.receipts_hash
        assert backend.root() == following.header.state_root
        rested += sum(1 for r in result.receipts if r.rested_e6 > 0)
    assert rested > 20  # the blocks rest orders: the book read price levels through keys_with_prefix
    assert (node_hashes(store), store.stats()) == before  # read-only: the store is unchanged


def test_old_states_read_the_keys_and_values_of_their_block(chain) -> None:
    store, states = chain
    for number in (FINAL, 11, store.head().number):
        backend = store.state_backend_at(number)
        expected = states[number]
        assert list(backend.keys_with_prefix(b"")) == sorted(expected)
        levels = bytes([keys.P_LEVEL])
        assert list(backend.keys_with_prefix(levels)) == sorted(k for k in expected if k.startswith(levels))
        for key in list(expected)[::7]:
            assert backend.get(key) == expected[key]
    assert states[FINAL] != states[-1]


def test_applied_changes_stay_in_memory(chain) -> None:
    store, states = chain
    backend = store.state_backend_at(FINAL)
    key = next(k for k in states[FINAL] if k[0] == keys.P_LEVEL)
    backend.apply({key: None, b"\x7fnew": b"value"})
    assert backend.get(key) is None and backend.get(b"\x7fnew") == b"value"
    assert key not in backend.keys_with_prefix(key[:6])
    assert b"\x7fnew" in backend.keys_with_prefix(b"\x7f")
    assert store.get(b"\x7fnew") is None
    fresh = store.state_backend_at(FINAL)
    assert fresh.get(key) == states[FINAL][key] and fresh.root() == store.header(FINAL).state_root


def test_a_pruned_or_missing_block_is_refused(chain) -> None:
    store, _ = chain
    with pytest.raises(StatePruned, match="block 5 is pruned"):
        store.state_backend_at(FINAL - 1)
    with pytest.raises(StoreError, match="no block"):
        store.state_backend_at(store.head().number + 1)


def test_finality_passing_a_backend_in_use_makes_it_raise(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "db")
    backend = LmdbBackend(store)
    state = open_chain(backend)
    for number, txs in enumerate(BLOCKS[:8], 1):
        apply_and_commit(state, backend, number, txs)
    old = store.state_backend_at(2)
    assert old.get(keys.GLOBALS) is not None
    store.finalized_through(8)
    with pytest.raises(StatePruned):
        old.keys_with_prefix(bytes([keys.P_LEVEL]))
    with pytest.raises(StatePruned):
        for key in store.keys_with_prefix(b""):  # some path was never loaded: its nodes are gone
            old.get(key)
    store.close()
