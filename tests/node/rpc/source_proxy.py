"""A TCP forwarder whose connections to the node come from another loopback address.

The node keys its rate limit by the client's IP address, and every test client runs on
127.0.0.1. ``SourceProxy(target, "127.0.0.2")`` listens on 127.0.0.1 (an OS-chosen port)
and opens, for each client connection, a connection to ``target`` bound to the source
address ``127.0.0.2`` (Linux routes all of 127.0.0.0/8 to the loopback), then copies bytes
both ways. So a client that dials ``proxy.target`` is, for the node, another machine.
"""

from __future__ import annotations

import asyncio
import threading

CHUNK_BYTES = 65_536


class SourceProxy:
    """Start with ``SourceProxy(target, source_ip).start()``; ``close()`` stops it."""

    def __init__(self, target: str, source_ip: str) -> None:
        host, _, port = target.rpartition(":")
        self.upstream = (host, int(port))
        self.source_ip = source_ip
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"proxy-{source_ip}", daemon=True)
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK_BYTES):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _connection(self, client_reader, client_writer) -> None:
        try:
            node_reader, node_writer = await asyncio.open_connection(*self.upstream, local_addr=(self.source_ip, 0))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, node_writer), self._pipe(node_reader, client_writer))

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def start(self) -> "SourceProxy":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        if self.server is not None:
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
