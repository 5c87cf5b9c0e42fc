"""The sequencer's L1 view: a view older than the forced window minus a quarter pauses
block production (health NOT_SERVING, the reason in the status) until it is fresh again;
a censoring sequencer (``ignore_queues``) takes no L1 entry."""

from __future__ import annotations

from node.l1.watcher import L1Watcher, max_view_age_s
from node.rpc.generated.optrollup.v1 import status_pb2, status_pb2_grpc, trading_pb2
from node.rpc.server import SERVICE_NAMES
from node.sequencer.dev import dev_chain
from node.sequencer.sequencer import Sequencer
from tests.node.l1.scripted_l1 import BLOCK_TIME_S, ScriptedL1
from tests.node.rpc.node_fixture import E6, T0, DevNode
from tests.node.rpc.test_node_status import NOT_SERVING, SERVING, health_of, wait_for

TIMEOUT = 10.0


def test_max_view_age_leaves_a_quarter_of_the_window():
    assert max_view_age_s(120) == 90 and max_view_age_s(86_400) == 64_800


def test_a_view_never_read_is_stale():
    watcher = L1Watcher(ScriptedL1(), confirmations=2)
    assert watcher.stale(0) == "no L1 block read yet"
    watcher.poll()
    assert watcher.stale(watcher.view_time + max_view_age_s(120)) == ""
    assert "L1 view too old" in watcher.stale(watcher.view_time + max_view_age_s(120) + 1)


def test_a_stale_l1_view_pauses_the_sequencer_until_it_is_fresh_again():
    node = DevNode().start()
    try:
        sequencer = node.sequencer
        l1 = ScriptedL1(genesis_time=T0 - 20 * BLOCK_TIME_S)  # block 20 is at the node's time
        l1.height = 22
        now = [T0]
        sequencer.clock = lambda: now[0]
        watcher = L1Watcher(l1, confirmations=2)
        watcher.poll()
        node.call(_on_loop(sequencer.set_l1, watcher))
        channel = node.channel()
        trading, _ = node.stubs(channel)
        trading.SubmitTransaction(trading_pb2.SubmitRequest(raw_tx=node.order("alice", 5, 0, E6, E6)), timeout=TIMEOUT)

        now[0] = T0 + max_view_age_s(l1.window_s) + 1  # no new L1 block confirmed for that long
        names = ("",) + SERVICE_NAMES
        for name in names:
            assert wait_for(lambda: health_of(channel, name) == NOT_SERVING), name
        status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert status.halted and status.halt_reason.startswith("paused: L1 view too old")
        head = sequencer.head_number
        waiting = trading.SubmitTransaction.future(
            trading_pb2.SubmitRequest(raw_tx=node.order("alice", 5, 0, E6, E6)), timeout=TIMEOUT)
        assert not wait_for(waiting.done, timeout=1.0)  # accepted, but no block while paused
        assert sequencer.head_number == head

        l1.mine(10)  # L1 moves on: the view is fresh once the watcher has read it
        node.call(_on_loop(watcher.poll))
        for name in names:
            assert wait_for(lambda: health_of(channel, name) == SERVING), name
        reply = waiting.result(TIMEOUT)
        assert reply.block_number == head + 1
        status = status_pb2_grpc.NodeStub(channel).GetStatus(status_pb2.StatusRequest(), timeout=TIMEOUT)
        assert not status.halted and status.halt_reason == ""
    finally:
        node.close()


async def _on_loop(function, *args):
    return function(*args)


def test_a_censoring_sequencer_takes_no_l1_entry():
    l1 = ScriptedL1()
    chain = dev_chain(T0)
    watcher = L1Watcher(l1, confirmations=0, ignore_queues=True)
    l1.deposit(b"\x01" * 20, E6)
    l1.force(b"\x04forced")
    watcher.poll()
    deposits, forced, deposits_taken, forced_taken = watcher.queues()
    assert (len(deposits), len(forced), deposits_taken, forced_taken) == (1, 1, 0, 0)
    sequencer = Sequencer.from_genesis(chain.genesis, clock=lambda: l1.time_of(l1.height))
    sequencer.set_l1(watcher)
    assert sequencer.close_block() is None  # nothing to do: it takes neither queue

