"""The state interface: snapshots, the three backends, and witness re-execution."""

from __future__ import annotations

import pytest

from node.stf import keys
from node.stf.backends import MemoryBackend, Witness, WitnessBackend, WitnessMissingKey
from node.stf.block import apply_block
from node.stf.records import Account, Globals
from node.stf.state import State
from tests.node.stf.harness import EXPIRY_25DEC26, Chain

BUY, SELL = 0, 1
A = b"\xaa" * 20


def test_rollback_undoes_writes_and_nested_snapshots() -> None:
    state = State(MemoryBackend())
    state.put(keys.account(A), Account(5))
    state.commit_transaction()
    outer = state.snapshot()
    state.put(keys.account(A), Account(6))
    inner = state.snapshot()
    state.put(keys.GLOBALS, Globals(next_order_id=9))
    state.rollback(inner)
    assert state.get(keys.GLOBALS) is None and state.get(keys.account(A)) == Account(6)
    state.rollback(outer)
    assert state.get(keys.account(A)) == Account(5)
    assert state.dirty_keys() == [keys.account(A)]


def test_rollback_of_new_key_leaves_nothing_to_commit() -> None:
    backend = MemoryBackend()
    state = State(backend)
    empty_root = state.commit_block()
    snap = state.snapshot()
    state.put(keys.account(A), Account(1))
    state.rollback(snap)
    assert state.commit_block() == empty_root
    assert backend.values == {}


def test_committed_values_are_canonical_bytes_and_root_changes() -> None:
    backend = MemoryBackend()
    state = State(backend)
    root0 = state.commit_block()
    state.put(keys.account(A), Account(7, 0, 0, (1, 2), ((3, -5),)))
    root1 = state.commit_block()
    assert root1 != root0
    assert Account.decode(backend.values[keys.account(A)]) == Account(7, 0, 0, (1, 2), ((3, -5),))
    fresh = State(backend)
    assert fresh.get(keys.account(A)) == Account(7, 0, 0, (1, 2), ((3, -5),))


def _trading_chain() -> Chain:
    chain = Chain(record_witnesses=True)
    ids = chain.market(series=((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 2800, False)))
    alice, bob, carol = chain.trader("alice"), chain.trader("bob"), chain.trader("carol")
    for i in range(4):
        chain.block([
            chain.order(bob, ids[0], SELL, 150 + i, 1),
            chain.order(carol, ids[0], SELL, 149 + i, 0.5),
            chain.order(alice, ids[0], BUY, 151, 1.2),
            chain.order(alice, ids[1], BUY, 60 + i, 1),
            chain.order(bob, ids[1], SELL, 61, 0.3),
            chain.cancel_all(carol, ids[0]) if i == 2 else chain.withdraw(carol, 10),
            chain.oracle(1, 3000 + 10 * i, 0.6),
            b"\x01garbage",
        ])
    return chain


def test_witness_reexecution_gives_the_same_root_for_every_block() -> None:
    chain = _trading_chain()
    assert len(chain.witnesses) > 5
    for env, txs, witness, result in chain.witnesses:
        replay_state = State(WitnessBackend(witness))
        replay = apply_block(replay_state, env, txs)
        assert replay.state_root == result.state_root
        assert replay.receipts == result.receipts


def test_witness_state_refuses_keys_outside_the_witness() -> None:
    chain = _trading_chain()
    env, txs, witness, _ = chain.witnesses[-1]
    some_key = next(iter(witness.keys))
    smaller = Witness(witness.pre_root, witness.nodes, witness.keys - {some_key})
    with pytest.raises(WitnessMissingKey):
        apply_block(State(WitnessBackend(smaller)), env, txs)


def test_witness_missing_a_trie_node_is_an_error() -> None:
    from node.stf.mpt.errors import TrieError

    chain = _trading_chain()
    env, txs, witness, result = chain.witnesses[-1]
    nodes = sorted(witness.nodes, key=len)
    tampered = Witness(witness.pre_root, frozenset(nodes[1:]), witness.keys)
    with pytest.raises((TrieError, WitnessMissingKey)):
        apply_block(State(WitnessBackend(tampered)), env, txs)


def test_recording_backend_sees_only_block_keys() -> None:
    chain = _trading_chain()
    _, _, witness, _ = chain.witnesses[-1]
    assert keys.GLOBALS in witness.keys
    assert all(len(k) >= 1 for k in witness.keys)


def test_same_blocks_on_fresh_states_give_same_roots() -> None:
    chain = _trading_chain()
    again = Chain()
    for env, txs in chain.history:
        again.number = env.number - 1
        again.time = env.timestamp
        result = apply_block(again.state, env, txs)
        assert result.state_root == chain.roots[env.number - 1]


def test_access_log_records_each_transactions_keys() -> None:
    chain = _trading_chain()
    env, txs, witness, result = chain.witnesses[-1]
    # replay the block on its witness with per-transaction access logging
    state = State(WitnessBackend(witness), log_access=True)
    apply_block(state, env, txs)
    assert len(state.access_log) == len(txs) + 2  # prologue, one per transaction, epilogue
    assert frozenset().union(*state.access_log) == witness.keys
    assert state.access_log[0] == {keys.GLOBALS, keys.CONFIG}
    order_tx_keys = state.access_log[1]
    assert keys.GLOBALS in order_tx_keys
    assert any(k[0] == keys.P_ORDER for k in order_tx_keys)
    garbage_keys = state.access_log[len(txs)]  # b"\x01garbage" reads only the signing domain
    assert garbage_keys == {keys.CONFIG}
