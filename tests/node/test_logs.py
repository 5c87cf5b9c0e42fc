"""Structured logs: JSON lines with extra fields, blocks at DEBUG, slow blocks at WARNING, halts at ERROR."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from node.logs import BlockLogger, setup_logging
from node.sequencer.dev import bootstrap, dev_chain
from node.sequencer.sequencer import L2Block, MemoryBlockSink, Sequencer, SequencerHalted
from node.stf.txtypes import PlaceOrder
from node.wallet import sign_tx

T0 = 1_796_112_000
CHAIN = dev_chain(T0)


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = setup_logging("json", "DEBUG", stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_extra_fields(captured):
    logging.getLogger("node.test").info("hello %s", "world", extra={"block": 7, "root": b"\x01\x02"})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("node.test").exception("failed")
    first, second = records(captured)
    assert first["msg"] == "hello world" and first["level"] == "INFO" and first["logger"] == "node.test"
    assert first["block"] == 7 and first["root"] == "0x0102" and first["ts"].endswith("Z")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


def test_text_format_and_bad_format():
    stream = io.StringIO()
    handler = setup_logging("text", "INFO", stream)
    try:
        logging.getLogger("node.test").info("started", extra={"chain_id": 901})
        logging.getLogger("node.test").debug("hidden")
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert "INFO" in line and "node.test: started chain_id=901" in line and "hidden" not in line
    with pytest.raises(ValueError):
        setup_logging("xml")


def test_blocks_slow_blocks_and_halts(captured):
    class Broken(MemoryBlockSink):
        def put_block(self, block: L2Block) -> None:
            if block.number >= 2:
                raise OSError("disk full")
            super().put_block(block)

    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, sink=Broken(), clock=lambda: T0 + 10, block_time_ms=1)
        BlockLogger(sequencer, slow_block_s=0.0)  # every block is "slow"
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        raw = sign_tx(CHAIN.accounts["alice"], PlaceOrder(0, 5, 0, 10**6, 10**6, 0, False, 0, 0), CHAIN.genesis.domain)
        with pytest.raises(SequencerHalted):
            await sequencer.submit(raw)
        await sequencer.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    logged = records(captured)
    slow = [r for r in logged if r["msg"] == "slow block"]
    assert slow and slow[0]["level"] == "WARNING" and slow[0]["block"] == 1 and slow[0]["txs"] == len(CHAIN.setup_txs)
    halted = [r for r in logged if r["msg"].startswith("sequencer halted")]
    assert halted[0]["level"] == "ERROR" and halted[0]["failure"] == "OSError" and "disk full" in halted[0]["exc"]


def test_blocks_at_debug(captured):
    async def scenario():
        sequencer = Sequencer.from_genesis(CHAIN.genesis, clock=lambda: T0 + 10, block_time_ms=1)
        BlockLogger(sequencer)
        await sequencer.start()
        await bootstrap(sequencer, CHAIN)
        await sequencer.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    logged = records(captured)
    block = [r for r in logged if r["msg"] == "block"]
    assert block[0]["level"] == "DEBUG" and block[0]["block"] == 1 and block[0]["failed"] == 0
    assert block[0]["root"].startswith("0x") and block[0]["ms"] >= 0
    assert any(r["msg"] == "sequencer stopped" and r["level"] == "INFO" for r in logged)
