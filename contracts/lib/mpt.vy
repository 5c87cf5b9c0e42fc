# pragma version 0.4.3
"""
@title mpt
@notice Verification of Merkle Patricia proofs (inclusion and absence) against a state
        root, exactly as `node/stf/mpt/proof.py` `verify_proof` does.
@dev The L2 state is a secure trie: a state key's path is `keccak256(key)`. `verify`
     takes that 32-byte path (as `verify_proof` takes its already-hashed key);
     `verify_key` hashes a raw state key first.

     A proof is the list of RLP nodes along the path from the root, as `Trie.get_proof`
     returns them. Nodes embedded in their parent (RLP under 32 bytes) may appear as
     their own proof item or be left out. Every node on the path is fully checked, as
     the Python verifier checks it: strict canonical RLP (`rlp.validate`), a branch has
     17 items, children that are empty, 32-byte hashes or embedded lists, a string value
     and at least two entries; a leaf or extension has a strict hex-prefix path, a leaf a
     non-empty value, an extension a non-empty path and a branch child (hash or embedded
     17-item list); a node referenced by hash is 32 bytes or longer, an embedded one
     shorter; the proof carries no node past the end of the path. Where the Python
     verifier raises `BadProof` this reverts ("mpt: ..." or "rlp: ..."); where it returns
     None this returns `(False, b"")`; where it returns a value, `(True, value)`.

     RLP is decoded as pyrlp's reference (pure-Python) decoder does. The rusty-rlp
     backend `rlp.decode` uses in the node is laxer in one case: it drops an item that
     runs past the end of its enclosing list while staying inside the outer one; such a
     node (never produced by a trie, and only reachable under a hand-made root) reverts
     here while `verify_proof` may accept it.

     Bounds (calldata and memory are sized by them; memory expansion grows with them):
     - MAX_NODE = 532 bytes per proof item: the largest branch of the secure trie (16
       hashes of 33 bytes, an empty value, a 3-byte list header). All keys have 32 bytes,
       so no branch holds a value. A leaf holds up to 3 + 34 + 3 + 492 bytes, so values
       up to 492 bytes can be proven (a Withdrawal record has at most 110 bytes; Account
       records with many orders or positions can be longer and cannot be proven here).
     - MAX_DEPTH = 24 proof items. A trie of n random paths is about log16(n) + 1 nodes
       deep (6 for 100,000 keys, 9 for 4 billion); a path d nodes deep needs another key
       sharing d - 1 nibbles with it, so pushing one past 24 nodes takes some 2**92
       keccak evaluations of grinding. Python accepts up to 65 (one per nibble and a
       last node); 65 would cost about 4,000 more gas of memory on every call.

     Gas (py-evm, Prague, vyper 0.4.3 -O gas; `bench/bench_mpt_l1.py`): a withdrawal's
     inclusion proof in a 100,000-key secure trie (6 nodes) costs about 64,000
     execution gas through the test harness (ABI decoding included), an absence proof
     about 56,000; about 9,000 per full branch node, most of it walking its 17 items.
"""

from . import rlp

MAX_NODE: constant(uint256) = 532
MAX_DEPTH: constant(uint256) = 24
MAX_VALUE: constant(uint256) = MAX_NODE
MAX_KEY: constant(uint256) = 128
PATH_NIBBLES: constant(uint256) = 64
EMBED_LIMIT: constant(uint256) = 32
HASH_LENGTH: constant(uint256) = 32
BRANCH_ITEMS: constant(uint256) = 17

# keccak256(rlp(b"")): the root of the empty trie.
BLANK_ROOT: constant(bytes32) = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421

# An item of a node packed in a word (see `_pack`).
LENGTH_MASK: constant(uint256) = 2**64 - 1
FIELD_MASK: constant(uint256) = 2**64 - 1
OFFSET_SHIFT: constant(uint256) = 64
START_SHIFT: constant(uint256) = 128
LIST_FLAG: constant(uint256) = 2**192

EMPTY_STRING: constant(uint256) = 128  # 0x80, an empty child
HASH_STRING: constant(uint256) = 160  # 0xa0, header of a 32-byte child reference

KIND_BRANCH: constant(uint256) = 0
KIND_EXTENSION: constant(uint256) = 1
KIND_LEAF: constant(uint256) = 2


@internal
@pure
def verify_key(
    root: bytes32, key: Bytes[MAX_KEY], proof: DynArray[Bytes[MAX_NODE], MAX_DEPTH]
) -> (bool, Bytes[MAX_VALUE]):
    """
    @notice `verify` for the raw state key `key` (its path is `keccak256(key)`).
    """
    return self.verify(root, keccak256(key), proof)


