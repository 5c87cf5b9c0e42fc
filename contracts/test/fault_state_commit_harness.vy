# pragma version 0.4.3
"""
@title fault_state_commit_harness
@notice Test entry point over contracts/fault/lib/state.vy's write buffer
        (tests/fault/test_state_vyper.py): raw puts in the order given, then `commit`, over a
        witness loaded in the trie store; and the same writes straight through the store in
        the order given (what an unbuffered state would do).
"""

import fault.trie_store_iface as TrieStore
from fault.lib import keys
from fault.lib import state

initializes: state

MAX_WRITES: constant(uint256) = 16
MAX_RAW: constant(uint256) = 1024

STORE: immutable(address)


@deploy
def __init__(store: address):
    STORE = store


@external
def buffered(pre_root: bytes32, witness: Bytes[65536], ks: DynArray[Bytes[keys.MAX_KEY], MAX_WRITES],
             vs: DynArray[Bytes[MAX_RAW], MAX_WRITES]) -> (bytes32, Bytes[state.MAX_VALUE]):
    """
    @notice `state.put(ks[i], vs[i])` in order, then the root `state.commit()` gives, and
            what `state.get(ks[0])` read before the commit (the buffered value).
    """
    extcall TrieStore(STORE).add_nodes(witness)
    state.begin(pre_root, STORE)
    for i: uint256 in range(MAX_WRITES):
        if i >= len(ks):
            break
        state.put(ks[i], vs[i])
    seen: Bytes[state.MAX_VALUE] = b""
    if len(ks) > 0:
        seen = state.get(ks[0])
    return state.commit(), seen


@external
def in_order(pre_root: bytes32, witness: Bytes[65536], ks: DynArray[Bytes[keys.MAX_KEY], MAX_WRITES],
             vs: DynArray[Bytes[MAX_RAW], MAX_WRITES]) -> bytes32:
    """
    @notice The same writes straight through the trie store, in the order given.
    """
    extcall TrieStore(STORE).add_nodes(witness)
    r: bytes32 = pre_root
    for i: uint256 in range(MAX_WRITES):
        if i >= len(ks):
            break
        r = extcall TrieStore(STORE).put_path(r, keccak256(ks[i]), vs[i])
    return r
