"""The margin family on L1 (``steps_margin.vy`` + ``margin_machine.vy`` + ``margin_sums.vy``)
steps exactly as ``node/stf/margin_steps.py``, through the verifier as ``deploy_verifier``
deploys it (EIP-170 on): every step of the sub-machine, from a proof recorded in Python
(witness of the step's pre-state), gives Python's post-claim, for accounts of any width (up
to 64 series on 64 underlyings), every query, at the edge of initial margin (every failure
code), with socialised loss pending on the balance, and the widest cursor the family carries
(every accumulator register at its widest encoding); every margin step of the property
workloads (orders, liquidations and auctions, deposits to an auctioned account) through the
differential driver; gas per step is measured; a proof missing a witness node, or a cursor
Python would not build, is refused.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.evm_call import EvmRunner
from bridge.fault_contracts import MARGIN as MARGIN_FAMILY
from bridge.revm_call import RevmRunner
from node.stf import accounts, keys, margin
from node.stf.backends import MemoryBackend, RecordingBackend
from node.stf.cursor import MAX_CURSOR_BYTES, Cursor, claim_of, decode_cursor, encode_cursor
from node.stf.margin_fold import MARGIN_CHUNK
from node.stf.margin_steps import MarginPhase, Query, call_margin
from node.stf.params import MAX_POSITIONS
from node.stf.records import Account, Globals, OrderTotals
from node.stf.state import ProvingState, State
from node.stf.steps import STEPS, StepIO
from prover.l1.deploy import deploy_verifier
from prover.l1.verifier import StepRefused, run_step
from tests.fault.l1 import synthetic_proof
from tests.node.stf.harness import E6
from tests.node.stf.test_cursor_bound import failing_worst_account
from tests.node.stf.test_margin_fold import WIDE, WIDE_IDS, wide_accounts, worst_account

ADDRESS = bytes.fromhex("00000000000000000000000000000000000000aa")
RETURN = 27  # the caller's phase (placing an order's margin check returns to one such)
STEP_GAS_TARGET = 3_000_000
STEP_GAS_LIMIT = 16_777_216


class Family:
    """The verifier and its registered families (the margin family among them) as
    ``deploy_verifier`` deploys them, on a revm with EIP-170's code size limit on."""

    def __init__(self, runner: Any = None) -> None:
        self.runner = runner or RevmRunner()
        self.deployment = deploy_verifier(self.runner)
        assert set(MARGIN_FAMILY.keys) <= self.deployment.implemented

    def run(self, pre_root: bytes, cursor: bytes, nodes: list[bytes], post_claim: bytes = b"\x00" * 32
            ) -> tuple[bool, bytes, int]:
        """(success, post_claim or the revert reason, gas) of one step through the verifier."""
        proof = dataclasses.replace(synthetic_proof(pre_root, decode_cursor(cursor), post_claim), nodes=tuple(nodes))
        try:
            step = run_step(self.runner, self.deployment.verifier, proof)
        except StepRefused as exc:
            return False, str(exc).encode(), 0
        return True, step.post_claim, step.gas


@pytest.fixture(scope="module")
def family() -> Family:
    return Family()


@pytest.fixture(scope="module")
def backend() -> Any:
    """A copy of the wide test chain's state (64 underlyings, a series on each)."""
    copied = MemoryBackend()
    copied.apply(dict(WIDE.backend.values))
    return copied


def store(backend: Any, account: Account, loss_index: int | None = None) -> None:
    """Write ``account`` at ``ADDRESS`` (and the global loss index) and commit."""
    state = State(backend)
    g: Globals = state.get(keys.GLOBALS)
    if loss_index is not None:  # socialised loss since the account was written
        state.put(keys.GLOBALS, Globals(*[loss_index if f == "loss_index" else getattr(g, f) for f in Globals.__slots__]))
    elif not account.loss_index:  # written at the current index
        account = account.at_loss_index(account.balance_e6, g.loss_index)
    state.put(keys.account(ADDRESS), account)
    state.commit_block()


def caller_cursor(query: Query) -> Cursor:
    """A margin call as a rule makes it, mid-transaction (fields of a real body step)."""
    body = Cursor(20, block=7, time=1_796_112_012, tx_index=3, outer=(1, 0, 400, 2, 0, 5), tx=b"\x02" + b"\x11" * 90,
                  sender=b"\x22" * 20, tx_hash=b"\x33" * 32, regs=(5, -9, 2**100), saved=(b"\x44" * 32,))
    return call_margin(body, ADDRESS, query, RETURN, (1, -2, 3))


