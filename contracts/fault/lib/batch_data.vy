# pragma version ~=0.4.3
"""
@title batch_data
@notice The byte ranges of a batch that a derivation step reads, carried in the step's
        `inputs` as chunk proofs and opened against the chunk root the inbox stored for
        the batch (node/l1/batch_chunks.py), then read as prover/client/inputs.py's
        `ProofInputs.data` reads them.
@dev Layout of the pieces at the start of `inputs` (prover/l1/inputs_codec.py, integers
     big-endian):
         n_pieces:u8, then per piece: start:u32 end:u32 first_chunk:u32 n_chunks:u8,
         (size:u16 depth:u8) per chunk, the chunks' bytes concatenated, then every
         chunk's branch (32-byte siblings, leaf upwards), chunk after chunk.
     A `Piece` is a verified range: bytes [start, end) of
     the batch are `inputs[at : at + end - start]`.
     Reverts are prefixed "batch_data:" and mean an invalid proof.
"""

CHUNK_BYTES: constant(uint256) = 1024  # node/l1/batch_chunks.py::CHUNK_BYTES
MAX_BATCH_BYTES: constant(uint256) = 120_000  # BatchInbox.MAX_BATCH_BYTES
MAX_CHUNKS: constant(uint256) = 128    # the power of two >= ceil(MAX_BATCH_BYTES / CHUNK_BYTES)
MAX_DEPTH: constant(uint256) = 7       # log2(MAX_CHUNKS)
MAX_PIECES: constant(uint256) = 8      # a derivation step reads one contiguous range
MAX_INPUTS: constant(uint256) = 12_288  # a step's inputs: <= 4 chunks with branches, a forced tx
MAX_READ: constant(uint256) = 2_048    # the longest read: a transaction (tx_codec.MAX_TX_BYTES)

IDENTITY: constant(address) = 0x0000000000000000000000000000000000000004  # the identity precompile

PIECE_HEAD: constant(uint256) = 13     # start, end, first_chunk, n_chunks
CHUNK_HEAD: constant(uint256) = 3      # size, depth


struct Piece:
    start: uint256  # first byte of the batch it opens
    end: uint256    # first byte after it
    at: uint256     # where byte `start` is in `inputs`


@internal
@pure
def u8(buf: Bytes[MAX_INPUTS], pos: uint256) -> uint256:
    return convert(slice(buf, pos, 1), uint256)


@internal
@pure
def u16(buf: Bytes[MAX_INPUTS], pos: uint256) -> uint256:
    return convert(slice(buf, pos, 2), uint256)


@internal
@pure
def u32(buf: Bytes[MAX_INPUTS], pos: uint256) -> uint256:
    return convert(slice(buf, pos, 4), uint256)


@internal
@pure
def chunk_count(length: uint256) -> uint256:
    """
    @notice Twin of node/l1/batch_chunks.py::chunk_count: ceil(length / CHUNK_BYTES).
    """
    return (length + CHUNK_BYTES - 1) // CHUNK_BYTES


@internal
@pure
def tree_depth(length: uint256) -> uint256:
    """
    @notice Twin of node/l1/batch_chunks.py::tree_depth: the bit length of
            max(chunk_count - 1, 0), the branch length of every chunk.
    @dev `length` is an inbox record's, at most MAX_BATCH_BYTES.
    """
    count: uint256 = self.chunk_count(length)
    depth: uint256 = 0
    for _: uint256 in range(MAX_DEPTH + 1):
        if (1 << depth) >= count:
            break
        depth += 1
    return depth


@internal
@pure
def _fold(leaf: bytes32, index: uint256, inputs: Bytes[MAX_INPUTS], at: uint256, depth: uint256) -> bytes32:
    """
    @notice Twin of node/l1/batch_chunks.py::_fold: the root reached from `leaf` at
            `index` by the `depth` siblings at `inputs[at:]`.
    """
    node: bytes32 = leaf
    for height: uint256 in range(depth, bound=MAX_DEPTH):
        sibling: bytes32 = extract32(inputs, at + 32 * height)
        if (index >> height) & 1 == 1:
            node = keccak256(concat(sibling, node))
        else:
            node = keccak256(concat(node, sibling))
    return node


