"""``optrollup fills`` and ``optrollup book --live``, run in-process against a dev node while
another thread trades (it starts once the node has registered the command's subscription)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from node.cli.main import main
from node.client import Client
from tests.node.rpc.node_fixture import E6, DevNode
from tests.node.test_client_streams import BLOCK_TIME, wait_for_subscribers, watchdog

NAME = "ETH-4DEC26-3000-C"  # id 5 on the fixture's chain
FILLS_INST, BOOK_INST, MAKER_INST = 5, 6, 7  # one per test: no leftovers from another test


@pytest.fixture
def run(node, capsys, monkeypatch):
    """``run(*argv, while_running=None)`` -> (exit code, stdout, stderr). ``while_running()`` runs in
    another thread once the command's stream is subscribed; its errors are raised here."""
    monkeypatch.setenv("OPTROLLUP_NODE", node.target)

    def invoke(*argv: str, while_running=None) -> tuple[int, str, str]:
        capsys.readouterr()
        with ThreadPoolExecutor(1) as pool, watchdog(node):
            side = None
            if while_running is not None:
                side = pool.submit(lambda: (wait_for_subscribers(node, 1), while_running()))
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
            if side is not None:
                side.result(timeout=30)
        out, err = capsys.readouterr()
        wait_for_subscribers(node, 0)
        return code, out, err

    return invoke


def trade(node: DevNode, instrument_id: int, size: str, price: str):
    """alice rests a 1.5 sell at ``price``, bob buys ``size`` of it: (alice's receipt, bob's)."""
    with Client(node.target, node.key("alice")) as alice, Client(node.target, node.key("bob")) as bob:
        return alice.sell(instrument_id, "1.5", price), bob.buy(instrument_id, size, price)


def test_fills_json_while_another_thread_trades(run, node):
    receipts = []
    code, out, err = run("fills", "--count", "2", "--json", "--dev-account", "bob",
                         while_running=lambda: receipts.extend(trade(node, FILLS_INST, "1", "90")))
    assert code == 0, err
    rest, take = receipts
    events = [json.loads(line) for line in out.splitlines()]
    assert events == [
        {"event": "fill", "instrument": NAME, "sequence": 1, "block_number": take.block_number,
         "timestamp": BLOCK_TIME, "tx_hash": "0x" + take.tx_hash.hex(), "order_id": take.order_id,
         "instrument_id": FILLS_INST, "side": 0, "price_e6": 90 * E6, "size_e6": E6, "fee_e6": 900_000,
         "liquidity": "taker", "counterparty": "0x" + node.address("alice").hex(), "maker_order_id": rest.order_id},
        {"event": "order", "instrument": NAME, "sequence": 2, "block_number": take.block_number,
         "timestamp": BLOCK_TIME, "tx_hash": "0x" + take.tx_hash.hex(), "order_id": take.order_id,
         "instrument_id": FILLS_INST, "side": 0, "price_e6": 90 * E6, "status": "filled", "filled_e6": E6,
         "remaining_e6": 0, "reason_code": 0, "reason_name": ""},
    ]


def test_fills_lines_for_the_maker(run, node):
    address = "0x" + node.address("alice").hex()
    with Client(node.target) as reader:
        name = reader.instrument(MAKER_INST).name
    code, out, err = run("fills", "--count", "3", "--address", address,
                         while_running=lambda: trade(node, MAKER_INST, "0.5", "91"))
    assert code == 0, err
    assert f"watching {address}" in err
    placed, fill, update = [line.split() for line in out.splitlines()]
    assert placed[:3] == ["2026-12-01", "08:01:00", "block"]
    assert placed[4:] == ["order", name, "sell", "@", "91", "resting", "filled", "0", "remaining", "1.5", "order",
                          placed[-1]]
    assert fill[4:14] == ["fill", name, "sell", "0.5", "@", "91", "fee", "0.15", "USDC", "maker"]
    assert update[4:12] == ["order", name, "sell", "@", "91", "partially_filled", "filled", "0.5"]
    assert update[12:14] == ["remaining", "1"]


def test_fills_ctrl_c_exits_0_without_a_traceback(run, monkeypatch):
    class Interrupted:
        closed = False

        def __iter__(self):
            raise KeyboardInterrupt

        def close(self):
            Interrupted.closed = True

    monkeypatch.setattr(Client, "watch_account", lambda self, address=None: Interrupted())
    code, out, err = run("fills", "--dev-account", "carol")
    assert code == 0 and out == "" and "Traceback" not in err and Interrupted.closed


def test_book_live_json_and_table(run, node):
    def place(price: str):
        def go():
            with Client(node.target, node.key("carol")) as carol:
                carol.buy(BOOK_INST, "2", price)
        return go

    code, out, err = run("book", "6", "--live", "--count", "2", "--json", "--depth", "5", while_running=place("12"))
    assert code == 0, err
    snapshot, delta = [json.loads(line) for line in out.splitlines()]
    assert (snapshot["snapshot"], snapshot["sequence"], snapshot["bids"], snapshot["asks"]) == (True, 1, [], [])
    assert (delta["snapshot"], delta["sequence"], delta["bids"]) == (False, 2, [
        {"price_e6": 12 * E6, "size_e6": 2 * E6, "order_count": 1}])
    code, out, _ = run("book", "6", "--json", "--depth", "5")
    book = json.loads(out)
    assert (book["bids"], book["asks"], book["block_number"]) == (delta["bids"], delta["asks"], delta["block_number"])

    code, out, err = run("book", "6", "--live", "--count", "2", while_running=place("11"))
    assert code == 0, err
    first, second = out.strip().split("\n\n")
    assert first.splitlines()[1:] == ["SIDE  PRICE  SIZE  ORDERS", "bid      12     2       1"]
    assert second.splitlines()[0].startswith("ETH-4DEC26-3000-P (id 6, block ")
    assert [line.split() for line in second.splitlines()[2:]] == [["bid", "12", "2", "1"], ["bid", "11", "2", "1"]]


def test_usage_and_failures(run):
    assert run("book", NAME, "--count", "2")[0] == 2  # --count goes with --live
    assert run("fills", "--count", "0", "--dev-account", "bob")[0] == 2
    code, out, err = run("fills")
    assert code == 2 and "which account?" in err
    code, out, err = run("fills", "--dev-account", "bob", "--node", "127.0.0.1:1")
    assert code == 1 and out == "" and "cannot reach the node at 127.0.0.1:1" in err
    code, out, err = run("book", "NOPE-1-C", "--live")
    assert code == 2 and "unknown instrument" in err
