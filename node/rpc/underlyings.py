"""The underlyings of the head state and their oracle state, for ``status``.

``oracle_feeds(view, now)`` is the status section: per underlying the age of
its index against the node's clock, stale beyond ``oracle.MAX_ORACLE_AGE_S`` (60 s, the
oldest observation the chain accepts: an index older than that could not be posted again
now). Stale changes nothing on the chain: trading, margin and liquidations keep using the
last marks (README, "Oracle process").
"""

from __future__ import annotations

from typing import Final

from node.rpc.generated.optrollup.v1 import status_pb2
from node.stf.instruments import listed_underlyings
from node.stf.oracle import MAX_ORACLE_AGE_S
from node.stf.state import State

ORACLE_HEALTH_NAME: Final = "optrollup.oracle"  # a health name: NOT_SERVING while any index is stale



def oracle_feeds(view: State, now: int) -> list[status_pb2.OracleFeed]:
    """The status section (module docstring); an underlying never priced has age 0 and is stale."""
    out = []
    for underlying_id, u in listed_underlyings(view):
        age = max(now - u.oracle_time, 0) if u.oracle_time else 0
        out.append(status_pb2.OracleFeed(underlying_id=underlying_id, name=u.name.decode(),
                                         index_e6=u.index_price_e6, oracle_time=u.oracle_time, age_s=age,
                                         stale=u.oracle_time == 0 or age > MAX_ORACLE_AGE_S))
    return out

