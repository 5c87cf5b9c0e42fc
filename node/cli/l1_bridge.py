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

Every L1 failure (endpoint down, a timeout, a reverted call, a node that answers with an
error, no contract at the deployment's addresses) becomes ``L1Failed``: one line on stderr
and exit status 1 (``l1_errors``), never a traceback. Amounts in messages are in collateral
units with thousands separators (``7,372.40 USDC``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from datetime import datetime, timezone
from typing import Final, Iterator

from node.cli.common import COLLATERAL, emit, money, money_grouped
from node.client import BadInput, Client, ClientError

DEFAULT_L1: Final = "http://127.0.0.1:8545"
ENV_L1: Final = "OPTROLLUP_L1"
ENV_DEPLOYMENT: Final = "OPTROLLUP_DEPLOYMENT"
WAIT_S: Final = 60.0
L1_TIMEOUT_S: Final = 30
PROOF_WAIT_S: Final = 20.0  # a batch is sealed every few seconds: a claim right after the withdrawal waits


class L1Failed(ClientError):
    """An L1 call or transaction failed; the message is one line for a person."""


@contextlib.contextmanager
def l1_errors(url: str) -> Iterator[None]:
    """Turn whatever web3 / requests raise into ``L1Failed`` with one readable line."""
    import requests
    from web3.exceptions import BadFunctionCallOutput, ContractLogicError, TimeExhausted, Web3Exception

    from bridge.l1 import L1TxFailed

    try:
        yield
    except L1TxFailed as exc:
        raise L1Failed(f"the L1 transaction failed: {exc.reason}") from None
    except requests.exceptions.Timeout:
        raise L1Failed(f"the L1 at {url} did not answer in {L1_TIMEOUT_S} s") from None
    except requests.exceptions.ConnectionError:
        raise L1Failed(f"cannot reach the L1 at {url} (is it running? --l1 URL or $OPTROLLUP_L1)") from None
    except requests.exceptions.RequestException as exc:
        raise L1Failed(f"the L1 at {url} answered with an error: {_first_line(exc)}") from None
    except ContractLogicError as exc:
        raise L1Failed(f"the L1 call reverted: {_first_line(exc)}") from None
    except BadFunctionCallOutput:
        raise L1Failed(f"no contract answers at the deployment's addresses on {url}: "
                       "is --deployment the file of this L1?") from None
    except TimeExhausted:
        raise L1Failed(f"the L1 transaction was not mined in time on {url}") from None
    except (Web3Exception, ValueError, OSError) as exc:
        raise L1Failed(f"the L1 at {url} failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


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
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": L1_TIMEOUT_S})), deployment, url


def _l1(args: argparse.Namespace):
    """(web3, contracts, URL) from ``--l1`` / ``--deployment`` or their environment variables."""
    w3, deployment, url = l1_deployment(args)
    return w3, deployment.contracts(w3), url


def _deposit_queued_index(portal, receipt) -> int:
    from web3.logs import DISCARD

    return portal.events.DepositQueued().process_receipt(receipt, errors=DISCARD)[0].args.index


def deposit_on_l1(args: argparse.Namespace, client: Client, amount_e6: int) -> int:
    w3, contracts, url = _l1(args)
    with l1_errors(url):
        return _deposit_on_l1(args, client, amount_e6, w3, contracts)


def _deposit_on_l1(args: argparse.Namespace, client: Client, amount_e6: int, w3, contracts) -> int:
    from bridge.l1 import Transactor

    token, portal = contracts["token"], contracts["portal"]
    sender = Transactor(w3, client.key)
    have = token.functions.balanceOf(sender.address).call()
    if have < amount_e6:
        raise L1Failed(f"{sender.address} holds {money_grouped(have)} {COLLATERAL} on L1 "
                       f"< {money_grouped(amount_e6)} {COLLATERAL} to deposit")
    before = client.account(client.address).balance_e6
    if token.functions.allowance(sender.address, portal.address).call() < amount_e6:
        sender.transact(token, "approve", portal.address, amount_e6)
    sent = sender.transact(portal, "deposit", sender.address, amount_e6)
    index = _deposit_queued_index(portal, sent.receipt)
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
    proof = _wait_for_proof(client, index)
    w3, contracts, url = _l1(args)
    with l1_errors(url):
        return _claim_on_l1(args, client, index, proof, w3, contracts)


def _wait_for_proof(client: Client, index: int):
    """The withdrawal's proof, waiting up to ``PROOF_WAIT_S`` for the batch holding it to be sealed."""
    from node.client import NotFound

    deadline = time.monotonic() + PROOF_WAIT_S
    while True:
        try:
            return client.withdrawal_proof(index)
        except NotFound:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def final_at_text(commitments, commitment_index: int) -> str:
    """``final at HH:MM:SS UTC`` of a posted root, or why there is no such time yet."""
    count = commitments.functions.commitment_count().call()
    if commitment_index >= count:
        return "its root is not posted yet"
    proposed_at = commitments.functions.commitments(commitment_index).call()[5]
    final_at = proposed_at + commitments.functions.CHALLENGE_WINDOW().call()
    return "final at " + datetime.fromtimestamp(final_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _claim_on_l1(args: argparse.Namespace, client: Client, index: int, proof, w3, contracts) -> int:
    from web3 import Web3

    from bridge.l1 import Transactor

    portal, commitments = contracts["portal"], contracts["commitments"]
    if portal.functions.claimed(index).call():
        raise L1Failed(f"withdrawal {index} is already claimed")
    deadline = time.monotonic() + PROOF_WAIT_S  # the root follows its batch on L1 within seconds
    while (commitments.functions.commitment_count().call() <= proof.commitment_index
           and time.monotonic() < deadline):
        time.sleep(0.5)
    if not commitments.functions.is_final(proof.commitment_index).call():
        raise L1Failed(f"withdrawal {index} is under root {proof.commitment_index}, which is not final yet "
                       f"({final_at_text(commitments, proof.commitment_index)})")
    sender = Transactor(w3, client.key)
    sent = sender.transact(portal, "claim", proof.commitment_index, index,
                           Web3.to_checksum_address(proof.sender), Web3.to_checksum_address(proof.recipient),
                           proof.amount_e6, proof.block_number, list(proof.proof))
    result = {"withdrawal_index": index, "amount_e6": proof.amount_e6, "recipient": "0x" + proof.recipient.hex(),
              "l1_tx": "0x" + sent.tx_hash.hex(), "l1_block": sent.block_number, "gas_used": sent.gas_used}
    if args.json:
        emit(result)
    else:
        print(f"claimed withdrawal {index}: {money(proof.amount_e6)} {COLLATERAL} to 0x{proof.recipient.hex()} "
              f"(L1 tx 0x{sent.tx_hash.hex()}, block {sent.block_number}, {sent.gas_used:,} gas)")
    return 0
