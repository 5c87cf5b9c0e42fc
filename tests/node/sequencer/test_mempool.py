"""The door: decoding, signatures, deposits, nonce pre-check, FIFO, size bound."""

from __future__ import annotations

import pytest

from node.sequencer.dev import dev_chain
from node.sequencer.mempool import Mempool, MempoolFull, Rejected
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.errors import FailureCode
from node.stf.genesis import initialise
from node.stf.state import State
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import Deposit, PlaceOrder
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
KEY = CHAIN.accounts["alice"]


def order(nonce: int, key: bytes = KEY) -> bytes:
    return sign_tx(key, PlaceOrder(nonce, 1, 0, 1_000_000, 1_000_000, 0, False, 0, 0), CHAIN.genesis.chain_id)


@pytest.fixture
def state() -> State:
    state = State(MemoryBackend())
    initialise(state, CHAIN.genesis)
    return state


def test_door_refusals(state):
    pool = Mempool(CHAIN.genesis.chain_id)
    for raw, code in (
        (b"", FailureCode.DECODE_ERROR),
        (b"\x55abc", FailureCode.UNKNOWN_TX_TYPE),
        (b"\x01" + bytes(3000), FailureCode.TX_TOO_LARGE),
        (encode_tx(Deposit(0, address_of(KEY), 5), None), FailureCode.UNAUTHORISED_SIGNER),
    ):
        with pytest.raises(Rejected) as caught:
            pool.check(state, raw)
        assert caught.value.code == code and caught.value.invalid and len(caught.value.tx_hash) == 32


def test_another_chains_signature_recovers_another_sender(state):
    pool = Mempool(CHAIN.genesis.chain_id)
    body = PlaceOrder(0, 1, 0, 1_000_000, 1_000_000, 0, False, 0, 0)
    tx = pool.check(state, sign_tx(KEY, body, CHAIN.genesis.chain_id + 1))
    assert tx.sender != address_of(KEY)


def test_nonce_precheck_against_head_and_queue(state):
    pool = Mempool(CHAIN.genesis.chain_id)
    first = pool.check(state, order(7))
    pool.add(first)
    with pytest.raises(Rejected) as caught:  # the same nonce already queued
        pool.check(state, order(7))
    assert caught.value.code == FailureCode.NONCE_ALREADY_USED and not caught.value.invalid
    taken = [p.tx for p in pool.take(10)]
    assert taken == [first] and len(pool) == 0
    apply_block(state, BlockEnv(1, T0), taken)  # nonce 7 used in the head state
    with pytest.raises(Rejected) as caught:
        pool.check(state, order(7))
    assert caught.value.code == FailureCode.NONCE_ALREADY_USED
    pool.check(state, order(8))
    apply_block(state, BlockEnv(2, T0), [pool.check(state, order(1000))])  # the window slides to 745
    with pytest.raises(Rejected) as caught:
        pool.check(state, order(8))
    assert caught.value.code == FailureCode.NONCE_OUT_OF_RANGE


def test_fifo_and_bound(state):
    pool = Mempool(CHAIN.genesis.chain_id, max_pending=5)
    txs = [pool.check(state, order(n)) for n in (9, 3, 5, 1, 7)]  # arrival order, not nonce order
    for tx in txs:
        pool.add(tx)
    with pytest.raises(MempoolFull):
        pool.add(pool.check(state, order(100)))
    pool.add(pool.check(state, order(101)), system=True)  # system transactions are never refused
    assert [p.tx.body.nonce for p in pool.take(3)] == [9, 3, 5]
    assert [p.tx.body.nonce for p in pool.take(10)] == [1, 7, 101]
