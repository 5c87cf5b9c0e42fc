# pragma version ~=0.4.3
"""
@title l1_inputs
@notice Derivation's bounds and its block-time and queue arithmetic (rules 2-4): twin of
        node/stf/l1_inputs.py. Times are unix seconds; positions are queue indices.
"""

MAX_TIMESTAMP_DRIFT_S: constant(uint256) = 60
MAX_TIMESTAMP_LAG_S: constant(uint256) = 3_600
MAX_FORCED_PER_BLOCK: constant(uint256) = 32
MAX_BATCH_BLOCKS: constant(uint256) = 4_096
MAX_DUE_BLOCKS_PER_BATCH: constant(uint256) = 64
MAX_DEPOSITS_PER_BLOCK: constant(uint256) = 256


@internal
@pure
def clamp(x: uint256, low: uint256, high: uint256) -> uint256:
    """
    @notice Twin of node/stf/l1_inputs.py::clamp: `x` (Python: `value`) within [low, high], `low` wins
            if they cross.
    """
    return max(low, min(x, high))


@internal
@pure
def block_time(timestamp: uint256, previous: uint256, l1_time: uint256) -> uint256:
    """
    @notice Twin of node/stf/l1_inputs.py::block_time (rule 2): `timestamp` clamped to
            [max(previous, t - MAX_TIMESTAMP_LAG_S), t + MAX_TIMESTAMP_DRIFT_S], t = l1_time,
            the lower bound winning. (t - LAG below zero leaves `previous` as the bound.)
    """
    low: uint256 = previous
    if l1_time > MAX_TIMESTAMP_LAG_S:
        low = max(previous, l1_time - MAX_TIMESTAMP_LAG_S)
    return self.clamp(timestamp, low, max(l1_time + MAX_TIMESTAMP_DRIFT_S, low))


@internal
@pure
def queue_limit(start: uint256, seen: uint256, cap: uint256) -> uint256:
    """
    @notice Twin of node/stf/l1_inputs.py::queue_limit (rules 3-4): min(seen, start + cap),
            never below `start`.
    """
    return max(min(seen, start + cap), start)
