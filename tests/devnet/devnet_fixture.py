"""A devnet L1 (chain + JSON-RPC server) on 127.0.0.1, an OS-chosen port, in a background thread."""

from __future__ import annotations

import asyncio
import threading

from devnet.accounts import genesis_alloc
from devnet.chain import DevnetChain
from devnet.server import Devnet

GENESIS_TIME = 1_700_000_000  # in the past: blocks then follow the clock


class DevnetThread:
    """``DevnetThread(data_dir=None, block_time_s=0).start()``; ``url``; ``close()``."""

    def __init__(self, data_dir: str | None = None, *, block_time_s: float = 0.0) -> None:
        self.data_dir = data_dir
        self.block_time_s = block_time_s
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="devnet", daemon=True)
        self.devnet: Devnet | None = None

    def call(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> "DevnetThread":
        self.thread.start()

        async def start() -> None:
            chain = DevnetChain(self.data_dir, alloc=genesis_alloc(), genesis_time=GENESIS_TIME)
            self.devnet = Devnet(chain, block_time_s=self.block_time_s)
            await self.devnet.start("127.0.0.1", 0)

        self.call(start())
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.devnet.port}"

    def close(self) -> None:
        try:
            if self.devnet is not None:
                self.call(self.devnet.stop(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
