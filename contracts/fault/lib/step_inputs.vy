# pragma version ~=0.4.3
"""
@title step_inputs
@notice What a derivation step reads from L1, opened from its proof's `inputs` and from
        L1 storage: the batch's record (read from the inbox by batch index, never taken
        from the proof: node/stf/l1_inputs.py::BatchRecord), the batch pieces
        (batch_data) and the queue entries (l1_queues).
@dev Twin of what prover/client/proof.py::StepProof.verify and
     prover/host/l1_check.py::check_inputs accept together: every piece opens against
     the record's chunk root, every entry is its queue's, the batch exists. Empty
     `inputs` carry nothing; otherwise all three counts are present and nothing follows.
"""

import fault.lib.batch_data as batch_data
import fault.lib.l1_queues as l1_queues


struct InboxRecord:  # BatchInbox.BatchRecord, field for field
    data_length: uint256
    chunks_root: bytes32
    data_hash: bytes32
    l1_block: uint256
    l1_time: uint256
    deposits_seen: uint256
    forced_seen: uint256
    last_l2_block: uint256


interface Inbox:
    def batch_count() -> uint256: view
    def batches(index: uint256) -> InboxRecord: view


struct Record:  # node/stf/l1_inputs.py::BatchRecord
    index: uint256
    length: uint256
    time: uint256
    deposits_seen: uint256
    forced_seen: uint256
    last_l2_block: uint256


struct Opened:
    record: Record
    pieces: DynArray[batch_data.Piece, batch_data.MAX_PIECES]
    deposits: DynArray[l1_queues.Deposit, l1_queues.MAX_ENTRIES]
    forced: DynArray[l1_queues.Forced, l1_queues.MAX_ENTRIES]


@internal
@view
def open(inputs: Bytes[batch_data.MAX_INPUTS], batch: uint256, inbox: address, portal: address, queue: address) -> Opened:
    """
    @notice The record of batch `batch` from the inbox and the step's pieces and entries
            from `inputs`, each checked against L1 storage; reverts on an invalid proof.
    """
    assert batch < staticcall Inbox(inbox).batch_count(), "step_inputs: no such batch"
    stored: InboxRecord = staticcall Inbox(inbox).batches(batch)
    out: Opened = empty(Opened)
    out.record = Record(
        index=batch,
        length=stored.data_length,
        time=stored.l1_time,
        deposits_seen=stored.deposits_seen,
        forced_seen=stored.forced_seen,
        last_l2_block=stored.last_l2_block,
    )
    if len(inputs) == 0:
        return out
    pos: uint256 = 0
    out.pieces, pos = batch_data.open_pieces(inputs, stored.chunks_root, stored.data_length)
    out.deposits, pos = l1_queues.open_deposits(inputs, pos, portal, stored.deposits_seen)
    out.forced, pos = l1_queues.open_forced(inputs, pos, queue, stored.forced_seen)
    assert pos == len(inputs), "step_inputs: trailing bytes"
    return out
