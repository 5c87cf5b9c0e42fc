"""Keccak-256 for the trie: the fastest of a few implementations, all checked.

Hashing nodes is the bulk of computing a root. ``new_hasher`` returns, in order of
preference:

1. safe-pysha3's C ``keccak_256`` if that package is installed (optional): the least
   call overhead and an optimised permutation (about 2x pycryptodome's);
2. pycryptodome's C keccak driven directly: one reusable state and output buffer,
   three C calls per hash (reset / absorb / digest). ``eth_hash.auto.keccak`` uses the
   same library but spends most of its ~6 us per call in Python (a hash object, pointer
   wrappers, a buffer), so this is 2-3x faster. It relies on pycryptodome's private raw
   library handle and the cffi backend, hence the checks;
3. ``eth_hash.auto.keccak``.

Each candidate is enabled only if a known-answer test against ``eth_hash`` passes at
import, so the digests are identical whichever is used. The pycryptodome hasher owns
mutable C state and cffi releases the GIL during calls, so such a hasher must not be
shared between threads: each ``Trie`` creates its own.
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


def _pysha3_hasher() -> Hasher | None:
    try:
        from _pysha3 import keccak_256  # type: ignore[import-not-found]
    except ImportError:
        return None

    def pysha3_keccak256(data: bytes) -> bytes:
        return keccak_256(data).digest()

    try:
        if all(pysha3_keccak256(data) == keccak256(data) for data in _KAT_INPUTS):
            return pysha3_keccak256
    except Exception:  # noqa: BLE001
        pass
    return None


_PYSHA3: Final = _pysha3_hasher()
_PYCRYPTODOME: Final = _fast_path_works()
FAST_KECCAK: Final = "pysha3" if _PYSHA3 else "pycryptodome" if _PYCRYPTODOME else ""
"""Which fast keccak ``new_hasher`` uses ("" when it falls back to ``eth_hash``)."""


def new_hasher() -> Hasher:
    """A keccak-256 function for one owner (one trie); the fastest available."""
    if _PYSHA3 is not None:
        return _PYSHA3
    if _PYCRYPTODOME:
        return _make_fast_hasher()
    return keccak256
