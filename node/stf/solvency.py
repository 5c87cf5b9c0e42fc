"""Bad debt: who pays when an account's cash goes negative.

After a liquidation or a settlement leaves an account with negative cash (and nothing
left to sell), the deficit is covered, in this order:

1. the insurance fund (fed by liquidation penalties);
2. the fee pool (the exchange's own revenue);
3. beyond both, it is recorded as ``Globals.socialised_loss_e6``: the shortfall the whole
   system carries. No trader's balance is touched; fees collected afterwards repay it
   first (``collect_fees``) before anything reaches the fee pool.

The account's cash is then set to zero. Conservation (``records.Globals``) counts the
socialised loss, so collateral stays exactly accounted for.
"""

from __future__ import annotations

from dataclasses import replace

from node.stf import accounts, keys
from node.stf.records import Globals
from node.stf.state import State


def cover_deficit(state: State, address: bytes) -> int:
    """If ``address`` has negative cash, cover it (see module docstring); returns the deficit."""
    account = accounts.load(state, address)
    deficit = -account.balance_e6
    if deficit <= 0:
        return 0
    globals_: Globals = state.get(keys.GLOBALS)
    from_insurance = min(deficit, globals_.insurance_fund_e6)
    from_fees = min(deficit - from_insurance, globals_.fee_pool_e6)
    socialised = deficit - from_insurance - from_fees
    state.put(
        keys.GLOBALS,
        replace(
            globals_,
            insurance_fund_e6=globals_.insurance_fund_e6 - from_insurance,
            fee_pool_e6=globals_.fee_pool_e6 - from_fees,
            socialised_loss_e6=globals_.socialised_loss_e6 + socialised,
        ),
    )
    accounts.store(state, address, account.with_balance(0))
    return deficit


def close_out(state: State, address: bytes) -> int:
    """The account at ``address`` holds no position any more: cover any deficit it left
    (see module docstring) and end its liquidation auction if one is open. Returns the bad debt.
    """
    auction_key = keys.auction(address)
    if state.get(auction_key) is not None:
        state.delete(auction_key)
    return cover_deficit(state, address)


def collect_fees(globals_: Globals, fees_e6: int) -> Globals:
    """Route collected fees: first repay any socialised loss, the rest to the fee pool."""
    repay = min(fees_e6, globals_.socialised_loss_e6)
    return replace(
        globals_,
        socialised_loss_e6=globals_.socialised_loss_e6 - repay,
        fee_pool_e6=globals_.fee_pool_e6 + fees_e6 - repay,
    )
