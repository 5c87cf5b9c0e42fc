"""The verifier's deployment for the prover's L1 side and the differential driver: the family
registry lives in ``bridge.fault_contracts`` (the L1 deployment uses it too); this module
adds the dispatch key of a step's cursor."""

from __future__ import annotations

from bridge.fault_contracts import (  # noqa: F401 - re-exported for the driver and tests
    FAMILIES,
    Family,
    FaultDeployment,
    body_key,
    deploy_verifier,
)
from node.stf.cursor import decode_cursor
from node.stf.steps import Phase


def dispatch_key(cursor_rlp: bytes) -> int:
    """The verifier's dispatch key of a step from its cursor: the phase, or for ``BODY`` the
    kind (the first byte of the transaction)."""
    cursor = decode_cursor(cursor_rlp)
    if cursor.phase == Phase.BODY and cursor.tx:
        return body_key(cursor.tx[0])
    return cursor.phase
