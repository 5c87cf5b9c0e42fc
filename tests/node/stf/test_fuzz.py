"""Totality: any bytes in a block give a receipt, never an exception, and lose nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.stf.errors import FailureCode
from node.stf.txtypes import Liquidate, Settle
from node.wallet import address_of
from tests.node.stf.harness import Chain

_chain_cache: dict[str, tuple[Chain, list[bytes]]] = {}


def _valid_txs() -> tuple[Chain, list[bytes]]:
    chain = Chain()
    (inst,) = chain.market()
    alice, bob = chain.trader("alice"), chain.trader("bob")
    txs = [
        chain.order(alice, inst, 0, 150, 1),
        chain.order(bob, inst, 1, 150, 0.5, tif=1),
        chain.cancel(alice, order_id=1),
        chain.cancel_all(bob),
        chain.withdraw(alice, 10),
        chain.oracle(1, 3010, 0.7, skew=-0.1),
        chain.deposit(b"\x01" * 20, 5),
        chain.signed(bob, Liquidate, account=address_of(alice), instrument_id=inst, size_e6=10**6),
        chain.signed(bob, Settle, account=address_of(alice), instrument_id=inst),
    ]
    return chain, txs


def _mutate(raw: bytes, data) -> bytes:
    kind = data.draw(st.sampled_from(["flip", "truncate", "append", "splice"]))
    if not raw:
        return data.draw(st.binary(max_size=64))
    if kind == "flip":
        i = data.draw(st.integers(0, len(raw) - 1))
        return raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1:]
    if kind == "truncate":
        return raw[: data.draw(st.integers(0, len(raw) - 1))]
    if kind == "append":
        return raw + data.draw(st.binary(min_size=1, max_size=16))
    i = data.draw(st.integers(0, len(raw)))
    return raw[:i] + data.draw(st.binary(max_size=8)) + raw[i:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_and_mutated_bytes_always_give_receipts(data) -> None:
    chain, txs = _valid_txs() if "c" not in _chain_cache else _chain_cache["c"]
    _chain_cache.setdefault("c", (chain, txs))
    block = []
    for _ in range(data.draw(st.integers(1, 6))):
        if data.draw(st.booleans()):
            block.append(data.draw(st.binary(max_size=200)))
        else:
            block.append(_mutate(data.draw(st.sampled_from(txs)), data))
    result = chain.block(block)  # invariants checked inside
    assert len(result.receipts) == len(block)
    assert all(isinstance(r.code, FailureCode) for r in result.receipts)
