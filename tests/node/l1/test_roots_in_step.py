"""Roots and batches stay in step whatever the inbox holds: a batch that derives nothing (it
holds no block item, or declares a block already reached) gets a root at the previous block,
the batcher's own batches keep their roots even when they land at another index than it
expected, and a follower agrees with every root."""

from __future__ import annotations

import asyncio

import pytest

from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.l1.batch_codec import encode_batch
from node.l1.batcher import Batcher, batch_block
from node.l1.reader import L1Reader
from node.l1.watcher import L1Watcher
from node.sequencer.dev import dev_key
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx
from tests.contracts.bridge_fixture import start_bridge
from tests.node.l1.test_l1_pipeline import E6, follow, l1_sequencer


def test_batches_that_derive_nothing_get_roots_and_a_follower_agrees_with_every_root():
    fresh = start_bridge()
    try:
        w3 = fresh.w3
        reader = L1Reader(w3, fresh.deployment)
        chain = fresh.chain
        inbox = fresh.c["inbox"]
        sequencer_key = Transactor(w3, devnet_key("sequencer"))  # one nonce sequence with the batcher's

        async def scenario():
            sequencer = await l1_sequencer(chain, L1Watcher(reader, confirmations=1))
            batcher = Batcher(sequencer, reader, sequencer_key, Transactor(w3, devnet_key("proposer")))
            batcher.catch_up()
            sequencer.add_observer(batcher)
            batcher.post_once()  # batch 0: the set-up blocks
            first_end = sequencer.head_number

            async def one_block(nonce: int) -> None:  # a failing order (bob has no funds) makes a block
                await sequencer.submit(sign_tx(dev_key("bob"), PlaceOrder(nonce, 5, 0, E6, E6, 0, False, 0, 0),
                                               chain.genesis.domain))

            # batch 1: bytes that do not decode, posted with the sequencer's key
            sequencer_key.transact(inbox, "append_batch", b"\x03not a batch", first_end)
            await one_block(0)
            batcher.seal()
            with pytest.raises(RuntimeError, match="landed at inbox index 2"):
                batcher.post_once()  # the batcher expected index 1
            batcher.catch_up()  # roots 1 (derives nothing) and 2 (its block)
            # batch 3: block 1 posted again, declaring block 1: derives nothing
            sequencer_key.transact(inbox, "append_batch", encode_batch([batch_block(sequencer.get_block(1))]), 1)
            batcher.catch_up()
            await one_block(1)
            batcher.seal()
            batcher.post_once()  # batch 4
            await sequencer.stop()
            return sequencer, batcher, first_end

        sequencer, batcher, first_end = asyncio.run(asyncio.wait_for(scenario(), 120))
        assert reader.batch_count() == reader.commitment_count() == 5
        ends = [fresh.c["commitments"].functions.commitments(i).call()[1] for i in range(5)]
        head = sequencer.head_number
        assert ends == [first_end, first_end, head - 1, head - 1, head]
        replica, follower = follow(fresh, reader, chain)
        assert replica.head_root == sequencer.head_root
        assert follower.batch_last_block == dict(enumerate(ends))
        assert follower.status.roots_checked == 5 and not follower.status.mismatches
    finally:
        fresh.devnet.close()
