# pragma version 0.4.3
"""
@title trie test harness
@notice Exposes `contracts/fault/lib/trie.vy` for the differential tests against
        `node/stf/mpt` and its gas figures. Not deployed outside tests.
@dev The witness and the operations follow the ABI head in the calldata, packed (big
     ABI arguments would cost their bound in memory): after `apply(root, ...)`'s head,
     - u32 blob count, then each blob: u32 length and that many bytes of concatenated
       witness nodes (at most trie.MAX_NODE bytes: `trie.add_nodes`);
     - u32 op count, then each op: u8 kind, bytes32 path, u8 key length and the key,
       u32 data length and the data;
     - trie.MAX_NODE zero bytes, so that fixed-length calldata slices stay in bounds.
"""

import fault.lib.trie as trie

initializes: trie

MAX_BLOBS: constant(uint256) = 4_096
MAX_OPS: constant(uint256) = 1_024
HEAD_BYTES: constant(uint256) = 4 + 32

OP_GET_PATH: constant(uint256) = 0
OP_PUT_PATH: constant(uint256) = 1  # empty data deletes
OP_GET: constant(uint256) = 2  # by state key: the path is keccak256(key)
OP_PUT: constant(uint256) = 3


@internal
@view
def _u(pos: uint256, size: uint256) -> uint256:
    return convert(extract32(slice(msg.data, pos, 32), 0), uint256) >> (256 - 8 * size)


@internal
def _load(start: uint256) -> uint256:
    pos: uint256 = start
    count: uint256 = self._u(pos, 4)
    pos += 4
    for i: uint256 in range(MAX_BLOBS):
        if i == count:
            break
        size: uint256 = self._u(pos, 4)
        pos += 4
        trie.add_nodes(slice(slice(msg.data, pos, trie.MAX_NODE), 0, size))
        pos += size
    return pos


@internal
def _run(root: bytes32, pos: uint256) -> (bytes32, bytes32, uint256, uint256):
    """
    @dev Run the op at `pos`: the new root, keccak256 of the value read (or the root),
         the trie gas, and where the next op starts.
    """
    kind: uint256 = self._u(pos, 1)
    path: bytes32 = extract32(slice(msg.data, pos + 1, 32), 0)
    key_size: uint256 = self._u(pos + 33, 1)
    key: Bytes[trie.MAX_KEY] = slice(slice(msg.data, pos + 34, trie.MAX_KEY), 0, key_size)
    at: uint256 = pos + 34 + key_size
    size: uint256 = self._u(at, 4)
    data: Bytes[trie.MAX_VALUE] = slice(slice(msg.data, at + 4, trie.MAX_VALUE), 0, size)
    result: bytes32 = empty(bytes32)
    root_after: bytes32 = root
    before: uint256 = msg.gas
    if kind == OP_GET_PATH:
        result = keccak256(trie.get_path(root, path))
    elif kind == OP_PUT_PATH:
        root_after = trie.put_path(root, path, data)
        result = root_after
    elif kind == OP_GET:
        result = keccak256(trie.get(root, key))
    else:
        root_after = trie.put(root, key, data)
        result = root_after
    used: uint256 = before - msg.gas
    return root_after, result, used, at + 4 + size


@external
def apply(root: bytes32) -> DynArray[bytes32, MAX_OPS]:
    """
    @notice Load the witness, run the ops from `root`; after each op, the root (a
            write) or keccak256 of the value read (a read; b"" when absent).
    """
    pos: uint256 = self._load(HEAD_BYTES)
    count: uint256 = self._u(pos, 4)
    pos += 4
    out: DynArray[bytes32, MAX_OPS] = []
    current: bytes32 = root
    for i: uint256 in range(MAX_OPS):
        if i == count:
            break
        result: bytes32 = empty(bytes32)
        used: uint256 = 0
        current, result, used, pos = self._run(current, pos)
        out.append(result)
    return out


@external
def measure(root: bytes32) -> (bytes32, uint256, uint256):
    """
    @notice As `apply` with one op: its result, the gas of the trie call alone and the
            gas of loading the witness.
    """
    before: uint256 = msg.gas
    pos: uint256 = self._load(HEAD_BYTES)
    loading: uint256 = before - msg.gas
    pos += 4
    result: bytes32 = empty(bytes32)
    current: bytes32 = empty(bytes32)
    used: uint256 = 0
    current, result, used, pos = self._run(root, pos)
    return result, used, loading
