"""Sender recovery: secp256k1 public-key recovery from an EIP-712 digest, as ``ecrecover``.

A signature is ``(y_parity, r, s)`` with ``y_parity`` in {0, 1}, ``r`` and ``s`` in
``[1, n)`` and ``s <= n // 2`` (low-s, EIP-2: each signature has exactly one valid
encoding, so a transaction hash cannot be malleated). The sender is the last 20 bytes
of ``keccak256`` of the 64-byte uncompressed public key, exactly as Ethereum derives
addresses, so the same key owns L1 deposits and L2 positions.

Recovery itself is libsecp256k1 through coincurve: the same three library calls as
``coincurve.PublicKey.from_signature_and_message(sig65, digest, hasher=None)`` followed
by ``.format(compressed=False)``, made directly on coincurve's cffi binding to skip the
wrapper objects (this is the hot path of ``tx_codec.decode_tx``).
"""

from __future__ import annotations

from typing import Final

from coincurve._libsecp256k1 import ffi as _ffi
from coincurve._libsecp256k1 import lib as _lib
from coincurve.context import GLOBAL_CONTEXT

from node.stf.eip712 import keccak256

SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N: Final = SECP256K1_N >> 1  # EIP-2 bound: s <= n // 2

_CTX: Final = GLOBAL_CONTEXT.ctx
_EC_UNCOMPRESSED: Final = _lib.SECP256K1_EC_UNCOMPRESSED
_new = _ffi.new
_buffer = _ffi.buffer
_parse_compact = _lib.secp256k1_ecdsa_recoverable_signature_parse_compact
_recover = _lib.secp256k1_ecdsa_recover
_serialize = _lib.secp256k1_ec_pubkey_serialize


class BadSignature(Exception):
    """The signature is malformed, not low-s, or recovers no public key."""


def check_signature_scalars(y_parity: int, r: int, s: int) -> None:
    """Raise ``BadSignature`` unless ``(y_parity, r, s)`` is a canonical secp256k1 signature."""
    if y_parity != 0 and y_parity != 1:
        raise BadSignature("recover: y_parity must be 0 or 1")
    if not 0 < r < SECP256K1_N:
        raise BadSignature("recover: r must be in [1, n)")
    if not 0 < s <= SECP256K1_HALF_N:
        raise BadSignature("recover: s must be in [1, n/2] (low-s, EIP-2)")


def address_of_public_key(uncompressed: bytes) -> bytes:
    """Ethereum address of a 65-byte uncompressed public key (``0x04 || x || y``)."""
    return keccak256(uncompressed[1:])[12:]


def recover_sender(digest: bytes, y_parity: int, r: int, s: int) -> bytes:
    """The 20-byte address whose key signed the 32-byte ``digest``; ``BadSignature`` otherwise."""
    if len(digest) != 32:
        raise ValueError("recover: the digest is 32 bytes")
    check_signature_scalars(y_parity, r, s)
    return recover_checked(digest, y_parity, r, s)


def recover_checked(digest: bytes, y_parity: int, r: int, s: int) -> bytes:
    """``recover_sender`` for a 32-byte digest and scalars already checked by the caller."""
    signature = _new("secp256k1_ecdsa_recoverable_signature *")
    if not _parse_compact(_CTX, signature, r.to_bytes(32, "big") + s.to_bytes(32, "big"), y_parity):
        raise BadSignature("recover: unparsable signature")
    public_key = _new("secp256k1_pubkey *")
    if not _recover(_CTX, public_key, signature, digest):
        raise BadSignature("recover: no public key for this signature")
    uncompressed = _new("unsigned char[65]")
    _serialize(_CTX, uncompressed, _new("size_t *", 65), public_key, _EC_UNCOMPRESSED)
    return keccak256(_buffer(uncompressed)[1:])[12:]
