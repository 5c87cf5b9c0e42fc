# pragma version 0.4.3
"""
@title trie store
@notice The L2 state trie with writes, deployed once for the one-step verifier: a pool
        of trie nodes in this contract's transient storage, and reads and writes over it
        (twins of `node/stf/mpt/trie.py::Trie` as `node/stf/backends.py::WitnessBackend`
        uses it).
@dev The verifier calls `add_nodes` with a step's witness, then the step's family reads
     and writes through `get_path` / `put_path`; the trie path of a raw state key
     (`node/stf/keys.py`) is keccak256(key) (a secure trie), hashed by the caller.
     The pool is content-addressed (keccak256(node) -> node, the hash computed here), so
     nodes added by any caller in the same transaction cannot make a path resolve to
     another node than the one its parent's hash names. No root is kept here: callers
     pass roots. The rules are in `lib/trie.vy`.

     Memory: an external `Bytes` argument is copied to memory on entry, above the frames
     of the internal functions it calls; `add_nodes` therefore touches nothing above it
     and reads the nodes from the calldata itself (`_load`), so its memory is the
     witness's length, not MAX_BLOB.
"""

import fault.lib.trie as trie
import lib.rlp as rlp

initializes: trie

# A step's witness, RLP nodes concatenated (bytes).
MAX_BLOB: constant(uint256) = 1_048_576
# Calldata windows: a small node is read at once, a long leaf in pieces of this size.
WINDOW: constant(uint256) = trie.SMALL_NODE
WORD: constant(uint256) = 32


@external
def add_nodes(blob: Bytes[MAX_BLOB]):
    """
    @notice Put the RLP nodes concatenated in `blob` in the pool, each under its
            keccak256 (twin of `node/stf/mpt/trie.py::Trie.from_nodes`'s store).
    @dev Reverts if an item of `blob` is not an RLP list, runs past its end, or is longer
         than trie.MAX_NODE. Nodes are checked when a path reaches them.
    """
    self._load(len(blob))  # no temporary here: it would sit above `blob`


@external
def get_path(root: bytes32, path: bytes32) -> Bytes[trie.MAX_VALUE]:
    """
    @notice The value at trie path `path` under `root` (b"" if absent).
    @dev Twin of `node/stf/mpt/trie.py::Trie.get`. Reverts "trie: missing node" when
         the pool lacks a node the path needs. A short value comes back through the
         library's small frames, a long one is read here (see the notes on memory).
    """
    h: bytes32 = empty(bytes32)
    offset: uint256 = 0
    length: uint256 = 0
    value: Bytes[trie.SMALL_NODE] = b""
    h, offset, length, value = trie.find(root, path)
    if h == empty(bytes32):
        return value
    return convert(slice(trie._big[h], offset, length), Bytes[trie.MAX_VALUE])


@external
def put_path(root: bytes32, path: bytes32, data: Bytes[trie.MAX_VALUE]) -> bytes32:
    """
    @notice The root after storing `data` at `path` under `root` (b"" deletes).
    @dev Twin of `Trie.set` / `Trie.delete`, then `Trie.root_hash`. The nodes it creates
         go in the pool. Short values and leaves are handled in the library's small
         frames; the long ones here, inline (see the module's notes on memory).
    """
    size: uint256 = len(data)
    p: trie.Plan = trie.plan(root, path, size)
    if p.kind == trie.PLAN_NONE and size == 0:
        return root
    if p.kind == trie.PLAN_EMPTY:
        return trie.BLANK_ROOT
    moved: Bytes[33] = p.ref
    ours: Bytes[33] = b""
    long_move: bool = False
    if p.kind == trie.PLAN_MOVE:
        long_move = trie.is_long(p.src)
        if not long_move:
            moved = trie.move_short(p)
    if size != 0 and size <= trie.SMALL_NODE:
        ours = trie.short_leaf(p, convert(data, Bytes[trie.SMALL_NODE]))
    if long_move:
        h: bytes32 = extract32(p.src, 1)
        n: uint256 = len(trie._big[h])
        leaf: Bytes[trie.MAX_NODE + trie.LEAF_PREFIX] = concat(trie.move_prefix(p, n), slice(trie._big[h], p.second, n - p.second))
        h = keccak256(leaf)
        if len(leaf) <= trie.SMALL_NODE:
            trie._small[h] = convert(leaf, Bytes[trie.SMALL_NODE])
        else:
            trie._big[h] = convert(leaf, Bytes[trie.MAX_NODE])
        moved = concat(b"\xa0", h)
    if size > trie.SMALL_NODE:
        ours_leaf: Bytes[trie.MAX_NODE + trie.LEAF_PREFIX] = concat(trie.leaf_prefix(p, size, False), data)
        h: bytes32 = keccak256(ours_leaf)
        trie._big[h] = convert(ours_leaf, Bytes[trie.MAX_NODE])
        ours = concat(b"\xa0", h)
    return trie.finish(p, moved, ours, size == 0)


