# pragma version 0.4.3
"""
@title withdrawal
@notice The L2 state entry of a withdrawal, for the L1 portal: its state key, its trie
        path and its canonical record, and a check of a Merkle proof of it.
@dev Mirrors `node/stf/keys.py` `withdrawal(index)` (0x0b || index as 8 bytes, big
     endian) and `node/stf/records.py` `Withdrawal.encode()`: the RLP list
     [sender (20 bytes), recipient (20 bytes), amount_e6, block_number], integers as
     minimal big-endian strings (0 is the empty string). The state trie is secure: the
     entry's path is keccak256 of its key. Reverts are prefixed "withdrawal:" (and
     "mpt:" / "rlp:" from the proof check).
"""

from . import mpt
from . import rlp

KEY_PREFIX: constant(bytes1) = 0x0b
KEY_LENGTH: constant(uint256) = 9
# Record payload: two 21-byte addresses, two integers of up to 33 bytes.
MAX_PAYLOAD: constant(uint256) = 2 * rlp.ADDRESS_RLP + 2 * rlp.MAX_UINT_RLP
# Type bound of a record (a real one has at most 110 bytes: the list header takes 2).
MAX_RECORD: constant(uint256) = rlp.MAX_HEADER + MAX_PAYLOAD


@internal
@pure
def key(index: uint64) -> Bytes[KEY_LENGTH]:
    """
    @notice The L2 state key of withdrawal number `index`.
    """
    return concat(KEY_PREFIX, convert(index, bytes8))


@internal
@pure
def path(index: uint64) -> bytes32:
    """
    @notice The trie path of withdrawal number `index` (keccak256 of its key).
    """
    return keccak256(self.key(index))


@internal
@pure
def encode(sender: address, recipient: address, amount_e6: uint256, block_number: uint256) -> Bytes[MAX_RECORD]:
    """
    @notice The canonical record (the trie leaf's value) of a withdrawal.
    """
    payload: Bytes[MAX_PAYLOAD] = concat(
        rlp.encode_address(sender),
        rlp.encode_address(recipient),
        rlp.encode_uint(amount_e6),
        rlp.encode_uint(block_number),
    )
    return concat(rlp.list_header(len(payload)), payload)


@internal
@pure
def verify(
    root: bytes32,
    index: uint64,
    sender: address,
    recipient: address,
    amount_e6: uint256,
    block_number: uint256,
    proof: DynArray[Bytes[mpt.MAX_NODE], mpt.MAX_DEPTH],
) -> bool:
    """
    @notice Whether `proof` shows that, under the state root `root`, withdrawal number
            `index` is exactly this record.
    @return False if the proof shows no withdrawal `index`, or a different record.
    @dev Reverts if the proof is malformed or does not match `root` (see `mpt.verify`).
    """
    found: bool = False
    value: Bytes[mpt.MAX_VALUE] = b""
    found, value = mpt.verify(root, self.path(index), proof)
    if not found:
        return False
    return value == self.encode(sender, recipient, amount_e6, block_number)
