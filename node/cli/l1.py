"""``optrollup l1``: the devnet L1 (py-evm, JSON-RPC) with the rollup's contracts deployed.

On first start it creates the chain (in ``DIR/chain`` with ``--data-dir``, else in memory),
serves it on ``--listen`` (default 127.0.0.1:8545), then deploys the contracts over its own
JSON-RPC endpoint (web3 in a worker thread; blocks are mined on demand while deploying, then
every ``--block-time`` seconds), mints 1,000,000 tUSD on L1 to each dev trader (alice, bob,
carol, maker) and deposits ``--maker-deposit`` of maker's into the L2 so the dev market maker
can quote. It writes ``DIR/deployment.json``: the contract addresses, settings and the L2
genesis (``Deployment.l2_genesis``: the dev genesis, timed at the L1 head when deploying,
whose EIP-712 domain is ``--l2-chain-id`` and the portal's address, predicted before the
deployment so that the genesis is final before any contract exists).
The L2 genesis lives there so that a follower derives the whole chain from L1 and that file
alone, and the sequencer and every follower start from the same genesis.

Restarting with the same ``--data-dir`` resumes the chain and keeps the deployment (checked
against the chain: the portal must have code). SIGINT/SIGTERM stop it cleanly (pending
transactions are mined first). Prints the endpoint, chain id, contracts and the funded keys;
the line ``l1 ready`` tells an orchestrator that the endpoint and the deployment are ready.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import Final

from node import logs

log = logging.getLogger(__name__)

DEFAULT_LISTEN: Final = "127.0.0.1:8545"
TRADER_MINT_E6: Final = 1_000_000 * 10**6
DEFAULT_MAKER_DEPOSIT_E6: Final = 500_000 * 10**6
READY_LINE: Final = "l1 ready"
# devnet.chain and bridge.deploy defaults, repeated so that building the CLI parser does not
# import py-evm (tests/node/cli/test_devnet_cli.py checks they agree)
DEFAULT_GAS_LIMIT: Final = 30_000_000
DEVNET_CHAIN_ID: Final = 900
DEFAULT_L2_CHAIN_ID: Final = 901  # node.sequencer.dev.DEV_CHAIN_ID
DEFAULT_SETTINGS: Final = {"bond_wei": 10**18, "challenge_window_s": 300, "force_window_s": 120,
                           "proposer_silence_s": 900, "challenger_bond_wei": 10**17, "game_clock_s": 60,
                           "game_extension_s": 5, "game_max_depth": 32}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "l1", help="run the devnet L1 (JSON-RPC) with the rollup contracts deployed",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="keep the chain and deployment.json in DIR (resumes if present); default: memory")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
                        help=f"JSON-RPC listen address (default {DEFAULT_LISTEN}; port 0 = any free port)")
    parser.add_argument("--block-time", type=float, default=1.0, metavar="S",
                        help="mine a block every S seconds (default 1; 0 = on each transaction)")
    parser.add_argument("--gas-limit", type=int, default=DEFAULT_GAS_LIMIT, metavar="N",
                        help=f"block gas limit at genesis (default {DEFAULT_GAS_LIMIT:,})")
    parser.add_argument("--chain-id", type=int, default=DEVNET_CHAIN_ID, help=f"L1 chain id (default {DEVNET_CHAIN_ID})")
    parser.add_argument("--l2-chain-id", type=_chain_id, default=DEFAULT_L2_CHAIN_ID, metavar="N",
                        help=f"L2 chain id of a new deployment's genesis, part of every signature's EIP-712 domain "
                             f"with the portal address (default {DEFAULT_L2_CHAIN_ID}; give each deployment its own)")
    parser.add_argument("--challenge-window", type=int, default=DEFAULT_SETTINGS['challenge_window_s'], metavar="S",
                        help=f"seconds before a state root is final (default {DEFAULT_SETTINGS['challenge_window_s']})")
    parser.add_argument("--force-window", type=int, default=DEFAULT_SETTINGS['force_window_s'], metavar="S",
                        help=f"seconds before a forced transaction must be included (default {DEFAULT_SETTINGS['force_window_s']})")
    parser.add_argument("--bond-wei", type=int, default=DEFAULT_SETTINGS['bond_wei'], metavar="WEI",
                        help=f"bond per state root (default {DEFAULT_SETTINGS['bond_wei']})")
    parser.add_argument("--maker-deposit", type=int, default=DEFAULT_MAKER_DEPOSIT_E6 // 10**6, metavar="TUSD",
                        help="tUSD deposited into L2 for the dev market maker at deployment (default 500000; 0 = none)")
    parser.add_argument("--log-level", choices=logs.LEVELS, default="INFO", type=str.upper)
    parser.set_defaults(func=run)


def _chain_id(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text}") from None
    if not 0 < value < 2**64:
        raise argparse.ArgumentTypeError(f"a chain id is in [1, 2**64): {text}")
    return value


def _split(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host or "127.0.0.1", int(port)


def deploy_devnet(url: str, args: argparse.Namespace):
    """Deploy the contracts, mint the traders' tUSD, fund the maker on L2 (blocking, JSON-RPC)."""
    from web3 import Web3

    from bridge.deploy import BridgeSettings, deploy
    from bridge.l1 import Transactor
    from devnet.accounts import TRADERS, devnet_key
    from node.sequencer.dev import dev_genesis
    from node.stf.eip712 import Domain
    from node.wallet import address_of

    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    settings = BridgeSettings(bond_wei=args.bond_wei, challenge_window_s=args.challenge_window,
                              force_window_s=args.force_window)
    addr = {name: Web3.to_checksum_address(address_of(devnet_key(name))) for name in ("sequencer", "proposer")}
    w3.provider.make_request("evm_mine", [])  # a block at the current time (a fresh chain's genesis is older)
    genesis_time = w3.eth.get_block("latest")["timestamp"]
    deployment = deploy(w3, devnet_key("deployer"), addr["sequencer"], addr["proposer"], settings,
                        l2_genesis=lambda portal: dev_genesis(genesis_time, Domain(args.l2_chain_id, portal)))
    contracts = deployment.contracts(w3)
    token, portal = contracts["token"], contracts["portal"]
    deployer = Transactor(w3, devnet_key("deployer"))
    for name in TRADERS:
        deployer.transact(token, "mint", Web3.to_checksum_address(address_of(devnet_key(name))), TRADER_MINT_E6)
    if args.maker_deposit > 0:
        maker = Transactor(w3, devnet_key("maker"))
        amount = args.maker_deposit * 10**6
        maker.transact(token, "approve", portal.address, amount)
        maker.transact(portal, "deposit", maker.address, amount)
    return deployment


