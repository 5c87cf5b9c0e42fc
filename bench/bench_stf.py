"""STF throughput: signed limit orders on a realistic mix, root computed per block.

Set-up: 50 ETH option series (2 expiries x 13 strikes x call/put, minus 2), 1,000 funded
accounts, an oracle update. Workload: market makers quote around each series' mark (most
orders rest a few ticks away), about a third of orders cross the spread and trade, and
about 8% are cancels of earlier orders. Blocks of 1,000 transactions; senders are recovered
before timing (the sequencer does that in worker processes); each block's state root is
computed. Figures are medians over the measured blocks.
"""

from __future__ import annotations

import gc
import random
import statistics
import time

from bench.common import emit
from node.stf import keys
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.eip712 import Domain
from node.stf.genesis import Genesis, initialise
from node.stf.state import State
from node.stf.tx_codec import decode_tx, encode_tx
from node.stf.txtypes import CancelOrder, Deposit, ListInstrument, OracleUpdate, PlaceOrder, VolPoint
from node.wallet import address_of, sign_tx

CHAIN_ID = 421_337
PORTAL = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")  # the benchmark deployment's L1 portal
DOMAIN = Domain(CHAIN_ID, PORTAL)
T0 = 1_796_112_000  # 2026-12-01 08:00 UTC
EXPIRIES = (1_798_185_600, 1_801_209_600)  # 25DEC26, 29JAN27
STRIKES = tuple(range(2400, 3700, 100))
E6 = 10**6
TICK_E6 = 100_000
N_ACCOUNTS = 1_000
BLOCK_SIZE = 1_000
WARM_BLOCKS = 3
MEASURED_BLOCKS = 8


def account_key(i: int) -> bytes:
    """The private key of benchmark account ``i`` (i + 1, as 32 bytes; development only)."""
    return (i + 1).to_bytes(32, "big")


def dev_genesis() -> Genesis:
    """The benchmark chain's genesis (admin and oracle are keys 10,000 and 10,001)."""
    return Genesis(CHAIN_ID, PORTAL, address_of(account_key(10_000)), (address_of(account_key(10_001)),),
                   genesis_time=T0)


def market_setup_txs() -> list[bytes]:
    """Block 1 (at ``T0 + 1``) of the benchmark chain: 50 ETH series listed, one oracle update, and a
    1,000,000-unit deposit for each of the ``N_ACCOUNTS`` accounts."""
    admin, oracle = account_key(10_000), account_key(10_001)
    txs: list[bytes] = []
    nonce = 0
    for expiry in EXPIRIES:
        for strike in STRIKES:
            for is_call in (True, False):
                txs.append(sign_tx(admin, ListInstrument(nonce, 1, expiry, strike * E6, is_call, TICK_E6, TICK_E6), DOMAIN))
                nonce += 1
    txs = txs[:50]
    surface = tuple(VolPoint(e, 650_000, -100_000, 200_000) for e in EXPIRIES)
    txs.append(sign_tx(oracle, OracleUpdate(0, 1, 1, T0 + 1, 3000 * E6, surface), DOMAIN))
    for i in range(N_ACCOUNTS):
        txs.append(encode_tx(Deposit(i, address_of(account_key(i)), 1_000_000 * E6), None))
    return txs


def tick_marks(state: State, instrument_ids) -> dict[int, int]:
    """Each series' mark rounded down to the tick (at least 5 ticks): where quotes centre."""
    return {i: max(state.get(keys.mark(i)).mark_e6 // TICK_E6 * TICK_E6, 5 * TICK_E6) for i in instrument_ids}


def _setup() -> tuple[State, list[int], dict[int, int], int]:
    state = State(MemoryBackend())
    initialise(state, dev_genesis())
    result = apply_block(state, BlockEnv(1, T0 + 1), market_setup_txs())
    assert all(r.ok for r in result.receipts), [r for r in result.receipts if not r.ok][:3]
    instrument_ids = list(range(1, 51))
    next_order_id = state.get(keys.GLOBALS).next_order_id
    return state, instrument_ids, tick_marks(state, instrument_ids), next_order_id


def _workload(instrument_ids: list[int], marks: dict[int, int], first_order_id: int, n: int):
    """Signed, pre-decoded transactions (senders recovered)."""
    rng = random.Random(1)
    nonces = [0] * N_ACCOUNTS
    resting: list[tuple[int, int]] = []  # (order id, account)
    order_id = first_order_id
    out = []
    for _ in range(n):
        account = rng.randrange(N_ACCOUNTS)
        roll = rng.random()
        if roll < 0.08 and resting:
            victim_id, owner = resting.pop(rng.randrange(len(resting)))
            body = CancelOrder(nonces[owner], victim_id, 0)
            account = owner
        else:
            inst = rng.choice(instrument_ids)
            mid = marks[inst]
            side = rng.randrange(2)
            if roll < 0.41:  # crossing: take liquidity one to three ticks through the mid
                offset = rng.randint(1, 3) * TICK_E6
                price = mid + offset if side == 0 else max(mid - offset, TICK_E6)
                tif = 1 if rng.random() < 0.5 else 0
            else:  # resting quote away from the mid
                offset = rng.randint(1, 20) * TICK_E6
                price = mid - offset if side == 0 else mid + offset
                price = max(price, TICK_E6)
                tif = 0
            size = rng.randint(1, 20) * TICK_E6
            body = PlaceOrder(nonces[account], inst, side, price, size, tif, False, 0, 0)
            if tif == 0:
                resting.append((order_id, account))
            order_id += 1
        nonces[account] += 1
        out.append(decode_tx(sign_tx(account_key(account), body, DOMAIN), DOMAIN))
    return out


def run() -> None:
    state, instrument_ids, marks, first_order_id = _setup()
    total_blocks = WARM_BLOCKS + MEASURED_BLOCKS
    txs = _workload(instrument_ids, marks, first_order_id, total_blocks * BLOCK_SIZE)
    # A long-lived node freezes its loaded heap so the cyclic GC stops rescanning it.
    gc.collect()
    gc.freeze()
    rates, fills = [], 0
    for b in range(total_blocks):
        block = txs[b * BLOCK_SIZE:(b + 1) * BLOCK_SIZE]
        env = BlockEnv(2 + b, T0 + 2 + b)
        start = time.perf_counter()
        result = apply_block(state, env, block)
        elapsed = time.perf_counter() - start
        if b >= WARM_BLOCKS:
            rates.append(BLOCK_SIZE / elapsed)
            fills += sum(len(r.fills) for r in result.receipts)
    gc.unfreeze()
    emit("stf", "stf.orders_per_s", statistics.median(rates), "orders/s",
         block_size=BLOCK_SIZE, instruments=len(instrument_ids), accounts=N_ACCOUNTS,
         fills_per_block=round(fills / MEASURED_BLOCKS, 1))
