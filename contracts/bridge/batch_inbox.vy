# pragma version ~=0.4.3
"""
@title Batch inbox
@notice Data availability for the L2: the sequencer posts each batch of L2 blocks (plain
        RLP block items, see node/l1/batch_codec.py) as the calldata of `append_batch`.
        For every batch the inbox keeps a record (`batches(index)`, also in the
        `BatchAppended` event) that holds everything derivation reads from L1 for it,
        so the one-step verifier proves each input from this contract's storage alone:
        the data's length, its chunk root (any byte range of the data opens against it,
        see node/l1/batch_chunks.py) and keccak256, the L1 block number and time of the
        append, how many deposits (Portal) and forced transactions (ForcedInclusion) had
        been queued before it (entries queued later, even in the same L1 block, are not
        visible to this batch), and the batch's declared last L2 block (derivation uses
        no block past it; `StateCommitments.propose` binds a root to it).
@dev Reverts are prefixed "inbox: ". The data itself is read back from the calldata of the
     transaction that emitted `BatchAppended`.
"""

interface Portal:
    def deposit_count() -> uint256: view

interface ForcedInclusion:
    def forced_count() -> uint256: view

MAX_BATCH_BYTES: constant(uint256) = 120_000
# The chunk commitment (node/l1/batch_chunks.py): 1024-byte chunks, leaf = keccak256(chunk),
# a binary tree of keccak256(left ++ right) over the leaves padded with zero leaves to a
# power of two; one leaf is its own root, no data has root zero.
CHUNK_BYTES: constant(uint256) = 1024
MAX_CHUNKS: constant(uint256) = 128  # the power of two >= ceil(MAX_BATCH_BYTES / CHUNK_BYTES) = 118
MAX_DEPTH: constant(uint256) = 7     # log2(MAX_CHUNKS)
IDENTITY: constant(address) = 0x0000000000000000000000000000000000000004  # the identity precompile

struct BatchRecord:
    data_length: uint256   # bytes
    chunks_root: bytes32
    data_hash: bytes32     # keccak256(data)
    l1_block: uint256      # block.number of the append
    l1_time: uint256       # block.timestamp of the append (unix s)
    deposits_seen: uint256  # Portal.deposit_count() at the append
    forced_seen: uint256    # ForcedInclusion.forced_count() at the append
    last_l2_block: uint256  # declared by the sequencer

SEQUENCER: public(immutable(address))
PORTAL: public(immutable(Portal))
FORCED: public(immutable(ForcedInclusion))

batch_count: public(uint256)
batches: public(HashMap[uint256, BatchRecord])

event BatchAppended:
    index: indexed(uint256)
    data_length: uint256
    chunks_root: bytes32
    data_hash: bytes32
    l1_block: uint256
    l1_time: uint256
    deposits_seen: uint256
    forced_seen: uint256
    last_l2_block: uint256


@deploy
def __init__(sequencer: address, portal: address, forced: address):
    assert sequencer != empty(address) and portal != empty(address) and forced != empty(address), \
        "inbox: zero address"
    SEQUENCER = sequencer
    PORTAL = Portal(portal)
    FORCED = ForcedInclusion(forced)


@view
@external
def last_l2_block(index: uint256) -> uint256:
    """
    @notice The declared last L2 block of batch `index` (0 if there is no such batch).
    """
    return self.batches[index].last_l2_block


@external
def append_batch(data: Bytes[MAX_BATCH_BYTES], last_l2_block: uint256):
    """
    @notice Post the next batch (sequencer only) and record it (see the contract notice).
    @param data The batch: RLP block items (see node/l1/batch_codec.py).
    @param last_l2_block The number of the batch's last L2 block.
    """
    assert msg.sender == SEQUENCER, "inbox: caller is not the sequencer"
    assert len(data) > 0, "inbox: empty batch"
    # The chunk root. Full chunks are sliced at a constant size; the last, shorter one from
    # a chunk-sized copy (the identity precompile copies data shorter than one chunk), so
    # no buffer of the whole data's size is allocated twice.
    length: uint256 = len(data)
    full: uint256 = length // CHUNK_BYTES
    nodes: bytes32[MAX_CHUNKS] = empty(bytes32[MAX_CHUNKS])
    for i: uint256 in range(full, bound=MAX_CHUNKS):
        nodes[i] = keccak256(slice(data, i * CHUNK_BYTES, CHUNK_BYTES))
    rest: uint256 = length - full * CHUNK_BYTES
    if rest > 0:
        last: Bytes[CHUNK_BYTES] = b""
        if full == 0:
            last = raw_call(IDENTITY, data, max_outsize=CHUNK_BYTES, is_static_call=True)
        else:
            tail: Bytes[CHUNK_BYTES] = slice(data, length - CHUNK_BYTES, CHUNK_BYTES)
            last = slice(tail, CHUNK_BYTES - rest, rest)
        nodes[full] = keccak256(last)
    count: uint256 = (length + CHUNK_BYTES - 1) // CHUNK_BYTES
    width: uint256 = 1
    for _: uint256 in range(MAX_DEPTH):
        if width >= count:
            break
        width *= 2
    for _: uint256 in range(MAX_DEPTH):
        if width == 1:
            break
        width //= 2
        for i: uint256 in range(width, bound=MAX_CHUNKS // 2):
            nodes[i] = keccak256(concat(nodes[2 * i], nodes[2 * i + 1]))

    index: uint256 = self.batch_count
    record: BatchRecord = BatchRecord(
        data_length=length,
        chunks_root=nodes[0],
        data_hash=keccak256(data),
        l1_block=block.number,
        l1_time=block.timestamp,
        deposits_seen=staticcall PORTAL.deposit_count(),
        forced_seen=staticcall FORCED.forced_count(),
        last_l2_block=last_l2_block,
    )
    self.batches[index] = record
    self.batch_count = index + 1
    log BatchAppended(
        index=index, data_length=record.data_length, chunks_root=record.chunks_root, data_hash=record.data_hash,
        l1_block=record.l1_block, l1_time=record.l1_time, deposits_seen=record.deposits_seen,
        forced_seen=record.forced_seen, last_l2_block=last_l2_block)
