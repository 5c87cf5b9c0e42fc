"""The feed contract (contracts/oracle/price_feed.vy) on a devnet L1, read by ChainlinkSource."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from bridge.l1 import L1TxFailed, Transactor
from bridge.price_feed import FeedPoster, deploy_feed, feed_build
from devnet.accounts import devnet_key
from node.oracle.chainlink import ChainlinkSource, to_e6
from node.oracle.sources import SourceError, parse_source
from tests.devnet.devnet_fixture import DevnetThread


@pytest.fixture(scope="module")
def devnet():
    thread = DevnetThread().start()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def deployer(devnet):
    return Transactor(Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 60})), devnet_key("deployer"))


def test_the_feed_answers_the_aggregator_v3_interface(devnet, deployer) -> None:
    address = deploy_feed(deployer, "ETH / USD")
    feed = deployer.w3.eth.contract(address=address, abi=list(feed_build().abi))
    assert feed.functions.decimals().call() == 8
    assert feed.functions.description().call() == "ETH / USD"
    assert feed.functions.version().call() == 1
    with pytest.raises(ContractLogicError, match="feed: no data present"):
        feed.functions.latestRoundData().call()
    poster = FeedPoster(deployer, address)
    first = poster.post(3_012_450_000)  # 3012.45
    poster.post(3_020_000_000)
    block_time = deployer.w3.eth.get_block(first.receipt["blockNumber"])["timestamp"]
    assert feed.functions.getRoundData(1).call() == [1, 301_245_000_000, block_time, block_time, 1]
    latest = feed.functions.latestRoundData().call()
    assert latest[0] == 2 and latest[1] == 302_000_000_000 and latest[4] == 2
    with pytest.raises(ContractLogicError, match="feed: no data present"):
        feed.functions.getRoundData(3).call()


def test_only_the_owner_or_updater_posts_positive_answers(devnet, deployer) -> None:
    address = deploy_feed(deployer, "BTC / USD")
    stranger = Transactor(deployer.w3, devnet_key("alice"))
    with pytest.raises(L1TxFailed, match="feed: only the updater"):
        FeedPoster(stranger, address).post(100_000_000_000)
    with pytest.raises(L1TxFailed, match="feed: answer must be positive"):
        FeedPoster(deployer, address).post(0)
    owner = FeedPoster(deployer, address)
    owner.transactor.transact(owner.contract, "set_updater", stranger.address)
    updater = FeedPoster(stranger, address)
    updater.post(100_000_000_000)
    with pytest.raises(L1TxFailed, match="feed: only the owner"):
        updater.transactor.transact(updater.contract, "set_updater", stranger.address)


def test_the_chainlink_source_reads_the_latest_round_in_e6(devnet, deployer) -> None:
    address = deploy_feed(deployer, "ETH / USD")
    source = parse_source(f"chainlink:{address}@{devnet.url}")
    assert isinstance(source, ChainlinkSource)
    with pytest.raises(SourceError, match="cannot read the feed"):  # no round yet: the feed reverts
        source.fetch()
    sent = FeedPoster(deployer, address).post(2_999_990_000)
    updated = deployer.w3.eth.get_block(sent.receipt["blockNumber"])["timestamp"]
    source.clock = lambda: 1_800_000_000.5
    (name, obs), = source.fetch().items()
    assert name == "ETH" and obs.index_price_e6 == 2_999_990_000
    assert obs.updated_at == updated and obs.observed_at == 1_800_000_000
    named = parse_source(f"chainlink:weth={address}@{devnet.url}")
    assert set(named.fetch()) == {"WETH"}


def test_an_unreachable_feed_is_a_source_error() -> None:
    source = ChainlinkSource("http://127.0.0.1:9", "0x" + "11" * 20, timeout_s=1)
    with pytest.raises(SourceError, match="cannot read the feed"):
        source.fetch()


def test_answers_convert_to_e6_rounding_down() -> None:
    assert to_e6(301_245_678_912, 8) == 3_012_456_789
    assert to_e6(3012, 0) == 3_012_000_000
    assert to_e6(30_124, 4) == 3_012_400


@pytest.mark.parametrize("spec", ["chainlink:0x11@", "chainlink:nothttp", "ftp:x", "http:ftp://x", "http:"])
def test_malformed_source_specs_are_refused(spec) -> None:
    with pytest.raises(ValueError):
        parse_source(spec)