@internal
@pure
def verify(
    root: bytes32, path: bytes32, proof: DynArray[Bytes[MAX_NODE], MAX_DEPTH]
) -> (bool, Bytes[MAX_VALUE]):
    """
    @notice The value at `path` under `root` according to `proof`.
    @param root The trie's root hash.
    @param path The 64-nibble path (keccak256 of the state key in the secure trie).
    @param proof RLP nodes from the root along the path.
    @return found False if the proof shows the path holds no value.
    @return value The value (empty when not found).
    @dev Reverts if the proof is malformed, does not match `root`, stops early or has
         items past the end of the path.
    """
    if root == BLANK_ROOT:
        assert len(proof) == 0, "mpt: nodes in a proof against the empty root"
        return False, b""
    assert len(proof) != 0, "mpt: empty proof"
    index: uint256 = 0
    node: Bytes[MAX_NODE] = proof[0]
    assert keccak256(node) == root, "mpt: first node does not hash to the root"
    padded: Bytes[MAX_NODE + 32] = concat(node, empty(bytes32))
    top: rlp.Item = rlp.header(extract32(padded, 0), 0, len(node))
    assert top.end == len(node), "rlp: trailing bytes"
    key: uint256 = convert(path, uint256)
    pos: uint256 = 0
    nested: bool = True
    after_extension: bool = False
    found: bool = False
    value: uint256 = 0
    done: bool = False
    # Each turn consumes at least one nibble or ends the walk.
    for _: uint256 in range(PATH_NIBBLES + 1):
        slot: uint256 = BRANCH_ITEMS
        if pos < PATH_NIBBLES:
            slot = (key >> (252 - 4 * pos)) & 15
        kind: uint256 = 0
        first: uint256 = 0
        second: uint256 = 0
        kind, first, second = self._node(padded, top, slot, nested)
        assert not after_extension or kind == KIND_BRANCH, "mpt: extension child is not a branch"
        after_extension = kind == KIND_EXTENSION
        child: uint256 = 0
        if kind == KIND_LEAF:
            nibbles: uint256 = 0
            bits: uint256 = 0
            nibbles, bits = self._hex_prefix(padded, first)
            if nibbles == PATH_NIBBLES - pos and bits == self._key_nibbles(key, pos, nibbles):
                found = True
                value = second
            done = True
            break
        elif kind == KIND_EXTENSION:
            ext_nibbles: uint256 = 0
            ext_bits: uint256 = 0
            ext_nibbles, ext_bits = self._hex_prefix(padded, first)
            if ext_nibbles > PATH_NIBBLES - pos or ext_bits != self._key_nibbles(key, pos, ext_nibbles):
                done = True
                break
            pos += ext_nibbles
            child = second
        else:
            if pos == PATH_NIBBLES:
                value = self._pack(rlp.header(extract32(padded, second), second, top.end))
                found = value & LENGTH_MASK != 0
                done = True
                break
            pos += 1
            lead: uint256 = convert(extract32(padded, first), uint256) >> 248
            if lead == EMPTY_STRING:
                done = True
                break
            if lead == HASH_STRING:
                child = (first + 1) << OFFSET_SHIFT
            else:
                child = self._pack(rlp.header(extract32(padded, first), first, top.end))
        if child & LIST_FLAG != 0:
            # Embedded: authenticated by its parent; may also come as the next item.
            start: uint256 = (child >> START_SHIFT) & FIELD_MASK
            offset: uint256 = (child >> OFFSET_SHIFT) & FIELD_MASK
            length: uint256 = child & LENGTH_MASK
            size: uint256 = offset + length - start
            assert size < EMBED_LIMIT, "mpt: embedded node of 32 bytes or more"
            if index + 1 < len(proof):
                if len(proof[index + 1]) == size:
                    if proof[index + 1] == slice(node, start, size):
                        index += 1
            top = rlp.Item(is_list=True, start=start, offset=offset, length=length, end=offset + length)
            nested = False  # its parent was validated through
            continue
        index += 1
        assert index < len(proof), "mpt: proof ends before the path does"
        assert keccak256(proof[index]) == extract32(padded, (child >> OFFSET_SHIFT) & FIELD_MASK), "mpt: node does not match its reference"
        node = proof[index]
        assert len(node) >= EMBED_LIMIT, "mpt: node under 32 bytes referenced by hash"
        padded = concat(node, empty(bytes32))
        top = rlp.header(extract32(padded, 0), 0, len(node))
        assert top.end == len(node), "rlp: trailing bytes"
        nested = True
    assert done, "mpt: path too long"
    assert index + 1 == len(proof), "mpt: nodes past the end of the path"
    if not found:
        return False, b""
    return True, slice(node, (value >> OFFSET_SHIFT) & FIELD_MASK, value & LENGTH_MASK)


