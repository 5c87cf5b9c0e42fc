"""Which accounts a transaction concerns: what the account history index (``GetAccountHistory``) keys on.

``accounts_of(tx, receipt)``: the signer; a deposit's recipient; a liquidation's or a
settlement's account (when it succeeded); every maker and taker of its fills. In that order,
each address once. A transaction that did not decode concerns nobody.
"""

from __future__ import annotations

from node.stf.receipts import Receipt
from node.stf.txtypes import Deposit, Liquidate, Settle, SignedTx


def accounts_of(tx: SignedTx | bytes, receipt: Receipt) -> tuple[bytes, ...]:
    out: dict[bytes, None] = {}
    if isinstance(tx, SignedTx) and tx.body is not None:
        body = tx.body
        if tx.sender is not None:
            out[tx.sender] = None
        if isinstance(body, Deposit):
            out[body.recipient] = None
        elif isinstance(body, (Liquidate, Settle)) and receipt.ok:
            out[body.account] = None
    for fill in receipt.fills:
        out[fill.maker] = None
        out[fill.taker] = None
    return tuple(out)