def _deployment_ok(url: str, deployment) -> bool:
    from web3 import Web3

    from node.store.codec import decode_genesis

    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        genesis = decode_genesis(bytes.fromhex(deployment.l2_genesis))
    except ValueError:  # none, or of an older format: deploy again
        return False
    return (w3.eth.chain_id == deployment.chain_id and len(w3.eth.get_code(deployment.portal)) > 0
            and genesis.verifying_contract == bytes.fromhex(deployment.portal[2:]))


async def _main(args: argparse.Namespace) -> int:
    from bridge.deploy import Deployment
    from devnet.accounts import devnet_accounts, genesis_alloc
    from devnet.chain import DevnetChain
    from devnet.server import Devnet
    from node.wallet import address_of

    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="optrollup-l1-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    deployment_file = data_dir / "deployment.json"
    chain = DevnetChain(str(data_dir / "chain") if args.data_dir else None, alloc=genesis_alloc(),
                        chain_id=args.chain_id, gas_limit=args.gas_limit)
    devnet = Devnet(chain, block_time_s=args.block_time)
    host, port = _split(args.listen)
    try:
        port = await devnet.start(host, port)
    except OSError as exc:
        chain.close()
        print(f"optrollup l1: cannot listen on {args.listen}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    url = f"http://{host}:{port}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        deployment = None
        if chain.resumed and deployment_file.exists():
            deployment = Deployment.load(deployment_file)
            if not await asyncio.to_thread(_deployment_ok, url, deployment):
                print(f"{deployment_file} does not match this chain: deploying again", flush=True)
                deployment = None
        if deployment is None:
            devnet.set_interval_mining(0)  # mine each deployment transaction at once
            devnet.set_automine(True)
            try:
                deployment = await asyncio.to_thread(deploy_devnet, url, args)
            finally:
                devnet.set_automine(args.block_time == 0)
                devnet.set_interval_mining(int(args.block_time * 1000))
            deployment.save(deployment_file)
            print(f"deployed the contracts (L1 block {chain.head.block_number})", flush=True)
        else:
            print(f"resumed the chain at L1 block {chain.head.block_number}", flush=True)
        print(f"optrollup devnet L1: {url}  chain id {chain.chain_id}  "
              f"block time {args.block_time:g}s  head {chain.head.block_number}")
        print(f"deployment: {deployment_file}")
        for name in ("token", "inbox", "commitments", "forced", "portal"):
            print(f"  {name:12s} {getattr(deployment, name)}")
        s = deployment.settings
        print(f"  settings: challenge window {s.challenge_window_s}s, force window {s.force_window_s}s, "
              f"bond {s.bond_wei / 10**18:g} ETH")
        print("funded L1 accounts (development keys, public: never use them elsewhere):")
        for name, key in devnet_accounts().items():
            print(f"  {name:10s} 0x{address_of(key).hex()}  key 0x{key.hex()}")
        print(READY_LINE, flush=True)
        await stop.wait()
    finally:
        print("stopping...", flush=True)
        await devnet.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    logs.setup_logging("text", getattr(args, "log_level", "INFO"))
    try:
        return asyncio.run(_main(args))
    except OSError as exc:
        print(f"optrollup l1: {exc}", file=sys.stderr)
        return 1
