# pragma version 0.4.3
"""
@title nonces
@notice Replay protection with a sliding window of 256 nonces: twin of
        node/stf/nonces.py::use_nonce on the account's two fields. Pure: the caller reads
        the account record (`nonce_floor`, `nonce_bitmap`; an absent account has both 0)
        and writes it back with the new pair when the code is OK.
@dev The window is `[nonce_floor, nonce_floor + 256)`; bit `i` of the nonce_bitmap is set once nonce
     `nonce_floor + i` has been used. A nonce above the window slides it up so that the nonce
     is its top, forgetting the bits that fall below.
"""

from . import errors

NONCE_LIMIT: constant(uint256) = 2**64
WINDOW: constant(uint256) = 256


@internal
@pure
def use_nonce(
    nonce_floor: uint256, nonce_bitmap: uint256, nonce: uint256
) -> (uint256, uint256, uint256):
    """
    @notice `(code, new floor, new bitmap)` of using `nonce` (nonces.py::use_nonce):
            NONCE_OUT_OF_RANGE at or above 2**64 or below the window, NONCE_ALREADY_USED
            if its bit is set (then the pair is unchanged), else OK.
    @dev `nonce_floor` is below 2**64 in any stored account (it only ever becomes a nonce - 255).
    """
    if nonce >= NONCE_LIMIT or nonce < nonce_floor:
        return errors.NONCE_OUT_OF_RANGE, nonce_floor, nonce_bitmap
    new_nonce_floor: uint256 = nonce_floor
    new_nonce_bitmap: uint256 = nonce_bitmap
    if nonce - nonce_floor >= WINDOW:
        new_nonce_floor = nonce - (WINDOW - 1)
        slide: uint256 = new_nonce_floor - nonce_floor
        if slide < WINDOW:
            new_nonce_bitmap = nonce_bitmap >> slide
        else:
            new_nonce_bitmap = 0
    bit: uint256 = 1 << (nonce - new_nonce_floor)
    if new_nonce_bitmap & bit != 0:
        return errors.NONCE_ALREADY_USED, nonce_floor, nonce_bitmap
    return errors.OK, new_nonce_floor, new_nonce_bitmap | bit
