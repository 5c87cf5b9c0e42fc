"""The devnet: follower replay rate from L1 data, and how long ``optrollup devnet`` takes to start.

``derive.txs_per_s``: an in-process devnet L1 (JSON-RPC over HTTP) with the contracts; a
sequencer on the dev chain, its accounts funded by L1 deposits, sequences ``ORDERS`` signed
orders and cancels (``bench_l1.market_flow``) in 1,000-transaction blocks; the batcher posts
them (plain RLP batches) with their roots. Then a fresh replica's ``Follower.step`` is timed: it
reads the queues and batches from L1 over JSON-RPC, decodes, derives and applies every
block and checks the roots. Figure: L2 transactions per second of that step (target
>= 5,000); ``derive.apply_txs_per_s`` alongside is the same replay without the L1 reads.

``devnet.start_s``: from launching ``optrollup devnet`` (fresh data directory: the L1
starts, the contracts are deployed, the sequencer bootstraps) to both endpoints answering
(the orchestrator's "is up" line, printed after an L1 JSON-RPC call and a gRPC health check
succeed); target <= 20 s. ``devnet.restart_s``: the same with the data directory kept.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from bench.bench_l1 import market_flow
from bench.common import emit

ORDERS = 6_000
E6 = 10**6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def derive_rate() -> None:
    from bridge.l1 import Transactor
    from devnet.accounts import devnet_key
    from node.derivation.follower import Follower
    from node.l1.batcher import Batcher
    from node.l1.reader import L1Reader
    from node.l1.watcher import L1Watcher
    from node.sequencer.sequencer import Sequencer
    from node.stf.txtypes import TxType
    from tests.contracts.bridge_fixture import start_bridge

    bridge = start_bridge()
    try:
        w3 = bridge.w3
        reader = L1Reader(w3, bridge.deployment)
        chain = bridge.chain
        token, portal = bridge.c["token"], bridge.c["portal"]
        for name in ("alice", "bob", "carol", "maker"):
            sender = bridge.sender(name)
            bridge.sender("deployer").transact(token, "mint", sender.address, 1_000_000 * E6)
            sender.transact(token, "approve", portal.address, 1_000_000 * E6)
            sender.transact(portal, "deposit", sender.address, 1_000_000 * E6)
        bridge.rpc("evm_mine")
        flow = market_flow(ORDERS)

        async def sequence() -> Sequencer:
            sequencer = Sequencer.from_genesis(chain.genesis, block_time_ms=50, max_block_txs=1_000)
            watcher = L1Watcher(reader, confirmations=0)
            watcher.poll()
            sequencer.set_l1(watcher)
            await sequencer.start()
            for raw in chain.setup_txs:
                if raw[0] != TxType.DEPOSIT:
                    await sequencer.submit_system(raw)
            batcher = Batcher(sequencer, reader, Transactor(w3, devnet_key("sequencer")),
                              Transactor(w3, devnet_key("proposer")))
            batcher.catch_up()
            sequencer.add_observer(batcher)
            futures = [sequencer.admit(raw) for raw in flow]
            await asyncio.gather(*futures, return_exceptions=True)
            batcher.seal()
            while batcher.post_once():
                pass
            await sequencer.stop()
            return sequencer

        sequencer = asyncio.run(sequence())
        bridge.rpc("evm_mine")
        total_txs = sum(len(sequencer.get_block(n).txs) for n in range(1, sequencer.head_number + 1))

        replica = Sequencer.from_genesis(chain.genesis)
        replica.set_replica()
        follower = Follower(reader, replica, confirmations=0)
        start = time.perf_counter()
        follower.step()
        elapsed = time.perf_counter() - start
        assert replica.head_root == sequencer.head_root and not follower.status.mismatches
        emit("devnet", "derive.txs_per_s", total_txs / elapsed, "tx/s", txs=total_txs,
             blocks=replica.head_number, batches=follower.status.batches, target_min=5_000)

        # the same replay without L1 reads: derivation + STF only
        from node.derivation.rules import derive_batch
        from node.l1.batch_codec import decode_batch

        batches = reader.batches(reader.first_block, w3.eth.block_number)
        deposits = reader.deposits(reader.first_block, w3.eth.block_number)
        again = Sequencer.from_genesis(chain.genesis)
        again.set_replica()
        start = time.perf_counter()
        for batch in batches:
            derivation = derive_batch(again.tip(), decode_batch(batch.data).blocks, batch.last_l2_block,
                                      batch.view(deposits, []))
            for block in derivation.blocks:
                again.import_block(block)
        elapsed = time.perf_counter() - start
        assert again.head_root == sequencer.head_root
        emit("devnet", "derive.apply_txs_per_s", total_txs / elapsed, "tx/s", txs=total_txs)
    finally:
        bridge.devnet.close()


def start_time(data_dir: str) -> float:
    ports = [_free_port() for _ in range(2)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "devnet", "--data-dir", data_dir, "--l1-listen",
         f"127.0.0.1:{ports[0]}", "--listen", f"127.0.0.1:{ports[1]}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    took = float("nan")
    try:
        for line in process.stdout:
            if "optrollup devnet is up" in line:
                took = time.perf_counter() - start
                break
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    return took


def run() -> None:
    derive_rate()
    with tempfile.TemporaryDirectory() as data_dir:
        emit("devnet", "devnet.start_s", start_time(data_dir), "s", target_max=20)
        emit("devnet", "devnet.restart_s", start_time(data_dir), "s")
