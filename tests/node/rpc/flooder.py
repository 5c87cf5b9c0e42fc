"""A flooding client, run as its own process: ``python -m tests.node.rpc.flooder TARGET``.

It signs ``--count`` orders (round robin over ``--accounts`` fresh keys, or the dev
``carol`` account with ``--accounts 0``), opens ``--connections`` connections to the node
through a ``SourceProxy`` from ``--source-ip`` (so the node sees one other address), prints
``READY`` and waits for a line on stdin. Then, until stdin closes, it sends them round
and round (replays after the first round: each still costs a node without limits its
signature recovery) at ``--stream-rate`` transactions per second on a quarter of the
connections (``SubmitStream``) and ``--rate`` on the others (``SubmitBatchStream``,
``--batch`` per message), and prints one JSON line: transactions sent, included in a
block (OK or a failure receipt), refused RESOURCE_EXHAUSTED, refused otherwise (a replay
at the door), and the seconds it flooded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import grpc

from node.rpc.generated.optrollup.v1 import trading_pb2, trading_pb2_grpc
from node.sequencer.dev import DEV_DOMAIN, dev_key
from node.stf.hashing import keccak256
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx
from tests.node.rpc.source_proxy import SourceProxy

E6 = 10**6
FIRST_NONCE = 1_000_000  # far above anything the tests' own orders use
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]


def orders(count: int, accounts: int) -> list[bytes]:
    """``count`` resting bids at one tick on the ETH series, over ``accounts`` keys."""
    keys = [keccak256(b"flooder %d" % i) for i in range(accounts)] or [dev_key("carol")]
    return [sign_tx(keys[i % len(keys)], PlaceOrder(FIRST_NONCE + i // len(keys), 1 + i % 20, 0, 100_000, 100_000,
                                                     0, False, 0, 0), DEV_DOMAIN)
            for i in range(count)]


class Tally:
    def __init__(self) -> None:
        self.sent = self.included = self.exhausted = self.other = 0

    def add(self, result) -> None:
        """One ``SubmitAck`` or ``TxResult``: included (with a receipt) or refused."""
        if result.accepted or result.HasField("receipt"):
            self.included += 1
        elif result.error.status_code == EXHAUSTED:
            self.exhausted += 1
        else:
            self.other += 1


async def paced(raws: list[bytes], rate: float, stop: asyncio.Event, per_message: int):
    """Slices of ``raws`` of ``per_message`` at ``rate`` transactions per second, round and
    round (after the first round, replays: signed bytes cost a flooder nothing)."""
    start = time.perf_counter()
    sent = 0
    while not stop.is_set():
        offset = sent % len(raws)
        chunk = raws[offset:offset + per_message]
        delay = start + sent / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent += len(chunk)
        yield chunk


async def batch_stream(stub, raws, rate, stop, batch, tally: Tally) -> None:
    sizes: dict[int, int] = {}

    async def requests():
        async for chunk in paced(raws, rate, stop, batch):
            tally.sent += len(chunk)
            sizes[len(sizes)] = len(chunk)
            yield trading_pb2.SubmitBatch(raw_txs=chunk, sequence=len(sizes) - 1)

    async for ack in stub.SubmitBatchStream(requests()):
        if not ack.results:  # refused whole: every transaction of it
            assert ack.error.status_code == EXHAUSTED
            tally.exhausted += sizes[ack.sequence]
        for result in ack.results:
            tally.add(result)


async def single_stream(stub, raws, rate, stop, tally: Tally) -> None:
    async def requests():
        async for chunk in paced(raws, rate, stop, 1):
            tally.sent += 1
            yield trading_pb2.SubmitRequest(raw_tx=chunk[0])

    async for ack in stub.SubmitStream(requests()):
        tally.add(ack)


async def flood(args: argparse.Namespace, raws: list[bytes], proxy: SourceProxy) -> dict:
    channels = [grpc.aio.insecure_channel(proxy.target, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(args.connections)]
    stop = asyncio.Event()
    tally = Tally()
    share = len(raws) // args.connections
    streams = args.connections // 4  # a quarter on SubmitStream, the rest on SubmitBatchStream
    tasks = []
    for i, channel in enumerate(channels):
        stub = trading_pb2_grpc.TradingStub(channel)
        mine = raws[i * share:(i + 1) * share]
        if i < streams:
            tasks.append(asyncio.create_task(single_stream(stub, mine, args.stream_rate / streams, stop, tally)))
        else:
            tasks.append(asyncio.create_task(batch_stream(stub, mine, args.rate / (args.connections - streams),
                                                          stop, args.batch, tally)))
    started = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # EOF: stop
    stop.set()
    elapsed = time.perf_counter() - started
    await asyncio.wait(tasks, timeout=10)
    for channel in channels:
        await channel.close()
    return dict(sent=tally.sent, included=tally.included, exhausted=tally.exhausted, other=tally.other,
                seconds=round(elapsed, 2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("--source-ip", default="127.0.0.2")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--rate", type=float, default=20_000.0, help="transactions/s on the batch streams")
    parser.add_argument("--stream-rate", type=float, default=2_000.0, help="transactions/s on the single streams")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--count", type=int, default=8_000)
    args = parser.parse_args()
    raws = orders(args.count, args.accounts)
    proxy = SourceProxy(args.target, args.source_ip).start()
    print("READY", flush=True)
    sys.stdin.readline()  # go
    report = asyncio.run(flood(args, raws, proxy))
    proxy.close()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
