# pragma version ~=0.4.3
"""
@title L1 storage double for the block steps' tests
@notice The views the derivation verifier reads from L1 (`BatchInbox.batch_count`,
        `BatchInbox.batches`, `Portal.deposit_hash`, `ForcedInclusion.forced_hash`), with
        the same ABI, set freely by the test: it holds any record and queue a Python
        scenario builds, including queues the real contracts cannot produce (deadlines
        going backwards, empty batches). Not deployed outside tests; the real contracts
        are exercised against the verifier in tests/fault/test_batch_data_vyper.py.
"""

struct BatchRecord:  # BatchInbox.BatchRecord
    data_length: uint256
    chunks_root: bytes32
    data_hash: bytes32
    l1_block: uint256
    l1_time: uint256
    deposits_seen: uint256
    forced_seen: uint256
    last_l2_block: uint256

batch_count: public(uint256)
batches: public(HashMap[uint256, BatchRecord])
deposit_hash: public(HashMap[uint256, bytes32])
forced_hash: public(HashMap[uint256, bytes32])


@external
def set_batch(index: uint256, record: BatchRecord):
    self.batches[index] = record
    self.batch_count = max(self.batch_count, index + 1)


@external
def set_deposit_hash(index: uint256, h: bytes32):
    self.deposit_hash[index] = h


@external
def set_forced_hash(index: uint256, h: bytes32):
    self.forced_hash[index] = h
