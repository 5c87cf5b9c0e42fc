# pragma version 0.4.3
"""
@title state
@notice The state a step reads and writes, twin of `node/stf/state.py::State` over
        `node/stf/backends.py::WitnessBackend`: reads at the step's base root through the
        deployed trie store (`trie_store.vy`), writes buffered and applied by `commit` in
        Python's order; raw `get` / `put`, and typed accessors per record (`get`: decode,
        absent = not found; `put`: encode; `delete`: remove the key).
@dev Call `begin(pre_root, store)` first. Every `put` / `delete` goes to a write buffer in
     transient storage (key -> value, and the list of written keys); a read sees the
     buffered value of a written key, else the trie at the base root (`State.get`'s cache
     does the same). `commit()` is `State.commit_block()` + `WitnessBackend.apply`: every
     written key (an unchanged value or a delete of an absent key too: Python's dirty set
     keeps them) is applied in ascending raw-key byte order through `put_path`, so the
     writes need exactly the witness nodes Python's did (another order may need a node of
     a branch a delete collapsed, which the witness lacks). `get_<record>` returns
     `(False, empty(<Record>))` for an absent key: the caller applies Python's default for
     absence (e.g. `Account()`, all zero, is `empty(Account)`; Python code reading `Globals`
     or `Config` never finds them absent after genesis). Decoding reverts on a value that
     is not a canonical encoding (`records.vy`): never the case in a state the STF reached.

     Module state is transient only, so every contract that initializes this module (a
     family entry and the pieces it DELEGATECALLs) has the same slots: a piece reads and
     writes the buffer its entry began.
"""

import fault.trie_store_iface as TrieStore
from fault.lib import records
from fault.lib import keys

MAX_VALUE: constant(uint256) = records.MAX_VALUE
MAX_KEY: constant(uint256) = keys.MAX_KEY
# Keys one step may write (a fill writes ~8: two accounts, an order, a level, a client
# index, globals, an auction). A dirty key is packed in one word: the key left-aligned in
# bytes 0-30, its length in byte 31 (keys are at most 29 bytes), so word order is the
# keys' byte order (a proper prefix, zero-padded, ties and is first by length).
MAX_DIRTY: constant(uint256) = 64

_store: transient(address)
_base: transient(bytes32)
_dirty: transient(DynArray[uint256, MAX_DIRTY])
_written: transient(HashMap[bytes32, bool])  # keccak256(key) -> written in this step
_value: transient(HashMap[bytes32, Bytes[MAX_VALUE]])  # keccak256(key) -> buffered raw value


@internal
def begin(pre_root: bytes32, store: address):
    """
    @notice Start a step from the state root `pre_root` over the trie store at `store`
            (the witness already in its pool); forget any buffered write.
    """
    self._forget()
    self._store = store
    self._base = pre_root


@internal
def _forget():
    for w: uint256 in self._dirty:
        self._written[keccak256(self._unpack(w))] = False
    self._dirty = []


@internal
@pure
def _unpack(w: uint256) -> Bytes[32]:
    return slice(convert(w, bytes32), 0, w & 255)


@internal
@view
def root() -> bytes32:
    """
    @notice The committed state root (`State.root()`: the step's base root before
            `commit`, the new root after it).
    """
    return self._base


@internal
@view
def store() -> address:
    """
    @notice The trie store this step reads and writes through.
    """
    return self._store


@internal
def get(key: Bytes[MAX_KEY]) -> Bytes[MAX_VALUE]:
    """
    @notice The raw value under `key` (`b""` when absent): `State.get` before decoding
            (the buffered write, else `WitnessBackend.get` at the base root).
    """
    path: bytes32 = keccak256(key)
    if self._written[path]:
        return self._value[path]
    return extcall TrieStore(self._store).get_path(self._base, path)


@internal
def put(key: Bytes[MAX_KEY], raw: Bytes[MAX_VALUE]):
    """
    @notice Store `raw` under `key` (`b""` deletes it): `State.put`, buffered.
    """
    path: bytes32 = keccak256(key)
    if not self._written[path]:
        self._written[path] = True
        self._dirty.append(convert(convert(key, bytes32), uint256) | len(key))
    self._value[path] = raw


@internal
def commit() -> bytes32:
    """
    @notice Apply the buffered writes and return the new root: `State.commit_block()`
            (`WitnessBackend.apply`: every dirty key, ascending by raw key bytes, a value
            or a delete through the trie store). The buffer is then empty and the new
            root is the base of what follows.
    """
    words: DynArray[uint256, MAX_DIRTY] = self._dirty
    n: uint256 = len(words)
    # insertion sort, ascending (n is small)
    for i: uint256 in range(1, MAX_DIRTY):
        if i >= n:
            break
        w: uint256 = words[i]
        j: uint256 = i
        for _k: uint256 in range(MAX_DIRTY):
            if j == 0 or words[j - 1] <= w:
                break
            words[j] = words[j - 1]
            j -= 1
        words[j] = w
    r: bytes32 = self._base
    store: address = self._store
    for w: uint256 in words:
        path: bytes32 = keccak256(self._unpack(w))
        r = extcall TrieStore(store).put_path(r, path, self._value[path])
        self._written[path] = False
    self._dirty = []
    self._base = r
    return r


