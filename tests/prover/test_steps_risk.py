"""The stepped risk rules in the trace: oracle updates over many series, withdrawals,
settlements with resting orders and liquidations with auctions.

Each test builds a market, posts batches of the kind's worst cases, and checks that every
step re-executes from its proof alone (same post-claim), that the trace halts on the
node's fast-path root, and that every step of these kinds touches a bounded number of keys
(``len(proof.keys)``, the bound named in each test).
"""

from __future__ import annotations

from collections import Counter

from node.stf import keys as state_keys
from node.stf.l1_inputs import L1Deposit
from node.stf.oracle import apply_oracle_update
from node.stf.settlement import SETTLEMENT_WINDOW
from node.stf.state import State
from node.stf.tx_codec import decode_tx
from node.stf.txtypes import Settle, VolPoint
from node.wallet import address_of
from prover.client.proof import StepProof
from prover.client.trace import Boundary, TraceRun
from tests.node.stf.harness import E6, EXPIRY_25DEC26, EXPIRY_29JAN27, Chain
from tests.prover.workload import Batch, Scenario, clone, encode_blocks, fast_path

ORACLE_KINDS = {"ORACLE_CHECK", "ORACLE_MARK"}
ORACLE_KEYS_MAX = 4
"""Keys of one oracle step: the underlying, the series' instrument, its expiry's settlement
record and its mark (the check step: the configuration and the underlying)."""


def scenario_of(chain: Chain, ids: list[int], traders: dict[str, bytes]) -> Scenario:
    """A scenario whose genesis is ``chain``'s committed state (its set-up deposits applied)."""
    credited = [L1Deposit(i, bytes(20), 1, 0, 0) for i in range(chain.deposits)]
    return Scenario(chain, ids, traders, deposits=credited)


def post(scenario: Scenario, blocks: list[tuple[int, list[bytes]]]) -> Batch:
    """Append a batch of ``blocks`` (block time, signed transactions)."""
    items = [(time, len(scenario.deposits), len(scenario.forced), txs) for time, txs in blocks]
    batch = Batch(len(scenario.batches), items, blocks[-1][0] + 5, encode_blocks(items),
                  len(scenario.deposits), len(scenario.forced))
    scenario.batches.append(batch)
    return batch


def trace_and_check(scenario: Scenario) -> tuple[Counter, dict[str, int]]:
    """Every batch traced with a proof per step, each re-executed; returns the steps per
    kind and the largest key count per kind."""
    fast = clone(scenario.chain.backend)
    traced = clone(scenario.chain.backend)
    counts: Counter = Counter()
    largest: dict[str, int] = {}
    for batch in scenario.batches:
        root = fast_path(scenario, fast, batch)
        boundaries: list[Boundary] = []
        proofs: list[StepProof] = []
        TraceRun(traced, batch.index, scenario.inputs(batch)).run(boundaries.append, on_proof=proofs.append)
        assert boundaries[-1].state_root == root, f"batch {batch.index}: the trace halts on another root"
        for proof, before, after in zip(proofs, boundaries, boundaries[1:]):
            checked = StepProof.from_json(proof.to_json()).verify()
            assert checked.post_claim == after.claim and checked.post_state_root == after.state_root
            counts[checked.kind] += 1
            largest[checked.kind] = max(largest.get(checked.kind, 0), len(proof.keys))
    return counts, largest


def many_series_market(n_expiries: int, strikes: int) -> tuple[Chain, list[int], dict[str, bytes]]:
    """A market of ``n_expiries x strikes x 2`` series on underlying 1 (calls and puts)."""
    chain = Chain()
    expiries = [EXPIRY_25DEC26 + k * 86_400 for k in range(n_expiries - 1)] + [EXPIRY_29JAN27]
    series = [(e, 2500 + 100 * s, c) for e in expiries for s in range(strikes) for c in (True, False)]
    ids: list[int] = []
    for start in range(0, len(series), 40):
        ids += chain.market(series=series[start:start + 40])
    traders = {name: chain.trader(name, 50_000) for name in ("alice", "bob", "carol")}
    return chain, ids, traders


def surface(*expiries: int) -> tuple[VolPoint, ...]:
    return tuple(VolPoint(e, 650_000, -100_000, 200_000) for e in expiries)