def run_both(family: Family, backend: Any, cursor: Cursor) -> tuple[Cursor, list[int]]:
    """Every step of the sub-machine from ``cursor``, in Python and on L1 (through the
    verifier): equal post-claims. Returns the cursor it returns with and the gas of each L1
    step (whole transaction)."""
    gas = []
    while cursor.phase in (MarginPhase.MARGIN, MarginPhase.MARGIN_FOLD):
        recording = RecordingBackend(backend)
        state = ProvingState(recording)
        pre_root = backend.root()
        post = STEPS[cursor.phase](state, cursor, StepIO())._replace(body=None)
        post_root = state.commit_block()
        nodes = sorted(recording.witness().nodes)
        ok, claim, used = family.run(pre_root, encode_cursor(cursor), nodes)
        assert ok, f"L1 refused a valid margin step: {claim!r}"
        assert claim == claim_of(post_root, post), post
        gas.append(used)
        cursor = post
    return cursor, gas


def expected(account: Account, query: Query) -> tuple[int, ...]:
    state = WIDE.state
    if query == Query.INITIAL:
        return (int(margin.initial_failure(state, account)),)
    if query == Query.BACKING:
        return tuple(int(x) for x in margin.backing(state, account))
    s = margin.summarise(state, account)
    return (s.cash_e6, s.value_e6, s.maintenance_e6, s.initial_e6, int(s.complete))


def check(family: Family, backend: Any, account: Account, query: Query) -> list[int]:
    store(backend, account)
    cursor, gas = run_both(family, backend, caller_cursor(query))
    assert cursor.phase == RETURN and cursor.regs == (1, -2, 3) + expected(account, query)
    return gas


# -- random accounts, at the edge of initial margin -------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(wide_accounts(size_bits=30), st.integers(-10**7, 10**7), st.sampled_from(list(Query)))
def test_margin_steps_equal_python(family, backend, account: Account, nudge: int, query: Query) -> None:
    b = margin.backing(WIDE.state, account)
    edge = Account(account.balance_e6 - b.excess_e6 + nudge, positions=account.positions,
                   order_totals=account.order_totals)
    check(family, backend, edge, query)


@pytest.mark.parametrize("query", list(Query))
@pytest.mark.parametrize("width", [1, MARGIN_CHUNK, MARGIN_CHUNK + 1, 17, MAX_POSITIONS])
def test_every_query_at_every_width_and_every_code(family, backend, query: Query, width: int) -> None:
    """Short positions with orders on both sides: cash at the edge gives each code."""
    base = worst_account(3 * E6)
    account = Account(base.balance_e6, positions=base.positions[:width], order_totals=base.order_totals[:width])
    b = margin.backing(WIDE.state, account)
    alone = margin.backing(WIDE.state, Account(0, positions=account.positions))
    for cash in {account.balance_e6, b.cash_e6 - b.excess_e6, b.cash_e6 - b.excess_e6 - 1, -1, 0,
                 -alone.excess_e6 - 1, -alone.excess_e6}:
        check(family, backend, Account(cash, positions=account.positions, order_totals=account.order_totals), query)


def test_an_empty_account_and_orders_only(family, backend) -> None:
    for query in Query:
        check(family, backend, Account(), query)
        check(family, backend, Account(10**9, order_totals=tuple(OrderTotals(i, E6, 50 * E6 * E6, 50 * E6)
                                                                 for i in WIDE_IDS[:20])), query)


def test_socialised_loss_cuts_the_balance_read(family, backend) -> None:
    account = Account(10**12, positions=tuple((i, -E6) for i in WIDE_IDS[:12]), loss_index=10**18)
    for query in Query:
        store(backend, account, loss_index=7 * 10**17)
        state = State(backend)
        loaded = accounts.load(state, ADDRESS)
        assert loaded.balance_e6 == 7 * 10**11
        cursor, _ = run_both(family, backend, caller_cursor(query))
        assert cursor.regs[3:] == expected(loaded, query)
    store(backend, account, loss_index=10**18)


# -- worst cases and gas ------------------------------------------------------------------------


