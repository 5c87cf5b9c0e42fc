# pragma version 0.4.3
"""
@title account_list
@notice A piece of the account family (`steps_account.vy`, which DELEGATECALLs it): the
        BODY of a ListInstrument (`listing.list_instrument`).
@dev Runs in the entry's context: the entry put the witness in the trie store's pool and
     began the state (`state.begin`); `state` is this contract's only stateful module, all
     transient, so its slots are the entry's. Writes are buffered and applied by
     `state.commit()` at the end of the step.
"""

import fault.lib.state as state
import fault.lib.accounts as accounts
import fault.lib.listing as listing

initializes: state
initializes: accounts[state := state]
initializes: listing[state := state, accounts := accounts]


@external
def list_instrument(pre_root: bytes32, sender: address, now: uint256, body: listing.ListInstrument,
                    marks: address) -> bytes32:
    """
    @notice The post-root of the BODY: `pre_root` when the listing fails (its writes undone).
    """
    if not listing.list_instrument(sender, now, body, marks):
        return pre_root
    return state.commit()