def oracle_workload() -> tuple[Chain, Scenario]:
    """48 series over 4 expiries; updates before, inside and after the first expiry's
    settlement window, so steps accumulate windows, fix a price and drop settled series;
    then a failing update (stale) and one with a bad surface: both roll back."""
    chain, ids, traders = many_series_market(n_expiries=4, strikes=6)
    scenario = scenario_of(chain, ids, traders)
    first = EXPIRY_25DEC26
    points = surface(first, EXPIRY_29JAN27)
    times = [first - SETTLEMENT_WINDOW - 10, first - 900, first - 300, first + 30, first + 90]
    for n, time in enumerate(times):
        update = chain.oracle_e6(1, (3000 + 7 * n) * E6 + 123_457, points, observed=time)
        post(scenario, [(time, [update])])
    stale = chain.oracle_e6(1, 3000 * E6, points, observed=times[-1] - 61)
    bad = chain.oracle_e6(1, 3000 * E6, points[::-1])
    post(scenario, [(times[-1] + 1, [stale, bad])])
    return chain, scenario


def test_oracle_update_over_many_series_steps_one_series_at_a_time() -> None:
    """``oracle_workload``. Bound: ``ORACLE_KEYS_MAX`` keys per oracle step."""
    chain, scenario = oracle_workload()
    first = EXPIRY_25DEC26
    counts, largest = trace_and_check(scenario)
    assert counts["ORACLE_MARK"] == 4 * 48 + 36  # every series once per update; 12 settled leave
    assert counts["ORACLE_CHECK"] == 7
    assert max(largest[k] for k in ORACLE_KINDS) <= ORACLE_KEYS_MAX, largest
    fast = clone(chain.backend)
    for batch in scenario.batches:
        fast_path(scenario, fast, batch)
    state = State(fast)
    assert state.get(state_keys.settlement(1, first)).price_e6 > 0
    assert len(state.get(state_keys.underlying(1)).instruments) == 48 - 12


def test_stepped_oracle_update_writes_what_the_one_call_rule_writes() -> None:
    """The update as steps (inside a block) and ``oracle.apply_oracle_update`` (the one-call
    rule the portfolio tool uses) store the same marks, settlement records and underlying,
    also for the update that fixes a settlement price and drops its series."""
    chain, ids, traders = many_series_market(n_expiries=3, strikes=4)
    points = surface(EXPIRY_25DEC26, EXPIRY_29JAN27)
    for n, time in enumerate((EXPIRY_25DEC26 - 1000, EXPIRY_25DEC26 + 5)):
        tx = chain.oracle_e6(1, (2990 + n) * E6 + 777, points, observed=time)
        one_call = State(clone(chain.backend))
        decoded = decode_tx(tx, chain.genesis.config().domain)
        apply_oracle_update(one_call, time, one_call.get(state_keys.CONFIG), decoded.sender, decoded.body)
        assert chain.block([tx], dt=time - chain.time).receipts[0].ok
        watched = [state_keys.underlying(1), state_keys.settlement(1, EXPIRY_25DEC26)]
        watched += [state_keys.mark(i) for i in ids]
        assert [one_call.get(k) for k in watched] == [chain.state.get(k) for k in watched]
    assert len(chain.state.get(state_keys.underlying(1)).instruments) == len(ids) - 8


RISK_KEYS_MAX = 20
"""Keys of one withdrawal, settlement or liquidation step: the largest is a settlement
scan (the account, ``SCAN_CHUNK`` = 8 orders, one removal: the order's level, neighbours,
the account again, the globals, a client order id)."""
RISK_PREFIXES = ("WITHDRAW", "SETTLE", "LIQ")
BUY, SELL = 0, 1


