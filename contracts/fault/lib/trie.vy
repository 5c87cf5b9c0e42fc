# pragma version 0.4.3
"""
@title trie
@notice The L2 state trie with writes, for the one-step verifier: reads, inserts,
        updates and deletes over a pool of trie nodes held in transient storage,
        giving exactly the roots `node/stf/mpt/trie.py` `Trie` gives (through
        `node/stf/backends.py::WitnessBackend`: `Trie.from_nodes(root, nodes)`, `get`,
        `set`, `delete`, `root_hash`).
@dev The pool maps keccak256(node) to the node's RLP, so a node is found by the hash
     its parent references it by and is authenticated by that lookup. `add_node` puts
     the witness in; every node a write creates goes in too (nodes of 32 bytes or
     more, and a new root of any length), so later reads and writes of the same
     transaction see them. A node the path needs that is not in the pool reverts
     "trie: missing node" (Python: `MissingTrieNode`); a tampered node has another
     hash, so it is missing too.

     Keys are raw state keys (`node/stf/keys.py`); the trie path is keccak256(key),
     64 nibbles (a secure trie). `get_path` / `put_path` / `delete_path` take the path
     itself (the test harness forces node shapes with them).

     Node checks (`_decode`) are those `node/stf/mpt/decode.py` makes when it loads a
     witness node: strict canonical RLP, embedded lists included; a branch has 17
     items, children empty, 32-byte hashes or embedded lists, a string value, two
     entries or more; a leaf or extension has a strict hex-prefix path, a leaf a
     non-empty string value, an extension a non-empty path and a branch child (a
     32-byte hash or an embedded 17-item list; a node reached through an extension
     must be a branch); an embedded node is under 32 bytes, a node referenced by hash
     32 bytes or more (the root excepted). Python checks every node reachable from
     the root when it builds the partial trie; this module checks the nodes it
     touches, a subset, so it refuses no witness Python accepts. A node of the pool is
     decoded once per transaction (`_node`: the result is kept in `_info` / `_aux`);
     a witness branch of hashes and empty items is decoded when it is added, and its
     children's hashes kept by slot (`_kids`), so a walk through it reads one word.

     Shapes no secure trie has (every key is 64 nibbles, so a branch never holds a
     value, no path ends at a branch, every leaf path ends at nibble 64): `get` reads
     them as Python does; `put` and `delete` revert on them ("trie: not a secure
     trie"), which only a root no sequence of writes produces can reach.

     Memory: values and leaves can be MAX_VALUE bytes long, and EVM memory is charged
     by the highest address touched, so buffers of that size are few and used only by
     the top-level functions (`get_path`, `put_path`, `delete_path`, `add_node`);
     the walk and the rebuild of branches and extensions (`_descend`, `_ascend`,
     ...) use buffers of a branch's size. Nodes up to SMALL_NODE bytes (all branches
     and extensions, and most leaves) are kept in one pool, longer leaves in another.
"""

import lib.rlp as rlp

# Values: the longest record encoding, with every scalar at its widest (a uint256 or
# int256, 32 bytes: the verifier's records cannot hold wider ones) and every list at its
# bound in `node/stf/params.py`. The longest is an Account with MAX_OPEN_ORDERS = 128
# order ids, MAX_POSITIONS = 64 positions and 64 order totals (7 scalars each):
#   3 (list header) + 3 * 33 (balance, nonce floor, nonce bitmap)
#   + 3 + 128 * 33 (open orders) + 3 + 64 * (2 + 33 + 33) (positions)
#   + 33 (loss index) + 3 + 64 * (2 + 7 * 33) (order totals) = 23,632 bytes.
# An Underlying (256 instruments, 16 surface points, a 32-byte name) is 10,766 bytes, a
# Mark 1,063. Rounded up to 24 KiB for margin; tests/fault/test_trie_vyper.py rebuilds the
# worst records with `node/stf/records.py` and checks that they fit.
MAX_VALUE: constant(uint256) = 24_576
# A leaf is at most 40 bytes more than its value (list header 3, hex-prefix path 1 + 33,
# value header 3); 64 leaves room for the encoders' buffer bounds.
MAX_NODE: constant(uint256) = MAX_VALUE + 64
# Nodes up to this size live in the small pool: every branch (16 hashes and an empty
# value: 532 bytes) and extension, and leaves with values up to about 500 bytes.
SMALL_NODE: constant(uint256) = 576
# A small node (or the first SMALL_NODE bytes of a long leaf) and 32 zero bytes.
HEAD: constant(uint256) = SMALL_NODE + 32
# Bounds of the branch and extension encodings built from them.
PAYLOAD: constant(uint256) = 2 * HEAD + 33
ENC: constant(uint256) = PAYLOAD + 9
# A leaf's list header, path and value header: what precedes its value.
LEAF_PREFIX: constant(uint256) = 2 * rlp.MAX_HEADER + 34
PATH_NIBBLES: constant(uint256) = 64
# Branches and extensions on a path: each consumes a nibble or more.
MAX_LEVELS: constant(uint256) = PATH_NIBBLES
BRANCH_ITEMS: constant(uint256) = 17
EMBED_LIMIT: constant(uint256) = 32