@internal
@pure
def open_piece(inputs: Bytes[MAX_INPUTS], pos: uint256, root: bytes32, length: uint256) -> (Piece, uint256):
    """
    @notice Twin of node/l1/batch_chunks.py::verify_range for the piece at `inputs[pos:]`:
            the verified range and the position after the piece. Reverts where Python
            raises ChunkProofError.
    """
    start: uint256 = self.u32(inputs, pos)
    end: uint256 = self.u32(inputs, pos + 4)
    first_chunk: uint256 = self.u32(inputs, pos + 8)
    n: uint256 = self.u8(inputs, pos + 12)
    heads: uint256 = pos + PIECE_HEAD
    assert start <= end and end <= length, "batch_data: range not within the batch"
    if start == end:
        assert n == 0, "batch_data: an empty range takes no chunk"
        return Piece(start=start, end=end, at=heads), heads
    first: uint256 = start // CHUNK_BYTES
    assert first_chunk == first and n == (end - 1) // CHUNK_BYTES - first + 1, "batch_data: wrong chunks for the range"
    depth: uint256 = self.tree_depth(length)
    data: uint256 = heads + CHUNK_HEAD * n
    total: uint256 = 0
    for j: uint256 in range(n, bound=MAX_CHUNKS):
        assert self.u16(inputs, heads + CHUNK_HEAD * j) == min(CHUNK_BYTES, length - (first + j) * CHUNK_BYTES), \
            "batch_data: chunk of the wrong size"
        assert self.u8(inputs, heads + CHUNK_HEAD * j + 2) == depth, "batch_data: branch of the wrong length"
        total += self.u16(inputs, heads + CHUNK_HEAD * j)
    branches: uint256 = data + total
    chunk_at: uint256 = data
    for j: uint256 in range(n, bound=MAX_CHUNKS):
        size: uint256 = self.u16(inputs, heads + CHUNK_HEAD * j)
        leaf: bytes32 = keccak256(slice(inputs, chunk_at, size))
        assert self._fold(leaf, first + j, inputs, branches + 32 * depth * j, depth) == root, \
            "batch_data: chunk not under the root"
        chunk_at += size
    return Piece(start=start, end=end, at=data + start - first * CHUNK_BYTES), branches + 32 * depth * n


@internal
@pure
def open_pieces(inputs: Bytes[MAX_INPUTS], root: bytes32, length: uint256) -> (DynArray[Piece, MAX_PIECES], uint256):
    """
    @notice The pieces at the start of `inputs`, each opened against the batch's chunk
            `root` (the batch being `length` bytes), and the position after them (the
            step's queue entries follow). As prover/client/proof.py::StepProof.verify,
            every piece is opened, read or not.
    """
    pieces: DynArray[Piece, MAX_PIECES] = []
    count: uint256 = self.u8(inputs, 0)
    pos: uint256 = 1
    for _: uint256 in range(count, bound=MAX_PIECES):
        piece: Piece = empty(Piece)
        piece, pos = self.open_piece(inputs, pos, root, length)
        # As the proof's pieces by start offset in StepProof.verify: a later piece with
        # the same start replaces an earlier one.
        replaced: bool = False
        for i: uint256 in range(len(pieces), bound=MAX_PIECES):
            if pieces[i].start == piece.start:
                pieces[i] = piece
                replaced = True
                break
        if not replaced:
            pieces.append(piece)
    return pieces, pos


@internal
@pure
def _find(pieces: DynArray[Piece, MAX_PIECES], start: uint256, end: uint256) -> uint256:
    """
    @notice Where byte `start` of the batch is in `inputs`: in the first piece holding all
            of [start, end) (prover/client/inputs.py::ProofInputs.data). Reverts if none.
    """
    assert start <= end, "batch_data: reversed range"
    for piece: Piece in pieces:
        if piece.start <= start and end <= piece.end:
            return piece.at + start - piece.start
    raise "batch_data: the proof does not carry these bytes"


@internal
@view
def read(inputs: Bytes[MAX_INPUTS], pieces: DynArray[Piece, MAX_PIECES], start: uint256, end: uint256) -> Bytes[MAX_READ]:
    """
    @notice Twin of prover/client/inputs.py::ProofInputs.data: the batch's bytes
            [start, end) (at most MAX_READ of them). Reverts if no piece holds them.
    """
    assert end - start <= MAX_READ, "batch_data: read too long"
    return self.copy(inputs, self._find(pieces, start, end), end - start)


@internal
@view
def copy(inputs: Bytes[MAX_INPUTS], at: uint256, size: uint256) -> Bytes[MAX_READ]:
    """
    @notice `inputs[at : at + size]` (size <= MAX_READ) as a `Bytes[MAX_READ]`: a copy
            through the identity precompile gives the result its bound (a slice of a
            variable length keeps the bound of what it slices).
    """
    return raw_call(IDENTITY, slice(inputs, at, size), max_outsize=MAX_READ, is_static_call=True)


@internal
@pure
def read_byte(inputs: Bytes[MAX_INPUTS], pieces: DynArray[Piece, MAX_PIECES], pos: uint256) -> uint256:
    """
    @notice The batch's byte at `pos` (`read(pos, pos + 1)[0]`).
    """
    return self.u8(inputs, self._find(pieces, pos, pos + 1))


@internal
@pure
def read_uint(inputs: Bytes[MAX_INPUTS], pieces: DynArray[Piece, MAX_PIECES], start: uint256, end: uint256) -> uint256:
    """
    @notice The batch's bytes [start, end) (at most 32) as a big-endian integer.
    """
    at: uint256 = self._find(pieces, start, end)
    value: uint256 = 0
    for i: uint256 in range(end - start, bound=32):
        value = (value << 8) | self.u8(inputs, at + i)
    return value
