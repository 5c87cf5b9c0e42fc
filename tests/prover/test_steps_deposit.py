"""Deposits in the trace: a credit step, and a margin sum only for a recipient under a
liquidation auction with positions (``transfers.DepositPhase``).

In one call a deposit to such an account decides whether its auction ends with a margin
summary over all its series (``auction.end_if_recovered``): one step reading every mark and
underlying of the account, beyond any step bound. As steps, the credit is one step and the
summary runs in the margin sub-machine's chunks. The test traces deposits that do and do not
end an auction, proves every step, checks that the trace halts on the node's fast-path root
(``apply_deposit`` in one call), and bounds the keys of every step.
"""

from __future__ import annotations

from node.stf import keys as state_keys
from node.stf.l1_inputs import L1Deposit
from node.stf.state import State
from node.stf.transfers import apply_deposit
from node.stf.txtypes import Deposit
from node.wallet import address_of
from tests.prover.test_steps_risk import many_series_market, post, scenario_of, trace_and_check
from tests.prover.workload import clone, fast_path

DEPOSIT_KEYS_MAX = 4
"""Keys of one deposit step: the globals, the recipient's account and its auction (the
recovery step: the auction)."""
MARGIN_KEYS_MAX = 18
"""Keys of one margin step (README, "Fault proofs: the trace")."""
SERIES = 20
BUY, SELL = 0, 1


def auctioned_market():
    """A seller short one call on each of ~20 series (thin cash), under a liquidation
    auction after the index rose."""
    chain, ids, traders = many_series_market(n_expiries=2, strikes=10)
    seller, buyer = chain.trader("seller", 3000), traders["alice"]
    calls = ids[0::2][:SERIES]
    for instrument in calls:
        chain.run(chain.order(buyer, instrument, BUY, 50, 0.2), chain.order(seller, instrument, SELL, 50, 0.2))
    assert len(chain.account(seller).positions) > 16  # more than two margin chunks
    assert chain.run(chain.oracle(1, 3600, 1.0), dt=60)[0].ok
    assert chain.run(chain.liquidate(traders["bob"], seller, calls[0], 0), dt=15)[0].ok
    assert chain.state.get(state_keys.auction(address_of(seller))) is not None
    return chain, ids, traders, address_of(seller)


def test_one_call_deposit_reads_every_series() -> None:
    """Why deposits are steps: the one-call rule reads a mark per series of the recipient."""
    chain, _, _, seller = auctioned_market()
    state = State(clone(chain.backend), log_access=True)
    index = state.get(state_keys.GLOBALS).next_deposit_index
    apply_deposit(state, Deposit(index, seller, 10**6))
    state.commit_transaction()
    assert len(state.access_log[-1]) > SERIES


def test_deposits_to_an_auctioned_account_step_within_bounds() -> None:
    """Three L1 deposits in one block: one to an account without an auction, one too small
    to end the seller's auction, one that ends it; a deposit out of order from the forced
    queue is dropped by derivation, so the failure path is a zero amount (refused)."""
    chain, ids, traders, seller = auctioned_market()
    scenario = scenario_of(chain, ids, traders)
    time = chain.time + 60
    for recipient, amount in ((address_of(traders["bob"]), 5 * 10**6), (seller, 10**6), (seller, 10**11), (seller, 0)):
        scenario.deposits.append(L1Deposit(len(scenario.deposits), recipient, amount, time + 600, 0))
    post(scenario, [(time, [])])
    counts, largest = trace_and_check(scenario)
    assert counts["DEPOSIT"] == 4 and counts["DEPOSIT_RECOVERY"] == 2 and counts["ROLLBACK"] == 1, counts
    assert counts["MARGIN"] == 2 and counts["MARGIN_FOLD"] >= 2 * 2  # each summary: ~20 series in chunks of 8
    assert max(largest[k] for k in ("DEPOSIT", "DEPOSIT_RECOVERY")) <= DEPOSIT_KEYS_MAX, largest
    assert max(largest["MARGIN"], largest["MARGIN_FOLD"]) <= MARGIN_KEYS_MAX, largest
    fast = clone(chain.backend)
    fast_path(scenario, fast, scenario.batches[0])
    assert State(fast).get(state_keys.auction(seller)) is None  # the large deposit ended it