# keccak256(rlp(b"")): the root of the empty trie (`node/stf/mpt/trie.py::BLANK_ROOT`).
BLANK_ROOT: constant(bytes32) = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421

EMPTY_ITEM: constant(uint256) = 128  # 0x80: an empty child or value
HASH_ITEM: constant(uint256) = 160  # 0xa0: header of a 32-byte child reference
EMPTY_SLOTS: constant(Bytes[16]) = b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
ZERO_WORD: constant(bytes32) = empty(bytes32)

KIND_BRANCH: constant(uint256) = 0
KIND_EXTENSION: constant(uint256) = 1
KIND_LEAF: constant(uint256) = 2

# Where a walk down a path stops (`Bottom.kind`).
STOP_EMPTY: constant(uint256) = 0  # the trie is empty
STOP_SLOT: constant(uint256) = 1  # at an empty child slot of the last level (a branch)
STOP_LEAF: constant(uint256) = 2  # at a leaf (`Bottom.found`: it holds the path)
STOP_EXTENSION: constant(uint256) = 3  # at an extension whose path leaves the key's
STOP_BRANCH_END: constant(uint256) = 4  # the path ends at a branch (not in a secure trie)

# What a write does below the levels it rebuilds (`Plan.kind`).
PLAN_NONE: constant(uint256) = 0  # put: only the new leaf; delete: nothing changes
PLAN_EMPTY: constant(uint256) = 1  # delete: the trie becomes empty
PLAN_READY: constant(uint256) = 2  # `Plan.ref` is built
PLAN_MOVE: constant(uint256) = 3  # a leaf moves to another path (`Plan.src`, ...)

# A rebuilt branch of the first CACHED_LEVELS levels of a write's path is entered in
# `_info` as it is made (the next writes of a step start at the same root).
CACHED_LEVELS: constant(uint256) = 3
VALUE_FLAG: constant(uint256) = 1 << 16  # `Node.mask`: the branch holds a value
FIELD: constant(uint256) = 65535
# `_info`: the node is decoded (1), and its children's hashes are in `_kids` (KIDS).
DECODED: constant(uint256) = 1
KIDS: constant(uint256) = 2


struct Node:
    # A decoded, checked node. Offsets are into the node's encoding.
    kind: uint256
    offset: uint256  # first byte of the list's payload
    starts: uint256  # branch: start of item i (i < 16) in bits 16i..16i+15
    second: uint256  # branch: start of the value item; leaf / extension: of the second item
    mask: uint256  # branch: bit i set if child i is not empty; VALUE_FLAG if a value
    count: uint256  # leaf / extension: nibbles in the path
    bits: uint256  # leaf / extension: the path's nibbles as a number (if count <= 64)


struct Level:
    # A branch or extension a write's path passes through (`_descend` -> `_ascend`).
    # meta: kind | slot (branch) or path nibbles (extension) << 8 | slot item start << 16
    #       | slot item end << 32 | value item start << 48 | payload offset << 64
    #       | mask << 80
    meta: uint256
    bits: uint256  # extension: its path's nibbles; branch: `Node.starts`
    ref: Bytes[33]  # how its parent references it: 0xa0 ++ hash, or the node itself


struct Bottom:
    kind: uint256  # STOP_*
    depth: uint256  # levels recorded above it (STOP_SLOT: its branch included)
    pos: uint256  # nibbles of the path consumed above it (STOP_SLOT: the slot's too)
    ref: Bytes[33]  # its reference (STOP_LEAF, STOP_EXTENSION, STOP_BRANCH_END)
    node: Node
    child: Bytes[33]  # STOP_EXTENSION: the extension's child reference
    found: bool  # STOP_LEAF: the leaf holds the path


struct Plan:
    kind: uint256  # PLAN_*
    depth: uint256  # levels to rebuild above what is built here
    ref: Bytes[33]  # PLAN_READY: the node built (a put's sibling of the new leaf)
    src: Bytes[33]  # PLAN_MOVE: the leaf that moves, its value item start, new path
    second: uint256
    count: uint256
    bits: uint256
    ours_count: uint256  # put: the new leaf's path
    ours_bits: uint256
    fork: bool  # put: a branch takes the new leaf and the sibling (under an extension
    common: uint256  # of `common` nibbles, `common_bits`, if any)
    common_bits: uint256
    theirs_nibble: uint256
    ours_nibble: uint256


