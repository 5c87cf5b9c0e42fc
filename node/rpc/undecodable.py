"""Request bytes that are not the method's message: INVALID_ARGUMENT, and a throttled log.

gRPC parses a request with the method's ``request_deserializer`` before any servicer code
runs; a parse error there becomes UNKNOWN with a traceback logged at ERROR for each
request, a log flood anyone can cause. ``CheckedRequests`` (a server interceptor, so it
covers every registered service: ours, health and reflection) swaps each deserializer
for one that never raises: bytes that do not parse become an ``Undecodable`` value, and
the call answers it with INVALID_ARGUMENT::

    /optrollup.v1.Query/GetAccount: the request bytes are not a valid
    optrollup.v1.AccountRequest message (<the parser's reason>)

A unary request is refused before the servicer runs. On a request stream the servicer's
request iterator raises at the bad message, so the servicer ends as on a broken request
stream (``Trading``'s streams first send the acks of the requests before it, and fire a
cancel-on-disconnect), then the call ends INVALID_ARGUMENT.

``ThrottledLog`` keeps such requests from flooding the log: the first one in a quiet
period is logged at WARNING at once (method, peer, reason); later ones are only counted,
and one WARNING line per ``LOG_INTERVAL_S`` gives their count, until an interval passes
with none. No traceback is ever logged for them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Any, Callable, Final

import grpc

log = logging.getLogger(__name__)

LOG_INTERVAL_S: Final = 10.0  # at most one summary line per interval, whatever the request rate


@dataclass(frozen=True, slots=True)
class Undecodable:
    """What the checked deserializer returns for bytes that do not parse."""

    message_type: str
    reason: str


class _BadRequest(Exception):
    """Raised by a checked request iterator at an undecodable message."""

    def __init__(self, request: Undecodable) -> None:
        super().__init__(request.reason)
        self.request = request


class ThrottledLog:
    """The first event of a quiet period logged at once, then one line per ``interval_s``
    with the count of the events since the last line (see module docstring). Runs on the
    event loop (its summary lines are scheduled with ``call_later``)."""

    def __init__(self, interval_s: float = LOG_INTERVAL_S, logger: logging.Logger = log) -> None:
        self.interval_s = interval_s
        self.logger = logger
        self.total = 0  # events ever noted
        self._counted = 0  # events since the last line
        self._timer: asyncio.TimerHandle | None = None

    def note(self, method: str, peer: str, reason: str) -> None:
        self.total += 1
        if self._timer is not None:
            self._counted += 1
            return
        self.logger.warning("rpc: undecodable request to %s from %s: %s (more are counted, one line per %gs)",
                            method, peer, reason, self.interval_s)
        self._timer = asyncio.get_running_loop().call_later(self.interval_s, self._summary)

    def _summary(self) -> None:
        if not self._counted:
            self._timer = None  # quiet: the next one is logged at once
            return
        self.logger.warning("rpc: %d more undecodable requests in the last %gs", self._counted, self.interval_s)
        self._counted = 0
        self._timer = asyncio.get_running_loop().call_later(self.interval_s, self._summary)

    def close(self) -> None:
        """Cancel the pending summary (the server is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _checked_deserializer(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    message_type = getattr(getattr(deserializer, "__self__", None), "DESCRIPTOR", None)
    name = message_type.full_name if message_type is not None else "request"

    def deserialize(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception as exc:  # the parser's error, whatever its type: the bytes are bad
            return Undecodable(name, str(exc) or type(exc).__name__)

    return deserialize


class CheckedRequests(grpc.aio.ServerInterceptor):
    """Every method's requests parsed without raising; undecodable ones get INVALID_ARGUMENT."""

    def __init__(self, log_: ThrottledLog | None = None) -> None:
        self.log = log_ or ThrottledLog()
        self._handlers: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        method = handler_call_details.method
        cached = self._handlers.get(method)
        if cached is None or cached[0] is not handler:
            cached = self._handlers[method] = (handler, self._checked(method, handler))
        return cached[1]

    async def _reject(self, method: str, request: Undecodable, context) -> None:
        self.log.note(method, context.peer(), request.reason)
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                            f"{method}: the request bytes are not a valid {request.message_type} message "
                            f"({request.reason})")

    def _checked(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """``handler`` with the checked deserializer and behaviour (an asyncio handler; a
        synchronous one, which no service here has, is left as it is)."""
        if handler.request_streaming:
            name = "stream_stream" if handler.response_streaming else "stream_unary"
            wrap = self._streaming_request
        else:
            name = "unary_stream" if handler.response_streaming else "unary_unary"
            wrap = self._unary_request
        behavior = getattr(handler, name)
        if not (inspect.iscoroutinefunction(behavior) or inspect.isasyncgenfunction(behavior)):
            return handler
        return handler._replace(request_deserializer=_checked_deserializer(handler.request_deserializer),
                                **{name: wrap(method, behavior)})

    def _unary_request(self, method: str, behavior: Callable) -> Callable:
        reject = self._reject
        if inspect.isasyncgenfunction(behavior):
            async def checked_stream(request, context):
                if type(request) is Undecodable:
                    await reject(method, request, context)
                async for response in behavior(request, context):
                    yield response
            return checked_stream

        async def checked(request, context):
            if type(request) is Undecodable:
                await reject(method, request, context)
            return await behavior(request, context)
        return checked

    def _streaming_request(self, method: str, behavior: Callable) -> Callable:
        reject = self._reject

        async def requests(request_iterator):
            async for request in request_iterator:
                if type(request) is Undecodable:
                    raise _BadRequest(request)  # through the servicer, which ends as on a broken stream
                yield request

        if inspect.isasyncgenfunction(behavior):
            async def checked_stream(request_iterator, context):
                try:
                    async for response in behavior(requests(request_iterator), context):
                        yield response
                except _BadRequest as bad:
                    await reject(method, bad.request, context)
            return checked_stream

        async def checked(request_iterator, context):
            try:
                return await behavior(requests(request_iterator), context)
            except _BadRequest as bad:
                await reject(method, bad.request, context)
        return checked
