"""A dev node (``tests.node.rpc.node_fixture.DevNode``) with the web gateway in front of it.

The node's block clock is fixed (``T0``), one round of the dev market maker has quoted every
series, and the gateway (``node.web.app.start_web``) runs in the node's event loop on a free
port, dialing the node's gRPC port like any client. Tests speak plain HTTP (``get`` /
``post``) and WebSocket (``ws_session``) to it, as a browser would.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from node.rpc.status import NodeInfo
from node.sequencer.dev_market import DevMarketMaker
from node.web.app import start_web
from tests.node.rpc.node_fixture import DevNode


class WebNode:
    """``WebNode(follower=False).start()``; ``close()`` stops the gateway and the node."""

    def __init__(self, *, follower: bool = False, dev_keys: bool = True, quotes: bool = True) -> None:
        info = NodeInfo(dev=not follower, l1=(lambda: dict(role="follower", l1_url="http://l1")) if follower else None)
        self.node = DevNode(dev=not follower, info=info)
        self.follower, self.with_keys, self.quotes = follower, dev_keys, quotes
        self.web = None

    def start(self) -> "WebNode":
        self.node.start()
        self.node.call(self._start())
        return self

    async def _start(self) -> None:
        if self.quotes:  # one round of the dev market maker: two-sided quotes on every series
            maker = DevMarketMaker(self.node.sequencer)
            await asyncio.gather(*maker.step())
        if self.follower:
            self.node.sequencer.set_replica("127.0.0.1:50051")
        self.web = await start_web(self.node.target, "127.0.0.1:0",
                                   dev_keys=self.node.chain.accounts if self.with_keys else None)

    @property
    def url(self) -> str:
        return self.web.url

    def close(self) -> None:
        try:
            if self.web is not None:
                self.node.call(self.web.stop(), timeout=10)
        finally:
            self.node.close()

    # -- HTTP as a browser -------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        return self.request("POST", path, body, raw)

    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "api/ws"