def worst_gas(family: Family, backend: Any, size_e6: int) -> tuple[list[int], list[int]]:
    """The gas of the worst fold steps (64 series with orders on 64 underlyings, 8 new ones a
    step: 18 records, INITIAL failing so both stages run, the registers growing to the
    largest) and of the worst one-shot (8 series with orders, failing on the positions too)."""
    worst = failing_worst_account(size_e6)
    fold_gas = check(family, backend, worst, Query.INITIAL)
    b = margin.backing(WIDE.state, Account(0, positions=worst.positions[:MARGIN_CHUNK]))
    one = Account(-b.excess_e6 - 1, positions=worst.positions[:MARGIN_CHUNK],
                  order_totals=worst.order_totals[:MARGIN_CHUNK])
    one_gas = check(family, backend, one, Query.INITIAL)
    assert len(one_gas) == 1 and len(fold_gas) == 2 * MAX_POSITIONS // MARGIN_CHUNK
    return fold_gas, one_gas


@pytest.mark.parametrize("size_e6", [3 * E6, 10**11, 2**160])
def test_worst_case_gas(family, backend, capsys, size_e6: int) -> None:
    """Every step equal to Python at sizes up to 2^160 (beyond any reachable fill count: the
    stage-1 cursor is ~69 KB, over the former 32 KiB cursor bound); the one-shot is under
    the ceiling (the folds at reachable sizes: ``test_the_widest_folds_fit_the_ceiling``)."""
    fold_gas, one_gas = worst_gas(family, backend, size_e6)
    with capsys.disabled():
        print(f"\nsizes {size_e6}: margin fold steps gas {fold_gas}, one-shot gas {one_gas}")
    assert max(one_gas) <= STEP_GAS_LIMIT


def test_the_widest_folds_fit_the_ceiling(family, backend) -> None:
    """64 series with orders on 64 underlyings at sizes of 3 contracts (both stages): every
    fold step within one L1 transaction (the step splices the registers it changes into
    the cursor's bytes instead of decoding and encoding all of them, ``steps_margin.vy``)."""
    fold_gas, _ = worst_gas(family, backend, 3 * E6)
    assert max(fold_gas) <= STEP_GAS_LIMIT


def test_the_widest_cursor_passes_through_the_verifier(family, backend, capsys) -> None:
    """The widest cursor the margin family carries within the STF's arithmetic: stage 1 of a
    64-underlying account with every accumulator register but ids, indices, net sizes and
    least long values at 2^250 in magnitude (33 bytes, as a register at int256's widest), a
    2 KiB envelope, a caller frame of 30 such registers and 3 checkpoints; equal to Python
    to the return (a real state would need sizes past 2^160 for such sums)."""
    account = failing_worst_account(3 * E6)
    store(backend, account)
    body = Cursor(20, block=2**64 - 1, time=2**40, tx_index=2**16, outer=tuple(-(2**250) for _ in range(15)),
                  tx=b"\x02" * 2048, sender=b"\x22" * 20, tx_hash=b"\x33" * 32, saved=(b"\x44" * 32,) * 3)
    cursor = call_margin(body, ADDRESS, Query.INITIAL, RETURN, tuple((-1) ** i * 2**250 for i in range(30)))
    while not (cursor.phase == MarginPhase.MARGIN_FOLD and cursor.regs[2] == 1 and cursor.regs[3] == 56):
        cursor = STEPS[cursor.phase](State(backend), cursor, StepIO())._replace(body=None)
    regs = list(cursor.regs)
    big = 2**250
    for i in range(4, 10):  # the kept backing: cash, free cash, equity, maintenance, initial, complete
        regs[i] = -big if i < 9 else 1
    for i in range(11, 15):  # value, haircut, bid notional, fee bound
        regs[i] = big
    for u in range(regs[15]):
        at = 16 + 51 * u
        regs[at + 4] = 2**230  # least long (x 10^6 in the initial bound: stays in int256)
        for k in range(46):
            regs[at + 5 + k] = big if (u + k) % 2 else -big
    cursor = cursor._replace(regs=tuple(regs))
    raw = encode_cursor(cursor)
    assert 90_000 < len(raw) <= MAX_CURSOR_BYTES  # 56 underlyings: at most 56 series precede the last chunk
    returned, gas = run_both(family, backend, cursor)
    assert returned.phase == RETURN and len(returned.regs) == 31
    with capsys.disabled():
        print(f"\nwidest margin cursor {len(raw):,} bytes: gas {gas}")


# -- the property workloads, through the differential driver ------------------------------------


def _drive(scenario) -> Any:
    from prover.l1.differential import Driver  # noqa: PLC0415
    from tests.prover.workload import clone  # noqa: PLC0415

    runner = RevmRunner()
    driver = Driver(runner, deploy_verifier(runner))
    report = driver.run_batches(clone(scenario.chain.backend), [(b.index, scenario.inputs(b)) for b in scenario.batches])
    assert not report.divergences, [(d.kind, d.detail, d.batch, d.position) for d in report.divergences]
    return report


