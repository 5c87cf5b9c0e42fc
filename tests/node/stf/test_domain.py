"""Signatures are bound to one deployment: the EIP-712 domain is the genesis chain id and portal.

Two deployments with the same L2 chain id and different L1 portals: whatever a trader signs
for one is, on the other, a transaction of an unrelated (unfunded) address, so it moves
nothing of the trader's there. The genesis roots differ, so an L1 that commits to one
genesis root commits to its domain.
"""

from __future__ import annotations

from node.stf import keys
from node.stf.eip712 import Domain
from node.stf.errors import FailureCode
from node.stf.tx_codec import decode_tx
from node.wallet import address_of
from tests.node.stf.harness import CHAIN_ID, DOMAIN, PORTAL, Chain

E6 = 10**6
OTHER_PORTAL = bytes.fromhex("9fe46736679d2d9a65f0992f2272de9f3c7fa6e0")
BUY = 0


def funded_pair() -> tuple[Chain, Chain, bytes]:
    """Deployments A and B (same chain id, other portal), alice holding 1,000 on both."""
    a, b = Chain(), Chain(domain=Domain(CHAIN_ID, OTHER_PORTAL))
    alice = a.trader("alice", 1_000)
    assert b.trader("alice", 1_000) == alice
    return a, b, alice


def test_the_domain_is_the_genesis_chain_id_and_portal() -> None:
    a, b, _ = funded_pair()
    assert a.state.get(keys.CONFIG).domain == DOMAIN == Domain(CHAIN_ID, PORTAL)
    assert b.state.get(keys.CONFIG).domain == Domain(CHAIN_ID, OTHER_PORTAL)
    assert a.genesis_root != b.genesis_root  # the L1 commits to the domain through the root


def test_a_withdrawal_signed_for_one_deployment_moves_nothing_on_another() -> None:
    a, b, alice = funded_pair()
    withdrawal = a.withdraw(alice, 400)  # signed with deployment A's domain
    assert decode_tx(withdrawal, b.domain).sender != address_of(alice)
    (on_b,) = b.run(withdrawal)
    assert on_b.code == FailureCode.INSUFFICIENT_BALANCE  # another, unfunded address
    assert b.balance(alice) == 1_000 * E6
    assert b.state.get(keys.withdrawal(0)) is None
    (on_a,) = a.run(withdrawal)
    assert on_a.ok and a.balance(alice) == 600 * E6


def test_an_order_signed_for_one_deployment_is_never_the_traders_on_another() -> None:
    a, b, alice = funded_pair()
    (instrument,) = b.market()
    order = a.order(alice, instrument, BUY, 100, 1)
    stranger = decode_tx(order, b.domain).sender
    b.run(order)
    assert b.account(alice).open_orders == () and b.balance(alice) == 1_000 * E6
    resting = [b.state.get(keys.order(i)) for i in range(1, 3)]
    assert all(order is None or order.owner == stranger for order in resting)