# keccak256(node) -> node, for nodes of at most SMALL_NODE bytes, and for longer ones.
_small: transient(HashMap[bytes32, Bytes[SMALL_NODE]])
_big: transient(HashMap[bytes32, Bytes[MAX_NODE]])
# The branches and extensions on the current write's path, root first.
_levels: transient(Level[MAX_LEVELS])
# keccak256(node) -> the node decoded and checked (`_node`): `_packed` of its `Node`
# (0: not yet), and its `starts` (a branch) or `bits` (a leaf or extension).
_info: transient(HashMap[bytes32, uint256])
_aux: transient(HashMap[bytes32, uint256])
# keccak256(branch) -> its children's hashes by slot (zero if empty; slot 16: a 32-byte
# value), for a witness branch whose items are all empty or hashes (`add_small`; `_info` has KIDS): a walk through it reads the
# one word it needs, not the branch.
_kids: transient(HashMap[bytes32, bytes32[BRANCH_ITEMS]])


# ---------------------------------------------------------------------------------
# The pool


@internal
def add_small(node: Bytes[SMALL_NODE], offset: uint256):
    """
    @notice Put one witness node of at most SMALL_NODE bytes in the pool, under
            keccak256(node) (`node/stf/mpt/trie.py::Trie.from_nodes`'s store); its
            list payload starts at `offset` (its header checked by the caller).
    @dev Nodes are checked when a path reaches them, not here: nothing here reverts.
         A branch whose 17 items are all empty (0x80) or hashes (0xa0 ++ 32 bytes),
         two of them or more, the list's payload exactly (what `_decode` accepts of
         such items, with the same result), is entered decoded in `_info` / `_aux`
         and its children's hashes in `_kids` now, while it is in memory. (Longer
         nodes go in `_big` from the caller, which holds them: passing them here
         would put a MAX_NODE buffer in every frame above this one.)
    """
    h: bytes32 = keccak256(node)
    self._small[h] = node
    n: uint256 = len(node)
    head: Bytes[HEAD] = concat(node, ZERO_WORD)
    pos: uint256 = offset
    starts: uint256 = 0
    second: uint256 = 0
    mask: uint256 = 0
    kids: bytes32[BRANCH_ITEMS] = empty(bytes32[BRANCH_ITEMS])
    for i: uint256 in range(BRANCH_ITEMS):
        if pos >= n:
            return
        b0: uint256 = convert(extract32(head, pos), uint256) >> 248
        starts |= pos << unsafe_mul(16, i)
        second = pos
        if b0 == HASH_ITEM:
            mask |= 1 << i
            kids[i] = extract32(head, unsafe_add(pos, 1))
            pos = unsafe_add(pos, 33)
        elif b0 == EMPTY_ITEM:
            pos = unsafe_add(pos, 1)
        else:
            return
    if pos != n or mask & (mask - 1) == 0:
        return
    self._info[h] = DECODED | KIDS | (offset << 16) | (second << 32) | (mask << 64)
    self._aux[h] = starts
    self._kids[h] = kids


# ---------------------------------------------------------------------------------
# Reading


@internal
def find(root: bytes32, path: bytes32) -> (bytes32, uint256, uint256, Bytes[SMALL_NODE]):
    """
    @notice The value at the trie path `path` (b"" if absent) if its leaf is short;
            else the hash of its leaf (in `_big`) and the value's offset and length in it.
    @dev Twin of `node/stf/mpt/trie.py::Trie.get`. Reverts "trie: missing node" when a
         node on the path is not in the pool, and on a malformed node.
    """
    b: Bottom = self._descend(root, path, False)
    if b.kind == STOP_LEAF and b.found or b.kind == STOP_BRANCH_END and b.node.mask & VALUE_FLAG != 0:
        head: Bytes[HEAD] = b""
        n: uint256 = 0
        head, n = self._fetch(b.ref, True)
        it: rlp.Item = rlp.header(extract32(head, b.node.second), b.node.second, n)
        if n > SMALL_NODE:
            return extract32(b.ref, 1), it.offset, it.length, b""
        return empty(bytes32), 0, 0, convert(slice(head, it.offset, it.length), Bytes[SMALL_NODE])
    return empty(bytes32), 0, 0, b""


@internal
@view
def is_long(ref: Bytes[33]) -> bool:
    """
    @notice Whether `ref` names a node in the long-node pool (`_big`).
    """
    return len(ref) == 33 and len(self._big[extract32(ref, 1)]) != 0


# ---------------------------------------------------------------------------------
# Writing: `plan`, then the new leaf (`short_leaf`, or the caller for a long value)
# and the moved leaf (`move_short`, or the caller for a long one), then `finish`.


@internal
def plan(root: bytes32, path: bytes32, size: uint256) -> Plan:
    """
    @notice What storing a value of `size` bytes (0: deleting) at the trie path `path`
            does below the levels it rebuilds, which are recorded in `_levels`.
    @dev The first half of `node/stf/mpt/trie.py::Trie.set` / `Trie.delete`. Reverts
         "trie: missing node" when the change needs a node the pool lacks: the nodes
         on the path and, when a delete collapses a branch, the sibling that moves up
         (Python resolves it too).
    """
    b: Bottom = self._descend(root, path, True)
    if size == 0:
        return self._plan_delete(b)
    return self._plan_put(b, convert(path, uint256))


