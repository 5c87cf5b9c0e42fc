"""Deploying the L1 contracts and finding them again.

``deploy(w3, keys, settings)`` compiles and deploys, in order, the test collateral token
(devnet only), the batch inbox, the state commitments, the forced-inclusion queue and
the portal, and returns a ``Deployment`` (addresses and settings) that ``save``/``load``
keep as JSON. ``Deployment.contracts(w3)`` gives web3 contract objects with the ABIs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from eth_abi import encode as abi_encode
from web3 import Web3

from bridge.l1 import Transactor
from bridge.vyper_build import compile_contract

SOURCES: Final = {
    "token": "token/test_usd.vy",
    "inbox": "bridge/batch_inbox.vy",
    "commitments": "bridge/state_commitments.vy",
    "forced": "bridge/forced_inclusion.vy",
    "portal": "bridge/portal.vy",
}


@dataclass(frozen=True)
class BridgeSettings:
    """``bond_wei`` per state root; windows in seconds (devnet: minutes; production: 7 days)."""

    bond_wei: int = 10**18
    challenge_window_s: int = 300
    force_window_s: int = 120


@dataclass(frozen=True)
class Deployment:
    """Where the contracts are, on which chain, with which settings and roles."""

    chain_id: int
    token: str
    inbox: str
    commitments: str
    forced: str
    portal: str
    sequencer: str
    proposer: str
    deployed_at_block: int
    settings: BridgeSettings
    # The L2 genesis this deployment serves (``node.store.codec.encode_genesis``, hex), so a
    # follower derives the chain from L1 and this file alone. Empty if the deployer set none.
    l2_genesis: str = ""

    def contracts(self, w3: Web3) -> dict[str, object]:
        """name -> web3 contract object."""
        return {name: w3.eth.contract(address=getattr(self, name), abi=list(compile_contract(src).abi))
                for name, src in SOURCES.items()}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Deployment":
        raw = json.loads(Path(path).read_text())
        return cls(**{**raw, "settings": BridgeSettings(**raw["settings"])})


def deploy(w3: Web3, deployer_key: bytes, sequencer: str, proposer: str,
           settings: BridgeSettings = BridgeSettings(), *, genesis_root: bytes) -> Deployment:
    """Deploy every contract from ``deployer_key``; ``sequencer`` posts batches, ``proposer`` roots.

    ``genesis_root`` is the L2 genesis state root (32 bytes): ``StateCommitments`` keeps it
    (``GENESIS_STATE_ROOT``), and every node checks its own genesis against it at start."""
    if len(genesis_root) != 32 or not any(genesis_root):
        raise ValueError("deploy: genesis_root must be a non-zero 32-byte state root")
    sender = Transactor(w3, deployer_key)
    builds = {name: compile_contract(src) for name, src in SOURCES.items()}
    start = w3.eth.block_number
    token = sender.deploy(builds["token"].initcode)
    inbox = sender.deploy(builds["inbox"].initcode, abi_encode(["address"], [sequencer]))
    commitments = sender.deploy(builds["commitments"].initcode, abi_encode(
        ["address", "bytes32", "address", "uint256", "uint256"],
        [inbox, genesis_root, proposer, settings.bond_wei, settings.challenge_window_s]))
    forced = sender.deploy(builds["forced"].initcode, abi_encode(["uint256"], [settings.force_window_s]))
    portal = sender.deploy(builds["portal"].initcode, abi_encode(  # the same window as the forced queue
        ["address", "address", "uint256"], [token, commitments, settings.force_window_s]))
    return Deployment(w3.eth.chain_id, token, inbox, commitments, forced, portal,
                      Web3.to_checksum_address(sequencer), Web3.to_checksum_address(proposer), start + 1, settings)
