"""Crash safety end to end: SIGKILL the real ``optrollup node --dev --data-dir`` under load.

Two client threads stream signed orders (``SubmitStream``) while the node is killed at a
seeded random moment; the node is restarted on the same directory, a few rounds. Then:

- every transaction the node acknowledged with a block number has its receipt
  (``Query.GetReceipt``) in that same block: an ack is never sent for a block that was not
  committed, and a committed block survives the kill;
- the store replays from its stored genesis to the head's state root (``node.store.replay``).

``test_crash_rounds`` takes ~15 s; ``test_crash_soak`` (``slow``) does 12 rounds with signature
recovery in a worker process (whose worker must not outlive the killed node).
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import grpc
import pytest

from node.rpc.generated.optrollup.v1 import query_pb2, query_pb2_grpc, trading_pb2, trading_pb2_grpc
from node.sequencer.dev import DEV_DOMAIN, dev_key
from node.stf.txtypes import PlaceOrder
from node.store import BlockStore
from node.store.replay import replay
from node.wallet import sign_tx
from tests.node.node_process import start_node, target_of

ORDERS_PER_ROUND = 1_200  # per client thread: more than a round sends before the kill (~1 s)


def _start(data_dir: Path, *extra: str) -> tuple[subprocess.Popen, str, list[str]]:
    proc, lines = start_node("--data-dir", str(data_dir), *extra, drain=True)
    try:
        return proc, target_of(lines), lines
    except AssertionError:
        proc.kill()
        proc.wait(10)
        raise


def _orders(name: str, round_: int, instruments: list, count: int) -> list[bytes]:
    """``alice``: resting bids; ``bob``: IOC sells crossing them. Fresh nonces every round."""
    key = dev_key(name)
    side, tif = (0, 0) if name == "alice" else (1, 1)
    out = []
    for i in range(count):
        inst = instruments[i % len(instruments)]
        price = inst.tick_size_e6 * (1 + i % 5)
        body = PlaceOrder(round_ * 10_000 + i, inst.instrument_id, side, price, inst.min_size_e6, tif, False, 0, 0)
        out.append(sign_tx(key, body, DEV_DOMAIN))
    return out


def _client(target: str, raws: list[bytes], acked: dict[bytes, int], lock: threading.Lock) -> None:
    """Stream ``raws``; note every ack that carries a block number, until the stream breaks."""
    requests = (trading_pb2.SubmitRequest(raw_tx=raw, sequence=i) for i, raw in enumerate(raws))
    try:
        with grpc.insecure_channel(target) as channel:
            for ack in trading_pb2_grpc.TradingStub(channel).SubmitStream(requests, timeout=60):
                if ack.block_number:
                    with lock:
                        acked[ack.tx_hash] = ack.block_number
    except grpc.RpcError:
        pass  # the node was killed


def _check_receipts(target: str, acked: dict[bytes, int]) -> None:
    with grpc.insecure_channel(target) as channel:
        query = query_pb2_grpc.QueryStub(channel)
        for tx_hash, number in acked.items():
            receipt = query.GetReceipt(query_pb2.ReceiptRequest(tx_hash=tx_hash), timeout=10)
            assert receipt.block_number == number, (tx_hash.hex(), number, receipt.block_number)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _crash_rounds(data_dir: Path, rounds: int, seed: int, *extra: str) -> int:
    rng = random.Random(seed)
    acked: dict[bytes, int] = {}
    lock = threading.Lock()
    proc, target, _ = _start(data_dir, *extra)
    try:
        with grpc.insecure_channel(target) as channel:
            listed = query_pb2_grpc.QueryStub(channel).ListInstruments(query_pb2.ListInstrumentsRequest(), timeout=10)
        instruments = list(listed.instruments)[:10]
        for round_ in range(rounds):
            threads = [threading.Thread(target=_client, args=(
                target, _orders(name, round_, instruments, ORDERS_PER_ROUND), acked, lock)) for name in ("alice", "bob")]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.3, 1.2))
            _kill(proc)
            for thread in threads:
                thread.join(30)
            proc, target, lines = _start(data_dir, *extra)
            assert any(line.startswith("resumed from") for line in lines), lines
            _check_receipts(target, acked)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            _kill(proc)
    with BlockStore(data_dir) as store:
        head = store.head()
        result = replay(store)
    assert result.ok, result.mismatch
    assert result.blocks == head.number and result.root == head.state_root
    assert acked  # the load got through before the kills
    return len(acked)


def test_crash_rounds(tmp_path: Path) -> None:
    assert _crash_rounds(tmp_path / "chain", rounds=3, seed=4) > 100


@pytest.mark.slow
def test_crash_soak(tmp_path: Path) -> None:
    assert _crash_rounds(tmp_path / "chain", 12, 11, "--recovery-workers", "1") > 500  # the pool path too
