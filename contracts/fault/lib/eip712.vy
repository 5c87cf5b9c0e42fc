# pragma version 0.4.3
"""
@title eip712
@notice EIP-712 signing digests of transaction bodies and sender recovery: twin of
        node/stf/eip712.py (digests) and node/stf/recover.py (recovery rules).
@dev A body is given as its fields in wire order (`tx_codec.Decoded.fields`: unsigned
     integers and booleans as uint256, addresses as uint160) plus, for an OracleUpdate,
     its surface. `hashStruct` is `keccak256(typeHash || one 32-byte word per member)`
     where a `VolPoint[]` member is `keccak256` of its elements' `hashStruct`s; so a
     body's words are exactly its field values (int64 members occur only inside a
     VolPoint, sign-extended as int256 words).

     Recovery (`recover`) accepts exactly what recover.py does: `y_parity` in {0, 1},
     `r` in [1, n), `s` in [1, n // 2] (low-s), then the `ecrecover` precompile, which
     answers the zero address where libsecp256k1 finds no public key (r not an
     x-coordinate, or the recovered point at infinity). A key whose address is zero
     (a keccak preimage of 20 zero bytes) would be refused here and accepted in Python:
     no such key is known, and finding one is a 2**160 search.
"""

from . import tx_types

DOMAIN_TYPE_HASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
NAME_HASH: constant(bytes32) = keccak256("OptRollup")
VERSION_HASH: constant(bytes32) = keccak256("1")

PLACE_ORDER_TYPE_HASH: constant(bytes32) = keccak256(
    "PlaceOrder(uint64 nonce,uint32 instrumentId,uint8 side,uint64 priceE6,uint64 sizeE6,"
    "uint8 timeInForce,bool reduceOnly,uint64 clientOrderId,uint64 expiry)"
)
CANCEL_ORDER_TYPE_HASH: constant(bytes32) = keccak256(
    "CancelOrder(uint64 nonce,uint64 orderId,uint64 clientOrderId)"
)
CANCEL_ALL_TYPE_HASH: constant(bytes32) = keccak256("CancelAll(uint64 nonce,uint32 instrumentId)")
WITHDRAW_TYPE_HASH: constant(bytes32) = keccak256(
    "Withdraw(uint64 nonce,uint64 amountE6,address recipient)"
)
VOL_POINT_TYPE_HASH: constant(bytes32) = keccak256(
    "VolPoint(uint64 expiry,uint64 atmVolE6,int64 skewE6,uint64 curvatureE6)"
)
ORACLE_UPDATE_TYPE_HASH: constant(bytes32) = keccak256(
    "OracleUpdate(uint64 nonce,uint32 underlyingId,uint64 sequence,uint64 observationTime,"
    "uint64 indexPriceE6,VolPoint[] surface)"
    "VolPoint(uint64 expiry,uint64 atmVolE6,int64 skewE6,uint64 curvatureE6)"
)
LIST_INSTRUMENT_TYPE_HASH: constant(bytes32) = keccak256(
    "ListInstrument(uint64 nonce,uint32 underlyingId,uint64 expiry,uint64 strikeE6,bool isCall,"
    "uint64 tickSizeE6,uint64 minSizeE6)"
)
LIQUIDATE_TYPE_HASH: constant(bytes32) = keccak256(
    "Liquidate(uint64 nonce,address account,uint32 instrumentId,uint64 sizeE6)"
)
SETTLE_TYPE_HASH: constant(bytes32) = keccak256(
    "Settle(uint64 nonce,address account,uint32 instrumentId)"
)

SECP256K1_N: constant(uint256) = 115792089237316195423570985008687907852837564279074904382605163141518161494337  # the curve order
SECP256K1_HALF_N: constant(uint256) = SECP256K1_N >> 1


@internal
@pure
def domain_separator(chain_id: uint256, verifying_contract: address) -> bytes32:
    """
    @notice hashStruct(EIP712Domain{"OptRollup", "1", chain_id, verifying_contract}).
    @dev Twin of eip712.py::Domain.separator (records.Config.domain's two fields).
    """
    return keccak256(
        abi_encode(DOMAIN_TYPE_HASH, NAME_HASH, VERSION_HASH, chain_id, verifying_contract)
    )


