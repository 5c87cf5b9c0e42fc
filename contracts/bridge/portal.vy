# pragma version ~=0.4.3
"""
@title Portal
@notice Collateral between L1 and L2. `deposit` takes tokens into the portal and queues
        an L2 credit (an indexed queue: L2 applies deposits strictly in index order) with a
        deadline: derivation puts it into L2 by the first batch posted at or after
        `deadline` = the deposit's block time + WINDOW, whatever the sequencer does (see
        the README, "Deadlines by L1 time");
        `claim` pays out an L2 withdrawal proven by a Merkle Patricia proof against a
        final state root, each withdrawal once.
@dev Reverts are prefixed "portal: ". Amounts are token units = L2 collateral units e6.
"""

from ethereum.ercs import IERC20
import lib.mpt as mpt
import lib.withdrawal as withdrawal

interface StateCommitments:
    def final_root(index: uint256) -> bytes32: view

MAX_AMOUNT: constant(uint256) = 2**63 - 1  # node.stf.params.MAX_AMOUNT_E6

TOKEN: public(immutable(IERC20))
COMMITMENTS: public(immutable(StateCommitments))
WINDOW: public(immutable(uint256))  # seconds; the same as ForcedInclusion.WINDOW

deposit_count: public(uint256)
# keccak256(abi_encode(index, recipient, amount, deadline)): what derivation and the L1 verifier check
deposit_hash: public(HashMap[uint256, bytes32])
claimed: public(HashMap[uint256, bool])

event WithdrawalClaimed:
    index: indexed(uint256)
    recipient: indexed(address)
    amount: uint256
    commitment_index: uint256

event DepositQueued:
    index: indexed(uint256)
    sender: indexed(address)
    recipient: indexed(address)
    amount: uint256
    deadline: uint256


@deploy
def __init__(token: address, commitments: address, window: uint256):
    """
    @param window Seconds after a deposit's block by which L2 must credit it (the forced window).
    """
    assert token != empty(address) and commitments != empty(address), "portal: zero address"
    TOKEN = IERC20(token)
    COMMITMENTS = StateCommitments(commitments)
    WINDOW = window


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
    deadline: uint256 = block.timestamp + WINDOW
    self.deposit_hash[index] = keccak256(abi_encode(index, recipient, amount, deadline))
    self.deposit_count = index + 1
    assert extcall TOKEN.transferFrom(msg.sender, self, amount, default_return_value=True), "portal: transfer failed"
    log DepositQueued(index=index, sender=msg.sender, recipient=recipient, amount=amount, deadline=deadline)
    return index


@external
def claim(
    commitment_index: uint256,
    withdrawal_index: uint64,
    sender: address,
    recipient: address,
    amount_e6: uint256,
    l2_block: uint256,
    proof: DynArray[Bytes[mpt.MAX_NODE], mpt.MAX_DEPTH],
):
    """
    @notice Pay out L2 withdrawal `withdrawal_index` to its recipient (anyone may submit it).
    @dev `proof` is the state-trie proof of the withdrawal record under the final root
         `commitment_index` (`optrollup withdraw claim` builds it). Each withdrawal pays once.
    @param l2_block The withdrawal record's block number (with sender, recipient, amount_e6: its fields).
    """
    assert not self.claimed[convert(withdrawal_index, uint256)], "portal: withdrawal already claimed"
    root: bytes32 = staticcall COMMITMENTS.final_root(commitment_index)
    assert withdrawal.verify(root, withdrawal_index, sender, recipient, amount_e6, l2_block, proof), \
        "portal: no such withdrawal under this root"
    self.claimed[convert(withdrawal_index, uint256)] = True
    assert extcall TOKEN.transfer(recipient, amount_e6, default_return_value=True), "portal: transfer failed"
    log WithdrawalClaimed(index=convert(withdrawal_index, uint256), recipient=recipient, amount=amount_e6,
                          commitment_index=commitment_index)
