"""L1 data cost: batch bytes per order, and the gas to post them.

The flow is a market-making session on the dev chain's series: four accounts placing
post-only and GTC limit orders near a mark (prices on the tick, sizes in lots, client order
ids counting up) with one cancel per four orders, signed as real envelopes. Each is
encoded as batches of 1,000-transaction L2 blocks (``node.l1.batch_codec``: plain RLP block
items, which the L1 verifier can read; no compression). For comparison, what zlib (level 9),
brotli (quality 11) and zstd (level 19) would make of the same bytes.

Figures:
- ``l1.bytes_per_order``: the batch bytes per transaction as posted; target ≤ 100;
- ``l1.bytes_per_order_zlib`` / ``_brotli`` / ``_zstd``: the same bytes compressed (not used:
  an L1 contract cannot decompress them);
- ``l1.gas_per_order``: the L1 transaction gas of ``BatchInbox.append_batch`` per order, for
  a batch of 1,000 orders, measured on the devnet chain (py-evm, Prague: calldata at 16 gas
  per non-zero byte, with the EIP-7623 floor).
"""

from __future__ import annotations

import random
import zlib

import brotli
import zstandard

from bench.common import emit
from node.l1.batch_codec import BatchBlock, encode_batch
from node.sequencer.dev import DEV_DOMAIN, dev_key
from node.stf.txtypes import CancelOrder, PlaceOrder
from node.wallet import sign_tx

E6 = 10**6
ORDERS = 4_000
BLOCK_TXS = 1_000


def market_flow(count: int, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    keys = [dev_key(name) for name in ("alice", "bob", "carol", "maker")]
    nonces = [0] * len(keys)
    marks = {i: rng.randrange(20, 400) * 100_000 for i in range(1, 61)}
    out = []
    for n in range(count):
        who = rng.randrange(len(keys))
        nonce = nonces[who]
        nonces[who] += 1
        if n % 5 == 4:
            body = CancelOrder(nonce, 0, rng.randrange(1, nonce + 2))
        else:
            instrument = rng.randrange(1, 61)
            side = rng.randrange(2)
            price = max(100_000, marks[instrument] + (rng.randrange(1, 6) * (1 if side else -1)) * 100_000)
            size = rng.choice((1, 2, 5, 10, 20)) * 100_000
            body = PlaceOrder(nonce, instrument, side, price, size, rng.choice((0, 3)), False, nonce + 1, 0)
        out.append(sign_tx(keys[who], body, DEV_DOMAIN))
    return out


def blocks_of(txs: list[bytes]) -> list[BatchBlock]:
    return [BatchBlock(1_796_112_000 + i, 0, 0, tuple(txs[s:s + BLOCK_TXS]))
            for i, s in enumerate(range(0, len(txs), BLOCK_TXS))]


def gas_per_order(batch: bytes, last_l2_block: int, orders: int) -> float:
    from tests.contracts.bridge_fixture import start_bridge

    bridge = start_bridge()
    try:
        sent = bridge.sender("sequencer").transact(bridge.c["inbox"], "append_batch", batch, last_l2_block)
        return sent.gas_used / orders
    finally:
        bridge.devnet.close()


def run() -> None:
    txs = market_flow(ORDERS)
    blocks = blocks_of(txs)
    data = encode_batch(blocks)
    compressed = {
        "zlib": len(zlib.compress(data, 9)),
        "brotli": len(brotli.compress(data, quality=11)),
        "zstd": len(zstandard.ZstdCompressor(level=19).compress(data)),
    }
    for name, size in compressed.items():
        emit("l1", f"l1.bytes_per_order_{name}", size / len(txs), "bytes/order")
    emit("l1", "l1.bytes_per_order", len(data) / len(txs), "bytes/order", codec="rlp", target_max=100)
    one_block = encode_batch(blocks[:1])
    emit("l1", "l1.gas_per_order", gas_per_order(one_block, 1, BLOCK_TXS), "gas/order", batch_orders=BLOCK_TXS)


if __name__ == "__main__":
    run()
