# pragma version ~=0.4.3
"""
@title Devnet probe
@notice A tiny contract for the devnet's JSON-RPC tests: storage, an event, a revert reason.
"""

event Stored:
    who: indexed(address)
    value: uint256

value: public(uint256)


@external
def store(new_value: uint256):
    assert new_value != 13, "probe: unlucky value"
    self.value = new_value
    log Stored(who=msg.sender, value=new_value)
