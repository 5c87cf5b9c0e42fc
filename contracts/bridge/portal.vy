# pragma version ~=0.4.3
"""
@title Portal
@notice Collateral between L1 and L2. `deposit` takes tokens into the portal and queues
        an L2 credit (an indexed queue: L2 applies deposits strictly in index order);
        `claim` pays out an L2 withdrawal proven by a Merkle Patricia proof against a
        final state root, each withdrawal once.
@dev Reverts are prefixed "portal: ". Amounts are token units = L2 collateral units e6.
"""

from ethereum.ercs import IERC20

MAX_AMOUNT: constant(uint256) = 2**63 - 1  # node.stf.params.MAX_AMOUNT_E6

TOKEN: public(immutable(IERC20))
COMMITMENTS: public(immutable(address))

deposit_count: public(uint256)
# keccak256(abi_encode(index, recipient, amount)): what derivation and the L1 verifier check
deposit_hash: public(HashMap[uint256, bytes32])
claimed: public(HashMap[uint256, bool])

event DepositQueued:
    index: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    amount: uint256


@deploy
def __init__(token: address, commitments: address):
    assert token != empty(address) and commitments != empty(address), "portal: zero address"
    TOKEN = IERC20(token)
    COMMITMENTS = commitments


@external
def deposit(recipient: address, amount: uint256) -> uint256:
    """
    @notice Move `amount` tokens from the caller into the portal and credit `recipient` on L2.
    @dev The caller approves the portal first. Returns the deposit's queue index.
    """
    assert recipient != empty(address), "portal: zero recipient"
    assert amount > 0, "portal: zero amount"
    assert amount <= MAX_AMOUNT, "portal: amount too large"
    index: uint256 = self.deposit_count
    self.deposit_hash[index] = keccak256(abi_encode(index, recipient, amount))
    self.deposit_count = index + 1
    assert extcall TOKEN.transferFrom(msg.sender, self, amount, default_return_value=True), "portal: transfer failed"
    log DepositQueued(index=index, sender=msg.sender, recipient=recipient, amount=amount)
    return index
