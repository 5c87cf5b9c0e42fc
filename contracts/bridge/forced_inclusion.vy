# pragma version ~=0.4.3
"""
@title Forced inclusion queue
@notice A trader the sequencer ignores sends their signed L2 transaction here. Derivation
        puts every queued transaction into the L2 chain: the sequencer should include it
        at once, and the first batch posted at or after `deadline` (L1 time) brings it in
        whatever the sequencer did (see the README, "Deadlines by L1 time").
@dev Reverts are prefixed "forced: ". Transactions are opaque bytes here; the L2 STF
     checks them like any other (a bad one gets a failure receipt).
"""

MAX_TX_BYTES: constant(uint256) = 2048  # node.stf.tx_codec.MAX_TX_BYTES

WINDOW: public(immutable(uint256))  # seconds

forced_count: public(uint256)
# keccak256(abi_encode(index, keccak256(raw_tx), deadline)), deadline = the L1 time of `force`
# + WINDOW: what derivation and the L1 verifier check an entry against
# (node/l1/queue_hashes.py builds the same hash)
forced_hash: public(HashMap[uint256, bytes32])

event TransactionForced:
    index: indexed(uint256)
    sender: indexed(address)
    raw_tx: Bytes[MAX_TX_BYTES]
    deadline: uint256


@deploy
def __init__(window: uint256):
    """
    @param window Seconds the sequencer has to include a forced transaction.
    """
    WINDOW = window


@external
def force(raw_tx: Bytes[MAX_TX_BYTES]):
    """
    @notice Queue a signed L2 transaction (its envelope bytes) for forced inclusion.
    """
    assert len(raw_tx) > 0, "forced: empty transaction"
    index: uint256 = self.forced_count
    when: uint256 = block.timestamp + WINDOW
    self.forced_hash[index] = keccak256(abi_encode(index, keccak256(raw_tx), when))
    self.forced_count = index + 1
    log TransactionForced(index=index, sender=msg.sender, raw_tx=raw_tx, deadline=when)
