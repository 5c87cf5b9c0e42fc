"""The trader's L1 side: ``optrollup deposit --l1`` and ``optrollup withdraw claim INDEX``.

``deposit_on_l1`` approves the portal and deposits from the trader's key (the same address
on both layers), then waits until the node credits the deposit on L2 (it does so after its
L1 confirmations).

``claim_on_l1`` fetches the withdrawal's proof from the node (``Query.GetWithdrawalProof``), checks on L1
that the root it is proven against is final and the withdrawal is not claimed yet (so the
trader gets a clear message instead of a revert), then sends ``Portal.claim`` from the same
key on L1. The L1 endpoint is ``--l1`` (or ``$OPTROLLUP_L1``, default the devnet's), the
contracts come from ``--deployment`` (or ``$OPTROLLUP_DEPLOYMENT``, a file written by
``bridge.deploy``; the devnet writes one in its data directory).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone
from typing import Final

from node.cli.common import COLLATERAL, emit, money
from node.client import BadInput, Client

DEFAULT_L1: Final = "http://127.0.0.1:8545"
ENV_L1: Final = "OPTROLLUP_L1"
ENV_DEPLOYMENT: Final = "OPTROLLUP_DEPLOYMENT"
WAIT_S: Final = 60.0


def l1_deployment(args: argparse.Namespace, hint: str = ""):
    """(web3, deployment, endpoint URL) from ``--l1`` / ``--deployment`` or their environment
    variables; ``BadInput`` for a missing or unreadable deployment file (``hint``: another way out)."""
    from web3 import Web3

    from bridge.deploy import Deployment

    deployment_file = args.deployment or os.environ.get(ENV_DEPLOYMENT)
    if not deployment_file:
        raise BadInput("which contracts? pass --deployment FILE (or set $OPTROLLUP_DEPLOYMENT)" + hint)
    try:
        deployment = Deployment.load(deployment_file)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BadInput(f"cannot read the deployment file {deployment_file}: {exc}") from None
    url = args.l1 or os.environ.get(ENV_L1) or DEFAULT_L1
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})), deployment, url


def _l1(args: argparse.Namespace):
    """(web3, contracts) from ``--l1`` / ``--deployment`` or their environment variables."""
    w3, deployment, _ = l1_deployment(args)
    return w3, deployment.contracts(w3)


def deposit_on_l1(args: argparse.Namespace, client: Client, amount_e6: int) -> int:
    from bridge.l1 import L1TxFailed, Transactor

    w3, contracts = _l1(args)
    token, portal = contracts["token"], contracts["portal"]
    sender = Transactor(w3, client.key)
    have = token.functions.balanceOf(sender.address).call()
    if have < amount_e6:
        print(f"optrollup deposit: error: {sender.address} holds {money(have)} tokens on L1, "
              f"less than {money(amount_e6)}")
        return 1
    before = client.account(client.address).balance_e6
    try:
        if token.functions.allowance(sender.address, portal.address).call() < amount_e6:
            sender.transact(token, "approve", portal.address, amount_e6)
        sent = sender.transact(portal, "deposit", sender.address, amount_e6)
    except L1TxFailed as exc:
        print(f"optrollup deposit: error: the L1 deposit failed: {exc.reason}")
        return 1
    index = portal.events.DepositQueued().process_receipt(sent.receipt)[0].args.index
    result = {"deposit_index": index, "amount_e6": amount_e6, "l1_tx": "0x" + sent.tx_hash.hex(),
              "l1_block": sent.block_number, "credited": False}
    if not args.no_wait:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if client.account(client.address).balance_e6 >= before + amount_e6:
                result["credited"] = True
                break
            time.sleep(0.5)
    if args.json:
        emit(result)
    else:
        credited = ("credited on L2" if result["credited"] else
                    "not yet credited on L2 (waiting for L1 confirmations)")
        print(f"deposit {index}: {money(amount_e6)} {COLLATERAL} from L1 (tx 0x{sent.tx_hash.hex()}, "
              f"block {sent.block_number}): {credited}")
    return 0


def claim_on_l1(args: argparse.Namespace, client: Client, index: int) -> int:
    from web3 import Web3

    from bridge.l1 import L1TxFailed, Transactor

    proof = client.withdrawal_proof(index)
    w3, contracts = _l1(args)
    portal, commitments = contracts["portal"], contracts["commitments"]
    if portal.functions.claimed(index).call():
        print(f"optrollup withdraw: error: withdrawal {index} is already claimed")
        return 1
    if not commitments.functions.is_final(proof.commitment_index).call():
        count = commitments.functions.commitment_count().call()
        if proof.commitment_index >= count:
            when = "its root is not posted yet"
        else:
            proposed_at = commitments.functions.commitments(proof.commitment_index).call()[5]
            final_at = proposed_at + commitments.functions.CHALLENGE_WINDOW().call()
            when = "final at " + datetime.fromtimestamp(final_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        print(f"optrollup withdraw: error: withdrawal {index} is under root {proof.commitment_index}, "
              f"which is not final yet ({when})")
        return 1
    sender = Transactor(w3, client.key)
    try:
        sent = sender.transact(portal, "claim", proof.commitment_index, index,
                               Web3.to_checksum_address(proof.sender), Web3.to_checksum_address(proof.recipient),
                               proof.amount_e6, proof.block_number, list(proof.proof))
    except L1TxFailed as exc:
        print(f"optrollup withdraw: error: the L1 claim failed: {exc.reason}")
        return 1
    result = {"withdrawal_index": index, "amount_e6": proof.amount_e6, "recipient": "0x" + proof.recipient.hex(),
              "l1_tx": "0x" + sent.tx_hash.hex(), "l1_block": sent.block_number, "gas_used": sent.gas_used}
    if args.json:
        emit(result)
    else:
        print(f"claimed withdrawal {index}: {money(proof.amount_e6)} {COLLATERAL} to 0x{proof.recipient.hex()} "
              f"(L1 tx 0x{sent.tx_hash.hex()}, block {sent.block_number}, {sent.gas_used:,} gas)")
    return 0
