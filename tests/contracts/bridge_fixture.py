"""A devnet with the bridge contracts deployed, for contract tests over JSON-RPC."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from web3 import Web3

from bridge.deploy import BridgeSettings, Deployment, deploy
from bridge.l1 import Transactor
from devnet.accounts import devnet_key
from node.sequencer.dev import DEV_CHAIN_ID, DevChain, dev_chain
from node.stf.eip712 import Domain
from node.stf.genesis import Genesis
from tests.devnet.devnet_fixture import DevnetThread

SETTINGS = BridgeSettings(bond_wei=10**18, challenge_window_s=300, force_window_s=120)


@dataclass
class Bridge:
    devnet: DevnetThread
    w3: Web3
    deployment: Deployment
    c: dict  # name -> web3 contract
    chain: DevChain  # the L2 dev chain the contracts commit to (its genesis root), timed at the L1 head

    @property
    def genesis(self) -> Genesis:
        """The L2 dev genesis of this deployment (its domain names the portal)."""
        return self.chain.genesis

    def sender(self, role: str) -> Transactor:
        return Transactor(self.w3, devnet_key(role))

    def address(self, role: str) -> str:
        return Account.from_key(devnet_key(role)).address

    def rpc(self, method: str, *params):
        return self.w3.provider.make_request(method, list(params))

    def advance(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", seconds)
        self.rpc("evm_mine")


def start_bridge(data_dir: str | None = None, settings: BridgeSettings = SETTINGS) -> Bridge:
    devnet = DevnetThread(data_dir).start()
    w3 = Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 60}))
    sequencer = Account.from_key(devnet_key("sequencer")).address
    proposer = Account.from_key(devnet_key("proposer")).address
    w3.provider.make_request("evm_mine", [])  # a block at the current time (the devnet's genesis is older)
    genesis_time = w3.eth.get_block("latest")["timestamp"]
    chains: list[DevChain] = []

    def l2_genesis(portal: bytes) -> Genesis:
        chains.append(dev_chain(genesis_time, Domain(DEV_CHAIN_ID, portal)))
        return chains[-1].genesis

    deployment = deploy(w3, devnet_key("deployer"), sequencer, proposer, settings, l2_genesis=l2_genesis)
    return Bridge(devnet, w3, deployment, deployment.contracts(w3), chains[-1])
