# pragma version 0.4.3
"""
@title state
@notice The state a step reads and writes: the current root (transient storage) over
        `trie.vy`, raw `get` / `put`, and typed accessors per record, twins of what
        `node/stf/state.py::State` does with `records.py` (`get`: decode, absent = None;
        `put`: encode; `delete`: remove the key).
@dev Call `begin(pre_root)` first. Every `put` / `delete` writes through to the trie and
     moves `root()`; a read after a write sees it (Python's cache does the same, and the
     root after `commit_block` depends only on the final key-value set, not on the order
     of writes). `get_<record>` returns `(False, empty(<Record>))` for an absent key: the
     caller applies Python's default for absence (e.g. `Account()`, all zero, is
     `empty(Account)`; Python code reading `Globals` or `Config` never finds them absent
     after genesis). Decoding reverts on a value that is not a canonical encoding
     (`records.vy`): never the case in a state the STF reached.
"""

from fault.lib import trie
from fault.lib import records
from fault.lib import keys

uses: trie

MAX_VALUE: constant(uint256) = trie.MAX_VALUE

_root: transient(bytes32)


@internal
def begin(pre_root: bytes32):
    """
    @notice Start a step from the state root `pre_root`.
    """
    self._root = pre_root


@internal
@view
def root() -> bytes32:
    """
    @notice The state root after the writes so far.
    """
    return self._root


@internal
def get(key: Bytes[trie.MAX_KEY]) -> Bytes[MAX_VALUE]:
    """
    @notice The raw value under `key` (`b""` when absent): `StateBackend.get`.
    """
    return trie.get(self._root, key)


@internal
def put(key: Bytes[trie.MAX_KEY], raw: Bytes[MAX_VALUE]):
    """
    @notice Store `raw` under `key` (`b""` deletes it).
    """
    self._root = trie.put(self._root, key, raw)


@internal
def get_globals() -> (bool, records.Globals):
    """
    @notice `State.get(keys.GLOBALS)`: (found, the Globals).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.GLOBALS)
    if len(raw) == 0:
        return False, empty(records.Globals)
    return True, records.decode_globals(raw)


@internal
def put_globals(rec: records.Globals):
    """
    @notice `State.put(keys.GLOBALS, rec)`.
    """
    self._root = trie.put(self._root, keys.GLOBALS, records.encode_globals(rec))


@internal
def get_config() -> (bool, records.Config):
    """
    @notice `State.get(keys.CONFIG)`: (found, the Config).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.CONFIG)
    if len(raw) == 0:
        return False, empty(records.Config)
    return True, records.decode_config(raw)


@internal
def put_config(rec: records.Config):
    """
    @notice `State.put(keys.CONFIG, rec)`.
    """
    self._root = trie.put(self._root, keys.CONFIG, records.encode_config(rec))


@internal
def get_account(owner: address) -> (bool, records.Account):
    """
    @notice `State.get(keys.account(owner))`: (found, the Account).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.account(owner))
    if len(raw) == 0:
        return False, empty(records.Account)
    return True, records.decode_account(raw)


@internal
def put_account(owner: address, rec: records.Account):
    """
    @notice `State.put(keys.account(owner), rec)`.
    """
    self._root = trie.put(self._root, keys.account(owner), records.encode_account(rec))


@internal
def delete_account(owner: address):
    """
    @notice `State.delete(keys.account(owner))`.
    """
    self._root = trie.put(self._root, keys.account(owner), b"")


@internal
def get_underlying(underlying_id: uint256) -> (bool, records.Underlying):
    """
    @notice `State.get(keys.underlying(underlying_id))`: (found, the Underlying).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.underlying(underlying_id))
    if len(raw) == 0:
        return False, empty(records.Underlying)
    return True, records.decode_underlying(raw)


@internal
def put_underlying(underlying_id: uint256, rec: records.Underlying):
    """
    @notice `State.put(keys.underlying(underlying_id), rec)`.
    """
    self._root = trie.put(self._root, keys.underlying(underlying_id), records.encode_underlying(rec))


