# pragma version 0.4.3
"""
@title echo family (tests)
@notice A family that takes a large witness and returns the identity step: tests the verifier
        on proofs as large as real families' (a witness of tens of KB). Not deployed outside tests.
"""

import fault.lib.cursor as cursor


@external
@pure
def run(pre_root: bytes32, cursor_rlp: Bytes[cursor.MAX_CURSOR], nodes: DynArray[Bytes[600], 160],
        inputs: Bytes[64]) -> (bytes32, Bytes[cursor.MAX_CURSOR]):
    return pre_root, cursor_rlp
