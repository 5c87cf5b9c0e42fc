"""gRPC benchmark: signed orders through the whole node over loopback.

The node (dev chain, in-memory state) runs in a subprocess (``python -m bench.bench_grpc
--serve``) so client and server do not share a GIL; the clients are ``grpc.aio`` streams in
this process (one channel each) sending pre-signed orders. Every order goes through the
door (decode, signature recovery, nonce pre-check), a block (the STF, the state root), and
is acknowledged after its block is committed.

Figures:

- ``grpc.orders_per_s`` (the headline): ``CLIENTS`` concurrent clients on
  ``Trading.SubmitBatchStream``, ``BATCH_SIZE`` orders per stream message, each sending
  as fast as flow control allows; orders acknowledged per second of wall time (first send
  to last ack). Half the streams post resting bids/asks, half cross them with IOC orders,
  over 20 ETH series, so blocks carry fills as well as resting orders.
- ``grpc.single_orders_per_s``: the same with one order per message (``SubmitStream``).
- ``grpc.ack_ms_p50`` / ``grpc.ack_ms_p99``: one stream paced at ``PACED_RATE`` orders/s;
  time from handing the request to gRPC to receiving its ack (the soft confirmation).

The node runs with ``RECOVERY_WORKERS`` signature-recovery processes (the node's default;
``BENCH_RECOVERY_WORKERS=N`` overrides it, 0 = in process): each figure says which, and
the throughput figures carry ``node_main_cpu_us_per_order``, the CPU the node's main
process (event loop) spent per order, which is what recovery workers take off it.

On this machine the client and the server share 2 cores with other work: read the
figures as a floor.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from typing import Final

from bench.common import emit

CLIENTS: Final = 4
ORDERS_PER_CLIENT: Final = 3_000
PACED_RATE: Final = 1_000
BATCH_SIZE: Final = 50
BATCH_FIRST_NONCE: Final = 20_000_000
PACED_SECONDS: Final = 3
T0: Final = 1_796_112_000
E6: Final = 10**6
INSTRUMENTS: Final = tuple(range(1, 21))  # the 20 ETH series of the first two expiries
START_TIMEOUT_S: Final = 60


def _serve() -> None:
    """Subprocess entry: a dev node with no rate limits (per address or per account); prints ``PORT <n>``
    then runs until stdin closes."""
    from node.rpc.server import serve
    from node.sequencer.dev import bootstrap, dev_chain
    from node.sequencer.sequencer import Sequencer

    async def main() -> None:
        chain = dev_chain(T0)
        sequencer = Sequencer.from_genesis(chain.genesis, clock=lambda: T0 + 60, recovery_workers=_workers())
        await sequencer.start()
        await bootstrap(sequencer, chain)
        server = await serve(sequencer, "127.0.0.1:0", rate_per_s=1e9, burst=1e9, sender_limits=None)
        print(f"PORT {server.port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # parent closed stdin
        await server.stop(1.0)
        await sequencer.stop(drain=False)

    asyncio.run(main())


def _workers() -> int:
    from node.sequencer.sequencer import DEFAULT_RECOVERY_WORKERS

    return int(os.environ.get("BENCH_RECOVERY_WORKERS", DEFAULT_RECOVERY_WORKERS))


def _orders(name: str, first_nonce: int, count: int, role: int) -> list[bytes]:
    """``role`` 0: resting bids; 1: resting asks; 2: IOC sells crossing bids; 3: IOC buys crossing asks."""
    from node.sequencer.dev import DEV_DOMAIN, dev_key
    from node.stf.txtypes import PlaceOrder
    from node.wallet import sign_tx

    key = dev_key(name)
    out = []
    for i in range(count):
        instrument = INSTRUMENTS[i % len(INSTRUMENTS)]
        side = role & 1 if role < 2 else (1 if role == 2 else 0)
        price = (50 + (i % 7)) * E6 if side == 0 else (50 + (i % 7)) * E6
        tif = 0 if role < 2 else 1
        body = PlaceOrder(first_nonce + i, instrument, side, price, 100_000, tif, False, 0, 0)
        out.append(sign_tx(key, body, DEV_DOMAIN))
    return out


async def _stream(stub, raws: list[bytes], pace_per_s: float = 0.0) -> tuple[int, int, list[float]]:
    """Send ``raws`` on one stream; returns (acks, accepted, latencies in ms)."""
    from node.rpc.generated.optrollup.v1 import trading_pb2

    sent_at: dict[int, float] = {}

    async def requests():
        start = time.perf_counter()
        for i, raw in enumerate(raws):
            if pace_per_s:
                delay = start + i / pace_per_s - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent_at[i] = time.perf_counter()
            yield trading_pb2.SubmitRequest(raw_tx=raw, sequence=i)

    acks = accepted = 0
    latencies = []
    async for ack in stub.SubmitStream(requests(), timeout=120):
        latencies.append((time.perf_counter() - sent_at[ack.sequence]) * 1000)
        acks += 1
        accepted += ack.accepted
    return acks, accepted, latencies


async def _batch_stream(stub, raws: list[bytes]) -> tuple[int, int]:
    """Send ``raws`` in messages of ``BATCH_SIZE`` on one batch stream; returns (results, accepted)."""
    from node.rpc.generated.optrollup.v1 import trading_pb2

    async def requests():
        for i in range(0, len(raws), BATCH_SIZE):
            yield trading_pb2.SubmitBatch(raw_txs=raws[i:i + BATCH_SIZE], sequence=i)

    results = accepted = 0
    async for ack in stub.SubmitBatchStream(requests(), timeout=120):
        results += len(ack.results)
        accepted += sum(r.accepted for r in ack.results)
    return results, accepted


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used: the node's main process only,
    not its recovery workers (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


async def _measure(port: int, pid: int, batches: list[list[bytes]], paced: list[bytes],
                   batched: list[list[bytes]]) -> None:
    import grpc

    from node.rpc.generated.optrollup.v1 import trading_pb2_grpc

    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in batches]
    try:
        stubs = [trading_pb2_grpc.TradingStub(c) for c in channels]
        cpu = _cpu_s(pid)
        start = time.perf_counter()
        results = await asyncio.gather(*(_stream(s, b) for s, b in zip(stubs, batches)))
        elapsed = time.perf_counter() - start
        acks = sum(r[0] for r in results)
        accepted = sum(r[1] for r in results)
        workers = _workers()
        emit("grpc", "grpc.single_orders_per_s", acks / elapsed, "orders/s", clients=CLIENTS, orders=acks,
             accepted=accepted, recovery_workers=workers,
             node_main_cpu_us_per_order=round((_cpu_s(pid) - cpu) / max(acks, 1) * 1e6, 1))
        acks, accepted, latencies = await _stream(stubs[0], paced, pace_per_s=PACED_RATE)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        emit("grpc", "grpc.ack_ms_p50", statistics.median(latencies), "ms", rate=PACED_RATE, orders=acks,
             recovery_workers=workers)
        emit("grpc", "grpc.ack_ms_p99", p99, "ms", rate=PACED_RATE, orders=acks, target=20,
             recovery_workers=workers)
        cpu = _cpu_s(pid)
        start = time.perf_counter()
        results = await asyncio.gather(*(_batch_stream(s, b) for s, b in zip(stubs, batched)))
        elapsed = time.perf_counter() - start
        acks = sum(r[0] for r in results)
        accepted = sum(r[1] for r in results)
        emit("grpc", "grpc.orders_per_s", acks / elapsed, "orders/s", clients=CLIENTS, batch=BATCH_SIZE,
             path="SubmitBatchStream", orders=acks, accepted=accepted, target=5_000, recovery_workers=workers,
             node_main_cpu_us_per_order=round((_cpu_s(pid) - cpu) / max(acks, 1) * 1e6, 1))
    finally:
        for channel in channels:
            await channel.close()


def run() -> None:
    names = ("alice", "bob", "carol", "maker")
    batches = [_orders(names[i % 4], 0, ORDERS_PER_CLIENT, i % 4) for i in range(CLIENTS)]
    paced = _orders("alice", 10_000_000, PACED_RATE * PACED_SECONDS, 0)
    batched = [_orders(names[i % 4], BATCH_FIRST_NONCE, ORDERS_PER_CLIENT, i % 4) for i in range(CLIENTS)]
    env = dict(os.environ)
    server = subprocess.Popen([sys.executable, "-m", "bench.bench_grpc", "--serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        line = ""
        while not line.startswith("PORT ") and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                raise RuntimeError("bench_grpc: the server exited")
        port = int(line.split()[1])
        asyncio.run(_measure(port, server.pid, batches, paced, batched))
    finally:
        server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        if os.environ.get("BENCH_PROFILE"):  # developer aid: cProfile the node into this file
            import cProfile

            cProfile.run("_serve()", os.environ["BENCH_PROFILE"])
        else:
            _serve()
    else:
        run()
