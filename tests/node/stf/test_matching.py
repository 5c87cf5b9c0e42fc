"""Order placement and matching rules, with exact balances after fills."""

from __future__ import annotations

import pytest

from node.stf import keys
from node.stf.errors import FailureCode
from node.stf.params import MAX_MATCH_STEPS, MAX_OPEN_ORDERS
from node.stf.txtypes import TimeInForce
from node.wallet import address_of
from tests.node.stf.harness import E6, EXPIRY_25DEC26, Chain

BUY, SELL = 0, 1
FUNDS = 100_000


@pytest.fixture
def chain() -> Chain:
    return Chain()


@pytest.fixture
def market(chain: Chain) -> int:
    return chain.market(index=3000, vol=0.65)[0]


def test_fill_moves_premium_and_fees_exactly(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice", FUNDS), chain.trader("bob", FUNDS)
    maker, taker = chain.run(chain.order(bob, market, SELL, 150, 1), chain.order(alice, market, BUY, 150, 1))
    assert maker.ok and maker.rested_e6 == E6
    assert taker.ok and taker.filled_e6 == E6 and taker.rested_e6 == 0
    (fill,) = taker.fills
    # premium 150; taker fee min(0.03% x 3000, 12.5% x 150) = 0.9; maker fee 0.01% x 3000 = 0.3
    assert (fill.price_e6, fill.size_e6, fill.taker_fee_e6, fill.maker_fee_e6) == (150 * E6, E6, 900_000, 300_000)
    assert chain.balance(alice) == FUNDS * E6 - 150 * E6 - 900_000
    assert chain.balance(bob) == FUNDS * E6 + 150 * E6 - 300_000
    assert chain.state.get(keys.GLOBALS).fee_pool_e6 == 1_200_000
    assert chain.position(alice, market) == E6 and chain.position(bob, market) == -E6
    assert chain.state.get(keys.instrument(market)).best_ask_e6 == 0


def test_fee_capped_at_share_of_premium(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    _, taker = chain.run(chain.order(bob, market, SELL, 2, 10), chain.order(alice, market, BUY, 2, 10))
    # by index: 10 x 0.9 = 9; by price: 12.5% x 2 x 10 = 2.5 -> 2.5
    assert taker.fills[0].taker_fee_e6 == 2_500_000


def test_price_time_priority(chain: Chain, market: int) -> None:
    alice, bob, carol = chain.trader("alice"), chain.trader("bob"), chain.trader("carol")
    r = chain.run(
        chain.order(bob, market, SELL, 151, 1),
        chain.order(carol, market, SELL, 150, 1),
        chain.order(bob, market, SELL, 150, 1),
    )
    first_at_150, second_at_150 = r[1].order_id, r[2].order_id
    (taker,) = chain.run(chain.order(alice, market, BUY, 151, 2.5))
    assert [f.maker_order_id for f in taker.fills] == [first_at_150, second_at_150, r[0].order_id]
    assert [f.price_e6 for f in taker.fills] == [150 * E6, 150 * E6, 151 * E6]
    assert taker.fills[-1].size_e6 == E6 // 2
    assert chain.state.get(keys.order(r[0].order_id)).remaining_e6 == E6 // 2


def test_gtc_remainder_rests_at_its_price(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    chain.run(chain.order(bob, market, SELL, 150, 1))
    (taker,) = chain.run(chain.order(alice, market, BUY, 155, 3))
    assert taker.filled_e6 == E6 and taker.rested_e6 == 2 * E6
    inst = chain.state.get(keys.instrument(market))
    assert inst.best_bid_e6 == 155 * E6 and inst.best_ask_e6 == 0
    assert chain.account(alice).open_orders == (taker.order_id,)


def test_ioc_remainder_cancelled(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    chain.run(chain.order(bob, market, SELL, 150, 1))
    (taker,) = chain.run(chain.order(alice, market, BUY, 155, 3, tif=TimeInForce.IOC))
    assert taker.ok and taker.filled_e6 == E6 and taker.rested_e6 == 0
    assert taker.remainder_code == FailureCode.NO_LIQUIDITY
    assert chain.state.get(keys.instrument(market)).best_bid_e6 == 0
    assert chain.account(alice).open_orders == ()


def test_fok_all_or_nothing(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    (maker,) = chain.run(chain.order(bob, market, SELL, 150, 1))
    before = chain.balance(alice)
    (fok,) = chain.run(chain.order(alice, market, BUY, 150, 2, tif=TimeInForce.FOK))
    assert fok.code == FailureCode.FOK_NOT_FILLABLE
    assert chain.balance(alice) == before and chain.position(alice, market) == 0
    assert chain.state.get(keys.order(maker.order_id)).remaining_e6 == E6
    (fok,) = chain.run(chain.order(alice, market, BUY, 150, 1, tif=TimeInForce.FOK))
    assert fok.ok and fok.filled_e6 == E6


def test_post_only(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    chain.run(chain.order(bob, market, SELL, 150, 1))
    crossing, resting = chain.run(
        chain.order(alice, market, BUY, 150, 1, tif=TimeInForce.POST_ONLY),
        chain.order(alice, market, BUY, 149.9, 1, tif=TimeInForce.POST_ONLY),
    )
    assert crossing.code == FailureCode.POST_ONLY_WOULD_CROSS
    assert resting.ok and resting.rested_e6 == E6


def test_reduce_only(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    (r,) = chain.run(chain.order(alice, market, BUY, 150, 1, reduce_only=True))
    assert r.code == FailureCode.REDUCE_ONLY_WOULD_INCREASE
    chain.run(chain.order(bob, market, SELL, 150, 2), chain.order(alice, market, BUY, 150, 2))
    too_big, ok = chain.run(
        chain.order(alice, market, SELL, 140, 3, reduce_only=True),
        chain.order(alice, market, SELL, 140, 1.5, reduce_only=True),
    )
    assert too_big.code == FailureCode.REDUCE_ONLY_WOULD_INCREASE
    assert ok.ok and ok.rested_e6 == 1_500_000


def test_resting_reduce_only_is_capped_to_position(chain: Chain, market: int) -> None:
    alice, bob, carol = chain.trader("alice"), chain.trader("bob"), chain.trader("carol")
    chain.run(chain.order(bob, market, SELL, 150, 2), chain.order(alice, market, BUY, 150, 2))
    (ro,) = chain.run(chain.order(alice, market, SELL, 160, 2, reduce_only=True))
    chain.run(chain.order(bob, market, BUY, 150, 1.5))  # a bid for alice to close into
    # alice closes 1.5 elsewhere, so her reduce-only sell of 2 can only reduce 0.5 more
    chain.run(chain.order(alice, market, SELL, 150, 1.5))
    assert chain.position(alice, market) == E6 // 2
    (taker,) = chain.run(chain.order(carol, market, BUY, 160, 2))
    assert taker.filled_e6 == E6 // 2
    assert (ro.order_id, FailureCode.REDUCE_ONLY_WOULD_INCREASE) in taker.cancelled
    assert chain.position(alice, market) == 0


def test_self_trade_cancels_resting_order(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    own, other = chain.run(chain.order(alice, market, SELL, 150, 1), chain.order(bob, market, SELL, 151, 1))
    (taker,) = chain.run(chain.order(alice, market, BUY, 151, 1))
    assert taker.cancelled == ((own.order_id, FailureCode.SELF_TRADE),)
    assert [f.maker_order_id for f in taker.fills] == [other.order_id]
    assert chain.state.get(keys.order(own.order_id)) is None


def test_cancel_by_id_and_client_id(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    a, b = chain.run(
        chain.order(alice, market, BUY, 100, 1, client_order_id=7),
        chain.order(alice, market, BUY, 101, 1),
    )
    dup, not_owner, by_client, by_id, gone = chain.run(
        chain.order(alice, market, BUY, 99, 1, client_order_id=7),
        chain.cancel(bob, order_id=b.order_id),
        chain.cancel(alice, client_order_id=7),
        chain.cancel(alice, order_id=b.order_id),
        chain.cancel(alice, order_id=b.order_id),
    )
    assert dup.code == FailureCode.DUPLICATE_CLIENT_ORDER_ID
    assert not_owner.code == FailureCode.NOT_ORDER_OWNER
    assert by_client.ok and by_client.order_id == a.order_id
    assert by_id.ok and gone.code == FailureCode.UNKNOWN_ORDER
    assert chain.account(alice).open_orders == ()
    assert chain.state.get(keys.instrument(market)).best_bid_e6 == 0
    # the client order id is free again once its order is gone
    (reuse,) = chain.run(chain.order(alice, market, BUY, 99, 1, client_order_id=7))
    assert reuse.ok


def test_cancel_all_per_instrument_and_everything(chain: Chain) -> None:
    m1, m2 = chain.market(series=((EXPIRY_25DEC26, 3000, True), (EXPIRY_25DEC26, 3000, False)))
    alice = chain.trader("alice")
    chain.run(*[chain.order(alice, m, BUY, 10 + i, 1) for m in (m1, m2) for i in range(3)])
    (r,) = chain.run(chain.cancel_all(alice, m1))
    assert r.ok and r.detail == "3 orders cancelled"
    assert all(chain.state.get(keys.order(o)).instrument_id == m2 for o in chain.account(alice).open_orders)
    (r,) = chain.run(chain.cancel_all(alice))
    assert r.detail == "3 orders cancelled" and chain.account(alice).open_orders == ()


def test_order_expiry(chain: Chain, market: int) -> None:
    alice, bob = chain.trader("alice"), chain.trader("bob")
    (late,) = chain.run(chain.order(alice, market, BUY, 150, 1, expiry=chain.time - 10))
    assert late.code == FailureCode.ORDER_EXPIRED
    (maker,) = chain.run(chain.order(bob, market, SELL, 150, 1, expiry=chain.time + 5))
    (taker,) = chain.run(chain.order(alice, market, BUY, 150, 1), dt=10)
    assert taker.filled_e6 == 0 and taker.cancelled == ((maker.order_id, FailureCode.MAKER_CANCELLED_EXPIRED),)
    assert taker.rested_e6 == E6


@pytest.mark.parametrize(
    ("instrument", "price", "size", "code"),
    [
        (999, 150, 1, FailureCode.UNKNOWN_INSTRUMENT),
        (None, 150.05, 1, FailureCode.PRICE_OFF_TICK),
        (None, 0, 1, FailureCode.PRICE_OUT_OF_RANGE),
        (None, 150, 0.05, FailureCode.SIZE_BELOW_MINIMUM),
        (None, 150, 0.15, FailureCode.SIZE_OFF_STEP),
    ],
)
def test_order_validation(chain: Chain, market: int, instrument, price, size, code) -> None:
    alice = chain.trader("alice")
    (r,) = chain.run(chain.order(alice, instrument or market, BUY, price, size))
    assert r.code == code
    assert chain.account(alice).open_orders == ()


def test_bad_side_and_time_in_force(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    bad_side, bad_tif = chain.run(
        chain.order(alice, market, 2, 150, 1), chain.order(alice, market, BUY, 150, 1, tif=9)
    )
    assert bad_side.code == FailureCode.BAD_SIDE and bad_tif.code == FailureCode.BAD_TIME_IN_FORCE


def test_instrument_expired(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    (r,) = chain.run(chain.order(alice, market, BUY, 150, 1), dt=EXPIRY_25DEC26 - chain.time)
    assert r.code == FailureCode.INSTRUMENT_EXPIRED


def test_too_many_open_orders(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    receipts = chain.run(*[chain.order(alice, market, BUY, 1 + i * 0.1, 1) for i in range(MAX_OPEN_ORDERS + 1)])
    assert all(r.ok for r in receipts[:-1])
    assert receipts[-1].code == FailureCode.TOO_MANY_OPEN_ORDERS
    (ioc,) = chain.run(chain.order(alice, market, SELL, 500, 1, tif=TimeInForce.IOC))
    assert ioc.ok  # an IOC never rests, so the limit does not apply


def test_match_step_bound_cancels_crossing_remainder(chain: Chain, market: int) -> None:
    makers = [chain.trader(f"mm{i}") for i in range(MAX_MATCH_STEPS + 3)]
    chain.run(*[chain.order(k, market, SELL, 150, 0.1) for k in makers])
    alice = chain.trader("alice")
    (taker,) = chain.run(chain.order(alice, market, BUY, 150, 10))
    assert len(taker.fills) == MAX_MATCH_STEPS
    assert taker.remainder_code == FailureCode.MATCH_LIMIT_REACHED and taker.rested_e6 == 0
    inst = chain.state.get(keys.instrument(market))
    assert inst.best_bid_e6 == 0 and inst.best_ask_e6 == 150 * E6  # not crossed


def test_short_needs_initial_margin(chain: Chain, market: int) -> None:
    poor, rich = chain.trader("poor", 300), chain.trader("rich")
    # Selling 1 ATM call needs 0.15 x 3000 = 450 on top of the mark (the premium is received)
    chain.run(chain.order(rich, market, BUY, 150, 1))
    (r,) = chain.run(chain.order(poor, market, SELL, 150, 1))
    assert r.code == FailureCode.INSUFFICIENT_MARGIN
    assert chain.position(poor, market) == 0 and chain.balance(poor) == 300 * E6


def test_maker_without_margin_is_cancelled_and_charged(chain: Chain, market: int) -> None:
    poor, rich, other = chain.trader("poor", 700), chain.trader("rich"), chain.trader("other")
    bad, good = chain.run(chain.order(poor, market, SELL, 150, 1), chain.order(other, market, SELL, 151, 1))
    assert bad.rested_e6 == E6  # backed when it rested...
    chain.run(chain.oracle(1, 3300, 0.65))  # ...but the index rallied since
    (taker,) = chain.run(chain.order(rich, market, BUY, 151, 1))
    assert taker.cancelled == ((bad.order_id, FailureCode.MAKER_INSUFFICIENT_MARGIN),)
    assert taker.fills[0].maker_order_id == good.order_id
    assert chain.account(poor).open_orders == () and chain.account(poor).order_totals == ()
    # it pays the taker fee on the order: min(0.03% x 3300, 12.5% x 150) x 1 = 0.99
    assert chain.balance(poor) == 700 * E6 - 990_000


def test_buyer_pays_premium_from_cash(chain: Chain, market: int) -> None:
    poor, rich = chain.trader("poor", 100), chain.trader("rich")
    chain.run(chain.order(rich, market, SELL, 150, 1))
    (r,) = chain.run(chain.order(poor, market, BUY, 150, 1))
    assert r.code == FailureCode.INSUFFICIENT_BALANCE
    assert chain.balance(poor) == 100 * E6


def test_closing_a_short_is_allowed_below_initial_margin(chain: Chain, market: int) -> None:
    seller, buyer, mm = chain.trader("seller", 700), chain.trader("buyer"), chain.trader("mm")
    chain.run(chain.order(buyer, market, BUY, 150, 1), chain.order(seller, market, SELL, 150, 1))
    assert chain.position(seller, market) == -E6
    # the index rallies: the short is now below initial margin
    chain.run(chain.oracle(1, 3300, 0.65))
    from node.stf import margin

    assert not margin.meets_initial(chain.state, chain.account(seller))
    chain.run(chain.order(mm, market, SELL, 300, 0.5))
    (close,) = chain.run(chain.order(seller, market, BUY, 300, 0.5))
    assert close.ok and close.filled_e6 == E6 // 2
    assert chain.position(seller, market) == -E6 // 2


def test_replayed_transaction_is_rejected_and_nonces_are_unordered(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    later = chain.order(alice, market, BUY, 100, 1, nonce=200)
    earlier = chain.order(alice, market, BUY, 101, 1, nonce=3)
    first, second, replay = chain.run(later, earlier, later)
    assert first.ok and second.ok
    assert replay.code == FailureCode.NONCE_ALREADY_USED
    assert len(chain.account(alice).open_orders) == 2


def test_failed_transaction_still_uses_its_nonce(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    bad = chain.order(alice, market, BUY, 150.05, 1, nonce=77)
    first, again = chain.run(bad, bad)
    assert first.code == FailureCode.PRICE_OFF_TICK and again.code == FailureCode.NONCE_ALREADY_USED


def test_garbage_bytes_get_a_receipt(chain: Chain, market: int) -> None:
    receipts = chain.run(b"", b"\x01\x02\x03", b"\xff" * 100)
    assert all(r.code in (FailureCode.DECODE_ERROR, FailureCode.UNKNOWN_TX_TYPE) for r in receipts)
    assert receipts[2].code == FailureCode.UNKNOWN_TX_TYPE


def test_address_is_ethereum_address() -> None:
    key = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    assert address_of(key).hex() == "2c7536e3605d9c16a7a3d7b1898e529396a65c23"


def test_nonce_window_slides_and_rejects_old_nonces(chain: Chain, market: int) -> None:
    alice = chain.trader("alice")
    r = chain.run(
        chain.order(alice, market, BUY, 100, 1, nonce=10),
        chain.order(alice, market, BUY, 100.1, 1, nonce=5),
        chain.order(alice, market, BUY, 100.2, 1, nonce=10 + 300),  # slides the window to [55, 311)
        chain.order(alice, market, BUY, 100.3, 1, nonce=54),
        chain.order(alice, market, BUY, 100.4, 1, nonce=55),
        chain.order(alice, market, BUY, 100.5, 1, nonce=310),
    )
    assert [x.code for x in r] == [
        FailureCode.OK, FailureCode.OK, FailureCode.OK,
        FailureCode.NONCE_OUT_OF_RANGE, FailureCode.OK, FailureCode.NONCE_ALREADY_USED,
    ]
    account = chain.account(alice)
    assert account.nonce_floor == 55


def test_order_signed_by_eth_account_is_accepted_in_a_block(chain: Chain, market: int) -> None:
    from eth_account import Account as EthAccount

    from node.stf.eip712 import typed_data
    from node.stf.tx_codec import encode_tx
    from node.stf.txtypes import PlaceOrder
    from tests.node.stf.harness import DOMAIN

    wallet = EthAccount.create()
    chain.run(chain.deposit(bytes.fromhex(wallet.address[2:]), 1_000))
    body = PlaceOrder(0, market, BUY, 120 * E6, E6, 0, False, 42, 0)
    signed = EthAccount.sign_typed_data(wallet.key, full_message=typed_data(body, DOMAIN))
    (receipt,) = chain.run(encode_tx(body, (signed.v - 27, signed.r, signed.s)))
    assert receipt.ok and receipt.rested_e6 == E6
    order = chain.state.get(keys.order(receipt.order_id))
    assert order.owner.hex() == wallet.address[2:].lower() and order.client_order_id == 42
