"""Node metrics: counters and histograms follow the blocks, gauges read the node, HTTP serves them."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest

from node.metrics import MetricsServer, NodeMetrics, TxRate, parse_address
from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import L2Block, MemoryBlockSink, Sequencer, SequencerHalted
from node.stf.txtypes import PlaceOrder
from node.store import BlockStore, LmdbBackend
from node.store.sink import LmdbBlockSink
from node.wallet import sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)
E6 = 10**6


def order(name: str, nonce: int, price_e6: int, instrument_id: int = 5) -> bytes:
    body = PlaceOrder(nonce, instrument_id, 0, price_e6, E6, 0, False, 0, 0)
    return sign_tx(CHAIN.accounts[name], body, CHAIN.genesis.domain)


def run(coro, timeout: float = 30.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def sample(metrics: NodeMetrics, name: str, **labels) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_blocks_transactions_latency_and_gauges():
    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1)
        metrics = NodeMetrics(sequencer).attach()
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        ok = [sequencer.submit(order("alice", n, (10 + n) * E6)) for n in range(5)]
        bad = sequencer.submit(order("bob", 0, 10 * E6 + 1))  # off the tick: a failure receipt
        results = await asyncio.gather(*ok, bad)
        await sequencer.stop()
        return sequencer, metrics, results

    sequencer, metrics, results = run(scenario())
    assert results[-1][1].code.name == "PRICE_OFF_TICK"
    setup = len(CHAIN.setup_txs)
    assert sample(metrics, "optrollup_transactions_total", outcome="OK") == setup + 5
    assert sample(metrics, "optrollup_transactions_total", outcome="PRICE_OFF_TICK") == 1
    blocks = sample(metrics, "optrollup_blocks_total", outcome="committed")
    assert blocks == sequencer.head_number >= 2
    assert sample(metrics, "optrollup_head_block") == sequencer.head_number
    assert sample(metrics, "optrollup_mempool_depth") == 0
    assert sample(metrics, "optrollup_halted") == 0
    assert sample(metrics, "optrollup_block_seconds_count") == blocks
    assert sample(metrics, "optrollup_block_transactions_sum") == setup + 6
    assert sample(metrics, "optrollup_block_bytes_sum") > 0
    # client submissions only: the set-up transactions are system transactions
    assert sample(metrics, "optrollup_submit_ack_seconds_count") == 6
    assert 0 < sample(metrics, "optrollup_submit_ack_seconds_sum") < 10


def test_the_oracle_index_age_follows_the_clock():
    clock = {"now": T0 + 10}

    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: clock["now"], block_time_ms=1)
        metrics = NodeMetrics(sequencer).attach()
        before = sample(metrics, "optrollup_oracle_index_age_seconds")
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)  # the dev chain's first oracle updates, in a block at T0 + 10
        await sequencer.stop()
        return metrics, before

    metrics, before = run(scenario())
    assert before == -1  # no index yet
    assert sample(metrics, "optrollup_oracle_index_age_seconds") == 0
    clock["now"] = T0 + 75
    assert sample(metrics, "optrollup_oracle_index_age_seconds") == 65  # stale: above 60


def test_a_halt_is_counted_by_its_failure():
    class Broken(MemoryBlockSink):
        def put_block(self, block: L2Block) -> None:
            if block.number >= 2:
                raise OSError("disk full")
            super().put_block(block)

    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, sink=Broken(), clock=lambda: T0 + 10, block_time_ms=1)
        metrics = NodeMetrics(sequencer).attach()
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        with pytest.raises(SequencerHalted):
            await sequencer.submit(order("alice", 0, 10 * E6))
        await sequencer.stop()
        return metrics

    metrics = run(scenario())
    assert sample(metrics, "optrollup_blocks_total", outcome="OSError") == 1
    assert sample(metrics, "optrollup_halted") == 1


def test_store_size_and_http_endpoint_with_two_nodes(tmp_path):
    async def scenario():
        store = BlockStore(tmp_path / "db")
        backend = LmdbBackend(store)
        first = Sequencer.from_genesis(CHAIN.genesis, backend=backend, sink=LmdbBlockSink(backend),
                                       clock=lambda: T0 + 10, block_time_ms=1)
        second = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1)
        m1 = NodeMetrics(first, store=store).attach()
        m2 = NodeMetrics(second).attach()  # a registry per node: no duplicate-metric clash
        for sequencer in (first, second):
            await sequencer.start()
            await bootstrap(sequencer, CHAIN)
        await first.submit(order("alice", 0, 10 * E6))
        s1 = MetricsServer(m1.registry, "127.0.0.1:0")
        s2 = MetricsServer(m2.registry, "127.0.0.1:0")
        try:
            texts = []
            for server in (s1, s2):
                with urllib.request.urlopen(server.url, timeout=10) as response:
                    texts.append(response.read().decode())
        finally:
            s1.close()
            s2.close()
        for sequencer in (first, second):
            await sequencer.stop()
        size = sample(m1, "optrollup_store_size_bytes")
        store.close()
        return texts, size, first.head_number, second.head_number

    (text1, text2), size, head1, head2 = run(scenario())
    assert size > 0
    assert f"optrollup_head_block {float(head1)}" in text1 and f"optrollup_head_block {float(head2)}" in text2
    assert "optrollup_store_size_bytes" in text1 and "optrollup_store_size_bytes" not in text2
    assert 'optrollup_transactions_total{outcome="OK"}' in text1


def test_tx_rate_over_the_last_minute():
    now = [1000.0]
    rate = TxRate(window_s=60, clock=lambda: now[0])
    block = L2Block(1, 0, b"", b"", (b"x",) * 30, ())
    now[0] = 1010.0
    rate.on_block(block, ())
    assert rate.rate() == pytest.approx(3.0)  # 30 txs over the 10 s since start
    now[0] = 1060.0
    rate.on_block(block, ())
    assert rate.rate() == pytest.approx(1.0)  # 60 txs over a full minute
    now[0] = 1080.0
    assert rate.rate() == pytest.approx(0.5)  # the first block left the window


@pytest.mark.parametrize("bad", ["9100", "host:", ":9100", "h:99999", "h:x"])
def test_bad_addresses_are_refused(bad):
    with pytest.raises(ValueError):
        parse_address(bad)
    assert parse_address("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_address("[::1]:9100") == ("::1", 9100)
