"""The door: decoding, signatures, deposits, nonce pre-check; the queue: FIFO, bounds, per-account
limits and fair blocks under a backlog."""

from __future__ import annotations

import pytest

from node.sequencer.dev import dev_chain
from node.sequencer.mempool import Mempool, MempoolFull, Rejected, SenderLimited, SenderLimits
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.errors import FailureCode
from node.stf.genesis import initialise
from node.stf.state import State
from node.stf.tx_codec import encode_tx
from node.stf.eip712 import Domain
from node.stf.hashing import keccak256
from node.stf.txtypes import Deposit, PlaceOrder, SignedTx
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
OTHER_DOMAIN = Domain(CHAIN.genesis.chain_id + 1, CHAIN.genesis.verifying_contract)
KEY = CHAIN.accounts["alice"]


def order(nonce: int, key: bytes = KEY) -> bytes:
    return sign_tx(key, PlaceOrder(nonce, 1, 0, 1_000_000, 1_000_000, 0, False, 0, 0), CHAIN.genesis.domain)


@pytest.fixture
def state() -> State:
    state = State(MemoryBackend())
    initialise(state, CHAIN.genesis)
    return state


def test_door_refusals(state):
    pool = Mempool(CHAIN.genesis.domain)
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
    pool = Mempool(CHAIN.genesis.domain)
    body = PlaceOrder(0, 1, 0, 1_000_000, 1_000_000, 0, False, 0, 0)
    tx = pool.check(state, sign_tx(KEY, body, OTHER_DOMAIN))
    assert tx.sender != address_of(KEY)


def test_nonce_precheck_against_head_and_queue(state):
    pool = Mempool(CHAIN.genesis.domain)
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
    pool = Mempool(CHAIN.genesis.domain, max_pending=5)
    bob = CHAIN.accounts["bob"]
    txs = [pool.check(state, order(n, key)) for n, key in ((9, KEY), (3, bob), (5, KEY), (1, bob), (7, KEY))]
    for tx in txs:  # arrival order, not nonce order
        pool.add(tx)
    with pytest.raises(MempoolFull):
        pool.add(pool.check(state, order(100)))
    pool.add(pool.check(state, order(101)), system=True)  # system transactions are never refused
    assert len(pool) == 6
    assert [p.tx.body.nonce for p in pool.take(10)] == [9, 3, 5, 1, 7, 101]  # all fit: FIFO
    assert len(pool) == 0 and pool.take(10) == []


def queued(sender: int, nonce: int) -> SignedTx:
    """A decoded order of the account ``bytes([sender]) * 20`` (the queue reads only the
    sender, the nonce and the envelope's size)."""
    raw = bytes([sender]) * 90 + nonce.to_bytes(8, "big")
    return SignedTx(PlaceOrder(nonce, 1, 0, E6, E6, 0, False, 0, 0), raw, keccak256(raw), bytes([sender]) * 20)


E6 = 10**6
FLOODER, TRADER = 1, 2


def test_a_backlogged_sender_cannot_delay_another_beyond_the_next_block():
    pool = Mempool(CHAIN.genesis.domain)
    for nonce in range(3_000):
        pool.add(queued(FLOODER, nonce))
    pool.add(queued(TRADER, 0))
    block = pool.take(1_000)
    assert len(block) == 1_000 and block[-1].tx.sender == bytes([TRADER]) * 20  # last to arrive, still in
    assert [p.tx.body.nonce for p in block[:-1]] == list(range(999))  # the flooder's oldest, in order
    assert len(pool) == 2_001 and pool.pending_of(bytes([FLOODER]) * 20) == 2_001
    assert [p.tx.body.nonce for p in pool.take(5)] == [999, 1_000, 1_001, 1_002, 1_003]


