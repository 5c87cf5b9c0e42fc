"""The devnet's JSON-RPC endpoint: an aiohttp server over a ``DevnetChain``, plus its miner.

``Devnet(chain, block_time_s)``: with ``block_time_s > 0`` a block is mined every
``block_time_s`` seconds, empty or not (the chain's clock keeps moving, like Anvil's
``--block-time``); with ``0`` (automine) a block is mined as soon as transactions arrive,
every transaction sent in the same event-loop turn going into one block. Mining is
controlled at run time as on Hardhat: ``evm_setAutomine(false)`` stops automining (with
``evm_setIntervalMining(0)`` nothing is mined until ``evm_mine``: an L1 that stops mining),
``evm_setIntervalMining(ms)`` mines every ``ms`` milliseconds (``0``: off).

All chain access happens on the event loop's thread, so requests and mining never
interleave inside a block. HTTP: ``POST /`` with a JSON-RPC request or batch;
``GET /health`` answers ``ok``. Request bodies are capped at ``MAX_BODY_BYTES``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Final

from aiohttp import web

from devnet.chain import DevnetChain
from devnet.jsonrpc import Handler, RpcError, _error

log = logging.getLogger(__name__)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8545
MAX_BODY_BYTES: Final = 8 * 1024 * 1024


class Devnet:
    """A running chain with its miner and HTTP server (``start`` / ``stop``)."""

    def __init__(self, chain: DevnetChain, *, block_time_s: float = 1.0) -> None:
        self.chain = chain
        self.block_time_s = block_time_s
        self.automine = block_time_s == 0
        self._wake = asyncio.Event()
        self.handler = Handler(chain, on_transaction=self._wake.set)
        self.handler.methods["evm_setAutomine"] = self.set_automine
        self.handler.methods["evm_setIntervalMining"] = self.set_interval_mining
        self._miner: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/", self._post)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # port 0 = any free port
        self._miner = asyncio.get_running_loop().create_task(self._mine_loop(), name="devnet-miner")
        return self.port

    async def stop(self) -> None:
        if self._miner is not None:
            self._miner.cancel()
            try:
                await self._miner
            except asyncio.CancelledError:
                pass
        if self._runner is not None:
            await self._runner.cleanup()
        if self.chain.pending:
            self.chain.mine()  # nothing sent is lost on a clean stop
        self.chain.close()

    def set_automine(self, enabled: bool) -> bool:
        """``evm_setAutomine``: mine as soon as transactions arrive (or not)."""
        if not isinstance(enabled, bool):
            raise RpcError(-32602, f"invalid automine flag: {enabled!r}")
        self.automine = enabled
        self._wake.set()
        return True

    def set_interval_mining(self, interval_ms: int) -> bool:
        """``evm_setIntervalMining``: a block every ``interval_ms`` milliseconds (0: none)."""
        if not isinstance(interval_ms, int) or isinstance(interval_ms, bool) or interval_ms < 0:
            raise RpcError(-32602, f"invalid interval: {interval_ms!r}")
        self.block_time_s = interval_ms / 1000
        self._wake.set()
        return True

    async def _mine_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_block = loop.time() + self.block_time_s
        while True:
            timeout = max(0.0, next_block - loop.time()) if self.block_time_s > 0 else None
            try:  # a transaction or a settings change ends the wait early
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
            await asyncio.sleep(0)  # let the same turn's transactions in
            self._wake.clear()
            due = self.block_time_s > 0 and loop.time() >= next_block
            if due:
                next_block = loop.time() + self.block_time_s
            elif self.block_time_s > 0 and next_block - loop.time() > self.block_time_s:
                next_block = loop.time() + self.block_time_s  # the interval was shortened
            if due or (self.automine and self.chain.pending):
                try:
                    header, dropped = self.chain.mine()
                except Exception:  # never let the miner die silently
                    log.exception("devnet: mining failed")
                    continue
                for tx_hash, reason in dropped:
                    log.warning("devnet: dropped transaction 0x%s: %s", tx_hash.hex(), reason)
                log.debug("devnet: block %d (%d gas)", header.block_number, header.gas_used)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _post(self, request: web.Request) -> web.Response:
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response(_error(None, RpcError(-32700, "parse error")))
        return web.json_response(self.handler.handle_payload(payload))