def risk_market() -> tuple[Scenario, dict[str, bytes], tuple[int, int]]:
    """A short call on a thin account (520 cash, sold one ATM call at 200) with five
    resting bids; a buyer with ten resting bids on the put, then ten on the call (some with
    client order ids, several queued together on one level: a scan for the call's reads a
    full chunk of the put's first); a rich keeper and
    a poor would-be liquidator."""
    chain = Chain()
    call, put = chain.market(index=3000, vol=0.65, series=((EXPIRY_25DEC26, 3000, True),
                                                              (EXPIRY_25DEC26, 2800, False)))
    traders = {"seller": chain.trader("seller", 520), "buyer": chain.trader("buyer"),
               "keeper": chain.trader("keeper", 1_000_000), "poor": chain.trader("poor", 50)}
    seller, buyer = traders["seller"], traders["buyer"]
    assert chain.run(chain.order(buyer, call, BUY, 200, 1), chain.order(seller, call, SELL, 200, 1))[1].ok
    assert all(r.ok for r in chain.run(*(chain.order(seller, call, BUY, 1 + n, 0.1) for n in range(5))))
    bids = [chain.order(buyer, put if n < 10 else call, BUY, 1 + n // 4, 0.5, client_order_id=n % 3 * (100 + n))
            for n in range(20)]
    assert all(r.ok for r in chain.run(*bids))
    return scenario_of(chain, [call, put], traders), traders, (call, put)


def withdrawals_and_liquidations() -> tuple[Scenario, dict[str, bytes], tuple[int, int]]:
    """The risk market, then withdrawals (paid, refused on balance and on margin) and a
    liquidation auction (a liquidator refused on its own margin, a partial step, a
    self-liquidation, a healthy target; the index falls and a withdrawal ends the recovered
    account's auction): the workload of the test below without its settlements."""
    scenario, t, (call, put) = risk_market()
    chain = scenario.chain
    seller, buyer, keeper, poor = t["seller"], t["buyer"], t["keeper"], t["poor"]
    now = chain.time + 60
    post(scenario, [(now, [chain.withdraw(keeper, 100), chain.withdraw(seller, 500),
                           chain.withdraw(buyer, 10**7)])])
    now += 60
    post(scenario, [
        (now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, seller, call, 0)]),
        (now + 60, [chain.liquidate(poor, seller, call, 1), chain.liquidate(keeper, seller, call, 0.1),
                    chain.liquidate(seller, seller, call, 1), chain.liquidate(keeper, buyer, call, 1),
                    chain.withdraw(seller, 1)]),
    ])
    now += 120
    post(scenario, [(now, [chain.oracle(1, 2000, observed=now), chain.withdraw(seller, 1),
                           chain.liquidate(keeper, seller, call, 0.1)])])
    return scenario, t, (call, put)


def test_withdrawals_settlements_and_liquidations_step_within_bounds() -> None:
    """Withdrawals (paid, refused on balance and on margin), a liquidation auction (started
    with its orders cancelled one per step, a liquidator refused on its own margin after the
    risk test, a partial step, a self-liquidation, a healthy target; the index falls and a
    withdrawal ends the recovered account's auction) and settlements with resting orders scanned in chunks. Bound:
    ``RISK_KEYS_MAX`` keys per step of these kinds."""
    scenario, t, (call, put) = withdrawals_and_liquidations()
    chain = scenario.chain
    buyer, keeper = t["buyer"], t["keeper"]
    expiry = EXPIRY_25DEC26
    keeper_settles = [chain.signed(keeper, Settle, account=address_of(t[who]), instrument_id=inst)
                      for who, inst in (("buyer", call), ("buyer", put), ("seller", call), ("keeper", call),
                                        ("poor", call))]
    early = chain.signed(keeper, Settle, account=address_of(buyer), instrument_id=call)
    post(scenario, [(expiry - SETTLEMENT_WINDOW, [chain.oracle(1, 3100, observed=expiry - SETTLEMENT_WINDOW),
                                                  early]),
                    (expiry + 60, [chain.oracle(1, 3141, observed=expiry + 60), *keeper_settles])])
    counts, largest = trace_and_check(scenario)
    ours = {kind: n for kind, n in largest.items() if kind.startswith(RISK_PREFIXES)}
    assert max(ours.values()) <= RISK_KEYS_MAX, ours
    assert {"WITHDRAW", "WITHDRAW_CHECKED", "LIQUIDATE", "LIQ_ASSESS", "LIQ_CANCEL", "LIQ_MOVE", "LIQ_TERMS",
            "LIQ_APPLY", "LIQ_CHECK", "LIQ_BEFORE", "LIQ_RISK", "SETTLE", "SETTLE_SCAN", "SETTLE_POSITION", "RESTORE",
            "WITHDRAW_RECOVERY", "ROLLBACK", "MARGIN"} <= set(counts), counts
    assert counts["LIQ_CANCEL"] == 5 and counts["SETTLE_SCAN"] >= 20