def test_water_filling_quotas_and_arrival_order():
    pool = Mempool(CHAIN.genesis.domain)
    # a: 5 pending, b: 2, c: 10, interleaved; 12 slots: b gets 2, then a and c 5 each.
    arrivals = [1] * 3 + [2] * 2 + [3] * 6 + [1] * 2 + [3] * 4
    nonces: dict[int, int] = {}
    for sender in arrivals:
        pool.add(queued(sender, nonces.setdefault(sender, 0)))
        nonces[sender] += 1
    pool.add(queued(9, 0), system=True)  # a system transaction goes first, outside the quotas
    block = pool.take(13)
    senders = [p.tx.sender[0] for p in block]
    assert senders.count(9) == 1 and senders.count(2) == 2 and senders.count(1) == 5 and senders.count(3) == 5
    assert senders == [1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 1, 1, 9]  # in arrival order
    # Two senders with 3 each and 5 slots: 2 each, and the leftover to the earlier next one.
    pool = Mempool(CHAIN.genesis.domain)
    for sender, nonce in ((5, 0), (6, 0), (5, 1), (6, 1), (6, 2), (5, 2)):
        pool.add(queued(sender, nonce))
    assert [(p.tx.sender[0], p.tx.body.nonce) for p in pool.take(5)] == [(5, 0), (6, 0), (5, 1), (6, 1), (6, 2)]
    # More senders than slots: the earliest arrivals.
    pool = Mempool(CHAIN.genesis.domain)
    for sender in (7, 8, 7, 9, 10):
        pool.add(queued(sender, nonces.setdefault(sender, 0)))
        nonces[sender] += 1
    assert [p.tx.sender[0] for p in pool.take(3)] == [7, 8, 9]


def test_the_byte_bound_cuts_in_arrival_order():
    pool = Mempool(CHAIN.genesis.domain)
    for nonce in range(10):
        pool.add(queued(FLOODER, nonce))
    pool.add(queued(TRADER, 0))
    block = pool.take(6, max_bytes=98 * 3)  # room for 3 envelopes of 98 bytes
    assert [(p.tx.sender[0], p.tx.body.nonce) for p in block] == [(FLOODER, 0), (FLOODER, 1), (FLOODER, 2)]
    assert len(pool.take(1, max_bytes=1)) == 1  # at least one


def test_pending_per_account_is_bounded():
    pool = Mempool(CHAIN.genesis.domain, sender_limits=SenderLimits(max_pending=3, rate_per_s=None))
    for nonce in range(3):
        pool.add(queued(FLOODER, nonce))
    with pytest.raises(SenderLimited, match="3 transactions pending"):
        pool.add(queued(FLOODER, 3))
    pool.add(queued(TRADER, 0))  # another account is not affected
    pool.add(queued(FLOODER, 4), system=True)  # nor are system transactions
    with pool.unlimited():  # a stream's cancel-on-disconnect
        pool.add(queued(FLOODER, 5))
    pool.take(1)
    with pytest.raises(SenderLimited):  # 3 pending again (4 and 5 came over the limit)
        pool.add(queued(FLOODER, 6))
    assert issubclass(SenderLimited, MempoolFull)


def test_a_nearly_full_pool_is_shared():
    # 128 slots: three quarters is 96; then an account may hold at most 128 // 64 = 2.
    pool = Mempool(CHAIN.genesis.domain, max_pending=128, sender_limits=SenderLimits(max_pending=50, rate_per_s=None))
    for sender in (1, 2):
        for nonce in range(48):
            pool.add(queued(sender, nonce))
    assert len(pool) == 96
    with pytest.raises(SenderLimited, match="at most 2 per account"):
        pool.add(queued(1, 48))
    for sender in range(10, 26):  # 16 new senders fill the last quarter, two each
        pool.add(queued(sender, 0))
        pool.add(queued(sender, 1))
        with pytest.raises(SenderLimited if len(pool) < 128 else MempoolFull):
            pool.add(queued(sender, 2))
    assert len(pool) == 128
    with pytest.raises(MempoolFull):
        pool.add(queued(99, 0))


def test_account_token_bucket():
    now = [0.0]
    pool = Mempool(CHAIN.genesis.domain, sender_limits=SenderLimits(max_pending=100, rate_per_s=2.0, burst=3.0),
                   clock=lambda: now[0])
    for nonce in range(3):
        pool.add(queued(FLOODER, nonce))
    with pytest.raises(SenderLimited, match="rate limit"):
        pool.add(queued(FLOODER, 3))
    pool.add(queued(TRADER, 0))
    now[0] = 0.5  # one token back
    pool.add(queued(FLOODER, 4))
    with pytest.raises(SenderLimited):
        pool.add(queued(FLOODER, 5))
