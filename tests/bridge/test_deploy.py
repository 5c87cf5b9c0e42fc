"""Deployment (bridge/deploy.py): the L2 genesis is final before any contract exists and names
the portal that is then deployed, so every signature is bound to this deployment."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3

from bridge.deploy import BridgeSettings, Deployment, DeploymentError, deploy, predict_portal
from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.sequencer.dev import dev_genesis
from node.stf.eip712 import Domain
from node.store.codec import decode_genesis
from tests.devnet.devnet_fixture import DevnetThread

L2_CHAIN_ID = 77_001
ROLES = {role: Account.from_key(devnet_key(role)).address for role in ("sequencer", "proposer")}


@pytest.fixture(scope="module")
def w3():
    devnet = DevnetThread().start()
    yield Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 60}))
    devnet.close()


def deploy_with_genesis(w3: Web3, make_genesis) -> Deployment:
    return deploy(w3, devnet_key("deployer"), ROLES["sequencer"], ROLES["proposer"], BridgeSettings(),
                  l2_genesis=make_genesis)


def test_the_genesis_names_the_portal_deployed_after_it(w3, tmp_path) -> None:
    seen: list[bytes] = []

    def make_genesis(portal: bytes):
        assert w3.eth.get_code(Web3.to_checksum_address(portal)) == b""  # nothing deployed yet
        seen.append(portal)
        return dev_genesis(1_700_000_000, Domain(L2_CHAIN_ID, portal))

    deployment = deploy_with_genesis(w3, make_genesis)
    portal = bytes.fromhex(deployment.portal[2:])
    assert seen == [portal] and len(w3.eth.get_code(deployment.portal)) > 0
    deployment.save(tmp_path / "deployment.json")
    loaded = Deployment.load(tmp_path / "deployment.json")
    genesis = decode_genesis(bytes.fromhex(loaded.l2_genesis))
    # the dispute game is deployed, named in the file and wired into the state commitments
    assert loaded.dispute_game == deployment.dispute_game != "" and "dispute_game" in loaded.abis
    contracts = loaded.contracts(w3)
    game, settings = contracts["dispute_game"].functions, BridgeSettings()
    assert contracts["commitments"].functions.dispute_game().call() == deployment.dispute_game
    assert (game.COMMITMENTS().call(), game.VERIFIER().call()) == (deployment.commitments, deployment.verifier)
    assert (game.CHALLENGER_BOND().call(), game.CLOCK().call(), game.EXTENSION().call(), game.MAX_DEPTH().call()) == (
        settings.challenger_bond_wei, settings.game_clock_s, settings.game_extension_s, settings.game_max_depth)
    assert contracts["commitments"].functions.SILENCE().call() == settings.proposer_silence_s
    assert genesis.domain == Domain(L2_CHAIN_ID, portal)
    # a second deployment (same deployer, same chain id) has another portal, so another domain
    again = deploy_with_genesis(w3, lambda p: dev_genesis(1_700_000_000, Domain(L2_CHAIN_ID, p)))
    assert again.portal != deployment.portal
    assert decode_genesis(bytes.fromhex(again.l2_genesis)).domain != genesis.domain


def test_a_moved_nonce_fails_the_deployment_instead_of_misbinding(w3) -> None:
    deployer = Transactor(w3, devnet_key("deployer"))

    def make_genesis(portal: bytes):
        deployer.send(deployer.address, b"", 0, 21_000)  # the deployer's nonce moves meanwhile
        return dev_genesis(1_700_000_000, Domain(L2_CHAIN_ID, portal))

    with pytest.raises(DeploymentError, match="not at"):
        deploy_with_genesis(w3, make_genesis)


def test_a_genesis_for_another_portal_is_refused_before_deploying(w3) -> None:
    expected = predict_portal(w3, Account.from_key(devnet_key("deployer")).address)
    with pytest.raises(ValueError, match="names"):
        deploy_with_genesis(w3, lambda portal: dev_genesis(1_700_000_000, Domain(L2_CHAIN_ID, bytes(20))))
    assert w3.eth.get_code(expected) == b""
