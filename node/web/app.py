"""The web gateway's aiohttp application and server: ``await start_web(grpc_target, "127.0.0.1:8080")``.

Routes (``node/web/API.md``): ``/`` and the page's static assets from the package folder
``node/web/static/`` (no CDN, works offline), the JSON reads and writes under ``/api/`` and the
WebSocket ``/api/ws``. Every error is JSON ``{"error", "code"}`` with the contract's status
(an unknown ``/api/`` path 404, a wrong method 405, a write on a follower 403 ``read_only``);
an unexpected failure is logged and answered 500 without a traceback.

The gateway is a client of the node's public gRPC API at ``grpc_target`` (``upstream.Upstream``):
it runs in the node's event loop when started by ``optrollup node --web`` but shares no state
with the sequencer. ``dev_keys`` (label -> private key) are served by ``/api/dev/keys`` on dev
nodes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Final

from aiohttp import WSMsgType, web

from node.web import hub as hub_mod
from node.web import views, writes
from node.web.address import DEFAULT_WEB_ADDRESS, split_address
from node.web.units import ApiError, hex0x, uint
from node.web import units
from node.web.upstream import Upstream
from node.wallet import address_of

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES: Final = 64 * 1024
WS_MAX_MESSAGE: Final = 16 * 1024

Handler = Callable[[web.Request], Awaitable[Any]]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, separators=(",", ":")), status=status,
                        content_type="application/json", headers={"Cache-Control": "no-store"})


def error_response(error: ApiError) -> web.Response:
    return json_response(error.body(), error.status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as JSON ``{"error", "code"}`` (module docstring)."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "bad_request"}.get(exc.status, "bad_request")
        message = {404: f"no such endpoint: {request.path}",
                   405: f"{request.method} is not allowed on {request.path}"}.get(exc.status, exc.reason)
        return error_response(ApiError(exc.status, code, message))
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - never a traceback to the browser
        log.exception("web: %s %s failed", request.method, request.path)
        return error_response(ApiError(500, "internal", "internal error (see the node's log)"))


class Gateway:
    """The handlers over one ``Upstream`` and one ``Hub``."""

    def __init__(self, up: Upstream, *, dev_keys: dict[str, bytes] | None = None) -> None:
        self.up = up
        self.dev_keys = dict(dev_keys or {})
        self.hub = hub_mod.Hub(up)
        self.read_only: bool | None = None
        self.websockets: set[web.WebSocketResponse] = set()

    async def _json_body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_request", "the request body is not JSON") from None

    async def _writable(self) -> None:
        if self.read_only is None:
            self.read_only = (await views.info(self.up, dev_keys=False))["read_only"]
        if self.read_only:
            raise ApiError(403, "read_only", "this node is a read-only follower: send transactions to the sequencer")

    # -- reads ------------------------------------------------------------------------------------

    async def info(self, request: web.Request) -> web.Response:
        data = await views.info(self.up, dev_keys=bool(self.dev_keys))
        self.read_only = data["read_only"]
        return json_response(data)

    async def underlyings(self, request: web.Request) -> web.Response:
        return json_response(await views.underlyings(self.up))

    async def chain(self, request: web.Request) -> web.Response:
        return json_response(await views.chain(self.up, request.query.get("underlying")))

    async def index_history_(self, request: web.Request) -> web.Response:
        return json_response(await views.index_history(self.up, request.query.get("underlying")))

    async def instrument(self, request: web.Request) -> web.Response:
        return json_response(await views.instrument(self.up, request.match_info["ref"]))

    async def book(self, request: web.Request) -> web.Response:
        depth = uint(request.query.get("depth"), "depth", default=20, limit=501) or 20
        inst = await self.up.resolve(request.match_info["ref"])
        channel = self.hub.channels.get(("book", inst.name))
        return json_response(await views.book(self.up, inst.instrument_id, depth, channel.seq if channel else 0))

    async def trades(self, request: web.Request) -> web.Response:
        limit = uint(request.query.get("limit"), "limit", default=50, limit=1001) or 50
        return json_response(await views.trades(self.up, request.match_info["ref"], limit))

    async def account(self, request: web.Request) -> web.Response:
        return json_response(await views.account(self.up, units.address(request.match_info["address"])))

    async def rollup(self, request: web.Request) -> web.Response:
        return json_response(await views.rollup(self.up))

    async def dev_keys_(self, request: web.Request) -> web.Response:
        if not self.dev_keys:
            raise ApiError(404, "not_found", "dev keys are served by development nodes only")
        return json_response([{"label": label, "address": hex0x(address_of(key)), "private_key": hex0x(key)}
                              for label, key in self.dev_keys.items()])

    # -- writes ------------------------------------------------------------------------------------

    async def typed_order(self, request: web.Request) -> web.Response:
        await self._writable()
        return json_response(await writes.order_typed_data(self.up, await self._json_body(request)))

    async def typed_cancel(self, request: web.Request) -> web.Response:
        await self._writable()
        return json_response(await writes.cancel_typed_data(self.up, await self._json_body(request)))

    async def submit(self, request: web.Request) -> web.Response:
        await self._writable()
        return json_response(await writes.submit(self.up, await self._json_body(request)))

    # -- WebSocket ------------------------------------------------------------------------------------

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=30.0, max_msg_size=WS_MAX_MESSAGE)
        await socket.prepare(request)
        self.websockets.add(socket)
        self.hub.attach_socket()
        subscriber = hub_mod.Subscriber()
        subscriptions: dict[tuple[str, str], hub_mod.Channel] = {}
        sender = asyncio.get_running_loop().create_task(self._send(socket, subscriber))
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    if message.type == WSMsgType.ERROR:
                        break
                    continue
                reply = await self._ws_op(message.data, subscriber, subscriptions)
                if reply is not None:
                    subscriber.put(json.dumps(reply, separators=(",", ":")))
        finally:
            for channel in subscriptions.values():
                self.hub.unsubscribe(subscriber, channel)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            self.websockets.discard(socket)
            self.hub.detach_socket()
        return socket

    async def _send(self, socket: web.WebSocketResponse, subscriber: hub_mod.Subscriber) -> None:
        while True:
            text = await subscriber.queue.get()
            if text is None:  # too slow, or the gateway stops
                await socket.close(code=1008 if subscriber.overflowed else 1001,
                                   message=b"too slow: reconnect with after_seq" if subscriber.overflowed
                                   else b"gateway stopping")
                return
            await socket.send_str(text)

    async def _ws_op(self, text: str, subscriber: hub_mod.Subscriber,
                     subscriptions: dict[tuple[str, str], hub_mod.Channel]) -> dict[str, Any] | None:
        try:
            op = json.loads(text)
        except ValueError:
            return {"op": "error", "code": "bad_request", "error": "a frame is a JSON object"}
        if not isinstance(op, dict):
            return {"op": "error", "code": "bad_request", "error": "a frame is a JSON object"}
        kind, channel_name = op.get("op"), op.get("channel")
        if kind == "ping":
            return {"op": "pong"}
        if kind not in ("subscribe", "unsubscribe"):
            return {"op": "error", "code": "bad_request", "error": "op: subscribe, unsubscribe or ping"}
        try:
            key, ref = await self.hub.canonical(channel_name, op.get("key", ""))
            after = op.get("after_seq")
            after_seq = None if after is None else uint(after, "after_seq")
        except ApiError as error:
            return {"op": "error", "code": error.code, "error": error.message, "channel": channel_name,
                    "key": op.get("key")}
        if kind == "unsubscribe":
            channel = subscriptions.pop((channel_name, key), None)
            if channel is not None:
                self.hub.unsubscribe(subscriber, channel)
            return {"op": "unsubscribed", "channel": channel_name, "key": key}
        if (channel_name, key) in subscriptions:
            self.hub.unsubscribe(subscriber, subscriptions.pop((channel_name, key)))
        if len(subscriptions) >= hub_mod.MAX_SUBSCRIPTIONS:
            return {"op": "error", "code": "too_many_subscriptions", "channel": channel_name, "key": key,
                    "error": f"at most {hub_mod.MAX_SUBSCRIPTIONS} subscriptions per connection"}
        try:
            subscriber.put(json.dumps({"op": "subscribed", "channel": channel_name, "key": key,
                                       "seq": self._current_seq(channel_name, key)}))
            subscriptions[(channel_name, key)] = await self.hub.subscribe(subscriber, channel_name, key, ref, after_seq)
        except ApiError as error:
            return {"op": "error", "code": error.code, "error": error.message, "channel": channel_name, "key": key}
        return None

    def _current_seq(self, channel_name: str, key: str) -> int:
        channel = self.hub.channels.get((channel_name, key))
        if channel is not None:
            return channel.seq
        return self.hub.last_seqs.get((channel_name, key), 0)


async def _static(request: web.Request) -> web.StreamResponse:
    """A file of the page (``node/web/static/``; ``/`` is ``index.html``); 404 outside it."""
    relative = request.match_info.get("path", "") or "index.html"
    root = STATIC_DIR.resolve()
    target = (root / relative).resolve()
    if root not in target.parents or not target.is_file():
        if relative == "index.html":
            raise web.HTTPNotFound(text="the page's assets are not installed (node/web/static/index.html)")
        raise web.HTTPNotFound(text=f"no such file: /{relative}")
    cache = "no-cache" if target.name == "index.html" else "public, max-age=60"
    return web.FileResponse(target, headers={"Cache-Control": cache})


def make_app(gateway: Gateway) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY_BYTES)
    g = gateway
    app.add_routes([
        web.get("/api/info", g.info), web.get("/api/underlyings", g.underlyings), web.get("/api/chain", g.chain),
        web.get("/api/index_history", g.index_history_), web.get("/api/instrument/{ref}", g.instrument),
        web.get("/api/book/{ref}", g.book), web.get("/api/trades/{ref}", g.trades),
        web.get("/api/account/{address}", g.account), web.get("/api/rollup", g.rollup),
        web.get("/api/dev/keys", g.dev_keys_), web.get("/api/ws", g.ws),
        web.post("/api/typed_data/order", g.typed_order), web.post("/api/typed_data/cancel", g.typed_cancel),
        web.post("/api/submit", g.submit),
    ])
    app.router.add_route("*", "/api/{tail:.*}", _unknown_api)
    app.router.add_get("/{path:.*}", _static)
    return app


_POST_PATHS: Final = ("/api/typed_data/order", "/api/typed_data/cancel", "/api/submit")
_GET_PATHS: Final = ("/api/info", "/api/underlyings", "/api/chain", "/api/index_history", "/api/rollup",
                     "/api/dev/keys", "/api/ws")
_GET_PREFIXES: Final = ("/api/instrument/", "/api/book/", "/api/trades/", "/api/account/")


async def _unknown_api(request: web.Request) -> web.Response:
    """404 for a path the API does not have, 405 for a known path with the wrong method."""
    path = request.path.rstrip("/") or "/"
    if path in _POST_PATHS:
        raise ApiError(405, "method_not_allowed", f"{request.method} {path}: use POST with a JSON body")
    if path in _GET_PATHS or (path.startswith(_GET_PREFIXES) and path.count("/") == 3):
        raise ApiError(405, "method_not_allowed", f"{request.method} {path}: this endpoint is read-only (GET)")
    raise ApiError(404, "not_found", f"no such endpoint: {request.method} {request.path}")


class WebServer:
    """A running gateway: ``url``, ``port``; ``stop()`` closes the WebSockets, the hub and the channel."""

    def __init__(self, runner: web.AppRunner, gateway: Gateway, host: str, port: int) -> None:
        self.runner, self.gateway, self.host, self.port = runner, gateway, host, port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def stop(self) -> None:
        await self.gateway.hub.close()
        for socket in list(self.gateway.websockets):
            with contextlib.suppress(Exception):
                await socket.close(code=1001, message=b"gateway stopping")
        await self.runner.cleanup()
        await self.gateway.up.close()


async def start_web(grpc_target: str, address: str = DEFAULT_WEB_ADDRESS, *,
                    dev_keys: dict[str, bytes] | None = None) -> WebServer:
    """Serve the page and the gateway on ``address`` (port 0: any free one) over the node at
    ``grpc_target``. ``OSError`` with a clear message if the address cannot be bound."""
    host, port = split_address(address)
    up = Upstream(grpc_target)
    gateway = Gateway(up, dev_keys=dev_keys)
    runner = web.AppRunner(make_app(gateway), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await up.close()
        raise OSError(f"web: cannot listen on {address}: {exc.strerror or exc}") from None
    bound = site._server.sockets[0].getsockname()[1] if site._server and site._server.sockets else port
    gateway.hub.start()
    return WebServer(runner, gateway, host, bound)