@internal
def _load(size: uint256):
    """
    @dev Add the `size` bytes of nodes of `add_nodes`'s `blob`, read from the calldata:
         they start after its ABI offset (at byte 4) and its length word.
    """
    total: uint256 = len(msg.data)
    start: uint256 = convert(slice(msg.data, 4, WORD), uint256) + 4 + WORD
    end: uint256 = start + size
    assert end <= total, "trie: witness past the calldata"
    pos: uint256 = start
    for _: uint256 in range(MAX_BLOB):
        if pos == end:
            break
        at: uint256 = min(pos, total - WORD)
        word: bytes32 = convert(convert(extract32(slice(msg.data, at, WORD), 0), uint256) << (8 * (pos - at)), bytes32)
        item: rlp.Item = rlp.header(word, pos, end)
        assert item.is_list, "trie: witness item is not a list"
        n: uint256 = item.end - pos
        if n <= trie.SMALL_NODE:
            trie.add_small(self._small_node(pos, n, total), item.offset - pos)
        else:
            assert n <= trie.MAX_NODE, "trie: witness node too long"
            self._add_long(pos, n)
        pos = item.end


@internal
@view
def _small_node(pos: uint256, n: uint256, total: uint256) -> Bytes[trie.SMALL_NODE]:
    """
    @dev Calldata bytes [pos, pos + n), n <= SMALL_NODE: one window if the calldata is
         long enough, else word by word.
    """
    if total >= WINDOW:
        at: uint256 = min(pos, total - WINDOW)
        return slice(slice(msg.data, at, WINDOW), pos - at, n)
    out: Bytes[trie.SMALL_NODE] = b""
    q: uint256 = pos
    for _: uint256 in range(WINDOW // WORD):
        if q == pos + n:
            break
        take: uint256 = min(WORD, pos + n - q)
        at: uint256 = min(q, total - WORD)
        out = convert(concat(out, slice(slice(msg.data, at, WORD), q - at, take)), Bytes[trie.SMALL_NODE])
        q += take
    return out


@internal
def _add_long(pos: uint256, n: uint256):
    """
    @dev Put the node in calldata bytes [pos, pos + n), SMALL_NODE < n <= MAX_NODE, in
         the long-node pool (read in windows of WINDOW bytes: the calldata is longer).
         It is stored here, not returned, so no MAX_NODE buffer is in `_load`'s frame.
    """
    total: uint256 = len(msg.data)
    out: Bytes[trie.MAX_NODE] = b""
    q: uint256 = pos
    for _: uint256 in range(trie.MAX_NODE // WINDOW + 1):
        if q == pos + n:
            break
        take: uint256 = min(WINDOW, pos + n - q)
        at: uint256 = min(q, total - WINDOW)
        out = convert(concat(out, slice(slice(msg.data, at, WINDOW), q - at, take)), Bytes[trie.MAX_NODE])
        q += take
    trie._big[keccak256(out)] = out
