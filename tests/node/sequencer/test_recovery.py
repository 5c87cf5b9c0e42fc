"""Signature recovery in worker processes: same door verdicts, arrival order kept, worker deaths survived."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
import rlp

from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.mempool import MempoolFull, Rejected, door_decode
from node.sequencer.recovery import CHUNK_TIMEOUT_S, RecoveryPool, decode_chunk
from node.sequencer.sequencer import Sequencer
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.recover import SECP256K1_N
from node.stf.tx_codec import decode_tx, encode_tx
from node.stf.txtypes import Deposit, PlaceOrder
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
DOMAIN = CHAIN.genesis.domain
E6 = 10**6


def order(name: str, nonce: int, price_e6: int = 40 * E6, side: int = 0, domain: Domain = DOMAIN) -> bytes:
    body = PlaceOrder(nonce, 5, side, price_e6, E6, 0, False, 0, 0)
    return sign_tx(CHAIN.accounts[name], body, domain)


def _with_signature(raw: bytes, y_parity: int, r: int, s: int) -> bytes:
    items = rlp.decode(raw[1:])
    items[-3:] = [y_parity, r, s]
    return raw[:1] + rlp.encode(items)


def _unrecoverable(raw: bytes) -> bytes:
    """``raw`` with an ``r`` that is no curve point's x: in range, but no key recovers."""
    for r in range(2, 200):
        bad = _with_signature(raw, 0, r, 1)
        try:
            decode_tx(bad, DOMAIN)
        except Exception as exc:
            if "no public key" in str(exc) or "unparsable" in str(exc):
                return bad
    raise AssertionError("no unrecoverable r below 200")


def door_inputs() -> list[bytes]:
    good = order("alice", 1)
    return [
        good,
        order("bob", 2, domain=Domain(DOMAIN.chain_id + 1, DOMAIN.verifying_contract)),  # recovers another sender
        b"",
        b"\x55abc",
        b"\x01" + bytes(3000),  # too large
        good[:-3],  # truncated RLP
        encode_tx(Deposit(0, address_of(CHAIN.accounts["alice"]), 5), None),  # deposits come from L1
        _with_signature(good, 0, 5, SECP256K1_N - 5),  # high s
        _with_signature(good, 2, 5, 5),  # y_parity out of range
        _unrecoverable(good),
        order("alice", 1),  # the same nonce again: refused by the pre-check (queued)
        order("carol", 3),
    ]


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _verdict(exc_or_result) -> tuple:
    if isinstance(exc_or_result, Rejected):
        e = exc_or_result
        return ("rejected", e.code, e.message, e.invalid, e.tx_hash)
    if isinstance(exc_or_result, BaseException):
        return ("error", type(exc_or_result).__name__, str(exc_or_result))
    number, receipt = exc_or_result
    return ("included", receipt.tx_hash, receipt.code)


async def _outcomes(workers: int, raws: list[bytes]) -> list[tuple]:
    # One block for all of them (a 2 s block time): the duplicate nonce then meets the same
    # state and queue whichever way it was recovered, however slow the workers are.
    sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, recovery_workers=workers,
                                       block_time_ms=2_000)
    await sequencer.start()
    try:
        await bootstrap(sequencer, CHAIN)
        futures = []
        for raw in raws:
            try:
                futures.append(sequencer.admit(raw))
            except Rejected as exc:  # in process: the door answers at once
                futures.append(exc)
        out = []
        for item in futures:
            if isinstance(item, BaseException):
                out.append(_verdict(item))
                continue
            try:
                out.append(_verdict(await item))
            except Exception as exc:
                out.append(_verdict(exc))
        return out
    finally:
        await sequencer.stop()


def test_door_verdicts_are_identical_in_workers_and_in_process():
    raws = door_inputs()
    in_process = run(_outcomes(0, raws))
    pooled = run(_outcomes(2, raws))
    assert pooled == in_process
    kinds = [v[0] for v in in_process]
    assert kinds.count("included") == 3 and kinds.count("rejected") == len(raws) - 3
    codes = {v[1] for v in in_process if v[0] == "rejected"}
    assert {FailureCode.BAD_SIGNATURE, FailureCode.TX_TOO_LARGE, FailureCode.DECODE_ERROR,
            FailureCode.UNKNOWN_TX_TYPE, FailureCode.UNAUTHORISED_SIGNER, FailureCode.NONCE_ALREADY_USED} <= codes


def test_decode_chunk_matches_the_door():
    raws = door_inputs()
    for raw, verdict in zip(raws, decode_chunk(DOMAIN, raws)):
        try:
            expected = door_decode(raw, DOMAIN)
        except Rejected as exc:
            expected = (int(exc.code), exc.message)
        assert verdict == expected


