"""Shared helpers for benchmarks: one JSON object per figure on stdout."""

from __future__ import annotations

import json
import statistics
import time
from typing import Callable


def emit(bench: str, metric: str, value: float, unit: str, **extra: object) -> dict:
    """Print one figure as a JSON line, in the format of DESIGN.md, and return it."""
    record = {"bench": bench, "metric": metric, "value": round(float(value), 3), "unit": unit}
    record.update(extra)
    print(json.dumps(record), flush=True)
    return record


def median_rate(fn: Callable[[], int], repeats: int = 5) -> float:
    """Run ``fn`` (which returns how many operations it did) ``repeats`` times; median ops/s."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = fn()
        elapsed = time.perf_counter() - start
        rates.append(count / elapsed)
    return statistics.median(rates)
