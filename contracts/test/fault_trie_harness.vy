# pragma version 0.4.3
"""
@title trie test harness
@notice Drives a deployed `contracts/fault/trie_store.vy` (given at construction) for
        the differential tests against `node/stf/mpt` and its gas figures, calling it as
        a family does (external calls). Not deployed outside tests.
@dev The witness and the operations follow the ABI head in the calldata, packed (big
     ABI arguments would cost their bound in memory): after `apply(root, ...)`'s head,
     - u32 blob count, then each blob: u32 length and that many bytes of concatenated
       witness nodes (at most MAX_NODE bytes here: one `add_nodes` call each);
     - u32 op count, then each op: u8 kind, bytes32 path, u8 key length and the key,
       u32 data length and the data;
     - MAX_NODE zero bytes, so that fixed-length calldata slices stay in bounds.
"""

import fault.trie_store_iface as TrieStore

MAX_KEY: constant(uint256) = 64
MAX_VALUE: constant(uint256) = 24_576
MAX_NODE: constant(uint256) = MAX_VALUE + 64

MAX_BLOBS: constant(uint256) = 4_096
MAX_OPS: constant(uint256) = 1_024
HEAD_BYTES: constant(uint256) = 4 + 32

OP_GET_PATH: constant(uint256) = 0
OP_PUT_PATH: constant(uint256) = 1  # empty data deletes
OP_GET: constant(uint256) = 2  # by state key: the path is keccak256(key), hashed here
OP_PUT: constant(uint256) = 3

interface Reader:
    def read(root: bytes32, path: bytes32) -> bytes32: nonpayable

store: public(immutable(TrieStore))


@deploy
def __init__(trie_store: TrieStore):
    store = trie_store


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
        extcall store.add_nodes(slice(slice(msg.data, pos, MAX_NODE), 0, size))
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
    key: Bytes[MAX_KEY] = slice(slice(msg.data, pos + 34, MAX_KEY), 0, key_size)
    at: uint256 = pos + 34 + key_size
    size: uint256 = self._u(at, 4)
    data: Bytes[MAX_VALUE] = slice(slice(msg.data, at + 4, MAX_VALUE), 0, size)
    result: bytes32 = empty(bytes32)
    root_after: bytes32 = root
    before: uint256 = msg.gas
    if kind == OP_GET_PATH:
        result = keccak256(extcall store.get_path(root, path))
    elif kind == OP_PUT_PATH:
        root_after = extcall store.put_path(root, path, data)
        result = root_after
    elif kind == OP_GET:
        result = keccak256(extcall store.get_path(root, keccak256(key)))
    else:
        root_after = extcall store.put_path(root, keccak256(key), data)
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
    @notice As `apply` with one op: its result, the gas of the store call (call overhead included) and the
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


@external
def relay(root: bytes32, reader: address) -> bytes32:
    """
    @notice Load the witness here, then have the harness `reader` (same store) read
            the first op's path in this transaction: keccak256 of the value it reads.
    """
    pos: uint256 = self._load(HEAD_BYTES + 32)
    path: bytes32 = extract32(slice(msg.data, pos + 5, 32), 0)
    return extcall Reader(reader).read(root, path)


@external
def read(root: bytes32, path: bytes32) -> bytes32:
    """
    @notice keccak256 of the value at `path` (the pool as it is: no witness loaded).
    """
    return keccak256(extcall store.get_path(root, path))
