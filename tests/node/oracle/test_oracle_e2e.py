"""End to end on a dev node: the oracle (HTTP source -> guards -> signed updates) moves the marks,
the lister adds the schedule's series, a restart changes nothing, a stopped feed posts nothing."""

from __future__ import annotations

import pytest

from node.client import Client
from node.oracle.feeder import Feeder
from node.oracle.guards import GuardConfig
from node.oracle.http_source import HttpJsonSource
from node.oracle.lister import Lister
from node.oracle.schedule import Schedule, wanted
from node.oracle.simulated import PricesServer, SimulatedMarket
from node.sequencer.dev import ADMIN_KEY, ORACLE_KEY
from node.stf.errors import FailureCode
from tests.node.rpc.node_fixture import T0, DevNode

NOW = T0 + 60  # the fixture's block clock


@pytest.fixture
def node():
    node = DevNode().start()
    yield node
    node.close()


@pytest.fixture
def prices():
    market = SimulatedMarket({"ETH": (3_000 * 10**6, 650_000), "BTC": (100_000 * 10**6, 550_000)}, seed=1,
                             speed=20.0)
    server = PricesServer(market, ("127.0.0.1", 0), interval_s=3600, clock=lambda: NOW).start()
    yield market, server
    server.close()


def test_oracle_moves_marks_and_lister_lists_idempotently(node, prices) -> None:
    market, server = prices
    oracle = Client(node.target, ORACLE_KEY)
    admin = Client(node.target, ADMIN_KEY)
    feeder = Feeder(oracle, [HttpJsonSource(server.url)], GuardConfig(), clock=lambda: NOW)
    before = {i.name: i.mark_e6 for i in oracle.instruments()}
    for _ in range(3):
        market.tick()
    outcomes = feeder.round()
    assert [(o.decision.underlying, o.decision.post, o.refused) for o in outcomes] == [("ETH", True, ""),
                                                                                        ("BTC", True, "")]
    chain, _ = oracle.underlyings()
    assert [u.index_e6 for u in chain] == [market.index_e6("ETH"), market.index_e6("BTC")] != [3_000 * 10**6,
                                                                                                 100_000 * 10**6]
    assert [u.oracle_sequence for u in chain] == [2, 2] and chain[0].observation_time == NOW
    assert len(chain[0].surface) == 6  # one point per expiry of the schedule
    after = {i.name: i.mark_e6 for i in oracle.instruments()}
    assert sum(after[name] != mark for name, mark in before.items()) == len(before)  # every series re-marked
    status = feeder.status()
    assert status["underlyings"]["ETH"]["posted"] == 1 and status["underlyings"]["ETH"]["state"] == "posted"

    lister = Lister(admin, Schedule())
    first = lister.run_once()
    expected = {s for u in chain for s in wanted(NOW, u.index_e6, Schedule())}
    have_before = len(before)
    listed = oracle.instruments()
    assert len(first.listed) > 0 and not first.refused
    keys = {(i.underlying_id, i.expiry, i.strike_e6, i.is_call) for i in listed}
    for u in chain:
        for s in wanted(NOW, u.index_e6, Schedule()):
            assert (u.underlying_id, s.expiry, s.strike_e6, s.is_call) in keys
    assert len(listed) == have_before + len(first.listed) and len(expected) <= len(first.listed) + have_before
    assert all(i.mark_e6 > 0 for i in listed)  # listed with an index: marked at once
    eth = [i for i in listed if i.underlying == "ETH"]
    assert {(i.tick_size_e6, i.min_size_e6) for i in eth} == {(100_000, 100_000)}  # the dev series' own
    again = lister.run_once()
    restarted = Lister(Client(node.target, ADMIN_KEY), Schedule()).run_once()
    assert again.listed == [] == restarted.listed and len(oracle.instruments()) == len(listed)

    market.tick()
    second = Feeder(Client(node.target, ORACLE_KEY), [HttpJsonSource(server.url)], GuardConfig(),
                    clock=lambda: NOW).round()  # a restarted oracle continues from the chain's sequence
    assert all(o.decision.post and not o.refused for o in second)
    assert [u.oracle_sequence for u in oracle.underlyings()[0]] == [3, 3]


def test_a_stopped_feed_posts_nothing_and_says_why(node, prices) -> None:
    market, server = prices
    oracle = Client(node.target, ORACLE_KEY)
    source = HttpJsonSource(server.url, timeout_s=2)
    clock = {"now": NOW}
    feeder = Feeder(oracle, [source], GuardConfig(max_age_s=30), clock=lambda: clock["now"])
    assert all(o.decision.post for o in feeder.round())
    server.close()  # the feed stops
    outcomes = feeder.round()
    assert [(o.decision.rule, o.block) for o in outcomes] == [("stale", 0), ("stale", 0)]
    assert [u.oracle_sequence for u in oracle.underlyings()[0]] == [2, 2]  # nothing posted
    status = feeder.status()
    assert status["underlyings"]["ETH"]["state"] == "withheld: stale"
    assert "cannot read" in status["sources"][0]["last_error"]
    clock["now"] = NOW + 31
    assert not feeder.healthy() and not feeder.status()["healthy"]


def test_a_key_that_is_not_an_oracle_key_is_refused(node, prices) -> None:
    _, server = prices
    feeder = Feeder(Client(node.target, ADMIN_KEY), [HttpJsonSource(server.url)], GuardConfig(), clock=lambda: NOW)
    outcomes = feeder.round()
    assert all("not an oracle key" in o.refused and o.failure == FailureCode.UNAUTHORISED_SIGNER for o in outcomes)
    refused = Lister(Client(node.target, ORACLE_KEY), Schedule()).run_once()
    assert refused.unauthorised and len(refused.refused) == 1 and refused.listed == []  # stops at the first


def test_only_the_underlyings_asked_for_are_fed(node, prices) -> None:
    _, server = prices
    feeder = Feeder(Client(node.target, ORACLE_KEY), [HttpJsonSource(server.url)], GuardConfig(),
                    underlyings=["eth"], clock=lambda: NOW)
    assert [o.decision.underlying for o in feeder.round()] == ["ETH"]
    assert [u.oracle_sequence for u in Client(node.target).underlyings()[0]] == [2, 1]
