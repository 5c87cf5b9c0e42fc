# pragma version 0.4.3
"""
@title account_list
@notice A piece of the account family (`steps_account.vy`, which DELEGATECALLs it): the
        BODY of a ListInstrument (`listing.list_instrument`).
@dev Runs in the entry's context: the witness is in the trie's transient pool, which the
     entry filled (`trie` is initialized first in both, so its slots are the same).
"""

import fault.lib.trie as trie
import fault.lib.state as state
import fault.lib.accounts as accounts
import fault.lib.listing as listing

initializes: trie
initializes: state[trie := trie]
initializes: accounts[state := state]
initializes: listing[state := state, accounts := accounts]


@external
def list_instrument(pre_root: bytes32, sender: address, now: uint256, body: listing.ListInstrument,
                    marks: address) -> bytes32:
    """
    @notice The post-root of the BODY: `pre_root` when the listing fails (its writes undone).
    """
    state.begin(pre_root)
    if not listing.list_instrument(sender, now, body, marks):
        return pre_root
    return state.root()