@internal
@pure
def type_hash(kind: uint256) -> bytes32:
    """
    @notice The EIP-712 type hash of signed envelope type `kind` (eip712.py::TYPE_HASHES);
            empty for a deposit or an unknown type.
    """
    if kind == tx_types.PLACE_ORDER:
        return PLACE_ORDER_TYPE_HASH
    if kind == tx_types.CANCEL_ORDER:
        return CANCEL_ORDER_TYPE_HASH
    if kind == tx_types.CANCEL_ALL:
        return CANCEL_ALL_TYPE_HASH
    if kind == tx_types.WITHDRAW:
        return WITHDRAW_TYPE_HASH
    if kind == tx_types.ORACLE_UPDATE:
        return ORACLE_UPDATE_TYPE_HASH
    if kind == tx_types.LIST_INSTRUMENT:
        return LIST_INSTRUMENT_TYPE_HASH
    if kind == tx_types.LIQUIDATE:
        return LIQUIDATE_TYPE_HASH
    if kind == tx_types.SETTLE:
        return SETTLE_TYPE_HASH
    return empty(bytes32)


@internal
@pure
def surface_hash(surface: DynArray[tx_types.VolPoint, tx_types.MAX_SURFACE_POINTS]) -> bytes32:
    """
    @notice The `VolPoint[]` member word: keccak256 of the points' hashStructs, in order.
    """
    words: bytes32[tx_types.MAX_SURFACE_POINTS] = empty(bytes32[tx_types.MAX_SURFACE_POINTS])
    for i: uint256 in range(len(surface), bound=tx_types.MAX_SURFACE_POINTS):
        p: tx_types.VolPoint = surface[i]
        words[i] = keccak256(
            abi_encode(VOL_POINT_TYPE_HASH, p.expiry, p.atm_vol_e6, p.skew_e6, p.curvature_e6)
        )
    return keccak256(slice(abi_encode(words), 0, 32 * len(surface)))


@internal
@pure
def struct_hash(
    kind: uint256,
    fields: uint256[tx_types.MAX_FIELDS],
    count: uint256,
    surface: DynArray[tx_types.VolPoint, tx_types.MAX_SURFACE_POINTS],
) -> bytes32:
    """
    @notice hashStruct of the body of signed type `kind` whose first `count` fields in wire
            order are `fields` (eip712.py::hash_struct). For an OracleUpdate the surface
            word replaces field 5.
    """
    words: uint256[tx_types.MAX_FIELDS] = fields
    if kind == tx_types.ORACLE_UPDATE:
        words[5] = convert(self.surface_hash(surface), uint256)
    return keccak256(slice(abi_encode(self.type_hash(kind), words), 0, 32 + 32 * count))


@internal
@pure
def signing_digest(separator: bytes32, struct_hash_: bytes32) -> bytes32:
    """
    @notice keccak256(0x19 0x01 || domainSeparator || hashStruct) (eip712.py::signing_digest).
    """
    return keccak256(concat(b"\x19\x01", separator, struct_hash_))


@internal
@pure
def scalars_ok(y_parity: uint256, r: uint256, s: uint256) -> bool:
    """
    @notice recover.py::check_signature_scalars without raising: y_parity in {0, 1},
            r in [1, n), s in [1, n // 2].
    """
    return y_parity <= 1 and r != 0 and r < SECP256K1_N and s != 0 and s <= SECP256K1_HALF_N


@internal
@view
def recover(digest: bytes32, y_parity: uint256, r: uint256, s: uint256) -> address:
    """
    @notice The signer of `digest`, or the zero address where recover.py::recover_sender
            raises BadSignature (scalars out of range, high s, no public key).
    """
    if not self.scalars_ok(y_parity, r, s):
        return empty(address)
    return ecrecover(digest, y_parity + 27, r, s)
