"""Signed transactions from the command line: ``order``, ``cancel``, ``withdraw``, ``deposit``.

    optrollup order buy ETH-25DEC26-3000-C 1.5 123.4 --dev-account bob [--ioc|--fok|--post-only]
                    [--reduce-only] [--client-id N] [--expiry UNIX]
    optrollup cancel 17 --key mm            # by order id
    optrollup cancel --client-id 42 --key mm
    optrollup cancel --all [--instrument ETH-25DEC26-3000-C] --key mm
    optrollup withdraw 250 [--to 0x...] --key mm
    optrollup deposit 10000 --dev-account carol   # DEV FAUCET: development nodes only

SIZE is in contracts, PRICE and AMOUNT in collateral units (USDC), as exact decimals with at
most 6 places. Each command waits for the transaction's block and prints its receipt (or
``--json``); a failure receipt prints one line (failure name and number, the node's message,
the transaction) on stderr and exits 1. Options and exit codes: ``node.cli.common``.

Before signing, the CLI checks what it already knows, so a bad order does not use a nonce
on chain: an order's price on the series' tick and its size a multiple of the minimum size
(exit 2, naming which of the two is wrong and the nearest valid values); a buy whose premium
exceeds the balance, a withdrawal above the balance (exit 1, amounts in collateral units:
``balance 7,372.40 USDC < 100,000,000.00 USDC``). The node checks everything again.
"""

from __future__ import annotations

import argparse

import grpc

from node.cli.common import (
    COLLATERAL,
    EXIT_BAD_INPUT,
    add_node_options,
    command,
    emit,
    fail,
    money,
    money_grouped,
    qty,
    table,
)
from node.client import BadInput, Client, ClientError, Instrument, NodeError, Receipt, to_e6

MAX_PRICE_E6 = 10**15  # README "Field values": a price is in (0, 10^15]