@internal
def delete_underlying(underlying_id: uint256):
    """
    @notice `State.delete(keys.underlying(underlying_id))`.
    """
    self._root = trie.put(self._root, keys.underlying(underlying_id), b"")


@internal
def get_instrument(instrument_id: uint256) -> (bool, records.Instrument):
    """
    @notice `State.get(keys.instrument(instrument_id))`: (found, the Instrument).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.instrument(instrument_id))
    if len(raw) == 0:
        return False, empty(records.Instrument)
    return True, records.decode_instrument(raw)


@internal
def put_instrument(instrument_id: uint256, rec: records.Instrument):
    """
    @notice `State.put(keys.instrument(instrument_id), rec)`.
    """
    self._root = trie.put(self._root, keys.instrument(instrument_id), records.encode_instrument(rec))


@internal
def delete_instrument(instrument_id: uint256):
    """
    @notice `State.delete(keys.instrument(instrument_id))`.
    """
    self._root = trie.put(self._root, keys.instrument(instrument_id), b"")


@internal
def get_mark(instrument_id: uint256) -> (bool, records.Mark):
    """
    @notice `State.get(keys.mark(instrument_id))`: (found, the Mark).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.mark(instrument_id))
    if len(raw) == 0:
        return False, empty(records.Mark)
    return True, records.decode_mark(raw)


@internal
def put_mark(instrument_id: uint256, rec: records.Mark):
    """
    @notice `State.put(keys.mark(instrument_id), rec)`.
    """
    self._root = trie.put(self._root, keys.mark(instrument_id), records.encode_mark(rec))


@internal
def delete_mark(instrument_id: uint256):
    """
    @notice `State.delete(keys.mark(instrument_id))`.
    """
    self._root = trie.put(self._root, keys.mark(instrument_id), b"")


@internal
def get_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool) -> (bool, records.SeriesIndex):
    """
    @notice `State.get(keys.series(underlying_id, expiry, strike_e6, is_call))`: (found, the SeriesIndex).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.series(underlying_id, expiry, strike_e6, is_call))
    if len(raw) == 0:
        return False, empty(records.SeriesIndex)
    return True, records.decode_series_index(raw)


@internal
def put_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool, rec: records.SeriesIndex):
    """
    @notice `State.put(keys.series(underlying_id, expiry, strike_e6, is_call), rec)`.
    """
    self._root = trie.put(self._root, keys.series(underlying_id, expiry, strike_e6, is_call), records.encode_series_index(rec))


@internal
def delete_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool):
    """
    @notice `State.delete(keys.series(underlying_id, expiry, strike_e6, is_call))`.
    """
    self._root = trie.put(self._root, keys.series(underlying_id, expiry, strike_e6, is_call), b"")


@internal
def get_level(instrument_id: uint256, side: uint256, price_e6: uint256) -> (bool, records.Level):
    """
    @notice `State.get(keys.level(instrument_id, side, price_e6))`: (found, the Level).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.level(instrument_id, side, price_e6))
    if len(raw) == 0:
        return False, empty(records.Level)
    return True, records.decode_level(raw)


@internal
def put_level(instrument_id: uint256, side: uint256, price_e6: uint256, rec: records.Level):
    """
    @notice `State.put(keys.level(instrument_id, side, price_e6), rec)`.
    """
    self._root = trie.put(self._root, keys.level(instrument_id, side, price_e6), records.encode_level(rec))


@internal
def delete_level(instrument_id: uint256, side: uint256, price_e6: uint256):
    """
    @notice `State.delete(keys.level(instrument_id, side, price_e6))`.
    """
    self._root = trie.put(self._root, keys.level(instrument_id, side, price_e6), b"")


