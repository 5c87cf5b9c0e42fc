"""Signature benchmark: how many signed PlaceOrders one core decodes and authenticates.

Figures (median of several runs over the same batch of distinct signed orders):

- ``sig.recover_per_s``: sender recovery of a decoded order: its EIP-712 digest, secp256k1
  public-key recovery (libsecp256k1 via coincurve) and the address;
- ``sig.decode_and_recover_per_s``: the whole door check from bytes, ``tx_codec.decode_tx``
  (strict RLP decode, range checks, digest, recovery, tx hash);
- ``sig.decode_only_per_s``: ``tx_codec.decode_unsigned`` (no digest, no recovery);
- ``sig.digest_per_s``: ``eip712.signing_digest`` of a decoded body;
- ``sig.recover_only_per_s``: ``recover.recover_sender`` on a precomputed digest.
"""

from __future__ import annotations

from bench.bench_stf import DOMAIN
from bench.common import emit, median_rate
from node.stf.eip712 import keccak256, signing_digest
from node.stf.recover import recover_sender
from node.stf.tx_codec import decode_tx, decode_unsigned
from node.stf.txtypes import PlaceOrder
from node.wallet import address_of, sign_tx

BATCH = 2_000
SIGNERS = 50
REPEATS = 5


def _orders() -> tuple[list[bytes], list[bytes]]:
    keys = [keccak256(b"bench-sig-key-%d" % i) for i in range(SIGNERS)]
    raws, senders = [], []
    for i in range(BATCH):
        key = keys[i % SIGNERS]
        body = PlaceOrder(
            nonce=1_000_000 + i,
            instrument_id=1 + i % 37,
            side=i & 1,
            price_e6=1_250_000 + 5_000 * (i % 400),
            size_e6=100_000 * (1 + i % 50),
            time_in_force=i % 4,
            reduce_only=i % 7 == 0,
            client_order_id=(i * 2_654_435_761) % 2**64,
            expiry=1_767_225_600 + i,
        )
        raws.append(sign_tx(key, body, DOMAIN))
        senders.append(address_of(key))
    return raws, senders


def run() -> None:
    raws, senders = _orders()
    decoded = [decode_tx(raw, DOMAIN) for raw in raws]
    assert [tx.sender for tx in decoded] == senders, "bench_sig: wrong sender recovered"
    bodies = [tx.body for tx in decoded]
    recoveries = [
        (signing_digest(body, DOMAIN), *decode_unsigned(raw)[1])
        for body, raw in zip(bodies, raws)
    ]

    signatures = [decode_unsigned(raw)[1] for raw in raws]

    def sender_recovery() -> int:
        for body, (y_parity, r, s) in zip(bodies, signatures):
            recover_sender(signing_digest(body, DOMAIN), y_parity, r, s)
        return len(bodies)

    def full() -> int:
        for raw in raws:
            decode_tx(raw, DOMAIN)
        return len(raws)

    def decode_only() -> int:
        for raw in raws:
            decode_unsigned(raw)
        return len(raws)

    def digest_only() -> int:
        for body in bodies:
            signing_digest(body, DOMAIN)
        return len(bodies)

    def recover_only() -> int:
        for digest, y_parity, r, s in recoveries:
            recover_sender(digest, y_parity, r, s)
        return len(recoveries)

    emit("sig", "sig.recover_per_s", median_rate(sender_recovery, REPEATS), "tx/s", batch=BATCH)
    emit("sig", "sig.decode_and_recover_per_s", median_rate(full, REPEATS), "tx/s", batch=BATCH)
    emit("sig", "sig.decode_only_per_s", median_rate(decode_only, REPEATS), "tx/s", batch=BATCH)
    emit("sig", "sig.digest_per_s", median_rate(digest_only, REPEATS), "tx/s", batch=BATCH)
    emit("sig", "sig.recover_only_per_s", median_rate(recover_only, REPEATS), "tx/s", batch=BATCH)


if __name__ == "__main__":
    run()