@internal
@pure
def _node(padded: Bytes[MAX_NODE + 32], item: rlp.Item, slot: uint256, nested: bool) -> (uint256, uint256, uint256):
    """
    @dev Decode and check the node `item` of `padded` (a proof item and 32 zero bytes) as
         `node.stf.mpt.decode.classify` does, in one pass over its items. Returns its
         kind and, for a branch, where the child at `slot` (BRANCH_ITEMS: none) and the
         value start; for a leaf or an extension, its path and its value or child,
         packed (see `_pack`). With `nested`, lists among the items are validated
         through (`rlp.validate`); an embedded node was, with its parent.
         Hashes (0xa0) and empty strings (0x80), most items of a branch, are decoded
         inline by the rules of `rlp.header`; other items go through it. Offsets are
         below 2**10, so the unsafe additions cannot overflow.
    """
    assert item.is_list, "mpt: node is not a list"
    pos: uint256 = item.offset
    limit: uint256 = item.end
    count: uint256 = 0
    used: uint256 = 0
    bad_branch: bool = False
    first: uint256 = 0
    second: uint256 = 0
    picked: uint256 = 0
    last: uint256 = 0
    for _: uint256 in range(BRANCH_ITEMS + 1):
        if pos == limit:
            break
        assert count < BRANCH_ITEMS, "mpt: node is neither a branch, a leaf nor an extension"
        b0: uint256 = convert(extract32(padded, pos), uint256) >> 248
        last = pos
        if count == slot:
            picked = pos
        if count == 0:
            first = pos
        elif count == 1:
            second = pos
        if b0 == HASH_STRING:
            pos = unsafe_add(pos, 33)
            assert pos <= limit, "rlp: item out of bounds"
            used = unsafe_add(used, 1)
        elif b0 == EMPTY_STRING:
            pos = unsafe_add(pos, 1)
        else:
            it: rlp.Item = rlp.header(extract32(padded, pos), pos, limit)
            if it.is_list:
                if nested and it.length != 0:
                    rlp.validate(padded, it.start, it.end)
                if count == 16:
                    bad_branch = True
            elif count < 16:
                bad_branch = True  # neither empty nor a hash
            used = unsafe_add(used, 1)
            pos = it.end
        count = unsafe_add(count, 1)
    if count == BRANCH_ITEMS:
        assert not bad_branch, "mpt: branch child is neither empty, a hash nor a node"
        assert used >= 2, "mpt: branch with fewer than two entries"
        return KIND_BRANCH, picked, last
    assert count == 2, "mpt: node is neither a branch, a leaf nor an extension"
    path: rlp.Item = rlp.header(extract32(padded, first), first, limit)
    other: rlp.Item = rlp.header(extract32(padded, second), second, limit)
    assert not path.is_list, "mpt: node path is not a string"
    assert path.length != 0, "mpt: empty hex-prefix path"
    lead: uint256 = convert(extract32(padded, path.offset), uint256) >> 248
    flag: uint256 = lead >> 4
    assert flag <= 3, "mpt: bad hex-prefix flag"
    if flag & 1 == 0:
        assert lead & 15 == 0, "mpt: non-zero hex-prefix padding"
    if flag >= 2:
        assert not other.is_list and other.length != 0, "mpt: leaf value must be a non-empty string"
        return KIND_LEAF, self._pack(path), self._pack(other)
    assert flag == 1 or path.length > 1, "mpt: extension with an empty path"
    if other.is_list:
        assert self._count_items(padded, other) == BRANCH_ITEMS, "mpt: extension child is not a branch"
    else:
        assert other.length == HASH_LENGTH, "mpt: extension child is not a branch"
    return KIND_EXTENSION, self._pack(path), self._pack(other)


@internal
@pure
def _pack(it: rlp.Item) -> uint256:
    """
    @dev An item in one word: payload length in bits 0..63, payload offset in 64..127,
         first header byte in 128..191, LIST_FLAG if a list.
    """
    packed: uint256 = (it.start << START_SHIFT) | (it.offset << OFFSET_SHIFT) | it.length
    if it.is_list:
        packed |= LIST_FLAG
    return packed


@internal
@pure
def _count_items(padded: Bytes[MAX_NODE + 32], list_item: rlp.Item) -> uint256:
    """
    @dev Items in the (validated) list `list_item`, counting up to BRANCH_ITEMS + 1.
    """
    pos: uint256 = list_item.offset
    count: uint256 = 0
    for _: uint256 in range(BRANCH_ITEMS + 1):
        if pos == list_item.end:
            break
        pos = rlp.header(extract32(padded, pos), pos, list_item.end).end
        count += 1
    return count


@internal
@pure
def _hex_prefix(padded: Bytes[MAX_NODE + 32], path: uint256) -> (uint256, uint256):
    """
    @dev Nibble count of the (checked) hex-prefix path `path` (a packed string item) and,
         if at most 64, its nibbles as a number (first nibble most significant).
    """
    offset: uint256 = (path >> OFFSET_SHIFT) & FIELD_MASK
    odd: bool = (convert(extract32(padded, offset), uint256) >> 252) & 1 == 1
    nibbles: uint256 = 2 * (path & LENGTH_MASK) - 2
    if odd:
        nibbles += 1
    if nibbles > PATH_NIBBLES:
        return nibbles, 0
    if odd:
        return nibbles, (convert(extract32(padded, offset), uint256) << 4) >> (256 - 4 * nibbles)
    return nibbles, convert(extract32(padded, offset + 1), uint256) >> (256 - 4 * nibbles)


@internal
@pure
def _key_nibbles(key: uint256, pos: uint256, count: uint256) -> uint256:
    """
    @dev The `count` nibbles of `key` from nibble `pos` as a number (pos + count <= 64).
    """
    return (key << (4 * pos)) >> (256 - 4 * count)
