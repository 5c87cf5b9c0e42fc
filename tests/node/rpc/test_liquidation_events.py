"""The account stream reports a liquidation to both sides (a position transfer, no order)."""

from __future__ import annotations

from node.rpc.events import LIQUIDATED, LIQUIDATOR, AccountFeed, FillEvent
from node.sequencer.sequencer import L2Block
from node.stf.backends import MemoryBackend
from node.stf.errors import FailureCode
from node.stf.receipts import Fill, Receipt
from node.stf.state import State
from node.stf.txtypes import Liquidate, SignedTx

TARGET, KEEPER, OTHER = b"\x01" * 20, b"\x02" * 20, b"\x03" * 20


def test_both_sides_hear_of_a_liquidation_and_nobody_else():
    body = Liquidate(7, TARGET, 5, 400_000)
    fill = Fill(0, TARGET, KEEPER, 5, 1, 61_250_000, 400_000, 3_000_000, 0)
    receipt = Receipt(b"\xaa" * 32, FailureCode.OK, filled_e6=400_000, fills=(fill,))
    tx = SignedTx(body, b"\x07raw", b"\xaa" * 32, KEEPER)
    block = L2Block(9, 1_800_000_000, b"\x00" * 32, b"\x00" * 32, (tx.raw,), (receipt,))
    events = {who: AccountFeed(who, State(MemoryBackend())).events(block, (tx,)) for who in (TARGET, KEEPER, OTHER)}
    ctx = (9, 1_800_000_000, b"\xaa" * 32)
    assert FillEvent(*ctx, 0, 5, 0, 61_250_000, 400_000, LIQUIDATED, 3_000_000, KEEPER, 0) in events[TARGET]
    assert FillEvent(*ctx, 0, 5, 1, 61_250_000, 400_000, LIQUIDATOR, 0, TARGET, 0) in events[KEEPER]
    assert not [e for e in events[OTHER] if isinstance(e, FillEvent)]