class Refused(ClientError):
    """A check before signing shows the node would refuse (exit status 1)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    order = subparsers.add_parser(
        "order", help="place a limit order (signed)",
        description="Place a limit order: SIZE contracts at PRICE collateral units per contract (exact "
                    "decimals, at most 6 places). Good till cancelled unless --ioc, --fok or --post-only.")
    order.add_argument("side", choices=("buy", "sell"))
    order.add_argument("instrument", metavar="INSTRUMENT",
                       help="instrument id or name, e.g. ETH-25DEC26-3000-C, or ETH-ATM-C / ETH-ATM-P (the nearest "
                            "expiry's at-the-money call / put)")
    order.add_argument("size", metavar="SIZE", help="contracts, e.g. 1.5")
    order.add_argument("price", metavar="PRICE", help=f"{COLLATERAL} per contract, e.g. 123.4")
    tif = order.add_mutually_exclusive_group()
    tif.add_argument("--ioc", dest="tif", action="store_const", const="ioc", help="immediate or cancel")
    tif.add_argument("--fok", dest="tif", action="store_const", const="fok", help="fill or kill")
    tif.add_argument("--post-only", dest="tif", action="store_const", const="post_only",
                     help="rest without taking (refused if it would cross)")
    order.add_argument("--reduce-only", action="store_true", help="may only reduce the position")
    order.add_argument("--client-id", type=_non_negative, default=0, metavar="N",
                       help="client order id (unique among your open orders; cancel with it)")
    order.add_argument("--expiry", type=_non_negative, default=0, metavar="UNIX",
                       help="last second (unix) the order may be placed or filled (default none)")
    add_node_options(order, key="sign")
    order.set_defaults(func=command(_order, sign=True, validate=_check_order), tif="gtc")

    cancel = subparsers.add_parser(
        "cancel", help="cancel an order, or all orders (signed)",
        description="Cancel one open order by ORDER_ID or --client-id, or every open order with --all "
                    "(on one instrument with --instrument).")
    cancel.add_argument("order_id", metavar="ORDER_ID", nargs="?", type=_positive, help="the order id")
    cancel.add_argument("--client-id", type=_positive, metavar="N", help="cancel by client order id")
    cancel.add_argument("--all", action="store_true", help="cancel all open orders")
    cancel.add_argument("--instrument", metavar="X", help="with --all: only on this instrument (id or name)")
    add_node_options(cancel, key="sign")
    cancel.set_defaults(func=_cancel)

    withdraw = subparsers.add_parser(
        "withdraw", help="request a withdrawal to L1, or claim one on L1 (signed)",
        description=f"`withdraw AMOUNT`: move AMOUNT {COLLATERAL} from the L2 balance to a withdrawal claimable "
                    "on L1 by --to (default: the signer's own address); the receipt gives its index. "
                    "`withdraw claim INDEX`: once the batch holding it has a final state root on L1, send the "
                    "portal claim (with the proof the node serves) from the same key on L1 (--l1, --deployment).")
    withdraw.add_argument("words", metavar="AMOUNT | claim INDEX", nargs="+")
    withdraw.add_argument("--to", metavar="0x...", default=None, help="L1 recipient (default: your address)")
    withdraw.add_argument("--l1", metavar="URL", default=None,
                          help="claim: L1 JSON-RPC endpoint (default $OPTROLLUP_L1 or http://127.0.0.1:8545)")
    withdraw.add_argument("--deployment", metavar="FILE", default=None,
                          help="claim: the contracts' deployment file (default $OPTROLLUP_DEPLOYMENT)")
    add_node_options(withdraw, key="sign")
    withdraw.set_defaults(func=_withdraw_or_claim)

    deposit = subparsers.add_parser(
        "deposit", help="deposit collateral: on L1 through the portal (--l1), or the dev faucet",
        description=f"With --l1: approve and deposit AMOUNT tokens into the L1 portal from your key (the same "
                    f"address on L1 and L2), then wait until the L2 credits it (after the node's L1 "
                    f"confirmations). Without --l1, DEVELOPMENT NODES WITHOUT AN L1 ONLY: credit AMOUNT "
                    f"{COLLATERAL} (at most 1,000,000 per call) through the node's dev faucet.")
    deposit.add_argument("amount", metavar="AMOUNT", help=f"{COLLATERAL}, e.g. 10000")
    deposit.add_argument("--l1", metavar="URL", nargs="?", const="", default=None,
                         help="deposit on L1 (URL default $OPTROLLUP_L1 or http://127.0.0.1:8545)")
    deposit.add_argument("--deployment", metavar="FILE", default=None,
                         help="with --l1: the contracts' deployment file (default $OPTROLLUP_DEPLOYMENT)")
    deposit.add_argument("--no-wait", action="store_true", help="with --l1: do not wait for the L2 credit")
    add_node_options(deposit, key="read+sign")
    deposit.set_defaults(func=_deposit_l1_or_faucet)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def print_receipt(receipt: Receipt, names: dict[int, str] | None = None) -> None:
    """The human form of a receipt: status line, order outcome, fills, cancellations."""
    names = names or {}
    status = "OK" if receipt.ok else f"{receipt.failure_name} ({receipt.code})"
    print(f"tx 0x{receipt.tx_hash.hex()}  block {receipt.block_number}  {status}")
    if receipt.detail:
        print(f"detail: {receipt.detail}")
    if receipt.order_id:
        line = f"order {receipt.order_id}: filled {qty(receipt.filled_e6)}, resting {qty(receipt.rested_e6)}"
        if receipt.remainder_code:
            line += f" (remainder cancelled: {receipt.remainder_name})"
        print(line)
    if receipt.fills:
        rows = [(f.maker_order_id, names.get(f.instrument_id, f.instrument_id), "buy" if f.taker_side == 0 else "sell",
                 qty(f.size_e6), qty(f.price_e6), money(f.taker_fee_e6), money(f.maker_fee_e6))
                for f in receipt.fills]
        print(table(("MAKER ORDER", "INSTRUMENT", "TAKER", "SIZE", "PRICE", "TAKER FEE", "MAKER FEE"), rows,
                    (True, False, False, True, True, True, True)))
    if receipt.cancelled:
        print(table(("CANCELLED ORDER", "REASON"), [(c.order_id, c.failure_name) for c in receipt.cancelled],
                    (True, False)))


def _check_order(args: argparse.Namespace) -> None:
    if to_e6(args.size, "size") <= 0 or to_e6(args.price, "price") <= 0:
        raise BadInput("size and price must be positive")


def check_order_fits(inst: Instrument, size_e6: int, price_e6: int) -> None:
    """``BadInput`` naming which of price or size the series refuses, with the nearest valid values."""
    tick, step = inst.tick_size_e6, inst.min_size_e6
    if price_e6 > MAX_PRICE_E6:
        raise BadInput(f"price {qty(price_e6)} is above the maximum {qty(MAX_PRICE_E6)}")
    if tick and price_e6 % tick:
        below = price_e6 - price_e6 % tick
        nearest = f"{qty(below)} or {qty(below + tick)}" if below else qty(tick)
        raise BadInput(f"price {qty(price_e6)} is not on {inst.name}'s tick of {qty(tick)} {COLLATERAL} "
                       f"(try {nearest})")
    if size_e6 < step:
        raise BadInput(f"size {qty(size_e6)} is below {inst.name}'s minimum size of {qty(step)} contracts")
    if step and size_e6 % step:
        below = size_e6 - size_e6 % step
        raise BadInput(f"size {qty(size_e6)} is not a multiple of {inst.name}'s minimum size of {qty(step)} "
                       f"contracts (try {qty(below)} or {qty(below + step)})")


def _order(args: argparse.Namespace, client: Client) -> int:
    inst = client.instrument(args.instrument)
    size_e6, price_e6 = to_e6(args.size, "size"), to_e6(args.price, "price")
    check_order_fits(inst, size_e6, price_e6)
    if args.side == "buy" and not args.reduce_only:
        balance_e6 = client.account(client.address).balance_e6
        premium_e6 = price_e6 * size_e6 // 10**6
        if premium_e6 > balance_e6:
            raise Refused(f"balance {money_grouped(balance_e6)} {COLLATERAL} < premium "
                          f"{money_grouped(premium_e6)} {COLLATERAL} ({qty(size_e6)} x {qty(price_e6)})")
    receipt = client.place_order(inst.instrument_id, args.side, args.size, args.price, time_in_force=args.tif,
                                 reduce_only=args.reduce_only, client_order_id=args.client_id, expiry=args.expiry)
    if args.json:
        emit(receipt)
    else:
        print_receipt(receipt, {inst.instrument_id: inst.name})
    return 0


def _cancel(args: argparse.Namespace) -> int:
    if args.all:
        if args.order_id is not None or args.client_id is not None:
            return fail(args, "--all takes no ORDER_ID or --client-id", EXIT_BAD_INPUT)
        handler = lambda a, c: _show(a, c.cancel_all(a.instrument or 0))  # noqa: E731
    elif args.instrument is not None:
        return fail(args, "--instrument goes with --all", EXIT_BAD_INPUT)
    elif (args.order_id is None) == (args.client_id is None):
        return fail(args, "give ORDER_ID, --client-id N or --all", EXIT_BAD_INPUT)
    elif args.order_id is not None:
        handler = lambda a, c: _show(a, c.cancel(a.order_id))  # noqa: E731
    else:
        handler = lambda a, c: _show(a, c.cancel(client_order_id=a.client_id))  # noqa: E731
    return command(handler, sign=True)(args)


def _show(args: argparse.Namespace, receipt: Receipt) -> int:
    if args.json:
        emit(receipt)
    else:
        print_receipt(receipt)
    return 0


def _withdraw_or_claim(args: argparse.Namespace) -> int:
    if args.words[0] == "claim":
        def check(a: argparse.Namespace) -> None:
            if len(a.words) != 2 or not a.words[1].isdigit():
                raise BadInput("usage: optrollup withdraw claim INDEX (the withdrawal's index)")
        return command(_claim, sign=True, validate=check)(args)

    def check_amount(a: argparse.Namespace) -> None:
        if len(a.words) != 1:
            raise BadInput("usage: optrollup withdraw AMOUNT | optrollup withdraw claim INDEX")
        a.amount = a.words[0]
        to_e6(a.amount, "amount")
    return command(_withdraw, sign=True, validate=check_amount)(args)


def _withdraw(args: argparse.Namespace, client: Client) -> int:
    amount_e6 = to_e6(args.amount, "amount")
    if amount_e6 <= 0:
        raise BadInput("the amount must be positive")
    balance_e6 = client.account(client.address).balance_e6
    if amount_e6 > balance_e6:
        raise Refused(f"balance {money_grouped(balance_e6)} {COLLATERAL} < {money_grouped(amount_e6)} "
                      f"{COLLATERAL} to withdraw")
    receipt = client.withdraw(args.amount, args.to)
    if args.json:
        emit(receipt)
        return 0
    print_receipt(receipt)
    to = args.to or f"0x{client.address.hex()}"
    print(f"withdrawal {receipt.order_id}: {money(amount_e6)} {COLLATERAL} to {to} on L1; claim it once its root "
          f"is final: optrollup withdraw claim {receipt.order_id} (see optrollup withdrawals)")
    return 0


def _claim(args: argparse.Namespace, client: Client) -> int:
    from node.cli.l1_bridge import claim_on_l1

    return claim_on_l1(args, client, int(args.words[1]))


def _deposit_l1_or_faucet(args: argparse.Namespace) -> int:
    validate = lambda a: to_e6(a.amount, "amount")  # noqa: E731
    if args.l1 is not None:
        if getattr(args, "address", None):
            return _usage(args, "--l1 signs on L1: use --key or --dev-account")
        args.password_file = getattr(args, "password_file", None)
        return command(_deposit_l1, sign=True, validate=validate)(args)
    return command(_deposit, need_address=True, validate=validate)(args)


def _usage(args: argparse.Namespace, message: str) -> int:
    from node.cli.common import EXIT_BAD_INPUT, fail

    return fail(args, message, EXIT_BAD_INPUT)


def _deposit_l1(args: argparse.Namespace, client: Client) -> int:
    from node.cli.l1_bridge import deposit_on_l1

    return deposit_on_l1(args, client, to_e6(args.amount, "amount"))


def _deposit(args: argparse.Namespace, client: Client) -> int:
    try:
        index, receipt = client.faucet(args.amount, args.account_address)
    except NodeError as exc:
        if exc.status == grpc.StatusCode.UNIMPLEMENTED:  # a rollup node: no faucet, deposits come from L1
            raise Refused(f"the node at {client.target} takes deposits from L1 only: deposit with --l1 "
                          "(and --deployment FILE or $OPTROLLUP_DEPLOYMENT)") from None
        raise
    if args.json:
        emit({"deposit_index": index, "receipt": receipt})
    else:
        print(f"dev faucet: deposit {index} of {args.amount} {COLLATERAL} to 0x{args.account_address.hex()}")
        print_receipt(receipt)
    return 0