@internal
def move_short(p: Plan) -> Bytes[33]:
    """
    @notice The reference of the leaf `p.src` (a short one) moved to the path `p.count`
            nibbles `p.bits` (`_split_leaf`, `_prepend`): the same value item.
    """
    head: Bytes[HEAD] = b""
    n: uint256 = 0
    head, n = self._fetch(p.src, True)
    return self._store_leaf(self.move_prefix(p, n), convert(slice(head, p.second, n - p.second), Bytes[SMALL_NODE]))


@internal
@pure
def move_prefix(p: Plan, n: uint256) -> Bytes[LEAF_PREFIX]:
    """
    @notice The list header and path of the leaf `p.src`, of `n` bytes, moved to the
            path of `p.count` nibbles `p.bits`: what precedes its value item.
    """
    hp: Bytes[34] = self._hp_item(p.count, p.bits, True)
    return concat(rlp.list_header(len(hp) + n - p.second), hp)


@internal
@pure
def leaf_prefix(p: Plan, size: uint256, low: bool) -> Bytes[LEAF_PREFIX]:
    """
    @notice What precedes the value in the new leaf of a put (`nodes.py::encode_node`
            of `Leaf(ours path, value)`): list header, path, value header (none for a
            single byte `low`, i.e. under 0x80).
    """
    hp: Bytes[34] = self._hp_item(p.ours_count, p.ours_bits, True)
    header: Bytes[rlp.MAX_HEADER] = b""
    if size != 1 or not low:
        header = rlp.string_header(size)
    return concat(rlp.list_header(len(hp) + len(header) + size), hp, header)


@internal
def short_leaf(p: Plan, data: Bytes[SMALL_NODE]) -> Bytes[33]:
    """
    @notice The reference of a put's new leaf holding `data` (short), stored.
    """
    low: bool = False
    if len(data) == 1:
        low = convert(convert(data, Bytes[1]), uint256) < EMPTY_ITEM
    return self._store_leaf(self.leaf_prefix(p, len(data), low), data)


@internal
def finish(p: Plan, moved: Bytes[33], ours: Bytes[33], delete: bool) -> bytes32:
    """
    @notice The new root: the split (if any) of the moved node `moved` and the new leaf
            `ours` (b"" for a delete), then the levels above rebuilt bottom up.
    @dev The second half of `Trie.set` / `Trie.delete`, then `Trie.root_hash`.
    """
    if delete:
        return self._ascend(p.depth, moved)
    if p.fork:
        return self._ascend(p.depth, self._fork(p, moved, ours))
    return self._ascend(p.depth, ours)


@internal
def _store_leaf(prefix: Bytes[LEAF_PREFIX], body: Bytes[SMALL_NODE + 3]) -> Bytes[33]:
    """
    @dev The reference to the new leaf `prefix ++ body` (`nodes.py::commit`): the leaf
         itself under 32 bytes, else 0xa0 ++ keccak256, the leaf going in the pool.
    """
    leaf: Bytes[SMALL_NODE + 3 + LEAF_PREFIX] = concat(prefix, body)
    n: uint256 = len(leaf)
    if n < EMBED_LIMIT:
        return convert(leaf, Bytes[33])
    h: bytes32 = keccak256(leaf)
    if n <= SMALL_NODE:
        self._small[h] = convert(leaf, Bytes[SMALL_NODE])
    else:
        self._big[h] = leaf
    return concat(b"\xa0", h)


# ---------------------------------------------------------------------------------
# Walking down, planning, rebuilding


