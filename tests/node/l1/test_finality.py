"""Finality from L1: the L2 block of the highest root whose challenge window passed on the
L1 clock, told to the store, which then prunes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from node.l1.finality import L1Finality, follow_finality
from node.l1.reader import L1Reader
from node.store import BlockStore, LmdbBackend
from tests.contracts.bridge_fixture import SETTINGS, Bridge, start_bridge
from tests.node.store.test_retention import empty_block, node_hashes, retained_nodes


@pytest.fixture(scope="module")
def bridge():
    b = start_bridge()
    yield b
    b.devnet.close()


def propose(bridge: Bridge, last_l2_block: int, root: bytes) -> None:
    inbox, commitments = bridge.c["inbox"], bridge.c["commitments"]
    index = commitments.functions.commitment_count().call()
    if inbox.functions.batch_count().call() <= index:
        bridge.sender("sequencer").transact(inbox, "append_batch", b"\x01batch", last_l2_block)
    bridge.sender("proposer").transact(commitments, "propose", index, last_l2_block, root, value=SETTINGS.bond_wei)


def test_the_highest_final_root_on_the_l1_clock(bridge: Bridge, tmp_path: Path) -> None:
    finality = L1Finality(L1Reader(bridge.w3, bridge.deployment))
    assert finality.poll() is None  # no root yet
    propose(bridge, 4, b"\x01" * 32)
    window = SETTINGS.challenge_window_s
    bridge.advance(window // 2)
    propose(bridge, 9, b"\x02" * 32)
    propose(bridge, 9, b"\x03" * 32)  # a batch that derived no block: same L2 block
    assert finality.poll() is None  # root 0 is half-way through its window
    bridge.advance(window // 2 + 10)
    assert finality.poll() == 4 and finality.final_index == 0
    bridge.advance(window // 2)
    assert finality.poll() == 9 and finality.final_index == 2
    assert finality.poll() == 9  # nothing new

    store = BlockStore(tmp_path / "db")
    backend = LmdbBackend(store)
    for number in range(12):
        empty_block(backend, {bytes([0x40, number % 3]): bytes([number]) * 40})

    async def run_a_while():
        task = asyncio.get_running_loop().create_task(follow_finality(finality, store, interval_s=0.05))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if store.finalized_through_block() == 9:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run_a_while())
    assert store.finalized_through_block() == 9
    assert node_hashes(store) == retained_nodes(store, 9)
    store.close()
