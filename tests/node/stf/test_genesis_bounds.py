"""A genesis the L1 verifier could not decode is refused when it is made (``Genesis``):
every step reading its Config or Underlying records would otherwise be unprovable."""

from __future__ import annotations

import pytest

from node.stf.genesis import MAX_NAME_BYTES, MAX_ORACLES, Genesis, initialise
from node.stf.records import Config, Underlying
from node.stf.backends import MemoryBackend
from node.stf.state import State
from node.stf import keys

PORTAL, ADMIN = b"\x11" * 20, b"\x22" * 20


def _oracles(n: int) -> tuple[bytes, ...]:
    return tuple(bytes([i + 1]) * 20 for i in range(n))


def test_the_widest_genesis_the_verifier_decodes_is_accepted() -> None:
    names = ((1, b"E" * MAX_NAME_BYTES), (2**32 - 1, b"B"))
    genesis = Genesis(1, PORTAL, ADMIN, _oracles(MAX_ORACLES), underlyings=names)
    state = State(MemoryBackend())
    initialise(state, genesis)
    config = state.get(keys.CONFIG)
    assert Config.decode(config.encode()) == config and config.oracles == _oracles(MAX_ORACLES)
    assert state.get(keys.underlying(1)) == Underlying(b"E" * MAX_NAME_BYTES)


@pytest.mark.parametrize("change,message", [
    (dict(oracles=_oracles(MAX_ORACLES + 1)), "17 oracles"),
    (dict(oracles=()), "0 oracles"),
    (dict(oracles=(b"\x01" * 20, b"\x01" * 20)), "oracle is listed twice"),
    (dict(oracles=(b"\x01" * 19,)), "oracle must be a 20-byte address"),
    (dict(admin=b"\x22" * 32), "admin must be a 20-byte address"),
    (dict(verifying_contract=b""), "verifying_contract must be a 20-byte address"),
    (dict(underlyings=((1, b"E" * (MAX_NAME_BYTES + 1)),)), "name must be 1 to 32 bytes"),
    (dict(underlyings=((1, b""),)), "name must be 1 to 32 bytes"),
    (dict(underlyings=((2**32, b"ETH"),)), "is not in [0, 4294967295]"),
    (dict(underlyings=((1, b"ETH"), (1, b"BTC"))), "underlying id is listed twice"),
    (dict(taker_fee_ppm=-1), "taker_fee_ppm must be a non-negative integer"),
])
def test_a_genesis_the_verifier_could_not_decode_is_refused(change: dict, message: str) -> None:
    fields = dict(chain_id=1, verifying_contract=PORTAL, admin=ADMIN, oracles=_oracles(1)) | change
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Genesis(**fields)
