"""Keccak-256 for the trie: ``eth_hash``, or a faster reusable pycryptodome state.

``eth_hash.auto.keccak`` (pycryptodome backend) spends most of its ~6 us per call in
Python: it builds a hash object, wraps pointers, allocates a buffer. Hashing trie nodes is
the bulk of computing a root, so ``new_hasher`` returns a hasher that keeps one keccak
state and one output buffer and only calls pycryptodome's C functions
(reset / absorb / digest): about 2-3x faster.

That fast path uses pycryptodome's (private) raw library handle, so it is only enabled
when the cffi backend is in use and a known-answer test against ``eth_hash`` passes;
otherwise ``new_hasher`` falls back to ``eth_hash``. Either way the digests are identical.

A fast hasher owns mutable C state and cffi releases the GIL during calls, so one hasher
must not be shared between threads: each ``Trie`` creates its own.
"""

from __future__ import annotations

from typing import Any, Callable, Final

from eth_hash.auto import keccak as keccak256

Hasher = Callable[[bytes], bytes]

_KAT_INPUTS: Final = (b"", b"abc", bytes(range(256)) * 3)

_raw_lib: Any = None
_ffi: Any = None
try:  # pragma: no branch - depends on the installed pycryptodome
    from Crypto.Hash.keccak import _raw_keccak_lib as _raw_lib  # type: ignore[attr-defined,no-redef]
    from Crypto.Util._raw_api import backend as _backend
    from Crypto.Util._raw_api import ffi as _ffi  # type: ignore[attr-defined,no-redef]

    if _backend != "cffi":
        _raw_lib = None
except Exception:  # noqa: BLE001 - any failure means "use the portable path"
    _raw_lib = None


def _make_fast_hasher() -> Hasher:
    """A keccak-256 function reusing one pycryptodome state (not thread-safe)."""
    lib, ffi = _raw_lib, _ffi
    slot = ffi.new("void **")
    if lib.keccak_init(slot, 64, 24):  # capacity 2*32 bytes, 24 rounds
        raise RuntimeError("keccak_init failed")
    state = ffi.gc(slot[0], lib.keccak_destroy)
    out = ffi.new("uint8_t[32]")
    view = ffi.buffer(out)
    reset, absorb, digest = lib.keccak_reset, lib.keccak_absorb, lib.keccak_digest

    def fast_keccak256(data: bytes) -> bytes:
        if reset(state) or absorb(state, data, len(data)) or digest(state, out, 32, 1):
            raise RuntimeError("pycryptodome keccak call failed")
        return view[:]

    # Keep the owning cdata objects alive as long as the function.
    fast_keccak256.__dict__["_keep"] = (slot, state, out)
    return fast_keccak256


def _fast_path_works() -> bool:
    if _raw_lib is None:
        return False
    try:
        hasher = _make_fast_hasher()
        return all(hasher(data) == keccak256(data) for data in _KAT_INPUTS * 2)
    except Exception:  # noqa: BLE001
        return False


FAST_KECCAK: Final = _fast_path_works()


def new_hasher() -> Hasher:
    """A keccak-256 function for one owner (one trie); the fast one when available."""
    if FAST_KECCAK:
        return _make_fast_hasher()
    return keccak256