def test_workload_margin_steps_of_orders_equal_python() -> None:
    """Random batches of thin accounts (orders of every kind, fills, failing makers and
    takers): each margin call of the place steps, on the verifier."""
    from tests.prover.test_steps_place import _scenario  # noqa: PLC0415

    scenario = _scenario({name: 900 for name in ("alice", "bob", "carol", "dave")})
    scenario.build(seed=4, n_batches=2, blocks_per_batch=2, per_block=30)
    report = _drive(scenario)
    print(report.table())
    assert report.kinds["MARGIN"].run > 20


def test_workload_margin_steps_of_liquidations_and_auctions_equal_python() -> None:
    """Withdrawals, a liquidation auction (liquidator checks, partial steps, the target's
    summaries) and a recovery: every margin step on the verifier."""
    from tests.prover.test_steps_risk import withdrawals_and_liquidations  # noqa: PLC0415

    scenario, _t, _series = withdrawals_and_liquidations()
    report = _drive(scenario)
    print(report.table())
    assert report.kinds["MARGIN"].run > 5


def test_workload_folds_of_an_auctioned_many_series_account_equal_python() -> None:
    """Deposits to an account under auction with ~20 series: its summaries fold in chunks
    (MARGIN_FOLD) in the trace, on the verifier."""
    from node.stf.l1_inputs import L1Deposit  # noqa: PLC0415
    from node.wallet import address_of  # noqa: PLC0415
    from tests.prover.test_steps_deposit import auctioned_market  # noqa: PLC0415
    from tests.prover.test_steps_risk import post, scenario_of  # noqa: PLC0415

    chain, ids, traders, seller = auctioned_market()
    scenario = scenario_of(chain, ids, traders)
    time = chain.time + 60
    for recipient, amount in ((address_of(traders["bob"]), 5 * 10**6), (seller, 10**6), (seller, 10**11)):
        scenario.deposits.append(L1Deposit(len(scenario.deposits), recipient, amount, time + 600, 0))
    post(scenario, [(time, [])])
    report = _drive(scenario)
    print(report.table())
    assert report.kinds["MARGIN"].run >= 2 and report.kinds["MARGIN_FOLD"].run >= 4


def test_a_few_steps_on_py_evm() -> None:
    """py-evm (the devnet's EVM) agrees: a one-shot and a fold step through the verifier."""
    evm_family = Family(EvmRunner())
    copied = MemoryBackend()
    copied.apply(dict(WIDE.backend.values))
    account = worst_account(E6)
    store(copied, Account(10**12, positions=account.positions[:10], order_totals=account.order_totals[:10]))
    cursor, _ = run_both(evm_family, copied, caller_cursor(Query.BACKING))
    assert cursor.phase == RETURN


# -- refusals -------------------------------------------------------------------------------------


def test_a_missing_witness_node_or_a_bad_cursor_is_refused(family, backend) -> None:
    store(backend, worst_account(E6))
    cursor = caller_cursor(Query.BACKING)
    recording = RecordingBackend(backend)
    state = ProvingState(recording)
    STEPS[cursor.phase](state, cursor, StepIO())
    nodes = sorted(recording.witness().nodes)
    root = backend.root()
    assert family.run(root, encode_cursor(cursor), nodes)[0]
    for i in range(0, len(nodes), max(1, len(nodes) // 8)):
        assert not family.run(root, encode_cursor(cursor), nodes[:i] + nodes[i + 1:])[0]
    tampered = [nodes[0][:-1] + bytes([nodes[0][-1] ^ 1])] + nodes[1:]
    assert not family.run(root, encode_cursor(cursor), tampered)[0]
    acc = (170, 1, 0, 8) + (1, 0, 0, 0, 0, 0)
    for bad in (cursor._replace(regs=(2**160, 0)), cursor._replace(regs=(1,)), cursor._replace(phase=42),
                cursor._replace(phase=41, regs=acc[:9] + (1,)), cursor._replace(phase=41, regs=acc[:4] + (2,) + acc[5:]),
                cursor._replace(phase=41, regs=acc[:3] + (-8,) + acc[4:])):
        with pytest.raises(Exception):  # Python refuses it too
            STEPS[bad.phase](ProvingState(RecordingBackend(backend)), bad, StepIO())
        assert not family.run(root, encode_cursor(bad), nodes)[0], bad
