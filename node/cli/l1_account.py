"""An account on both layers: ``balance``, ``withdrawals`` and the devnet ``faucet``.

    optrollup balance --dev-account bob [--l1]     # L2 balance; with --l1 the tUSD and ETH on L1
    optrollup withdrawals --key me                 # each withdrawal, its root, when final, claimed
    optrollup faucet --key me [--amount 10000] [--eth 1]   # DEVNET ONLY: tUSD and gas ETH on L1

``withdrawals`` lists the account's withdrawals from its history (``Query.GetAccountHistory``):
index, amount, L2 block, the root (state commitment = batch index) it is proven under once its
batch is sealed (``GetWithdrawalProof``), and, when the L1 is known (``--l1`` / ``--deployment``
or their environment variables), ``final at`` (the root's challenge window end, L1 time) and
``claimed`` with the claim's L1 transaction. ``faucet`` mints tUSD from the devnet deployer (the
token's minter) and sends it ETH for gas; it refuses any L1 but the devnet (chain id 900).
L1 failures are one line on stderr and exit 1 (``node.cli.l1_bridge.l1_errors``). Options and
exit codes: ``node.cli.common``.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from decimal import Decimal
from typing import Final

from node.cli.common import COLLATERAL, add_node_options, command, emit, money, money_grouped, table
from node.cli.l1_bridge import ENV_DEPLOYMENT, L1Failed, l1_deployment, l1_errors
from node.client import BadInput, Client, NotFound, to_e6

DEVNET_CHAIN_ID: Final = 900  # devnet.chain.DEVNET_CHAIN_ID (not imported: it pulls in py-evm)
DEFAULT_FAUCET_USD: Final = "10000"
DEFAULT_FAUCET_ETH: Final = "1"
MAX_FAUCET_USD_E6: Final = 1_000_000 * 10**6
MAX_FAUCET_ETH: Final = 100
WEI: Final = 10**18


def register(subparsers: argparse._SubParsersAction) -> None:
    balance = subparsers.add_parser("balance", help="collateral on L2, and with --l1 the tUSD and ETH on L1",
                                    description="An account's L2 balance; with --l1 also its collateral token "
                                                "and gas ETH on L1.")
    _l1_options(balance, "also read the L1 balances")
    add_node_options(balance, key="read")
    balance.set_defaults(func=command(_balance, need_address=True))

    withdrawals = subparsers.add_parser(
        "withdrawals", help="an account's withdrawals: root, when final, claimed",
        description="Each withdrawal of an account: amount, L2 block, the root it is proven under, when that "
                    "root is final on L1 and whether it is claimed (with the L1 transaction).")
    _l1_options(withdrawals, "read finality and claims from L1 (default: when $OPTROLLUP_DEPLOYMENT is set)")
    add_node_options(withdrawals, key="read")
    withdrawals.set_defaults(func=command(_withdrawals, need_address=True))

    faucet = subparsers.add_parser(
        "faucet", help="DEVNET ONLY: tUSD and gas ETH on L1 for an address",
        description="Devnet only: mint tUSD (the collateral token) to an address on L1 and send it ETH for "
                    "gas, from the devnet's public deployer key. Then `optrollup deposit AMOUNT --l1`.")
    faucet.add_argument("--amount", default=DEFAULT_FAUCET_USD, metavar="USDC",
                        help=f"tUSD to mint (default {DEFAULT_FAUCET_USD}, at most 1,000,000)")
    faucet.add_argument("--eth", default=DEFAULT_FAUCET_ETH, metavar="ETH",
                        help=f"ETH to send for gas (default {DEFAULT_FAUCET_ETH}, at most {MAX_FAUCET_ETH})")
    _l1_options(faucet, None)
    add_node_options(faucet, key="read")
    faucet.set_defaults(func=command(_faucet, need_address=True))


def _l1_options(parser: argparse.ArgumentParser, flag_help: str | None) -> None:
    if flag_help is None:  # the command always uses L1
        parser.add_argument("--l1", metavar="URL", default=None,
                            help="L1 JSON-RPC endpoint (default $OPTROLLUP_L1 or http://127.0.0.1:8545)")
    else:
        parser.add_argument("--l1", metavar="URL", nargs="?", const="", default=None,
                            help=flag_help + " (URL default $OPTROLLUP_L1 or http://127.0.0.1:8545)")
    parser.add_argument("--deployment", metavar="FILE", default=None,
                        help="the contracts' deployment file (default $OPTROLLUP_DEPLOYMENT)")


def _utc(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ether(wei: int) -> str:
    """ETH with up to 6 decimals, rounded down."""
    return money_grouped(wei // 10**12)


def _balance(args: argparse.Namespace, client: Client) -> int:
    info = client.account(args.account_address)
    result = {"address": args.account_address, "l2_balance_e6": info.balance_e6, "block_number": info.block_number}
    if args.l1 is not None:
        w3, deployment, url = l1_deployment(args)
        with l1_errors(url):
            token = deployment.contracts(w3)["token"]
            checksum = w3.to_checksum_address(args.account_address)
            result["l1_token_e6"] = token.functions.balanceOf(checksum).call()
            result["l1_eth_wei"] = w3.eth.get_balance(checksum)
    if args.json:
        emit(result)
        return 0
    rows = [("L2", "balance", money_grouped(info.balance_e6), COLLATERAL, f"(L2 block {info.block_number})")]
    if "l1_token_e6" in result:
        rows.append(("L1", "tUSD", money_grouped(result["l1_token_e6"]), COLLATERAL, "(collateral token)"))
        rows.append(("L1", "gas", ether(result["l1_eth_wei"]), "ETH", ""))
    print(f"account 0x{args.account_address.hex()}")
    print(table(("", "", "", "", ""), rows, (False, False, True, False, False)).split("\n", 1)[1])
    return 0


def _withdrawals(args: argparse.Namespace, client: Client) -> int:
    mine = [e for e in client.history_all(args.account_address)
            if e.kind == "withdraw" and e.own and e.code == 0]
    use_l1 = args.l1 is not None or bool(args.deployment or os.environ.get(ENV_DEPLOYMENT))
    contracts, url = (None, "")
    if use_l1:
        w3, deployment, url = l1_deployment(args)
        with l1_errors(url):
            w3.eth.chain_id  # reachable? (asked for, so say so even with no withdrawal to look up)
            contracts = deployment.contracts(w3)
    rows = []
    for entry in reversed(mine):  # oldest first
        row = {"index": entry.order_id, "amount_e6": entry.amount_e6, "l2_block": entry.block_number,
               "tx_hash": entry.tx_hash, "root": None, "root_l2_block": None, "final_at": None, "final": None,
               "claimed": None, "claim_l1_tx": None}
        try:
            proof = client.withdrawal_proof(entry.order_id)
            row["root"], row["root_l2_block"] = proof.commitment_index, proof.l2_block
        except NotFound:
            pass
        if contracts is not None:
            with l1_errors(url):
                _l1_status(contracts, row)
        rows.append(row)
    if args.json:
        emit(rows)
        return 0
    if not rows:
        print("no withdrawals")
        return 0
    dash = lambda value, text=None: "-" if value is None else (text if text is not None else str(value))  # noqa: E731
    table_rows = [(r["index"], money(r["amount_e6"]), r["l2_block"],
                   dash(r["root"], f"{r['root']} (L2 block {r['root_l2_block']})"),
                   dash(r["final_at"], r["final_at"] and _utc(r["final_at"])),
                   dash(r["claimed"], ("yes, L1 tx " + r["claim_l1_tx"]) if r["claimed"] and r["claim_l1_tx"]
                        else ("yes" if r["claimed"] else "no")))
                  for r in rows]
    print(table(("INDEX", f"AMOUNT ({COLLATERAL})", "L2 BLOCK", "ROOT", "FINAL AT", "CLAIMED"), table_rows,
                (True, True, True, False, False, False)))
    if contracts is None:
        print("(finality and claims: pass --l1 and --deployment, or set $OPTROLLUP_DEPLOYMENT)")
    return 0


def _l1_status(contracts, row: dict) -> None:
    portal, commitments = contracts["portal"], contracts["commitments"]
    row["claimed"] = bool(portal.functions.claimed(row["index"]).call())
    if row["claimed"]:
        logs = portal.events.WithdrawalClaimed().get_logs(argument_filters={"index": row["index"]}, from_block=0)
        if logs:
            row["claim_l1_tx"] = "0x" + bytes(logs[0].transactionHash).hex()
    if row["root"] is not None and row["root"] < commitments.functions.commitment_count().call():
        proposed_at = commitments.functions.commitments(row["root"]).call()[5]
        row["final_at"] = proposed_at + commitments.functions.CHALLENGE_WINDOW().call()
        row["final"] = bool(commitments.functions.is_final(row["root"]).call())


def _faucet(args: argparse.Namespace, client: Client) -> int:
    from web3 import Web3

    from bridge.l1 import Transactor

    amount_e6 = to_e6(args.amount, "amount")
    try:
        eth_wei = int(Decimal(args.eth) * WEI)
    except ArithmeticError:
        raise BadInput(f"--eth: not a number: {args.eth!r}") from None
    if not 0 < amount_e6 <= MAX_FAUCET_USD_E6 or not 0 <= eth_wei <= MAX_FAUCET_ETH * WEI:
        raise BadInput(f"the faucet gives 0 < tUSD <= 1,000,000 and 0 <= ETH <= {MAX_FAUCET_ETH}")
    w3, deployment, url = l1_deployment(args)
    with l1_errors(url):
        if w3.eth.chain_id != DEVNET_CHAIN_ID:
            raise L1Failed(f"the faucet is for the devnet only: the L1 at {url} has chain id {w3.eth.chain_id}, "
                           f"not {DEVNET_CHAIN_ID}")
        from devnet.accounts import devnet_key

        deployer = Transactor(w3, devnet_key("deployer"))
        token = deployment.contracts(w3)["token"]
        if token.functions.minter().call() != deployer.address:
            raise L1Failed("the faucet is for the devnet only: its deployer is not this token's minter")
        to = Web3.to_checksum_address(args.account_address)
        minted = deployer.transact(token, "mint", to, amount_e6)
        sent = deployer.send(to, value=eth_wei) if eth_wei else None
        balance_e6, balance_wei = token.functions.balanceOf(to).call(), w3.eth.get_balance(to)
    result = {"address": args.account_address, "minted_e6": amount_e6, "eth_wei": eth_wei,
              "mint_l1_tx": "0x" + minted.tx_hash.hex(), "eth_l1_tx": "0x" + sent.tx_hash.hex() if sent else None,
              "l1_token_e6": balance_e6, "l1_eth_wei": balance_wei}
    if args.json:
        emit(result)
    else:
        print(f"devnet faucet: {money_grouped(amount_e6)} tUSD and {ether(eth_wei)} ETH to {to} on L1 "
              f"(now {money_grouped(balance_e6)} tUSD, {ether(balance_wei)} ETH); "
              f"next: optrollup deposit AMOUNT --l1")
    return 0
