"""Every benchmark module is runnable by ``make bench`` (exposes ``run()``)."""

from __future__ import annotations

import importlib
import pkgutil

import bench


def test_every_bench_module_has_run():
    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")]
    assert names
    for name in names:
        assert callable(getattr(importlib.import_module(f"bench.{name}"), "run", None)), name
