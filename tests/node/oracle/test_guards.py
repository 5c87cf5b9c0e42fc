"""node/oracle/guards.py: freshness, quorum, deviation, move (with confirmations), surface, times."""

from __future__ import annotations

import pytest

from node.oracle.guards import GuardConfig, OnChain, decide, median
from node.oracle.sources import Observation
from node.stf.txtypes import VolPoint

NOW = 1_800_000_000
SURFACE = (VolPoint(1_800_086_400, 650_000, 0, 0),)
CHAIN = OnChain(3_000_000_000, NOW - 5, SURFACE)
CONFIG = GuardConfig(max_age_s=60, max_move_ppm=50_000, max_deviation_ppm=20_000, jump_confirmations=3)


def obs(source: str, index_e6: int, age_s: int = 1, surface=None) -> Observation:
    return Observation(source, "ETH", index_e6, NOW - age_s, NOW - age_s, surface)


def test_the_median_of_fresh_sources_is_posted_with_the_oldest_observation_time() -> None:
    d = decide("ETH", [obs("a", 3_010_000_000, 2), obs("b", 3_020_000_000, 1), obs("c", 3_000_000_000, 3)],
               CHAIN, NOW, CONFIG)
    assert d.post and d.index_price_e6 == 3_010_000_000 and d.observation_time == NOW - 3
    assert d.surface == SURFACE and d.sources == ("a", "b", "c")  # no source surface: the chain's is kept
    assert median([4, 1, 3, 2]) == 2 and median([5]) == 5 and median([1, 4]) == 2


def test_a_stale_source_is_ignored_and_all_stale_withholds() -> None:
    chain = OnChain(3_000_000_000, NOW - 100, SURFACE)
    d = decide("ETH", [obs("old", 3_500_000_000, 61), obs("new", 3_001_000_000, 60)], chain, NOW, CONFIG)
    assert d.post and d.index_price_e6 == 3_001_000_000 and d.sources == ("new",)
    stopped = decide("ETH", [obs("a", 3_001_000_000, 61)], CHAIN, NOW, CONFIG)
    assert not stopped.post and stopped.rule == "stale" and "a 61s" in stopped.withheld
    nothing = decide("ETH", [], CHAIN, NOW, CONFIG)
    assert nothing.rule == "stale" and "no source answered" in nothing.withheld


def test_a_source_from_the_future_is_not_fresh() -> None:
    future = Observation("f", "ETH", 3_001_000_000, NOW, NOW + 16)
    assert decide("ETH", [future], CHAIN, NOW, CONFIG).rule == "stale"
    assert decide("ETH", [Observation("f", "ETH", 3_001_000_000, NOW, NOW + 15)], CHAIN, NOW, CONFIG).post


def test_quorum() -> None:
    config = GuardConfig(min_sources=2)
    assert decide("ETH", [obs("a", 3_000_000_000)], CHAIN, NOW, config).rule == "quorum"
    assert decide("ETH", [obs("a", 3_000_000_000), obs("b", 3_000_000_000)], CHAIN, NOW, config).post


def test_sources_that_disagree_withhold() -> None:
    within = decide("ETH", [obs("a", 3_000_000_000), obs("b", 3_060_000_000)], CHAIN, NOW, CONFIG)  # 1.98 %
    assert within.post and within.index_price_e6 == 3_030_000_000
    apart = decide("ETH", [obs("a", 3_000_000_000), obs("b", 3_070_000_000)], CHAIN, NOW, CONFIG)  # 2.31 %
    assert not apart.post and apart.rule == "deviation" and "2.31%" in apart.withheld


def test_a_jump_is_withheld_until_confirmed_by_consecutive_rounds() -> None:
    jump = [obs("a", 3_200_000_000)]  # +6.7 % > 5 %
    assert decide("ETH", [obs("a", 3_150_000_000)], CHAIN, NOW, CONFIG).post  # exactly 5 %: allowed
    for streak in (0, 1):
        d = decide("ETH", jump, CHAIN, NOW, CONFIG, jump_streak=streak)
        assert not d.post and d.rule == "move" and d.index_price_e6 == 3_200_000_000
    assert decide("ETH", jump, CHAIN, NOW, CONFIG, jump_streak=2).post
    never = GuardConfig(max_move_ppm=50_000, jump_confirmations=0)
    assert decide("ETH", jump, CHAIN, NOW, never, jump_streak=100).rule == "move"
    first = OnChain(0, 0, SURFACE)  # no index on the chain yet: any price is the first
    assert decide("ETH", jump, first, NOW, CONFIG).post


def test_the_surface_comes_from_the_source_nearest_the_median_and_must_be_valid() -> None:
    s1 = (VolPoint(1_800_086_400, 700_000, 0, 0),)
    s2 = (VolPoint(1_800_086_400, 800_000, 0, 0),)
    d = decide("ETH", [obs("a", 3_000_000_000, surface=s1), obs("b", 3_010_000_000, surface=s2),
                       obs("c", 3_040_000_000)], CHAIN, NOW, CONFIG)
    assert d.index_price_e6 == 3_010_000_000 and d.surface == s2
    bad = (VolPoint(1_800_086_400, 0, 0, 0),)
    refused = decide("ETH", [obs("a", 3_000_000_000, surface=bad)], CHAIN, NOW, CONFIG)
    assert refused.rule == "surface" and "ATM vol 0" in refused.withheld
    assert decide("ETH", [obs("a", 3_000_000_000)], OnChain(0, 0, ()), NOW, CONFIG).rule == "surface"


def test_an_observation_older_than_the_chains_is_no_news() -> None:
    d = decide("ETH", [obs("a", 3_000_000_000, 10)], CHAIN, NOW, CONFIG)
    assert d.rule == "older"
    d = decide("ETH", [obs("a", 3_000_000_000, 10), obs("b", 3_001_000_000, 2)], CHAIN, NOW, CONFIG)
    assert d.post and d.sources == ("b",) and d.observation_time == NOW - 2
    long_age = GuardConfig(max_age_s=3600)  # a slow feed: fresh for the guard, too old for the STF
    chainlink = Observation("cl", "ETH", 3_000_000_000, NOW - 3000, NOW - 61)
    assert decide("ETH", [chainlink], OnChain(3_000_000_000, 0, SURFACE), NOW, long_age).rule == "stale"


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        GuardConfig(max_age_s=0)
    with pytest.raises(ValueError):
        GuardConfig(min_sources=0)
