# pragma version 0.4.3
"""
@title fault_state_small_harness
@notice Test entry points over contracts/fault/lib/state.vy (the other records) and keys.vy (tests/fault/test_state_vyper.py):
        per record, one transaction on the empty trie: get (absent), put, raw get under the
        key Python builds (buffered), commit, get, delete, get, commit. Returns what each saw
        and the roots. Over
        24 KB: tests place its runtime code directly (a test contract, never deployed).
"""

from fault.lib import records
from fault.lib import keys
from fault.lib import state

initializes: state

# The trie store (`fault/trie_store.vy`) the state reads and writes through: storage slot 0,
# set by the test (the runtime code is placed directly, so no constructor runs).
store: public(address)

MAX_VALUE: constant(uint256) = records.MAX_VALUE
EMPTY_ROOT: constant(bytes32) = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421


@external
def globals(key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Globals = empty(records.Globals)
    found0, rec = state.get_globals()
    state.put_globals(records.decode_globals(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_globals()
    again: Bytes[MAX_VALUE] = records.encode_globals(rec)
    found2 = found1
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def config(key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Config = empty(records.Config)
    found0, rec = state.get_config()
    state.put_config(records.decode_config(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_config()
    again: Bytes[MAX_VALUE] = records.encode_config(rec)
    found2 = found1
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def instrument(instrument_id: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Instrument = empty(records.Instrument)
    found0, rec = state.get_instrument(instrument_id)
    state.put_instrument(instrument_id, records.decode_instrument(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_instrument(instrument_id)
    again: Bytes[MAX_VALUE] = records.encode_instrument(rec)
    state.delete_instrument(instrument_id)
    found2, rec = state.get_instrument(instrument_id)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def series_index(underlying_id: uint256, expiry: uint256, strike_e6: uint256, is_call: bool, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.SeriesIndex = empty(records.SeriesIndex)
    found0, rec = state.get_series_index(underlying_id, expiry, strike_e6, is_call)
    state.put_series_index(underlying_id, expiry, strike_e6, is_call, records.decode_series_index(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_series_index(underlying_id, expiry, strike_e6, is_call)
    again: Bytes[MAX_VALUE] = records.encode_series_index(rec)
    state.delete_series_index(underlying_id, expiry, strike_e6, is_call)
    found2, rec = state.get_series_index(underlying_id, expiry, strike_e6, is_call)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def level(instrument_id: uint256, side: uint256, price_e6: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Level = empty(records.Level)
    found0, rec = state.get_level(instrument_id, side, price_e6)
    state.put_level(instrument_id, side, price_e6, records.decode_level(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_level(instrument_id, side, price_e6)
    again: Bytes[MAX_VALUE] = records.encode_level(rec)
    state.delete_level(instrument_id, side, price_e6)
    found2, rec = state.get_level(instrument_id, side, price_e6)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def order(order_id: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Order = empty(records.Order)
    found0, rec = state.get_order(order_id)
    state.put_order(order_id, records.decode_order(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_order(order_id)
    again: Bytes[MAX_VALUE] = records.encode_order(rec)
    state.delete_order(order_id)
    found2, rec = state.get_order(order_id)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def client_order_index(owner: address, client_order_id: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.ClientOrderIndex = empty(records.ClientOrderIndex)
    found0, rec = state.get_client_order_index(owner, client_order_id)
    state.put_client_order_index(owner, client_order_id, records.decode_client_order_index(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_client_order_index(owner, client_order_id)
    again: Bytes[MAX_VALUE] = records.encode_client_order_index(rec)
    state.delete_client_order_index(owner, client_order_id)
    found2, rec = state.get_client_order_index(owner, client_order_id)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def withdrawal(index: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Withdrawal = empty(records.Withdrawal)
    found0, rec = state.get_withdrawal(index)
    state.put_withdrawal(index, records.decode_withdrawal(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_withdrawal(index)
    again: Bytes[MAX_VALUE] = records.encode_withdrawal(rec)
    state.delete_withdrawal(index)
    found2, rec = state.get_withdrawal(index)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def settlement_price(underlying_id: uint256, expiry: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.SettlementPrice = empty(records.SettlementPrice)
    found0, rec = state.get_settlement_price(underlying_id, expiry)
    state.put_settlement_price(underlying_id, expiry, records.decode_settlement_price(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_settlement_price(underlying_id, expiry)
    again: Bytes[MAX_VALUE] = records.encode_settlement_price(rec)
    state.delete_settlement_price(underlying_id, expiry)
    found2, rec = state.get_settlement_price(underlying_id, expiry)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def auction(owner: address, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Auction = empty(records.Auction)
    found0, rec = state.get_auction(owner)
    state.put_auction(owner, records.decode_auction(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_auction(owner)
    again: Bytes[MAX_VALUE] = records.encode_auction(rec)
    state.delete_auction(owner)
    found2, rec = state.get_auction(owner)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
@pure
def key_of(prefix: uint256, a: address, x: uint256, y: uint256, z: uint256, flag: bool) -> Bytes[keys.MAX_KEY]:
    """
    @notice keys.<builder> selected by its prefix byte, on the arguments it takes.
    """
    if prefix == keys.P_ACCOUNT:
        return keys.account(a)
    if prefix == keys.P_UNDERLYING:
        return keys.underlying(x)
    if prefix == keys.P_INSTRUMENT:
        return keys.instrument(x)
    if prefix == keys.P_MARK:
        return keys.mark(x)
    if prefix == keys.P_SERIES:
        return keys.series(x, y, z, flag)
    if prefix == keys.P_LEVEL:
        return keys.level(x, y, z)
    if prefix == keys.P_ORDER:
        return keys.order(x)
    if prefix == keys.P_CLIENT_ORDER:
        return keys.client_order(a, x)
    if prefix == keys.P_WITHDRAWAL:
        return keys.withdrawal(x)
    if prefix == keys.P_SETTLEMENT:
        return keys.settlement(x, y)
    if prefix == keys.P_AUCTION:
        return keys.auction(a)
    if prefix == 0:
        return keys.GLOBALS
    assert prefix == 3
    return keys.CONFIG


@external
@pure
def price_of_level_key(key: Bytes[14]) -> uint256:
    return keys.price_of_level_key(key)