class _ManualPool:
    """A stand-in ``RecoveryPool`` whose verdicts the test releases in any order."""

    def __init__(self) -> None:
        self.pending: list[tuple[bytes, asyncio.Future]] = []

    def decode_soon(self, raw: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((raw, future))
        return future

    def close(self) -> None:
        pass


def test_arrival_order_is_kept_when_recoveries_finish_out_of_order():
    async def main():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, block_time_ms=1)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        sequencer.recovery = manual = _ManualPool()
        raws = [order(name, n, (30 + n) * E6) for n in range(4) for name in ("alice", "bob", "carol")]
        waiters = [sequencer.admit(raw) for raw in raws]
        for raw, future in reversed(manual.pending):  # the last to arrive is recovered first
            future.set_result(decode_tx(raw, DOMAIN))
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        results = await asyncio.gather(*waiters)
        sequencer.recovery = None
        await sequencer.stop()
        included = [receipt.tx_hash for number in sorted({n for n, _ in results})
                    for receipt in sequencer.get_block(number).receipts]
        return raws, results, included

    raws, results, included = run(main())
    assert included == [decode_tx(raw, DOMAIN).tx_hash for raw in raws]
    assert all(receipt.ok for _, receipt in results)


def test_fifo_through_a_real_pool_over_many_chunks():
    async def main():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, block_time_ms=1,
                                           recovery_workers=2)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        raws = [order(("alice", "bob", "carol", "maker")[n % 4], n, (20 + n % 50) * E6, side=n % 2)
                for n in range(600)]
        waiters = []
        for start in range(0, len(raws), 37):  # chunks of 37 across ticks
            waiters += [sequencer.admit(raw) for raw in raws[start:start + 37]]
            await asyncio.sleep(0)
        results = await asyncio.gather(*waiters)
        await sequencer.stop()
        numbers = [number for number, _ in results]
        included = [r.tx_hash for n in sorted(set(numbers)) for r in sequencer.get_block(n).receipts]
        return raws, numbers, included

    raws, numbers, included = run(main())
    assert included == [decode_tx(raw, DOMAIN).tx_hash for raw in raws]
    assert numbers == sorted(numbers)


async def one_worker_sequencer():
    """A running dev sequencer with one recovery worker, up (one order admitted): (sequencer, pool, result)."""
    sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, block_time_ms=1, recovery_workers=1)
    await sequencer.start()
    await bootstrap(sequencer, CHAIN)
    pool: RecoveryPool = sequencer.recovery
    first = await sequencer.admit(order("alice", 0))
    return sequencer, pool, first


def test_a_dead_worker_is_replaced_and_no_submission_is_lost():
    async def main():
        sequencer, pool, first = await one_worker_sequencer()
        for pid in pool.worker_pids():
            os.kill(pid, signal.SIGKILL)
        waiters = [sequencer.admit(order("bob", n, (30 + n) * E6)) for n in range(20)]
        results = await asyncio.gather(*waiters)
        after = await sequencer.admit(order("carol", 0))
        rebuilds = pool.rebuilds
        await sequencer.stop()
        return first, results, after, rebuilds

    first, results, after, rebuilds = run(main())
    assert first[1].ok and after[1].ok and all(r.ok for _, r in results)
    assert rebuilds >= 1


def test_a_hung_worker_delays_admissions_at_most_the_chunk_timeout():
    async def main():
        sequencer, pool, _ = await one_worker_sequencer()
        stopped = pool.worker_pids()
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)  # alive but never answers
        started = time.monotonic()
        results = await asyncio.gather(*(sequencer.admit(order("bob", n, (30 + n) * E6)) for n in range(20)))
        waited = time.monotonic() - started
        rebuilds = pool.rebuilds
        await sequencer.stop()
        for pid in stopped:  # (killed by the pool already; make sure)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return results, waited, rebuilds

    results, waited, rebuilds = run(main())
    assert all(r.ok for _, r in results)
    assert rebuilds >= 1 and waited < CHUNK_TIMEOUT_S + 3


def test_mempool_full_and_stop_reach_the_waiters():
    async def main():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 60, block_time_ms=1_000,
                                           max_block_txs=1_000, max_pending=2, recovery_workers=1)
        await sequencer.start()
        waiters = [sequencer.admit(order("alice", n)) for n in range(3)]
        outcomes = await asyncio.gather(*waiters[2:], return_exceptions=True)
        await sequencer.stop(drain=False)
        rest = await asyncio.gather(*waiters[:2], return_exceptions=True)
        return outcomes, rest

    outcomes, rest = run(main())
    assert isinstance(outcomes[0], MempoolFull)
    assert len(rest) == 2  # answered (halted, or in a last block), never left waiting


def test_pool_arguments():
    with pytest.raises(ValueError):
        RecoveryPool(DOMAIN, 0)
    with pytest.raises(ValueError):
        Sequencer.from_genesis(CHAIN.genesis, recovery_workers=-1)
