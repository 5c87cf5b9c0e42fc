"""``optrollup node --web ADDR`` / ``--no-web``: the web page and gateway beside the gRPC API.

On by default with ``--dev`` at ``127.0.0.1:8080`` (a taken default port only costs a warning,
as the metrics' default does); off by default otherwise (a follower or an operator's sequencer
serves it with ``--web ADDR``). ``--web off`` and ``--no-web`` turn it off; the config file's key
is ``web`` (``web = "0.0.0.0:8080"`` or ``web = "off"``). The gateway connects to the node's own
gRPC port like any other client.
"""

from __future__ import annotations

import argparse
import logging

from typing import TYPE_CHECKING

from node.rpc.server import check_free
from node.web.address import DEFAULT_WEB_ADDRESS, split_address

if TYPE_CHECKING:  # the gateway (aiohttp, the client) is loaded only by a node that serves it
    from node.web.app import WebServer

log = logging.getLogger(__name__)


def web_address_type(text: str) -> str:
    """An ``argparse`` type: ``HOST:PORT`` or ``off``."""
    if text.strip().lower() == "off":
        return "off"
    try:
        split_address(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def add_arguments(group: argparse._ArgumentGroup) -> None:
    # --no-web first: a config file's ``web`` key then resolves to --web (the last action of a dest)
    group.add_argument("--no-web", dest="web", action="store_const", const="off",
                       help="no web page and gateway (the same as --web off)")
    group.add_argument("--web", type=web_address_type, default=None, metavar="ADDR",
                       help=f"serve the web page and its JSON/WebSocket gateway on http://ADDR/ (default "
                            f"{DEFAULT_WEB_ADDRESS} with --dev, else off; 'off' to disable; port 0 = any free port)")


def chosen(args: argparse.Namespace) -> tuple[str | None, bool]:
    """``(address or None, explicit)``: where to serve, and whether the user asked for it."""
    web = getattr(args, "web", None)
    if web == "off":
        return None, True
    if web is not None:
        return web, True
    return (DEFAULT_WEB_ADDRESS, False) if getattr(args, "dev", False) else (None, False)


def check_web_free(args: argparse.Namespace) -> None:
    """Before the node's start-up work: ``OSError`` if an explicit ``--web`` port is taken; a
    taken default turns the page off with a warning."""
    address, explicit = chosen(args)
    if address is None:
        return
    try:
        check_free(address)
    except OSError as exc:
        if explicit:
            raise OSError(str(exc).replace("rpc:", "web:", 1)) from None
        log.warning("web page disabled: %s", exc)
        print(f"web: the default {address} is in use: no web page (pass --web ADDR)", flush=True)
        args.web = "off"


def grpc_target(listen: str, port: int) -> str:
    """The address the gateway dials for the node's gRPC API listening on ``listen``."""
    host = listen.rsplit(":", 1)[0].strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def start_for_node(args: argparse.Namespace, grpc_port: int,
                         dev_keys: dict[str, bytes] | None = None) -> "WebServer | None":
    """Start the gateway if chosen; prints ``web page on URL``. A failure to bind the default
    address only warns; an explicit one raises ``OSError``."""
    address, explicit = chosen(args)
    if address is None:
        return None
    from node.web.app import start_web

    try:
        server = await start_web(grpc_target(args.listen, grpc_port), address, dev_keys=dev_keys)
    except OSError as exc:
        if explicit:
            raise
        log.warning("web page disabled: %s", exc)
        print(f"web: {exc}: no web page", flush=True)
        return None
    print(f"web page on {server.url} (API: {server.url}api/info)", flush=True)
    return server
