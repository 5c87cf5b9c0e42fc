"""``optrollup node --web``: the flag, the config key, the process serving the page and the API,
a follower's gateway refusing writes, and a clean stop with browsers connected."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import urllib.request

import aiohttp
import pytest

from node.cli.config_file import apply
from node.cli.main import build_parser
from node.web import cli as web_cli
from tests.node.node_process import kill_if_running, start_node
from tests.node.web.web_fixture import WebNode


def _args(*argv: str):
    return build_parser().parse_args(["node", *argv])


def test_the_web_flag_defaults_on_with_dev_only():
    assert web_cli.chosen(_args("--dev")) == ("127.0.0.1:8080", False)
    assert web_cli.chosen(_args("--dev", "--no-web")) == (None, True)
    assert web_cli.chosen(_args("--dev", "--web", "off")) == (None, True)
    assert web_cli.chosen(_args("--dev", "--web", "0.0.0.0:9000")) == ("0.0.0.0:9000", True)
    assert web_cli.chosen(_args("--follow", "--l1", "http://x")) == (None, False)
    assert web_cli.chosen(_args("--follow", "--l1", "http://x", "--web", "127.0.0.1:0")) == ("127.0.0.1:0", True)
    with pytest.raises(SystemExit):
        _args("--dev", "--web", "nowhere")
    assert web_cli.grpc_target("0.0.0.0:50051", 50051) == "127.0.0.1:50051"
    assert web_cli.grpc_target("[::1]:1", 7) == "[::1]:7"


def test_the_config_file_key_is_web(tmp_path):
    parser = build_parser()
    node_parser = next(a for a in parser._subparsers._group_actions)._name_parser_map["node"]  # noqa: SLF001
    path = tmp_path / "node.toml"
    path.write_text('web = "127.0.0.1:18080"\n')
    args = apply(node_parser, parser.parse_args(["node", "--dev"]), path)
    assert web_cli.chosen(args) == ("127.0.0.1:18080", True)
    path.write_text('web = "off"\n')
    assert web_cli.chosen(apply(node_parser, parser.parse_args(["node", "--dev"]), path)) == (None, True)


def test_an_explicit_web_port_in_use_stops_the_node_with_a_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc, lines = start_node("--metrics", "off", "--web", f"127.0.0.1:{port}")
        try:
            assert proc.wait(30) == 1
            assert any(f"web: cannot listen on 127.0.0.1:{port}: the address is in use" in line for line in lines)
        finally:
            kill_if_running(proc)


def test_the_node_process_serves_the_page_and_the_api():
    proc, lines = start_node("--metrics", "off", "--no-market-maker", "--web", "127.0.0.1:0")
    try:
        url = next(line.split()[3] for line in lines if line.startswith("web page on "))
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
        with urllib.request.urlopen(url + "api/info", timeout=10) as response:
            info = json.loads(response.read())
        assert info["dev"] is True and info["mode"] == "sequencer" and info["chain_id"] == 901
        with urllib.request.urlopen(url + "api/dev/keys", timeout=10) as response:
            assert {k["label"] for k in json.loads(response.read())} == {"alice", "bob", "carol", "maker"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        kill_if_running(proc)


def test_a_followers_gateway_is_read_only_and_stops_cleanly():
    node = WebNode(follower=True, dev_keys=False, quotes=False).start()
    try:
        status, info = node.get("/api/info")
        assert status == 200 and info["mode"] == "follower" and info["read_only"] is True and info["l1"] is True
        status, chain = node.get("/api/chain?underlying=BTC")
        assert status == 200 and len(chain["expiries"]) == 3
        alice = "0x" + node.node.address("alice").hex()
        for path, body in (("/api/typed_data/order", {"address": alice, "instrument": "ETH-ATM-C", "side": "buy",
                                                       "price": "1", "size": "1"}),
                           ("/api/typed_data/cancel", {"address": alice, "order_id": 1}),
                           ("/api/submit", {"typed_data": {}, "signature": "0x"})):
            status, answer = node.post(path, body)
            assert (status, answer["code"]) == (403, "read_only") and "sequencer" in answer["error"]
        status, answer = node.get("/api/dev/keys")
        assert (status, answer["code"]) == (404, "not_found")
        status, rollup = node.get("/api/rollup")
        assert rollup["l1"]["role"] == "follower"  # (this stand-in follower reads no L1 contracts)

        async def connected_then_stopped():
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(node.ws_url()) as ws:
                    await ws.send_json({"op": "subscribe", "channel": "book", "key": "ETH-ATM-C"})
                    assert (await ws.receive_json(timeout=10))["op"] == "subscribed"
                    assert (await ws.receive_json(timeout=10))["snapshot"] is True
                    stop = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(node.web.stop(), node.node.loop))
                    message = await ws.receive(timeout=10)
                    while message.type == aiohttp.WSMsgType.TEXT:  # book messages already on their way
                        message = await ws.receive(timeout=10)
                    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
                    assert ws.close_code == 1001
                    await asyncio.wait_for(stop, 10)
            assert node.web.gateway.hub.closed and all(
                c.task is None or c.task.done() for c in node.web.gateway.hub.channels.values())

        asyncio.run(connected_then_stopped())
        node.web = None  # stopped above
    finally:
        node.close()
