"""Bad debt: who pays when an account's cash goes negative.

After a liquidation or a settlement leaves an account with negative cash and no position
left, the deficit is covered, in this order:

1. the insurance fund (fed by liquidation penalties);
2. the fee pool (the exchange's own revenue);
3. beyond both, it is **socialised**: the loss index falls so that every positive cash
   balance is cut in proportion to its size, each at its account's next write
   (``haircut.socialise``); only a loss larger than every positive balance together is
   left unbacked (``Globals.unbacked_loss_e6``), repaid first by later fees.

The account's cash is then set to zero. Conservation (``records.Globals``) and the claims
bound (``invariants.check_claims``) hold after every step.
"""

from __future__ import annotations

from node.stf import accounts, haircut, keys
from node.stf.records import Globals
from node.stf.state import State


def cover_deficit(state: State, address: bytes) -> int:
    """If ``address`` has negative cash, cover it (see module docstring); returns the deficit.

    It moves the loss index, so a caller must not write back an account it read before.
    """
    account = accounts.load(state, address)
    deficit = -account.balance_e6
    if deficit <= 0:
        return 0
    accounts.store(state, address, account.with_balance(0))
    globals_: Globals = state.get(keys.GLOBALS)
    from_insurance = min(deficit, globals_.insurance_fund_e6)
    from_fees = min(deficit - from_insurance, globals_.fee_pool_e6)
    state.put(keys.GLOBALS, haircut.socialise(
        globals_, deficit - from_insurance - from_fees,
        insurance_fund_e6=globals_.insurance_fund_e6 - from_insurance,
        fee_pool_e6=globals_.fee_pool_e6 - from_fees,
    ))
    return deficit


def close_out(state: State, address: bytes) -> int:
    """The account at ``address`` holds no position any more: cover any deficit it left
    (see module docstring) and end its liquidation auction if one is open. Returns the bad debt.
    """
    auction_key = keys.auction(address)
    if state.get(auction_key) is not None:
        state.delete(auction_key)
    return cover_deficit(state, address)
