"""Deploying the L1 contracts and finding them again.

``deploy(w3, keys, settings)`` compiles and deploys, in order, the test collateral token
(unless ``token`` names an existing ERC-20, whose ``decimals()`` must be 6), the
forced-inclusion queue, the batch inbox (which reads the two queues' counts into each
batch's record), the state commitments, the portal, then the one-step fault verifier and
its families and the dispute game (named to the state commitments by ``set_dispute_game``,
the only caller that may invalidate a root); it checks that each address holds the compiled runtime code, and returns a
``Deployment`` (addresses, settings and the contracts' ABIs) that ``save``/``load`` keep
as JSON. ``Deployment.contracts(w3)`` gives web3 contract objects from the stored ABIs
(compiling only for a file written before they were stored).

**The L2 genesis is fixed before any contract is deployed.** Its EIP-712 domain names the
portal as ``verifyingContract`` (``node.stf.eip712``), so the portal's address is predicted
first: the deployer's next nonce plus ``PORTAL_POSITION`` (one less with an existing
token) gives it (the CREATE address,
``web3.utils.address.get_create_address``). ``deploy`` asks ``l2_genesis(portal)`` for the
genesis, deploys, and fails with ``DeploymentError`` if the portal landed elsewhere (the
deployer sent another transaction meanwhile). The genesis goes into the ``Deployment``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Final

from eth_abi import encode as abi_encode
from web3 import Web3
from web3.utils.address import get_create_address

from bridge import dispute_game
from bridge.fault_contracts import TransactorDeployer, deploy_verifier
from bridge.fault_contracts import compile_all as compile_fault_contracts
from bridge.l1 import L1Settings, Transactor
from bridge.l1_settings import DEFAULT_SETTINGS
from bridge.vyper_build import compile_contract
from node.l1.genesis_anchor import genesis_state_root
from node.stf.genesis import Genesis
from node.store.codec import encode_genesis

SOURCES: Final = {
    "token": "token/test_usd.vy",
    "forced": "bridge/forced_inclusion.vy",
    "inbox": "bridge/batch_inbox.vy",
    "commitments": "bridge/state_commitments.vy",
    "portal": "bridge/portal.vy",
}
# The portal is the deployer's fifth contract creation (after token, forced, inbox, commitments).
PORTAL_POSITION: Final = list(SOURCES).index("portal")


class DeploymentError(Exception):
    """The contracts did not land where the L2 genesis says they are, or not with the code
    compiled, or the collateral token is unusable."""


COLLATERAL_DECIMALS: Final = 6  # the L2 accounts in 6-decimal units (amount_e6)


@dataclass(frozen=True)
class BridgeSettings:
    """``bond_wei`` per state root; windows in seconds (devnet: minutes; production: 7 days);
    ``proposer_silence_s``: seconds without a root after which anyone may propose (devnet:
    minutes; production: days). The dispute game's (``bridge.dispute_game.GameSettings``):
    ``challenger_bond_wei`` per game, ``game_clock_s`` per side, ``game_extension_s``,
    ``game_max_depth``. Devnet values: a game of depth 16 lasts at most
    2 x 60 + 33 x 5 = 285 s, inside the 300 s window (README, "Dispute games")."""

    bond_wei: int = 10**18
    challenge_window_s: int = 300
    force_window_s: int = 120
    proposer_silence_s: int = 900
    challenger_bond_wei: int = 10**17
    game_clock_s: int = 60
    game_extension_s: int = 5
    game_max_depth: int = 32

    def game(self) -> dispute_game.GameSettings:
        return dispute_game.GameSettings(self.challenger_bond_wei, self.game_clock_s, self.game_extension_s,
                                         self.game_max_depth)


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
    # The one-step fault verifier (``contracts/fault/verifier.vy``) and its family contracts
    # (source -> address): ``bridge.fault_contracts``. Empty if deployed without them.
    verifier: str = ""
    fault_families: dict[str, str] = field(default_factory=dict)
    # name (a ``SOURCES`` key, or "dispute_game") -> the contract's ABI, so readers need no Vyper compiler.
    abis: dict[str, list] = field(default_factory=dict)
    # The dispute game (``contracts/fault/dispute_game.vy``), deployed with the verifier. Empty without it.
    dispute_game: str = ""

    def contracts(self, w3: Web3) -> dict[str, object]:
        """name -> web3 contract object (ABIs from the file; compiled if it has none); the
        dispute game as "dispute_game" when deployed."""
        names = [*SOURCES, *(["dispute_game"] if self.dispute_game else [])]
        return {name: w3.eth.contract(address=getattr(self, name), abi=self.abi(name)) for name in names}

    def abi(self, name: str) -> list:
        source = dispute_game.SOURCE if name == "dispute_game" else SOURCES[name]
        return self.abis[name] if name in self.abis else list(compile_contract(source).abi)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Deployment":
        raw = json.loads(Path(path).read_text())
        return cls(**{**raw, "settings": BridgeSettings(**raw["settings"])})


def compile_all() -> None:
    """Compile every contract ``deploy`` deploys, and the devnet's price feed (Vyper builds are
    cached on disk: a process that deploys next, e.g. a devnet, finds them compiled)."""
    for source in SOURCES.values():
        compile_contract(source)
    compile_contract("oracle/price_feed.vy")  # the devnet's L1 price feeds (``bridge.price_feed``)
    compile_fault_contracts()
    compile_contract(dispute_game.SOURCE)


def predict_portal(w3: Web3, deployer: str, *, test_token: bool = True) -> str:
    """The checksummed address ``deploy`` will give the portal when ``deployer`` starts now
    (``test_token``: deploying the test token first, as without ``token``)."""
    nonce = w3.eth.get_transaction_count(Web3.to_checksum_address(deployer), "pending")
    return get_create_address(Web3.to_checksum_address(deployer), nonce + PORTAL_POSITION - (0 if test_token else 1))


def check_token(w3: Web3, token: str) -> str:
    """An existing collateral token's checksummed address; ``DeploymentError`` unless it
    has code and ``decimals()`` is ``COLLATERAL_DECIMALS``."""
    address = Web3.to_checksum_address(token)
    if not w3.eth.get_code(address):
        raise DeploymentError(f"the collateral token {address} has no code on this L1")
    erc20 = w3.eth.contract(address=address, abi=list(compile_contract(SOURCES["token"]).abi))
    try:
        decimals = erc20.functions.decimals().call()
    except Exception as exc:
        raise DeploymentError(f"the collateral token {address} has no decimals(): {exc}") from None
    if decimals != COLLATERAL_DECIMALS:
        raise DeploymentError(f"the collateral token {address} has {decimals} decimals; the L2 accounts in "
                              f"{COLLATERAL_DECIMALS}")
    return address


def check_code(w3: Web3, address: str, runtime: bytes, name: str) -> None:
    """``DeploymentError`` unless ``address`` holds ``runtime`` (Vyper appends immutables
    after it, so the code starts with it)."""
    code = bytes(w3.eth.get_code(address))
    if not code.startswith(runtime):
        raise DeploymentError(f"{name} at {address}: the code on L1 is not the compiled runtime code")


def deploy(w3: Web3, deployer_key: bytes, sequencer: str, proposer: str,
           settings: BridgeSettings = BridgeSettings(), *,
           l2_genesis: Callable[[bytes], Genesis], fault_verifier: bool = True, token: str | None = None,
           l1_settings: L1Settings = DEFAULT_SETTINGS) -> Deployment:
    """Deploy every contract from ``deployer_key``; ``sequencer`` posts batches, ``proposer`` roots.

    ``l2_genesis(portal)`` (given the portal's 20-byte address, before anything is deployed)
    returns the L2 genesis this deployment serves; it must name that portal as its
    verifying contract (``ValueError`` otherwise). ``StateCommitments`` keeps its state root
    (``GENESIS_STATE_ROOT``), which every node checks its own genesis against at start.
    ``DeploymentError`` if the portal is not deployed at the predicted address. With
    ``fault_verifier``, the one-step verifier and its families follow the portal
    (``bridge.fault_contracts.deploy_verifier``), then the dispute game, which the deployer
    (the state commitments' owner) names there with ``set_dispute_game``. ``token``: an existing ERC-20 as the
    collateral (``check_token``) instead of a new test token. ``l1_settings``: receipts,
    confirmations and fees of the deployer's transactions.
    """
    sender = Transactor(w3, deployer_key, l1_settings)
    builds = {name: compile_contract(src) for name, src in SOURCES.items()}
    existing_token = check_token(w3, token) if token is not None else None
    expected_portal = predict_portal(w3, sender.address, test_token=existing_token is None)
    genesis = l2_genesis(bytes.fromhex(expected_portal[2:]))
    if genesis.verifying_contract != bytes.fromhex(expected_portal[2:]):
        raise ValueError(f"the L2 genesis names {genesis.verifying_contract.hex()}, not the portal {expected_portal}")
    genesis_root = genesis_state_root(genesis)
    start = w3.eth.block_number
    token = existing_token or sender.deploy(builds["token"].initcode)
    forced = sender.deploy(builds["forced"].initcode, abi_encode(["uint256"], [settings.force_window_s]))
    inbox = sender.deploy(builds["inbox"].initcode, abi_encode(["address", "address", "address"],
                                                               [sequencer, expected_portal, forced]))
    commitments = sender.deploy(builds["commitments"].initcode, abi_encode(
        ["address", "bytes32", "address", "uint256", "uint256", "uint256"],
        [inbox, genesis_root, proposer, settings.bond_wei, settings.challenge_window_s, settings.proposer_silence_s]))
    portal = sender.deploy(builds["portal"].initcode, abi_encode(  # the same window as the forced queue
        ["address", "address", "uint256"], [token, commitments, settings.force_window_s]))
    if portal != expected_portal:
        raise DeploymentError(f"the portal was deployed at {portal}, not at {expected_portal} (the deployer's nonce "
                              "moved during the deployment): the L2 genesis names the wrong verifying contract")
    for name, address in (("token", token), ("forced", forced), ("inbox", inbox), ("commitments", commitments),
                          ("portal", portal)):
        if name != "token" or existing_token is None:
            check_code(w3, address, builds[name].runtime, name)
    verifier, families, game = "", {}, ""
    abis = {name: list(build.abi) for name, build in builds.items()}
    if fault_verifier:
        l1 = {name: bytes.fromhex(address[2:]) for name, address in
              (("inbox", inbox), ("portal", portal), ("forced", forced), ("commitments", commitments))}
        fault = deploy_verifier(TransactorDeployer(sender), l1)
        verifier = Web3.to_checksum_address(fault.verifier)
        families = {source: Web3.to_checksum_address(address) for source, address in fault.families.items()}
        game_build = compile_contract(dispute_game.SOURCE)
        game = sender.deploy(game_build.initcode, dispute_game.constructor_args(
            bytes.fromhex(commitments[2:]), fault.verifier, settings.game()))
        check_code(w3, game, game_build.runtime, "dispute_game")
        abis["dispute_game"] = list(game_build.abi)
        sender.transact(w3.eth.contract(address=commitments, abi=abis["commitments"]), "set_dispute_game", game)
    return Deployment(w3.eth.chain_id, token, inbox, commitments, forced, portal,
                      Web3.to_checksum_address(sequencer), Web3.to_checksum_address(proposer), start + 1, settings,
                      encode_genesis(genesis).hex(), verifier, families, abis, game)
