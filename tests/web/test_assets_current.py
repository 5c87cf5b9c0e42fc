"""The committed page assets (node/web/static) are what web/build.mjs makes from web/src.

Without npm: static/BUILD.json (written by the build) names the SHA-256 of every source
and of every output, so an edited source (or a hand-edited asset) without a rebuild fails here.
With npm (and the registry reachable): the sources are rebuilt into a temporary directory and
compared byte for byte with the committed assets.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
STATIC = ROOT / "node" / "web" / "static"


def _sources() -> list[str]:
    """The build's inputs, as build.mjs lists them: web/src/**, build.mjs, package.json, package-lock.json."""
    found = [p.relative_to(WEB).as_posix() for p in (WEB / "src").rglob("*") if p.is_file()]
    return sorted(found + ["build.mjs", "package.json", "package-lock.json"])


def _digest(paths: list[str]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(f"{p}\0{hashlib.sha256((WEB / p).read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def _record() -> dict:
    return json.loads((STATIC / "BUILD.json").read_text())


def test_recorded_sources_are_the_current_sources():
    record = _record()
    assert record["sources"] == _sources(), "a source was added or removed: run `npm run build` in web/"
    assert record["sources_sha256"] == _digest(_sources()), "web/ changed since the last build: run `npm run build` in web/"


def test_committed_assets_are_the_recorded_build_output():
    record = _record()
    committed = sorted(p.name for p in STATIC.iterdir() if p.name != "BUILD.json")
    assert sorted(record["outputs"]) == committed, "static/ holds files the build did not make (or lacks some)"
    assert {"app.css", "app.js", "favicon.svg", "index.html"} <= set(committed)
    for name, sha in record["outputs"].items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == sha, f"static/{name} is not the build's output"


def test_page_needs_nothing_from_the_network():
    """Offline: index.html loads only the package's own files (no CDN)."""
    html = (STATIC / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for ref in ("app.js", "app.css", "favicon.svg"):
        assert f'"{ref}"' in html and (STATIC / ref).is_file()


def test_rebuild_gives_the_committed_bytes(tmp_path):
    """Rebuild from the sources (npm ci into a copy of web/) and compare every output byte for byte."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.skip("npm/node not installed: the committed assets are checked by their recorded hashes only")
    work = tmp_path / "web"
    shutil.copytree(WEB, work, ignore=shutil.ignore_patterns("node_modules"))
    modules = WEB / "node_modules"
    if modules.is_dir():
        (work / "node_modules").symlink_to(modules)
    else:
        try:
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=work,
                                  capture_output=True, text=True, timeout=240)
        except subprocess.TimeoutExpired:
            pytest.skip("npm ci timed out (no registry?): the committed assets are checked by their recorded hashes only")
        if done.returncode != 0:
            pytest.skip(f"npm ci failed (no registry?): {done.stderr.strip()[-300:]}")
    out = tmp_path / "static"
    subprocess.run([node, "build.mjs", str(out)], cwd=work, check=True, capture_output=True, text=True, timeout=120)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in STATIC.iterdir())
    for name in ["BUILD.json", *_record()["outputs"]]:
        assert (out / name).read_bytes() == (STATIC / name).read_bytes(), f"static/{name} differs from a fresh build"
