"""The gateway's connection to the node: asyncio stubs of its PUBLIC gRPC services.

``Upstream(target)`` opens one ``grpc.aio`` channel to the node's API (the gateway reads and
writes only through Query, Stream, Node and Trading, like any other client) and turns every
gRPC failure into an ``ApiError`` with the web API's status and code (``API.md``):
NOT_FOUND 404, INVALID_ARGUMENT 400, FAILED_PRECONDITION 422 ``refused`` (with the STF's
failure name, code and, when included, the transaction hash and block), RESOURCE_EXHAUSTED 429,
UNAVAILABLE / DEADLINE_EXCEEDED 503, anything else 502.

It also resolves instruments (id, name or ``-ATM-C`` / ``-ATM-P`` alias) from a cached
``ListInstruments`` answer, re-read on a miss (a series may have been listed since).
"""

from __future__ import annotations

from typing import Any, Final

import grpc

from node.rpc.generated.optrollup.v1 import (
    query_pb2,
    query_pb2_grpc,
    status_pb2,
    status_pb2_grpc,
    stream_pb2_grpc,
    trading_pb2_grpc,
    types_pb2,
)
from node.web.units import ApiError, hex0x

TIMEOUT_S: Final = 10.0
SUBMIT_TIMEOUT_S: Final = 30.0
_HTTP: Final = {
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.INVALID_ARGUMENT: (400, "bad_request"),
    grpc.StatusCode.FAILED_PRECONDITION: (422, "refused"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limited"),
    grpc.StatusCode.UNAVAILABLE: (503, "unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "unavailable"),
    grpc.StatusCode.CANCELLED: (503, "unavailable"),
}


def _metadata(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    try:
        return {key: value for key, value in (error.trailing_metadata() or ())}
    except Exception:  # noqa: BLE001 - metadata is best effort
        return {}


def api_error(error: grpc.aio.AioRpcError, *, code_404: str = "not_found") -> ApiError:
    """The web error for a failed gRPC call (see the module docstring)."""
    status, code = _HTTP.get(error.code(), (502, "node_error"))
    if status == 404:
        code = code_404
    meta = _metadata(error)
    extra: dict[str, Any] = {}
    if "failure-name" in meta:
        extra["failure_name"] = meta["failure-name"]
        try:
            extra["failure_code"] = int(meta["failure-code"])
        except (KeyError, ValueError):
            pass
    if "tx-hash-bin" in meta:
        extra["tx_hash"] = hex0x(meta["tx-hash-bin"])
    if "block-number" in meta:
        try:
            extra["block"] = int(meta["block-number"])
        except ValueError:
            pass
    if "receipt-bin" in meta:
        receipt = types_pb2.Receipt.FromString(meta["receipt-bin"])
        extra.setdefault("failure_name", receipt.failure_name)
        extra.setdefault("failure_code", receipt.code)
    message = error.details() or error.code().name
    name = extra.get("failure_name")
    if name and name not in message:
        message = f"{name}: {message}"
    if code == "refused":
        extra["status"] = "failed"
        extra["reason"] = message
    return ApiError(status, code, message, **extra)


class Upstream:
    """Stubs over one channel to the node; ``call(name, request)`` maps errors (module docstring)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.channel = grpc.aio.insecure_channel(target, options=[("grpc.max_receive_message_length", 16 << 20)])
        self.query = query_pb2_grpc.QueryStub(self.channel)
        self.stream = stream_pb2_grpc.StreamStub(self.channel)
        self.trading = trading_pb2_grpc.TradingStub(self.channel)
        self.node = status_pb2_grpc.NodeStub(self.channel)
        self._instruments: dict[int, query_pb2.Instrument] | None = None

    async def close(self) -> None:
        await self.channel.close()

    async def call(self, method, request, *, timeout: float = TIMEOUT_S, code_404: str = "not_found"):
        try:
            return await method(request, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            raise api_error(error, code_404=code_404) from None

    async def status(self) -> status_pb2.StatusResponse:
        return await self.call(self.node.GetStatus, status_pb2.StatusRequest())

    async def chain_info(self) -> query_pb2.ChainInfo:
        return await self.call(self.query.GetChainInfo, query_pb2.ChainInfoRequest())

    async def instruments(self) -> query_pb2.ListInstrumentsResponse:
        """Every series, fresh (marks, best prices); refreshes the resolution cache."""
        listed = await self.call(self.query.ListInstruments, query_pb2.ListInstrumentsRequest())
        self._instruments = {i.instrument_id: i for i in listed.instruments}
        return listed

    async def underlyings(self) -> query_pb2.ListUnderlyingsResponse:
        return await self.call(self.query.ListUnderlyings, query_pb2.ListUnderlyingsRequest())

    async def resolve(self, ref: Any) -> query_pb2.Instrument:
        """The series named by ``ref`` (id, name or alias; as cached: marks may be stale);
        404 ``unknown_instrument`` if there is none."""
        text = str(ref).strip().upper() if isinstance(ref, (str, int)) and not isinstance(ref, bool) else ""
        if not text:
            raise ApiError(400, "bad_request", f"instrument: an id or a series name, not {ref!r}")
        if text.endswith(("-ATM-C", "-ATM-P")):
            return await self._at_the_money(text)
        for fresh in (False, True):
            if fresh or self._instruments is None:
                await self.instruments()
            assert self._instruments is not None
            if text.isdigit():
                found = self._instruments.get(int(text))
            else:
                found = next((i for i in self._instruments.values() if i.name.upper() == text), None)
            if found is not None:
                return found
        raise ApiError(404, "unknown_instrument", f"unknown instrument {str(ref)!r}")

    async def _at_the_money(self, alias: str) -> query_pb2.Instrument:
        """``ETH-ATM-C``: the nearest unexpired expiry's call (put) at the strike where the call's
        and put's marks are closest (as ``node.client.Client.instrument``)."""
        underlying, _, kind = alias.rsplit("-", 2)
        now = (await self.chain_info()).block_time
        listed = [i for i in (await self.instruments()).instruments
                  if i.underlying.upper() == underlying and i.expiry > now]
        if not listed:
            raise ApiError(404, "unknown_instrument", f"{alias}: no unexpired {underlying} series")
        nearest = min(i.expiry for i in listed)
        by_strike: dict[int, dict[bool, query_pb2.Instrument]] = {}
        for i in listed:
            if i.expiry == nearest and i.mark_e6:
                by_strike.setdefault(i.strike_e6, {})[i.is_call] = i
        pairs = [pair for pair in by_strike.values() if len(pair) == 2]
        if not pairs:
            raise ApiError(404, "unknown_instrument", f"{alias}: no marked call and put at one strike yet")
        best = min(pairs, key=lambda pair: (abs(pair[True].mark_e6 - pair[False].mark_e6), pair[True].strike_e6))
        return best[kind == "C"]

    async def instrument(self, ref: Any) -> query_pb2.Instrument:
        """The series named by ``ref`` with its current mark and book top (a fresh read)."""
        found = await self.resolve(ref)
        listed = await self.call(self.query.ListInstruments,
                                 query_pb2.ListInstrumentsRequest(underlying_id=found.underlying_id))
        return next((i for i in listed.instruments if i.instrument_id == found.instrument_id), found)
