"""Client-side signing: turn a transaction body into a signed envelope (not part of the STF).

Signs the EIP-712 digest of ``node.stf.eip712`` with coincurve's deterministic
(RFC 6979) ``sign_recoverable``, normalised to low-s, so the signature is the same as
``eth_account.Account.sign_typed_data`` produces for ``eip712.typed_data(body, domain)``
and the envelope is what ``node.stf.tx_codec.decode_tx`` accepts.
"""

from __future__ import annotations

from coincurve import PrivateKey

from node.stf.eip712 import Domain, signing_digest
from node.stf.recover import SECP256K1_HALF_N, SECP256K1_N, address_of_public_key
from node.stf.tx_codec import Signature, check_body, encode_tx
from node.stf.txtypes import Deposit, TxBody


def _private_key(private_key: bytes) -> PrivateKey:
    if not isinstance(private_key, bytes) or len(private_key) != 32:
        raise ValueError("wallet: a private key is 32 bytes")
    return PrivateKey(private_key)  # ValueError unless 0 < key < n


def address_of(private_key: bytes) -> bytes:
    """The 20-byte Ethereum address of a 32-byte secp256k1 private key."""
    public_key = _private_key(private_key).public_key.format(compressed=False)
    return address_of_public_key(public_key)


def sign_digest(private_key: bytes, digest: bytes) -> Signature:
    """``(y_parity, r, s)`` over a 32-byte digest: RFC 6979 nonce, low-s (EIP-2)."""
    if len(digest) != 32:
        raise ValueError("wallet: the digest is 32 bytes")
    signature = _private_key(private_key).sign_recoverable(digest, hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    y_parity = signature[64]
    if s > SECP256K1_HALF_N:  # libsecp256k1 already signs low-s; keep the rule explicit
        s = SECP256K1_N - s
        y_parity ^= 1
    return y_parity, r, s


def sign_tx(private_key: bytes, body: TxBody, domain: Domain) -> bytes:
    """The signed envelope of ``body`` for the deployment ``domain`` (read it from the genesis or
    ``Query.GetChainInfo``), ready to submit."""
    if isinstance(body, Deposit):
        raise ValueError("wallet: deposits are unsigned; they come from L1 events")
    check_body(body)
    return encode_tx(body, sign_digest(private_key, signing_digest(body, domain)))