@internal
def get_order(order_id: uint256) -> (bool, records.Order):
    """
    @notice `State.get(keys.order(order_id))`: (found, the Order).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.order(order_id))
    if len(raw) == 0:
        return False, empty(records.Order)
    return True, records.decode_order(raw)


@internal
def put_order(order_id: uint256, rec: records.Order):
    """
    @notice `State.put(keys.order(order_id), rec)`.
    """
    self._root = trie.put(self._root, keys.order(order_id), records.encode_order(rec))


@internal
def delete_order(order_id: uint256):
    """
    @notice `State.delete(keys.order(order_id))`.
    """
    self._root = trie.put(self._root, keys.order(order_id), b"")


@internal
def get_client_order_index(owner: address, client_order_id: uint256) -> (bool, records.ClientOrderIndex):
    """
    @notice `State.get(keys.client_order(owner, client_order_id))`: (found, the ClientOrderIndex).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.client_order(owner, client_order_id))
    if len(raw) == 0:
        return False, empty(records.ClientOrderIndex)
    return True, records.decode_client_order_index(raw)


@internal
def put_client_order_index(owner: address, client_order_id: uint256, rec: records.ClientOrderIndex):
    """
    @notice `State.put(keys.client_order(owner, client_order_id), rec)`.
    """
    self._root = trie.put(self._root, keys.client_order(owner, client_order_id), records.encode_client_order_index(rec))


@internal
def delete_client_order_index(owner: address, client_order_id: uint256):
    """
    @notice `State.delete(keys.client_order(owner, client_order_id))`.
    """
    self._root = trie.put(self._root, keys.client_order(owner, client_order_id), b"")


@internal
def get_withdrawal(index: uint256) -> (bool, records.Withdrawal):
    """
    @notice `State.get(keys.withdrawal(index))`: (found, the Withdrawal).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.withdrawal(index))
    if len(raw) == 0:
        return False, empty(records.Withdrawal)
    return True, records.decode_withdrawal(raw)


@internal
def put_withdrawal(index: uint256, rec: records.Withdrawal):
    """
    @notice `State.put(keys.withdrawal(index), rec)`.
    """
    self._root = trie.put(self._root, keys.withdrawal(index), records.encode_withdrawal(rec))


@internal
def delete_withdrawal(index: uint256):
    """
    @notice `State.delete(keys.withdrawal(index))`.
    """
    self._root = trie.put(self._root, keys.withdrawal(index), b"")


@internal
def get_settlement_price(underlying_id: uint256, expiry: uint256) -> (bool, records.SettlementPrice):
    """
    @notice `State.get(keys.settlement(underlying_id, expiry))`: (found, the SettlementPrice).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.settlement(underlying_id, expiry))
    if len(raw) == 0:
        return False, empty(records.SettlementPrice)
    return True, records.decode_settlement_price(raw)


@internal
def put_settlement_price(underlying_id: uint256, expiry: uint256, rec: records.SettlementPrice):
    """
    @notice `State.put(keys.settlement(underlying_id, expiry), rec)`.
    """
    self._root = trie.put(self._root, keys.settlement(underlying_id, expiry), records.encode_settlement_price(rec))


@internal
def delete_settlement_price(underlying_id: uint256, expiry: uint256):
    """
    @notice `State.delete(keys.settlement(underlying_id, expiry))`.
    """
    self._root = trie.put(self._root, keys.settlement(underlying_id, expiry), b"")


@internal
def get_auction(owner: address) -> (bool, records.Auction):
    """
    @notice `State.get(keys.auction(owner))`: (found, the Auction).
    """
    raw: Bytes[MAX_VALUE] = trie.get(self._root, keys.auction(owner))
    if len(raw) == 0:
        return False, empty(records.Auction)
    return True, records.decode_auction(raw)


@internal
def put_auction(owner: address, rec: records.Auction):
    """
    @notice `State.put(keys.auction(owner), rec)`.
    """
    self._root = trie.put(self._root, keys.auction(owner), records.encode_auction(rec))


@internal
def delete_auction(owner: address):
    """
    @notice `State.delete(keys.auction(owner))`.
    """
    self._root = trie.put(self._root, keys.auction(owner), b"")