@internal
def get_globals() -> (bool, records.Globals):
    """
    @notice `State.get(keys.GLOBALS)`: (found, the Globals).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.GLOBALS)
    if len(raw) == 0:
        return False, empty(records.Globals)
    return True, records.decode_globals(raw)


@internal
def put_globals(rec: records.Globals):
    """
    @notice `State.put(keys.GLOBALS, rec)`.
    """
    self.put(keys.GLOBALS, records.encode_globals(rec))


@internal
def get_config() -> (bool, records.Config):
    """
    @notice `State.get(keys.CONFIG)`: (found, the Config).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.CONFIG)
    if len(raw) == 0:
        return False, empty(records.Config)
    return True, records.decode_config(raw)


@internal
def put_config(rec: records.Config):
    """
    @notice `State.put(keys.CONFIG, rec)`.
    """
    self.put(keys.CONFIG, records.encode_config(rec))


@internal
def get_account(owner: address) -> (bool, records.Account):
    """
    @notice `State.get(keys.account(owner))`: (found, the Account).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.account(owner))
    if len(raw) == 0:
        return False, empty(records.Account)
    return True, records.decode_account(raw)


@internal
def put_account(owner: address, rec: records.Account):
    """
    @notice `State.put(keys.account(owner), rec)`.
    """
    self.put(keys.account(owner), records.encode_account(rec))


@internal
def delete_account(owner: address):
    """
    @notice `State.delete(keys.account(owner))`.
    """
    self.put(keys.account(owner), b"")


@internal
def get_underlying(underlying_id: uint256) -> (bool, records.Underlying):
    """
    @notice `State.get(keys.underlying(underlying_id))`: (found, the Underlying).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.underlying(underlying_id))
    if len(raw) == 0:
        return False, empty(records.Underlying)
    return True, records.decode_underlying(raw)


@internal
def put_underlying(underlying_id: uint256, rec: records.Underlying):
    """
    @notice `State.put(keys.underlying(underlying_id), rec)`.
    """
    self.put(keys.underlying(underlying_id), records.encode_underlying(rec))


@internal
def delete_underlying(underlying_id: uint256):
    """
    @notice `State.delete(keys.underlying(underlying_id))`.
    """
    self.put(keys.underlying(underlying_id), b"")


@internal
def get_instrument(instrument_id: uint256) -> (bool, records.Instrument):
    """
    @notice `State.get(keys.instrument(instrument_id))`: (found, the Instrument).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.instrument(instrument_id))
    if len(raw) == 0:
        return False, empty(records.Instrument)
    return True, records.decode_instrument(raw)


@internal
def put_instrument(instrument_id: uint256, rec: records.Instrument):
    """
    @notice `State.put(keys.instrument(instrument_id), rec)`.
    """
    self.put(keys.instrument(instrument_id), records.encode_instrument(rec))


@internal
def delete_instrument(instrument_id: uint256):
    """
    @notice `State.delete(keys.instrument(instrument_id))`.
    """
    self.put(keys.instrument(instrument_id), b"")


@internal
def get_mark(instrument_id: uint256) -> (bool, records.Mark):
    """
    @notice `State.get(keys.mark(instrument_id))`: (found, the Mark).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.mark(instrument_id))
    if len(raw) == 0:
        return False, empty(records.Mark)
    return True, records.decode_mark(raw)


@internal
def put_mark(instrument_id: uint256, rec: records.Mark):
    """
    @notice `State.put(keys.mark(instrument_id), rec)`.
    """
    self.put(keys.mark(instrument_id), records.encode_mark(rec))


@internal
def delete_mark(instrument_id: uint256):
    """
    @notice `State.delete(keys.mark(instrument_id))`.
    """
    self.put(keys.mark(instrument_id), b"")


@internal
def get_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool) -> (bool, records.SeriesIndex):
    """
    @notice `State.get(keys.series(underlying_id, expiry, strike_e6, is_call))`: (found, the SeriesIndex).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.series(underlying_id, expiry, strike_e6, is_call))
    if len(raw) == 0:
        return False, empty(records.SeriesIndex)
    return True, records.decode_series_index(raw)


@internal
def put_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool, rec: records.SeriesIndex):
    """
    @notice `State.put(keys.series(underlying_id, expiry, strike_e6, is_call), rec)`.
    """
    self.put(keys.series(underlying_id, expiry, strike_e6, is_call), records.encode_series_index(rec))


@internal
def delete_series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool):
    """
    @notice `State.delete(keys.series(underlying_id, expiry, strike_e6, is_call))`.
    """
    self.put(keys.series(underlying_id, expiry, strike_e6, is_call), b"")


@internal
def get_level(instrument_id: uint256, side: uint256, price_e6: uint256) -> (bool, records.Level):
    """
    @notice `State.get(keys.level(instrument_id, side, price_e6))`: (found, the Level).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.level(instrument_id, side, price_e6))
    if len(raw) == 0:
        return False, empty(records.Level)
    return True, records.decode_level(raw)