@internal
def _descend(root: bytes32, path: bytes32, record: bool) -> Bottom:
    """
    @dev Walk from `root` along `path` to where the path stops (a leaf, an empty slot,
         an extension leaving the path), as `Trie.get` does, checking every node.
         With `record`, the branches and extensions passed are kept in `_levels`.
    """
    b: Bottom = empty(Bottom)
    if root == BLANK_ROOT:
        return b
    key: uint256 = convert(path, uint256)
    ref: Bytes[33] = concat(b"\xa0", root)
    pos: uint256 = 0
    depth: uint256 = 0
    after_extension: bool = False
    for _: uint256 in range(MAX_LEVELS + 1):
        head: Bytes[HEAD] = b""
        n: uint256 = 0
        node: Node = empty(Node)
        h: bytes32 = empty(bytes32)
        a: uint256 = 0
        if len(ref) == 33:
            h = extract32(ref, 1)
            a = self._info[h]
        if a & KIDS != 0:
            # a witness branch of hashes and empty items (`add_small`): a node of the
            # pool, 67 bytes or more; its child is read from `_kids`
            node = Node(kind=KIND_BRANCH, offset=(a >> 16) & 255, starts=self._aux[h], second=(a >> 32) & FIELD, mask=(a >> 64) & 262143, count=0, bits=0)
        else:
            head, n = self._fetch(ref, depth == 0)
            node = self._node(ref, head, n)
        assert not after_extension or node.kind == KIND_BRANCH, "trie: extension child is not a branch"
        b.ref = ref
        b.node = node
        b.depth = depth
        b.pos = pos
        if node.kind == KIND_LEAF:
            b.kind = STOP_LEAF
            b.found = node.count == PATH_NIBBLES - pos and node.bits == self._nibbles(key, pos, node.count)
            return b
        if node.kind == KIND_EXTENSION:
            child: Bytes[33] = slice(slice(head, node.second, 33), 0, n - node.second)
            if node.count > PATH_NIBBLES - pos or node.bits != self._nibbles(key, pos, node.count):
                b.kind = STOP_EXTENSION
                b.child = child
                return b
            if record:
                self._levels[depth] = Level(meta=KIND_EXTENSION | (node.count << 8), bits=node.bits, ref=ref)
            depth += 1
            pos += node.count
            ref = child
            after_extension = True
            continue
        if pos == PATH_NIBBLES:
            b.kind = STOP_BRANCH_END
            return b
        slot: uint256 = self._nibble(key, pos)
        start: uint256 = (node.starts >> (16 * slot)) & FIELD
        end: uint256 = node.second
        if slot < 15:
            end = (node.starts >> (16 * slot + 16)) & FIELD
        if record:
            self._levels[depth] = Level(
                meta=KIND_BRANCH | (slot << 8) | (start << 16) | (end << 32) | (node.second << 48)
                | (node.offset << 64) | (node.mask << 80),
                bits=node.starts,
                ref=ref,
            )
        depth += 1
        pos += 1
        if node.mask & (1 << slot) == 0:
            b.kind = STOP_SLOT
            b.depth = depth
            b.pos = pos
            return b
        if a & KIDS != 0:
            ref = concat(b"\xa0", self._kids[h][slot])
        else:
            ref = slice(slice(head, start, 33), 0, end - start)
        after_extension = False
    raise "trie: path too long"


@internal
def _plan_put(b: Bottom, key: uint256) -> Plan:
    """
    @dev What `Trie.set` does where `_descend` stopped: the new leaf replaces an empty
         slot, the empty trie or the leaf holding the key; a leaf or extension whose
         path leaves the key's after `common` nibbles becomes a branch holding it (the
         rest of it: `_split_leaf` / `_split_extension`) and the new leaf, under an
         extension of the `common` nibbles if there are any.
    """
    assert b.kind != STOP_BRANCH_END, "trie: not a secure trie"
    p: Plan = empty(Plan)
    p.depth = b.depth
    rest: uint256 = PATH_NIBBLES - b.pos
    if b.kind == STOP_EMPTY or b.kind == STOP_SLOT or b.found:
        p.ours_count = rest
        p.ours_bits = self._nibbles(key, b.pos, rest)
        return p
    count: uint256 = b.node.count
    if b.kind == STOP_LEAF:
        assert count == rest, "trie: not a secure trie"
    else:
        assert count < rest, "trie: not a secure trie"
    common: uint256 = self._common_prefix(b.node.bits, self._nibbles(key, b.pos, count), count)
    tail: uint256 = count - common - 1
    their_bits: uint256 = b.node.bits & ((1 << (4 * tail)) - 1)
    p.fork = True
    p.common = common
    p.common_bits = b.node.bits >> (4 * (count - common))
    p.theirs_nibble = (b.node.bits >> (4 * tail)) & 15
    p.ours_nibble = self._nibble(key, b.pos + common)
    p.ours_count = rest - common - 1
    p.ours_bits = self._nibbles(key, b.pos + common + 1, p.ours_count)
    if b.kind == STOP_LEAF:
        p.kind = PLAN_MOVE
        p.src = b.ref
        p.second = b.node.second
        p.count = tail
        p.bits = their_bits
    elif tail == 0:
        p.kind = PLAN_READY
        p.ref = b.child
    else:
        p.kind = PLAN_READY
        p.ref = self._commit(self._extension(tail, their_bits, b.child))
    return p


