"""Margin and oracle costs: the check every fill runs, and re-marking an underlying.

``margin.check_us_p50`` / ``_p99``: one ``margin.meets_initial(state, account)`` (what each
side of every fill and every resting order runs) for an account holding ``MAX_POSITIONS``
positions spread over two underlyings (32 series each: 2 expiries x 8 strikes x call/put),
long and short mixed, with exactly the cash its initial margin needs, so the check takes
its full path (the scenario sums), not the cheap sufficient test; marks already in the
state's cache, as after the first check of a block.
``margin.check_orders_us_p50``: the same with a resting bid and ask on every one of the 64
series as well (the most a check reads: positions and orders on ``MAX_POSITIONS`` series).
``margin.check_fast_us_p50``: the first account with ample cash, decided by the cheap test.
``margin.check_cold_us_p50``: the full check on a fresh ``State`` over the same backend, so
the 64 marks are read and decoded first (the first check touching them in a block).

``oracle.reprice_ms``: one block holding one signed oracle update (sender pre-recovered)
on an underlying with 200 listed series: 200 marks, each a Black-Scholes price with Greeks
and 23 scenario prices, written to the trie and the state root computed; median of
several updates, the index moving each time so that every mark changes.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import replace

from bench.bench_stf import DOMAIN
from bench.common import emit
from node.stf import keys, margin
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import Genesis, initialise
from node.stf.params import MAX_POSITIONS
from node.stf.records import Account, OrderTotals
from node.stf.state import State
from node.stf.tx_codec import decode_tx
from node.stf.txtypes import ListInstrument, OracleUpdate, VolPoint
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000  # 2026-12-01 08:00 UTC
EXPIRIES = (1_798_185_600, 1_801_209_600, 1_803_628_800, 1_806_652_800)  # 25DEC26 29JAN27 26FEB27 2APR27
E6 = 10**6
ADMIN = (1).to_bytes(32, "big")
ORACLE = (2).to_bytes(32, "big")
CHECK_CALLS = 5_000
REPRICE_SERIES = 200
REPRICE_RUNS = 7


def _chain() -> State:
    state = State(MemoryBackend())
    initialise(state, Genesis(DOMAIN.chain_id, DOMAIN.verifying_contract, address_of(ADMIN), (address_of(ORACLE),),
                              genesis_time=T0))
    return state


def _listings(underlying_id: int, expiries: tuple[int, ...], strikes: range, first_nonce: int) -> list[bytes]:
    txs = []
    nonce = first_nonce
    for expiry in expiries:
        for strike in strikes:
            for is_call in (True, False):
                body = ListInstrument(nonce, underlying_id, expiry, strike * E6, is_call, 100_000, 100_000)
                txs.append(sign_tx(ADMIN, body, DOMAIN))
                nonce += 1
    return txs


def _oracle(nonce: int, underlying_id: int, index: int, expiries: tuple[int, ...], observed: int) -> bytes:
    """An update with sequence ``nonce + 1``, observed at ``observed`` (its block's time)."""
    surface = tuple(VolPoint(e, 650_000, -100_000, 200_000) for e in expiries)
    return sign_tx(ORACLE, OracleUpdate(nonce, underlying_id, nonce + 1, observed, index * E6, surface), DOMAIN)


def _at_the_edge(state: State, account: Account) -> Account:
    """``account`` with exactly the cash its positions and orders need."""
    excess = margin.backing(state, account).excess_e6
    edge = replace(account, balance_e6=account.balance_e6 - excess)
    poorer = replace(edge, balance_e6=edge.balance_e6 - 1)
    assert margin.meets_initial(state, edge) and not margin.meets_initial(state, poorer)
    return edge


def _timed(check, state: State, account: Account, calls: int) -> list[int]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        check(state, account)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    return samples


def _check_bench() -> None:
    state = _chain()
    eth = _listings(1, EXPIRIES[:2], range(2600, 3400, 100), 0)  # 32 series
    btc = _listings(2, EXPIRIES[:2], range(90_000, 106_000, 2_000), len(eth))  # 32 series
    txs = eth + btc + [_oracle(0, 1, 3000, EXPIRIES[:2], T0 + 1), _oracle(1, 2, 98_000, EXPIRIES[:2], T0 + 1)]
    result = apply_block(state, BlockEnv(1, T0 + 1), txs)
    assert all(r.ok for r in result.receipts)
    ids = list(range(1, len(eth) + len(btc) + 1))
    assert len(ids) == MAX_POSITIONS
    positions = tuple((i, (i % 7 - 3 or 1) * 100_000 * (1 + i % 3)) for i in ids)
    account = _at_the_edge(state, Account(balance_e6=10**12, positions=positions))
    totals = tuple(OrderTotals(i, 200_000, 200_000 * mark // 2, mark // 2, 300_000, 300_000 * mark * 2, mark * 2)
                   for i in ids for mark in [state.get(keys.mark(i)).mark_e6])
    with_orders = _at_the_edge(state, replace(account, order_totals=totals))
    rich = replace(account, balance_e6=10**12)

    gc.collect()
    gc.disable()
    try:
        check = margin.meets_initial
        samples = _timed(check, state, account, CHECK_CALLS)
        ordered = _timed(check, state, with_orders, CHECK_CALLS)
        fast = _timed(check, state, rich, CHECK_CALLS)
        cold = []
        for _ in range(200):
            fresh = State(state.backend)
            start = time.perf_counter_ns()
            check(fresh, account)
            cold.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    emit("margin", "margin.check_us_p50", statistics.median(samples) / 1000, "us",
         positions=len(positions), underlyings=2, target_us=200)
    emit("margin", "margin.check_us_p99", samples[len(samples) * 99 // 100] / 1000, "us",
         positions=len(positions), underlyings=2)
    emit("margin", "margin.check_orders_us_p50", statistics.median(ordered) / 1000, "us",
         positions=len(positions), order_series=len(totals), underlyings=2)
    emit("margin", "margin.check_fast_us_p50", statistics.median(fast) / 1000, "us",
         positions=len(positions), underlyings=2)
    emit("margin", "margin.check_cold_us_p50", statistics.median(cold) / 1000, "us",
         positions=len(positions), underlyings=2)


def _reprice_bench() -> None:
    state = _chain()
    strikes = range(2000, 4500, 50)  # 50 strikes x call/put x 2 expiries = 200 series
    txs = _listings(1, EXPIRIES[:2], strikes, 0)
    assert len(txs) == REPRICE_SERIES
    result = apply_block(state, BlockEnv(1, T0 + 1), txs)
    assert all(r.ok for r in result.receipts)
    assert len(state.get(keys.underlying(1)).instruments) == REPRICE_SERIES
    # Warm-up update, then measured ones, the index moving each time (every mark changes).
    updates = [decode_tx(_oracle(n, 1, 3000 + 7 * n, EXPIRIES[:2], T0 + 2 + 60 * n), DOMAIN)
               for n in range(REPRICE_RUNS + 1)]
    totals = []
    gc.collect()
    for n, tx in enumerate(updates):
        env = BlockEnv(2 + n, T0 + 2 + 60 * n)
        start = time.perf_counter()
        result = apply_block(state, env, [tx])
        total = time.perf_counter() - start
        assert result.receipts[0].ok, result.receipts[0]
        if n:
            totals.append(total * 1000)
    emit("margin", "oracle.reprice_ms", statistics.median(totals), "ms",
         series=REPRICE_SERIES, target_ms=500)


def run() -> None:
    _check_bench()
    _reprice_bench()


if __name__ == "__main__":
    run()
