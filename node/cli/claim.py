"""``optrollup withdraw claim INDEX``: pay an L2 withdrawal out on L1.

Fetches the withdrawal's proof from the node (``Query.GetWithdrawalProof``), checks on L1
that the root it is proven against is final and the withdrawal is not claimed yet (so the
trader gets a clear message instead of a revert), then sends ``Portal.claim`` from the same
key on L1. The L1 endpoint is ``--l1`` (or ``$OPTROLLUP_L1``, default the devnet's), the
contracts come from ``--deployment`` (or ``$OPTROLLUP_DEPLOYMENT``, a file written by
``bridge.deploy``; the devnet writes one in its data directory).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from typing import Final

from node.cli.common import COLLATERAL, emit, money
from node.client import BadInput, Client

DEFAULT_L1: Final = "http://127.0.0.1:8545"
ENV_L1: Final = "OPTROLLUP_L1"
ENV_DEPLOYMENT: Final = "OPTROLLUP_DEPLOYMENT"


def claim_on_l1(args: argparse.Namespace, client: Client, index: int) -> int:
    from web3 import Web3

    from bridge.deploy import Deployment
    from bridge.l1 import L1TxFailed, Transactor

    deployment_file = args.deployment or os.environ.get(ENV_DEPLOYMENT)
    if not deployment_file:
        raise BadInput("which contracts? pass --deployment FILE (or set $OPTROLLUP_DEPLOYMENT)")
    try:
        deployment = Deployment.load(deployment_file)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BadInput(f"cannot read the deployment file {deployment_file}: {exc}") from None
    proof = client.withdrawal_proof(index)
    w3 = Web3(Web3.HTTPProvider(args.l1 or os.environ.get(ENV_L1) or DEFAULT_L1, request_kwargs={"timeout": 30}))
    contracts = deployment.contracts(w3)
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
