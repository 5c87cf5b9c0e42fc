"""The account family on L1 (``contracts/fault/steps_account.vy`` and its pieces) against
the stepped Python rules: cancel-all (``node/stf/orders.py``, CancelPhase 80), withdraw
(``node/stf/transfers.py``, WithdrawPhase 90-92) and the BODY of a ListInstrument
(``node/stf/instruments.py``), every step through the differential driver
(``prover/l1/differential.py``): Python's post-claim and the verifier's must be equal.

The verifier is deployed as on L1 (``deploy_verifier``: every registered family, on a revm
that enforces EIP-170's code size limit), so the place steps of these workloads run too; a
few account steps also run on py-evm (the devnet's EVM).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import pytest

from bridge.fault_contracts import ACCOUNT, FAMILIES
from bridge.revm_call import RevmRunner
from node.stf.params import MAX_OPEN_ORDERS
from node.stf.txtypes import ListInstrument, Side, TimeInForce, Withdraw
from prover.l1.deploy import deploy_verifier
from prover.l1.differential import Driver, Report
from tests.node.stf.harness import ADMIN, EXPIRY_25DEC26, EXPIRY_29JAN27
from tests.prover.test_steps_place import _batch, _scenario
from tests.prover.test_steps_risk import post, risk_market
from tests.prover.workload import Scenario, clone, fast_path

ACCOUNT_KINDS: Final = ("CANCEL_ALL", "WITHDRAW", "WITHDRAW_CHECKED", "WITHDRAW_RECOVERY", "BODY/0x06")
GAS_TARGET: Final = 3_000_000  # common.md: every step's whole transaction
GAS_CEILING: Final = 16_777_216
DAY: Final = 86_400


@lru_cache(maxsize=1)
def _deployment():
    assert ACCOUNT in FAMILIES  # registered: deployed as on L1
    runner = RevmRunner()  # EIP-170 enforced
    return runner, deploy_verifier(runner)


def _run(scenario: Scenario) -> Report:
    runner, deployment = _deployment()
    driver = Driver(runner, deployment)
    report = driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    return report


def _receipt_codes(scenario: Scenario) -> list[int]:
    """The failure codes of every receipt of the scenario's batches, on the node's path (to
    show which failures the workload exercised)."""
    backend = clone(scenario.chain.backend)
    results: list = []
    for batch in scenario.batches:
        fast_path(scenario, backend, batch, results)
    return [int(r.code) for block in results for r in block.receipts]


def _gas_bounded(report: Report) -> None:
    for kind in ACCOUNT_KINDS:
        stats = report.kinds.get(kind)
        if stats and stats.gas:
            assert stats.gas_max <= GAS_CEILING, (kind, stats.gas_max)


@pytest.fixture(scope="module")
def random_scenario() -> Scenario:
    scenario = _scenario({name: 900 for name in ("alice", "bob", "carol", "dave")})
    scenario.build(seed=4, n_batches=3, blocks_per_batch=2, per_block=30)
    return scenario


def test_random_workload_cancel_all_and_withdraw_equal_python(random_scenario) -> None:
    report = _run(random_scenario)
    print(report.table())
    assert report.kinds["CANCEL_ALL"].run > 3
    assert report.kinds["WITHDRAW"].run > 2
    assert report.kinds["WITHDRAW_CHECKED"].run > 0
    _gas_bounded(report)


def _funded(**funds: int) -> Scenario:
    return _scenario(funds)


def test_cancel_all_one_order_per_step_equal_python() -> None:
    """Cancel-all on one series and on all, with orders on several series, with client ids
    (their index deleted), emptying levels and leaving others, and with no order at all."""
    scenario = _funded(alice=50_000, bob=50_000, carol=50_000)
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    setup = []
    for i, inst in enumerate(ids):
        setup.append(chain.order(k["alice"], inst, Side.BUY, 50 + i, 0.5, client_order_id=100 + i))
        setup.append(chain.order(k["alice"], inst, Side.SELL, 400 + i, 0.3))
        setup.append(chain.order(k["bob"], inst, Side.BUY, 50 + i, 0.2))  # same level as alice's
        setup.append(chain.order(k["alice"], inst, Side.BUY, 45 + i, 0.1, client_order_id=200 + i))
    _batch(scenario, setup)
    _batch(scenario, [chain.cancel_all(k["alice"], ids[1]), chain.cancel_all(k["carol"]),
                      chain.cancel_all(k["bob"], ids[2])])
    _batch(scenario, [chain.cancel_all(k["alice"]), chain.cancel_all(k["alice"]), chain.cancel_all(k["bob"])])
    report = _run(scenario)
    print(report.table())
    assert report.kinds["CANCEL_ALL"].run >= 4 * len(ids) + 4
    _gas_bounded(report)


def test_cancel_all_of_a_full_account_worst_case_gas() -> None:
    """MAX_OPEN_ORDERS resting orders on every series, cancelled one per step: the widest
    account a cancel-all step reads and writes."""
    scenario = _funded(alice=10_000_000)
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    orders = [chain.order(k["alice"], ids[i % len(ids)], Side.BUY, 10 + i / 10, 0.1, client_order_id=i + 1)
              for i in range(MAX_OPEN_ORDERS)]
    _batch(scenario, orders[:64])
    _batch(scenario, orders[64:])
    _batch(scenario, [chain.cancel_all(k["alice"], ids[0]), chain.cancel_all(k["alice"])])
    report = _run(scenario)
    print(report.table())
    stats = report.kinds["CANCEL_ALL"]
    assert stats.run >= MAX_OPEN_ORDERS + 1
    print("cancel-all worst gas", stats.gas_max)
    assert stats.gas_max <= GAS_CEILING


def test_withdraw_success_and_failures_equal_python() -> None:
    """Withdrawals: paid, insufficient balance, zero and over-range amounts (ZERO_AMOUNT),
    initial margin breached by the withdrawal (the margin call answers a failure:
    ROLLBACK), and the whole balance of an account with no position."""
    scenario = _funded(alice=5_000, bob=5_000, carol=1_000)
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    _batch(scenario, [chain.order(k["alice"], ids[0], Side.SELL, 150, 20),
                      chain.order(k["bob"], ids[0], Side.BUY, 150, 20, tif=TimeInForce.IOC)])
    _batch(scenario, [
        chain.withdraw(k["carol"], 100),  # paid
        chain.withdraw(k["carol"], 10_000),  # INSUFFICIENT_BALANCE
        chain.signed(k["carol"], Withdraw,
                     amount_e6=0, recipient=bytes(20)),  # ZERO_AMOUNT
        chain.signed(k["carol"], Withdraw,
                     amount_e6=2**64 - 1, recipient=b"\x01" * 20),  # ZERO_AMOUNT (over MAX_AMOUNT_E6)
        chain.withdraw(k["alice"], 4_900),  # short a call: initial margin breached
        chain.withdraw(k["bob"], 10),  # long: paid
        chain.withdraw(k["carol"], 900),  # the rest
    ])
    report = _run(scenario)
    print(report.table())
    codes = _receipt_codes(scenario)
    assert {0, 301, 501} <= set(codes), codes
    assert report.kinds["WITHDRAW"].run == 7
    assert report.kinds["WITHDRAW_CHECKED"].run >= 4
    assert report.kinds["ROLLBACK"].run >= 1
    _gas_bounded(report)


def _listing(chain, key: bytes, **fields) -> bytes:
    base = dict(underlying_id=1, expiry=EXPIRY_29JAN27, strike_e6=3_500 * 10**6, is_call=True,
                tick_size_e6=100_000, min_size_e6=100_000)
    base.update(fields)
    return chain.signed(key, ListInstrument, **base)


def test_list_instrument_body_equal_python() -> None:
    """Listings: with a Mark (an underlying with an index) and without (no index yet), and
    every refusal: not the admin, unknown underlying, expiry past / not at 08:00 / beyond
    the horizon, strike, tick and minimum size out of range, a series listed twice."""
    scenario = _funded(alice=1_000)
    chain, k = scenario.chain, scenario.keys
    now = chain.time + 60
    next_8am = (now // DAY + 1) * DAY + 8 * 3600
    txs = [
        _listing(chain, ADMIN),  # a new ETH call, marked
        _listing(chain, ADMIN, is_call=False, strike_e6=1),  # deep out of the money put
        _listing(chain, ADMIN, underlying_id=2, strike_e6=60_000 * 10**6),  # BTC: no index, no Mark
        _listing(chain, k["alice"]),  # UNAUTHORISED_SIGNER
        _listing(chain, ADMIN, underlying_id=9),  # UNKNOWN_UNDERLYING
        _listing(chain, ADMIN, expiry=EXPIRY_25DEC26 - DAY * 400),  # in the past
        _listing(chain, ADMIN, expiry=EXPIRY_29JAN27 + 1),  # not 08:00
        _listing(chain, ADMIN, expiry=next_8am + 6 * 365 * DAY),  # beyond the horizon
        _listing(chain, ADMIN, expiry=next_8am, strike_e6=3_100 * 10**6),  # tomorrow 08:00
        _listing(chain, ADMIN, strike_e6=0),
        _listing(chain, ADMIN, strike_e6=10**15 + 1),
        _listing(chain, ADMIN, strike_e6=10**15, is_call=False),  # the largest strike
        _listing(chain, ADMIN, tick_size_e6=0, strike_e6=3_600 * 10**6),
        _listing(chain, ADMIN, min_size_e6=10**15 + 1, strike_e6=3_600 * 10**6),
        _listing(chain, ADMIN, tick_size_e6=10**15, min_size_e6=10**15, strike_e6=3_700 * 10**6),
        _listing(chain, ADMIN),  # INSTRUMENT_EXISTS
        _listing(chain, ADMIN, underlying_id=2, strike_e6=60_000 * 10**6),  # exists (no Mark)
    ]
    _batch(scenario, txs)
    report = _run(scenario)
    print(report.table())
    codes = _receipt_codes(scenario)
    assert {0, 106, 600, 602, 603} <= set(codes), codes
    stats = report.kinds["BODY/0x06"]
    assert stats.run == len(txs)
    print("listing gas max", stats.gas_max)
    _gas_bounded(report)


def test_withdraw_under_an_auction_equal_python() -> None:
    """Withdrawals of an account under a liquidation auction (``tests/prover/test_steps_risk``'s
    market): refused on margin while it is under water, then, the index fallen, a withdrawal
    whose margin summary (WITHDRAW_RECOVERY) ends the recovered account's auction."""
    scenario, t, (call, _put) = risk_market()
    chain = scenario.chain
    seller, buyer, keeper = t["seller"], t["buyer"], t["keeper"]
    now = chain.time + 60
    post(scenario, [(now, [chain.withdraw(keeper, 100), chain.withdraw(seller, 500), chain.withdraw(buyer, 10**7)])])
    now += 60
    post(scenario, [
        (now, [chain.oracle(1, 3300, observed=now), chain.liquidate(keeper, seller, call, 0)]),
        (now + 60, [chain.liquidate(keeper, seller, call, 0.1), chain.withdraw(seller, 1)]),
    ])
    now += 120
    post(scenario, [(now, [chain.oracle(1, 2000, observed=now), chain.withdraw(seller, 1)])])
    report = _run(scenario)
    print(report.table())
    assert report.kinds["WITHDRAW_RECOVERY"].run >= 1
    assert report.kinds["WITHDRAW"].run == 5
    _gas_bounded(report)


