# pragma version 0.4.3
"""
@title fault_state_harness
@notice Test entry points over contracts/fault/lib/state.vy (Account, Underlying, Mark) (tests/fault/test_state_vyper.py):
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
def account(owner: address, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Account = empty(records.Account)
    found0, rec = state.get_account(owner)
    state.put_account(owner, records.decode_account(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_account(owner)
    again: Bytes[MAX_VALUE] = records.encode_account(rec)
    state.delete_account(owner)
    found2, rec = state.get_account(owner)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def underlying(underlying_id: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Underlying = empty(records.Underlying)
    found0, rec = state.get_underlying(underlying_id)
    state.put_underlying(underlying_id, records.decode_underlying(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_underlying(underlying_id)
    again: Bytes[MAX_VALUE] = records.encode_underlying(rec)
    state.delete_underlying(underlying_id)
    found2, rec = state.get_underlying(underlying_id)
    return found0, stored, root1, found1, again, found2, state.commit()


@external
def mark(instrument_id: uint256, key: Bytes[keys.MAX_KEY], raw: Bytes[MAX_VALUE]) -> (bool, Bytes[MAX_VALUE], bytes32, bool, Bytes[MAX_VALUE], bool, bytes32):
    state.begin(EMPTY_ROOT, self.store)
    found0: bool = False
    found1: bool = False
    found2: bool = False
    rec: records.Mark = empty(records.Mark)
    found0, rec = state.get_mark(instrument_id)
    state.put_mark(instrument_id, records.decode_mark(raw))
    stored: Bytes[MAX_VALUE] = state.get(key)
    root1: bytes32 = state.commit()
    found1, rec = state.get_mark(instrument_id)
    again: Bytes[MAX_VALUE] = records.encode_mark(rec)
    state.delete_mark(instrument_id)
    found2, rec = state.get_mark(instrument_id)
    return found0, stored, root1, found1, again, found2, state.commit()