@internal
def _plan_delete(b: Bottom) -> Plan:
    """
    @dev What `Trie._delete` does where `_descend` stopped. Nothing if the path holds
         no value. Else the leaf's branch loses it; if one child is left, the branch
         collapses: that child moves up under the branch's nibble (`_prepend`: a leaf
         or extension absorbs it, a branch gets an extension), through the
         extensions above (which absorb it too).
    """
    p: Plan = empty(Plan)
    if b.kind == STOP_BRANCH_END:
        assert b.node.mask & VALUE_FLAG == 0, "trie: not a secure trie"
        return p
    if b.kind != STOP_LEAF or not b.found:
        return p
    if b.depth == 0:
        p.kind = PLAN_EMPTY
        return p
    d: uint256 = b.depth - 1
    lv: Level = self._levels[d]  # a branch: an extension's child is one
    slot: uint256 = (lv.meta >> 8) & 255
    mask: uint256 = lv.meta >> 80
    assert mask & VALUE_FLAG == 0, "trie: not a secure trie"
    left: uint256 = mask ^ (1 << slot)
    if left & (left - 1) != 0:  # two children or more are left
        p.kind = PLAN_READY
        p.depth = d
        p.ref = self._commit(self._branch_with(lv, b"\x80"))
        return p
    only: uint256 = 0
    for i: uint256 in range(16):
        if left == 1 << i:
            only = i
            break
    head: Bytes[HEAD] = b""
    n: uint256 = 0
    head, n = self._fetch(lv.ref, True)
    start: uint256 = (lv.bits >> (16 * only)) & FIELD
    end: uint256 = (lv.meta >> 48) & FIELD
    if only < 15:
        end = (lv.bits >> (16 * only + 16)) & FIELD
    sibling: Bytes[33] = slice(slice(head, start, 33), 0, end - start)
    head, n = self._fetch(sibling, False)
    node: Node = self._node(sibling, head, n)
    count: uint256 = 1
    bits: uint256 = only
    child: Bytes[33] = sibling
    if node.kind != KIND_BRANCH:
        bits = (only << (4 * node.count)) | node.bits
        count += node.count
    if node.kind == KIND_EXTENSION:
        child = slice(slice(head, node.second, 33), 0, n - node.second)
    for _: uint256 in range(MAX_LEVELS):
        if d == 0:
            break
        up: Level = self._levels[d - 1]
        if up.meta & 255 != KIND_EXTENSION:
            break
        bits = (up.bits << (4 * count)) | bits
        count += (up.meta >> 8) & 255
        d -= 1
    p.depth = d
    p.count = count
    p.bits = bits
    if node.kind == KIND_LEAF:
        p.kind = PLAN_MOVE
        p.src = sibling
        p.second = node.second
    else:
        p.kind = PLAN_READY
        p.ref = self._commit(self._extension(count, bits, child))
    return p


@internal
def _fork(p: Plan, theirs: Bytes[33], ours: Bytes[33]) -> Bytes[33]:
    """
    @dev The branch of a split (`_split_leaf` / `_split_extension`), under an
         extension of the shared nibbles if there are any.
    """
    ref: Bytes[33] = self._commit(self._branch2(p.theirs_nibble, theirs, p.ours_nibble, ours))
    if p.common != 0:
        ref = self._commit(self._extension(p.common, p.common_bits, ref))
    return ref


@internal
def _ascend(depth: uint256, ref: Bytes[33]) -> bytes32:
    """
    @dev Rebuild the first `depth` levels of `_levels` bottom up, the lowest one's
         child (slot, for a branch) becoming `ref`, and return the new root hash
         (`Trie.root_hash`: keccak256 of the root node, even one under 32 bytes, which
         is then put in the pool too).
    """
    r: Bytes[33] = ref
    d: uint256 = depth
    for _: uint256 in range(MAX_LEVELS):
        if d == 0:
            break
        d -= 1
        lv: Level = self._levels[d]
        if lv.meta & 255 == KIND_EXTENSION:
            r = self._commit(self._extension((lv.meta >> 8) & 255, lv.bits, r))
        else:
            # the top levels, which the step's next writes are likely to pass again
            same: bool = d < CACHED_LEVELS and len(r) == ((lv.meta >> 32) & FIELD) - ((lv.meta >> 16) & FIELD)
            r = self._commit(self._branch_with(lv, r))
            if same and len(r) == 33:
                # Its child replaced by one as long (so as empty or not): the items and
                # checks of the branch it replaces, so `_node` need not decode it.
                h: bytes32 = extract32(r, 1)
                self._info[h] = 1 | (((lv.meta >> 64) & FIELD) << 16) | (((lv.meta >> 48) & FIELD) << 32) | ((lv.meta >> 80) << 64)
                self._aux[h] = lv.bits
    if len(r) == 33:
        return extract32(r, 1)
    h: bytes32 = keccak256(r)
    self._small[h] = r
    return h


@internal
def _commit(enc: Bytes[ENC]) -> Bytes[33]:
    """
    @dev The reference to the new branch or extension `enc` (`nodes.py::commit`): the
         node itself under 32 bytes, else 0xa0 ++ keccak256, the node going in the pool.
    """
    if len(enc) < EMBED_LIMIT:
        return convert(enc, Bytes[33])
    h: bytes32 = keccak256(enc)
    self._small[h] = convert(enc, Bytes[SMALL_NODE])
    return concat(b"\xa0", h)


