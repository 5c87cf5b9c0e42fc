# pragma version 0.4.3
"""
@title trie (test stand-in)
@notice A throwaway stand-in with the interface of `contracts/fault/lib/trie.vy`, used by
        tests/fault/test_records_vyper.py only while that module is not in the tree (the
        real one, under contracts/, takes precedence): values in a transient map by key,
        and a "root" that is only a hash chain of the writes.
"""

MAX_KEY: constant(uint256) = 64
MAX_VALUE: constant(uint256) = 24576
MAX_NODE: constant(uint256) = MAX_VALUE + 64

_values: transient(HashMap[bytes32, Bytes[MAX_VALUE]])


@internal
def add_node(node: Bytes[MAX_NODE]):
    pass


@internal
def get(root: bytes32, key: Bytes[MAX_KEY]) -> Bytes[MAX_VALUE]:
    return self._values[keccak256(key)]


@internal
def put(root: bytes32, key: Bytes[MAX_KEY], data: Bytes[MAX_VALUE]) -> bytes32:
    self._values[keccak256(key)] = data
    return keccak256(concat(root, keccak256(key), keccak256(data)))