def test_tampered_account_proofs_are_refused_as_python_refuses() -> None:
    """A witness node changed (or dropped) in a cancel-all, withdraw or listing proof: Python
    refuses it, and so does L1 (a revert, never another post-claim)."""
    from prover.client.trace import TraceRun
    from prover.l1.deploy import dispatch_key
    from tests.fault.l1 import tampered_witness_refused

    scenario = _funded(alice=5_000)
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    _batch(scenario, [chain.order(k["alice"], ids[0], Side.BUY, 50, 0.5), chain.cancel_all(k["alice"]),
                      chain.withdraw(k["alice"], 10), _listing(chain, ADMIN, strike_e6=3_300 * 10**6)])
    runner, deployment = _deployment()
    proofs: list = []
    for batch in scenario.batches:
        TraceRun(clone(scenario.chain.backend), batch.index, scenario.inputs(batch)).run(
            lambda _b: None, on_proof=proofs.append)
    ours = [p for p in proofs if dispatch_key(p.cursor) in ACCOUNT.keys and p.nodes]
    assert len(ours) >= 3
    checked = tampered_witness_refused(runner, deployment.verifier, ours, seed=5)
    assert checked >= 3, checked


def test_py_evm_agrees_on_a_step_of_every_account_kind() -> None:
    """The devnet's EVM (py-evm) with the verifier deployed as on L1 (EIP-170 on): the first
    cancel-all, withdraw (and its margin answer) and listing step give Python's post-claim."""
    from tests.fault.l1 import first_steps_on_py_evm, scenario_proofs

    scenario = _funded(alice=5_000, bob=5_000)
    chain, k, ids = scenario.chain, scenario.keys, scenario.ids
    _batch(scenario, [chain.order(k["alice"], ids[0], Side.BUY, 50, 0.5), chain.order(k["bob"], ids[0], Side.SELL, 150, 1),
                      chain.cancel_all(k["alice"]), chain.withdraw(k["bob"], 10),
                      _listing(chain, ADMIN, strike_e6=3_300 * 10**6)])
    report = first_steps_on_py_evm(scenario_proofs(scenario), ACCOUNT.keys)
    assert {"CANCEL_ALL", "WITHDRAW", "WITHDRAW_CHECKED", "BODY/0x06"} <= set(report.kinds), sorted(report.kinds)
