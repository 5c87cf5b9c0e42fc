"""Compile Vyper sources from ``contracts/`` with the ``vyper`` package, cached in-process.

One entry point, :func:`compile_contract`, returns a :class:`VyperBuild` (ABI, init code,
runtime code, method identifiers). Imports inside a source resolve against
``CONTRACTS_DIR`` first (so ``contracts/test/x.vy`` can ``import lib.option_math``),
then any extra search paths given.

The cache key covers the compiler version and settings and the contents of every
``.vy``/``.vyi`` file under the search paths, so editing an imported module invalidates the
entries that could depend on it. Builds are also kept on disk, one JSON file per key, in
``$OPTROLLUP_VYPER_CACHE`` (default ``$XDG_CACHE_HOME/optrollup/vyper``, else
``~/.cache/optrollup/vyper``; an empty value turns it off): the verifier's families take
10-60 s each to compile, and a devnet or a test process would otherwise compile them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Sequence

CONTRACTS_DIR: Final = Path(__file__).resolve().parent.parent / "contracts"
EVM_VERSION: Final = "prague"
OPTIMIZE: Final = "gas"

_OUTPUTS: Final = ("abi", "bytecode", "bytecode_runtime", "method_identifiers")


class VyperBuildError(Exception):
    """The source did not compile; the message carries the compiler's diagnostics."""


@dataclass(frozen=True)
class VyperBuild:
    """What a compiled contract is deployed and called with."""

    path: Path
    abi: tuple[dict[str, Any], ...]
    initcode: bytes
    runtime: bytes
    method_identifiers: dict[str, str]

    def selector(self, signature: str) -> bytes:
        """4-byte selector of ``signature`` (e.g. ``"bs_price(uint256,uint256)"``)."""
        return int(self.method_identifiers[signature], 16).to_bytes(4, "big")


_cache: dict[tuple[Any, ...], VyperBuild] = {}
_lock = threading.Lock()


def _sources_digest(search_paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for root in search_paths:
        for f in sorted(root.rglob("*.vy*")):
            if f.suffix in (".vy", ".vyi") and f.is_file():
                h.update(str(f).encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def compile_contract(
    path: str | Path,
    *,
    search_paths: Sequence[str | Path] = (),
    evm_version: str = EVM_VERSION,
    optimize: str = OPTIMIZE,
    venom: bool = False,
) -> VyperBuild:
    """Compile the Vyper file at ``path`` (absolute, or relative to ``contracts/``).

    ``venom`` selects Vyper's Venom code generator (``experimental_codegen``): about a
    quarter less code than the legacy one, which the fault verifier's contracts need to stay
    under the 24 KB code limit (with ``optimize="codesize"``, about 30% less).

    Raises :class:`VyperBuildError` on a compile error. Thread-safe; repeated calls with
    unchanged sources return the cached build.
    """
    src = Path(path)
    if not src.is_absolute():
        src = CONTRACTS_DIR / src
    src = src.resolve(strict=True)
    roots = [CONTRACTS_DIR, *(Path(p).resolve(strict=True) for p in search_paths)]
    key = (src, tuple(roots), evm_version, optimize, venom, _sources_digest(roots))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        build = _load(key)
        if build is None:
            build = _compile(src, roots, evm_version, optimize, venom)
            _store(key, build)
        _cache[key] = build
        return build


def _cache_file(key: tuple[Any, ...]) -> Path | None:
    configured = os.environ.get("OPTROLLUP_VYPER_CACHE")
    if configured == "":
        return None
    if configured is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        configured = str(Path(base) / "optrollup" / "vyper")
    from vyper import __version__

    digest = hashlib.sha256(repr((__version__, *key)).encode()).hexdigest()
    return Path(configured) / f"{digest}.json"


def _load(key: tuple[Any, ...]) -> VyperBuild | None:
    file = _cache_file(key)
    try:
        raw = json.loads(file.read_text()) if file is not None else None
    except (OSError, ValueError):
        return None
    if raw is None:
        return None
    return VyperBuild(Path(raw["path"]), tuple(raw["abi"]), bytes.fromhex(raw["initcode"]),
                      bytes.fromhex(raw["runtime"]), dict(raw["method_identifiers"]))


def _store(key: tuple[Any, ...], build: VyperBuild) -> None:
    file = _cache_file(key)
    if file is None:
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"path": str(build.path), "abi": list(build.abi), "initcode": build.initcode.hex(),
                                       "runtime": build.runtime.hex(), "method_identifiers": build.method_identifiers}))
        partial.replace(file)  # atomic: a reader sees a whole file or none
    except OSError:
        pass  # a cache that cannot be written is only slower


def _compile(src: Path, roots: list[Path], evm_version: str, optimize: str, venom: bool) -> VyperBuild:
    # Imported lazily: the compiler is heavy and most callers only need cached builds.
    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FilesystemInputBundle
    from vyper.compiler.settings import OptimizationLevel, Settings

    # Vyper gives the highest precedence to the last search path.
    bundle = FilesystemInputBundle(list(reversed(roots)))
    settings = Settings(
        evm_version=evm_version, optimize=OptimizationLevel.from_string(optimize), experimental_codegen=venom
    )
    try:
        file_input = bundle.load_file(src)
        out = compile_from_file_input(
            file_input, input_bundle=bundle, settings=settings, output_formats=_OUTPUTS
        )
    except Exception as exc:  # the compiler raises many unrelated types
        raise VyperBuildError(f"{src}: {exc}") from exc
    return VyperBuild(
        path=src,
        abi=tuple(out["abi"]),
        initcode=bytes.fromhex(out["bytecode"].removeprefix("0x")),
        runtime=bytes.fromhex(out["bytecode_runtime"].removeprefix("0x")),
        method_identifiers=dict(out["method_identifiers"]),
    )
