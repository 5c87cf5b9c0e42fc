# pragma version 0.4.3
"""
@title mpt / rlp / withdrawal test harness
@notice Exposes `lib/mpt.vy`, `lib/rlp.vy` and `lib/withdrawal.vy` externally for the
        differential tests against `node/stf/mpt` and the gas benchmark. Not deployed
        outside tests.
"""

import lib.mpt as mpt
import lib.rlp as rlp
import lib.withdrawal as withdrawal


@external
@pure
def verify(
    root: bytes32, path: bytes32, proof: DynArray[Bytes[mpt.MAX_NODE], mpt.MAX_DEPTH]
) -> (bool, Bytes[mpt.MAX_VALUE]):
    return mpt.verify(root, path, proof)


@external
@pure
def verify_key(
    root: bytes32, key: Bytes[mpt.MAX_KEY], proof: DynArray[Bytes[mpt.MAX_NODE], mpt.MAX_DEPTH]
) -> (bool, Bytes[mpt.MAX_VALUE]):
    return mpt.verify_key(root, key, proof)


@external
@pure
def rlp_validate(buf: Bytes[rlp.MAX_BUF]) -> bool:
    rlp.validate(buf, 0, len(buf))
    return True


@external
@pure
def rlp_item_at(buf: Bytes[rlp.MAX_BUF], pos: uint256, limit: uint256) -> rlp.Item:
    return rlp.item_at(buf, pos, limit)


@external
@pure
def rlp_list_items(buf: Bytes[rlp.MAX_BUF]) -> DynArray[rlp.Item, rlp.MAX_LIST]:
    return rlp.list_items(buf, rlp.item_at(buf, 0, len(buf)))


@external
@pure
def rlp_encode_uint(x: uint256) -> Bytes[rlp.MAX_UINT_RLP]:
    return rlp.encode_uint(x)


@external
@pure
def rlp_encode_address(a: address) -> Bytes[rlp.ADDRESS_RLP]:
    return rlp.encode_address(a)


@external
@pure
def rlp_list_header(length: uint256) -> Bytes[rlp.MAX_HEADER]:
    return rlp.list_header(length)


@external
@pure
def rlp_string_header(length: uint256) -> Bytes[rlp.MAX_HEADER]:
    return rlp.string_header(length)


@external
@pure
def withdrawal_key(index: uint64) -> Bytes[withdrawal.KEY_LENGTH]:
    return withdrawal.key(index)


@external
@pure
def withdrawal_path(index: uint64) -> bytes32:
    return withdrawal.path(index)


@external
@pure
def withdrawal_encode(
    sender: address, recipient: address, amount_e6: uint256, block_number: uint256
) -> Bytes[withdrawal.MAX_RECORD]:
    return withdrawal.encode(sender, recipient, amount_e6, block_number)


@external
@pure
def withdrawal_verify(
    root: bytes32,
    index: uint64,
    sender: address,
    recipient: address,
    amount_e6: uint256,
    block_number: uint256,
    proof: DynArray[Bytes[mpt.MAX_NODE], mpt.MAX_DEPTH],
) -> bool:
    return withdrawal.verify(root, index, sender, recipient, amount_e6, block_number, proof)
