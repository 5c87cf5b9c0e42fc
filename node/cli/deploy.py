"""``optrollup genesis init`` and ``optrollup deploy``: launch the rollup on any L1.

    optrollup genesis init --out genesis.toml --admin ADDR --oracle ADDR --sequencer ADDR \\
        --proposer ADDR [--chain-id N] [--token ADDR]
    optrollup deploy --l1 URL --genesis genesis.toml --deployer-key LABEL [--keys-dir DIR] \\
        [--password-file FILE] [--token ADDR | --test-token] [--confirmations N] \\
        [--no-fault-verifier] --out deployment.json

``genesis init`` writes a documented genesis file (``bridge.genesis_file``: every field
explained) with the default markets, ready to edit. ``deploy`` reads it, deploys every
contract to the JSON-RPC endpoint from the keystore key ``LABEL`` (the roles are the
file's addresses, not necessarily the deployer), waits for each transaction (and
``--confirmations`` blocks on top), checks each contract's code against the compiled one,
and writes the deployment file: addresses, settings, the L2 genesis and the contracts'
ABIs (so the L1 commands need no Vyper compiler). ``--token``/``--test-token`` override
the file's collateral. Exit codes: 0 deployed, 1 the L1 refused or failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.cli.common import EXIT_BAD_INPUT, EXIT_FAILED


def register(subparsers: argparse._SubParsersAction) -> None:
    genesis = subparsers.add_parser("genesis", help="write a genesis file",
                                    description="Write a documented genesis file for `optrollup deploy`.")
    actions = genesis.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="a documented genesis with the default markets",
                              description="Write a genesis file (TOML) with every field documented.")
    init.add_argument("--out", required=True, metavar="FILE", help="where to write it (refuses to overwrite)")
    for role, text in (("admin", "lists instruments"), ("oracle", "signs oracle updates"),
                       ("sequencer", "posts batches"), ("proposer", "proposes state roots with a bond")):
        init.add_argument(f"--{role}", required=True, metavar="ADDR", help=f"the address that {text}")
    init.add_argument("--chain-id", type=int, default=901, metavar="N", help="the L2 chain id (default 901)")
    init.add_argument("--token", default="test", metavar="ADDR",
                      help="the collateral ERC-20 (6 decimals); default: deploy the test token")
    init.set_defaults(func=_init)

    deploy = subparsers.add_parser(
        "deploy", help="deploy the contracts to an L1 from a genesis file",
        description=__doc__.split("\n\n")[2].replace("\n", " "))
    deploy.add_argument("--l1", required=True, metavar="URL", help="the L1's JSON-RPC endpoint")
    deploy.add_argument("--genesis", required=True, metavar="FILE", help="the genesis file (TOML, or .json)")
    deploy.add_argument("--deployer-key", required=True, metavar="LABEL",
                        help="keystore label of the key that pays for the deployment (`optrollup keys`)")
    deploy.add_argument("--keys-dir", metavar="DIR", default=None,
                        help="keys directory (default $OPTROLLUP_KEYS_DIR or ~/.optrollup/keys)")
    deploy.add_argument("--password-file", metavar="FILE", default=None,
                        help="the key's passphrase (else $OPTROLLUP_PASSWORD, else a prompt)")
    token = deploy.add_mutually_exclusive_group()
    token.add_argument("--token", metavar="ADDR", default=None, help="collateral: this existing ERC-20")
    token.add_argument("--test-token", action="store_true", help="collateral: deploy the mintable test token")
    deploy.add_argument("--confirmations", type=int, default=0, metavar="N",
                        help="blocks on top of each deployment transaction before the next (default 0)")
    deploy.add_argument("--receipt-timeout", type=float, default=120.0, metavar="S",
                        help="give up waiting for one transaction after S seconds (default 120)")
    deploy.add_argument("--no-fault-verifier", dest="fault_verifier", action="store_false",
                        help="skip the one-step fault verifier (a chain whose roots nobody can dispute: tests only)")
    deploy.add_argument("--out", required=True, metavar="FILE", help="the deployment file to write")
    deploy.set_defaults(func=_deploy)


def _init(args: argparse.Namespace) -> int:
    from bridge.genesis_file import GenesisFileError, parse, template

    out = Path(args.out)
    if out.exists():
        print(f"optrollup genesis init: {out} exists; not overwritten", file=sys.stderr)
        return EXIT_BAD_INPUT
    text = template(admin=args.admin, oracle=args.oracle, sequencer=args.sequencer, proposer=args.proposer,
                    chain_id=args.chain_id, token=args.token)
    import tomllib

    try:
        parse(tomllib.loads(text))
    except GenesisFileError as exc:
        print(f"optrollup genesis init: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out.write_text(text)
    print(f"wrote {out}: edit it, then `optrollup deploy --genesis {out} ...`")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from bridge.genesis_file import GenesisFileError, load
    from node.keystore import Keystore, KeystoreError, read_passphrase

    try:
        spec = load(args.genesis)
    except GenesisFileError as exc:
        print(f"optrollup deploy: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if Path(args.out).exists():
        print(f"optrollup deploy: {args.out} exists; not overwritten", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        key = Keystore(args.keys_dir).load(args.deployer_key, read_passphrase(
            args.password_file, prompt=f"passphrase for {args.deployer_key}: "))
    except KeystoreError as exc:
        print(f"optrollup deploy: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from web3 import Web3

    from bridge.deploy import DeploymentError, deploy
    from bridge.l1 import L1Settings, L1TxFailed, L1TxPending

    token = None if args.test_token else args.token or (None if spec.token is None else "0x" + spec.token.hex())
    w3 = Web3(Web3.HTTPProvider(args.l1, request_kwargs={"timeout": 60}))
    try:
        l1_time = w3.eth.get_block("latest")["timestamp"]
    except Exception as exc:
        print(f"optrollup deploy: cannot reach the L1 at {args.l1}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        settings = L1Settings(confirmations=args.confirmations, receipt_timeout_s=args.receipt_timeout)
        deployment = deploy(w3, key, "0x" + spec.sequencer.hex(), "0x" + spec.proposer.hex(),
                            spec.bridge_settings(), l2_genesis=lambda portal: spec.l2_genesis(portal, l1_time),
                            fault_verifier=args.fault_verifier, token=token, l1_settings=settings)
    except (GenesisFileError, ValueError) as exc:
        print(f"optrollup deploy: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DeploymentError, L1TxFailed, L1TxPending) as exc:
        print(f"optrollup deploy: {exc}", file=sys.stderr)
        return EXIT_FAILED
    deployment.save(args.out)
    print(f"deployed to L1 chain {deployment.chain_id} from block {deployment.deployed_at_block}: "
          f"portal {deployment.portal}, inbox {deployment.inbox}, commitments {deployment.commitments}, "
          f"forced {deployment.forced}, token {deployment.token}"
          + (f", verifier {deployment.verifier}" if deployment.verifier else "") + f"; wrote {args.out}")
    return 0
