"""The oracle processes' small HTTP endpoints (the oracle's ``/status`` and ``/health``, the
simulated market's ``/prices``): GET only, every answer a JSON document with its status code,
no request logging."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

Route = Callable[[str], tuple[int, Any]]  # the request path (query string included) -> (status, JSON body)


def json_handler(route: Route) -> type[BaseHTTPRequestHandler]:
    """A request handler class answering each GET with ``route(path)`` as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the library's name
            code, body = route(self.path)
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