@internal
@view
def _branch_with(lv: Level, ref: Bytes[33]) -> Bytes[ENC]:
    """
    @dev The branch of level `lv` with the child at its slot replaced by `ref`.
    """
    head: Bytes[HEAD] = b""
    n: uint256 = 0
    head, n = self._fetch(lv.ref, True)
    start: uint256 = (lv.meta >> 16) & FIELD
    end: uint256 = (lv.meta >> 32) & FIELD
    offset: uint256 = (lv.meta >> 64) & FIELD
    payload: Bytes[PAYLOAD] = concat(slice(head, offset, start - offset), ref, slice(head, end, n - end))
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def _branch2(a: uint256, ref_a: Bytes[33], b: uint256, ref_b: Bytes[33]) -> Bytes[ENC]:
    """
    @dev A branch with children `ref_a` at slot `a` and `ref_b` at slot `b` (a != b).
    """
    lo: uint256 = a
    hi: uint256 = b
    ref_lo: Bytes[33] = ref_a
    ref_hi: Bytes[33] = ref_b
    if b < a:
        lo = b
        hi = a
        ref_lo = ref_b
        ref_hi = ref_a
    payload: Bytes[PAYLOAD] = concat(
        slice(EMPTY_SLOTS, 0, lo), ref_lo, slice(EMPTY_SLOTS, 0, hi - lo - 1), ref_hi,
        slice(EMPTY_SLOTS, 0, 15 - hi), b"\x80",
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def _extension(count: uint256, bits: uint256, child: Bytes[33]) -> Bytes[ENC]:
    """
    @dev An extension of the `count` nibbles `bits` over the branch `child`.
    """
    hp: Bytes[34] = self._hp_item(count, bits, False)
    return concat(rlp.list_header(len(hp) + len(child)), hp, child)


# ---------------------------------------------------------------------------------
# Nodes


@internal
@view
def _fetch(ref: Bytes[33], is_root: bool) -> (Bytes[HEAD], uint256):
    """
    @dev The node `ref` references (0xa0 ++ hash: from the pool; else the embedded node
         itself) followed by 32 zero bytes, and its length. Of a long leaf, only its
         first SMALL_NODE bytes (its path and the value's header are in them). Reverts
         if a hash is not in the pool, or (but for the root) names a node under 32
         bytes (`decode.py::_child`).
    """
    if len(ref) != 33:
        return concat(ref, ZERO_WORD), len(ref)
    h: bytes32 = extract32(ref, 1)
    n: uint256 = len(self._small[h])
    if n != 0:
        assert is_root or n >= EMBED_LIMIT, "trie: node under 32 bytes referenced by hash"
        return concat(self._small[h], ZERO_WORD), n
    n = len(self._big[h])
    assert n != 0, "trie: missing node"
    return concat(slice(self._big[h], 0, SMALL_NODE), ZERO_WORD), n


@internal
def _node(ref: Bytes[33], head: Bytes[HEAD], n: uint256) -> Node:
    """
    @dev `_decode` of the node `ref` references (`head`, `n`: `_fetch`'s), once per
         transaction for a node of the pool: its result is kept in `_info` / `_aux`.
    """
    if len(ref) != 33:
        return self._decode(head, n, False)
    h: bytes32 = extract32(ref, 1)
    a: uint256 = self._info[h]
    if a != 0:
        x: uint256 = self._aux[h]
        kind: uint256 = (a >> 8) & 255
        if kind == KIND_BRANCH:
            return Node(kind=kind, offset=(a >> 16) & 255, starts=x, second=(a >> 32) & FIELD, mask=(a >> 64) & 262143, count=0, bits=0)
        return Node(kind=kind, offset=(a >> 16) & 255, starts=0, second=(a >> 32) & FIELD, mask=0, count=(a >> 96) & FIELD, bits=x)
    node: Node = self._decode(head, n, True)
    self._info[h] = 1 | (node.kind << 8) | (node.offset << 16) | (node.second << 32) | (node.mask << 64) | (node.count << 96)
    self._aux[h] = node.starts | node.bits
    return node


@internal
@pure
def _decode(head: Bytes[HEAD], n: uint256, nested: bool) -> Node:
    """
    @dev Decode and check the node of `n` bytes whose first bytes (then 32 zero bytes)
         are `head`, as `node/stf/mpt/decode.py` `decode_rlp` and `classify` do. With
         `nested` (a node from the pool), embedded lists among its items are checked to
         be canonical RLP; an embedded node was, with its parent. Hashes (0xa0) and
         empty strings (0x80), most items of a branch, are decoded inline by the rules
         of `rlp.header`; other items go through it. Items must lie in `head`: only a
         leaf can be longer than SMALL_NODE bytes (`extract32` reverts past it). Every
         refusal is "trie: malformed node" (Python: `BadProof`); the checks are
         gathered in `ok` and made once, so a failing node may read on first.
    """
    top: rlp.Item = rlp.header(extract32(head, 0), 0, n)
    ok: bool = top.is_list and top.end == n
    pos: uint256 = top.offset
    count: uint256 = 0
    starts: uint256 = 0  # item i's start in bits 16i..16i+15 (i < 16)
    last: uint256 = 0  # the last item's start
    mask: uint256 = 0
    bad: bool = False  # as a branch: a child neither empty, a hash nor a node, or a list value
    for _: uint256 in range(BRANCH_ITEMS):
        if pos >= n:
            break
        w: bytes32 = extract32(head, pos)
        b0: uint256 = convert(w, uint256) >> 248
        starts |= pos << unsafe_mul(16, count)
        last = pos
        if b0 == HASH_ITEM:
            pos = unsafe_add(pos, 33)
            mask |= 1 << count
        elif b0 == EMPTY_ITEM:
            pos = unsafe_add(pos, 1)
        else:
            it: rlp.Item = rlp.header(w, pos, n)
            if it.is_list:
                size: uint256 = it.end - pos
                ok = ok and size < EMBED_LIMIT
                if nested and it.length != 0 and size < EMBED_LIMIT:
                    rlp.validate(slice(concat(b"", w), 0, size), 0, size)
                bad = bad or count == 16
            else:
                bad = bad or count < 16
            mask |= 1 << count
            pos = it.end
        count = unsafe_add(count, 1)
    # more items than a branch's, or the last one past the end: pos != n
    ok = ok and pos == n
    if count == BRANCH_ITEMS:
        assert ok and not bad and mask & (mask - 1) != 0, "trie: malformed node"
        return Node(kind=KIND_BRANCH, offset=top.offset, starts=starts, second=last, mask=mask, count=0, bits=0)
    assert ok and count == 2, "trie: malformed node"
    second: uint256 = last
    path: rlp.Item = rlp.header(extract32(head, top.offset), top.offset, n)
    other: rlp.Item = rlp.header(extract32(head, second), second, n)
    lead: uint256 = convert(extract32(head, path.offset), uint256) >> 248
    flag: uint256 = lead >> 4
    ok = not path.is_list and path.length != 0 and flag <= 3 and (flag & 1 == 1 or lead & 15 == 0)
    nibbles: uint256 = 2 * path.length - 2 + (flag & 1)
    bits: uint256 = 0
    if ok and nibbles <= PATH_NIBBLES:
        if flag & 1 == 1:
            bits = (convert(extract32(head, path.offset), uint256) << 4) >> (256 - 4 * nibbles)
        else:
            bits = convert(extract32(head, path.offset + 1), uint256) >> (256 - 4 * nibbles)
    if flag >= 2:
        assert ok and not other.is_list and other.length != 0, "trie: malformed node"
        return Node(kind=KIND_LEAF, offset=top.offset, starts=0, second=second, mask=0, count=nibbles, bits=bits)
    ok = ok and nibbles != 0
    if other.is_list:
        at: uint256 = other.offset
        items: uint256 = 0
        for _: uint256 in range(BRANCH_ITEMS + 1):
            if at == other.end:
                break
            at = rlp.header(extract32(head, at), at, other.end).end
            items += 1
        ok = ok and items == BRANCH_ITEMS and at == other.end
    else:
        ok = ok and other.length == 32
    assert ok, "trie: malformed node"
    return Node(kind=KIND_EXTENSION, offset=top.offset, starts=0, second=second, mask=0, count=nibbles, bits=bits)


# ---------------------------------------------------------------------------------
# Paths


@internal
@pure
def _hp_item(count: uint256, bits: uint256, leaf: bool) -> Bytes[34]:
    """
    @dev RLP of the hex-prefix encoding of the `count` nibbles `bits` (count <= 64),
         as `node/stf/mpt/nibbles.py::hex_prefix` and `nodes.py::encode_bytes`.
    """
    flag: uint256 = 0
    if leaf:
        flag = 2
    hp: Bytes[33] = b""
    if count % 2 == 1:
        size: uint256 = (count + 1) // 2
        hp = slice(convert((((flag + 1) << (4 * count)) | bits) << (256 - 8 * size), bytes32), 0, size)
    elif count == PATH_NIBBLES:
        hp = concat(slice(convert(flag << 4, bytes32), 31, 1), convert(bits, bytes32))
    else:
        size: uint256 = count // 2 + 1
        hp = slice(convert(((flag << (4 * count + 4)) | bits) << (256 - 8 * size), bytes32), 0, size)
    if len(hp) == 1:
        return hp  # one byte under 0x80 (the flag nibble is at most 3): its own RLP
    return concat(slice(convert(128 + len(hp), bytes32), 31, 1), hp)


@internal
@pure
def _nibble(key: uint256, pos: uint256) -> uint256:
    """
    @dev Nibble `pos` (< 64) of the 64-nibble path `key`.
    """
    return (key >> (252 - 4 * pos)) & 15


@internal
@pure
def _nibbles(key: uint256, pos: uint256, count: uint256) -> uint256:
    """
    @dev The `count` nibbles of `key` from nibble `pos` as a number (pos + count <= 64).
    """
    return (key << (4 * pos)) >> (256 - 4 * count)


@internal
@pure
def _common_prefix(a: uint256, b: uint256, count: uint256) -> uint256:
    """
    @dev Length of the common prefix of two paths of `count` nibbles
         (`nibbles.py::common_prefix_length`).
    """
    x: uint256 = a ^ b
    for i: uint256 in range(PATH_NIBBLES):
        if i == count:
            break
        if (x >> (4 * (count - 1 - i))) & 15 != 0:
            return i
    return count
