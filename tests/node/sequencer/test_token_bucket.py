"""Token buckets by key: refill, burst cap, whole costs, and bounded memory at O(1) amortised cost."""

from __future__ import annotations

import pytest

from node.sequencer.token_bucket import TokenBuckets


def test_refill_and_burst_cap():
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=3.0, clock=lambda: now[0])
    assert [buckets.allow("a") for _ in range(4)] == [True, True, True, False]
    assert buckets.allow("b")  # another key has its own bucket
    now[0] = 0.5  # one token back
    assert buckets.allow("a") and not buckets.allow("a")
    now[0] = 100.0  # capped at the burst
    assert [buckets.allow("a") for _ in range(4)] == [True, True, True, False]


def test_a_cost_is_taken_whole_or_not_at_all():
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=4.0, burst=10.0, clock=lambda: now[0])
    assert buckets.allow("a", 7)
    assert not buckets.allow("a", 7)  # 3 left: nothing taken
    assert buckets.allow("a", 3) and not buckets.allow("a")
    now[0] = 0.5  # 2 tokens
    assert not buckets.allow("a", 3) and buckets.allow("a", 2)


def test_refilled_buckets_are_dropped_and_scans_are_rare():
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=1.0, burst=2.0, clock=lambda: now[0], min_prune_keys=100)
    scans = []
    original = buckets._prune
    buckets._prune = lambda t: (scans.append(len(buckets)), original(t))
    for i in range(100_000):
        now[0] = i * 0.001  # 1,000 new keys per second, each full again 1 s after its use
        buckets.allow(i)
    assert len(buckets) <= 2 * 1_000  # at most about twice the keys of the last second
    assert sum(scans) <= 3 * 100_000  # amortised O(1): a scan only once the keys doubled


def test_bad_parameters():
    with pytest.raises(ValueError):
        TokenBuckets(rate_per_s=0, burst=5)
    with pytest.raises(ValueError):
        TokenBuckets(rate_per_s=1, burst=0.5)
