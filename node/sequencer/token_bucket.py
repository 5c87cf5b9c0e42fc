"""Token buckets by key: the rate limits of the API (per peer address) and of the mempool
(per signing account).

Each key has a bucket of at most ``burst`` tokens, refilled at ``rate_per_s`` tokens per
second of the injected ``clock``; a new key starts full. ``allow(key, cost)`` takes
``cost`` tokens if the bucket holds that many, else takes nothing and returns False.

Memory: a bucket that has refilled to ``burst`` carries no information (a new one starts
full), so such buckets are dropped. Dropping scans every bucket, so it runs only when the
number of keys has doubled since the last scan (at least ``min_prune_keys``): amortised
O(1) per call, and at most about twice the keys active within the last ``burst /
rate_per_s`` seconds are kept.
"""

from __future__ import annotations

import time
from typing import Callable, Final, Hashable

MIN_PRUNE_KEYS: Final = 10_000  # below this many keys memory is no concern: never scan


class TokenBuckets:
    """``rate_per_s`` tokens per second per key, at most ``burst`` (see module docstring)."""

    def __init__(self, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic,
                 min_prune_keys: int = MIN_PRUNE_KEYS) -> None:
        if not rate_per_s > 0 or not burst >= 1:
            raise ValueError("token bucket: rate_per_s > 0 and burst >= 1")
        self.rate = rate_per_s
        self.burst = burst
        self.clock = clock
        self._buckets: dict[Hashable, list[float]] = {}  # key -> [tokens, time of that count]
        self._prune_at = min_prune_keys
        self._min_prune_keys = min_prune_keys

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, key: Hashable, now: float) -> list[float]:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._prune_at:
                self._prune(now)
            bucket = self._buckets[key] = [self.burst, now]
        else:
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        return bucket

    def allow(self, key: Hashable, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket if it holds them (True), else none (False)."""
        bucket = self._tokens(key, self.clock())
        if bucket[0] < cost:
            return False
        bucket[0] -= cost
        return True

    def _prune(self, now: float) -> None:
        """Drop the buckets that have refilled (they lose nothing), then wait for twice as many keys."""
        rate, burst = self.rate, self.burst
        full = [k for k, (tokens, last) in self._buckets.items() if tokens + (now - last) * rate >= burst]
        for key in full:
            del self._buckets[key]
        self._prune_at = max(self._min_prune_keys, 2 * len(self._buckets))