@internal
def put_level(instrument_id: uint256, side: uint256, price_e6: uint256, rec: records.Level):
    """
    @notice `State.put(keys.level(instrument_id, side, price_e6), rec)`.
    """
    self.put(keys.level(instrument_id, side, price_e6), records.encode_level(rec))


@internal
def delete_level(instrument_id: uint256, side: uint256, price_e6: uint256):
    """
    @notice `State.delete(keys.level(instrument_id, side, price_e6))`.
    """
    self.put(keys.level(instrument_id, side, price_e6), b"")


@internal
def get_order(order_id: uint256) -> (bool, records.Order):
    """
    @notice `State.get(keys.order(order_id))`: (found, the Order).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.order(order_id))
    if len(raw) == 0:
        return False, empty(records.Order)
    return True, records.decode_order(raw)


@internal
def put_order(order_id: uint256, rec: records.Order):
    """
    @notice `State.put(keys.order(order_id), rec)`.
    """
    self.put(keys.order(order_id), records.encode_order(rec))


@internal
def delete_order(order_id: uint256):
    """
    @notice `State.delete(keys.order(order_id))`.
    """
    self.put(keys.order(order_id), b"")


@internal
def get_client_order_index(owner: address, client_order_id: uint256) -> (bool, records.ClientOrderIndex):
    """
    @notice `State.get(keys.client_order(owner, client_order_id))`: (found, the ClientOrderIndex).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.client_order(owner, client_order_id))
    if len(raw) == 0:
        return False, empty(records.ClientOrderIndex)
    return True, records.decode_client_order_index(raw)


@internal
def put_client_order_index(owner: address, client_order_id: uint256, rec: records.ClientOrderIndex):
    """
    @notice `State.put(keys.client_order(owner, client_order_id), rec)`.
    """
    self.put(keys.client_order(owner, client_order_id), records.encode_client_order_index(rec))


@internal
def delete_client_order_index(owner: address, client_order_id: uint256):
    """
    @notice `State.delete(keys.client_order(owner, client_order_id))`.
    """
    self.put(keys.client_order(owner, client_order_id), b"")


@internal
def get_withdrawal(index: uint256) -> (bool, records.Withdrawal):
    """
    @notice `State.get(keys.withdrawal(index))`: (found, the Withdrawal).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.withdrawal(index))
    if len(raw) == 0:
        return False, empty(records.Withdrawal)
    return True, records.decode_withdrawal(raw)


@internal
def put_withdrawal(index: uint256, rec: records.Withdrawal):
    """
    @notice `State.put(keys.withdrawal(index), rec)`.
    """
    self.put(keys.withdrawal(index), records.encode_withdrawal(rec))


@internal
def delete_withdrawal(index: uint256):
    """
    @notice `State.delete(keys.withdrawal(index))`.
    """
    self.put(keys.withdrawal(index), b"")


@internal
def get_settlement_price(underlying_id: uint256, expiry: uint256) -> (bool, records.SettlementPrice):
    """
    @notice `State.get(keys.settlement(underlying_id, expiry))`: (found, the SettlementPrice).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.settlement(underlying_id, expiry))
    if len(raw) == 0:
        return False, empty(records.SettlementPrice)
    return True, records.decode_settlement_price(raw)


@internal
def put_settlement_price(underlying_id: uint256, expiry: uint256, rec: records.SettlementPrice):
    """
    @notice `State.put(keys.settlement(underlying_id, expiry), rec)`.
    """
    self.put(keys.settlement(underlying_id, expiry), records.encode_settlement_price(rec))


@internal
def delete_settlement_price(underlying_id: uint256, expiry: uint256):
    """
    @notice `State.delete(keys.settlement(underlying_id, expiry))`.
    """
    self.put(keys.settlement(underlying_id, expiry), b"")


@internal
def get_auction(owner: address) -> (bool, records.Auction):
    """
    @notice `State.get(keys.auction(owner))`: (found, the Auction).
    """
    raw: Bytes[MAX_VALUE] = self.get(keys.auction(owner))
    if len(raw) == 0:
        return False, empty(records.Auction)
    return True, records.decode_auction(raw)


@internal
def put_auction(owner: address, rec: records.Auction):
    """
    @notice `State.put(keys.auction(owner), rec)`.
    """
    self.put(keys.auction(owner), records.encode_auction(rec))


@internal
def delete_auction(owner: address):
    """
    @notice `State.delete(keys.auction(owner))`.
    """
    self.put(keys.auction(owner), b"")
