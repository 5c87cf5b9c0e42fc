"""A dev node (sequencer + gRPC server) on 127.0.0.1, an OS-chosen port, in a background thread.

Tests talk to it with ordinary synchronous gRPC clients over a real socket. The block clock
is fixed at ``T0`` so the dev chain's expiries and marks are the same on every run.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import grpc

from node.rpc.generated.optrollup.v1 import query_pb2_grpc, trading_pb2_grpc
from node.rpc.server import serve
from node.sequencer.dev import DevChain, bootstrap, dev_chain
from node.sequencer.sequencer import Sequencer
from node.stf.tx_codec import encode_tx
from node.stf.txtypes import CancelAll, CancelOrder, PlaceOrder
from node.wallet import address_of, sign_tx

T0 = 1_796_112_000  # 2026-12-01 08:00 UTC (a Tuesday)
E6 = 10**6
START_TIMEOUT_S = 30.0


class DevNode:
    """Start with ``DevNode(**serve_kwargs).start()``; ``close()`` stops everything (bounded waits)."""

    def __init__(self, **serve_kwargs: Any) -> None:
        self.serve_kwargs = serve_kwargs
        self.chain: DevChain = dev_chain(T0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dev-node", daemon=True)
        self.sequencer: Sequencer | None = None
        self.server = None
        self.nonces: dict[bytes, int] = {}
        self.channels: list[grpc.Channel] = []

    def call(self, coro, timeout: float = START_TIMEOUT_S):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        self.sequencer = Sequencer.from_genesis(self.chain.genesis, clock=lambda: T0 + 60)
        await self.sequencer.start()
        await bootstrap(self.sequencer, self.chain)
        self.server = await serve(self.sequencer, "127.0.0.1:0", **self.serve_kwargs)

    def start(self) -> "DevNode":
        self.thread.start()
        self.call(self._start())
        return self

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def channel(self) -> grpc.Channel:
        # A local subchannel pool: each channel is its own connection (its own peer).
        channel = grpc.insecure_channel(self.target, options=[("grpc.use_local_subchannel_pool", 1)])
        self.channels.append(channel)
        return channel

    def stubs(self, channel: grpc.Channel | None = None):
        channel = channel or self.channel()
        return trading_pb2_grpc.TradingStub(channel), query_pb2_grpc.QueryStub(channel)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        try:
            if self.server is not None:
                self.call(self.server.stop(0.5), timeout=10)
            if self.sequencer is not None:
                self.call(self.sequencer.stop(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    # -- signing helpers ------------------------------------------------------------------

    def key(self, name: str) -> bytes:
        return self.chain.accounts[name]

    def next_nonce(self, key: bytes) -> int:
        address = address_of(key)
        nonce = self.nonces.get(address, 0)
        self.nonces[address] = nonce + 1
        return nonce

    def order(self, name: str, instrument_id: int, side: int, price_e6: int, size_e6: int, *,
              tif: int = 0, nonce: int | None = None) -> bytes:
        key = self.key(name)
        body = PlaceOrder(self.next_nonce(key) if nonce is None else nonce, instrument_id, side, price_e6,
                          size_e6, tif, False, 0, 0)
        return sign_tx(key, body, self.chain.genesis.domain)


    def cancel(self, name: str, order_id: int) -> bytes:
        """A signed ``CancelOrder`` of ``order_id`` by ``name``."""
        key = self.key(name)
        return sign_tx(key, CancelOrder(self.next_nonce(key), order_id, 0), self.chain.genesis.domain)

    def cancel_all(self, name: str, instrument_id: int = 0) -> bytes:
        """A signed ``CancelAll`` by ``name`` (``instrument_id`` 0 = everywhere), with the next nonce."""
        key = self.key(name)
        return sign_tx(key, CancelAll(self.next_nonce(key), instrument_id), self.chain.genesis.domain)

    def address(self, name: str) -> bytes:
        return address_of(self.key(name))


def unsigned_signature_bytes(body: PlaceOrder) -> bytes:
    """An envelope of ``body`` with a well-formed but wrong signature (recovers nobody useful)."""
    return encode_tx(body, (0, 1, 1))
