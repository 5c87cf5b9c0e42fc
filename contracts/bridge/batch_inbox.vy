# pragma version ~=0.4.3
"""
@title Batch inbox
@notice Data availability for the L2: the sequencer posts each batch of L2 blocks
        (compressed) as the calldata of `append_batch`. The contract keeps only a hash
        chain over the batches; anyone rebuilds the L2 chain by reading the calldata of
        the transactions that emitted `BatchAppended`, in index order. Each batch declares
        the number of its last L2 block: derivation skips a batch whose blocks do not end
        there, and `StateCommitments.propose` binds a root to it.
@dev Reverts are prefixed "inbox: ".
"""

MAX_BATCH_BYTES: constant(uint256) = 120_000

SEQUENCER: public(immutable(address))

batch_count: public(uint256)
# chain_hash[i] = keccak256(chain_hash[i - 1] ++ keccak256(batch i)), chain_hash[-1] = 0
chain_hash: public(HashMap[uint256, bytes32])
# the L1 block that included batch i (derivation reads deposits up to it)
l1_block: public(HashMap[uint256, uint256])
# the number of batch i's last L2 block, as the sequencer declared it
last_l2_block: public(HashMap[uint256, uint256])

event BatchAppended:
    index: indexed(uint256)
    data_hash: bytes32
    chain_hash: bytes32
    last_l2_block: uint256


@deploy
def __init__(sequencer: address):
    assert sequencer != empty(address), "inbox: zero sequencer"
    SEQUENCER = sequencer


@external
def append_batch(data: Bytes[MAX_BATCH_BYTES], last_l2_block: uint256):
    """
    @notice Post the next batch (sequencer only).
    @param data The batch: compressed RLP of L2 blocks (see node/l1/batch_codec.py).
    @param last_l2_block The number of the batch's last L2 block (derivation skips the
           batch if its blocks do not end there).
    """
    assert msg.sender == SEQUENCER, "inbox: caller is not the sequencer"
    assert len(data) > 0, "inbox: empty batch"
    index: uint256 = self.batch_count
    previous: bytes32 = empty(bytes32)
    if index > 0:
        previous = self.chain_hash[index - 1]
    data_hash: bytes32 = keccak256(data)
    new_hash: bytes32 = keccak256(concat(previous, data_hash))
    self.chain_hash[index] = new_hash
    self.l1_block[index] = block.number
    self.last_l2_block[index] = last_l2_block
    self.batch_count = index + 1
    log BatchAppended(index=index, data_hash=data_hash, chain_hash=new_hash, last_l2_block=last_l2_block)
