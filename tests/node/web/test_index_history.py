"""``Query.GetIndexHistory`` / ``/api/index_history``: the index set by each oracle update, in
order, live and seeded from the store at start."""

from __future__ import annotations

import asyncio

from node.rpc.index_history import IndexHistory
from node.sequencer.dev_oracle import DevOracle
from tests.node.web.web_fixture import WebNode


def test_index_history_follows_the_oracle_updates_and_is_seeded_at_start():
    web = WebNode(quotes=False).start()
    try:
        status, points = web.get("/api/index_history?underlying=eth")
        assert status == 200
        block1 = web.node.sequencer.get_block(1)
        assert points == [{"time": block1.timestamp, "index": "3000", "index_raw": "3000000000"}]  # the bootstrap's
        oracle = DevOracle(web.node.sequencer)

        async def two_rounds():
            updates = []
            for _ in range(2):
                sent = oracle.step()
                await asyncio.gather(*(future for _, future in sent))
                updates += [u for u, _ in sent]
            return updates

        updates = web.node.call(two_rounds())
        eth = [u.index_price_e6 for u in updates if u.underlying_id == 1]
        btc = [u.index_price_e6 for u in updates if u.underlying_id == 2]
        assert len(eth) == len(btc) == 2
        status, points = web.get("/api/index_history?underlying=ETH")
        assert [int(p["index_raw"]) for p in points] == [3_000_000_000, *eth]
        status, points = web.get("/api/index_history?underlying=2")
        assert [int(p["index_raw"]) for p in points] == [100_000_000_000, *btc]
        status, underlyings = web.get("/api/underlyings")
        assert underlyings[0]["index_raw"] == points_eth_last(web)
        # a node started later (or restarted) rebuilds the same path from its blocks
        seeded = IndexHistory(web.node.sequencer)
        seeded._seed()  # noqa: SLF001 - what ``attach`` does, without observing
        live = web.node.server.index_history
        assert seeded.points(1) == live.points(1) and seeded.points(2) == live.points(2)
        status, body = web.get("/api/index_history?underlying=DOGE")
        assert (status, body["code"]) == (404, "unknown_underlying")
    finally:
        web.close()


def points_eth_last(web) -> str:
    return web.get("/api/index_history?underlying=ETH")[1][-1]["index_raw"]
