"""The underlyings of the head state and their oracle state, for ``status``.

``listed(view)`` probes underlying ids from 1 up to the first missing one (genesis numbers
them from 1). ``oracle_feeds(view, now)`` is the status section: per underlying the age of
its index against the node's clock, stale beyond ``oracle.MAX_ORACLE_AGE_S`` (60 s, the
oldest observation the chain accepts: an index older than that could not be posted again
now). Stale changes nothing on the chain: trading, margin and liquidations keep using the
last marks (README, "Oracle process").
"""

from __future__ import annotations

from typing import Final

from node.rpc.generated.optrollup.v1 import status_pb2
from node.stf import keys
from node.stf.oracle import MAX_ORACLE_AGE_S
from node.stf.records import Underlying
from node.stf.state import State

MAX_PROBED: Final = 256
ORACLE_HEALTH_NAME: Final = "optrollup.oracle"  # a health name: NOT_SERVING while any index is stale


def listed(view: State) -> list[tuple[int, Underlying]]:
    """``(underlying_id, record)`` for ids 1, 2, ... up to the first missing one."""
    out = []
    for underlying_id in range(1, MAX_PROBED + 1):
        record = view.get(keys.underlying(underlying_id))
        if record is None:
            break
        out.append((underlying_id, record))
    return out


def oracle_feeds(view: State, now: int) -> list[status_pb2.OracleFeed]:
    """The status section (module docstring); an underlying never priced has age 0 and is stale."""
    out = []
    for underlying_id, u in listed(view):
        age = max(now - u.oracle_time, 0) if u.oracle_time else 0
        out.append(status_pb2.OracleFeed(underlying_id=underlying_id, name=u.name.decode(),
                                         index_e6=u.index_price_e6, oracle_time=u.oracle_time, age_s=age,
                                         stale=u.oracle_time == 0 or age > MAX_ORACLE_AGE_S))
    return out

