"""Liquidation throughput on a stressed population.

Set-up: 20 ETH put series, 1,000 option writers each short one series with a thin cushion
(80-95% of their cash used by initial margin), bought by a few large buyers; then the
index falls 30% with volatility up 50% between two oracle updates, leaving most writers
below maintenance. Timed: blocks of signed ``Liquidate`` transactions (senders recovered
beforehand, as the sequencer does), each taking over a writer's whole position; the state
root is computed per block. Figure: liquidation steps applied per second (median of blocks),
with how many steps closed out bad debt and how far the loss index cut the positive balances
once the insurance fund and the fee pool ran dry (``socialised_cut_ppm``).
"""

from __future__ import annotations

import gc
import random
import statistics
import time

from bench.bench_stf import DOMAIN
from bench.common import emit
from node.stf import keys, margin
from node.stf.backends import MemoryBackend
from node.stf.block import BlockEnv, apply_block
from node.stf.genesis import Genesis, initialise
from node.stf.haircut import LOSS_INDEX_ONE
from node.stf.state import State
from node.stf.tx_codec import decode_tx, encode_tx
from node.stf.txtypes import Deposit, ListInstrument, Liquidate, OracleUpdate, PlaceOrder, VolPoint
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000  # 2026-12-01 08:00 UTC
EXPIRY = 1_798_185_600  # 25DEC26
E6 = 10**6
N_WRITERS = 1_000
BLOCK = 200
PPM = 10**6


def _key(i: int) -> bytes:
    return (i + 1).to_bytes(32, "big")


def run() -> None:
    rng = random.Random(3)
    admin, oracle, keeper = _key(90_000), _key(90_001), _key(90_002)
    buyers = [_key(80_000 + i) for i in range(10)]
    state = State(MemoryBackend())
    initialise(state, Genesis(DOMAIN.chain_id, DOMAIN.verifying_contract, address_of(admin), (address_of(oracle),),
                              genesis_time=T0))
    number, now = 0, T0

    def block(txs: list) -> list:
        nonlocal number, now
        number += 1
        now += 30
        return list(apply_block(state, BlockEnv(number, now), txs).receipts)

    strikes = list(range(2100, 3100, 50))
    setup = [sign_tx(admin, ListInstrument(i, 1, EXPIRY, k * E6, False, 100_000, 100_000), DOMAIN)
             for i, k in enumerate(strikes)]
    surface = (VolPoint(EXPIRY, 600_000, 0, 0),)
    setup.append(sign_tx(oracle, OracleUpdate(0, 1, 1, now + 30, 3000 * E6, surface), DOMAIN))  # observed at block 1
    writers = [_key(i) for i in range(N_WRITERS)]
    everyone = writers + buyers + [keeper]
    for i, k in enumerate(everyone):
        funds = 100_000_000 if k in buyers or k == keeper else rng.choice((2_000, 5_000, 20_000))
        setup.append(encode_tx(Deposit(i, address_of(k), funds * E6), None))
    assert all(r.ok for r in block(setup))

    instruments = list(range(1, len(strikes) + 1))
    writes = []
    for k in writers:
        inst = rng.choice(instruments)
        mark = state.get(keys.mark(inst)).mark_e6
        per_contract = margin.summarise_positions(state, 0, ((inst, -E6),)).initial_e6
        cash = state.get(keys.account(address_of(k))).balance_e6
        lots = max(int(cash * rng.uniform(0.8, 0.95) / per_contract * 10), 1)
        price = max(mark // 100_000 * 100_000, 100_000)
        writes.append(sign_tx(k, PlaceOrder(0, inst, 1, price, lots * 100_000, 0, False, 0, 0), DOMAIN))
    block(writes)
    for sweep in range(2):  # each IOC sweeps at most MAX_MATCH_STEPS writers: buy twice round
        for b in buyers:
            block([sign_tx(b, PlaceOrder(n, inst, 0, 100_000 * E6, 10**6 * E6, 1, False, 0, 0), DOMAIN)
                   for n, inst in enumerate(instruments, start=len(instruments) * sweep + 1)])
    crash = OracleUpdate(1, 1, 2, now + 30, 2100 * E6, (VolPoint(EXPIRY, 900_000, 0, 0),))  # observed at its block
    block([sign_tx(oracle, crash, DOMAIN)])

    targets = []
    for k in writers:
        account = state.get(keys.account(address_of(k)))
        if account.positions and margin.summarise(state, account).below_maintenance():
            inst, size = account.positions[0]
            targets.append((address_of(k), inst, -size))
    liquidations = [
        decode_tx(sign_tx(keeper, Liquidate(i, who, inst, size), DOMAIN), DOMAIN)
        for i, (who, inst, size) in enumerate(targets)
    ]
    gc.collect()
    gc.freeze()
    rates, ok, bad_debt = [], 0, 0
    for start in range(0, len(liquidations), BLOCK):
        chunk = liquidations[start:start + BLOCK]
        t = time.perf_counter()
        receipts = block(chunk)
        rates.append(len(chunk) / (time.perf_counter() - t))
        ok += sum(r.ok for r in receipts)
        bad_debt += sum(r.ok and not r.detail.endswith(" bad debt 0") for r in receipts)
    gc.unfreeze()
    cut_ppm = PPM - state.get(keys.GLOBALS).loss_index * PPM // LOSS_INDEX_ONE
    emit("liquidation", "liquidation.per_s", statistics.median(rates), "liquidations/s",
         population=N_WRITERS, under_water=len(targets), succeeded=ok, with_bad_debt=bad_debt,
         socialised_cut_ppm=cut_ppm, block=BLOCK)


if __name__ == "__main__":
    run()
