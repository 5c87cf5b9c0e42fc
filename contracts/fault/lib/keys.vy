# pragma version 0.4.3
"""
@title keys
@notice The state key layout of `node/stf/keys.py`: a one-byte prefix and fixed-width
        big-endian fields (the trie path of a key is keccak256(key): `trie.vy`).
@dev A field too wide for its width reverts (uint32 / uint64 conversion), where Python's
     `int.to_bytes` raises OverflowError: the STF never builds such a key on a reachable
     state (ids and prices are range-checked before a key is built).
"""

GLOBALS: constant(Bytes[1]) = b"\x00"
CONFIG: constant(Bytes[1]) = b"\x03"

P_ACCOUNT: constant(uint256) = 1
P_UNDERLYING: constant(uint256) = 4
P_INSTRUMENT: constant(uint256) = 5
P_MARK: constant(uint256) = 6
P_SERIES: constant(uint256) = 7
P_LEVEL: constant(uint256) = 8
P_ORDER: constant(uint256) = 9
P_CLIENT_ORDER: constant(uint256) = 10
P_WITHDRAWAL: constant(uint256) = 11
P_SETTLEMENT: constant(uint256) = 12
P_AUCTION: constant(uint256) = 13

U64_MAX: constant(uint256) = 2**64 - 1
MAX_KEY: constant(uint256) = 29  # the longest key: client_order (1 + 20 + 8)


@internal
@pure
def account(a: address) -> Bytes[21]:
    """
    @notice Twin of `node/stf/keys.py::account`.
    """
    return concat(b"\x01", convert(a, bytes20))


@internal
@pure
def underlying(underlying_id: uint256) -> Bytes[5]:
    """
    @notice Twin of `node/stf/keys.py::underlying`.
    """
    return concat(b"\x04", self._u32(underlying_id))


@internal
@pure
def instrument(instrument_id: uint256) -> Bytes[5]:
    """
    @notice Twin of `node/stf/keys.py::instrument`.
    """
    return concat(b"\x05", self._u32(instrument_id))


@internal
@pure
def mark(instrument_id: uint256) -> Bytes[5]:
    """
    @notice Twin of `node/stf/keys.py::mark`.
    """
    return concat(b"\x06", self._u32(instrument_id))


@internal
@pure
def series(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool) -> Bytes[22]:
    """
    @notice Twin of `node/stf/keys.py::series`.
    """
    flag: Bytes[1] = b"\x00"
    if is_call:
        flag = b"\x01"
    return concat(b"\x07", self._u32(underlying_id), self._u64(expiry), self._u64(strike_e6), flag)


@internal
@pure
def level_rank(side: uint256, price_e6: uint256) -> uint256:
    """
    @notice Twin of `node/stf/keys.py::level_rank`: smaller is better (asks: low price;
            bids: high price). Reverts for a bid above U64_MAX (Python's rank is negative
            there and `level` raises).
    """
    if side == 1:
        return price_e6
    return U64_MAX - price_e6


@internal
@pure
def level_prefix(instrument_id: uint256, side: uint256) -> Bytes[6]:
    """
    @notice Twin of `node/stf/keys.py::level_prefix`.
    """
    return concat(b"\x08", self._u32(instrument_id), slice(convert(convert(side, uint8), bytes32), 31, 1))


@internal
@pure
def level(instrument_id: uint256, side: uint256, price_e6: uint256) -> Bytes[14]:
    """
    @notice Twin of `node/stf/keys.py::level`.
    """
    return concat(self.level_prefix(instrument_id, side), self._u64(self.level_rank(side, price_e6)))


@internal
@pure
def price_of_level_key(key: Bytes[14]) -> uint256:
    """
    @notice Twin of `node/stf/keys.py::price_of_level_key` (the inverse of `level`).
    """
    assert len(key) == 14, "keys: not a level key"
    side: uint256 = convert(slice(key, 5, 1), uint256)
    rank: uint256 = convert(slice(key, 6, 8), uint256)
    if side == 1:
        return rank
    return U64_MAX - rank


@internal
@pure
def order(order_id: uint256) -> Bytes[9]:
    """
    @notice Twin of `node/stf/keys.py::order`.
    """
    return concat(b"\x09", self._u64(order_id))


@internal
@pure
def client_order(a: address, client_order_id: uint256) -> Bytes[29]:
    """
    @notice Twin of `node/stf/keys.py::client_order`.
    """
    return concat(b"\x0a", convert(a, bytes20), self._u64(client_order_id))


@internal
@pure
def withdrawal(index: uint256) -> Bytes[9]:
    """
    @notice Twin of `node/stf/keys.py::withdrawal`.
    """
    return concat(b"\x0b", self._u64(index))


@internal
@pure
def settlement(underlying_id: uint256, expiry: uint256) -> Bytes[13]:
    """
    @notice Twin of `node/stf/keys.py::settlement`.
    """
    return concat(b"\x0c", self._u32(underlying_id), self._u64(expiry))


@internal
@pure
def auction(a: address) -> Bytes[21]:
    """
    @notice Twin of `node/stf/keys.py::auction`.
    """
    return concat(b"\x0d", convert(a, bytes20))


@internal
@pure
def _u32(x: uint256) -> bytes4:
    return convert(convert(x, uint32), bytes4)


@internal
@pure
def _u64(x: uint256) -> bytes8:
    return convert(convert(x, uint64), bytes8)
